"""Notes follow the access rules: a coach notes their club's clips only, an athlete reads
their own clips' notes and writes none, and another club's notes do not exist for them."""

from __future__ import annotations

import pytest

from analysis import AnalysisError
from dashboard.access import READ_ONLY_MESSAGE
from tests.dashboard.test_access import scoped, world  # noqa: F401 - the shared fixture


def test_a_coach_notes_their_clubs_clips_only(world) -> None:  # noqa: F811
    store, _, clips, _ = world
    coach = scoped(world, "carla")
    mine = coach.add_note(clips["Anna Lee"], 10, "note", "Knees out")
    assert [n.id for n in coach.list_notes(clips["Anna Lee"])] == [mine.id]
    other = store.add_note(clips["Cleo Park"], 10, "note", "Harbour's")
    with pytest.raises(AnalysisError, match="No clip"):
        coach.add_note(clips["Cleo Park"], 10, "note", "not mine")
    with pytest.raises(AnalysisError, match="No note"):
        coach.update_note(other.id, text="changed")
    with pytest.raises(AnalysisError, match="No note"):
        coach.delete_note(other.id)
    assert store.list_notes(clips["Cleo Park"])[0].text == "Harbour's"


def test_an_athlete_reads_their_notes_and_writes_none(world) -> None:  # noqa: F811
    store, _, clips, _ = world
    note = store.add_note(clips["Anna Lee"], 10, "note", "Knees out")
    anna = scoped(world, "anna")
    assert [n.text for n in anna.list_notes(clips["Anna Lee"])] == ["Knees out"]
    with pytest.raises(AnalysisError, match=READ_ONLY_MESSAGE):
        anna.update_note(note.id, text="mine now")
    with pytest.raises(AnalysisError, match="No clip"):
        anna.list_notes(clips["Ben Ode"])
