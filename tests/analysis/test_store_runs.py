"""A run holds its clip: a run that died is told from a live one, its clip is marked
"interrupted" when the store is next opened, and the same file is then analysed again;
while the run lives, a second run of the file refuses. With real processes, killed."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from analysis.errors import AnalysisError
from analysis.store import INTERRUPTED, ClipBusy, ClipInfo, Store
from analysis.store.runs import LEASE_STALE_S, RunOwner, process_started
from tests.analysis.store_fixtures import FPS, analysed, squat_poses

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SPAWN = multiprocessing.get_context("spawn")


def register(store: Store, sha: str = "a") -> tuple[ClipInfo, bool]:
    _athlete, session = store.get_or_create_athlete_session("Anna Lee", "Squats",
                                                            dt.date(2024, 5, 1))
    return store.register_clip(
        session.id, file_name=f"{sha}.mp4", stored_path=f"/clips/{sha}.mp4", sha256=sha * 64,
        kind="video", fps=FPS, width=1280, height=720, frame_count=300, duration_s=10.0,
        settings={},
    )


def _run_and_hang(url: str, ready: Any) -> None:
    """What a run does up to estimating, then estimating for ever (until killed)."""
    with Store(url) as store:
        clip, _ = register(store)
        store.set_clip_status(clip.id, "running")
        beat = store.heartbeat(clip.id, interval_s=0.2)
        ready.set()
        while True:
            beat()
            time.sleep(0.05)


@pytest.fixture
def running(db_url: str) -> Iterator[Any]:
    """Another process running the analysis of ``a.mp4`` (until the test kills it)."""
    ready = SPAWN.Event()
    process = SPAWN.Process(target=_run_and_hang, args=(db_url, ready), daemon=True)
    process.start()
    try:
        assert ready.wait(120), "the run did not start"
        yield process
    finally:
        process.kill()
        process.join(30)


def set_clip(url: str, **values: Any) -> None:
    """Change the stored row of clip 1 as another program would have left it."""
    engine = create_engine(url)
    with engine.begin() as connection:
        assignments = ", ".join(f"{k} = :{k}" for k in values)
        connection.execute(text(f"UPDATE clips SET {assignments} WHERE id = 1"), values)
    engine.dispose()


# ------------------------------------------------------------------ killed, live


def test_a_killed_run_is_marked_interrupted_when_the_store_is_next_opened(
    db_url: str, running: Any
) -> None:
    running.kill()  # SIGKILL: no chance to mark anything
    running.join(30)
    with Store(db_url) as store:
        clip = store.list_clips()[0]
        assert (clip.status, clip.error) == ("failed", INTERRUPTED)
        assert clip.finished_at is not None
        # the same file again: analysed again, by this process
        again, created = register(store)
        assert (again.id, created, again.status, again.error) == (clip.id, True, "pending", None)


def test_a_second_run_refuses_while_the_first_is_alive_then_takes_over_once_it_died(
    db_url: str, running: Any
) -> None:
    with Store(db_url) as store:  # opening leaves a live run alone
        assert store.list_clips()[0].status == "running"
        with pytest.raises(ClipBusy) as refused:
            register(store)
        message = str(refused.value)
        assert message.startswith("a.mp4 is already being analysed in this session by "
                                  f"process {running.pid} on ")
        assert message.endswith("; try again when it has finished.") and "\n" not in message
        assert isinstance(refused.value, AnalysisError)

        running.kill()
        running.join(30)
        clip, created = register(store)  # no reopening needed: the dead run is taken over
        assert (created, clip.status) == (True, "pending")
        store.write_clip_results(clip.id, [analysed(squat_poses(0, 60))])
        assert store.get_clip(clip.id).status == "done"


def test_the_run_renews_its_heartbeat_while_it_progresses_on_a_server(
    db_url: str, running: Any
) -> None:
    def heartbeat() -> dt.datetime:
        engine = create_engine(db_url)
        with engine.connect() as connection:
            value = connection.execute(text("SELECT heartbeat_at FROM clips")).scalar_one()
        engine.dispose()
        return value

    first = heartbeat()
    assert first is not None  # written when the run started
    time.sleep(1.0)  # the run beats every 0.2 s here (every 10 s by default)
    if db_url.startswith("postgresql"):
        assert heartbeat() > first
    else:  # SQLite: one host, runs told alive by their process; nothing to wait for
        assert heartbeat() == first
    with Store(db_url) as store:
        assert store.renew_lease(store.list_clips()[0].id) is False  # not this process's


# ------------------------------------------------------------------ what makes a run dead


def test_a_process_id_reused_by_another_program_is_not_taken_for_the_run(db_url: str) -> None:
    with Store(db_url) as store:
        clip, _ = register(store)
        store.set_clip_status(clip.id, "running")
    # the recorded process id now belongs to a process that started at another time
    me = RunOwner.current()
    set_clip(db_url, owner_pid=me.pid, owner_started=(me.started or 0) - 3600)
    with Store(db_url) as store:
        assert (store.get_clip(clip.id).status, store.get_clip(clip.id).error) == (
            "failed", INTERRUPTED)


def test_a_run_on_another_host_is_live_until_its_heartbeat_is_too_old(db_url: str) -> None:
    with Store(db_url) as store:
        clip, _ = register(store)
        store.set_clip_status(clip.id, "running")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    set_clip(db_url, owner_host="worker-2.club.lan", owner_pid=4242, heartbeat_at=now)
    with Store(db_url) as store, pytest.raises(ClipBusy, match="process 4242 on worker-2"):
        register(store)
    stale = now - dt.timedelta(seconds=LEASE_STALE_S + 60)
    set_clip(db_url, heartbeat_at=stale)
    with Store(db_url) as store:
        assert store.get_clip(clip.id).error == INTERRUPTED


def test_a_clip_left_running_before_runs_had_owners_is_interrupted(db_url: str) -> None:
    with Store(db_url) as store:
        clip, _ = register(store)
    set_clip(db_url, status="running", owner_host=None, owner_pid=None, owner_started=None,
             heartbeat_at=None)
    with Store(db_url) as store:
        assert store.get_clip(clip.id).error == INTERRUPTED


def test_this_process_is_known_by_its_start_time() -> None:
    me = RunOwner.current()
    assert me.pid == os.getpid()
    assert me.started is not None
    assert abs(me.started - process_started(os.getpid())) < 0.05
    started = dt.datetime.fromtimestamp(me.started, dt.UTC)
    assert started <= dt.datetime.now(dt.UTC)


# ------------------------------------------------------------------ the real command, killed


@pytest.mark.media
def test_a_killed_analysis_command_is_run_again_to_the_end(
    short_clip: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'posture.db'}"
    command = [sys.executable, "-m", "analysis", "run", str(short_clip), "--athlete", "Anna",
               "--session", "Rooftop", "--db", url]
    first = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        status = None
        while status != "running" and time.monotonic() < deadline:
            assert first.poll() is None, "the run ended before it could be killed"
            time.sleep(0.05)
            if (tmp_path / "posture.db").exists():
                try:
                    with Store(url) as store:
                        clips = store.list_clips()
                        status = clips[0].status if clips else None
                except AnalysisError:
                    status = None  # created meanwhile
        assert status == "running"
    finally:
        first.kill()
        first.wait(30)

    second = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True,
                            timeout=600)
    assert second.returncode == 0, second.stderr
    with Store(url) as store:
        clips = store.list_clips()
        assert [c.status for c in clips] == ["done"]
        assert clips[0].tracks
