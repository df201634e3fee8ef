"""The store's tables: SQLAlchemy 2.0 declarative ORM models.

One direction of ownership, each level deleted with its parent (``ON DELETE CASCADE``
in the database itself, so a bulk delete needs no ORM loading)::

    athletes 1--n sessions 1--n clips 1--n tracks 1--n poses   (chunks of per-frame poses)
                                                   1--n metrics (per-frame and per-track tables)
                                      clips 1--n corrections (a coach's, per track and frames)
                                      clips 1--n clip_notes (a coach's notes, key frames, drawings)

Every change of these tables comes with an Alembic revision in
``analysis/store/migrations/versions`` (:mod:`analysis.store.schema` applies them).

Per-frame data is not stored one row per keypoint: a track's poses and each of its
metric tables are stored as compressed Parquet blobs (zstd), in chunks of consecutive
frames (clip frames ``frame_start <= frame < frame_stop``). A 10-minute, 30 fps clip with
3 people is about 150 rows and 40 MB. The encoding is in :mod:`analysis.store.encoding`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

CLIP_STATUSES = ("pending", "running", "done", "failed")
CLIP_KINDS = ("photo", "video")


def utcnow() -> dt.datetime:
    """Now in UTC, without tzinfo: every time in the store is naive UTC (``timestamp
    without time zone`` on PostgreSQL), the same on every backend."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map = {
        dict[str, Any]: JSON,
        list[str]: JSON,
        dt.datetime: DateTime(),
        dt.date: Date(),
        float: Float(),
    }


