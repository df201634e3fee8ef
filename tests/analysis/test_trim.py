"""A clip trimmed to the movement: the trim is stored, the metrics and the CSV exports
cover the trimmed frames only, the poses stay whole, and undoing the trim restores all."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from analysis.errors import AnalysisError
from analysis.export import angles_table, keypoints_table, summary_table
from analysis.store import Store, TrackResult
from tests.analysis.store_fixtures import FPS, analysed, squat_poses

TOL_DEG = 0.05


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(f"sqlite:///{tmp_path / 'posture.db'}") as s:
        yield s


def add_clip(store: Store, *results: TrackResult) -> int:
    athlete = store.get_or_create_athlete("Anna Lee")
    session = store.get_or_create_session(athlete.id, "Squats", dt.date(2024, 5, 1))
    clip, _ = store.register_clip(
        session.id, file_name="squat.mp4", stored_path="/clips/squat.mp4", sha256="t" * 64,
        kind="video", fps=FPS, width=1280, height=720, frame_count=300, duration_s=10.0,
        settings={"clean": {}},
    )
    store.write_clip_results(clip.id, list(results), athlete_track=0)
    return clip.id


@pytest.fixture
def clip(store: Store) -> int:
    """Person 0 squats every 2 s through frames 0-299 (5 repetitions, peaks at 1, 3, 5,
    7, 9 s); person 1 only in frames 200-299."""
    return add_clip(store, analysed(squat_poses(0, 300)),
                    analysed(squat_poses(1, 100, first_frame=200, seed=1)))


def test_a_trim_is_stored_and_the_metrics_cover_its_frames_only(store: Store, clip: int
                                                                ) -> None:
    before = store.read_analysis(clip, 0)
    assert len(before.repetitions) == 5
    poses_before = store.read_poses(clip)

    trimmed = store.set_trim(clip, 0, 119)  # the first two squats (peaks at 1 s and 3 s)
    assert trimmed.trim == (0, 119)
    with Store(store.url) as reopened:  # kept, not a property of this object
        assert reopened.get_clip(clip).trim == (0, 119)
        assert reopened.get_clip(clip).settings["clean"] == {}  # other settings kept

    after = store.read_analysis(clip, 0)
    assert len(after.repetitions) == 2  # the three squats after frame 119 are gone
    assert after.repetitions["peak_s"].tolist() == pytest.approx([1.0, 3.0], abs=0.05)
    angles = store.read_angles(clip, 0)
    assert angles["frame"].min() == 0 and angles["frame"].max() == 119
    assert len(angles) == 120
    assert store.get_clip(clip).tracks[0].n_repetitions == 2
    # ROM over the trimmed frames equals the range of the trimmed angle values
    knee = angles["left_knee"].to_numpy(float)
    rom = float(after.summary.loc["left_knee", "rom"])
    assert rom == pytest.approx(np.nanmax(knee) - np.nanmin(knee), abs=0.05)
    # person 1 is not seen within the trim: no metrics for them
    assert store.read_angles(clip, 1).empty
    # what the model read stays stored whole
    assert store.read_poses(clip).equals(poses_before)


def test_the_exports_cover_the_trimmed_frames_only(store: Store, clip: int) -> None:
    store.set_trim(clip, 45, 200)
    a = angles_table(store, clip)
    k = keypoints_table(store, clip)
    assert (a["frame"].min(), a["frame"].max()) == (45, 200)
    assert (k["frame"].min(), k["frame"].max()) == (45, 200)
    assert set(a["track_id"]) == {0, 1} and a[a["track_id"] == 1]["frame"].tolist() == [200]
    assert len(k[k["track_id"] == 0]) == 156
    summary = summary_table(store, clip, 0)
    knee = a[a["track_id"] == 0]["left_knee_deg"].to_numpy(float)
    row = summary[summary["angle"] == "left_knee"].iloc[0]
    assert float(row["rom"]) == pytest.approx(np.nanmax(knee) - np.nanmin(knee), abs=0.1)


def test_undoing_the_trim_restores_every_frame_and_repetition(store: Store, clip: int
                                                             ) -> None:
    full_angles = store.read_angles(clip, 0)
    full_summary = store.read_analysis(clip, 0).summary
    store.set_trim(clip, 60, 150)
    assert len(store.read_analysis(clip, 0).repetitions) < 5

    restored = store.clear_trim(clip)
    assert restored.trim is None and "trim" not in restored.settings
    assert len(store.read_analysis(clip, 0).repetitions) == 5
    assert len(keypoints_table(store, clip)) == 400
    again = store.read_angles(clip, 0)
    assert again["frame"].tolist() == full_angles["frame"].tolist()
    # the stored poses are fixed point (0.01 px): recomputed angles agree to ~0.01°
    assert np.allclose(again["left_knee"], full_angles["left_knee"], atol=TOL_DEG,
                       equal_nan=True)
    assert np.allclose(store.read_analysis(clip, 0).summary["rom"], full_summary["rom"],
                       atol=TOL_DEG, equal_nan=True)
    assert store.clear_trim(clip).trim is None  # a second undo changes nothing


def test_a_correction_made_on_a_trimmed_clip_keeps_the_trim(store: Store, clip: int) -> None:
    store.set_trim(clip, 0, 119)
    store.add_swap_correction(clip, 0, 10, 20, ["legs"])
    assert store.read_angles(clip, 0)["frame"].max() == 119
    assert len(store.read_analysis(clip, 0).repetitions) == 2


@pytest.mark.parametrize(("first", "last", "message"), [
    (50, 50, "from a frame to a later one within 0–299"),
    (120, 60, "not 120–60"),
    (-1, 60, "not -1–60"),
    (0, 300, "within 0–299"),
    (1.5, 60, "whole number"),
])
def test_a_wrong_trim_is_refused_in_one_line_and_changes_nothing(
    store: Store, clip: int, first: object, last: object, message: str
) -> None:
    with pytest.raises(AnalysisError, match=message) as caught:
        store.set_trim(clip, first, last)  # type: ignore[arg-type]
    assert "\n" not in str(caught.value)
    assert store.get_clip(clip).trim is None
    assert len(store.read_analysis(clip, 0).repetitions) == 5


def test_an_unknown_clip_is_refused(store: Store) -> None:
    with pytest.raises(AnalysisError, match="No clip 99"):
        store.set_trim(99, 0, 10)
