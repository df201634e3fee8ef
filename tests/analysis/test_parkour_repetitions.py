"""The woman's walking steps in parkour_walk.mp4 are repetitions when the knee is chosen.

She walks on the grass, seen from the side, from clip frame 40 to 198 (30 fps),
her left side to the camera. Checked by eye on the frames: her left leg swings
through (knee most bent) at clip frames 71, 107, 142 and 182, her right leg in
between, at 89, 125 and 162 and once as her track starts (about frame 53). Skipped
with a reason when ../shared/media is absent.
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis.repetitions import RepSettings
from analysis.store import TrackPoses
from analysis.track import TrackAnalysis, analyse_track, repetitions_of

FPS = 30.0
LEFT_SWINGS = [71, 107, 142, 182]
STEPS = [46, 71, 90, 106, 125, 143, 161, 181]  # both legs, in the knees' mean
FRAMES = 3  # 0.1 s


@pytest.fixture(scope="module")
def woman(parkour_people: dict[str, TrackPoses]) -> tuple[TrackPoses, TrackAnalysis]:
    poses = parkour_people["woman"]
    return poses, analyse_track(poses.keypoints, poses.world, poses.times, FPS)


def peak_frames(poses: TrackPoses, view) -> np.ndarray:
    return poses.frames[view.found.repetitions["peak_frame"].to_numpy()]


def test_her_left_knee_counts_each_stride_of_her_left_leg(woman) -> None:
    poses, analysis = woman
    view = repetitions_of(analysis, RepSettings(angle="left_knee"))
    assert view.found.signal_name == "left_knee" and not view.found.automatic
    np.testing.assert_allclose(peak_frames(poses, view), LEFT_SWINGS, atol=FRAMES)
    reps = view.found.repetitions
    assert (reps["rom"] > 45).all() and (reps["rom"] < 90).all()
    np.testing.assert_allclose(reps["cycle_s"].iloc[:-1], 1.2, atol=0.15)  # one stride


def test_both_her_knees_count_every_step(woman) -> None:
    poses, analysis = woman
    view = repetitions_of(analysis, RepSettings(angle="knee"))
    np.testing.assert_allclose(peak_frames(poses, view), STEPS, atol=FRAMES)


def test_the_step_symmetry_follows_the_knee_chosen(woman) -> None:
    _, analysis = woman
    view = repetitions_of(analysis, RepSettings(angle="left_knee"))
    per_rep = view.symmetry_per_repetition
    assert sorted(set(per_rep["rep"])) == [1, 2, 3, 4]
    knee = per_rep[per_rep["pair"] == "knee"]
    assert knee[["rom_left", "rom_right"]].notna().all(axis=None)


def test_by_default_her_walking_is_found_in_a_knee(woman) -> None:
    poses, analysis = woman
    assert analysis.rep_signal in ("knee", "left_knee", "right_knee")
    expected = {"knee": STEPS, "left_knee": LEFT_SWINGS}.get(analysis.rep_signal)
    if expected is not None:
        found = poses.frames[analysis.repetitions["peak_frame"].to_numpy()]
        np.testing.assert_allclose(found, expected, atol=FRAMES)
    else:
        assert len(analysis.repetitions) == 4
