"""The coach's corrections in the store: their record, their checks, their queries.

A correction (table ``corrections``, :class:`analysis.store.models.Correction`) changes how
one person's stored poses are read over clip frames ``first_frame..last_frame``
(inclusive). Kinds: ``swap_sides`` exchanges left and right in some groups of left/right
pairs (``body``, ``arms``, ``legs``, see :data:`analysis.store.SIDE_BITS`);
``move_joint`` puts one joint of one frame where the coach clicked (``detail``: joint
name, ``x``, ``y`` in the clip's pixels); ``hide_joint`` marks one joint of one frame
as not visible (``detail``: joint name). A frame with a joint moved or hidden is a
labelled frame (:mod:`analysis.labelled_frames`).
It is kept beside the poses, never written into them: what the model read and what the
estimator corrected stay as they are; an undone correction keeps its row with
``undone_at`` set.

The functions here work on an open SQLAlchemy session and never commit:
:class:`CorrectionRecords` (part of :class:`analysis.store.Store`) opens the transaction,
calls them, recomputes the person's metrics (:mod:`analysis.corrections`) and commits all
of it together.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis.errors import AnalysisError
from analysis.store.base import StoreBase
from analysis.store.clips import clip_row
from analysis.store.encoding import poses_from_frame
from analysis.store.engine import _guarded
from analysis.store.models import Clip, Correction, Track, utcnow
from analysis.store.reading import pose_table
from analysis.store.records import (
    SIDE_BITS,
    side_groups,
    side_mask,
    trim_of,
    trimmed_poses,
)
from analysis.store.results import replace_metrics
from analysis.store.values import lookup_int, plain_text
from estimator.keypoints import KEYPOINT_NAMES

SWAP_SIDES = "swap_sides"
MOVE_JOINT = "move_joint"
HIDE_JOINT = "hide_joint"
JOINT_KINDS = (MOVE_JOINT, HIDE_JOINT)
CREATED_BY_MAX = 200

#: How the dashboard and the messages name each group of left/right pairs.
GROUP_LABELS: dict[str, str] = {"body": "head and trunk", "arms": "arms", "legs": "legs"}


@dataclasses.dataclass(frozen=True)
class CorrectionInfo:
    """One correction as the store keeps it.

    ``first_frame``, ``last_frame``: clip frame indices, inclusive. ``groups``: the
    exchanged groups in body, arms, legs order (empty for a kind that moves joints).
    ``created_by``: free text typed by the coach (may be empty), to be shown as plain
    text. ``undone_at``: None while the correction applies. Times in UTC.
    """

    id: int
    clip_id: int
    track_id: int
    kind: str
    first_frame: int
    last_frame: int
    groups: tuple[str, ...]
    created_at: dt.datetime
    created_by: str = ""
    undone_at: dt.datetime | None = None
    detail: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def active(self) -> bool:
        return self.undone_at is None

    @property
    def mask(self) -> int:
        """The :data:`~analysis.store.SIDE_BITS` mask of :attr:`groups`."""
        return side_mask(self.groups)

    @property
    def joint(self) -> str | None:
        """The joint a ``move_joint`` or ``hide_joint`` correction is about."""
        return self.detail.get("joint") if self.kind in JOINT_KINDS else None

    def describe(self) -> str:
        """One line for a coach: ``Left and right swapped (legs) in frames 10–20``,
        ``left knee moved to (412, 388) in frame 12``, ``right wrist not visible in
        frame 12``."""
        if self.kind == MOVE_JOINT:
            x, y = self.detail.get("x", 0.0), self.detail.get("y", 0.0)
            return (f"{joint_label(self.joint or '')} moved to ({x:.0f}, {y:.0f}) "
                    f"in {frames_label(self)}")
        if self.kind == HIDE_JOINT:
            return f"{joint_label(self.joint or '')} not visible in {frames_label(self)}"
        return f"Left and right swapped ({groups_label(self.groups)}) in {frames_label(self)}"


def joint_label(joint: str) -> str:
    """``left_knee`` -> ``left knee``."""
    return joint.replace("_", " ")


def groups_label(groups: Iterable[str]) -> str:
    """``("body", "arms", "legs")`` -> ``whole body``; ``("arms", "legs")`` ->
    ``arms + legs``; ``("body",)`` -> ``head and trunk``."""
    chosen = tuple(g for g in SIDE_BITS if g in set(groups))
    if len(chosen) == len(SIDE_BITS):
        return "whole body"
    return " + ".join(GROUP_LABELS[g] for g in chosen)


def frames_label(correction: CorrectionInfo) -> str:
    a, b = correction.first_frame, correction.last_frame
    return f"frame {a}" if a == b else f"frames {a}–{b}"


def correction_info(row: Correction) -> CorrectionInfo:
    return CorrectionInfo(
        id=row.id,
        clip_id=row.clip_id,
        track_id=row.track_id,
        kind=row.kind,
        first_frame=row.first_frame,
        last_frame=row.last_frame,
        groups=side_groups(row.groups or 0),
        created_at=row.created_at,
        created_by=row.created_by or "",
        undone_at=row.undone_at,
        detail=dict(row.detail or {}),
    )


def _frame_number(value: Any, what: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        raise AnalysisError(f"The {what} frame must be a whole number, not {value!r}.") from None
    if number != value:  # 10.5, "10"
        raise AnalysisError(f"The {what} frame must be a whole number, not {value!r}.")
    return number


def _clean_groups(groups: Iterable[str] | str) -> int:
    names = [groups] if isinstance(groups, str) else list(groups)
    unknown = [g for g in names if g not in SIDE_BITS]
    if unknown:
        raise AnalysisError(
            f"Unknown part {unknown[0]!r} to swap; choose body, arms or legs."
        )
    mask = side_mask(names)
    if not mask:
        raise AnalysisError("Choose what to swap: the whole body, the arms or the legs.")
    return mask


def _clean_author(created_by: str | None) -> str:
    text = plain_text(created_by or "")
    if len(text) > CREATED_BY_MAX:
        raise AnalysisError(f"The name of who corrects is longer than {CREATED_BY_MAX} characters.")
    return text


def track_row(session: Session, clip_id: int, track_id: int) -> Track | None:
    """The stored track of person ``track_id`` in the clip, or None."""
    return session.scalar(
        select(Track).where(Track.clip_id == lookup_int(clip_id),
                            Track.track_id == lookup_int(track_id))
    )


def _followed_track(session: Session, clip: Clip, track_id: int, first: int, last: int
                    ) -> Track:
    """The clip's track of ``track_id`` when frames first..last are all within those
    where the person is followed; AnalysisError (one line) otherwise."""
    track = track_row(session, clip.id, _frame_number(track_id, "person's"))
    if track is None:
        raise AnalysisError(f"Clip {clip.id} has no person with track id {track_id}.")
    if first > last:
        raise AnalysisError(f"The first frame ({first}) comes after the last one ({last}).")
    lo, hi = track.first_frame, track.first_frame + track.n_frames - 1
    if track.n_frames == 0 or first < lo or last > hi:
        asked = f"Frame {first} is not" if first == last else f"Frames {first}–{last} are not all"
        raise AnalysisError(
            f"{asked} within frames {lo}–{hi}, where this person is followed."
        )
    return track


def add_swap(
    session: Session,
    clip: Clip,
    track_id: int,
    first_frame: int,
    last_frame: int,
    groups: Iterable[str] | str,
    created_by: str | None = "",
) -> tuple[Correction, Track]:
    """Check and add a ``swap_sides`` correction of a clip's person; returns (row, track).

    Raises :class:`AnalysisError` (one line) for a person the clip does not have, a first
    frame after the last one, frames outside those where the person is followed, no or
    unknown groups, an author name over 200 characters.
    """
    first = _frame_number(first_frame, "first")
    last = _frame_number(last_frame, "last")
    mask = _clean_groups(groups)
    author = _clean_author(created_by)
    track = _followed_track(session, clip, track_id, first, last)
    row = Correction(
        clip_id=clip.id, track_id=track.track_id, kind=SWAP_SIDES, first_frame=first,
        last_frame=last, groups=mask, detail={}, created_by=author,
    )
    session.add(row)
    session.flush()
    return row, track


def _position(value: Any, what: str, size: int) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise AnalysisError(f"The joint's {what} must be a number of pixels, not {value!r}.") \
            from None
    if not 0.0 <= number <= size:  # NaN fails too
        raise AnalysisError(f"The joint's {what} ({number:.0f} px) is outside the picture "
                            f"(0–{size} pixels).")
    return number


def add_joint(
    session: Session,
    clip: Clip,
    track_id: int,
    frame: int,
    joint: str,
    position: tuple[float, float] | None,
    created_by: str | None = "",
) -> tuple[Correction, Track]:
    """Check and add a ``move_joint`` (``position`` (x, y) in the clip's pixels) or, with
    ``position`` None, a ``hide_joint`` correction of one joint of one frame; returns
    (row, track). AnalysisError (one line) for an unknown joint, person or frame, or a
    position outside the picture."""
    if joint not in KEYPOINT_NAMES:
        raise AnalysisError(f"Unknown joint {joint!r}; joints are named like left_knee.")
    number = _frame_number(frame, "corrected")
    author = _clean_author(created_by)
    track = _followed_track(session, clip, track_id, number, number)
    detail: dict[str, Any] = {"joint": joint}
    if position is not None:
        detail["x"] = _position(position[0], "x", clip.width)
        detail["y"] = _position(position[1], "y", clip.height)
    row = Correction(
        clip_id=clip.id, track_id=track.track_id,
        kind=HIDE_JOINT if position is None else MOVE_JOINT, first_frame=number,
        last_frame=number, groups=0, detail=detail, created_by=author,
    )
    session.add(row)
    session.flush()
    return row, track


def correction_row(session: Session, correction_id: int) -> Correction:
    row = session.get(Correction, lookup_int(correction_id), with_for_update=True)
    if row is None:
        raise AnalysisError(f"No correction {correction_id} in the database.")
    return row


def query_corrections(
    session: Session, clip_id: int, track_id: int | None = None, *, active_only: bool = False
) -> list[CorrectionInfo]:
    """A clip's corrections (of one person), oldest first; only those not undone with
    ``active_only``."""
    query = select(Correction).where(Correction.clip_id == lookup_int(clip_id))
    if track_id is not None:
        query = query.where(Correction.track_id == lookup_int(track_id))
    if active_only:
        query = query.where(Correction.undone_at.is_(None))
    query = query.order_by(Correction.created_at, Correction.id)
    return [correction_info(row) for row in session.scalars(query)]


class CorrectionRecords(StoreBase):
    """A coach's corrections of a clip's people, each applied to their metrics at once."""

    @_guarded
    def list_corrections(
        self, clip_id: int, track_id: int | None = None, *, active_only: bool = False
    ) -> list[CorrectionInfo]:
        """A clip's corrections (of one person), oldest first, undone ones too unless
        ``active_only``. AnalysisError for an unknown clip."""
        with self._reading() as session:
            clip_row(session, clip_id)
            return query_corrections(
                session, clip_id, track_id, active_only=active_only
            )

    @_guarded
    def add_swap_correction(
        self,
        clip_id: int,
        track_id: int,
        first_frame: int,
        last_frame: int,
        groups: Iterable[str] | str = ("body", "arms", "legs"),
        *,
        created_by: str = "",
    ) -> CorrectionInfo:
        """Swap left and right of a person for clip frames ``first_frame..last_frame``
        (inclusive), in ``groups`` (``body``, ``arms``, ``legs``; all by default), and
        recompute the person's metrics from the corrected poses: ONE transaction, so on
        any error neither the correction nor new metrics are kept. The stored poses stay
        as the estimator left them. ``created_by``: who corrects (free text, may be empty).

        AnalysisError (one line) for an unknown clip or person, first > last, frames
        outside those where the person is followed, no or unknown groups.
        """
        with self._writing() as session:
            clip = clip_row(session, clip_id)
            row, track = add_swap(
                session, clip, track_id, first_frame, last_frame, groups, created_by
            )
            self._recompute(session, clip, track)
            return correction_info(row)

    @_guarded
    def add_joint_correction(
        self,
        clip_id: int,
        track_id: int,
        frame: int,
        joint: str,
        position: tuple[float, float] | None,
        *,
        created_by: str = "",
    ) -> CorrectionInfo:
        """Move one joint of a person in one clip frame to ``position`` (x, y pixels of the
        clip), or with ``position`` None mark it not visible, and recompute the person's
        metrics, in ONE transaction (see :meth:`add_swap_correction`). A frame with a
        joint corrected is a labelled frame (:mod:`analysis.labelled_frames`).

        AnalysisError (one line) for an unknown clip, person, joint or frame, or a
        position outside the picture.
        """
        with self._writing() as session:
            clip = clip_row(session, clip_id)
            row, track = add_joint(session, clip, track_id, frame, joint, position, created_by)
            self._recompute(session, clip, track)
            return correction_info(row)

    @_guarded
    def undo_correction(self, correction_id: int) -> CorrectionInfo:
        """Undo a correction (its row stays, with ``undone_at``) and recompute its person's
        metrics, in ONE transaction. Undoing one already undone changes nothing (a second
        click, another browser tab) and returns it as it is. AnalysisError for an unknown id.
        """
        with self._writing() as session:
            row = correction_row(session, correction_id)
            if row.undone_at is None:
                row.undone_at = utcnow()
                session.flush()
                clip = clip_row(session, row.clip_id)
                track = track_row(session, clip.id, row.track_id)
                if track is not None:
                    self._recompute(session, clip, track)
            return correction_info(row)

    def _recompute(self, session: Session, clip: Clip, track: Track) -> None:
        """Re-run a track's analysis on its poses within the clip's trim with its active
        corrections applied (the clip's stored settings) and replace its metrics, inside
        the caller's transaction."""
        from analysis.corrections import reanalyse_track

        # Within the coach's trim only (analysis.store.trims); the poses stay stored whole.
        poses = trimmed_poses(poses_from_frame(
            track.track_id, pose_table(session, [Track.id == track.id], None)
        ), trim_of(clip.settings))
        corrections = query_corrections(
            session, clip.id, track.track_id, active_only=True
        )
        analysis = reanalyse_track(
            poses, corrections, kind=clip.kind, fps=clip.fps, settings=clip.settings or {},
            is_athlete=track.is_athlete, stored=track.extra or {},
        )
        replace_metrics(session, clip, track, poses, analysis)
