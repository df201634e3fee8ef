"""A height typed in centimetres ("178" in the height field) is read as 1.78 m, never
dropped; what is neither metres nor centimetres is refused with one clear line (issue 10,
defect 3)."""

from __future__ import annotations

import pytest

from analysis import AnalysisError
from analysis.store import Store
from dashboard.height import parse_height
from tests.dashboard.test_pages import open_page


@pytest.mark.parametrize("typed, metres", [
    ("1.78", 1.78), ("1,78", 1.78), ("178", 1.78), ("178 cm", 1.78), ("178cm", 1.78),
    ("1.78 m", 1.78), ("  65 ", 0.65), ("2.8", 2.8), ("", None), ("   ", None),
])
def test_heights_in_metres_or_centimetres(typed: str, metres: float | None):
    assert parse_height(typed) == (pytest.approx(metres) if metres is not None else None)


@pytest.mark.parametrize("typed", ["12", "3", "300", "1780", "tall", "1.78 ft", "-1.7"])
def test_what_is_neither_is_refused_saying_what_is_accepted(typed: str):
    with pytest.raises(AnalysisError, match="metres .* centimetres"):
        parse_height(typed)


def _create(at, name: str, height: str):
    next(t for t in at.text_input if t.label == "Name").input(name)
    next(t for t in at.text_input if t.label.startswith("Height")).input(height)
    next(b for b in at.button if b.label == "Create athlete").click().run()


def test_178_typed_on_the_analyse_page_makes_an_athlete_178_cm_tall(store: Store):  # noqa: F811
    at = open_page("analyse")
    _create(at, "Anna Lee", "178")
    assert not at.exception and not at.error
    (athlete,) = store.list_athletes()
    assert athlete.height_m == pytest.approx(1.78)


def test_a_height_that_is_not_one_creates_nobody_and_says_why(store: Store):  # noqa: F811
    at = open_page("analyse")
    _create(at, "Anna Lee", "17")
    assert not at.exception
    assert len(at.error) == 1 and "not a height" in at.error[0].value
    assert store.list_athletes() == []


def test_the_sessions_page_saves_a_height_typed_in_centimetres(store: Store):  # noqa: F811
    store.create_athlete("Anna Lee", 1.70)
    at = open_page("sessions")
    field = next(t for t in at.text_input if t.label.startswith("Height"))
    assert field.value == "1.70"
    field.input("181")
    next(b for b in at.button if b.label == "Save athlete").click().run()
    assert not at.exception and not at.error
    assert store.list_athletes()[0].height_m == pytest.approx(1.81)
