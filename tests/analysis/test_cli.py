"""``python -m analysis``: a coach's batch of files into the database, lists, exports, and
one clear line for every mistake."""

from __future__ import annotations

import csv
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.store import Store

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "analysis", *map(str, args)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=900,
    )


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def analysed_db(
    media_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path, str]:
    """The real clip and a photo run through the command line once, for the tests below."""
    folder = tmp_path_factory.mktemp("cli")
    url = f"sqlite:///{folder / 'posture.db'}"
    result = cli(
        "run", media_dir / "parkour_walk.mp4", media_dir / "images" / "golf.jpg",
        "--athlete", "Anna Lee", "--session", "Rooftop", "--date", "2024-05-01",
        "--height-m", "1.68", "--max-people", "2", "--db", url, "--csv", folder / "out.csv",
        "--rep-angle", "left_knee", "--rep-min-range", "25",
    )
    assert result.returncode == 0, result.stderr
    return url, folder, result.stdout


def test_run_stores_each_file_and_says_what_it_stored(analysed_db: tuple) -> None:
    url, folder, stdout = analysed_db
    assert "stored clip 1: parkour_walk.mp4 (230 frames, " in stdout
    assert "stored clip 2: golf.jpg (photo, 1 person" in stdout
    assert "in session 1 'Rooftop' (2024-05-01) of Anna Lee" in stdout
    with Store(url) as store:
        athlete = store.get_athlete("anna lee")
        assert athlete.height_m == 1.68
        video, photo = store.list_clips(athlete=athlete.id)
        assert (video.status, video.frame_count, photo.kind) == ("done", 230, "photo")
        assert video.settings["height_m"] == 1.68
        n_rows = sum(t.n_frames for t in video.tracks)
    # one angles CSV per input: header and one row per frame and track
    with open(folder / "out_parkour_walk.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][:10] == ["athlete", "session", "date", "clip_id", "file", "frame", "time_s",
                            "track_id", "is_athlete", "left_knee_deg"]
    assert rows[1][:5] == ["Anna Lee", "Rooftop", "2024-05-01", "1", "parkour_walk.mp4"]
    assert len(rows) == 1 + n_rows
    assert (folder / "out_golf.csv").read_text("utf-8").count("\n") == 2


def test_repetitions_are_counted_in_the_angle_asked_for(analysed_db: tuple) -> None:
    """``--rep-angle left_knee --rep-min-range 25``: the woman walking on the grass takes
    four strides with her left leg (see test_parkour_repetitions)."""
    url, _, stdout = analysed_db
    assert "(chosen, at least 25 deg)" in stdout and " in left knee " in stdout
    with Store(url) as store:
        video = store.list_clips()[0]
        assert video.settings["repetitions"]["angle"] == "left_knee"
        assert video.settings["repetitions"]["min_range_deg"] == 25.0
        assert {t.rep_signal for t in video.tracks} == {"left_knee"}
        assert 4 in {t.n_repetitions for t in video.tracks}


def test_an_unknown_repetition_angle_is_one_line_and_stores_nothing(
    tmp_path: Path, media_dir: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'posture.db'}"
    line = one_error_line(cli(
        "run", media_dir / "images" / "golf.jpg", "--athlete", "Anna", "--session", "S",
        "--db", url, "--rep-angle", "knees",
    ))
    assert line.startswith("error: unknown angle 'knees' for repetitions; use an angle name")
    assert cli("list", "--db", url).stdout.strip() == "No athletes yet."


def test_the_same_file_again_is_not_analysed_twice(analysed_db: tuple, media_dir: Path) -> None:
    url, _, _ = analysed_db
    again = cli(
        "run", media_dir / "images" / "golf.jpg", "--athlete", "anna lee",
        "--session", "Rooftop", "--date", "2024-05-01", "--db", url,
    )
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("already stored as clip 2: golf.jpg")


