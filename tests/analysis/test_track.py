"""analyse_track: every metric of one tracked person, consistent with each other."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analysis.angles import ANGLE_NAMES_2D, ANGLE_NAMES_3D
from analysis.errors import AnalysisError
from analysis.filtering import CleanSettings
from analysis.repetitions import REPETITION_COLUMNS, RepSettings
from analysis.track import SUMMARY_COLUMNS, TrackAnalysis, analyse_track, repetitions_of
from estimator.keypoints import KEYPOINT_INDEX as K
from tests.analysis.synthetic_poses import squat_knee_signal, squat_poses

FPS = 30.0
DEPTHS = [70.0, 100.0, 85.0, 110.0, 75.0, 95.0, 90.0, 105.0]


def noisy_squat_track(seed: int = 0):
    """8 squats, 2 px of keypoint noise, the legs hidden for a short spell (at the
    bottom of the 3rd squat) and a long one (standing, after the last squat)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(26 * FPS)) / FPS
    kp, world = squat_poses(squat_knee_signal(t, DEPTHS), height_m=1.75, px_per_m=400.0)
    kp[..., :2] += rng.normal(0, 2.0, kp[..., :2].shape)
    world += rng.normal(0, 0.005, world.shape)
    legs = [K[f"{s}_{p}"] for s in ("left", "right") for p in ("knee", "ankle")]
    kp[200:206, legs, 2] = 0.2  # 0.2 s: filled
    kp[630:670, legs, 2] = 0.2  # 1.3 s: left missing
    return kp, world, t


@pytest.fixture(scope="module")
def squats() -> TrackAnalysis:
    kp, world, t = noisy_squat_track()
    return analyse_track(kp, world, t, FPS, CleanSettings(), height_m=1.75)


def test_the_tables_have_the_documented_shapes(squats) -> None:
    n = int(26 * FPS)
    names = [*ANGLE_NAMES_2D, *ANGLE_NAMES_3D]
    for table in (squats.angles_raw, squats.angles, squats.filled, squats.outliers):
        assert table.shape == (n, len(names))
        assert list(table.columns) == names
        assert table.index.equals(pd.RangeIndex(n, name="frame"))
    assert squats.filled.dtypes.eq(bool).all()
    assert list(squats.summary.index) == names
    assert tuple(squats.summary.columns) == SUMMARY_COLUMNS
    assert tuple(squats.repetitions.columns) == REPETITION_COLUMNS
    assert "knee" in squats.symmetry.index and "knee_3d" in squats.symmetry.index
    assert squats.symmetry_per_frame.shape == (n, len(squats.symmetry))
    assert len(squats.trajectories) == n * 33
    assert squats.times.index.equals(squats.angles.index)
    assert squats.times.iloc[-1] == pytest.approx((n - 1) / FPS)


def test_eight_squats_are_found_in_the_clearest_cycle_the_larger_movement_on_a_tie(
    squats,
) -> None:
    # Knees, hips and ankles all show the 8 squats; the hip flexes most (thigh and
    # trunk both lean), so it wins the tie.
    assert squats.rep_signal == "hip"
    assert squats.rep_settings["angle"] is None  # chosen automatically
    assert len(squats.repetitions) == 8
    assert set(squats.symmetry_per_repetition["rep"]) == set(range(1, 9))


def test_repetitions_can_follow_a_chosen_angle() -> None:
    kp, world, t = noisy_squat_track(1)
    ta = analyse_track(kp, world, t, FPS, rep_angle="left_knee_3d")
    assert ta.rep_signal == "left_knee_3d" and ta.rep_settings["angle"] == "left_knee_3d"
    np.testing.assert_allclose(ta.repetitions["peak"], DEPTHS, atol=3.0)
    same = analyse_track(kp, world, t, FPS, rep_settings=RepSettings(angle="left_knee_3d"))
    pd.testing.assert_frame_equal(same.repetitions, ta.repetitions)
    with pytest.raises(AnalysisError, match="unknown angle"):
        analyse_track(kp, world, t, FPS, rep_angle="knees")


DEEP = [100.0, 85.0, 110.0, 95.0, 90.0, 105.0]  # DEPTHS but the squats to 70 and 75


def test_a_minimum_range_above_the_shallow_squats_keeps_only_the_deep_ones() -> None:
    """From standing (5 degrees), squats to 70 and 75 move less than 75 degrees."""
    kp, world, t = noisy_squat_track(2)
    ta = analyse_track(kp, world, t, FPS,
                       rep_settings=RepSettings(angle="knee", min_range_deg=75.0))
    np.testing.assert_allclose(ta.repetitions["peak"], DEEP, atol=3.0)
    assert ta.rep_settings["min_range_deg"] == 75.0


