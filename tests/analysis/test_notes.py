"""A coach's notes, key frames and drawings on a clip: stored with who and when, listed
in frame order, edited, deleted with their clip, and refused in one line when wrong."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from analysis.errors import AnalysisError
from analysis.store import Store
from analysis.store.notes import measured_angle
from tests.analysis.store_fixtures import FPS, analysed, squat_poses

WIDTH, HEIGHT, FRAMES = 1920, 1080, 100


@pytest.fixture
def store(db_url: str):
    with Store(db_url) as s:
        yield s


@pytest.fixture
def clip(store: Store) -> int:
    athlete = store.get_or_create_athlete("Anna Lee")
    session = store.get_or_create_session(athlete.id, "Squats", dt.date(2024, 5, 1))
    clip, _ = store.register_clip(
        session.id, file_name="squat.mp4", stored_path="/clips/squat.mp4", sha256="f" * 64,
        kind="video", fps=FPS, width=WIDTH, height=HEIGHT, frame_count=FRAMES,
        duration_s=FRAMES / FPS, settings={})
    store.write_clip_results(clip.id, [analysed(squat_poses(0, FRAMES))], athlete_track=0)
    return clip.id


def test_notes_marks_and_drawings_are_kept_in_frame_order(store: Store, clip: int) -> None:
    store.add_note(clip, 40, "note", "Knees <b>in</b> =1+1", created_by="Coach Kim")
    store.add_note(clip, 12, "key_frame", "deepest point")
    store.add_note(clip, 40, "angle", points=[(100, 0), (100, 100), (200, 100)])
    store.add_note(clip, 70, "line", points=[(10, 10), (500, 400)])
    store.add_note(clip, 70, "marker", points=[(960, 540)])
    notes = store.list_notes(clip)
    assert [(n.frame, n.kind) for n in notes] == [
        (12, "key_frame"), (40, "note"), (40, "angle"), (70, "line"), (70, "marker")]
    assert notes[1].text == "Knees <b>in</b> =1+1" and notes[1].created_by == "Coach Kim"
    assert notes[2].angle_deg == pytest.approx(90.0)
    assert notes[2].describe() == "Angle 90° in frame 40"
    assert [n.frame for n in store.list_notes(clip, "key_frame")] == [12]


def test_a_note_is_edited_and_deleted_and_goes_with_its_clip(store: Store, clip: int) -> None:
    note = store.add_note(clip, 40, "note", "first try")
    edited = store.update_note(note.id, text="second try", frame=41)
    assert (edited.text, edited.frame) == ("second try", 41) and edited.updated_at is not None
    store.delete_note(note.id)
    assert store.list_notes(clip) == []
    store.add_note(clip, 5, "note", "kept until the clip goes")
    store.delete_clip(clip)
    with pytest.raises(AnalysisError):
        store.list_notes(clip)


@pytest.mark.parametrize(("args", "says"), [
    ((40, "sticker", "x"), "Unknown kind"),
    ((100, "note", "x"), "not a frame of this clip"),
    ((-1, "note", "x"), "not a frame of this clip"),
    ((40, "note", "   "), "Write the note first"),
    ((40, "note", "x" * 2001), "longer than 2000"),
    ((40, "line", "", [(1, 1)]), "needs 2 points"),
    ((40, "marker", "", [(WIDTH + 1, 5)]), "outside the picture"),
    ((40, "marker", "", [("a", 5)]), "two numbers"),
])
def test_a_wrong_note_is_one_line_and_keeps_nothing(store: Store, clip: int, args, says) -> None:
    with pytest.raises(AnalysisError, match=says) as caught:
        store.add_note(clip, *args)
    assert "\n" not in str(caught.value)
    assert store.list_notes(clip) == []


def test_the_three_click_angle_is_the_interior_angle_at_the_middle_point() -> None:
    assert measured_angle([(0, 0), (1, 0), (2, 0)]) == pytest.approx(180.0)
    assert measured_angle([(0, 1), (0, 0), (1, 1)]) == pytest.approx(45.0)
    assert math.isnan(measured_angle([(0, 0), (0, 0), (1, 1)]))
