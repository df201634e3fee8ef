"""Left/right symmetry: per-frame differences, ROM per side, symmetry index."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.angles import compute_angles
from analysis.symmetry import (
    REP_SYMMETRY_COLUMNS,
    SYMMETRY_COLUMNS,
    bilateral_pairs,
    symmetry_index,
    symmetry_per_frame,
    symmetry_per_repetition,
    symmetry_summary,
)
from estimator.keypoints import KEYPOINT_INDEX as K


def mirrored_squats(n: int = 90, right_depth: float = 1.0) -> np.ndarray:
    """A person facing the camera squatting, left side the mirror image of the right
    about x = 500 (``right_depth`` < 1 makes the right knee travel less)."""
    phase = 0.5 * (1 - np.cos(np.linspace(0, 4 * np.pi, n)))  # two squats
    kp = np.ones((n, 33, 3))
    ring = np.radians(np.arange(33) * 360 / 33)
    kp[:, :, 0] = 500 + 50 * np.cos(ring)
    kp[:, :, 1] = 200 + 50 * np.sin(ring)
    for side, sign, depth in (("left", 1, 1.0), ("right", -1, right_depth)):
        bend = 60.0 * depth * phase  # knees pushed outwards as the hips drop
        kp[:, K[f"{side}_shoulder"], :2] = np.c_[500 + sign * 80 * np.ones(n), 300 + 80 * phase]
        kp[:, K[f"{side}_hip"], :2] = np.c_[500 + sign * 60 * np.ones(n), 500 + 100 * phase]
        kp[:, K[f"{side}_knee"], :2] = np.c_[500 + sign * (70 + bend), 700 + 20 * phase]
        kp[:, K[f"{side}_ankle"], :2] = np.c_[500 + sign * 75 * np.ones(n), 900 * np.ones(n)]
        kp[:, K[f"{side}_heel"], :2] = np.c_[500 + sign * 75 * np.ones(n), 920 * np.ones(n)]
        kp[:, K[f"{side}_foot_index"], :2] = np.c_[500 + sign * 110 * np.ones(n), 930 * np.ones(n)]
        kp[:, K[f"{side}_elbow"], :2] = np.c_[500 + sign * 150 * np.ones(n), 420 + 80 * phase]
        kp[:, K[f"{side}_wrist"], :2] = np.c_[500 + sign * 160 * np.ones(n), 540 + 60 * phase]
        kp[:, K[f"{side}_index"], :2] = np.c_[500 + sign * 165 * np.ones(n), 580 + 60 * phase]
    return kp


def test_a_mirrored_pose_has_equal_sides_zero_difference_and_si_zero() -> None:
    angles = compute_angles(mirrored_squats())
    per_frame = symmetry_per_frame(angles)
    summary = symmetry_summary(angles)
    for pair in ("knee", "hip", "ankle", "elbow", "shoulder", "wrist"):
        np.testing.assert_allclose(per_frame[pair], 0.0, atol=1e-9)
        assert summary.loc[pair, "si"] == pytest.approx(0.0, abs=1e-9)
        assert summary.loc[pair, "rom_left"] == pytest.approx(summary.loc[pair, "rom_right"])
    assert summary.loc["knee", "rom_left"] > 20  # the knees really moved


def test_a_shallower_right_knee_shows_in_rom_and_si() -> None:
    angles = compute_angles(mirrored_squats(right_depth=0.5))
    s = symmetry_summary(angles).loc["knee"]
    assert s["rom_right"] < s["rom_left"]
    expected = 100 * abs(s["rom_left"] - s["rom_right"]) / (0.5 * (s["rom_left"] + s["rom_right"]))
    assert s["si"] == pytest.approx(expected)
    assert s["si"] > 10
    assert s["mean_diff"] > 0  # the left knee bends more: L - R > 0


def test_symmetry_index_formula_and_its_edge_cases() -> None:
    assert symmetry_index(50.0, 50.0) == 0.0
    assert symmetry_index(60.0, 40.0) == pytest.approx(40.0)  # 100 * 20 / 50
    assert symmetry_index(10.0, 0.0) == pytest.approx(200.0)  # the most asymmetric
    assert symmetry_index(0.0, 0.0) == 0.0  # neither side moved: symmetric
    assert np.isnan(symmetry_index(np.nan, 10.0))
    np.testing.assert_allclose(symmetry_index(np.array([1.0, 2.0]), np.array([1.0, 4.0])),
                               [0.0, 100 * 2 / 3])


def test_every_left_right_pair_is_found_in_2d_and_3d() -> None:
    kp = mirrored_squats(4)
    pairs = bilateral_pairs(compute_angles(kp, world=kp.copy()).columns)
    names = [p[0] for p in pairs]
    assert names == [
        "knee", "hip", "ankle", "elbow", "shoulder", "wrist",
        "thigh", "shank", "upper_arm", "forearm", "foot",
        "knee_3d", "hip_3d", "ankle_3d", "elbow_3d", "shoulder_3d", "wrist_3d",
    ]
    assert pairs[0] == ("knee", "left_knee", "right_knee")


def test_per_frame_difference_is_missing_where_a_side_is_missing() -> None:
    df = pd.DataFrame({"left_knee": [10.0, np.nan, 30.0], "right_knee": [5.0, 5.0, np.nan]})
    np.testing.assert_allclose(symmetry_per_frame(df)["knee"], [5.0, np.nan, np.nan])


def test_segment_differences_wrap_around() -> None:
    df = pd.DataFrame({"left_foot": [179.0], "right_foot": [-179.0]})
    assert symmetry_per_frame(df)["foot"].iloc[0] == pytest.approx(-2.0)


def test_symmetry_per_repetition() -> None:
    frames = np.arange(40)
    left = np.where(frames < 20, 5 + 4 * frames, 5 + 4 * (frames - 20))  # 76 deg per rep
    right = np.where(frames < 20, 5 + 2 * frames, 5 + 4 * (frames - 20))  # 38, then 76
    df = pd.DataFrame({"left_knee": left.astype(float), "right_knee": right.astype(float)})
    reps = pd.DataFrame({"rep": [1, 2], "start_frame": [0, 20], "end_frame": [19, 39]})
    per_rep = symmetry_per_repetition(df, reps)
    assert tuple(per_rep.columns) == REP_SYMMETRY_COLUMNS
    knee = per_rep.set_index("rep")
    assert knee.loc[1, "rom_left"] == 76 and knee.loc[1, "rom_right"] == 38
    assert knee.loc[1, "si"] == pytest.approx(100 * 38 / 57)
    assert knee.loc[2, "si"] == 0.0
    summary = symmetry_summary(df, reps)
    assert tuple(summary.columns) == SYMMETRY_COLUMNS
    assert summary.loc["knee", "si_reps"] == pytest.approx(100 * 38 / 57 / 2)


def test_without_repetitions_the_per_rep_table_is_empty_and_si_reps_missing() -> None:
    df = pd.DataFrame({"left_knee": [1.0, 2.0], "right_knee": [1.0, 3.0]})
    empty = pd.DataFrame({"rep": [], "start_frame": [], "end_frame": []})
    assert symmetry_per_repetition(df, empty).empty
    assert np.isnan(symmetry_summary(df, empty).loc["knee", "si_reps"])
