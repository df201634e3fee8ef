"""The coach's notes on a chart's time axis: a dotted line at each note's time, with a
small mark at the top whose hover text is the note (escaped for Plotly: typed by users)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from analysis.store import NoteInfo
from dashboard.escape import html
from dashboard.note_drawing import DRAWING

NOTE_LINE = "#b45309"  # darker than the drawings' yellow: reads on a white chart
SYMBOLS = {"note": "✎", "key_frame": "★", "marker": "●", "line": "／", "angle": "∠"}


def add_note_marks(figure: go.Figure, notes: Sequence[NoteInfo], frame_times: np.ndarray,
                   xref: str = "x") -> go.Figure:
    """``figure`` with one dotted line and top mark per note, at its frame's time (s)."""
    if not len(frame_times):
        return figure
    last = len(frame_times) - 1
    for note in notes:
        t = float(frame_times[min(note.frame, last)])
        figure.add_shape(type="line", name="note", xref=xref, yref="paper", x0=t, x1=t,
                         y0=0, y1=1, line={"color": NOTE_LINE, "width": 1, "dash": "dot"})
        figure.add_annotation(x=t, xref=xref, y=1.0, yref="paper", yanchor="bottom",
                              text=SYMBOLS.get(note.kind, "✎"), showarrow=False,
                              font={"color": NOTE_LINE, "size": 13},
                              hovertext=html(f"{t:.2f} s · {note.describe()}"),
                              bgcolor=DRAWING if note.kind == "key_frame" else None)
    return figure
