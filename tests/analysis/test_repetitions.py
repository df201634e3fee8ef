"""Repetitions: counted right on noisy squats, none where nothing repeats."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.ndimage import gaussian_filter1d

from analysis.errors import AnalysisError
from analysis.filtering import CleanSettings, clean_signals
from analysis.repetitions import REPETITION_COLUMNS, RepSettings, detect_repetitions
from tests.analysis.synthetic_poses import squat_knee_signal

FPS = 30.0
DEPTHS = [60.0, 95.0, 80.0, 110.0, 70.0, 100.0, 85.0, 120.0]


def timeline(seconds: float) -> np.ndarray:
    return np.arange(int(seconds * FPS)) / FPS


def cleaned(x: np.ndarray) -> np.ndarray:
    """The signal as analyse_track hands it over: cleaned with the default settings."""
    return clean_signals(pd.DataFrame({"knee": x}), FPS, CleanSettings())["knee"].to_numpy()


def noisy_squats(seed: int = 0, noise_deg: float = 3.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    t = timeline(24.0)
    x = squat_knee_signal(t, DEPTHS) + rng.normal(0, noise_deg, t.size)
    for start in (95, 300, 520):  # a few short gaps, one at the bottom of a squat
        x[start : start + 6] = np.nan
    return t, x


@pytest.mark.parametrize("seed", range(5))
def test_eight_squats_of_varying_depth_with_noise_and_gaps_are_eight(seed: int) -> None:
    t, x = noisy_squats(seed)
    reps = detect_repetitions(cleaned(x), t, FPS)
    assert len(reps) == 8
    assert list(reps["rep"]) == list(range(1, 9))
    np.testing.assert_allclose(reps["peak"], DEPTHS, atol=4.0)
    np.testing.assert_allclose(reps["rom"], np.array(DEPTHS) - 5.0, atol=6.0)


def test_eight_squats_are_found_in_the_raw_noisy_signal_too() -> None:
    t, x = noisy_squats(11, noise_deg=4.0)
    assert len(detect_repetitions(x, t, FPS)) == 8


def test_start_peak_end_and_tempo_follow_the_movement() -> None:
    """Each squat is a 2 s raised cosine every 2.5 s; a rep starts and ends 10 % of the
    way up from its valleys: 0.205 s after the movement starts and before it ends."""
    t = timeline(24.0)
    reps = detect_repetitions(squat_knee_signal(t, DEPTHS), t, FPS)
    onset = np.arccos(0.8) / (2 * np.pi) * 2.0  # 0.205 s
    t0 = 1.0 + 2.5 * np.arange(8)
    np.testing.assert_allclose(reps["start_s"], t0 + onset, atol=1.5 / FPS)
    np.testing.assert_allclose(reps["peak_s"], t0 + 1.0, atol=1.0 / FPS)
    np.testing.assert_allclose(reps["end_s"], t0 + 2.0 - onset, atol=1.5 / FPS)
    np.testing.assert_allclose(reps["to_peak_s"], 1.0 - onset, atol=2 / FPS)
    np.testing.assert_allclose(reps["from_peak_s"], 1.0 - onset, atol=2 / FPS)
    np.testing.assert_allclose(reps["duration_s"], reps["end_s"] - reps["start_s"])
    np.testing.assert_allclose(reps["cycle_s"].iloc[:-1], 2.5, atol=1.5 / FPS)
    np.testing.assert_allclose(reps["reps_per_min"].iloc[:-1], 24.0, rtol=0.03)
    assert np.isnan(reps["cycle_s"].iloc[-1]) and np.isnan(reps["rest_before_s"].iloc[0])
    np.testing.assert_allclose(reps["rest_before_s"].iloc[1:], 0.5 + 2 * onset, atol=2 / FPS)
    assert (reps["start_frame"] < reps["peak_frame"]).all()
    assert (reps["peak_frame"] < reps["end_frame"]).all()
    assert tuple(reps.columns) == REPETITION_COLUMNS


def test_a_standing_still_clip_has_no_repetitions() -> None:
    rng = np.random.default_rng(1)
    t = timeline(30.0)
    x = 5.0 + rng.normal(0, 3.0, t.size)
    assert detect_repetitions(cleaned(x), t, FPS).empty
    assert detect_repetitions(x, t, FPS).empty


def test_a_constant_signal_has_no_repetitions() -> None:
    t = timeline(10.0)
    assert detect_repetitions(np.full(t.size, 42.0), t, FPS).empty


def test_a_single_squat_is_not_a_repetitive_exercise() -> None:
    t = timeline(8.0)
    assert detect_repetitions(squat_knee_signal(t, [100.0]), t, FPS).empty


def test_sitting_down_once_is_not_a_repetition() -> None:
    t = timeline(10.0)
    x = np.where(t < 4.0, 5.0, 90.0) + np.random.default_rng(2).normal(0, 2.0, t.size)
    assert detect_repetitions(cleaned(x), t, FPS).empty


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("smoothing_s", [0.33, 1.0])
def test_an_irregular_wandering_movement_has_no_repetitions(seed: int, smoothing_s: float) -> None:
    """Large (40 degrees RMS) but random knee movement, smooth on the given time scale:
    it has peaks, but they neither last alike nor come at a steady pace."""
    rng = np.random.default_rng(seed)
    t = timeline(60.0)
    x = gaussian_filter1d(rng.normal(size=t.size), smoothing_s * FPS)
    x = 50.0 + 40.0 * x / x.std()
    assert detect_repetitions(x, t, FPS).empty


def test_repetitions_that_slow_down_with_fatigue_are_all_counted() -> None:
    t = timeline(40.0)
    knee, t0 = np.full(t.size, 5.0), 1.0
    for i in range(10):
        duration = 1.5 + 1.5 * i / 9  # from 1.5 s to 3 s
        phase = (t - t0) / duration
        inside = (phase >= 0) & (phase <= 1)
        knee[inside] = 5.0 + 85.0 * 0.5 * (1 - np.cos(2 * np.pi * phase[inside]))
        t0 += duration + 0.7
    reps = detect_repetitions(cleaned(knee), t, FPS)
    assert len(reps) == 10
    assert reps["duration_s"].iloc[-1] > 1.7 * reps["duration_s"].iloc[0]


def test_squats_between_walking_are_counted_without_the_steps() -> None:
    """20 s of squats, 20 s of walking (smaller knee bends at a faster pace), twice."""
    t = timeline(80.0)
    squats = squat_knee_signal(t, [95.0] * 40, period_s=2.2, start_s=0.5)
    walking = 5.0 + 30.0 * np.clip(np.sin(2 * np.pi * t / 1.1), 0, None)
    x = np.where((t // 20) % 2 == 1, walking, squats)
    reps = detect_repetitions(cleaned(x), t, FPS)
    assert len(reps) == 18  # 9 whole squats in each 20 s block
    assert (reps["rom"] > 80).all()


def test_squats_are_preferred_to_the_more_numerous_smaller_bends_of_walking() -> None:
    """The knees' mean bends 40 degrees every 0.55 s while walking: repetitive, and
    three times as many as the squats, but the squats are the exercise."""
    t = timeline(80.0)
    squats = squat_knee_signal(t, [95.0] * 40, period_s=2.2, start_s=0.5)
    walking = 5.0 + 40.0 * np.abs(np.sin(2 * np.pi * t / 1.1))
    x = np.where((t // 20) % 2 == 1, walking, squats)
    reps = detect_repetitions(cleaned(x), t, FPS)
    assert len(reps) == 18
    assert (reps["rom"] > 80).all()
    walking_only = detect_repetitions(cleaned(walking), t, FPS)
    assert len(walking_only) > 100  # on its own, walking is a repetitive movement


def test_small_wobbles_below_the_minimum_depth_are_not_repetitions() -> None:
    """A 12-degree oscillation is regular, but shallower than the 20-degree minimum."""
    t = timeline(20.0)
    x = 20.0 - 6.0 * np.cos(2 * np.pi * 0.5 * t)  # 10 cycles
    assert detect_repetitions(x, t, FPS).empty
    assert len(detect_repetitions(x, t, FPS, RepSettings(min_range_deg=5.0))) == 10


def test_two_sets_with_a_rest_between_are_all_counted_and_the_rest_shows() -> None:
    t = timeline(45.0)
    x = squat_knee_signal(t, [90.0] * 5, start_s=1.0) + squat_knee_signal(
        t, [90.0] * 5, start_s=30.0
    ) - 5.0
    reps = detect_repetitions(cleaned(x), t, FPS)
    assert len(reps) == 10
    assert reps["rest_before_s"].iloc[5] > 15.0
    assert reps["duration_s"].max() < 2.0  # the rest is not part of any repetition


def test_a_movement_cut_by_the_end_of_the_clip_is_not_counted() -> None:
    t = timeline(10.0)
    x = squat_knee_signal(t, [90.0] * 4)
    x = x[: int(8.5 * FPS)]  # the 4th squat is stopped at its bottom... and a bit after
    reps = detect_repetitions(x, t[: x.size], FPS)
    assert len(reps) == 3


def test_a_peak_inside_a_gap_is_not_a_repetition() -> None:
    t = timeline(15.0)
    x = squat_knee_signal(t, [90.0] * 5)
    hidden = (t > 5.5) & (t < 7.5)  # the bottom of the 3rd squat is hidden
    x[hidden] = np.nan
    reps = detect_repetitions(x, t, FPS)
    assert len(reps) == 4
    assert not ((reps["peak_s"] > 5.5) & (reps["peak_s"] < 7.5)).any()


def test_no_frame_rate_or_too_few_frames_means_no_repetitions() -> None:
    assert detect_repetitions(np.array([1.0, 50.0]), np.array([0.0, 1.0]), FPS).empty
    t = timeline(10.0)
    assert detect_repetitions(squat_knee_signal(t, [90.0] * 3), t, 0.0).empty


def test_repetition_settings_round_trip_and_read_what_was_stored_before() -> None:
    s = RepSettings(angle="left_knee", min_range_deg=15.0)
    assert RepSettings.from_dict(s.to_dict()) == s
    assert RepSettings.from_dict({"min_prominence_deg": 12.0}).min_range_deg == 12.0
    with pytest.raises(AnalysisError, match="unknown repetition settings: depth"):
        RepSettings.from_dict({"depth": 3})
    with pytest.raises(AnalysisError, match="minimum range of a repetition"):
        RepSettings(min_range_deg=0.0)
    with pytest.raises(AnalysisError):
        RepSettings(consistency=0.0)
