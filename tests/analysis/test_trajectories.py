"""Trajectories (path, speed, acceleration, path length) and the metres-per-pixel scale."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.errors import AnalysisError
from analysis.filtering import CleanSettings
from analysis.scale import CHAIN_FRACTION, body_chain_px, check_height, estimate_scale
from analysis.trajectories import (
    SUMMARY_COLUMNS,
    TRAJECTORY_COLUMNS,
    check_times,
    compute_trajectories,
)
from estimator.keypoints import KEYPOINT_INDEX as K
from estimator.keypoints import KEYPOINT_NAMES
from tests.analysis.synthetic_poses import squat_knee_signal, squat_poses

FPS = 30.0


def moving_person(times: np.ndarray, velocity=(30.0, -40.0)) -> np.ndarray:
    """(F, 33, 3): every keypoint at its own offset, all gliding at ``velocity`` px/s."""
    offsets = np.stack([np.arange(33) * 7.0, np.arange(33) * 3.0], axis=1)
    kp = np.ones((len(times), 33, 3))
    kp[..., :2] = 200.0 + offsets + times[:, None, None] * np.asarray(velocity)
    return kp


def keypoint(frames, name: str):
    return frames[frames["keypoint"] == name]


def test_constant_velocity_gives_constant_speed_and_zero_acceleration() -> None:
    t = np.arange(300) / FPS
    tr = compute_trajectories(moving_person(t), t, FPS, CleanSettings())
    nose = keypoint(tr.frames, "nose")
    inner = nose.iloc[15:-15]  # beyond the low-pass filter's edge padding
    np.testing.assert_allclose(inner["speed"], 50.0, rtol=1e-4)
    np.testing.assert_allclose(inner["acceleration"], 0.0, atol=0.05)  # px/s^2, vs 50 px/s
    # At the very ends the zero-phase filter's start-up leaves a trace, and a small one.
    np.testing.assert_allclose(nose["speed"], 50.0, rtol=5e-3)
    assert tr.unit == "px"


def test_derivatives_use_the_real_timestamps() -> None:
    """Frames that arrive unevenly (variable frame rate) still give the true speed."""
    rng = np.random.default_rng(0)
    t = np.cumsum(rng.uniform(0.02, 0.05, 200))
    tr = compute_trajectories(moving_person(t), t, FPS, CleanSettings.raw())
    np.testing.assert_allclose(keypoint(tr.frames, "left_knee")["speed"], 50.0, rtol=1e-9)
    np.testing.assert_allclose(tr.frames["time_s"].to_numpy()[::33], t)


def test_path_length_is_distance_travelled_and_gaps_add_nothing() -> None:
    t = np.arange(301) / FPS  # 10 s at 50 px/s: 500 px
    kp = moving_person(t)
    kp[100:130, K["left_wrist"], 2] = 0.1  # hidden for 1 s: too long to fill
    tr = compute_trajectories(kp, t, FPS, CleanSettings())
    s = tr.summary
    assert s.loc["nose", "path_length"] == pytest.approx(500.0, rel=1e-3)
    assert s.loc["left_wrist", "path_length"] == pytest.approx(500.0 - 31 * 50.0 / FPS, rel=1e-3)
    assert s.loc["nose", "mean_speed"] == pytest.approx(50.0, rel=1e-3)
    assert s.loc["left_wrist", "coverage"] == pytest.approx(1 - 30 / 301)


def test_circular_motion_has_centripetal_acceleration() -> None:
    """v = omega r and a = omega^2 r for a point on a circle."""
    t = np.arange(600) / FPS
    omega, r = 2 * np.pi * 0.5, 100.0
    kp = np.ones((len(t), 33, 3))
    kp[..., 0] = 500 + r * np.cos(omega * t)[:, None]
    kp[..., 1] = 500 + r * np.sin(omega * t)[:, None]
    tr = compute_trajectories(kp, t, FPS, CleanSettings())
    inner = keypoint(tr.frames, "nose").iloc[30:-30]
    np.testing.assert_allclose(inner["speed"], omega * r, rtol=2e-3)
    np.testing.assert_allclose(inner["acceleration"], omega**2 * r, rtol=5e-3)


def test_trajectory_table_layout() -> None:
    t = np.arange(10) / FPS
    tr = compute_trajectories(moving_person(t), t, FPS, CleanSettings.raw())
    assert tuple(tr.frames.columns) == TRAJECTORY_COLUMNS
    assert len(tr.frames) == 10 * 33
    assert list(tr.frames["keypoint"].cat.categories) == list(KEYPOINT_NAMES)
    assert list(tr.frames["keypoint"].iloc[:2]) == ["nose", "left_eye_inner"]
    assert tr.frames["frame"].iloc[33] == 1
    assert tuple(tr.summary.columns) == SUMMARY_COLUMNS
    assert list(tr.summary.index) == list(KEYPOINT_NAMES)


def test_hidden_keypoints_have_no_position() -> None:
    t = np.arange(60) / FPS
    kp = moving_person(t)
    kp[:, K["right_ankle"], 2] = 0.2
    tr = compute_trajectories(kp, t, FPS)
    assert keypoint(tr.frames, "right_ankle")[["x", "y", "speed"]].isna().all(axis=None)
    assert tr.summary.loc["right_ankle", "coverage"] == 0.0
    assert tr.summary.loc["right_ankle", "path_length"] == 0.0


def test_broken_timestamps_are_refused() -> None:
    with pytest.raises(AnalysisError, match="do not increase"):
        check_times(np.array([0.0, 0.1, 0.1]), 3, FPS)
    with pytest.raises(AnalysisError, match="2 timestamps for 3 frames"):
        check_times(np.array([0.0, 0.1]), 3, FPS)
    np.testing.assert_allclose(check_times(None, 3, 10.0), [0.0, 0.1, 0.2])


# ---------------------------------------------------------------- scale


def test_scale_in_metres_for_a_synthetic_person_of_known_height() -> None:
    t = np.arange(int(20 * FPS)) / FPS
    kp, _ = squat_poses(squat_knee_signal(t, [90, 110, 100]), height_m=1.80, px_per_m=400.0)
    assert estimate_scale(kp, 1.80) == pytest.approx(1 / 400.0, rel=1e-6)


def test_scale_is_not_shrunk_by_a_clip_spent_crouching() -> None:
    """Unlike the person's height in the image, segment lengths survive a deep squat."""
    kp, _ = squat_poses(np.full(100, 110.0), height_m=1.60, px_per_m=250.0)
    standing_height_px = 1.60 * 250.0
    image_height = np.nanmax(kp[..., 1]) - np.nanmin(kp[..., 1])
    assert image_height < 0.85 * standing_height_px
    assert estimate_scale(kp, 1.60) == pytest.approx(1 / 250.0, rel=1e-6)


