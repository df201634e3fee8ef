"""The athlete's report as a PDF (ReportLab): a clip's or a session's.

Page layout: a header with the athlete, the session and the date made; per clip its
facts, the key frames (skeleton and angle values drawn, two per row), the main angle
curves over time, a table of the chosen angles (min, max, range, mean), the
repetitions and the left/right symmetry, the coach's notes, and the change of range
since the athlete's previous session. Text typed by users (names, titles, notes) is
escaped before ReportLab's paragraph markup reads it, so it prints as typed.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from xml.sax.saxutils import escape

import cv2
import numpy as np
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from dashboard.report.content import ClipReport
from dashboard.theme import PALETTE
from dashboard.widgets import angle_label

_STYLES = getSampleStyleSheet()
WIDTH = A4[0] - 30 * mm


def _p(text: str, style: str = "BodyText") -> Paragraph:
    return Paragraph(escape(text), _STYLES[style])


def _degrees(value: float) -> str:
    return "–" if value is None or not np.isfinite(value) else f"{value:.0f}°"


def _table(rows: list[list[str]], widths: Sequence[float] | None = None) -> Table:
    table = Table([[_p(c) for c in row] for row in rows], colWidths=widths, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
        ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#c8ccd2")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))
    return table


def _image(rgb: np.ndarray, width: float) -> Image:
    ok, png = cv2.imencode(".jpg", rgb[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 88])
    if not ok:
        raise RuntimeError("could not encode a key frame")
    height = width * rgb.shape[0] / rgb.shape[1]
    return Image(io.BytesIO(png.tobytes()), width=width, height=height)


def _key_frames(report: ClipReport) -> list:
    if not report.key_frames:
        return []
    cells = []
    for k in report.key_frames:
        angles = ", ".join(f"{angle_label(n)} {_degrees(v)}" for n, v in k.angles.items())
        cells.append([_image(k.image_rgb, WIDTH / 2 - 6 * mm),
                      _p(f"Frame {k.frame} · {k.time_s:.2f} s · {k.caption}", "Italic"),
                      _p(angles)])
    rows = [cells[i:i + 2] for i in range(0, len(cells), 2)]
    grid = Table([[c for c in row] + [""] * (2 - len(row)) for row in rows],
                 colWidths=[WIDTH / 2] * 2, hAlign="LEFT")
    grid.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return [_p("Key frames", "Heading3"), grid]


def _curves(report: ClipReport) -> list:
    series = [(n, t, v) for n, (t, v) in report.curves.items() if np.isfinite(v).any()]
    if not series:
        return []
    drawing = Drawing(WIDTH, 62 * mm)
    plot = LinePlot()
    plot.x, plot.y, plot.width, plot.height = 12 * mm, 10 * mm, WIDTH - 50 * mm, 48 * mm
    plot.data = [[(float(x), float(y)) for x, y in zip(t, v, strict=True) if np.isfinite(y)]
                 for _, t, v in series]
    # The app's colours: left blue, right orange, the midline grey; a second angle of the
    # same side dashed.
    styles, used = [], set()
    for name, _, _ in series:
        colour = PALETTE.side_chart(name)
        styles.append((colors.HexColor(colour), (3, 2) if colour in used else None))
        used.add(colour)
    for i, (colour, dash) in enumerate(styles):
        plot.lines[i].strokeColor = colour
        plot.lines[i].strokeWidth = 1.2
        if dash:
            plot.lines[i].strokeDashArray = dash
    plot.xValueAxis.labelTextFormat = "%.0f s"
    plot.yValueAxis.labelTextFormat = "%.0f°"
    drawing.add(plot)
    legend = Legend()
    legend.x, legend.y = WIDTH - 36 * mm, 50 * mm
    legend.colorNamePairs = [(colour, angle_label(n) + (" (dashed)" if dash else ""))
                             for (colour, dash), (n, _, _) in zip(styles, series, strict=True)]
    legend.fontSize = 8
    drawing.add(legend)
    return [_p("Angles over time", "Heading3"), drawing]


def _summary(report: ClipReport) -> list:
    if report.summary.empty:
        return []
    rows = [["Angle", "Min", "Max", "Range", "Mean"]]
    rows += [[angle_label(n), _degrees(r["min"]), _degrees(r["max"]), _degrees(r["rom"]),
              _degrees(r["mean"])] for n, r in report.summary.iterrows()]
    return [_p("Angles (degrees)", "Heading3"), _table(rows)]


def _repetitions(report: ClipReport) -> list:
    reps = report.repetitions
    if reps is None or reps.empty:
        return [_p("Repetitions", "Heading3"), _p("No repetitive movement was found.")]
    rows = [["Repetition", "Start", "Duration", "Range"]]
    for _, r in reps.iterrows():
        rom = r.get(f"rom_{report.rep_angle}", r.get("rom", np.nan))
        rows.append([f"{int(r['rep'])}", f"{r['start_s']:.2f} s", f"{r['duration_s']:.2f} s",
                     _degrees(float(rom))])
    label = angle_label(report.rep_angle) if report.rep_angle else "the clearest cycle"
    return [_p(f"Repetitions ({len(reps)}, counted on {label})", "Heading3"), _table(rows)]


def _symmetry(report: ClipReport) -> list:
    sym = report.symmetry
    if sym is None or sym.empty:
        return []
    rows = [["Joint", "Range left", "Range right", "Symmetry index"]]
    for pair, r in sym.iterrows():
        if str(pair).endswith("_3d"):
            continue
        si = r.get("si", np.nan)
        rows.append([angle_label(str(pair)), _degrees(r["rom_left"]), _degrees(r["rom_right"]),
                     "–" if not np.isfinite(si) else f"{si:.0f} %"])
    return [_p("Left and right", "Heading3"), _table(rows)] if len(rows) > 1 else []


def _notes(report: ClipReport) -> list:
    if not report.notes:
        return []
    rows = [["Time", "Frame", "Note"]] + [[f"{n.time_s:.2f} s", str(n.frame), n.text]
                                           for n in report.notes]
    return [_p("Coach's notes", "Heading3"), _table(rows, [22 * mm, 18 * mm, WIDTH - 40 * mm])]


def _change(report: ClipReport) -> list:
    if report.change.empty:
        return [_p("Since the previous session", "Heading3"),
                _p("No earlier session of this athlete to compare with.")]
    rows = [["Angle", "Range now", f"Range on {report.previous_label}", "Change"]]
    rows += [[angle_label(n), _degrees(r["rom"]), _degrees(r["previous_rom"]),
              f"{r['change']:+.0f}°" if np.isfinite(r["change"]) else "–"]
             for n, r in report.change.iterrows()]
    return [_p("Since the previous session", "Heading3"), _table(rows)]


def clip_flowables(report: ClipReport) -> list:
    parts = [_p(report.title, "Heading2"), _p(" · ".join(report.facts))]
    for section in (_key_frames, _curves, _summary, _repetitions, _symmetry, _notes, _change):
        flow = section(report)
        if flow:
            parts.append(KeepTogether(flow))
            parts.append(Spacer(1, 4 * mm))
    return parts


def report_pdf(athlete: str, session_label: str, clips: Sequence[ClipReport],
               made: dt.date | None = None) -> bytes:
    """The PDF of one or several clips of a session, as bytes."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm,
                            topMargin=15 * mm, bottomMargin=15 * mm,
                            title=f"Posture report {athlete}", author="Posture analytics")
    story = [_p(f"Posture report: {athlete}", "Title"),
             _p(f"{session_label} · made {(made or dt.date.today()):%Y-%m-%d}")]
    for report in clips:
        story += clip_flowables(report)
    doc.build(story)
    return buffer.getvalue()
