"""Clean-up: Hampel outliers, gap filling and the zero-phase Butterworth low-pass."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import signal

from analysis.errors import AnalysisError
from analysis.filtering import (
    CleanSettings,
    butterworth_sos,
    clean_signals,
    clean_signals_detailed,
    hampel,
    interpolate_gaps,
    lowpass,
    min_filter_length,
)

FPS = 30.0


def sine(freq_hz: float, seconds: float = 10.0, amplitude: float = 20.0) -> np.ndarray:
    t = np.arange(int(seconds * FPS)) / FPS
    return amplitude * np.sin(2 * np.pi * freq_hz * t)


def amplitude_ratio(out: np.ndarray, inp: np.ndarray) -> float:
    """Ratio of RMS amplitudes away from the edges."""
    core = slice(30, -30)
    return float(np.std(out[core]) / np.std(inp[core]))


# ---------------------------------------------------------------- low-pass


def test_a_2hz_sine_passes_the_6hz_filter_nearly_unchanged() -> None:
    x = sine(2.0)
    y = lowpass(x, FPS, cutoff_hz=6.0, order=4)
    assert amplitude_ratio(y, x) > 0.95
    assert np.max(np.abs(y - x)[30:-30]) < 0.05 * 20.0  # and no phase lag


def test_a_12hz_sine_is_damped_by_the_6hz_filter() -> None:
    x = sine(12.0)
    assert amplitude_ratio(lowpass(x, FPS, 6.0, 4), x) < 0.3


def test_the_cutoff_follows_the_clips_real_frame_rate() -> None:
    """At 120 fps a 12 Hz sine is above a 6 Hz cut-off too, and still damped."""
    t = np.arange(1200) / 120.0
    x = np.sin(2 * np.pi * 12.0 * t)
    y = lowpass(x, 120.0, 6.0, 4)
    assert float(np.std(y[100:-100]) / np.std(x[100:-100])) < 0.3


def test_a_cutoff_at_or_above_nyquist_is_a_clear_error() -> None:
    with pytest.raises(AnalysisError, match="needs a clip above 12 fps; this one is 10 fps"):
        butterworth_sos(10.0, 6.0)
    with pytest.raises(AnalysisError, match="frame rate is unknown"):
        butterworth_sos(0.0, 6.0)
    df = pd.DataFrame({"left_knee": sine(1.0)})
    with pytest.raises(AnalysisError, match="lower the cut-off below 5 Hz"):
        clean_signals(df, 10.0, CleanSettings())
    # The same clip is fine with the low-pass off, or a cut-off it can carry.
    assert clean_signals(df, 10.0, CleanSettings(lowpass=False)).notna().all(axis=None)
    assert clean_signals(df, 10.0, CleanSettings(cutoff_hz=4.0)).notna().all(axis=None)


def test_filtering_runs_on_each_contiguous_run_and_never_across_a_gap() -> None:
    x = np.r_[np.zeros(60), np.full(40, np.nan), np.full(60, 100.0)]
    y = lowpass(x, FPS)
    assert np.isnan(y[60:100]).all()
    np.testing.assert_allclose(y[:60], 0.0, atol=1e-9)  # no ringing from the step
    np.testing.assert_allclose(y[100:], 100.0, atol=1e-9)  # beyond the gap


def test_each_run_is_filtered_exactly_as_sosfiltfilt_would() -> None:
    rng = np.random.default_rng(3)
    x = np.cumsum(rng.normal(size=(900, 5)), axis=0)
    x[rng.random(x.shape) < 0.02] = np.nan
    x[:, 4] = x[:, 3]  # two columns sharing their runs
    x = np.c_[x, np.cumsum(rng.normal(size=900))]  # and one without a gap
    sos = butterworth_sos(FPS, 6.0, 4)
    expected = x.copy()
    for c in range(x.shape[1]):
        edges = np.diff(np.r_[0, np.isfinite(x[:, c]).astype(int), 0])
        for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
            if b - a > min_filter_length(4):
                expected[a:b, c] = signal.sosfiltfilt(sos, x[a:b, c])
    np.testing.assert_allclose(lowpass(x, FPS), expected, atol=1e-9)


def test_runs_too_short_for_the_filter_are_left_unfiltered() -> None:
    n = min_filter_length(4)
    assert n == 15  # 3 * (2 sections * 2 + 1) samples of edge padding for order 4
    rng = np.random.default_rng(0)
    short = rng.normal(size=n)
    x = np.r_[short, np.nan, rng.normal(size=100)]
    y = lowpass(x, FPS)
    np.testing.assert_array_equal(y[:n], short)
    assert not np.allclose(y[n + 1 :], x[n + 1 :])


def test_a_single_photo_needs_no_frame_rate() -> None:
    df = pd.DataFrame({"left_knee": [42.0]})
    out = clean_signals(df, 0.0, CleanSettings())
    assert out.iloc[0, 0] == 42.0


# ---------------------------------------------------------------- Hampel


def test_hampel_removes_an_injected_spike_and_marks_it() -> None:
    rng = np.random.default_rng(1)
    x = sine(0.5) + rng.normal(0, 0.5, 300)
    x[150] += 60.0
    y, out = hampel(x, window=7, n_sigmas=3.0)
    assert out[150]
    assert abs(y[150] - sine(0.5)[150]) < 3.0
    assert out.sum() < 15  # the rest is left alone (a few noise samples at most)
    assert (y[~out] == x[~out]).all()


def test_hampel_leaves_a_clean_smooth_signal_untouched() -> None:
    x = sine(0.5)
    y, out = hampel(x, 7, 3.0)
    assert not out.any()
    np.testing.assert_array_equal(y, x)


def test_hampel_matches_the_textbook_rule_with_gaps() -> None:
    """Median and MAD of the valid samples of each centred window, judged when more
    than half of the window is present."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(400, 3))
    x[rng.random(x.shape) < 0.1] = np.nan
    x[200, 1] = 40.0
    window, h = 7, 3
    expected_out = np.zeros(x.shape, dtype=bool)
    expected = x.copy()
    for c in range(3):
        for i in range(400):
            w = x[max(0, i - h) : i + h + 1, c]
            w = w[np.isfinite(w)]
            if np.isnan(x[i, c]) or len(w) <= h:
                continue
            m = np.median(w)
            if abs(x[i, c] - m) > 3.0 * 1.4826 * np.median(np.abs(w - m)):
                expected_out[i, c], expected[i, c] = True, m
    y, out = hampel(x, window, 3.0)
    np.testing.assert_array_equal(out, expected_out)
    np.testing.assert_allclose(y, expected, rtol=1e-6, equal_nan=True)
    assert out[200, 1]


