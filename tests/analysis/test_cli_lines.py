"""The command lines say only their own lines, one line per record, and refuse up front
(issue 11, findings 5 and 6): no TF Lite start-up notes on stderr, names with control
characters escaped, a clip too slow for the low-pass refused before anything is written or
estimated, and ``prune`` of the data folder."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from analysis.errors import AnalysisError
from analysis.pipeline import PipelineSettings, run_file
from analysis.store import Store
from tests.estimator.test_video import write_clip

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def cli(module: str, *args: str | Path, env: dict | None = None
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", module, *map(str, args)], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=900,
                          env=None if env is None else {**os.environ, **env})


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "wall.png"
    cv2.imwrite(str(path), np.full((240, 320, 3), 128, np.uint8))
    return path


# --------------------------------------------------------------------------- stderr


def test_analysing_a_photo_prints_nothing_on_stderr(tmp_path: Path, photo: Path):
    result = cli("analysis", "run", photo, "--athlete", "Anna", "--session", "Wall",
                 "--db", f"sqlite:///{tmp_path / 'p.db'}")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no "INFO: Created TensorFlow Lite XNNPACK delegate", absl...
    assert result.stdout.startswith("stored clip 1: wall.png (photo, 0 people)")


def test_the_estimator_prints_only_its_summary(tmp_path: Path, photo: Path):
    result = cli("estimator", photo, "--out", tmp_path / "wall.json")
    assert result.returncode == 0, result.stderr
    (line,) = result.stderr.split("\n")[:-1]
    assert line.startswith("1 frames, 0 people-frames")


def test_a_file_name_with_a_newline_is_one_escaped_line(tmp_path: Path):
    odd = tmp_path / "notes\nfrom coach\x1b[31m.mp4"
    odd.write_text("not a clip\n")
    result = cli("analysis", "run", odd, "--athlete", "Anna", "--session", "S",
                 "--db", f"sqlite:///{tmp_path / 'p.db'}")
    assert result.returncode == 2
    (line,) = result.stderr.split("\n")[:-1]
    assert line.startswith("error: ") and "notes\\nfrom coach\\x1b[31m.mp4: is a text file" in line
    result = cli("estimator", odd, "--out", tmp_path / "x.json")
    assert result.returncode == 2
    (line,) = result.stderr.split("\n")[:-1]
    assert "notes\\nfrom coach\\x1b[31m.mp4: is a text file" in line


def test_list_prints_one_line_per_record_whatever_the_names(tmp_path: Path):
    """The store cleans names as they are written; rows written before it did (or by
    another program) may hold any character, and still print one line each."""
    url = f"sqlite:///{tmp_path / 'p.db'}"
    store = Store(url)
    athlete = store.get_or_create_athlete("Anna Lee")
    session = store.get_or_create_session(athlete.id, "Monday")
    store.register_clip(session.id, file_name="take 1.jpg", stored_path="/x/take.jpg",
                        sha256="0" * 64, kind="photo", fps=0.0, width=64, height=48,
                        frame_count=1, duration_s=0.0, settings={})
    store.close()
    with sqlite3.connect(tmp_path / "p.db") as db:
        db.execute("UPDATE athletes SET name = ?", ("Anna\x1b[2J Lee",))
        db.execute("UPDATE sessions SET title = ?", ("Monday\u2028squats",))
        db.execute("UPDATE clips SET file_name = ?", ("take\n1.jpg",))
    result = cli("analysis", "list", "--db", url)
    assert result.returncode == 0, result.stderr
    athlete_line, session_line, clip_line = result.stdout.split("\n")[:-1]
    assert athlete_line == "athlete 1: Anna\\x1b[2J Lee"
    assert session_line.endswith("Monday\\u2028squats")
    assert clip_line.startswith("    clip 1: take\\n1.jpg  photo 64x48")


# --------------------------------------------------------------------------- up front


@pytest.fixture
def slow_clip(tmp_path: Path) -> Path:
    return write_clip(tmp_path / "slow.mp4", n_frames=14, fps=7)


def test_a_7_fps_clip_is_refused_before_anything_is_written(tmp_path: Path, slow_clip: Path):
    url = f"sqlite:///{tmp_path / 'p.db'}"
    result = cli("analysis", "run", slow_clip, "--athlete", "Anna", "--session", "Slow",
                 "--db", url)
    assert result.returncode == 2
    (line,) = result.stderr.split("\n")[:-1]
    assert line == (f"error: {slow_clip}: at 7 fps the clip is too slow for the 6 Hz "
                    "smoothing (it needs more than 12 fps): lower the cut-off below 3.5 Hz, "
                    "or turn the smoothing off")
    assert Store(url).list_athletes() == []
    result = cli("analysis", "run", slow_clip, "--athlete", "Anna", "--session", "Slow",
                 "--db", url, "--no-smoothing")
    assert result.returncode == 0, result.stderr


class NoEstimator:
    """Fails the test if a frame is asked for."""

    max_people = 1

    def process(self, _path):
        raise AssertionError("the clip was estimated")


def test_run_file_refuses_a_slow_clip_before_rows_and_estimation(tmp_path: Path,
                                                                 slow_clip: Path):
    store = Store(f"sqlite:///{tmp_path / 'p.db'}")
    with pytest.raises(AnalysisError, match="too slow for the 6 Hz smoothing"):
        run_file(store, slow_clip, "Anna", "Slow", PipelineSettings(), estimator=NoEstimator())
    assert store.list_athletes() == [] and store.list_clips() == []


def test_an_unwritable_copy_folder_refuses_before_rows(tmp_path: Path, photo: Path):
    store = Store(f"sqlite:///{tmp_path / 'p.db'}")
    blocker = tmp_path / "data"
    blocker.write_text("a file, not a folder")
    with pytest.raises(AnalysisError, match="cannot be written to") as caught:
        run_file(store, photo, "Anna", "Wall", estimator=NoEstimator(),
                 copy_to=blocker / "uploads")
    assert str(tmp_path) not in str(caught.value)
    assert store.list_athletes() == []


def test_errors_name_the_users_file_not_the_servers_path(tmp_path: Path):
    store = Store(f"sqlite:///{tmp_path / 'p.db'}")
    kept = tmp_path / "uploads" / f"{'a' * 64}.mp4"
    kept.parent.mkdir()
    kept.write_text("training notes\n")
    with pytest.raises(AnalysisError) as caught:
        run_file(store, kept, "Anna", "S", estimator=NoEstimator(), file_name="notes.mp4")
    assert str(caught.value).startswith("notes.mp4: is a text file")
    assert str(tmp_path) not in str(caught.value)


# --------------------------------------------------------------------------- prune


def test_prune_says_what_it_removed_and_the_bytes_freed(tmp_path: Path):
    from analysis import files

    url = f"sqlite:///{tmp_path / 'p.db'}"
    Store(url).close()
    data = tmp_path / "data"
    (data / "uploads").mkdir(parents=True)
    orphan = data / "uploads" / f"{'a' * 64}.mp4"
    orphan.write_bytes(b"x" * 2500)
    old = time.time() - 2 * files.KEEP_RECENT_S
    os.utime(orphan, (old, old))
    fresh = data / "uploads" / f"{'b' * 64}.jpg"
    fresh.write_bytes(b"y")

    result = cli("analysis", "prune", "--dry-run", "--data", data, "--db", url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:-1] == [
        f"would remove uploads/{orphan.name}",
        f"would remove 1 file, 2.5 kB would be freed in {data}; kept 1 recent file no row "
        "points to yet (younger than 24 h)"]
    assert orphan.exists()

    result = cli("analysis", "prune", "--data", data, "--db", url, "--keep-recent", "0")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:-1] == [
        f"removed uploads/{orphan.name}", f"removed uploads/{fresh.name}",
        f"removed 2 files, 2.5 kB freed in {data}"]
    assert list((data / "uploads").iterdir()) == []
