"""Two clips played together: A's frames mapped onto B's on the movement's phase, and B's
skeleton placed over A as a ghost (analysis/phase_sync.py)."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.errors import AnalysisError
from analysis.filtering import CleanSettings
from analysis.phase_sync import (
    body_size,
    frame_map,
    ghost_keypoints,
    key_frame_anchors,
    phase_percent,
    repetition_anchors,
)
from analysis.track import analyse_track
from estimator import KEYPOINT_INDEX
from tests.dashboard.conftest import squat_poses

HIP = KEYPOINT_INDEX["left_hip"], KEYPOINT_INDEX["right_hip"]


def mid_hip(kp: np.ndarray) -> np.ndarray:
    return kp[..., HIP, :2].mean(axis=-2)


def test_whole_clips_are_stretched_end_to_end():
    sync = frame_map(101, 51, np.empty((0, 2)), by="clip")
    assert sync.b_of_a[0] == 0 and sync.b_of_a[-1] == 50
    assert sync.b_of_a[50] == 25  # half of A is half of B
    assert np.all(np.diff(sync.b_of_a) >= 0)
    assert sync.anchors.tolist() == [[0, 0], [100, 50]]


def test_anchors_are_hit_exactly_and_time_runs_forwards():
    sync = frame_map(100, 200, np.array([[10, 40], [50, 60], [90, 190]]), by="key_frames")
    assert [sync.b_of_a[a] for a in (10, 50, 90)] == [40, 60, 190]
    assert sync.b_of_a[30] == 50  # halfway between the first two anchors
    assert sync.b_of_a[0] == 0 and sync.b_of_a[99] == 199
    assert np.all(np.diff(sync.b_of_a) >= 0)


def test_anchors_out_of_order_or_outside_the_clips_are_dropped():
    sync = frame_map(100, 100, np.array([[10, 50], [20, 40], [30, 60], [500, 5]]))
    assert sync.anchors.tolist() == [[0, 0], [10, 50], [30, 60], [99, 99]]
    assert np.all(np.diff(sync.b_of_a) >= 0)


def test_a_clip_of_one_frame_and_refusals():
    assert frame_map(5, 1, np.empty((0, 2))).b_of_a.tolist() == [0] * 5
    assert frame_map(1, 9, np.empty((0, 2))).b_of_a.tolist() == [0]
    with pytest.raises(AnalysisError):
        frame_map(0, 10, np.empty((0, 2)))
    with pytest.raises(AnalysisError):
        frame_map(10, 10, np.empty((0, 2)), by="tempo")


def test_key_frames_pair_in_order_the_fewer_of_them():
    assert key_frame_anchors([40, 10, 70], [15, 55]).tolist() == [[10, 15], [40, 55]]
    assert key_frame_anchors([], [3]).shape == (0, 2)


def squat(n_frames: int, period_s: float):
    poses = squat_poses(n_frames, 30.0, period_s=period_s)
    analysis = analyse_track(poses.keypoints, None, poses.times, 30.0, CleanSettings())
    return poses, analysis


def test_two_tempos_line_up_deepest_on_deepest():
    """A squats every 1.5 s, B every 2.4 s: at each of A's deepest frames B is at its own."""
    poses_a, a = squat(150, 1.5)
    poses_b, b = squat(240, 2.4)
    assert len(a.repetitions) >= 2 and len(b.repetitions) >= 2
    anchors = repetition_anchors(a.repetitions, b.repetitions, poses_a.frames, poses_b.frames)
    sync = frame_map(150, 240, anchors, by="repetition")
    knee_a = a.angles["left_knee"].to_numpy()
    knee_b = b.angles["left_knee"].to_numpy()
    for k in range(min(len(a.repetitions), len(b.repetitions))):
        peak_a = int(a.repetitions["peak_frame"].iloc[k])
        peak_b = int(b.repetitions["peak_frame"].iloc[k])
        assert sync.b_of_a[peak_a] == peak_b
        # ... and that really is B's deepest squat: within a degree of its maximum.
        assert knee_b[sync.b_of_a[peak_a]] == pytest.approx(knee_b.max(), abs=1.5)
        assert knee_a[peak_a] == pytest.approx(knee_a.max(), abs=1.5)
    # Between anchors, B's knee follows A's: the curves agree frame for frame.
    inside = slice(int(a.repetitions["start_frame"].iloc[0]),
                   int(a.repetitions["end_frame"].iloc[0]))
    gap = np.abs(knee_a[inside] - knee_b[sync.b_of_a[inside]])
    assert np.nanmedian(gap) < 6


def test_phase_percent_of_a_clip_and_of_repetitions():
    assert phase_percent(5, None).tolist() == [0, 25, 50, 75, 100]
    pct = phase_percent(12, np.array([[2, 6], [6, 10]]))
    assert np.isnan(pct[:2]).all() and np.isnan(pct[11])
    assert pct[2] == 0 and pct[4] == 50 and pct[10] == 100


def test_the_ghost_sits_on_as_hips_at_as_size():
    poses_a, _ = squat(60, 1.5)
    kp_a = poses_a.keypoints.astype(float)
    # B: the same squat, half the size, elsewhere in the frame and three times slower.
    kp_b = np.repeat(kp_a, 3, axis=0)
    kp_b[..., :2] = kp_b[..., :2] * 0.5 + np.array([400.0, 20.0])
    b_of_a = np.arange(60) * 3
    ghost = ghost_keypoints(kp_a, kp_b, b_of_a)
    assert body_size(kp_b) == pytest.approx(0.5 * body_size(kp_a))
    assert ghost.shape == kp_a.shape
    np.testing.assert_allclose(mid_hip(ghost), mid_hip(kp_a), atol=1e-6)
    np.testing.assert_allclose(ghost[..., :2], kp_a[..., :2], atol=1e-3)  # same pose: same place


def test_the_ghost_is_hidden_where_a_hip_is_not_seen_and_refused_without_a_body():
    poses_a, _ = squat(30, 1.5)
    kp_a = poses_a.keypoints.astype(float)
    kp_b = kp_a.copy()
    kp_a[5, HIP[0], 2] = 0.1  # A's left hip unseen in frame 5
    kp_b[7, HIP[1], 2] = 0.0  # B's right hip unseen in frame 7
    ghost = ghost_keypoints(kp_a, kp_b, np.arange(30))
    assert (ghost[5, :, 2] == 0).all() and (ghost[7, :, 2] == 0).all()
    assert (ghost[6, :, 2] > 0.5).all()
    nobody = kp_b.copy()
    nobody[..., 2] = 0
    with pytest.raises(AnalysisError):
        ghost_keypoints(kp_a, nobody, np.arange(30))


def test_leg_length_when_the_torso_is_never_seen():
    poses, _ = squat(10, 1.5)
    kp = poses.keypoints.astype(float)
    kp[:, [KEYPOINT_INDEX["left_shoulder"], KEYPOINT_INDEX["right_shoulder"]], 2] = 0
    hip, ankle = mid_hip(kp), kp[:, [KEYPOINT_INDEX["left_ankle"],
                                     KEYPOINT_INDEX["right_ankle"]], :2].mean(axis=1)
    assert body_size(kp) == pytest.approx(np.median(np.linalg.norm(ankle - hip, axis=1)))
