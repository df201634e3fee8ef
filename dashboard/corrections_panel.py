"""The Clip view's "Swap left and right" panel: a coach's manual corrections of a person.

The estimator keeps each person's left and right consistent along a clip by itself, and
marks the frames it corrected; where it still reads someone mirrored, the coach swaps
left and right here for frames a–b (whole body, arms or legs), and can undo it. The
store keeps each correction beside the poses and recomputes that person's metrics
(:meth:`analysis.Store.add_swap_correction`, :meth:`~analysis.Store.undo_correction`);
the page then reads the new results (the clip's ``finished_at`` moved, so every cache
keyed by :func:`dashboard.clipdata.clip_stamp` is renewed).

This module only collects the choice and shows what the analysis layer returns. Actions
run in button callbacks, before the page is drawn, so the page shows the new metrics in
the same run; their outcome (a success line or a one-line error) is shown in the panel.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from analysis import ClipInfo, Store
from analysis.correction_store import CorrectionInfo, groups_label
from analysis.corrections import mask_runs
from dashboard.annotate import track_label
from dashboard.state import USER_ERRORS, one_line, user_errors

#: What a coach can swap, as the analysis names the groups of left/right pairs.
GROUP_CHOICES: dict[str, tuple[str, ...]] = {
    "Whole body": ("body", "arms", "legs"),
    "Arms": ("arms",),
    "Legs": ("legs",),
}
OUTCOME = "corrections_outcome"  # (kind, text) of the last action, shown once
AUTHOR = "corrections_author"  # who corrects: kept for the browser session
MAX_RUNS_LISTED = 8


def _keys(clip_id: int, track_id: int) -> dict[str, str]:
    stem = f"swap_{clip_id}_{track_id}"
    return {"first": f"{stem}_first", "last": f"{stem}_last", "what": f"{stem}_what"}


def _last_frame(clip: ClipInfo) -> int:
    ends = [t.first_frame + t.n_frames - 1 for t in clip.tracks]
    return max([clip.frame_count - 1, 0, *ends])


def _current(frame_key: str, last: int) -> int:
    return min(max(int(st.session_state.get(frame_key, 0) or 0), 0), last)


def _to_current(widget_key: str, frame_key: str, last: int) -> None:
    st.session_state[widget_key] = _current(frame_key, last)


def _swap(store: Store, clip_id: int, track_id: int, keys: dict[str, str]) -> None:
    state = st.session_state
    try:
        made = store.add_swap_correction(
            clip_id, track_id, state[keys["first"]], state[keys["last"]],
            GROUP_CHOICES[state[keys["what"]]], created_by=state.get(AUTHOR, ""),
        )
    except USER_ERRORS as error:
        state[OUTCOME] = ("error", one_line(error))
    else:
        state[OUTCOME] = ("success", f"{made.describe()} for {track_label(track_id)}; "
                                     "the metrics are recomputed.")


def _undo(store: Store, correction_id: int) -> None:
    try:
        undone = store.undo_correction(correction_id)
    except USER_ERRORS as error:
        st.session_state[OUTCOME] = ("error", one_line(error))
    else:
        st.session_state[OUTCOME] = (
            "success", f"Undone for {track_label(undone.track_id)}: {undone.describe()}; "
                       "the metrics are recomputed.")


def runs_text(runs: Sequence[tuple[int, int, tuple[str, ...]]]) -> str:
    """``legs in frames 67–73, whole body in frame 37`` (the first few runs)."""
    parts = [f"{groups_label(g)} in " + (f"frame {a}" if a == b else f"frames {a}–{b}")
             for a, b, g in runs[:MAX_RUNS_LISTED]]
    if len(runs) > MAX_RUNS_LISTED:
        parts.append(f"and {len(runs) - MAX_RUNS_LISTED} more")
    return ", ".join(parts)


def _row_text(c: CorrectionInfo) -> str:
    """One correction as plain text (the author's name is typed by a user)."""
    text = f"{track_label(c.track_id)} · {c.describe()} · {c.created_at:%Y-%m-%d %H:%M} UTC"
    if c.created_by:
        text += f" · by {c.created_by}"
    if c.undone_at is not None:
        text += f" · undone {c.undone_at:%Y-%m-%d %H:%M} UTC"
    return text


def corrections_panel(store: Store, clip: ClipInfo, track_id: int | None, *,
                      frame_key: str) -> None:
    """The panel for the chosen person ``track_id`` of ``clip``; ``frame_key`` is the
    session-state key of the page's current frame (the default of frames a–b)."""
    st.subheader("Left and right")
    outcome = st.session_state.pop(OUTCOME, None)
    if outcome is not None:
        (st.success if outcome[0] == "success" else st.error)(outcome[1])
    if track_id is None:
        st.info("Choose the athlete to correct their left and right.")
        return
    corrections: list[CorrectionInfo] = []
    with user_errors():
        corrections = store.list_corrections(clip.id)
        sides = store.read_sides(clip.id, track_id)
        auto = mask_runs(sides["frame"].to_numpy(), sides["sides_swapped"].to_numpy())
        manual = [(c.first_frame, c.last_frame, c.groups) for c in corrections
                  if c.active and c.track_id == track_id]
        st.caption(
            f"Where {track_label(track_id)}'s skeleton has left and right mixed up, swap "
            "them for those frames: the angles, symmetry and repetitions are recomputed "
            "from the corrected keypoints, and the CSV exports mark the frames "
            "(`sides_corrected`). What the model read stays stored; Undo takes a swap back."
        )
        st.caption("Swapped by hand: " + (runs_text(manual) if manual else "no frames") + ".")
        st.caption("Swapped by the estimator: " + (runs_text(auto) if auto else "no frames")
                   + ".")

    last = _last_frame(clip)
    keys = _keys(clip.id, track_id)
    for name in ("first", "last"):
        if keys[name] not in st.session_state:
            st.session_state[keys[name]] = _current(frame_key, last)
    # Keyed: the page has other "First frame" fields (the trim), tests and styles find these.
    cols = st.container(key="swap_panel").columns([1, 1, 1.7, 1.5, 1.3],
                                                  vertical_alignment="bottom", gap="small")
    for col, name, label in ((cols[0], "first", "First frame"), (cols[1], "last", "Last frame")):
        col.number_input(label, min_value=0, max_value=last, step=1, key=keys[name])
        col.button("Current frame", key=f"{keys[name]}_here", icon=":material/my_location:",
                   on_click=_to_current, args=(keys[name], frame_key, last),
                   help=f"Set the {name} frame to the frame shown above.")
    cols[2].radio("Swap", list(GROUP_CHOICES), horizontal=True, key=keys["what"])
    cols[3].text_input("Your name (optional)", key=AUTHOR, max_chars=200)
    cols[4].button("Swap left and right", type="primary", icon=":material/swap_horiz:",
                   key=f"{keys['first']}_swap", on_click=_swap,
                   args=(store, clip.id, track_id, keys))

    if corrections:
        st.markdown("**Corrections of this clip**")
        for c in reversed(corrections):
            text_col, button_col = st.columns([6, 1], vertical_alignment="center")
            text_col.text(_row_text(c))
            if c.active:
                button_col.button("Undo", key=f"undo_correction_{c.id}", icon=":material/undo:",
                                  on_click=_undo, args=(store, c.id))
