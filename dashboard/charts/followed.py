"""Who is followed when while a clip is being analysed: one row per tracked person."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import plotly.graph_objects as go

from dashboard.annotate import track_label
from dashboard.charts.layout import TIME, finish
from dashboard.theme import PALETTE


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
