"""Clip view: which angle repetitions are counted in, and the smallest movement counted.

The coach picks an angle (a pair such as the knees, or one side) or leaves it on
"Automatic (clearest cycle: ...)", and a minimum range in degrees. The
repetitions and their left/right symmetry are then found anew in the track's
stored cleaned angles by the analysis layer (:func:`analysis.track.repetitions_of`);
nothing is stored, and the clip is not analysed again. The chart, the caption and
the summary metrics all show what was found with these choices, in the angle
actually used.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analysis.rep_signals import pair_names, rep_angle_choices
from analysis.repetitions import RepSettings
from analysis.track import RepetitionView, repetitions_of
from dashboard import charts, widgets
from dashboard.state import user_errors

AUTOMATIC = None  # the selectbox value that means "the clearest cycle"


@st.cache_resource(max_entries=64, show_spinner=False)
def _found(clip_id: int, stamp: str, track_id: int, angle: str | None, min_range: float,
           _analysis: Any) -> RepetitionView:
    """Repetitions of one track with these choices, found once per clip result."""
    return repetitions_of(_analysis, RepSettings(angle=angle, min_range_deg=min_range))


def signal_label(name: str | None, columns: Any) -> str:
    """``knee`` -> ``Knee (both sides)``, ``left_knee`` -> ``Left knee``."""
    if name is None:
        return "no angle"
    if name in pair_names(columns):
        return f"{charts.title_of(name)} (both sides)"
    return widgets.angle_label(name)


def _stored_choice(analysis: Any) -> tuple[str | None, float]:
    """The angle and minimum range the clip was analysed with (defaults when not said)."""
    stored = dict(getattr(analysis, "rep_settings", None) or {})
    angle = stored.get("angle")
    low = stored.get("min_range_deg", stored.get("min_prominence_deg"))
    return (angle if isinstance(angle, str) else None,
            float(low) if low else RepSettings().min_range_deg)


def repetition_controls(clip: Any, stamp: str, track: Any) -> RepetitionView | None:
    """The two controls for ``track`` (a dashboard ``TrackView`` of a clip) and what they
    find; None when the repetitions cannot be found (the reason shown as an error)."""
    analysis = track.analysis
    columns = list(analysis.angles.columns)
    track_id = int(track.info.track_id)
    stored_angle, stored_range = _stored_choice(analysis)
    range_key = f"rep_min_range_{clip.id}_{track_id}"
    min_range = float(st.session_state.get(range_key, stored_range))
    key = (clip.id, stamp, track_id)
    automatic = _found(*key, None, min_range, analysis)
    options: list[str | None] = [AUTOMATIC, *rep_angle_choices(columns)]
    auto_name = signal_label(automatic.found.signal_name, columns)

    def label(value: str | None) -> str:
        if value is AUTOMATIC:
            return f"Automatic (clearest cycle: {auto_name})"
        return signal_label(value, columns)

    cols = st.columns([2.2, 1, 2.2], gap="medium", vertical_alignment="bottom")
    angle = cols[0].selectbox(
        "Repetitions in", options,
        index=options.index(stored_angle) if stored_angle in options else 0,
        format_func=label, key=f"rep_angle_{clip.id}_{track_id}",
        help="The angle whose repetitions are counted. Automatic: the angle that repeats "
        "one movement most clearly. A pair (both sides) is the mean of left and right.",
    )
    cols[1].number_input(
        "Minimum range (°)", min_value=1.0, max_value=180.0, value=stored_range, step=5.0,
        key=range_key, format="%.0f",
        help="The smallest movement counted as a repetition: the angle must rise and fall "
        "by at least this much (and by about a third of its whole range).",
    )
    with user_errors():
        view = automatic if angle is AUTOMATIC else _found(*key, angle, min_range, analysis)
        cols[2].caption(describe(view, columns))
        return view
    return None


def describe(view: RepetitionView, columns: Any) -> str:
    """One line: how many repetitions, in which angle, chosen how."""
    found = view.found
    where = signal_label(found.signal_name, columns)
    how = "the clearest cycle" if found.automatic else "chosen"
    n = len(found.repetitions)
    low = f"{view.settings.min_range_deg:g}°"
    if n == 0:
        return (f"No repetitions of at least {low} in **{where}** ({how}): choose another "
                "angle or a smaller minimum range.")
    return f"{n} repetition{'s' if n != 1 else ''} of at least {low} in **{where}** ({how})."


def repetitions_chart(times: np.ndarray, angles: pd.DataFrame, view: RepetitionView
                      ) -> go.Figure:
    """The angle the repetitions were counted in (a pair: its mean, drawn with both
    sides), each repetition shaded, and the ROM of each."""
    found = view.found
    shown = angles
    name = found.signal_name
    if name is not None and name not in angles.columns:
        shown = angles.assign(**{name: found.signal})  # the pair's mean, as counted
    return charts.repetitions_figure(times, shown, name, found.repetitions)


def repetition_symmetry(view: RepetitionView) -> float:
    """The left/right symmetry index over the repetitions of the counted angle's pair
    (NaN for an angle without sides or without repetitions)."""
    name = view.found.signal_name or ""
    pair = charts.joint_of(name)
    if pair not in view.symmetry.index:
        return float("nan")
    return float(view.symmetry.loc[pair, "si_reps"])
