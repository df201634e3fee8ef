"""How angles are measured, and how right they are: a small figure and the stated accuracy.

The Clip view shows this in an expander beside its numbers, so a coach reading
"L knee 42°" knows what 0 means and how far off a reading can be. The figure is
drawn from DESIGN.md's convention (three panels, degrees, y up as the viewer
sees it); the accuracy text is the README's "Accuracy" section, the one place
where the measured figures are stated, so the two never disagree.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

from dashboard.theme import PALETTE

README = Path(__file__).resolve().parent.parent / "README.md"
CONVENTION_TITLES = ("Knee flexion 40°", "Shank angle −70°", "Trunk lean 20°")

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


#: The drawing's units: each panel spans x in [-1.2, 1.3] and y in [-0.2, 2.2] (y up),
#: drawn at this many pixels per unit, under a title row.
_SCALE = 100
_X_RANGE, _Y_RANGE = (-1.2, 1.3), (-0.2, 2.2)
_TITLE_PX = 30
_PANEL_W = round((_X_RANGE[1] - _X_RANGE[0]) * _SCALE)
_PANEL_H = round((_Y_RANGE[1] - _Y_RANGE[0]) * _SCALE)


def _px(panel: int, x: float, y: float) -> tuple[float, float]:
    """Pixel position in the whole drawing of the point (x, y) of ``panel`` (0, 1, 2)."""
    return (panel * _PANEL_W + (x - _X_RANGE[0]) * _SCALE,
            _TITLE_PX + (_Y_RANGE[1] - y) * _SCALE)


def _polyline(panel: int, points: list[tuple[float, float]], colour: str, width: float,
              dotted: bool = False) -> str:
    coords = " ".join(f"{px:.1f},{py:.1f}" for px, py in (_px(panel, *p) for p in points))
    dash = ' stroke-dasharray="2 4"' if dotted else ""
    return (f'<polyline points="{coords}" fill="none" stroke="{colour}" '
            f'stroke-width="{width}" stroke-linecap="round"{dash}/>')


def _joints(panel: int, points: list[tuple[float, float]], colour: str) -> str:
    return "".join(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="5" fill="{colour}"/>'
                   for px, py in (_px(panel, *p) for p in points))


def _arc(cx: float, cy: float, r: float, a0: float, a1: float) -> list[tuple[float, float]]:
    """Points of an arc of radius ``r`` around (cx, cy) from ``a0`` to ``a1`` (radians,
    counter-clockwise)."""
    return [(cx + r * math.cos(a0 + (a1 - a0) * i / 23),
             cy + r * math.sin(a0 + (a1 - a0) * i / 23)) for i in range(24)]


@functools.cache  # the same drawing every time
def convention_svg() -> str:
    """Three panels, drawn as SVG: knee flexion, a segment angle, trunk lean (degrees,
    y up as the viewer sees it). A still picture, not a chart: the browser draws it at
    once, even inside a closed expander, where it drew a three-panel Plotly chart
    (measured: with that chart and the CSVs left out of the first Clip view, uploads
    took 1.17-1.26x the estimator alone, against 1.27-1.36x in the runs just before)."""
    bone, guide, note = PALETTE.left, PALETTE.centre_chart, PALETTE.right
    parts: list[str] = []

    def limb(panel: int, points: list[tuple[float, float]], reference, arc) -> None:
        parts.append(_polyline(panel, reference, guide, 1.5, dotted=True))
        parts.append(_polyline(panel, arc, note, 2))
        parts.append(_polyline(panel, points, bone, 5))
        parts.append(_joints(panel, points, bone))

    # 1. Knee: hip above, knee, ankle bent 40 degrees from the straight line.
    hip, knee = (0.0, 2.0), (0.0, 1.0)
    bend = math.radians(40)
    ankle = (knee[0] - math.sin(bend), knee[1] - math.cos(bend))
    limb(0, [hip, knee, ankle], [knee, (0.0, 0.0)],
         _arc(*knee, 0.45, -math.pi / 2, -math.pi / 2 - bend))
    # 2. Segment: the shank from knee to ankle, against the horizontal, CCW positive.
    shank = math.radians(-70)
    end = (math.cos(shank), 1.0 + math.sin(shank))
    limb(1, [(0.0, 1.0), end], [(0.0, 1.0), (1.0, 1.0)], _arc(0.0, 1.0, 0.45, 0.0, shank))
    # 3. Trunk lean: mid-hip to mid-shoulder against the vertical.
    lean = math.radians(20)
    top = (1.6 * math.sin(lean), 1.6 * math.cos(lean))
    limb(2, [(0.0, 0.0), top], [(0.0, 0.0), (0.0, 1.6)],
         _arc(0.0, 0.0, 0.7, math.pi / 2, math.pi / 2 - lean))

    titles = "".join(
        f'<text x="{(i + 0.5) * _PANEL_W:.0f}" y="20" text-anchor="middle" '
        f'font-family="sans-serif" font-size="15" fill="#262730">{title}</text>'
        for i, title in enumerate(CONVENTION_TITLES))
    width, height = 3 * _PANEL_W, _TITLE_PX + _PANEL_H
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" role="img" '
            f'aria-label="{"; ".join(CONVENTION_TITLES)}">'
            f'<rect width="{width}" height="{height}" fill="#ffffff"/>{titles}'
            f'{"".join(parts)}</svg>')


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
        st.image(convention_svg(), width=640)
        st.markdown(accuracy_text())
