"""The Sessions page after a change (issue 10, defect 7): saving says so, the selector stays
on what was saved, clips can be renamed and moved to another session, an athlete without
sessions shows empty cells (not "None"), and the safe choice of a delete is the highlighted one."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from analysis.store import Store
from dashboard.escape import shown
from tests.dashboard.conftest import make_synthetic_clip
from tests.dashboard.test_pages import open_page


def test_saving_a_session_says_so_and_the_selector_stays_on_it(
    store: Store, tmp_path: Path  # noqa: F811
):
    make_synthetic_clip(store, tmp_path / "clips", athlete="Anna Lee", session="Squats",
                        date=dt.date(2026, 1, 1))
    anna = store.find_athlete("Anna Lee")
    lunges = store.create_session(anna.id, "Lunges", dt.date(2026, 1, 5))
    at = open_page("sessions")
    at.selectbox(key="manage_session").select(lunges.id).run()
    form_title = next(t for t in at.text_input if t.label == "Title")
    form_title.input("Walking lunges")
    # Moved to a date that puts it first in the list: the selector must not follow the list.
    next(d for d in at.date_input if d.label == "Date").set_value(dt.date(2025, 12, 1))
    next(b for b in at.button if b.label == "Save session").click().run()
    assert not at.exception and not at.error
    assert [shown(s.value) for s in at.success] == ["Session Walking lunges saved."]
    assert at.selectbox(key="manage_session").value == lunges.id
    assert store.get_session(lunges.id).title == "Walking lunges"


def test_a_clip_is_renamed_and_moved_to_another_session(store: Store, tmp_path: Path):  # noqa: F811
    clip_id = make_synthetic_clip(store, tmp_path / "clips", athlete="Anna Lee",
                                  session="Squats")
    anna = store.find_athlete("Anna Lee")
    other = store.create_session(anna.id, "Strength", dt.date(2026, 2, 2))
    at = open_page("sessions")
    at.text_input(key="clip_name").input("Back squat, side view")
    at.selectbox(key="clip_session").select(other.id)
    next(b for b in at.button if b.label == "Save clip").click().run()
    assert not at.exception and not at.error
    clip = store.get_clip(clip_id)
    assert (clip.file_name, clip.session_id) == ("Back squat, side view", other.id)
    assert [shown(s.value) for s in at.success] == ["Clip Back squat, side view saved."]
    assert at.selectbox(key="manage_clip").value == clip_id


def test_an_athlete_without_sessions_shows_empty_cells_not_none(store: Store):  # noqa: F811
    store.create_athlete("Bob Marsh")
    at = open_page("sessions")
    row = at.dataframe[0].value.iloc[0]
    assert row["Athlete"] == "Bob Marsh"
    assert all(row[c] == "" for c in ("Session", "File", "Status", "Frames", "People"))


def test_the_safe_choice_of_a_delete_is_the_highlighted_one(store: Store, tmp_path: Path):  # noqa: F811
    make_synthetic_clip(store, tmp_path / "clips", athlete="Anna Lee", session="Squats")
    at = open_page("sessions")
    at.button(key="delete_session").click().run()
    assert at.button(key="cancel_session").proto.type == "primary"
    assert at.button(key="confirm_session").proto.type == "secondary"
