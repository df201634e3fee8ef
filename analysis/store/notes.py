"""A coach's notes, key frames and drawings on a clip's frames, in the store.

Table ``clip_notes`` (:class:`analysis.store.models.ClipNote`): one row per note, key
frame or drawing (a marker, a line, an angle measured by three clicks), on one clip
frame, with who and when; editable (text, frame, points) and deletable. Texts are typed
by users: kept as plain text (:func:`analysis.store.values.plain_text`), at most
:data:`TEXT_MAX` characters, shown and exported as text only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis.errors import AnalysisError
from analysis.store.base import StoreBase
from analysis.store.clips import clip_row
from analysis.store.engine import _guarded
from analysis.store.models import NOTE_KINDS, Clip, ClipNote, utcnow
from analysis.store.values import lookup_int, plain_text

TEXT_MAX = 2000
AUTHOR_MAX = 200
KIND_LABELS = {"note": "Note", "key_frame": "Key frame", "marker": "Marker", "line": "Line",
               "angle": "Angle"}


def measured_angle(points: Sequence[Sequence[float]]) -> float:
    """Degrees in [0, 180] at the middle of three points (x, y): the angle a coach
    measures with three clicks; NaN when an arm has no length."""
    (ax, ay), (bx, by), (cx, cy) = points
    u, v = (ax - bx, ay - by), (cx - bx, cy - by)
    nu, nv = math.hypot(*u), math.hypot(*v)
    if nu == 0 or nv == 0:
        return math.nan
    cos = max(-1.0, min(1.0, (u[0] * v[0] + u[1] * v[1]) / (nu * nv)))
    return math.degrees(math.acos(cos))


@dataclasses.dataclass(frozen=True)
class NoteInfo:
    """One note as stored. ``points``: (x, y) clip pixels; ``text`` plain text."""

    id: int
    clip_id: int
    frame: int
    kind: str
    text: str
    points: tuple[tuple[float, float], ...]
    created_at: dt.datetime
    created_by: str = ""
    updated_at: dt.datetime | None = None

    @property
    def angle_deg(self) -> float | None:
        """The measured angle of an ``angle`` drawing (degrees), else None."""
        return measured_angle(self.points) if self.kind == "angle" else None

    def describe(self) -> str:
        """``Angle 87° in frame 12``, ``Note in frame 40: <text>``."""
        head = KIND_LABELS.get(self.kind, self.kind)
        if self.kind == "angle" and self.angle_deg is not None and math.isfinite(
                self.angle_deg):
            head += f" {self.angle_deg:.0f}°"
        text = f"{head} in frame {self.frame}"
        return f"{text}: {self.text}" if self.text else text


def note_info(row: ClipNote) -> NoteInfo:
    return NoteInfo(row.id, row.clip_id, row.frame, row.kind, row.text or "",
                    tuple((float(x), float(y)) for x, y in (row.points or [])),
                    row.created_at, row.created_by or "", row.updated_at)


def _frame(clip: Clip, value: Any) -> int:
    try:
        frame = int(value)
    except (TypeError, ValueError, OverflowError):
        raise AnalysisError(f"The frame must be a whole number, not {value!r}.") from None
    last = max(int(clip.frame_count) - 1, 0)
    if frame != value or not 0 <= frame <= last:
        raise AnalysisError(f"Frame {value!r} is not a frame of this clip (0–{last}).")
    return frame


def _text(value: str | None, limit: int, what: str) -> str:
    text = plain_text(value or "")
    if len(text) > limit:
        raise AnalysisError(f"The {what} is longer than {limit} characters.")
    return text


def _points(clip: Clip, kind: str, points: Sequence[Sequence[float]]) -> list[list[float]]:
    want = NOTE_KINDS[kind]
    if len(points) != want:
        raise AnalysisError(f"A {KIND_LABELS[kind].lower()} needs {want} point"
                            f"{'' if want == 1 else 's'} on the frame, not {len(points)}.")
    out = []
    for point in points:
        try:
            x, y = (float(v) for v in point)
        except (TypeError, ValueError):
            raise AnalysisError(f"A point must be two numbers of pixels, not {point!r}.") \
                from None
        if not (0 <= x <= clip.width and 0 <= y <= clip.height):
            raise AnalysisError(f"The point ({x:.0f}, {y:.0f}) is outside the picture "
                                f"({clip.width}×{clip.height}).")
        out.append([round(x, 2), round(y, 2)])
    return out


def _note_row(session: Session, note_id: int) -> ClipNote:
    row = session.get(ClipNote, lookup_int(note_id), with_for_update=True)
    if row is None:
        raise AnalysisError(f"No note {note_id} in the database.")
    return row


class NoteRecords(StoreBase):
    """Notes, key frames and drawings of a clip."""

    @_guarded
    def add_note(self, clip_id: int, frame: int, kind: str = "note", text: str = "",
                 points: Sequence[Sequence[float]] = (), *, created_by: str = "") -> NoteInfo:
        """Add a note (``kind`` of :data:`~analysis.store.models.NOTE_KINDS`) on a clip
        frame. AnalysisError (one line) for an unknown clip or kind, a frame outside the
        clip, the wrong number of points or one outside the picture, an empty note, a
        text over :data:`TEXT_MAX` characters."""
        if kind not in NOTE_KINDS:
            raise AnalysisError(f"Unknown kind of note {kind!r}; choose one of "
                                f"{', '.join(NOTE_KINDS)}.")
        with self._writing() as session:
            clip = clip_row(session, clip_id)
            body = _text(text, TEXT_MAX, "note")
            if kind == "note" and not body:
                raise AnalysisError("Write the note first.")
            row = ClipNote(clip_id=clip.id, frame=_frame(clip, frame), kind=kind, text=body,
                           points=_points(clip, kind, points),
                           created_by=_text(created_by, AUTHOR_MAX, "name"))
            session.add(row)
            session.flush()
            return note_info(row)

    @_guarded
    def update_note(self, note_id: int, *, text: str | None = None, frame: int | None = None,
                    points: Sequence[Sequence[float]] | None = None) -> NoteInfo:
        """Change a note's text, frame or points (what is given), with the same checks."""
        with self._writing() as session:
            row = _note_row(session, note_id)
            clip = clip_row(session, row.clip_id)
            if text is not None:
                body = _text(text, TEXT_MAX, "note")
                if row.kind == "note" and not body:
                    raise AnalysisError("A note cannot be empty: delete it instead.")
                row.text = body
            if frame is not None:
                row.frame = _frame(clip, frame)
            if points is not None:
                row.points = _points(clip, row.kind, points)
            row.updated_at = utcnow()
            session.flush()
            return note_info(row)

    @_guarded
    def delete_note(self, note_id: int) -> None:
        """Delete a note; AnalysisError for an unknown id."""
        with self._writing() as session:
            session.delete(_note_row(session, note_id))

    @_guarded
    def list_notes(self, clip_id: int, kind: str | None = None) -> list[NoteInfo]:
        """A clip's notes (of one kind), in frame order, then oldest first."""
        with self._reading() as session:
            clip_row(session, clip_id)
            query = select(ClipNote).where(ClipNote.clip_id == lookup_int(clip_id))
            if kind is not None:
                query = query.where(ClipNote.kind == kind)
            query = query.order_by(ClipNote.frame, ClipNote.created_at, ClipNote.id)
            return [note_info(row) for row in session.scalars(query)]
