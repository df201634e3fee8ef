"""``python -m analysis batch`` on this machine's cores into SQLite: real clips, a photo
and a corrupt clip; a re-run skips what is done and retries what failed; Ctrl-C (sent to
the whole process group, as a terminal does) stops scheduling, and a second one abandons
the running file, leaving no row "running"."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analysis.batch import DONE, FAILED, SKIPPED, LocalEngine, plan, run_batch
from tests.analysis.batch_media import active_rows, cut_clip, season_archive, stored_clips

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def statuses(report: object) -> dict[str, str]:
    return {Path(r.path).name: r.status for r in report.results}  # type: ignore[attr-defined]


def test_local_engine_on_sqlite_then_a_rerun_skips_done_files_and_retries_failed_ones(
    media_dir: Path, tmp_path: Path
) -> None:
    files = season_archive(media_dir, tmp_path / "season")
    url = f"sqlite:///{tmp_path / 'posture.db'}"

    first = run_batch(plan([tmp_path / "season"]), "Season", LocalEngine(2), db_url=url)
    assert statuses(first) == {"walk1.mp4": DONE, "walk2.mp4": DONE, "walk3.mp4": DONE,
                               "golf.jpg": DONE, "broken.mp4": FAILED}
    assert first.exit_status() == 1
    assert first.failure_lines() == [
        f"failed: {files['broken']}: truncated: the file has 5000 bytes but its container "
        "expects 3968304 (incomplete copy or download?)"]
    assert first.engine == "2 local processes"
    assert len({r.worker for r in first.results if r.status == DONE}) <= 2
    clips = stored_clips(url)
    assert sorted(clips) == [("Anna Lee", "walk1.mp4"), ("Anna Lee", "walk2.mp4"),
                             ("Ben Ode", "golf.jpg"), ("Ben Ode", "walk3.mp4")]
    walk2_id = clips[("Anna Lee", "walk2.mp4")].id

    # Between the runs: walk2's run was killed (the store marked it failed, "interrupted"),
    # and the coach copied the truncated clip again, whole this time.
    with sqlite3.connect(tmp_path / "posture.db") as db:
        db.execute("UPDATE clips SET status = 'failed', error = 'interrupted' WHERE id = ?",
                   (walk2_id,))
    cut_clip(media_dir / "parkour_walk.mp4", files["broken"], 150, 30)

    second = run_batch(plan([tmp_path / "season"]), "Season", LocalEngine(2), db_url=url)
    assert statuses(second) == {"walk1.mp4": SKIPPED, "walk2.mp4": DONE,
                                "walk3.mp4": SKIPPED, "golf.jpg": SKIPPED, "broken.mp4": DONE}
    assert second.exit_status() == 0 and second.failure_lines() == []
    again = stored_clips(url)
    assert len(again) == 5
    assert again[("Anna Lee", "walk2.mp4")].id == walk2_id  # the same row, analysed again
    assert active_rows(url) == []


# ------------------------------------------------------------------ Ctrl-C


@pytest.fixture(scope="module")
def long_clips(media_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three 3 s clips of one athlete: each takes seconds to analyse on one core."""
    folder = tmp_path_factory.mktemp("long") / "Cara Diaz"
    for i, start in enumerate((0, 60, 120)):
        cut_clip(media_dir / "parkour_walk.mp4", folder / f"run{i + 1}.mp4", start, 90)
    return folder.parent


def start_batch(folder: Path, db: Path) -> subprocess.Popen[str]:
    """The batch command with one worker process, in a process group of its own (so that
    Ctrl-C can be sent to the group, as a terminal sends it)."""
    return subprocess.Popen(
        [sys.executable, "-m", "analysis", "batch", str(folder), "--session", "Intervals",
         "--workers", "1", "--db", f"sqlite:///{db}"],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )


def wait_for_running_clip(db: Path, process: subprocess.Popen[str], timeout_s: float = 300
                          ) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as con:
                if con.execute("SELECT 1 FROM clips WHERE status = 'running'").fetchone():
                    return
        except sqlite3.OperationalError:
            pass  # the database or its tables are not there yet
        time.sleep(0.05)
    raise AssertionError("no clip started running")


def ctrl_c(process: subprocess.Popen[str]) -> None:
    import os

    os.killpg(process.pid, signal.SIGINT)


def clip_rows(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as con:
        return con.execute("SELECT file_name, status FROM clips ORDER BY file_name").fetchall()


def test_ctrl_c_stops_scheduling_and_the_running_file_finishes(
    long_clips: Path, tmp_path: Path
) -> None:
    db = tmp_path / "posture.db"
    process = start_batch(long_clips, db)
    wait_for_running_clip(db, process)
    ctrl_c(process)
    out, err = process.communicate(timeout=300)

    assert process.returncode == 130, err
    assert "Traceback" not in err
    assert "stopping: no new file starts; 1 running file finishes (Ctrl-C again" in err
    assert clip_rows(db) == [("run1.mp4", "done")]  # finished and kept, whole
    assert [line for line in err.splitlines() if line.startswith("cancelled: ")] == [
        f"cancelled: {long_clips / 'Cara Diaz' / name}: not started: the batch was stopped"
        for name in ("run2.mp4", "run3.mp4")]
    assert "3 files: 1 analysed, 0 failed, 2 cancelled" in out
    assert active_rows(f"sqlite:///{db}") == []


def test_a_second_ctrl_c_abandons_the_running_file_and_keeps_nothing_of_it(
    long_clips: Path, tmp_path: Path
) -> None:
    db = tmp_path / "posture.db"
    process = start_batch(long_clips, db)
    wait_for_running_clip(db, process)
    ctrl_c(process)
    time.sleep(0.5)  # a 3 s clip on one core is still running
    ctrl_c(process)
    out, err = process.communicate(timeout=300)

    assert process.returncode == 130, err
    assert "abandoning the running files: nothing of them is kept" in err
    assert (f"cancelled: {long_clips / 'Cara Diaz' / 'run1.mp4'}: cancelled while running: "
            "nothing of it was kept") in err.splitlines()
    assert "3 files: 0 analysed, 0 failed, 3 cancelled" in out
    assert clip_rows(db) == []  # no row of the abandoned clip, none "running"
