"""The angles of the real clip's two people stay physical, raw and cleaned, 2D and 3D.

parkour_walk.mp4 (../shared/media): a man walking on a rooftop box, backlit, and a
woman walking on the grass; skipped with a reason when the media is absent.
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis.angles import SEGMENT_ANGLES, unwrap_deg
from analysis.bounds import definition_range
from analysis.store import TrackPoses
from analysis.track import TrackAnalysis, analyse_track

FPS = 30.0


@pytest.fixture(scope="module", params=["man", "woman"])
def person(request, parkour_people: dict[str, TrackPoses]) -> TrackAnalysis:
    p = parkour_people[request.param]
    return analyse_track(p.keypoints, p.world, p.times, FPS)


def bounded_columns(analysis: TrackAnalysis) -> list[str]:
    return [c for c in analysis.angles.columns if definition_range(c) is not None]


def test_no_joint_angle_leaves_its_range_raw_or_cleaned_2d_or_3d(person) -> None:
    columns = bounded_columns(person)
    assert any(c.endswith("_3d") for c in columns) and "left_ankle" in columns
    for table in (person.angles_raw, person.angles):
        for c in columns:
            low, high = definition_range(c)
            values = table[c].dropna()
            assert values.between(low, high).all(), (c, values.min(), values.max())


def test_no_cleaned_joint_angle_goes_past_what_was_measured(person) -> None:
    """Outlier rejection, gap filling and the bounded low-pass only ever average what
    was measured: the cleaned extremes lie within the raw ones."""
    for c in bounded_columns(person):
        raw, clean = person.angles_raw[c], person.angles[c]
        if clean.notna().any():
            assert clean.max() <= raw.max() + 1e-9, c
            assert clean.min() >= raw.min() - 1e-9, c


def test_segment_angles_are_reported_in_range_and_summarised_as_continuous_turns(person) -> None:
    for table in (person.angles_raw, person.angles):
        values = table[list(SEGMENT_ANGLES)].to_numpy()
        seen = values[np.isfinite(values)]
        assert ((seen > -180.0) & (seen <= 180.0)).all()
    summary = person.summary
    for c in SEGMENT_ANGLES:
        continuous = unwrap_deg(person.angles[c].to_numpy())
        if np.isfinite(continuous).any():
            assert summary.loc[c, "rom"] == pytest.approx(np.nanmax(continuous)
                                                          - np.nanmin(continuous))
        for stat in ("min", "max", "mean", "raw_min", "raw_max", "raw_mean"):
            value = summary.loc[c, stat]
            assert np.isnan(value) or -180.0 < value <= 180.0, (c, stat, value)


def test_the_summary_reports_joint_ranges_a_body_can_have(person) -> None:
    for c in bounded_columns(person):
        low, high = definition_range(c)
        row = person.summary.loc[c]
        if row["count"]:
            assert low <= row["min"] <= row["max"] <= high
            assert 0.0 <= row["rom"] <= high - low
