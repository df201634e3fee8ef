"""The Analyse page sends a batch to the Dask cluster named by POSTURE_DASK_SCHEDULER:
the option shows only when one is configured; the uploads (real clip and photo, and a
truncated clip) are analysed by a real LocalCluster of 2 worker processes into a real
PostgreSQL store, under the user's own file names, and what was refused is said."""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from analysis.batch import DONE, FAILED
from analysis.store import Store
from dashboard import cluster
from dashboard.jobs import NewSession
from tests.analysis.batch_media import active_rows, cut_clip
from tests.dashboard.test_pages import open_page
from tests.postgres import postgres_server  # noqa: F401 -- fixture


def toggles(at: Any) -> list[str]:
    return [t.label for t in at.toggle]


def test_the_cluster_option_shows_only_when_a_scheduler_is_configured(
    store: Store, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    monkeypatch.delenv(cluster.SCHEDULER_ENV, raising=False)
    assert "Send to the cluster" not in toggles(open_page("analyse"))
    monkeypatch.setenv(cluster.SCHEDULER_ENV, "tcp://10.0.0.5:8786")
    at = open_page("analyse")
    (toggle,) = [t for t in at.toggle if t.label == "Send to the cluster"]
    assert "tcp://10.0.0.5:8786" in toggle.help and toggle.value is False


class Upload(io.BytesIO):
    """What Streamlit hands the page for an uploaded file: bytes with the user's name."""

    def __init__(self, data: bytes, name: str) -> None:
        super().__init__(data)
        self.name = name


@pytest.fixture
def dask_client() -> Iterator[Any]:
    distributed = pytest.importorskip("distributed", reason="dask.distributed not installed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
        silence_logs=logging.ERROR,
    ) as local, distributed.Client(local) as client:
        yield client


def test_uploads_sent_to_the_cluster_land_in_the_shared_store_under_their_names(
    media_dir: Path, tmp_path: Path, postgres_server: Any, dask_client: Any,  # noqa: F811
) -> None:
    url = postgres_server.create_database()
    pg = Store(url)
    athlete = pg.create_athlete("Anna Lee")
    clip = cut_clip(media_dir / "parkour_walk.mp4", tmp_path / "clip.mp4", 0, 30)
    uploads = [Upload(clip.read_bytes(), "Rooftop walk.mp4"),
               Upload((media_dir / "images" / "golf.jpg").read_bytes(), "golf swing.jpg"),
               Upload(clip.read_bytes()[:4000], "broken.mp4")]
    data = tmp_path / "data"

    job = cluster.start(pg, athlete.id, NewSession("Week 3", dt.date(2024, 9, 2), ("legs",)),
                        cluster.PipelineSettings(max_people=2), uploads, data,
                        dask_client.scheduler.address)
    job.wait(300)

    assert not job.running and job.error is None
    assert job.counts()[DONE] == 2 and job.report is not None
    statuses = dict((line.split(":", 1)[0], status) for status, line in job.lines())
    assert statuses == {"Rooftop walk.mp4": DONE, "golf swing.jpg": DONE, "broken.mp4": FAILED}
    (session,) = pg.list_sessions(athlete.id)
    assert (session.title, session.date, list(session.tags)) == (
        "Week 3", dt.date(2024, 9, 2), ["legs"])
    clips = {c.file_name: c for c in pg.list_clips(session.id)}
    assert sorted(clips) == ["Rooftop walk.mp4", "golf swing.jpg"]
    assert all(c.status == "done" and c.tracks for c in clips.values())
    assert clips["Rooftop walk.mp4"].frame_count == 30
    assert clips["Rooftop walk.mp4"].settings["estimator"]["max_people"] == 2
    # the two kept uploads stay in the data folder, named by content; nothing else
    kept = sorted(p.name for p in (data / "uploads").iterdir() if not p.name.startswith("."))
    assert kept == sorted(Path(c.stored_path).name for c in clips.values())
    assert active_rows(url) == []
    postgres_server.drop_database(url)


def test_a_sqlite_store_is_refused_in_one_line_before_any_upload_is_kept(
    tmp_path: Path,
) -> None:
    local = Store(f"sqlite:///{tmp_path / 'posture.db'}")
    athlete = local.create_athlete("Anna Lee")
    with pytest.raises(cluster.AnalysisError, match="not SQLite"):
        cluster.start(local, athlete.id, NewSession("Week 3", dt.date(2024, 9, 2)),
                      cluster.PipelineSettings(), [Upload(b"x", "a.jpg")], tmp_path / "data",
                      "tcp://127.0.0.1:1")
    assert not (tmp_path / "data").exists()
    assert local.list_sessions(athlete.id) == []
