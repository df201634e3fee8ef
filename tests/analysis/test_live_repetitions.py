"""The online repetition counter against the clips' (offline) one, on the same signals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.filtering import CleanSettings, clean_signals
from analysis.live_repetitions import LiveRepCounter
from analysis.rep_signals import find_repetitions
from analysis.repetitions import RepSettings

FPS = 30.0


def _squats(reps: int, period_s: float = 2.0, rest_s: float = 1.0, depth: float = 90.0,
            seed: int = 0, lead_s: float = 1.5) -> tuple[np.ndarray, np.ndarray]:
    """(times, knee) a standing athlete doing ``reps`` squats (degrees of flexion), noisy."""
    rng = np.random.default_rng(seed)
    pieces = [np.full(int(lead_s * FPS), 5.0)]
    for i in range(reps):
        n = int(period_s * FPS)
        phase = np.linspace(0, 2 * np.pi, n, endpoint=False)
        pieces.append(5.0 + (depth + 4 * np.sin(i)) * 0.5 * (1 - np.cos(phase)))
        pieces.append(np.full(int(rest_s * FPS), 5.0))
    knee = np.concatenate(pieces) + rng.normal(0, 1.5, sum(map(len, pieces)))
    return np.arange(knee.size) / FPS, knee


def _offline(times: np.ndarray, table: pd.DataFrame, angle: str,
             settings: RepSettings | None = None) -> pd.DataFrame:
    """The clips' chain: clean every column, then repetitions in ``angle``."""
    cleaned = clean_signals(table, FPS, CleanSettings())
    s = settings or RepSettings()
    return find_repetitions(cleaned, times, FPS, RepSettings(**{**s.to_dict(), "angle": angle})
                            ).repetitions


def _online(times: np.ndarray, table: pd.DataFrame, angle: str, **options) -> LiveRepCounter:
    counter = LiveRepCounter(angle, **options)
    for t, row in zip(times, table.to_dict("records"), strict=True):
        counter.push(float(t), row)
    return counter


@pytest.mark.parametrize(("reps", "rest_s", "seed"), [(2, 1.0, 0), (5, 1.0, 1), (8, 0.3, 2),
                                                      (6, 3.0, 3)])
def test_same_count_and_peaks_as_offline_on_one_side(reps: int, rest_s: float, seed: int):
    times, knee = _squats(reps, rest_s=rest_s, seed=seed)
    table = pd.DataFrame({"left_knee": knee})
    offline = _offline(times, table, "left_knee")
    counter = _online(times, table, "left_knee")
    final = counter.finish()
    assert len(offline) == reps
    assert final.count == len(offline)
    np.testing.assert_allclose(final.peaks_s, offline["peak_s"].to_numpy(), atol=2.5 / FPS)
    assert final.last_rom == pytest.approx(offline["rom"].iloc[-1], abs=3.0)


def test_counts_as_they_end_while_the_stream_runs():
    """Before the stream ends, each repetition is counted within a second of its end (the
    first one waits for the second: two make a repeated movement)."""
    times, knee = _squats(6, seed=4)
    table = pd.DataFrame({"left_knee": knee})
    offline = _offline(times, table, "left_knee")
    counter = LiveRepCounter("left_knee")
    counted_at: dict[int, float] = {}
    for t, row in zip(times, table.to_dict("records"), strict=True):
        state = counter.push(float(t), row)
        for k in range(1, state.count + 1):
            counted_at.setdefault(k, float(t))
    assert len(counted_at) == len(offline)  # all six before finish()
    ends = offline["end_s"].to_numpy()
    for k in range(2, len(offline) + 1):
        assert counted_at[k] - ends[k - 1] <= 1.0


def test_pair_signal_matches_offline_pair():
    times, left = _squats(4, seed=5)
    right = left + np.random.default_rng(6).normal(0, 2.0, left.size) + 3.0
    right[100:130] = np.nan  # the right knee hidden for a second
    table = pd.DataFrame({"left_knee": left, "right_knee": right})
    offline = _offline(times, table, "knee")
    final = _online(times, table, "knee").finish()
    assert final.count == len(offline) == 4
    np.testing.assert_allclose(final.peaks_s, offline["peak_s"].to_numpy(), atol=2.5 / FPS)


def test_window_shorter_than_the_stream_still_counts_every_repetition():
    times, knee = _squats(12, seed=7)  # about 38 s
    table = pd.DataFrame({"left_knee": knee})
    offline = _offline(times, table, "left_knee")
    final = _online(times, table, "left_knee", window_s=12.0).finish()
    assert final.count == len(offline) == 12


@pytest.mark.parametrize("kind", ["noise", "constant", "one"])
def test_nothing_counted_where_offline_finds_nothing(kind: str):
    rng = np.random.default_rng(8)
    times = np.arange(int(20 * FPS)) / FPS
    if kind == "noise":
        knee = 20 + rng.normal(0, 4, times.size)
    elif kind == "constant":
        knee = np.full(times.size, 12.0)
    else:  # a single squat
        knee = 5 + 80 * np.exp(-((times - 10) ** 2) / 0.5)
    table = pd.DataFrame({"left_knee": knee})
    assert len(_offline(times, table, "left_knee")) == 0
    assert _online(times, table, "left_knee").finish().count == 0


def test_unseen_angle_and_reset():
    counter = LiveRepCounter("left_elbow")
    for i in range(100):
        state = counter.push(i / FPS, {"left_knee": 10.0})
    assert state.count == 0 and np.isnan(state.value)
    times, knee = _squats(3, seed=9)
    counter = _online(times, pd.DataFrame({"left_knee": knee}), "left_knee")
    assert counter.finish().count == 3
    counter.reset()
    assert counter.state().count == 0