def test_hampel_window_in_seconds_follows_the_frame_rate() -> None:
    s = CleanSettings(hampel_window_s=0.5)
    assert s.hampel_window(30.0) == 15
    assert s.hampel_window(60.0) == 31
    assert CleanSettings(hampel_window_frames=8).hampel_window(30.0) == 9  # made odd


# ---------------------------------------------------------------- gaps


def test_gaps_up_to_max_gap_are_filled_longer_ones_stay_missing_and_filled_is_marked() -> None:
    x = np.arange(100, dtype=float)
    x[10:15] = np.nan  # 5 frames = 0.17 s: filled
    x[40:70] = np.nan  # 30 frames = 1 s: kept missing
    df = pd.DataFrame({"left_knee": x})
    res = clean_signals_detailed(df, FPS, CleanSettings(hampel=False, lowpass=False, max_gap_s=0.5))
    y, filled = res.values["left_knee"].to_numpy(), res.filled["left_knee"].to_numpy()
    np.testing.assert_allclose(y[10:15], np.arange(10, 15))  # linear across the gap
    assert np.isnan(y[40:70]).all()
    assert filled[10:15].all() and filled.sum() == 5
    np.testing.assert_array_equal(y[~np.isnan(x)], x[~np.isnan(x)])


def test_gap_filling_never_extrapolates_at_the_ends() -> None:
    x = np.r_[np.nan, np.nan, 1.0, 2.0, np.nan, 4.0, np.nan]
    y, filled = interpolate_gaps(x[:, None], max_gap_frames=10)
    np.testing.assert_array_equal(np.isnan(y[:, 0]), [True, True, False, False, False, False, True])
    assert y[4, 0] == 3.0
    np.testing.assert_array_equal(filled[:, 0], [False, False, False, False, True, False, False])


# ---------------------------------------------------------------- together


def test_clean_signals_keeps_shape_index_and_columns() -> None:
    rng = np.random.default_rng(4)
    df = pd.DataFrame(
        rng.normal(size=(200, 3)), columns=["left_knee", "right_knee", "trunk"],
        index=pd.RangeIndex(200, name="frame"),
    )
    out = clean_signals(df, FPS)
    assert out.shape == df.shape
    assert out.index.equals(df.index) and list(out.columns) == list(df.columns)