def test_scale_resists_noise_and_foreshortened_frames() -> None:
    rng = np.random.default_rng(7)
    kp, _ = squat_poses(np.full(300, 10.0), height_m=1.75, px_per_m=400.0)
    kp[..., :2] += rng.normal(0, 1.5, kp[..., :2].shape)
    kp[:100, :, 1] = 900 + (kp[:100, :, 1] - 900) * 0.6  # a third of the clip squashed
    assert estimate_scale(kp, 1.75) == pytest.approx(1 / 400.0, rel=0.02)


def test_chain_is_winters_proportion_of_standing_height() -> None:
    assert pytest.approx(0.897) == CHAIN_FRACTION
    kp, _ = squat_poses(np.zeros(3), height_m=2.0, px_per_m=100.0)
    np.testing.assert_allclose(body_chain_px(kp), 0.897 * 200.0)


def test_no_scale_without_a_visible_body_and_heights_must_be_metres() -> None:
    kp, _ = squat_poses(np.zeros(10))
    kp[:, K["left_eye"], 2] = 0.0
    assert estimate_scale(kp, 1.75) is None
    with pytest.raises(AnalysisError, match="give it in metres"):
        check_height(175)
    with pytest.raises(AnalysisError, match="number of metres"):
        check_height("tall")


def test_trajectories_in_metres_with_a_scale() -> None:
    t = np.arange(120) / FPS
    tr = compute_trajectories(moving_person(t, (400.0, 0.0)), t, FPS, scale_m_per_px=1 / 400.0)
    assert tr.unit == "m"
    np.testing.assert_allclose(keypoint(tr.frames, "nose")["speed"].iloc[15:-15], 1.0, rtol=1e-4)
    assert tr.summary.loc["nose", "path_length"] == pytest.approx(119 / FPS, rel=1e-3)
