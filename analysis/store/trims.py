"""A clip trimmed to the movement: the coach's first and last frame, and metrics that follow.

The trim is kept in the clip's settings (``Clip.settings["trim"]``, see
:func:`analysis.store.records.trim_of`; no schema change): what the model read stays
stored whole (poses, frame count), only the metrics are recomputed over the trimmed
frames, through the same path as the coach's corrections
(:meth:`CorrectionRecords._recompute`, which reads the trim). Everything that reads the
metrics (summary, ROM, repetitions, symmetry, jumps, the angles and summary exports, the
Progress page) then covers the trimmed frames only; the keypoints export, the annotated
MP4 and the player read :attr:`ClipInfo.trim` themselves. Undoing the trim recomputes
over every frame again.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from analysis.errors import AnalysisError
from analysis.store.clips import clip_info, clip_row
from analysis.store.corrections import CorrectionRecords
from analysis.store.engine import _guarded
from analysis.store.models import Clip
from analysis.store.records import TRIM_KEY, ClipInfo, trim_of


def _whole_number(value: Any, what: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        raise AnalysisError(f"The trim's {what} frame must be a whole number, not {value!r}."
                            ) from None
    if number != value:
        raise AnalysisError(f"The trim's {what} frame must be a whole number, not {value!r}.")
    return number


class TrimRecords(CorrectionRecords):
    """Set and undo a clip's trim; every person's metrics recomputed in the same
    transaction (on any error the old trim and metrics stay)."""

    @_guarded
    def set_trim(self, clip_id: int, first_frame: int, last_frame: int) -> ClipInfo:
        """Trim a clip to frames ``first_frame..last_frame`` (inclusive) and recompute its
        people's metrics over those frames only, in ONE transaction. AnalysisError (one
        line) for an unknown clip, a photo, a clip not analysed, frames out of the clip or
        a first frame not before the last."""
        first = _whole_number(first_frame, "first")
        last = _whole_number(last_frame, "last")
        with self._writing() as session:
            clip = clip_row(session, clip_id)
            if clip.kind != "video":
                raise AnalysisError("A photo cannot be trimmed.")
            if clip.status != "done":
                raise AnalysisError("Only an analysed clip can be trimmed.")
            end = max(int(clip.frame_count), 1) - 1
            if not 0 <= first < last <= end:
                raise AnalysisError(
                    f"A trim runs from a frame to a later one within 0–{end}, "
                    f"not {first}–{last}.")
            settings = dict(clip.settings or {})
            settings[TRIM_KEY] = {"first_frame": first, "last_frame": last}
            return self._retrim(session, clip, settings)

    @_guarded
    def clear_trim(self, clip_id: int) -> ClipInfo:
        """Undo a clip's trim: metrics recomputed over every frame again (ONE transaction).
        A clip without a trim is returned as it is."""
        with self._writing() as session:
            clip = clip_row(session, clip_id)
            if trim_of(clip.settings) is None:
                return clip_info(clip, clip.session.athlete_id, clip.tracks)
            settings = {k: v for k, v in (clip.settings or {}).items() if k != TRIM_KEY}
            return self._retrim(session, clip, settings)

    def _retrim(self, session: Session, clip: Clip, settings: dict[str, Any]) -> ClipInfo:
        clip.settings = settings  # a new dict: the JSON column sees the change
        session.flush()
        for track in clip.tracks:
            self._recompute(session, clip, track)
        return clip_info(clip, clip.session.athlete_id, clip.tracks)
