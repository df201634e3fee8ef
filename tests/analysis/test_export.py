"""CSV exports open in a spreadsheet as they are, and never run what a user typed."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from analysis.angles import angle_names
from analysis.errors import AnalysisError
from analysis.export import (
    angles_table,
    comparison_table,
    csv_bytes,
    csv_text,
    export_clip,
    neutralise,
)
from analysis.filtering import CleanSettings
from analysis.pipeline import compare_stored_clips
from analysis.store import Store, TrackResult
from analysis.track import analyse_track
from estimator.keypoints import KEYPOINT_NAMES
from tests.analysis.store_fixtures import FPS, squat_poses
from tests.analysis.store_fixtures import analysed as analysed_poses

HOSTILE_ATHLETE = '=HYPERLINK("http://evil.example","click")'
HOSTILE_SESSION = "+SUM(A1:A9)"
HOSTILE_FILE = "@cmd|' /C calc'!A0.mp4"


def analysed(track_id: int, n_frames: int, first_frame: int = 0, **motion: float) -> TrackResult:
    return analysed_poses(
        squat_poses(track_id, n_frames, first_frame=first_frame, seed=track_id, **motion)
    )


def add_clip(store: Store, session_id: int, sha: str, file_name: str, *results) -> int:
    clip, _ = store.register_clip(
        session_id, file_name=file_name, stored_path=f"/clips/{sha}.mp4", sha256=sha * 64,
        kind="video", fps=FPS, width=1280, height=720, frame_count=300, duration_s=10.0,
        settings={},
    )
    store.write_clip_results(clip.id, list(results))
    return clip.id


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(f"sqlite:///{tmp_path / 'posture.db'}") as s:
        yield s


@pytest.fixture
def hostile_clip(store: Store) -> int:
    """A clip of two people, whose athlete, session and file names are formulas."""
    athlete = store.create_athlete(HOSTILE_ATHLETE)
    session = store.create_session(athlete.id, HOSTILE_SESSION, dt.date(2024, 5, 1))
    # person 0 through the whole clip, person 1 from frame 200 on
    return add_clip(
        store, session.id, "a", HOSTILE_FILE, analysed(0, 300), analysed(1, 100, 200)
    )


def read_csv(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def test_the_angles_csv_has_one_row_per_frame_and_track_with_design_names(
    store: Store, hostile_clip: int, tmp_path: Path
) -> None:
    path = export_clip(store, hostile_clip, tmp_path / "angles.csv", "angles")
    rows = read_csv(path)
    # who and what first, then the angles named with their unit (issue 10, defect 8)
    assert rows[0] == ["athlete", "session", "date", "clip_id", "file", "frame", "time_s",
                       "track_id", "is_athlete",
                       *[f"{n}_deg" for n in angle_names(with_3d=True)], "sides_corrected",
                       "joints_corrected"]
    assert "left_knee_deg" in rows[0] and "left_knee_3d_deg" in rows[0]
    assert len(rows) == 1 + 300 + 100
    first = dict(zip(rows[0], rows[1], strict=True))
    assert (first["frame"], first["time_s"], first["track_id"]) == ("0", "0.0", "0")
    assert (first["athlete"], first["session"], first["file"]) == (
        "'" + HOSTILE_ATHLETE, "'" + HOSTILE_SESSION, "'" + HOSTILE_FILE)
    assert (first["date"], first["clip_id"]) == ("2024-05-01", str(hostile_clip))
    # dot decimal, plain numbers a spreadsheet reads as such
    knee = float(first["left_knee_deg"])
    assert 0 <= knee < 5 and "," not in first["left_knee_deg"]
    # rows by frame then track: frame 0..199 have one person, 200..299 two; the first
    # person is the athlete
    track = rows[0].index("track_id")
    assert [(r[track], r[track + 1]) for r in rows[201:205]] == [
        ("0", "True"), ("1", "False"), ("0", "True"), ("1", "False")]


def test_the_keypoints_csv_has_x_y_v_for_the_33_keypoints(
    store: Store, hostile_clip: int, tmp_path: Path
) -> None:
    rows = read_csv(export_clip(store, hostile_clip, tmp_path / "k.csv", "keypoints"))
    expected = [f"{n}_{c}" for n in KEYPOINT_NAMES for c in ("x_px", "y_px", "v")]
    # no height known: pixels only, no metres columns
    assert rows[0] == ["frame", "time_s", "track_id", *expected, "sides_corrected",
                       "joints_corrected"]
    assert len(rows) == 401
    nose_x = float(rows[1][3])
    assert 0 < nose_x < 1280


def test_formulas_typed_by_users_are_neutralised_in_every_csv(
    store: Store, hostile_clip: int, tmp_path: Path
) -> None:
    session = store.list_sessions()[0]
    other = add_clip(store, session.id, "b", "-2+3.mp4", analysed(0, 300, depth_deg=60))
    texts = [
        Path(export_clip(store, hostile_clip, tmp_path / f"{what}.csv", what)).read_text("utf-8")
        for what in ("angles", "keypoints", "summary")
    ]
    comparison = compare_stored_clips(store, hostile_clip, other)
    texts.append(
        csv_text(comparison_table(comparison, store.get_clip(hostile_clip), store.get_clip(other)))
    )
    angles = list(csv.DictReader(io.StringIO(texts[0])))
    assert angles[0]["athlete"] == "'" + HOSTILE_ATHLETE
    assert angles[0]["file"] == "'" + HOSTILE_FILE
    summary = list(csv.DictReader(io.StringIO(texts[2])))
    assert summary[0]["athlete"] == "'" + HOSTILE_ATHLETE
    assert summary[0]["session"] == "'" + HOSTILE_SESSION
    assert summary[0]["file"] == "'" + HOSTILE_FILE
    compared = list(csv.DictReader(io.StringIO(texts[3])))
    assert compared[0]["file_b"] == "'-2+3.mp4"
    for text in texts:
        for row in csv.reader(io.StringIO(text)):
            for cell in row:
                if cell.startswith(("=", "+", "-", "@", "\t", "\r")):
                    float(cell)  # only numbers may start so (a negative angle)


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+44 20", "'+44 20"),
        ("-cmd", "'-cmd"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTab", "'\tTab"),
        ("\rCR", "'\rCR"),
        ("Anna = fast", "Anna = fast"),
        ("", ""),
        (-12.5, -12.5),
    ],
)
def test_neutralise_prefixes_formula_starts_only(typed: object, written: object) -> None:
    assert neutralise(typed) == written


def test_csv_bytes_are_utf8_with_a_header_and_dot_decimals(store: Store) -> None:
    athlete = store.create_athlete("Zoë Ørsted")
    session = store.create_session(athlete.id, "Sprünge")
    clip = add_clip(store, session.id, "c", "Übung.mp4", analysed(0, 60))
    data = csv_bytes(angles_table(store, clip))
    text = data.decode("utf-8")
    assert text.startswith("athlete,session,date,clip_id,file,frame,time_s,track_id,"
                           "is_athlete,left_knee_deg,")
    assert text.splitlines()[1].startswith(f"Zoë Ørsted,Sprünge,{dt.date.today()},{clip},"
                                           "Übung.mp4,0,")
    assert text.count("\n") == 61
    summary = export_clip(store, clip, Path(store.url.split("///")[1]).parent / "s.csv", "summary")
    assert "Zoë Ørsted,Sprünge," in summary.read_text("utf-8")


def test_a_clip_without_results_cannot_be_exported(store: Store, tmp_path: Path) -> None:
    athlete = store.create_athlete("Anna")
    session = store.create_session(athlete.id, "Squats")
    clip, _ = store.register_clip(
        session.id, file_name="x.mp4", stored_path="/x.mp4", sha256="d" * 64, kind="video",
        fps=FPS, width=1, height=1, frame_count=1, duration_s=0.1, settings={},
    )
    store.set_clip_status(clip.id, "failed", "the file is truncated")
    with pytest.raises(AnalysisError, match="no results to export .failed: the file is trunc"):
        export_clip(store, clip.id, tmp_path / "x.csv")
    with pytest.raises(AnalysisError, match="No clip 42"):
        export_clip(store, 42, tmp_path / "x.csv")
    assert not (tmp_path / "x.csv").exists()


def test_a_clip_stored_with_impossible_values_is_exported_within_the_ranges(
    store: Store, tmp_path: Path
) -> None:
    """What the analysis stored before angles were bounded: a cleaned knee at -9.5, a
    hip at 188, a forearm summarised from 130 to 456 along its arc."""
    result = analysed(0, 300)
    angles = result.analysis.angles.copy()
    angles.loc[10, "left_knee"], angles.loc[11, "right_hip"] = -9.5, 188.0
    summary = result.analysis.summary.copy()
    summary.loc["left_forearm", ["min", "max", "rom"]] = [130.0, 456.0, 326.0]
    summary.loc["left_knee", "min"] = -9.5
    old = dataclasses.replace(result.analysis, angles=angles, summary=summary)
    athlete = store.create_athlete("Ann")
    session = store.create_session(athlete.id, "Jumps", dt.date(2024, 5, 1))
    clip = add_clip(store, session.id, "b", "jumps.mp4", TrackResult(result.poses, old))

    rows = read_csv(export_clip(store, clip, tmp_path / "angles.csv", "angles"))
    by_name = dict(zip(rows[0], zip(*rows[1:], strict=True), strict=True))
    assert float(by_name["left_knee_deg"][10]) == 0.0
    assert float(by_name["right_hip_deg"][11]) == 180.0

    rows = read_csv(export_clip(store, clip, tmp_path / "summary.csv", "summary"))
    table = {r[rows[0].index("angle")]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    forearm = table["left_forearm"]
    assert (float(forearm["min"]), float(forearm["max"]), float(forearm["rom"])) == (
        130.0, 96.0, 326.0)
    assert float(table["left_knee"]["min"]) == 0.0
    for row in table.values():
        for stat in ("min", "max"):
            assert row[stat] == "" or -180.0 < float(row[stat]) <= 180.0  # "": never seen


def test_the_keypoints_csv_is_also_in_metres_when_the_athletes_height_is_known(
    store: Store, tmp_path: Path
) -> None:
    """Issue 10, defect 8: with a height, ``<name>_x_m`` / ``_y_m`` beside the pixels, for
    the athlete (whose body gives the scale); another person's metres are empty."""
    athlete = store.create_athlete("Anna", height_m=1.70)
    session = store.create_session(athlete.id, "Squats", dt.date(2024, 5, 1))
    poses = squat_poses(0, 120, seed=0)
    measured = analyse_track(poses.keypoints, poses.world, poses.times, FPS, CleanSettings(),
                             height_m=1.70)
    clip = add_clip(store, session.id, "m", "squat.mp4", TrackResult(poses, measured),
                    analysed(1, 120))
    scale = store.get_clip(clip).tracks[0].scale_m_per_px
    assert scale is not None and 0.001 < scale < 0.02

    rows = read_csv(export_clip(store, clip, tmp_path / "k.csv", "keypoints"))
    header = rows[0]
    pixels = [f"{n}_{c}" for n in KEYPOINT_NAMES for c in ("x_px", "y_px", "v")]
    metres = [f"{n}_{c}" for n in KEYPOINT_NAMES for c in ("x_m", "y_m")]
    assert header == ["frame", "time_s", "track_id", *pixels, *metres, "sides_corrected",
                      "joints_corrected"]
    table = [dict(zip(header, r, strict=True)) for r in rows[1:]]
    athlete_row = next(r for r in table if r["track_id"] == "0" and r["frame"] == "0")
    for axis in ("x", "y"):
        px = float(athlete_row[f"left_ankle_{axis}_px"])
        assert float(athlete_row[f"left_ankle_{axis}_m"]) == pytest.approx(px * scale, abs=1e-3)
    # standing at frame 0: ankle to nose is most of their 1.70 m
    span = float(athlete_row["left_ankle_y_m"]) - float(athlete_row["nose_y_m"])
    assert 1.2 < span < 1.7
    other = next(r for r in table if r["track_id"] == "1")
    assert other["nose_x_m"] == "" and other["nose_x_px"] != ""
