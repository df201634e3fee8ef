"""Who is followed when while a clip is being analysed: one row per tracked person.

Drawn as a still SVG picture, not a Plotly chart: the progress redraws it every couple of
seconds while the estimator runs on the same cores, and a Plotly chart cost the browser
CPU at every redraw (layout, axes, hover layers) that a picture does not.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape

from dashboard.annotate import track_label
from dashboard.charts.layout import TIME
from dashboard.theme import PALETTE

#: The picture's units are pixels at its natural width; it is scaled to the column.
WIDTH = 800
LABEL_W = 96  # the people's names, left of the plot
RIGHT_PAD = 16
TOP_PAD = 8
ROW_H = 34
BAR_H = 16
AXIS_H = 50  # ticks, their numbers and the axis title under the rows
SHADE = "#e5e7eb"
INK = "#262730"
GRID = "#d1d5db"


def _ticks(end: float, most: int = 8) -> list[float]:
    """Round tick values from 0 to ``end`` (seconds): steps of 1, 2 or 5 x 10^k, at most
    about ``most`` of them."""
    raw = end / most
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return [i * step for i in range(int(end / step + 1e-9) + 1)]


def followed_svg(
    spans: Mapping[int, Sequence[tuple[float, float]]],
    duration_s: float | None,
    analysed_until_s: float,
) -> str:
    """Who is followed when, while a clip is analysed, as an SVG picture: one row per
    person (track id), first at the top, a bar over each span of time in which they were
    seen, in their label colour; the part of the clip not analysed yet shaded.

    ``spans``: track id -> [(start, end)] in seconds; ``duration_s``: the clip's length
    (None while unknown); ``analysed_until_s``: how far the analysis has got, in seconds.
    Each bar and the shade carry their times in seconds (``data-start``, ``data-end``).
    """
    end = max(duration_s or 0.0, analysed_until_s, 1e-3)
    labels = [track_label(t) for t in spans]
    rows = max(len(labels), 1)
    plot_w = WIDTH - LABEL_W - RIGHT_PAD
    plot_h = rows * ROW_H
    height = TOP_PAD + plot_h + AXIS_H

    def x_of(t: float) -> float:
        return LABEL_W + plot_w * min(max(t, 0.0), end) / end

    parts = [f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>']
    if analysed_until_s < end:
        parts.append(
            f'<rect class="not-analysed" x="{x_of(analysed_until_s):.1f}" y="{TOP_PAD}" '
            f'width="{x_of(end) - x_of(analysed_until_s):.1f}" height="{plot_h}" '
            f'fill="{SHADE}" fill-opacity="0.5" data-start="{analysed_until_s:g}" '
            f'data-end="{end:g}"/>')
    axis_y = TOP_PAD + plot_h
    for tick in _ticks(end):
        x = x_of(tick)
        parts.append(f'<line x1="{x:.1f}" y1="{TOP_PAD}" x2="{x:.1f}" y2="{axis_y + 5}" '
                     f'stroke="{GRID}" stroke-width="1"/>')
        parts.append(f'<text x="{x:.1f}" y="{axis_y + 20}" text-anchor="middle" '
                     f'font-family="sans-serif" font-size="13" fill="{INK}">'
                     f'{tick:g}</text>')
    parts.append(f'<text class="axis-title" x="{LABEL_W + plot_w / 2:.1f}" '
                 f'y="{axis_y + 42}" text-anchor="middle" font-family="sans-serif" '
                 f'font-size="14" fill="{INK}">{escape(TIME)}</text>')
    for row, ((track_id, runs), label) in enumerate(zip(spans.items(), labels, strict=True)):
        centre = TOP_PAD + (row + 0.5) * ROW_H
        colour = PALETTE.track(track_id)
        parts.append(f'<text class="person" x="{LABEL_W - 8}" y="{centre + 5:.1f}" '
                     f'text-anchor="end" font-family="sans-serif" font-size="14" '
                     f'fill="{INK}">{escape(label)}</text>')
        for start, stop in runs:
            left = x_of(start)
            width = max(x_of(stop) - left, 2.0)  # a one-frame sighting still shows
            parts.append(
                f'<rect class="seen" x="{left:.1f}" y="{centre - BAR_H / 2:.1f}" '
                f'width="{width:.1f}" height="{BAR_H}" rx="3" fill="{colour}" '
                f'data-person="{escape(label)}" data-start="{start:g}" data-end="{stop:g}"/>')
    title = "People followed so far" if labels else "Nobody found so far"
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
            f'width="{WIDTH}" height="{height}" role="img" aria-label="{title}">'
            f'{"".join(parts)}</svg>')