def test_repetitions_are_found_anew_with_other_settings_without_analysing_again(
    squats,
) -> None:
    """What the page does when the coach picks the knee and a minimum range: the
    repetitions, their symmetry and the symmetry index over them follow."""
    view = repetitions_of(squats, RepSettings(angle="left_knee", min_range_deg=75.0))
    assert view.found.signal_name == "left_knee" and not view.found.automatic
    np.testing.assert_allclose(view.found.repetitions["peak"], DEEP, atol=3.0)
    assert set(view.symmetry_per_repetition["rep"]) == set(range(1, 7))
    assert view.symmetry.loc["knee", "si_reps"] == pytest.approx(
        view.symmetry_per_repetition.set_index("pair").loc["knee", "si"].mean())
    pd.testing.assert_frame_equal(view.symmetry.drop(columns="si_reps"),
                                  squats.symmetry.drop(columns="si_reps"))
    automatic = repetitions_of(squats, RepSettings())
    assert automatic.found.automatic and automatic.found.signal_name == squats.rep_signal
    pd.testing.assert_frame_equal(automatic.found.repetitions, squats.repetitions)
    with pytest.raises(AnalysisError, match="unknown angle"):
        repetitions_of(squats, RepSettings(angle="knees"))


def test_raw_values_are_kept_beside_cleaned_ones_and_fills_are_marked(squats) -> None:
    raw, clean, filled = squats.angles_raw, squats.angles, squats.filled
    assert raw["left_knee"].iloc[200:206].isna().all()
    assert clean["left_knee"].iloc[200:206].notna().all()
    assert filled["left_knee"].iloc[200:206].all()
    assert clean["left_knee"].iloc[630:670].isna().all()  # longer than max_gap_s
    assert not filled["left_knee"].iloc[630:670].any()
    assert not filled["trunk"].any()  # the trunk was always visible
    assert squats.summary.loc["left_knee", "filled"] == 6
    # Cleaning removes noise: the cleaned knee is closer to the truth than the raw one.
    truth = squat_knee_signal(squats.times.to_numpy(), DEPTHS)
    raw_err = np.nanstd(raw["left_knee"] - truth)
    clean_err = np.nanstd(clean["left_knee"] - truth)
    assert clean_err < 0.8 * raw_err


def test_summary_reports_range_of_motion_raw_and_cleaned(squats) -> None:
    knee = squats.summary.loc["left_knee_3d"]
    assert knee["max"] == pytest.approx(110.0, abs=2.0)
    assert knee["rom"] == pytest.approx(105.0, abs=3.0)
    assert knee["raw_rom"] >= knee["rom"] - 1.0
    assert knee["count"] == len(squats.angles) - 40
    assert knee["raw_count"] == len(squats.angles) - 46


def test_a_mirror_symmetric_squat_is_symmetric(squats) -> None:
    assert squats.symmetry.loc["knee_3d", "si"] < 3.0
    assert squats.symmetry.loc["knee", "si"] < 3.0
    assert squats.symmetry.loc["knee", "si_reps"] < 5.0


def test_with_the_athletes_height_trajectories_are_in_metres(squats) -> None:
    assert squats.scale_m_per_px == pytest.approx(1 / 400.0, rel=0.02)
    assert squats.trajectory_unit == "m"
    hip = squats.trajectories[squats.trajectories["keypoint"] == "left_hip"]
    assert hip["speed"].max() < 2.0  # m/s: a squat, not pixels per second
    assert squats.trajectory_summary.loc["left_hip", "path_length"] > 2.0


def test_everything_but_tables_is_plain_json_for_the_store(squats) -> None:
    for name, value in vars(squats).items():
        if isinstance(value, (pd.DataFrame, pd.Series)):
            continue
        json.dumps(value)  # raises if not JSON-able
        assert name in {"rep_signal", "trajectory_unit", "scale_m_per_px", "fps", "settings",
                        "rep_settings", "notes", "jump_note"}
    assert squats.clean_settings == CleanSettings()


def test_a_single_photo_gets_its_angles_and_nothing_made_up() -> None:
    kp, world = squat_poses(np.array([60.0]))
    ta = analyse_track(kp, world, np.array([0.0]), 0.0, height_m=1.75)
    assert ta.angles.loc[0, "left_knee"] == pytest.approx(60.0)
    assert ta.repetitions.empty
    assert ta.trajectories["speed"].isna().all()


def test_an_invisible_body_leaves_metrics_missing_and_says_why_there_are_no_metres() -> None:
    kp, world = squat_poses(np.full(60, 30.0))
    kp[..., 2] = 0.1
    ta = analyse_track(kp, world, None, FPS, height_m=1.75)
    assert ta.angles.isna().all(axis=None)
    assert ta.rep_signal is None and ta.repetitions.empty
    assert ta.scale_m_per_px is None and ta.trajectory_unit == "px"
    assert any("trajectories stay in pixels" in note for note in ta.notes)


def test_user_mistakes_are_clear_errors() -> None:
    kp, world = squat_poses(np.full(90, 30.0))
    with pytest.raises(AnalysisError, match="give it in metres"):
        analyse_track(kp, world, None, FPS, height_m=178)
    with pytest.raises(AnalysisError, match="this one is 10 fps"):
        analyse_track(kp, world, None, 10.0)
    ta = analyse_track(kp, world, None, 10.0, CleanSettings(lowpass=False))
    assert ta.angles["left_knee"].notna().all()
    with pytest.raises(AnalysisError, match="do not increase"):
        analyse_track(kp, world, np.zeros(90), FPS)


def test_a_timeline_with_jumps_is_noted() -> None:
    kp, world = squat_poses(np.full(90, 30.0))
    t = np.arange(90) / FPS
    t[45:] += 2.0
    ta = analyse_track(kp, world, t, FPS)
    assert any("jump" in note for note in ta.notes)
