"""The Clip view's "Left and right" panel through Streamlit's AppTest: a coach swaps left
and right for a run of frames of a real analysed clip, sees the metrics recomputed and
undoes it; a wrong range is one error line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from analysis.export import angles_table
from analysis.pipeline import PipelineSettings, analyse_file
from analysis.store import Store
from dashboard.state import get_estimator
from tests.dashboard.conftest import make_synthetic_clip
from tests.dashboard.test_pages import open_page

TOL_DEG = 0.1  # angles recomputed from the stored (fixed-point) poses


def widget(at: AppTest, kind: str, label: str):
    """The swap panel's widget of that label (the trim panel has its own "First frame")."""
    found = [w for w in at.get(kind) if w.label == label
             and not str(getattr(w, "key", "") or "").startswith("trim_")]
    assert found, f"no {kind} {label!r}"
    return found[0]


def swap_on_page(at: AppTest, first: int, last: int, what: str) -> AppTest:
    widget(at, "number_input", "First frame").set_value(first)
    widget(at, "number_input", "Last frame").set_value(last)
    widget(at, "radio", "Swap").set_value(what)
    widget(at, "button", "Swap left and right").click()
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.mark.media
def test_a_coach_swaps_left_and_right_on_a_real_clip_and_undoes_it(
    store: Store, short_clip: Path
) -> None:
    clip_id = analyse_file(store, short_clip, "Anna Lee", "Walk", PipelineSettings(max_people=2),
                           estimator=get_estimator(2))
    person = store.get_clip(clip_id).athlete_track
    before = store.read_angles(clip_id, person, cleaned=False).set_index("frame")
    at = open_page("clip_view", section="Correct joints")
    assert any(c.value == "Swapped by hand: no frames." for c in at.caption)

    swap_on_page(at, 10, 30, "Whole body")
    assert [s.value for s in at.success] == [
        f"Left and right swapped (whole body) in frames 10–30 for Person {person}; "
        "the metrics are recomputed."
    ]
    assert not at.error
    assert any(c.value == "Swapped by hand: whole body in frames 10–30." for c in at.caption)
    after = store.read_angles(clip_id, person, cleaned=False).set_index("frame")
    inside = before.index[(before.index >= 10) & (before.index <= 30)]
    outside = before.index.difference(inside)
    for left, right in (("left_knee", "right_knee"), ("left_elbow", "right_elbow")):
        assert np.isfinite(before.loc[inside, left]).sum() > 10
        np.testing.assert_allclose(after.loc[inside, left], before.loc[inside, right],
                                   atol=TOL_DEG)
        np.testing.assert_allclose(after.loc[inside, right], before.loc[inside, left],
                                   atol=TOL_DEG)
        np.testing.assert_allclose(after.loc[outside, left], before.loc[outside, left],
                                   atol=TOL_DEG)
    marks = angles_table(store, clip_id, person).set_index("frame")["sides_corrected"]
    assert all("manual:body+arms+legs" in marks[f] for f in range(10, 31))
    assert not any("manual" in marks[f] for f in outside)

    (undo,) = [b for b in at.button if b.label == "Undo"]
    undo.click()
    at.run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == [
        f"Undone for Person {person}: Left and right swapped (whole body) in frames 10–30; "
        "the metrics are recomputed."
    ]
    assert not [b for b in at.button if b.label == "Undo"]
    restored = store.read_angles(clip_id, person, cleaned=False).set_index("frame")
    np.testing.assert_allclose(restored["left_knee"], before["left_knee"], atol=TOL_DEG)
    (correction,) = store.list_corrections(clip_id)
    assert correction.undone_at is not None


def test_a_wrong_range_is_one_error_line_and_nothing_is_kept(store: Store, tmp_path: Path):
    clip_id = make_synthetic_clip(store, tmp_path / "media")
    at = open_page("clip_view", section="Correct joints")
    swap_on_page(at, 40, 20, "Legs")
    assert [e.value for e in at.error] == ["The first frame (40) comes after the last one (20)."]
    assert not at.success
    assert store.list_corrections(clip_id) == []


def test_the_current_frame_button_takes_the_frame_shown(store: Store, tmp_path: Path):
    make_synthetic_clip(store, tmp_path / "media")
    at = open_page("clip_view", section="Correct joints")
    at.slider(key="clip_frame").set_value(42).run()
    widget(at, "button", "Current frame").click()  # the first frame's
    at.run()
    assert widget(at, "number_input", "First frame").value == 42
    assert widget(at, "number_input", "Last frame").value == 0
