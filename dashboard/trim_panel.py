"""The Clip view's trim: the coach cuts the clip to the movement, or undoes the cut.

The store keeps the trim and recomputes the metrics over it
(:meth:`analysis.store.Store.set_trim`); this panel only chooses the two frames (typed,
taken from the player's current frame, or from the loop set in the player) and says
what a trim does. Everyone sees the trim; only editors change it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

from analysis.store import ClipInfo
from dashboard.state import user_errors


def _keys(clip_id: int) -> tuple[str, str]:
    return f"trim_first_{clip_id}", f"trim_last_{clip_id}"


def _put(first_key: str, last_key: str, frame_key: str, loop_key: str, which: str,
         last: int) -> None:
    """Callback: set an input from the player's frame (``start``, ``end``) or loop
    (``loop``), read when clicked (the player moves without rerunning the page)."""
    frame = min(max(int(st.session_state.get(frame_key, 0)), 0), last)
    if which == "start":
        st.session_state[first_key] = frame
    elif which == "end":
        st.session_state[last_key] = frame
    else:
        loop = st.session_state.get(loop_key)
        if not loop:
            st.session_state[_NO_LOOP] = True
            return
        st.session_state[first_key], st.session_state[last_key] = loop


_NO_LOOP = "trim_no_loop"


def trim_panel(store: Any, clip: ClipInfo, frame_times: np.ndarray, last: int,
               frame_key: str, loop_key: str, editable: bool) -> bool:
    """The trim's expander; returns True when the trim was saved or undone just now (the
    page then reruns on the new results). ``last``: the clip's last frame; ``frame_key``,
    ``loop_key``: where the page keeps the player's frame and loop ((in, out) or None)."""
    trim = clip.trim
    first_key, last_key = _keys(clip.id)
    with st.expander("Trim to the movement", expanded=trim is not None):
        if trim is not None:
            a, b = trim
            st.caption(
                f"Trimmed to frames {a}–{b} ({frame_times[a]:.2f}–{frame_times[b]:.2f} s): "
                "the player, charts, summary, repetitions, exports and annotated clip cover "
                "these frames only. What the model read stays stored whole.")
        else:
            st.caption("Cut the clip to the movement: the metrics and exports then cover "
                       "the chosen frames only. Undo brings every frame back.")
        if not editable:
            return False
        start, end = trim or (0, last)
        st.session_state.setdefault(first_key, start)
        st.session_state.setdefault(last_key, end)
        cols = st.columns(2)
        cols[0].number_input("First frame", min_value=0, max_value=last, step=1, key=first_key)
        cols[1].number_input("Last frame", min_value=0, max_value=last, step=1, key=last_key)
        buttons = st.columns(5)
        common = (first_key, last_key, frame_key, loop_key)
        buttons[0].button("Start here", key=f"trim_here_a_{clip.id}", on_click=_put,
                          args=(*common, "start", last), width="stretch",
                          help="The player's current frame as the first frame.")
        buttons[1].button("End here", key=f"trim_here_b_{clip.id}", on_click=_put,
                          args=(*common, "end", last), width="stretch",
                          help="The player's current frame as the last frame.")
        buttons[2].button("Use the loop", key=f"trim_loop_{clip.id}", on_click=_put,
                          args=(*common, "loop", last), width="stretch",
                          help="The in and out frames of the loop set in the player.")
        if st.session_state.pop(_NO_LOOP, False):
            st.info("Set a loop in the player first: Loop from here, then Loop to here.")
        if buttons[3].button("Save trim", key=f"trim_save_{clip.id}", type="primary",
                             width="stretch"):
            with user_errors():
                store.set_trim(clip.id, int(st.session_state[first_key]),
                               int(st.session_state[last_key]))
                return True
        if trim is not None and buttons[4].button("Undo trim", key=f"trim_undo_{clip.id}",
                                                  width="stretch"):
            with user_errors():
                store.clear_trim(clip.id)
                return True
    return False
