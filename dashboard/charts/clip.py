"""The charts of one clip: angles over time, a joint's path and speed, left/right
symmetry, and repetitions.

The athlete's left is ``PALETTE.left`` (blue) and right ``PALETTE.right`` (orange);
values as measured (raw) are thin dotted lines under the smoothed ones.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from analysis.angles import is_circular
from dashboard.charts.cursor import LinkedFigure
from dashboard.charts.layout import (
    DEGREES,
    TIME,
    break_wraps,
    decimate,
    finish,
    group_by_joint,
    joint_of,
    panel_layout,
    side_name,
    thin,
    title_of,
)
from dashboard.theme import PALETTE, rgba


def _shown(times: np.ndarray, values: pd.Series, name: str) -> tuple[np.ndarray, np.ndarray]:
    """The samples of one angle drawn: decimated, with a gap where a segment wraps."""
    x, y = decimate(times, values.to_numpy(dtype=float))
    return break_wraps(x, y) if is_circular(name) else (x, y)


def angles_figure(
    times: np.ndarray,
    angles: pd.DataFrame,
    names: Sequence[str],
    raw: pd.DataFrame | None = None,
) -> go.Figure:
    """Chosen angles over time, one panel per joint, left and right in their colours.

    ``times`` (F,) seconds; ``angles`` / ``raw`` (F, A) degrees with the angle
    names as columns (cleaned / as measured); missing values leave gaps.
    """
    names = [n for n in names if n in angles.columns]
    groups = group_by_joint(names)
    rows = max(1, len(groups))
    fig = make_subplots(
        rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.28 / rows,
        subplot_titles=[title_of(g) for g in groups] or [""],
    )
    shown_legend: set[str] = set()
    for row, (_, members) in enumerate(groups.items(), start=1):
        for name in members:
            colour = PALETTE.side_chart(name)
            side = side_name(name) or title_of(name)
            if raw is not None and name in raw.columns:
                rx, ry = _shown(times, raw[name], name)
                fig.add_trace(
                    go.Scatter(
                        x=rx, y=ry, mode="lines",
                        name=f"{side} as measured", legendgroup=f"{side}-raw",
                        showlegend=f"{side}-raw" not in shown_legend,
                        line={"color": rgba(colour, 0.55), "width": 1, "dash": "dot"},
                        hovertemplate=f"{title_of(name)} {side.lower()} as measured: "
                        "%{y:.0f}°<extra></extra>",
                    ),
                    row=row, col=1,
                )
                shown_legend.add(f"{side}-raw")
            cx, cy = _shown(times, angles[name], name)
            fig.add_trace(
                go.Scatter(
                    x=cx, y=cy, mode="lines",
                    name=side, legendgroup=side, showlegend=side not in shown_legend,
                    line={"color": colour, "width": 2.2},
                    hovertemplate=f"{side} {title_of(joint_of(name)).lower()}: "
                    "%{y:.0f}°<extra></extra>",
                ),
                row=row, col=1,
            )
            shown_legend.add(side)
        fig.update_yaxes(title_text=DEGREES, row=row, col=1,
                         range=_least_span([angles[n] for n in members] + (
                             [raw[n] for n in members if n in raw.columns]
                             if raw is not None else [])))
    fig.update_xaxes(title_text=TIME, row=rows, col=1)
    return panel_layout(fig, rows)


@functools.cache  # built once per process, never changed
def example_angles_figure(names: tuple[str, ...]) -> go.Figure:
    """:func:`angles_figure` of ``names`` on made-up values, raw beside cleaned, with the
    frame cursor: the Clip view's chart in its shape. Plotly's first figure of a shape
    costs several times later ones (measured in one process: 0.10 s against 0.03 s for
    the default six angles), and the browser's Plotly code runs for it the first time
    it is drawn: the dashboard's warm-up builds this one, the Analyse page draws it
    hidden, before the first real one counts."""
    times = np.linspace(0.0, 2.0, 61)
    angles = pd.DataFrame({name: 45.0 + 30.0 * np.sin(times * (2 + i))
                           for i, name in enumerate(names)})
    figure = angles_figure(times, angles, names, raw=angles)
    return LinkedFigure(figure.to_plotly_json(), "x", "paper").at(1.0)


#: A panel of angles spans at least this many degrees: an almost constant angle would
#: otherwise fill the panel with its noise, under tick labels like 90.00001.
MIN_SPAN_DEG = 10.0


def _least_span(curves: Sequence[pd.Series]) -> list[float] | None:
    """A y range of :data:`MIN_SPAN_DEG` around curves that vary less, else None (Plotly's
    own range)."""
    values = np.concatenate([c.to_numpy(dtype=float) for c in curves]) if curves else []
    finite = np.asarray(values)[np.isfinite(values)]
    if not len(finite) or np.ptp(finite) >= MIN_SPAN_DEG:
        return None
    middle = (finite.max() + finite.min()) / 2
    return [middle - MIN_SPAN_DEG / 2, middle + MIN_SPAN_DEG / 2]


def joint_path_figure(
    trajectories: pd.DataFrame,
    keypoints: Sequence[str],
    unit: str,
    image_size: tuple[int, int] | None = None,
) -> go.Figure:
    """The path of chosen keypoints over the image, and their speed over time.

    ``trajectories``: the stored long table (``frame`` position, ``time_s``,
    ``keypoint``, ``x``, ``y``, ``speed``) in ``unit`` (``px`` or ``m``), image
    axes (y down). ``image_size`` (width, height) in pixels frames the path
    like the video. The current frame is added with :func:`with_markers` and
    :func:`with_cursor`.
    """
    fig = make_subplots(
        rows=1, cols=2, column_widths=[0.56, 0.44], horizontal_spacing=0.12,
        subplot_titles=["Path", "Speed"],
    )
    for name in keypoints:
        rows = trajectories[trajectories["keypoint"].astype(str) == name]
        if rows.empty:
            continue
        path = thin(rows)
        speed_t, speed = decimate(rows["time_s"].to_numpy(), rows["speed"].to_numpy())
        colour = PALETTE.side_chart(name)
        label = title_of(name.replace("left_", "left ").replace("right_", "right "))
        dash = "solid" if len(keypoints) <= 2 else _dash_for(name, keypoints)
        fig.add_trace(
            go.Scatter(
                x=path["x"], y=path["y"], mode="lines", name=label, legendgroup=name,
                line={"color": colour, "width": 2, "dash": dash},
                customdata=path["time_s"],
                hovertemplate=f"{label}<br>x %{{x:.1f}} {unit}, y %{{y:.1f}} {unit}"
                "<br>%{customdata:.2f} s<extra></extra>",
            ),
            row=1, col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=speed_t, y=speed, mode="lines", name=label,
                legendgroup=name, showlegend=False,
                line={"color": colour, "width": 1.8, "dash": dash},
                hovertemplate=f"{label}: %{{y:.1f}} {unit}/s<extra></extra>",
            ),
            row=1, col=2,
        )
    # Same scale on both axes (the path keeps the image's shape); the panel shrinks to fit.
    fig.update_xaxes(title_text=f"x ({unit})", constrain="domain", row=1, col=1)
    fig.update_yaxes(title_text=f"y ({unit}, down)", autorange="reversed", row=1, col=1,
                     scaleanchor="x", scaleratio=1, constrain="domain")
    if unit == "px" and image_size is not None:
        width, height = image_size
        fig.update_xaxes(range=[0, width], row=1, col=1)
        fig.update_yaxes(range=[height, 0], autorange=False, row=1, col=1)
    fig.update_xaxes(title_text=TIME, row=1, col=2)
    fig.update_yaxes(title_text=f"Speed ({unit}/s)", row=1, col=2)
    finish(fig, 400, top=72)
    fig.update_layout(hovermode="closest")
    return fig


def _dash_for(name: str, names: Sequence[str]) -> str:
    joints = list(dict.fromkeys(joint_of(n) for n in names))
    return ("solid", "dash", "dot", "dashdot")[joints.index(joint_of(name)) % 4]


def symmetry_figure(
    times: np.ndarray,
    per_frame: pd.DataFrame,
    summary: pd.DataFrame,
    pairs: Sequence[str],
) -> go.Figure:
    """Left versus right: ROM of each side per pair (bars, with the symmetry index) and the
    per-frame difference L - R over time.

    ``per_frame`` (F, pairs) degrees; ``summary`` indexed by pair with ``rom_left``,
    ``rom_right``, ``si`` (percent).
    """
    pairs = [p for p in pairs if p in summary.index]
    fig = make_subplots(
        rows=1, cols=2, column_widths=[0.38, 0.62], horizontal_spacing=0.17,
        subplot_titles=["Range of motion, left and right", "Left minus right"],
    )
    labels = [title_of(p) for p in pairs]
    si = summary.loc[pairs, "si"].to_numpy(dtype=float) if pairs else np.array([])
    for column, side, colour in (("rom_left", "Left", PALETTE.left),
                                 ("rom_right", "Right", PALETTE.right)):
        fig.add_trace(
            go.Bar(
                x=labels, y=summary.loc[pairs, column] if pairs else [], name=side,
                marker_color=colour, legendgroup=side,
                hovertemplate=f"{side} ROM %{{y:.0f}}°<extra></extra>",
            ),
            row=1, col=1,
        )
    tops = (summary.loc[pairs, ["rom_left", "rom_right"]].max(axis=1).to_numpy(dtype=float)
            if pairs else np.array([]))
    for label, value, top in zip(labels, si, tops, strict=True):
        if np.isfinite(value) and np.isfinite(top):
            fig.add_annotation(x=label, y=top, text=f"SI {value:.0f} %", showarrow=False,
                               yshift=12, font={"size": 11}, row=1, col=1)
    dashes = ("solid", "dash", "dot", "dashdot", "longdash")
    for i, pair in enumerate(pairs):
        if pair not in per_frame.columns:
            continue
        dx, dy = decimate(times, per_frame[pair].to_numpy(dtype=float))
        fig.add_trace(
            go.Scatter(
                x=dx, y=dy, mode="lines",
                name=f"{title_of(pair)} L − R",
                line={"color": PALETTE.centre_chart, "width": 1.8, "dash": dashes[i % 5]},
                hovertemplate=f"{title_of(pair)} L − R: %{{y:.0f}}°<extra></extra>",
            ),
            row=1, col=2,
        )
    fig.add_hline(y=0, line_color="#9ca3af", line_width=1, row=1, col=2)
    fig.update_yaxes(title_text="ROM (°)", row=1, col=1)
    fig.update_yaxes(title_text="Left − right (°)", row=1, col=2)
    fig.update_xaxes(title_text="Joint", row=1, col=1)
    fig.update_xaxes(title_text=TIME, row=1, col=2)
    finish(fig, 400, top=72)
    fig.update_layout(barmode="group")
    return fig


def repetitions_figure(
    times: np.ndarray,
    angles: pd.DataFrame,
    signal: str | None,
    repetitions: pd.DataFrame,
) -> go.Figure:
    """The angle repetitions were found in, with each repetition shaded, and ROM per rep.

    ``signal`` is an angle (``left_knee``) or a pair (``knee``: both sides are
    drawn); ``repetitions`` has ``rep``, ``start_s``, ``end_s``, ``peak_s``,
    ``peak``, ``rom`` (degrees, seconds).
    """
    over_time = f"{title_of(signal)} over time" if signal else "No signal"
    if repetitions.empty:  # the signal alone, full width
        fig = make_subplots(rows=1, cols=1, subplot_titles=[over_time])
    else:
        fig = make_subplots(
            rows=1, cols=2, column_widths=[0.64, 0.36], horizontal_spacing=0.12,
            subplot_titles=[over_time, "ROM per repetition"],
        )
    names = []
    if signal:
        names = [n for n in (signal, f"left_{signal}", f"right_{signal}") if n in angles.columns]
    for name in names:
        colour = PALETTE.side_chart(name)
        sx, sy = _shown(times, angles[name], name)
        fig.add_trace(
            go.Scatter(
                x=sx, y=sy, mode="lines",
                name=side_name(name) or title_of(name), line={"color": colour, "width": 2},
                hovertemplate="%{y:.0f}°<extra></extra>",
            ),
            row=1, col=1,
        )
    for i, rep in enumerate(repetitions.itertuples()):
        fig.add_vrect(
            x0=rep.start_s, x1=rep.end_s, fillcolor=rgba(PALETTE.centre_chart,
                                                         0.10 if i % 2 else 0.17),
            line_width=0, row=1, col=1,
        )
        fig.add_annotation(x=(rep.start_s + rep.end_s) / 2, y=1.0, yref="y domain",
                           text=str(rep.rep), showarrow=False, font={"size": 11},
                           row=1, col=1)
    if not repetitions.empty:
        fig.add_trace(
            go.Bar(
                x=repetitions["rep"].astype(str), y=repetitions["rom"],
                marker_color=PALETTE.centre_chart, name="ROM", showlegend=False,
                customdata=np.stack([repetitions["duration_s"]], axis=-1),
                hovertemplate="Repetition %{x}: ROM %{y:.0f}°, %{customdata[0]:.2f} s"
                "<extra></extra>",
            ),
            row=1, col=2,
        )
    fig.update_xaxes(title_text=TIME, row=1, col=1)
    fig.update_yaxes(title_text=DEGREES, row=1, col=1)
    if not repetitions.empty:
        fig.update_xaxes(title_text="Repetition", row=1, col=2)
        fig.update_yaxes(title_text="ROM (°)", row=1, col=2)
    return finish(fig, 380, top=72)
