"""Plotly figures of the dashboard, in the product's colours, with units on every axis.

Every figure is built from tables the analysis layer stored (this module
computes no metric): angles over time, a joint's path, left/right symmetry,
repetitions, two clips compared, one athlete's progress, and who is followed
while a clip is being analysed. The athlete's left is always ``PALETTE.left``
(blue) and right ``PALETTE.right`` (orange); the midline (trunk, pelvis)
``PALETTE.centre_chart``. Values as measured (raw) are thin dotted lines under
the smoothed ones. The current frame, when given, is a
vertical line across every panel (:func:`with_cursor`), added to a figure that
is otherwise cached, so moving the frame slider only moves that line.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.annotate import track_label
from dashboard.escape import html
from dashboard.theme import PALETTE, rgba, side_of_name

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


def _panel_layout(fig: go.Figure, rows: int, *, title: str | None = None) -> go.Figure:
    finish(fig, max(260, 90 + PANEL_HEIGHT * rows), top=84 if title else 64)
    if title:
        fig.update_layout(title=title)
    return fig


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
                rx, ry = decimate(times, raw[name].to_numpy(dtype=float))
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
            cx, cy = decimate(times, angles[name].to_numpy(dtype=float))
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
        fig.update_yaxes(title_text=DEGREES, row=row, col=1)
    fig.update_xaxes(title_text=TIME, row=rows, col=1)
    return _panel_layout(fig, rows)


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
        sx, sy = decimate(times, angles[name].to_numpy(dtype=float))
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


def comparison_figure(
    mean_curves: pd.DataFrame,
    names: Sequence[str],
    labels: tuple[str, str],
    by: str,
) -> go.Figure:
    """Two clips' angle curves on a 0-100 % time axis, mean and spread across repetitions.

    ``mean_curves``: index (``angle``, ``percent``), columns ``a_mean``, ``a_std``,
    ``b_mean``, ``b_std`` (degrees). ``labels`` name clip A and clip B, as plain text
    (they hold athletes' names and session titles: escaped here for Plotly).
    """
    labels = (html(labels[0]), html(labels[1]))
    present = set(mean_curves.index.get_level_values("angle"))
    names = [n for n in names if n in present]
    cols = 2 if len(names) > 1 else 1
    rows = max(1, -(-len(names) // cols))
    fig = make_subplots(rows=rows, cols=cols, shared_xaxes=True,
                        vertical_spacing=0.3 / rows, horizontal_spacing=0.1,
                        subplot_titles=[title_of(n) for n in names] or [""])
    axis = "Repetition (%)" if by == "repetition" else "Clip (%)"
    for i, name in enumerate(names):
        row, col = i // cols + 1, i % cols + 1
        curve = mean_curves.xs(name, level="angle")
        x = curve.index.to_numpy(dtype=float)
        for key, label, colour in (("a", labels[0], PALETTE.compare[0]),
                                   ("b", labels[1], PALETTE.compare[1])):
            mean = curve[f"{key}_mean"].to_numpy(dtype=float)
            std = np.nan_to_num(curve[f"{key}_std"].to_numpy(dtype=float))
            if np.any(std > 0):
                fig.add_trace(
                    go.Scatter(
                        x=np.concatenate([x, x[::-1]]),
                        y=np.concatenate([mean + std, (mean - std)[::-1]]),
                        fill="toself", fillcolor=rgba(colour, 0.15), line={"width": 0},
                        hoverinfo="skip", showlegend=False, legendgroup=key,
                    ),
                    row=row, col=col,
                )
            fig.add_trace(
                go.Scatter(
                    x=x, y=mean, mode="lines", name=label, legendgroup=key,
                    showlegend=i == 0, line={"color": colour, "width": 2.2},
                    hovertemplate="%{fullData.name}: %{y:.0f}° at %{x:.0f} %<extra></extra>",
                ),
                row=row, col=col,
            )
        fig.update_yaxes(title_text=DEGREES, row=row, col=col)
        if row == rows:
            fig.update_xaxes(title_text=axis, row=row, col=col)
    fig.update_xaxes(range=[0, 100])
    return _panel_layout(fig, rows)


def progress_points(table: pd.DataFrame) -> list[str]:
    """The x axis of a progress chart: one category per session (or clip), oldest first,
    ``YYYY-MM-DD`` and its title, so two sessions on one day are two points side by side
    (a date axis stacked them and ticked hours); labels are plain text."""
    keys = ["date", "session_id"] + (["clip_id"] if "clip_id" in table else [])
    rows = table.drop_duplicates(keys).sort_values(keys)
    return [_point_label(r) for _, r in rows.iterrows()]


def _point_label(row: pd.Series) -> str:
    label = f"{pd.Timestamp(row['date']):%Y-%m-%d}"
    if "session" in row and isinstance(row["session"], str):
        label += f"<br>{html(row['session'])}"
    if isinstance(row.get("file_name"), str) and pd.notna(row.get("clip_id")):
        label += f"<br>{html(row['file_name'])} ({int(row['clip_id'])})"
    return label


def progress_figure(
    table: pd.DataFrame,
    value: str,
    names: Sequence[str],
    unit: str,
    title: str,
) -> go.Figure:
    """One metric across sessions: one line per angle or pair; ``title`` and ``unit`` name
    the y axis.

    A joint keeps one colour (left and right of a knee are the same colour), its sides
    told apart by the line: solid left, dashed right, dotted for a midline angle or a
    pair. ``table``: the long table of :meth:`Store.progress` (``date``, ``session_id``,
    ``session``, optionally ``clip_id`` and ``file_name``, ``name`` and the column
    ``value``); each session (or clip) is one category of the x axis.
    """
    fig = go.Figure()
    joints = list(dict.fromkeys(joint_of(n) for n in names))
    colours = (PALETTE.compare[0], PALETTE.tracks[1], PALETTE.tracks[3], PALETTE.tracks[4],
               PALETTE.tracks[2], PALETTE.tracks[0], PALETTE.tracks[7], PALETTE.tracks[5])
    order = progress_points(table) if not table.empty else []
    for name in names:
        rows = table[table["name"] == name].sort_values(["date", "session_id"])
        if rows.empty:
            continue
        side = "left" if name.startswith("left_") else "right" if name.startswith(
            "right_") else "centre"
        fig.add_trace(
            go.Scatter(
                x=[_point_label(r) for _, r in rows.iterrows()], y=rows[value],
                mode="lines+markers",
                name=title_of(name.replace("left_", "left ").replace("right_", "right ")),
                line={"color": colours[joints.index(joint_of(name)) % len(colours)],
                      "width": 2,
                      "dash": {"left": "solid", "right": "dash", "centre": "dot"}[side]},
                marker={"size": 9, "symbol": {"left": "circle", "right": "diamond",
                                              "centre": "square"}[side]},
                hovertemplate="%{x}: %{y:.1f} " + unit + "<extra>%{fullData.name}</extra>",
            )
        )
    finish(fig, 420, top=60)
    fig.update_layout(hovermode="closest", margin={"b": 40})
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=order,
                     title_text="Session", title_standoff=18, automargin=True)
    fig.update_yaxes(title_text=f"{title} ({unit})")
    return fig


def repetition_comparison_figure(
    reps_a: pd.DataFrame, reps_b: pd.DataFrame, labels: tuple[str, str]
) -> go.Figure:
    """ROM and duration of each repetition of two clips, side by side.

    ``reps_a`` / ``reps_b``: the stored repetition tables (``rep``, ``rom`` in
    degrees, ``duration_s`` in seconds); ``labels`` name them, as plain text.
    """
    labels = (html(labels[0]), html(labels[1]))
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12,
                        subplot_titles=["Range of motion", "Duration"])
    for reps, label, colour in ((reps_a, labels[0], PALETTE.compare[0]),
                                (reps_b, labels[1], PALETTE.compare[1])):
        if reps.empty:
            continue
        x = reps["rep"].astype(int)
        fig.add_trace(go.Bar(x=x, y=reps["rom"], name=label, marker_color=colour,
                             legendgroup=label,
                             hovertemplate="Repetition %{x}: %{y:.0f}°<extra></extra>"),
                      row=1, col=1)
        fig.add_trace(go.Bar(x=x, y=reps["duration_s"], name=label, marker_color=colour,
                             legendgroup=label, showlegend=False,
                             hovertemplate="Repetition %{x}: %{y:.2f} s<extra></extra>"),
                      row=1, col=2)
    fig.update_xaxes(title_text="Repetition", dtick=1)
    fig.update_yaxes(title_text="ROM (°)", row=1, col=1)
    fig.update_yaxes(title_text="Duration (s)", row=1, col=2)
    finish(fig, 360, top=72)
    fig.update_layout(barmode="group")
    return fig


def followed_figure(
    spans: Mapping[int, Sequence[tuple[float, float]]],
    duration_s: float | None,
    analysed_until_s: float,
) -> go.Figure:
    """Who is followed when, while a clip is analysed: one row per person (track id), a
    bar over each span of time in which they were seen, in their label colour.

    ``spans``: track id -> [(start, end)] in seconds; ``duration_s``: the clip's length
    (None while unknown); ``analysed_until_s``: how far the analysis has got, in seconds
    (shaded beyond).
    """
    fig = go.Figure()
    labels = [track_label(t) for t in spans]
    for (track_id, runs), label in zip(spans.items(), labels, strict=True):
        x: list[float | None] = []
        for start, end in runs:
            x += [start, end, None]
        fig.add_trace(go.Scatter(
            x=x, y=[label if v is not None else None for v in x], mode="lines",
            line={"color": PALETTE.track(track_id), "width": 16}, name=label,
            showlegend=False, connectgaps=False,
            hovertemplate=f"{label}: %{{x:.1f}} s<extra></extra>",
        ))
    end = max(duration_s or 0.0, analysed_until_s, 1e-3)
    if analysed_until_s < end:
        fig.add_vrect(x0=analysed_until_s, x1=end, fillcolor="#e5e7eb", opacity=0.5,
                      line_width=0, layer="below")
    finish(fig, 90 + 34 * max(len(labels), 1), top=16)
    fig.update_layout(hovermode="closest")
    fig.update_xaxes(title_text=TIME, range=[0, end])
    fig.update_yaxes(categoryorder="array", categoryarray=labels[::-1], showgrid=False,
                     range=[-0.6, max(len(labels), 1) - 0.4])
    return fig
