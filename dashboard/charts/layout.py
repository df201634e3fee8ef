"""Shared pieces of every chart: the template and layout, the units, the toolbar's
configuration (:data:`GRAPH_CONFIG`), the display thinning of long curves, and names
of angles turned into titles.

Every other chart module builds on these; this one imports none of them.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.theme import side_of_name

TEMPLATE = "posture"
DEGREES = "Angle (°)"
TIME = "Time (s)"
CURSOR_COLOUR = "#111827"
PANEL_HEIGHT = 190
GRAPH_CONFIG = {
    "displaylogo": False,
    "toImageButtonOptions": {"format": "png", "scale": 2},
    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
}


MAX_POINTS = 1600  # per trace: a 10-minute clip at 30 fps stays light to send on every move


def decimate(x: np.ndarray, y: np.ndarray, max_points: int = MAX_POINTS
             ) -> tuple[np.ndarray, np.ndarray]:
    """At most about ``max_points`` samples of a curve for display, keeping its shape: the
    lowest and highest sample of each of ``max_points / 2`` equal spans (so peaks, valleys
    and gaps survive). Shorter curves are returned as they are. Display only: every
    exported or summarised value comes from the full data."""
    x = np.asarray(x)
    y = np.asarray(y, dtype=float)
    n = len(y)
    if n <= max_points:
        return x, y
    edges = np.linspace(0, n, max_points // 2 + 1).astype(int)
    keep: list[int] = []
    for start, stop in zip(edges[:-1], edges[1:], strict=True):
        segment = y[start:stop]
        finite = np.isfinite(segment)
        if not finite.any():
            keep.append(start)  # a gap stays a gap
            continue
        low = start + int(np.nanargmin(segment))
        high = start + int(np.nanargmax(segment))
        keep.extend(sorted({low, high}))
    index = np.asarray(keep)
    return x[index], y[index]


def break_wraps(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A circular angle's curve (degrees in (-180, 180]) with a gap where it wraps: a
    segment turning past +-180 would otherwise draw a line across the whole panel.
    A step of more than 180 degrees between two shown samples is such a wrap (a
    segment never turns that far in one step); a NaN is put between them."""
    x = np.asarray(x)
    y = np.asarray(y, dtype=float)
    wraps = np.flatnonzero(np.abs(np.diff(y)) > 180.0) + 1
    if not len(wraps):
        return x, y
    gap_x = (x[wraps - 1] + x[wraps]) / 2 if np.issubdtype(x.dtype, np.number) else x[wraps]
    return np.insert(x, wraps, gap_x), np.insert(y, wraps, np.nan)


def thin(frame: pd.DataFrame, max_points: int = MAX_POINTS) -> pd.DataFrame:
    """Every k-th row, so at most ``max_points`` remain (for paths drawn as x-y curves)."""
    step = max(1, int(np.ceil(len(frame) / max_points)))
    return frame.iloc[::step]


def joint_of(name: str) -> str:
    """``left_knee`` -> ``knee``, ``right_hip_3d`` -> ``hip_3d``, ``trunk_lean`` unchanged."""
    for prefix in ("left_", "right_"):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def title_of(name: str) -> str:
    """A panel or legend title: ``knee_3d`` -> ``Knee (3D)``, ``upper_arm`` -> ``Upper arm``."""
    base = name.removesuffix("_3d").replace("_", " ")
    text = base[:1].upper() + base[1:]
    return f"{text} (3D)" if name.endswith("_3d") else text


def side_name(name: str) -> str:
    return {"left": "Left", "right": "Right"}.get(side_of_name(name), "")


def group_by_joint(names: Iterable[str]) -> dict[str, list[str]]:
    """Angle names grouped by joint, left before right, in first-seen order."""
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(joint_of(name), []).append(name)
    order = {"left": 0, "centre": 1, "right": 2}
    return {k: sorted(v, key=lambda n: order[side_of_name(n)]) for k, v in groups.items()}


#: Room below the legend for the panels' titles (which sit just above each panel), in
#: pixels. Plotly reserves the legend's band at the top (the plot starts below it, however
#: many rows it wraps to on a phone) but knows nothing of the titles; it has no legend
#: padding either, so an invisible border of this width is the padding.
LEGEND_GAP_PX = 22
LEGEND_ON_TOP = {"orientation": "h", "yref": "container", "y": 1.0, "yanchor": "top",
                 "x": 0.0, "xanchor": "left", "borderwidth": LEGEND_GAP_PX,
                 "bordercolor": "rgba(0,0,0,0)"}
#: Plotly's toolbar stands upright in the right margin, so it never covers the legend.
MODEBAR = {"orientation": "v", "bgcolor": "rgba(255,255,255,0.85)"}
MODEBAR_MARGIN_PX = 40


def finish(fig: go.Figure, height: int, top: int = 64) -> go.Figure:
    """The product's layout: template, white backgrounds, legend in the top margin, the
    toolbar in the right margin."""
    fig.update_layout(
        template=TEMPLATE, height=height, paper_bgcolor="#ffffff", plot_bgcolor="#ffffff",
        margin={"l": 64, "r": MODEBAR_MARGIN_PX, "t": top, "b": 48}, legend=LEGEND_ON_TOP,
        modebar=MODEBAR,
    )
    return fig


def panel_layout(fig: go.Figure, rows: int, *, title: str | None = None) -> go.Figure:
    finish(fig, max(260, 90 + PANEL_HEIGHT * rows), top=84 if title else 64)
    if title:
        fig.update_layout(title=title)
    return fig
