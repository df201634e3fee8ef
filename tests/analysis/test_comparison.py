"""Session comparison: clips aligned on 0-100 % of their repetitions, differences b - a."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.comparison import DIFFERENCE_COLUMNS, compare_clips, time_normalise
from analysis.errors import AnalysisError
from analysis.track import TrackAnalysis, analyse_track
from tests.analysis.synthetic_poses import squat_knee_signal, squat_poses

FPS = 30.0


def squat_clip(depths: list[float], period_s: float = 2.5, seed: int = 0) -> TrackAnalysis:
    t = np.arange(int((1.5 + period_s * len(depths)) * FPS)) / FPS
    kp, world = squat_poses(squat_knee_signal(t, depths, period_s=period_s))
    kp[..., :2] += np.random.default_rng(seed).normal(0, 0.5, kp[..., :2].shape)
    return analyse_track(kp, world, t, FPS)


@pytest.fixture(scope="module")
def last_month() -> TrackAnalysis:
    return squat_clip([80.0] * 6)


@pytest.fixture(scope="module")
def today() -> TrackAnalysis:
    return squat_clip([110.0] * 6, period_s=3.0, seed=1)  # deeper and slower


def test_a_clip_compared_with_itself_shows_no_difference(last_month) -> None:
    c = compare_clips(last_month, last_month)
    assert c.by == "repetition" and c.n_a == c.n_b == 6
    diffs = c.differences[["rom_diff", "peak_diff", "min_diff", "mean_diff"]]
    # In this side view the hips and the shoulders are seen end-on: no direction.
    assert list(diffs.index[diffs.isna().all(axis=1)]) == ["pelvis", "shoulders"]
    np.testing.assert_allclose(diffs.dropna(), 0.0, atol=1e-9)
    np.testing.assert_allclose(c.symmetry["si_diff"], 0.0, atol=1e-9)
    np.testing.assert_allclose(c.mean_curves["diff"].dropna(), 0.0, atol=1e-9)


def test_deeper_squats_give_a_positive_rom_difference_of_the_right_size(last_month, today) -> None:
    c = compare_clips(last_month, today)
    knee = c.differences.loc["left_knee_3d"]
    # Reps start 10 % of the way up, so both ROMs are peak - standing (5 deg).
    assert knee["rom_a"] == pytest.approx(75.0, abs=1.0)
    assert knee["rom_b"] == pytest.approx(105.0, abs=1.0)
    assert knee["rom_diff"] == pytest.approx(30.0, abs=1.0)
    assert knee["peak_diff"] == pytest.approx(30.0, abs=1.0)
    assert c.differences.loc["left_knee", "rom_diff"] == pytest.approx(30.0, abs=3.0)
    assert c.differences.loc["trunk_lean", "rom_diff"] > 0  # the trunk leans further too


def test_time_normalisation_aligns_reps_of_different_durations(last_month, today) -> None:
    """A slower squat of the same shape, scaled in depth, lines up point by point."""
    c = compare_clips(last_month, today)
    mc = c.mean_curves.loc["left_knee_3d"]
    assert len(mc) == 101
    assert list(mc.index[:3]) == [0.0, 1.0, 2.0]
    # Both peak at half way through the repetition, although b lasts 20 % longer.
    assert abs(mc["a_mean"].idxmax() - 50) <= 2 and abs(mc["b_mean"].idxmax() - 50) <= 2
    # The difference of the curves is largest at the bottom (30 deg) and small at the ends.
    assert mc["diff"].max() == pytest.approx(30.0, abs=1.5)
    assert abs(mc["diff"].iloc[0]) < 5 and abs(mc["diff"].iloc[-1]) < 5


def test_mean_curves_carry_the_spread_across_repetitions() -> None:
    same = compare_clips(squat_clip([90.0] * 4), squat_clip([70.0, 110.0, 70.0, 110.0]))
    bottom = same.mean_curves.loc[("left_knee_3d", 50.0)]
    assert bottom["a_std"] < 1.0
    assert bottom["b_std"] == pytest.approx(20.0, abs=1.5)
    assert bottom["b_mean"] == pytest.approx(90.0, abs=1.5)


def test_curve_table_layout(last_month, today) -> None:
    c = compare_clips(last_month, today, angles=["left_knee", "trunk"])
    assert c.curves.index.names == ["clip", "rep", "percent"]
    assert list(c.curves.columns) == ["left_knee", "trunk"]
    assert len(c.curves.loc["a"]) == 6 * 101
    assert c.angles == ("left_knee", "trunk")
    assert tuple(c.differences.columns) == DIFFERENCE_COLUMNS
    assert list(c.mean_curves.columns) == ["a_mean", "a_std", "b_mean", "b_std", "diff"]


def test_whole_clips_are_compared_when_there_are_no_repetitions() -> None:
    a = pd.DataFrame({"left_knee": np.linspace(0, 90, 61)})
    b = pd.DataFrame({"left_knee": np.linspace(0, 120, 31)})  # half the frames
    c = compare_clips(a, b)
    assert c.by == "clip" and c.n_a == c.n_b == 1
    assert c.differences.loc["left_knee", "rom_diff"] == pytest.approx(30.0)
    curve_b = c.curves.loc[("b", 1), "left_knee"]
    np.testing.assert_allclose(curve_b.to_numpy(), np.linspace(0, 120, 101))


def test_asking_for_repetitions_that_are_not_there_is_a_clear_error(last_month) -> None:
    flat = pd.DataFrame({c: np.zeros(50) for c in last_month.angles.columns})
    with pytest.raises(AnalysisError, match="second clip has no repetitions"):
        compare_clips(last_month, flat, by="repetition")
    with pytest.raises(AnalysisError, match="angles not in both clips: elbows"):
        compare_clips(last_month, last_month, angles=["elbows"])
    assert compare_clips(last_month, flat).by == "clip"


def test_time_normalise_interpolates_linearly_and_keeps_gaps_missing() -> None:
    v = np.c_[np.arange(11, dtype=float)]
    v[7] = np.nan
    out = time_normalise(v, np.array([[0, 10], [2, 4]]), n_points=5)
    np.testing.assert_allclose(out[0, :, 0], [0.0, 2.5, 5.0, np.nan, 10.0])
    np.testing.assert_allclose(out[1, :, 0], [2.0, 2.5, 3.0, 3.5, 4.0])
