"""Repetitions counted alike in arm raises, squats, jumps and walking steps.

Each movement is drawn with 3 degrees of noise and three short runs of missing
frames (seeded), cleaned as the analysis cleans it, and its repetitions must be
exactly those drawn: their number, and each peak within 0.15 s of the top of the
movement (of its middle, for a movement held at the top: anywhere on the hold).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.filtering import CleanSettings, clean_signals
from analysis.repetitions import RepSettings, detect_repetitions
from tests.analysis.movements import arm_raises, jump_series, measured, squat_sets, walking_knee

FPS = 30.0
SEEDS = range(4)


def timeline(seconds: float) -> np.ndarray:
    return np.arange(int(seconds * FPS)) / FPS


def cleaned(x: np.ndarray) -> np.ndarray:
    return clean_signals(pd.DataFrame({"x": x}), FPS, CleanSettings())["x"].to_numpy()


TIMING_S = 0.15


def found_peaks(x: np.ndarray, t: np.ndarray, seed: int, **settings) -> np.ndarray:
    reps = detect_repetitions(cleaned(measured(x, seed)), t, FPS, RepSettings(**settings))
    return reps["peak_s"].to_numpy()


@pytest.mark.parametrize("seed", SEEDS)
def test_seven_arm_raises_with_uneven_rests_are_seven(seed: int) -> None:
    """30 s: seven raises of the arms nearly overhead, 1 to 4 s of rest between them
    (the rests would hide the cycle from an autocorrelation of the whole clip)."""
    t = timeline(30.0)
    x, peaks = arm_raises(t, [1.0, 4.5, 9.5, 12.5, 18.0, 21.5, 26.0], hold_s=0.4)
    np.testing.assert_allclose(found_peaks(x, t, seed), peaks, atol=0.2 + TIMING_S)


@pytest.mark.parametrize("seed", SEEDS)
def test_two_sets_of_squats_with_a_rest_between_are_counted_set_by_set(seed: int) -> None:
    """Five squats to 90 degrees, 18 s of rest standing, six to 100 degrees."""
    t = timeline(50.0)
    x, peaks = squat_sets(t, [[90.0] * 5, [100.0] * 6], set_starts=[1.0, 30.0])  # 0.15 s hold
    np.testing.assert_allclose(found_peaks(x, t, seed), peaks, atol=0.075 + TIMING_S)


@pytest.mark.parametrize("seed", SEEDS)
def test_ten_rebound_jumps_slowing_down_are_ten(seed: int) -> None:
    """Each ground contact a quick knee bend to 75 degrees, 0.55 s growing to 0.7 s,
    with 0.45 s of flight, knees straight, between them."""
    t = timeline(14.0)
    x, peaks = jump_series(t, 10)
    np.testing.assert_allclose(found_peaks(x, t, seed), peaks, atol=TIMING_S)


@pytest.mark.parametrize("seed", SEEDS)
def test_walking_steps_are_one_per_stride_in_one_knee(seed: int) -> None:
    """Nine strides of 1.1 s: the swing of the knee (60 degrees) counts, not the small
    bend (16 degrees) as the foot takes the weight."""
    t = timeline(10.0)
    x, peaks = walking_knee(t, stride_s=1.1)
    np.testing.assert_allclose(found_peaks(x, t, seed), peaks, atol=TIMING_S)


@pytest.mark.parametrize("seed", SEEDS)
def test_walking_steps_of_both_legs_show_in_the_mean_knee(seed: int) -> None:
    """The knees' mean bends once per step, each leg in turn: 18 steps in 10 s, each a
    half-height swing (about 30 degrees)."""
    t = timeline(10.0)
    left, left_peaks = walking_knee(t)
    right, right_peaks = walking_knee(t, offset=0.5)
    steps = np.sort(np.r_[left_peaks, right_peaks])
    np.testing.assert_allclose(found_peaks((left + right) / 2, t, seed), steps, atol=TIMING_S)


def test_a_minimum_range_above_the_movement_finds_nothing_and_below_it_finds_all() -> None:
    t = timeline(30.0)
    x, peaks = arm_raises(t, [1.0, 4.5, 9.5, 12.5, 18.0, 21.5, 26.0], top=40.0)  # 28 deg
    assert found_peaks(x, t, 0, min_range_deg=35.0).size == 0
    np.testing.assert_allclose(found_peaks(x, t, 0, min_range_deg=20.0), peaks,
                               atol=0.2 + TIMING_S)
