"""How angles are measured, and how right they are: a small figure and the stated accuracy.

The Clip view shows this in an expander beside its numbers, so a coach reading
"L knee 42°" knows what 0 means and how far off a reading can be. The figure is
drawn from DESIGN.md's convention (three panels, degrees, y up as the viewer
sees it); the accuracy text is the README's "Accuracy" section, the one place
where the measured figures are stated, so the two never disagree.
"""

from __future__ import annotations

import math
from pathlib import Path

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.theme import PALETTE

README = Path(__file__).resolve().parent.parent / "README.md"

CONVENTION = (
    "Joint angles are **flexion** angles: 0° with the limb straight, growing as it bends "
    "(knee, hip, elbow, wrist up to 180°; shoulder 0° with the arm along the trunk). "
    "The ankle is 90° minus the shin-to-foot angle: dorsiflexion positive. "
    "Segment angles (thigh, shank, trunk, ...) are measured from the image horizontal, "
    "counter-clockwise positive, in (−180°, 180°]; trunk lean is the trunk's angle from "
    "the vertical (0° upright), whichever way the athlete faces. Angles without `_3d` are "
    "measured in the image plane: film square to the movement. Left and right are the "
    "athlete's own."
)


def _arc(cx: float, cy: float, r: float, a0: float, a1: float, line: dict) -> go.Scatter:
    """An arc of radius ``r`` around (cx, cy) from angle ``a0`` to ``a1`` (radians, CCW)."""
    angles = [a0 + (a1 - a0) * i / 23 for i in range(24)]
    return go.Scatter(x=[cx + r * math.cos(a) for a in angles],
                      y=[cy + r * math.sin(a) for a in angles], mode="lines", line=line)


def convention_figure() -> go.Figure:
    """Three panels: knee flexion, a segment angle, trunk lean (degrees, y up)."""
    fig = make_subplots(rows=1, cols=3, subplot_titles=(
        "Knee flexion 40°", "Shank angle −70°", "Trunk lean 20°"))
    bone = {"width": 5, "color": PALETTE.left}
    guide = {"width": 1.5, "color": PALETTE.centre_chart, "dash": "dot"}
    note = {"width": 2, "color": PALETTE.right}

    # 1. Knee: hip above, knee, ankle bent 40 degrees from the straight line.
    hip, knee = (0.0, 2.0), (0.0, 1.0)
    bend = math.radians(40)
    ankle = (knee[0] - math.sin(bend), knee[1] - math.cos(bend))
    fig.add_trace(go.Scatter(x=[hip[0], knee[0], ankle[0]], y=[hip[1], knee[1], ankle[1]],
                             mode="lines+markers", line=bone), 1, 1)
    fig.add_trace(go.Scatter(x=[knee[0], 0.0], y=[knee[1], 0.0], mode="lines", line=guide),
                  1, 1)
    fig.add_trace(_arc(*knee, 0.45, -math.pi / 2, -math.pi / 2 - bend, note), 1, 1)

    # 2. Segment: the shank from knee to ankle, against the horizontal, CCW positive.
    k2 = (0.0, 1.0)
    a2 = math.radians(-70)
    a_end = (k2[0] + math.cos(a2), k2[1] + math.sin(a2))
    fig.add_trace(go.Scatter(x=[k2[0], a_end[0]], y=[k2[1], a_end[1]], mode="lines+markers",
                             line=bone), 1, 2)
    fig.add_trace(go.Scatter(x=[k2[0], k2[0] + 1.0], y=[k2[1], k2[1]], mode="lines",
                             line=guide), 1, 2)
    fig.add_trace(_arc(*k2, 0.45, 0.0, a2, note), 1, 2)

    # 3. Trunk lean: mid-hip to mid-shoulder against the vertical.
    lean = math.radians(20)
    base = (0.0, 0.0)
    top = (base[0] + 1.6 * math.sin(lean), base[1] + 1.6 * math.cos(lean))
    fig.add_trace(go.Scatter(x=[base[0], top[0]], y=[base[1], top[1]], mode="lines+markers",
                             line=bone), 1, 3)
    fig.add_trace(go.Scatter(x=[0.0, 0.0], y=[0.0, 1.6], mode="lines", line=guide), 1, 3)
    fig.add_trace(_arc(*base, 0.7, math.pi / 2, math.pi / 2 - lean, note), 1, 3)

    for col in (1, 2, 3):
        fig.update_xaxes(visible=False, range=[-1.2, 1.3], row=1, col=col)
        anchor = "x" if col == 1 else f"x{col}"
        fig.update_yaxes(visible=False, range=[-0.2, 2.2], scaleanchor=anchor, row=1, col=col)
    fig.update_layout(showlegend=False, height=230, margin={"l": 10, "r": 10, "t": 30, "b": 0},
                      plot_bgcolor="white")
    return fig


def accuracy_text(readme: Path = README) -> str:
    """The README's "Accuracy" section (Markdown, our own text), or a line saying it is absent."""
    try:
        text = readme.read_text(encoding="utf-8")
    except OSError:
        return "The measured accuracy is stated in the README's Accuracy section."
    start = text.find("\n## Accuracy")
    if start < 0:
        return "The measured accuracy is stated in the README's Accuracy section."
    end = text.find("\n## ", start + 1)
    return text[start + 1: end if end > 0 else None].replace("## Accuracy", "#### Accuracy", 1)


def show_angle_guide() -> None:
    """An expander in the page: the convention in words and a figure, and the accuracy."""
    import streamlit as st

    with st.expander("How angles are measured, and how accurate they are"):
        st.markdown(CONVENTION)
        st.plotly_chart(convention_figure(), config={"displayModeBar": False, "staticPlot": True},
                        width="stretch")
        st.markdown(accuracy_text())
