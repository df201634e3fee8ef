"""A coach's drawings and notes drawn on a frame: markers, lines, three-click angles with
their value, and a note's text in a box, in the clip's pixels scaled to the image.

Used by the Clip view's notes panel, the annotated MP4 (each drawing held on screen for
:data:`HOLD_S` seconds from its frame, so it can be seen at normal speed) and the report.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

from analysis.store import NoteInfo
from dashboard.theme import bgr

DRAWING = "#facc15"  # yellow: reads on grass, sky, skin and the skeleton's colours
OUTLINE = "#101418"
#: Seconds a drawing or note stays on the exported clip after its frame.
HOLD_S = 1.5


def _line(image: np.ndarray, a, b, thickness: int) -> None:
    pa, pb = tuple(int(round(v)) for v in a), tuple(int(round(v)) for v in b)
    cv2.line(image, pa, pb, bgr(OUTLINE), thickness + 2, cv2.LINE_AA)
    cv2.line(image, pa, pb, bgr(DRAWING), thickness, cv2.LINE_AA)


def _label(image: np.ndarray, text: str, at, scale: float) -> None:
    """Text in a dark box whose top-left is near ``at`` (kept inside the image)."""
    font, size = cv2.FONT_HERSHEY_SIMPLEX, 0.5 * scale
    thickness = max(1, int(round(scale)))
    (w, h), base = cv2.getTextSize(text, font, size, thickness)
    x = int(min(max(at[0], 2), image.shape[1] - w - 6))
    y = int(min(max(at[1], h + 6), image.shape[0] - base - 4))
    cv2.rectangle(image, (x - 3, y - h - 4), (x + w + 3, y + base + 2), bgr(OUTLINE), -1)
    cv2.putText(image, text, (x, y), font, size, bgr(DRAWING), thickness, cv2.LINE_AA)


def ascii_text(text: str, limit: int = 60) -> str:
    """A note's text for OpenCV's font (ASCII only), one line, shortened with '...'."""
    flat = " ".join(text.split()).encode("ascii", "replace").decode()
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def draw_notes(image: np.ndarray, notes: Sequence[NoteInfo], scale: float) -> np.ndarray:
    """Draw ``notes`` on a BGR image showing the clip at ``scale`` image pixels per clip
    pixel (in place; returns the image)."""
    size = max(image.shape[:2]) / 720.0  # line widths and text follow the image size
    thickness = max(2, int(round(2 * size)))
    text_lines = 0
    for note in notes:
        pts = [(x * scale, y * scale) for x, y in note.points]
        if note.kind == "marker":
            c = tuple(int(round(v)) for v in pts[0])
            cv2.circle(image, c, int(10 * size), bgr(OUTLINE), thickness + 2, cv2.LINE_AA)
            cv2.circle(image, c, int(10 * size), bgr(DRAWING), thickness, cv2.LINE_AA)
        elif note.kind == "line":
            _line(image, pts[0], pts[1], thickness)
        elif note.kind == "angle":
            _line(image, pts[1], pts[0], thickness)
            _line(image, pts[1], pts[2], thickness)
            value = note.angle_deg
            if value is not None and math.isfinite(value):
                _label(image, f"{value:.0f} deg", (pts[1][0] + 8 * size, pts[1][1] - 8 * size),
                       size)
        if note.text and note.kind in ("note", "key_frame"):
            head = "Key frame: " if note.kind == "key_frame" else ""
            _label(image, ascii_text(head + note.text), (8 * size, (28 + 26 * text_lines) * size),
                   size)
            text_lines += 1
        elif note.text and pts:
            _label(image, ascii_text(note.text, 40), (pts[0][0] + 8 * size, pts[0][1] + 20 * size),
                   size)
    return image


def notes_at(notes: Sequence[NoteInfo], time_s: float, frame_times: np.ndarray,
             hold_s: float = HOLD_S) -> list[NoteInfo]:
    """The notes shown at ``time_s``: those whose frame's time is within the last
    ``hold_s`` seconds (a photo: all of them)."""
    if len(frame_times) <= 1:
        return list(notes)
    out = []
    for note in notes:
        start = float(frame_times[min(note.frame, len(frame_times) - 1)])
        if start <= time_s < start + hold_s:
            out.append(note)
    return out
