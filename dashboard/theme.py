"""One palette for the whole product: left, right and centre, in frames and in charts alike.

The athlete's own left is always :attr:`Palette.left` (blue), their right
:attr:`Palette.right` (orange), and parts on the midline (trunk, pelvis, head)
:attr:`Palette.centre`. Blue and orange stay distinct for the common forms of
colour blindness. Colours are stored as ``#rrggbb`` strings; :func:`bgr` and
:func:`rgb` turn them into the tuples OpenCV and Pillow want.

``PLOTLY_TEMPLATE`` is the Plotly template every chart of the dashboard uses.
"""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go
import plotly.io as pio


def rgb(colour: str) -> tuple[int, int, int]:
    """``"#rrggbb"`` -> (r, g, b), each 0-255."""
    value = colour.lstrip("#")
    if len(value) != 6:
        raise ValueError(f"not a #rrggbb colour: {colour!r}")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def bgr(colour: str) -> tuple[int, int, int]:
    """``"#rrggbb"`` -> (b, g, r), the order of OpenCV images."""
    r, g, b = rgb(colour)
    return b, g, r


def rgba(colour: str, alpha: float) -> str:
    """``"#rrggbb"`` -> ``"rgba(r,g,b,alpha)"`` for Plotly fills."""
    r, g, b = rgb(colour)
    return f"rgba({r},{g},{b},{alpha:g})"


def readable_text_on(colour: str) -> str:
    """Black or white, whichever reads better on ``colour`` (WCAG relative luminance)."""

    def channel(c: int) -> float:
        s = c / 255.0
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb(colour))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#111111" if luminance > 0.35 else "#ffffff"


@dataclass(frozen=True)
class Palette:
    """The product's colours, as ``#rrggbb`` strings.

    ``centre`` is drawn on video frames (light, reads on dark and bright
    scenes); ``centre_chart`` is the midline colour on a white chart.
    ``tracks`` tells people apart (their id labels); ``compare`` colours the
    two sides of a comparison (clip A, clip B).
    """

    left: str = "#2f7ff0"
    right: str = "#ff8a1f"
    centre: str = "#e9edf2"
    centre_chart: str = "#4b5563"
    outline: str = "#101418"
    label_background: str = "#14181f"
    label_text: str = "#ffffff"
    tracks: tuple[str, ...] = (
        "#10b981", "#a855f7", "#ec4899", "#eab308", "#06b6d4", "#84cc16", "#f43f5e", "#6366f1",
    )
    compare: tuple[str, str] = ("#0f766e", "#c026d3")

    def side(self, name: str) -> str:
        """Colour of a keypoint, bone end or angle by its name (``left_knee`` -> left)."""
        side = side_of_name(name)
        if side == "left":
            return self.left
        if side == "right":
            return self.right
        return self.centre

    def side_chart(self, name: str) -> str:
        """Like :meth:`side`, with the midline colour that reads on a white chart."""
        colour = self.side(name)
        return self.centre_chart if colour == self.centre else colour

    def track(self, track_id: int) -> str:
        """Colour of one person's label, stable for a track id."""
        return self.tracks[int(track_id) % len(self.tracks)]


def side_of_name(name: str) -> str:
    """``"left"``, ``"right"`` or ``"centre"`` for a keypoint or angle name.

    Accepts the prefixes ``left_``/``right_`` and the short ``L``/``R`` forms
    used in labels, so ``left_knee_3d`` is left and ``trunk_lean`` is centre.
    """
    lowered = name.lower()
    if lowered.startswith(("left_", "l ")):
        return "left"
    if lowered.startswith(("right_", "r ")):
        return "right"
    return "centre"


PALETTE = Palette()

FONT_FAMILY = "Inter, 'Source Sans Pro', 'DejaVu Sans', Arial, sans-serif"

PLOTLY_TEMPLATE = go.layout.Template(
    layout=go.Layout(
        font={"family": FONT_FAMILY, "size": 13, "color": "#1f2937"},
        title={"font": {"size": 15}, "x": 0.0, "xanchor": "left"},
        paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff",
        colorway=[PALETTE.left, PALETTE.right, PALETTE.centre_chart, *PALETTE.tracks],
        xaxis={"gridcolor": "#e5e7eb", "zerolinecolor": "#d1d5db", "linecolor": "#9ca3af",
               "ticks": "outside", "tickcolor": "#9ca3af", "showline": True},
        yaxis={"gridcolor": "#e5e7eb", "zerolinecolor": "#d1d5db", "linecolor": "#9ca3af",
               "ticks": "outside", "tickcolor": "#9ca3af", "showline": True},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0.0},
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        hovermode="x unified",
    )
)
pio.templates["posture"] = PLOTLY_TEMPLATE
