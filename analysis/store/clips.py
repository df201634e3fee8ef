"""Clips: a photo or video file within a session, identified by its sha256, with its
status (pending, running, done, failed) and the run that holds it (:mod:`.runs`)."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from analysis.errors import AnalysisError
from analysis.store.athletes import athlete_row
from analysis.store.base import StoreBase
from analysis.store.engine import _guarded
from analysis.store.models import Clip, Track, TrainingSession, utcnow
from analysis.store.records import ClipInfo, TrackInfo
from analysis.store.runs import RunOwner, busy_error, claim, is_live
from analysis.store.sessions import session_row
from analysis.store.values import display_name, json_ready, lookup_int

FILE_NAME_MAX = 500  # clips.file_name is VARCHAR(500)
ERROR_MAX = 2000


def track_info(track: Track) -> TrackInfo:
    return TrackInfo(
        track.track_id,
        track.frames_seen,
        track.first_frame,
        track.n_frames,
        track.is_athlete,
        track.n_repetitions,
        track.rep_signal,
        track.scale_m_per_px,
    )


def clip_info(clip: Clip, athlete_id: int, tracks: Sequence[Track] = ()) -> ClipInfo:
    return ClipInfo(
        id=clip.id,
        session_id=clip.session_id,
        athlete_id=athlete_id,
        file_name=clip.file_name,
        stored_path=clip.stored_path,
        sha256=clip.sha256,
        kind=clip.kind,
        fps=clip.fps,
        width=clip.width,
        height=clip.height,
        frame_count=clip.frame_count,
        duration_s=clip.duration_s,
        settings=dict(clip.settings or {}),
        status=clip.status,
        error=clip.error,
        created_at=clip.created_at,
        finished_at=clip.finished_at,
        tracks=tuple(track_info(t) for t in tracks),
    )


def clip_row(session: Session, clip_id: int) -> Clip:
    row = session.get(Clip, lookup_int(clip_id))
    if row is None:
        raise AnalysisError(f"No clip {clip_id} in the database.")
    return row


class ClipRecords(StoreBase):
    """Clips: registered once per session and bytes, their status, their athlete track."""

    @_guarded
    def get_clip(self, clip_id: int) -> ClipInfo:
        """A clip with its tracks; AnalysisError when the id is unknown."""
        with self._reading() as session:
            row = clip_row(session, clip_id)
            return clip_info(row, row.session.athlete_id, row.tracks)

    @_guarded
    def list_clips(
        self,
        session_id: int | None = None,
        *,
        athlete: int | str | None = None,
        status: str | None = None,
    ) -> list[ClipInfo]:
        """Clips (with their tracks) of a session or an athlete, oldest first."""
        with self._reading() as session:
            query = (
                select(Clip, TrainingSession.athlete_id)
                .join(TrainingSession, TrainingSession.id == Clip.session_id)
                .order_by(TrainingSession.date, Clip.id)
            )
            if session_id is not None:
                query = query.where(Clip.session_id == lookup_int(session_id))
            if athlete is not None:
                query = query.where(
                    TrainingSession.athlete_id == athlete_row(session, athlete).id
                )
            if status is not None:
                query = query.where(Clip.status == status)
            clips = session.execute(query).all()
            tracks: dict[int, list[Track]] = {}
            if clips:
                for track in session.scalars(
                    select(Track)
                    .where(Track.clip_id.in_([c.id for c, _ in clips]))
                    .order_by(Track.track_id)
                ):
                    tracks.setdefault(track.clip_id, []).append(track)
            return [clip_info(c, a, tracks.get(c.id, ())) for c, a in clips]

    @_guarded
    def find_clip(self, session_id: int, sha256: str) -> ClipInfo | None:
        """The clip of a session with these bytes (sha256 hex digest), or None."""
        with self._reading() as session:
            row = session.scalar(
                select(Clip).where(Clip.session_id == lookup_int(session_id),
                                   Clip.sha256 == sha256)
            )
            return None if row is None else clip_info(row, row.session.athlete_id, row.tracks)

    @_guarded
    def register_clip(
        self,
        session_id: int,
        *,
        file_name: str,
        stored_path: str,
        sha256: str,
        kind: str,
        fps: float,
        width: int,
        height: int,
        frame_count: int,
        duration_s: float,
        settings: dict[str, Any],
    ) -> tuple[ClipInfo, bool]:
        """Add a clip to a session (status ``pending``, held by this process's run), or find
        it when its bytes are there.

        Returns ``(clip, created)``. A clip of the session with the same sha256 that was
        analysed (status ``done``) is returned as it is, ``created`` False: the same file is
        never analysed twice. One that failed, or whose run died (:mod:`.runs`), is reset
        to ``pending`` with the new settings and held by this run, ``created`` True. One
        held by a live run raises :class:`~analysis.store.runs.ClipBusy` (one line).

        ``file_name`` is the name shown (control characters made spaces, shortened in the
        middle past 500 characters); NaN and infinities in ``settings`` are kept as null.
        """
        values = dict(
            file_name=display_name(file_name, FILE_NAME_MAX),
            stored_path=stored_path,
            kind=kind,
            fps=float(fps),
            width=int(width),
            height=int(height),
            frame_count=int(frame_count),
            duration_s=float(duration_s),
            settings=json_ready(settings),
        )
        for _attempt in range(2):
            try:
                with self._writing() as session:
                    owner = session_row(session, session_id)
                    row = session.scalar(
                        select(Clip)
                        .where(Clip.session_id == owner.id, Clip.sha256 == sha256)
                        .with_for_update()  # PostgreSQL: one run takes a dead one over
                    )
                    here, now = RunOwner.current(), utcnow()
                    if row is not None and row.status == "done":
                        return clip_info(row, owner.athlete_id, row.tracks), False
                    if row is not None and is_live(row, here, now):
                        raise busy_error(row)
                    if row is None:
                        row = Clip(session_id=owner.id, sha256=sha256, status="pending", **values)
                        session.add(row)
                    else:
                        for key, value in values.items():
                            setattr(row, key, value)
                        row.status, row.error, row.finished_at = "pending", None, None
                    claim(row, here, now)
                    session.flush()
                    return clip_info(row, owner.athlete_id, row.tracks), True
            except sa_exc.IntegrityError:
                continue  # the same bytes registered by another process meanwhile
        raise AnalysisError("Could not register the clip; try again.")

    @_guarded
    def set_clip_status(self, clip_id: int, status: str, error: str | None = None) -> None:
        """Mark a clip pending, running (its heartbeat now), done or failed (with the
        reason) on its own."""
        now = utcnow()
        values: dict[str, Any] = {
            "status": status, "error": error,
            "finished_at": now if status in ("done", "failed") else None,
        }
        if status == "running":
            values["heartbeat_at"] = now
        with self._writing() as session:
            session.execute(update(Clip).where(Clip.id == lookup_int(clip_id)).values(**values))

    def mark_failed(self, clip_id: int, reason: str) -> None:
        """Record why a clip failed; never raises (the original error matters more)."""
        with contextlib.suppress(AnalysisError):
            self.set_clip_status(clip_id, "failed", display_name(reason, ERROR_MAX))

    @_guarded
    def delete_clip(self, clip_id: int) -> None:
        """Delete a clip with its tracks, poses and metrics."""
        with self._writing() as session:
            clip_row(session, clip_id)
            session.execute(delete(Clip).where(Clip.id == lookup_int(clip_id)))

    @_guarded
    def update_clip(self, clip_id: int, *, file_name: str | None = None,
                    session_id: int | None = None) -> ClipInfo:
        """Rename a clip (the name shown and exported; the stored file keeps its own)
        and/or move it to another session of the same athlete."""
        try:
            with self._writing() as session:
                row = clip_row(session, clip_id)
                if file_name is not None:
                    name = display_name(file_name, FILE_NAME_MAX)
                    if not name:
                        raise AnalysisError("A clip needs a name.")
                    row.file_name = name
                if session_id is not None and int(session_id) != row.session_id:
                    target = session_row(session, session_id)
                    if target.athlete_id != row.session.athlete_id:
                        raise AnalysisError(
                            "A clip can only move to another session of the same athlete.")
                    row.session_id = target.id
                session.flush()
                session.refresh(row)
                return clip_info(row, row.session.athlete_id, list(row.tracks))
        except sa_exc.IntegrityError as error:
            raise AnalysisError("That session already holds the same file.") from error

    @_guarded
    def set_athlete_track(self, clip_id: int, track_id: int) -> None:
        """Choose which person (track id) of a clip is the athlete."""
        with self._writing() as session:
            clip_row(session, clip_id)
            known = session.scalar(
                select(Track.id).where(Track.clip_id == lookup_int(clip_id),
                                       Track.track_id == lookup_int(track_id))
            )
            if known is None:
                raise AnalysisError(f"Clip {clip_id} has no person with track id {track_id}.")
            session.execute(
                update(Track)
                .where(Track.clip_id == int(clip_id))
                .values(is_athlete=Track.track_id == int(track_id))
            )
