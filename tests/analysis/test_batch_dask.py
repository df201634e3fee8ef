"""``python -m analysis batch --engine dask``: a season's archive (real clips, a photo and a
corrupt clip) analysed on a real ``dask.distributed.LocalCluster`` of 2 worker processes
into a real PostgreSQL server; every result checked in the store, the failure reported."""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from analysis.batch import DONE, FAILED, SKIPPED, DaskEngine, plan, run_batch
from analysis.batch.task import models_loaded
from analysis.errors import AnalysisError
from tests.analysis.batch_media import active_rows, season_archive, stored_clips

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """A real Dask cluster on this machine: a scheduler and 2 worker processes of 1 thread."""
    distributed = pytest.importorskip("distributed", reason="dask.distributed not installed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
        silence_logs=logging.ERROR,
    ) as local, distributed.Client(local) as client:
        yield client


@pytest.fixture(scope="module")
def archive(media_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return season_archive(media_dir, tmp_path_factory.mktemp("season"))


@pytest.fixture
def pg_url(postgres_server: Any) -> Iterator[str]:
    url = postgres_server.create_database()
    yield url
    postgres_server.drop_database(url)


def test_a_season_on_a_dask_cluster_lands_in_postgresql_and_the_corrupt_file_is_reported(
    cluster: Any, archive: dict[str, Path], pg_url: str
) -> None:
    folder = archive["walk1"].parent.parent
    result = subprocess.run(
        [sys.executable, "-m", "analysis", "batch", str(folder), "--session", "Season",
         "--date", "2024-09-01", "--engine", "dask", "--scheduler", cluster.scheduler.address,
         "--db", pg_url],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )
    # one failed file: exit status 1, its one line naming the file and why
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    failures = [line for line in result.stderr.splitlines() if line.startswith("failed: ")]
    assert failures == [f"failed: {archive['broken']}: truncated: the file has 5000 bytes "
                        "but its container expects 3968304 (incomplete copy or download?)"]
    assert "5 files: 4 analysed, 1 failed in " in result.stdout
    assert "Dask cluster at tcp://" in result.stdout and "(2 worker processes)" in result.stdout

    clips = stored_clips(pg_url)
    assert sorted(clips) == [("Anna Lee", "walk1.mp4"), ("Anna Lee", "walk2.mp4"),
                             ("Ben Ode", "golf.jpg"), ("Ben Ode", "walk3.mp4")]
    assert clips[("Ben Ode", "golf.jpg")].kind == "photo"
    sessions = {c.session_id for c in clips.values()}
    assert len(sessions) == 2  # one session per athlete
    from analysis.store import Store

    with Store(pg_url) as store:
        for session_id in sessions:
            session = store.get_session(session_id)
            assert (session.title, session.date) == ("Season", dt.date(2024, 9, 1))
    assert active_rows(pg_url) == []
    # the models were loaded once in each worker by the plugin, for 4 people
    assert sorted(cluster.run(models_loaded).values()) == [[4], [4]]


def test_a_rerun_on_the_cluster_skips_what_is_done_and_runs_on_the_workers(
    cluster: Any, archive: dict[str, Path], pg_url: str
) -> None:
    files = plan([archive["walk1"].parent.parent], "folder")
    first = run_batch(files, "Season", DaskEngine(client=cluster), db_url=pg_url)
    second = run_batch(files, "Season", DaskEngine(client=cluster), db_url=pg_url)

    by_name = {Path(r.path).name: r for r in first.results}
    assert {n: r.status for n, r in by_name.items()} == {
        "walk1.mp4": DONE, "walk2.mp4": DONE, "walk3.mp4": DONE, "golf.jpg": DONE,
        "broken.mp4": FAILED}
    again = {Path(r.path).name: r for r in second.results}
    assert {n: r.status for n, r in again.items()} == {
        "walk1.mp4": SKIPPED, "walk2.mp4": SKIPPED, "walk3.mp4": SKIPPED,
        "golf.jpg": SKIPPED, "broken.mp4": FAILED}
    assert all(again[n].clip_id == by_name[n].clip_id for n in again if n != "broken.mp4")
    assert (first.exit_status(), second.exit_status()) == (1, 1)
    # every file ran in a worker process of the cluster, never in this one
    worker_pids = set(cluster.run(os.getpid).values())
    ran = {int(r.worker.rsplit(":", 1)[1]) for r in first.results + second.results}
    assert ran <= worker_pids and os.getpid() not in ran
    assert len(stored_clips(pg_url)) == 4 and active_rows(pg_url) == []


def test_the_dask_engine_refuses_sqlite_before_anything_is_written(
    cluster: Any, archive: dict[str, Path], tmp_path: Path
) -> None:
    files = plan([archive["walk1"]], "folder")
    with pytest.raises(AnalysisError, match="SQLite is for the local engine"):
        run_batch(files, "Season", DaskEngine(client=cluster),
                  db_url=f"sqlite:///{tmp_path / 'posture.db'}")
    assert not (tmp_path / "posture.db").exists()
