"""Summaries of angle signals: joint angles as numbers, segment angles as turns.

Segment angles are reported in (-180, 180]; their ROM is that of the continuous
signal (a full turn is 360 or more), their min and max the continuous extremes
wrapped back, their mean the circular mean.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.angle_stats import angle_stats, span_stats, summarise_angles
from analysis.angles import wrap_deg

FPS = 30.0


def test_a_segment_swinging_through_180_has_its_real_range_of_motion() -> None:
    df = pd.DataFrame({"left_foot": [170.0, 179.0, -179.0, -170.0], "left_knee": [0, 10, 20, 5]})
    s = summarise_angles(df)
    assert s.loc["left_foot", "rom"] == pytest.approx(20.0)
    assert s.loc["left_foot", "min"] == pytest.approx(170.0)
    assert s.loc["left_foot", "max"] == pytest.approx(-170.0)  # 190, wrapped back
    assert s.loc["left_foot", "mean"] == pytest.approx(180.0)
    assert s.loc["left_knee", "rom"] == pytest.approx(20.0)
    assert s.loc["left_knee", "count"] == 4


def test_an_arm_circle_reads_as_a_full_turn_not_as_a_456_degree_maximum() -> None:
    """The forearm turns once and a quarter round (450 degrees) in 3 s, with noise."""
    t = np.arange(int(3 * FPS)) / FPS
    turning = -60.0 + 150.0 * t + np.random.default_rng(0).normal(0, 2.0, t.size)
    df = pd.DataFrame({"left_forearm": wrap_deg(turning)})
    s = summarise_angles(df).loc["left_forearm"]
    assert s["rom"] == pytest.approx(np.ptp(turning))
    assert s["rom"] >= 360.0
    assert -180.0 < s["min"] <= 180.0 and -180.0 < s["max"] <= 180.0
    assert s["min"] == pytest.approx(wrap_deg(turning.min()))
    assert s["max"] == pytest.approx(wrap_deg(turning.max()))


def test_segment_statistics_are_always_in_range_and_the_range_never_shrinks_a_turn() -> None:
    rng = np.random.default_rng(1)
    walk = np.cumsum(rng.normal(0, 8.0, size=(600, 5)), axis=0)  # wanders over turns
    walk[rng.random(walk.shape) < 0.05] = np.nan
    stats = angle_stats(wrap_deg(walk), np.ones(5, bool))
    lo, hi, rom, mean = stats.T
    for v in (lo, hi, mean):
        assert ((v > -180.0) & (v <= 180.0)).all()
    np.testing.assert_allclose(rom, np.nanmax(walk, 0) - np.nanmin(walk, 0), atol=1e-6)


def test_a_joint_angle_is_summarised_as_plain_numbers() -> None:
    s = summarise_angles(pd.DataFrame({"left_knee": [5.0, np.nan, 120.0, 60.0]})).loc["left_knee"]
    assert (s["min"], s["max"], s["rom"], s["mean"], s["count"]) == (5.0, 120.0, 115.0,
                                                                      pytest.approx(185 / 3), 3)


def test_an_angle_never_seen_has_no_statistics() -> None:
    s = summarise_angles(pd.DataFrame({"left_knee": [np.nan] * 3, "trunk": [np.nan] * 3}))
    assert s[["min", "max", "rom", "mean"]].isna().all(axis=None)
    assert (s["count"] == 0).all()


def test_statistics_of_many_spans_at_once_match_span_by_span() -> None:
    rng = np.random.default_rng(0)
    values = rng.uniform(-180, 180, size=(200, 4))
    values[rng.random(values.shape) < 0.2] = np.nan
    values[50:90, 1] = np.nan  # a span with no value at all in one column
    circ = np.array([False, False, True, True])
    spans = np.array([[0, 10], [5, 60], [55, 89], [120, 120], [100, 199]])  # overlapping
    together = span_stats(values, spans, circ, chunk=500)  # several chunks
    for r, (a, b) in enumerate(spans):
        np.testing.assert_allclose(together[r], angle_stats(values[a : b + 1], circ))
    assert np.isnan(together[2, 1]).all()
