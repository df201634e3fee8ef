"""The Clip view's "Notes and marks" panel: timestamped notes, key frames and drawings.

On the current frame a coach writes a note, marks the frame as a key frame, or draws on
it: a marker (one click), a line (two clicks) or an angle (three clicks, the vertex in
the middle: its value is measured and shown). Everything is stored
(:meth:`analysis.Store.add_note`), listed in frame order with its time, editable (text)
and deletable, and "Go" moves the player to its frame. The notes show on the angle
charts' timeline, in the annotated MP4 and in the athlete's report.

Clicks arrive in the shown image's pixels (``streamlit-image-coordinates``) and are
mapped to the clip's pixels as in :mod:`dashboard.joints_panel`; each click is acted on
once.
"""

from __future__ import annotations

import cv2
import numpy as np
import streamlit as st

from analysis import ClipInfo, Store
from analysis.store.models import NOTE_KINDS
from dashboard.clickable_frame import clickable_frame, clip_pixels
from dashboard.clipdata import ClipData, frame_image, frame_reader
from dashboard.escape import md
from dashboard.note_drawing import draw_notes
from dashboard.state import USER_ERRORS, one_line, user_errors

TOOLS = {"Write only": None, "Marker": "marker", "Line": "line", "Angle": "angle"}
OUTCOME = "notes_outcome"
SEEN = "notes_click_seen"
AUTHOR = "corrections_author"  # who writes: typed in the corrections panel


def _points_key(clip_id: int, frame: int, kind: str) -> str:
    return f"notes_points_{clip_id}_{frame}_{kind}"


def _add(store: Store, clip: ClipInfo, frame: int, kind: str, text: str,
         points=()) -> None:
    try:
        made = store.add_note(clip.id, frame, kind, text, points,
                              created_by=st.session_state.get(AUTHOR, ""))
    except USER_ERRORS as error:
        st.session_state[OUTCOME] = ("error", one_line(error))
    else:
        st.session_state[OUTCOME] = ("success", md(f"Added: {made.describe()}."))


def _write(store: Store, clip: ClipInfo, frame: int, kind: str, text_key: str) -> None:
    _add(store, clip, frame, kind, st.session_state.get(text_key, ""))
    if st.session_state.get(OUTCOME, ("",))[0] == "success":
        st.session_state[text_key] = ""


def _edit(store: Store, note_id: int, key: str) -> None:
    try:
        store.update_note(note_id, text=st.session_state.get(key, ""))
    except USER_ERRORS as error:
        st.session_state[OUTCOME] = ("error", one_line(error))


def _delete(store: Store, note_id: int) -> None:
    try:
        store.delete_note(note_id)
    except USER_ERRORS as error:
        st.session_state[OUTCOME] = ("error", one_line(error))


def _go(frame: int, frame_key: str, jump_key: str) -> None:
    st.session_state[frame_key] = frame
    st.session_state[jump_key] = st.session_state.get(jump_key, 0) + 1


def notes_panel(store: Store, clip: ClipInfo, data: ClipData, athlete_track: int | None,
                athlete_name: str, names: tuple[str, ...], *, frame: int, frame_key: str,
                jump_key: str, editable: bool = True) -> None:
    """The panel on clip frame ``frame``; ``frame_key`` and ``jump_key`` are the page's
    session keys of the current frame and of the player's jump counter. Not
    ``editable`` (an athlete's account): the notes are listed only."""
    st.subheader("Notes and marks")
    outcome = st.session_state.pop(OUTCOME, None)
    if outcome is not None:
        (st.success if outcome[0] == "success" else st.error)(outcome[1])
    notes = []
    with user_errors():
        notes = store.list_notes(clip.id)
    if not editable:
        _note_list(store, notes, data, frame_key, jump_key, editable=False)
        return
    t = float(data.frame_times[min(frame, data.frame_count - 1)])
    image_col, tool_col = st.columns([2, 1], gap="medium")
    with tool_col:
        st.caption(f"Frame {frame} · {t:.2f} s")
        text_key = f"notes_text_{clip.id}"
        st.text_area("Note", key=text_key, max_chars=2000, height=90,
                     placeholder="What the athlete should look at here")
        cols = st.columns(2)
        cols[0].button("Add note", icon=":material/sticky_note_2:", on_click=_write,
                       args=(store, clip, frame, "note", text_key))
        cols[1].button("Key frame", icon=":material/bookmark:", on_click=_write,
                       args=(store, clip, frame, "key_frame", text_key),
                       help="Mark this frame as a key frame (the note, if any, as its caption).")
        tool = TOOLS[st.radio("Draw on the frame", list(TOOLS), horizontal=True,
                              key=f"notes_tool_{clip.id}")]
        if tool is not None:
            pending = st.session_state.get(_points_key(clip.id, frame, tool), [])
            need = NOTE_KINDS[tool]
            st.caption(f"Click {need - len(pending)} more point"
                       f"{'' if need - len(pending) == 1 else 's'} on the frame"
                       + (" (the angle's vertex second)." if tool == "angle" else "."))
    jpeg = frame_image(data, frame, athlete_track, athlete_name, names)
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    scale = frame_reader(clip).scale
    draw_notes(image, [n for n in notes if n.frame == frame], scale)
    with image_col, st.container(key="notes_image"):
        click = clickable_frame(image[:, :, ::-1], key=f"notes_image_{clip.id}_{frame}")
    if tool is not None and click and click.get("unix_time") != st.session_state.get(SEEN):
        st.session_state[SEEN] = click.get("unix_time")
        key = _points_key(clip.id, frame, tool)
        points = [*st.session_state.get(key, []),
                  clip_pixels(click, (image.shape[1], image.shape[0]), scale)]
        if len(points) >= NOTE_KINDS[tool]:
            st.session_state.pop(key, None)
            _add(store, clip, frame, tool, st.session_state.get(text_key, ""), points)
        else:
            st.session_state[key] = points
        st.rerun()
    _note_list(store, notes, data, frame_key, jump_key)


def _note_list(store: Store, notes, data: ClipData, frame_key: str, jump_key: str,
               editable: bool = True) -> None:
    if not notes:
        st.caption("No notes on this clip yet.")
        return
    st.markdown("**Notes of this clip**")
    for note in notes:
        t = float(data.frame_times[min(note.frame, data.frame_count - 1)])
        cols = st.columns([6, 1, 1, 1], vertical_alignment="center")
        by = f" · by {note.created_by}" if note.created_by else ""
        cols[0].text(f"{t:.2f} s · {note.describe()}{by}")  # plain text: typed by a user
        cols[1].button("Go", key=f"note_go_{note.id}", on_click=_go,
                       args=(note.frame, frame_key, jump_key))
        if not editable:
            continue
        with cols[2].popover("Edit"):
            key = f"note_edit_{note.id}"
            st.text_area("Text", value=note.text, key=key, max_chars=2000)
            st.button("Save", key=f"note_save_{note.id}", on_click=_edit,
                      args=(store, note.id, key))
        cols[3].button("Delete", key=f"note_delete_{note.id}", on_click=_delete,
                       args=(store, note.id))