def test_segment_angles_are_filtered_through_180_without_tearing() -> None:
    """A foot pointing left wobbles across +-180; the filter must not average 179 and
    -179 into 0."""
    t = np.arange(300) / FPS
    true = 180.0 + 5.0 * np.sin(2 * np.pi * 0.5 * t)
    wrapped = 180.0 - np.mod(180.0 - true, 360.0)
    df = pd.DataFrame({"left_foot": wrapped, "left_knee": wrapped})
    out = clean_signals(df, FPS)
    err = np.abs(np.mod(out["left_foot"].to_numpy() - true + 180.0, 360.0) - 180.0)
    assert err.max() < 1.0
    assert ((out["left_foot"] > -180) & (out["left_foot"] <= 180)).all()
    assert np.abs(out["left_knee"]).min() < 90  # a non-circular column is torn, as expected


def test_every_step_can_be_turned_off() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=200)
    x[50] = 100.0
    x[80:83] = np.nan
    df = pd.DataFrame({"left_knee": x})
    out = clean_signals(df, FPS, CleanSettings.raw())
    np.testing.assert_array_equal(out["left_knee"].to_numpy(), x)


def test_settings_round_trip_through_a_dict_and_refuse_unknown_keys() -> None:
    s = CleanSettings(hampel=False, hampel_window_s=0.3, max_gap_s=0.2, cutoff_hz=8.0, order=2)
    d = s.to_dict()
    assert d["cutoff_hz"] == 8.0 and d["hampel"] is False
    assert CleanSettings.from_dict(d) == s
    assert CleanSettings.from_dict({}) == CleanSettings()
    with pytest.raises(AnalysisError, match="unknown clean-up settings: cutof_hz"):
        CleanSettings.from_dict({"cutof_hz": 3})


@pytest.mark.parametrize(
    "kwargs",
    [{"cutoff_hz": 0}, {"order": 0}, {"hampel_n_sigmas": -1}, {"max_gap_s": -0.1},
     {"visibility_threshold": 1.5}, {"hampel_window_frames": 1}],
)
def test_nonsense_settings_are_refused(kwargs) -> None:
    with pytest.raises(AnalysisError):
        CleanSettings(**kwargs)


# ---------------------------------------------------------------- bounded: within what was measured