def test_list_export_and_compare(analysed_db: tuple, tmp_path: Path) -> None:
    url, _, _ = analysed_db
    listing = cli("list", "--db", url)
    assert listing.returncode == 0
    assert "athlete 1: Anna Lee, 1.68 m" in listing.stdout
    assert "session 1: 2024-05-01  Rooftop" in listing.stdout
    assert "clip 1: parkour_walk.mp4  video 1768x994, 230 frames, 30 fps  done" in listing.stdout

    summary = tmp_path / "summary.csv"
    exported = cli("export", "--clip", "1", "--csv", summary, "--what", "summary", "--db", url)
    assert exported.returncode == 0, exported.stderr
    header = summary.read_text("utf-8").splitlines()[0]
    assert header.startswith("athlete,session,date,clip_id,file,track_id,is_athlete,angle,min,")

    # the athlete's height is known: the keypoints also in metres, for the athlete only
    keypoints = tmp_path / "keypoints.csv"
    exported = cli("export", "--clip", "1", "--csv", keypoints, "--what", "keypoints",
                   "--db", url)
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(keypoints.open(encoding="utf-8")))
    assert {"nose_x_px", "nose_y_px", "nose_v", "nose_x_m", "nose_y_m"} <= set(rows[0])
    with Store(url) as store:
        athlete_track = store.get_clip(1).athlete_track
    athlete = [r for r in rows if r["track_id"] == str(athlete_track) and r["left_hip_x_m"]]
    assert len(athlete) > 100
    scale = float(athlete[0]["left_hip_x_m"]) / float(athlete[0]["left_hip_x_px"])
    assert 0.0005 < scale < 0.02  # metres per pixel of a person in a 994-pixel-high frame
    assert all(r["left_hip_x_m"] == "" for r in rows if r["track_id"] != str(athlete_track))

    compared = tmp_path / "compare.csv"
    result = cli("compare", "1", "1", "--csv", compared, "--db", url)
    assert result.returncode == 0, result.stderr
    assert "clip 1 (parkour_walk.mp4) -> clip 1 (parkour_walk.mp4)" in result.stdout
    rows = list(csv.DictReader(compared.open(encoding="utf-8")))
    assert {float(r["rom_diff"]) for r in rows if r["rom_diff"]} == {0.0}


def test_an_unknown_clip_is_one_line_and_writes_nothing(analysed_db: tuple, tmp_path: Path) -> None:
    url, _, _ = analysed_db
    out = tmp_path / "nothing.csv"
    line = one_error_line(cli("export", "--clip", "99", "--csv", out, "--db", url))
    assert line == "error: No clip 99 in the database."
    assert not out.exists()
    assert "a photo" in one_error_line(cli("compare", "1", "2", "--db", url))


def test_a_missing_or_unreadable_file_is_one_line_and_stores_nothing(
    tmp_path: Path, media_dir: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'posture.db'}"
    missing = tmp_path / "nope.mp4"
    line = one_error_line(cli(
        "run", media_dir / "images" / "golf.jpg", missing, "--athlete", "Anna",
        "--session", "S", "--db", url, "--csv", tmp_path / "a.csv",
    ))
    assert "nope.mp4" in line
    garbage = tmp_path / "holiday.jpg"
    garbage.write_bytes(b"\x00\x01 definitely not a photo" * 40)
    assert "holiday.jpg" in one_error_line(cli(
        "run", garbage, "--athlete", "Anna", "--session", "S", "--db", url,
    ))
    assert cli("list", "--db", url).stdout.strip() == "No athletes yet."
    assert not (tmp_path / "a.csv").exists()


def test_a_locked_database_is_one_line_and_stores_nothing(tmp_path: Path, media_dir: Path) -> None:
    db = tmp_path / "posture.db"
    Store(f"sqlite:///{db}").close()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another program is writing
    try:
        line = one_error_line(cli(
            "run", media_dir / "images" / "golf.jpg", "--athlete", "Anna", "--session", "S",
            "--db", f"sqlite:///{db}?timeout=0.5", "--csv", tmp_path / "a.csv",
        ))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert "is locked by another program" in line
    assert not (tmp_path / "a.csv").exists()
    with Store(f"sqlite:///{db}") as store:
        assert store.list_athletes() == []


def test_an_unreachable_database_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    line = one_error_line(cli("list", "--db", f"sqlite:///{blocker}/posture.db"))
    assert "a-file" in line
    assert "Cannot use the database URL" in one_error_line(cli("list", "--db", "nosuch://x/y"))