class Athlete(Base):
    __tablename__ = "athletes"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # casefolded, whitespace-collapsed name: "Anna  Lee" and "anna lee" are one athlete
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    height_m: Mapped[float | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    sessions: Mapped[list[TrainingSession]] = relationship(
        back_populates="athlete", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        CheckConstraint("height_m IS NULL OR height_m > 0", name="athlete_height_positive"),
    )


class TrainingSession(Base):
    """An athlete's training on a date (table ``sessions``; not SQLAlchemy's Session)."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    athlete_id: Mapped[int] = mapped_column(
        ForeignKey("athletes.id", ondelete="CASCADE"), index=True
    )
    date: Mapped[dt.date]
    title: Mapped[str] = mapped_column(String(200))
    tags: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    athlete: Mapped[Athlete] = relationship(back_populates="sessions")
    clips: Mapped[list[Clip]] = relationship(
        back_populates="session", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (UniqueConstraint("athlete_id", "date", "title", name="uq_session"),)


class Clip(Base):
    """One photo or video file within a session, identified by the sha256 of its bytes."""

    __tablename__ = "clips"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    file_name: Mapped[str] = mapped_column(String(500))
    stored_path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8))
    fps: Mapped[float]  # 0 for a photo
    width: Mapped[int]
    height: Mapped[int]
    frame_count: Mapped[int]
    duration_s: Mapped[float]
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(8), default="pending")
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]
    # The run that holds a pending or running clip (:mod:`analysis.store.runs`): its
    # process (host name, process id, process start in seconds since the epoch) and when
    # it last reported progress (UTC). Kept after the run as a record of who ran it.
    owner_host: Mapped[str | None] = mapped_column(String(255))
    owner_pid: Mapped[int | None]
    owner_started: Mapped[float | None]
    heartbeat_at: Mapped[dt.datetime | None]

    session: Mapped[TrainingSession] = relationship(back_populates="clips")
    tracks: Mapped[list[Track]] = relationship(
        back_populates="clip",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Track.track_id",
    )

    __table_args__ = (
        UniqueConstraint("session_id", "sha256", name="uq_clip_sha256_in_session"),
        CheckConstraint(f"status IN {CLIP_STATUSES!r}", name="clip_status"),
        CheckConstraint(f"kind IN {CLIP_KINDS!r}", name="clip_kind"),
    )


class Track(Base):
    """One person followed through a clip (the estimator's track id)."""

    __tablename__ = "tracks"

    id: Mapped[int] = mapped_column(primary_key=True)
    clip_id: Mapped[int] = mapped_column(ForeignKey("clips.id", ondelete="CASCADE"), index=True)
    track_id: Mapped[int]
    frames_seen: Mapped[int]  # frames in which the estimator found this person
    first_frame: Mapped[int]  # clip frame index of position 0 of the track's arrays
    n_frames: Mapped[int]  # length of the track's arrays: first..last frame seen
    is_athlete: Mapped[bool] = mapped_column(default=False)
    n_repetitions: Mapped[int] = mapped_column(default=0)
    rep_signal: Mapped[str | None] = mapped_column(String(64))
    scale_m_per_px: Mapped[float | None]
    # scalar fields of the analysis that are not tables (JSON-serialisable)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)

    clip: Mapped[Clip] = relationship(back_populates="tracks")

    __table_args__ = (UniqueConstraint("clip_id", "track_id", name="uq_track_in_clip"),)


class PoseChunk(Base):
    """Poses of one track for clip frames [frame_start, frame_stop), as Parquet bytes.

    Columns: frame (clip frame index), time_s, present, score, bbox_x/y/w/h (px), then
    ``<keypoint>_x, _y, _v`` (px, visibility) and ``<keypoint>_wx, _wy, _wz`` (m), the
    last ones in fixed point (0.01 px, 0.001, 0.1 mm).
    """

    __tablename__ = "poses"

    id: Mapped[int] = mapped_column(primary_key=True)
    track_pk: Mapped[int] = mapped_column(ForeignKey("tracks.id", ondelete="CASCADE"))
    frame_start: Mapped[int]
    frame_stop: Mapped[int]
    payload: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (UniqueConstraint("track_pk", "frame_start", name="uq_pose_chunk"),)


class MetricChunk(Base):
    """One metric table of one track (``kind``: angles, angles_raw, summary, ...) as Parquet.

    Per-frame tables are split in chunks of clip frames [frame_start, frame_stop), with a
    ``timeline`` kind (track position -> frame, time_s) chunked alike; per-track tables
    (summary, symmetry, repetitions...) are one chunk with NULL bounds.
    """

    __tablename__ = "metrics"

    id: Mapped[int] = mapped_column(primary_key=True)
    track_pk: Mapped[int] = mapped_column(ForeignKey("tracks.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(64))
    chunk: Mapped[int] = mapped_column(Integer, default=0)
    frame_start: Mapped[int | None]
    frame_stop: Mapped[int | None]
    payload: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (UniqueConstraint("track_pk", "kind", "chunk", name="uq_metric_chunk"),)


#: Kinds of :class:`Correction` the analysis knows how to apply (checked in Python, not
#: by the database, so that a later kind needs no table rebuild).
CORRECTION_KINDS = ("swap_sides", "move_joint", "hide_joint")


class Correction(Base):
    """A coach's correction of one person's poses over clip frames first..last (inclusive).

    Kept beside what the model read and what the estimator corrected: the stored poses
    are never rewritten; the analysis applies the active corrections (``undone_at`` NULL)
    when it recomputes the track's metrics (:mod:`analysis.corrections`).

    ``kind`` ``"swap_sides"``: left and right exchanged in the groups of ``groups``, a
    ``SIDE_BITS`` mask (1 body, 2 arms, 4 legs; see :mod:`analysis.store.records`). Later kinds
    (a joint moved, a joint not visible) say which joint and what in ``detail`` (JSON),
    with ``groups`` 0.

    ``track_id`` is the estimator's id of the person within the clip, not a foreign key
    to ``tracks``: a clip's track rows are replaced whenever its results are written.
    """

    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    clip_id: Mapped[int] = mapped_column(ForeignKey("clips.id", ondelete="CASCADE"), index=True)
    track_id: Mapped[int]
    kind: Mapped[str] = mapped_column(String(32))
    first_frame: Mapped[int]  # clip frame index, inclusive
    last_frame: Mapped[int]  # clip frame index, inclusive
    groups: Mapped[int] = mapped_column(Integer, default=0)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    undone_at: Mapped[dt.datetime | None]

    __table_args__ = (
        CheckConstraint("first_frame >= 0 AND first_frame <= last_frame",
                        name="correction_frames"),
        CheckConstraint("kind != 'swap_sides' OR (groups BETWEEN 1 AND 7)",
                        name="correction_swap_groups"),
    )


#: Kinds of :class:`ClipNote` and how many points (clip pixels) each carries.
NOTE_KINDS: dict[str, int] = {"note": 0, "key_frame": 0, "marker": 1, "line": 2, "angle": 3}


class ClipNote(Base):
    """A coach's note, key frame or drawing on one frame of a clip.

    ``kind``: ``note`` (text), ``key_frame`` (the frame matters; text optional),
    ``marker`` (1 point), ``line`` (2 points), ``angle`` (3 points, the vertex in the
    middle: the angle is measured from them). ``points``: ``[[x, y], ...]`` in the
    clip's pixels. ``text``: typed by a coach, kept as plain text.
    """

    __tablename__ = "clip_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    clip_id: Mapped[int] = mapped_column(ForeignKey("clips.id", ondelete="CASCADE"), index=True)
    frame: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")
    points: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[dt.datetime | None]

    __table_args__ = (CheckConstraint("frame >= 0", name="note_frame"),)