def knee_hitting_both_ends(seed: int = 0) -> np.ndarray:
    """A knee that snaps straight (0) and folds fully (180) in quick moves, held at
    each end, with 2 degrees of noise kept inside [0, 180] (as a measured angle is)
    and spikes of 60 degrees, both ways."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(12 * FPS)) / FPS
    knee = np.clip(90.0 + 120.0 * np.sign(np.sin(2 * np.pi * 0.4 * t)) * np.abs(
        np.sin(2 * np.pi * 0.4 * t)) ** 0.3, 0.0, 180.0)
    knee = np.clip(knee + rng.normal(0.0, 2.0, t.size), 0.0, 180.0)
    spikes = rng.choice(t.size, 12, replace=False)
    knee[spikes] = np.clip(knee[spikes] + rng.choice([-60.0, 60.0], 12), 0.0, 180.0)
    return knee


@pytest.mark.parametrize("seed", range(3))
def test_a_knee_near_0_and_180_with_spikes_never_leaves_its_range(seed: int) -> None:
    knee = knee_hitting_both_ends(seed)
    df = pd.DataFrame({"left_knee": knee, "right_knee_3d": knee})
    unbounded = clean_signals_detailed(df, FPS, bounded=False).values["left_knee"]
    assert unbounded.min() < -1.0 or unbounded.max() > 181.0  # what the bound is for
    out = clean_signals(df, FPS)
    assert out.min().min() >= 0.0 and out.max().max() <= 180.0


def test_every_joint_angle_stays_in_its_own_range() -> None:
    """Ankle in [-90, 90], trunk lean and the other joints in [0, 180], 3D as 2D."""
    rng = np.random.default_rng(7)
    t = np.arange(int(8 * FPS)) / FPS
    swing = np.sign(np.sin(2 * np.pi * 0.5 * t))  # square wave: the worst case for ringing
    df = pd.DataFrame({
        "left_ankle": np.clip(90.0 * swing + rng.normal(0, 1, t.size), -90, 90),
        "trunk_lean_3d": np.clip(90.0 + 90.0 * swing + rng.normal(0, 1, t.size), 0, 180),
        "right_shoulder": np.clip(90.0 + 90.0 * swing + rng.normal(0, 1, t.size), 0, 180),
    })
    out = clean_signals(df, FPS)
    assert out["left_ankle"].between(-90.0, 90.0).all()
    assert out["trunk_lean_3d"].between(0.0, 180.0).all()
    assert out["right_shoulder"].between(0.0, 180.0).all()


def test_a_quick_step_is_smoothed_without_overshoot_on_either_side() -> None:
    """An elbow that straightens from 100 to 20 degrees in one frame: the plain
    filter rings about 10 % past both levels, the bounded one stays between them."""
    x = np.r_[np.full(60, 100.0), np.full(60, 20.0)]
    df = pd.DataFrame({"left_elbow": x})
    unbounded = clean_signals_detailed(df, FPS, bounded=False).values["left_elbow"]
    assert unbounded.max() > 105.0 and unbounded.min() < 15.0
    y = clean_signals(df, FPS)["left_elbow"]
    assert y.max() <= 100.0 and y.min() >= 20.0
    assert 20.0 < y.iloc[59] < 100.0  # still smoothed across the step, not a copy


def test_the_bound_leaves_ordinary_movement_as_the_filter_makes_it() -> None:
    """A 1 Hz squat-like knee swing with 2 degrees of noise: bounding changes the
    filtered curve by less than a degree anywhere, and adds no lag."""
    rng = np.random.default_rng(8)
    t = np.arange(300) / FPS
    x = 60.0 - 50.0 * np.cos(2 * np.pi * t) + rng.normal(0, 2.0, t.size)
    df = pd.DataFrame({"left_knee": x})
    bounded = clean_signals(df, FPS)["left_knee"].to_numpy()
    plain = clean_signals_detailed(df, FPS, bounded=False).values["left_knee"].to_numpy()
    assert np.max(np.abs(bounded - plain)) < 1.0
    true = 60.0 - 50.0 * np.cos(2 * np.pi * t)
    lags = range(-3, 4)
    assert max(lags, key=lambda k: np.dot(np.roll(bounded, k)[10:-10], true[10:-10])) == 0


def test_each_cleaned_value_stays_within_what_was_measured_around_it() -> None:
    """The envelope: +-3 frames at 30 fps and a 6 Hz cut-off."""
    rng = np.random.default_rng(9)
    x = np.clip(np.cumsum(rng.normal(0, 6.0, 600)) % 180.0, 0, 180)  # jumpy, with wraps
    y = clean_signals(pd.DataFrame({"left_hip": x}), FPS, CleanSettings(hampel=False))
    y = y["left_hip"].to_numpy()
    lo = pd.Series(x).rolling(7, center=True, min_periods=1).min().to_numpy()
    hi = pd.Series(x).rolling(7, center=True, min_periods=1).max().to_numpy()
    assert (y >= lo - 1e-9).all() and (y <= hi + 1e-9).all()


def test_a_segment_crossing_180_and_turning_all_round_stays_in_its_range() -> None:
    """A forearm swinging through the horizontal-left direction, then circling once,
    with noise and spikes: cleaned values in (-180, 180], continuous through +-180."""
    rng = np.random.default_rng(10)
    t = np.arange(int(10 * FPS)) / FPS
    true = np.where(t < 5, 180.0 + 30.0 * np.sin(2 * np.pi * 0.5 * t), 180.0 + 72.0 * (t - 5))
    measured = true + rng.normal(0, 2.0, t.size)
    measured[rng.choice(t.size, 8, replace=False)] += 70.0
    wrapped = 180.0 - np.mod(180.0 - measured, 360.0)
    out = clean_signals(pd.DataFrame({"left_forearm": wrapped}), FPS)["left_forearm"].to_numpy()
    assert ((out > -180.0) & (out <= 180.0)).all()
    err = np.abs(np.mod(out - true + 180.0, 360.0) - 180.0)
    assert np.median(err) < 2.0 and err.max() < 10.0


def test_cleaning_leaves_the_measured_values_as_they_were() -> None:
    """The raw angles are kept beside the cleaned ones: cleaning a table must not
    unwrap its segment angles or remove its spikes in place (a table built from one
    2-D block hands numpy a view that is already laid out as the clean-up's rows)."""
    rng = np.random.default_rng(11)
    block = np.c_[wrap := 180.0 - np.mod(180.0 - (170.0 + np.arange(300.0)), 360.0),
                  rng.normal(40, 2, 300)]
    block[150, 1] = 170.0
    raw = pd.DataFrame(np.asfortranarray(block), columns=["left_foot", "left_knee"])
    before = raw.copy()
    clean_signals_detailed(raw, FPS)
    pd.testing.assert_frame_equal(raw, before)
    assert raw["left_foot"].max() <= 180.0 and np.array_equal(raw["left_foot"], wrap)
