"""The charts across sessions: two clips compared (angle curves on a 0-100 % axis,
repetition by repetition) and one athlete's progress over many sessions.

Athletes' names and session titles are plain text, escaped here for Plotly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.charts.layout import DEGREES, finish, joint_of, panel_layout, title_of
from dashboard.escape import html
from dashboard.theme import PALETTE, rgba


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
    return panel_layout(fig, rows)


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
