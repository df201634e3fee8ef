"""Definition ranges by name, and the envelope a filtered value is kept in."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.angles import ANGLE_NAMES_2D, ANGLE_NAMES_3D, SEGMENT_ANGLES
from analysis.bounds import (
    clip_to_definition,
    definition_range,
    envelope_half_window,
    limit_to_envelope,
)
from analysis.rep_regularity import without_rests


@pytest.mark.parametrize(("name", "expected"), [
    ("left_knee", (0.0, 180.0)), ("right_hip_3d", (0.0, 180.0)),
    ("left_ankle", (-90.0, 90.0)), ("right_ankle_3d", (-90.0, 90.0)),
    ("left_shoulder", (0.0, 180.0)), ("trunk_lean_3d", (0.0, 180.0)),
    ("trunk", None), ("left_forearm", None), ("knee", None), ("time_s", None),
])
def test_each_angle_has_the_range_design_md_gives_it(name: str, expected) -> None:
    assert definition_range(name) == expected


def test_every_angle_but_the_segments_is_bounded() -> None:
    bounded = {n for n in (*ANGLE_NAMES_2D, *ANGLE_NAMES_3D) if definition_range(n)}
    assert bounded == set(ANGLE_NAMES_2D) - set(SEGMENT_ANGLES) | set(ANGLE_NAMES_3D)


def test_clipping_to_the_definition_leaves_missing_values_and_segments_alone() -> None:
    values = np.array([[-9.5, 188.0, -95.0, 456.0, np.nan]])
    out = clip_to_definition(values, ["left_knee", "right_hip", "left_ankle", "trunk", "x"])
    np.testing.assert_array_equal(out, [[0.0, 180.0, -90.0, 456.0, np.nan]])


def test_the_envelope_is_half_a_cutoff_period_and_skips_missing_samples() -> None:
    assert envelope_half_window(30.0, 6.0) == 3
    assert envelope_half_window(120.0, 6.0) == 10
    assert envelope_half_window(0.0, 6.0) == 1
    reference = np.array([[0.0, 10.0, np.nan, np.nan, np.nan, np.nan, 50.0]])
    filtered = np.array([[-2.0, 12.0, 30.0, 30.0, 30.0, 60.0, 48.0]])
    np.testing.assert_array_equal(limit_to_envelope(filtered, reference, 1),
                                  [[0.0, 10.0, 10.0, 30.0, 30.0, 50.0, 50.0]])


def test_rests_between_repetitions_are_cut_to_the_shortest() -> None:
    """Repetitions at frames 2-4, 8-10 and 19-21: rests of 3 and 8 frames; each is
    cut to 3 (2 kept after a repetition, 1 before the next)."""
    x = np.arange(25.0)
    kept, at = without_rests(x, np.array([2, 8, 19]), np.array([4, 10, 21]),
                             np.array([3, 9, 20]))
    np.testing.assert_array_equal(kept, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 18, 19, 20,
                                         21, 22, 23])
    np.testing.assert_array_equal(kept[at], [3, 9, 20])
