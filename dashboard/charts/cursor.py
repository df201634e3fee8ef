"""The current frame on a chart: a vertical cursor line across the panels and ringed
dots on a joint's path, added to a figure that is otherwise cached, so moving the
frame only moves these (:func:`with_cursor`, :func:`with_markers`, :class:`LinkedFigure`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.charts.layout import CURSOR_COLOUR
from dashboard.theme import PALETTE


def with_cursor(
    figure: go.Figure | dict, x: float | None, xref: str = "x", yref: str = "paper"
) -> dict:
    """A copy of ``figure`` (as a dict) with a vertical line at ``x`` (the current frame's
    time): across every panel with the default ``yref``, or one panel's height
    (``"y2 domain"``). The figure itself is left as it is (it may be cached)."""
    fig = figure.to_dict() if isinstance(figure, go.Figure) else dict(figure)
    layout = dict(fig.get("layout", {}))
    shapes = [s for s in layout.get("shapes", []) if s.get("name") != "cursor"]
    if x is not None and np.isfinite(x):
        shapes.append(
            {
                "name": "cursor", "type": "line", "xref": xref, "yref": yref,
                "x0": float(x), "x1": float(x), "y0": 0, "y1": 1,
                "line": {"color": CURSOR_COLOUR, "width": 1.5},
            }
        )
    layout["shapes"] = shapes
    fig["layout"] = layout
    return fig


def with_markers(figure: dict, points: Sequence[tuple[float, float, str]],
                 xaxis: str = "x", yaxis: str = "y") -> dict:
    """A copy of ``figure`` with a ringed dot at each (x, y, colour) on the given axes."""
    fig = dict(figure)
    markers = [
        {
            "type": "scatter", "x": [x], "y": [y], "mode": "markers", "showlegend": False,
            "hoverinfo": "skip", "xaxis": xaxis, "yaxis": yaxis, "name": "cursor",
            "marker": {"color": colour, "size": 11,
                       "line": {"color": CURSOR_COLOUR, "width": 1.5}},
        }
        for x, y, colour in points
        if np.isfinite(x) and np.isfinite(y)
    ]
    fig["data"] = [*fig.get("data", []), *markers]
    return fig


class LinkedFigure:
    """A chart linked to the current frame, cheap to move: built (and validated) once, then
    only its cursor line, and optionally a few ringed dots, change.

    Plotly validates a figure given as a dict every time it is shown (about 10 ms for a
    few panels); a ``go.Figure`` is already valid, so moving the cursor costs only its
    serialisation. Keep one per browser session (it is mutated).
    """

    def __init__(self, figure: dict, xref: str = "x", yref: str = "paper",
                 markers: tuple[str, str] | None = None) -> None:
        self.figure = go.Figure(figure)
        self.xref, self.yref = xref, yref
        self._markers = None
        if markers is not None:
            self.figure.add_trace(go.Scatter(
                x=[], y=[], mode="markers", showlegend=False, hoverinfo="skip",
                name="cursor", xaxis=markers[0], yaxis=markers[1],
                marker={"size": 11, "line": {"color": CURSOR_COLOUR, "width": 1.5}},
            ))
            self._markers = self.figure.data[-1]

    def at(self, x: float | None, points: Sequence[tuple[float, float, str]] = ()
           ) -> go.Figure:
        """The figure with its cursor at ``x`` and dots at ``points`` (x, y, colour).

        The figure's other shapes (repetition spans, say) are kept."""
        shapes = [s for s in self.figure.layout.shapes if s.name != "cursor"]
        if x is not None and np.isfinite(x):
            shapes.append({"name": "cursor", "type": "line", "xref": self.xref,
                           "yref": self.yref, "x0": float(x), "x1": float(x), "y0": 0, "y1": 1,
                           "line": {"color": CURSOR_COLOUR, "width": 1.5}})
        with self.figure.batch_update():
            self.figure.layout.shapes = shapes
            if self._markers is not None:
                shown = [p for p in points if np.isfinite(p[0]) and np.isfinite(p[1])]
                self._markers.x = [p[0] for p in shown]
                self._markers.y = [p[1] for p in shown]
                self._markers.marker.color = [p[2] for p in shown]
        return self.figure


def path_points(trajectories: pd.DataFrame, keypoints: Sequence[str], position: int
                ) -> list[tuple[float, float, str]]:
    """(x, y, colour) of each keypoint at a track position, for :func:`with_markers`."""
    rows = trajectories[trajectories["frame"] == position]
    out = []
    for name in keypoints:
        here = rows[rows["keypoint"].astype(str) == name]
        if not here.empty:
            out.append((float(here["x"].iloc[0]), float(here["y"].iloc[0]),
                        PALETTE.side_chart(name)))
    return out
