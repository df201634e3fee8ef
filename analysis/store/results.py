"""Results: a clip's tracks with their poses and metric tables, written in ONE
transaction (:meth:`ResultRecords.write_clip_results`), and one track's metrics replaced."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import delete, select
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from analysis.errors import AnalysisError
from analysis.store.clips import ClipRecords, clip_info, clip_row
from analysis.store.encoding import (
    PER_FRAME_KINDS,
    TIMELINE,
    _flatten_analysis,
    _frame_bounds,
    _frame_to_parquet,
    _poses_to_parquet,
    _positions,
    poses_from_frame,
)
from analysis.store.engine import _database_error, _guarded
from analysis.store.models import Clip, MetricChunk, PoseChunk, Track, utcnow
from analysis.store.reading import pose_table
from analysis.store.records import ClipInfo, TrackPoses, TrackResult
from analysis.store.values import json_ready, lookup_int


def add_track(session: Session, clip_id: int, result: TrackResult) -> Track:
    poses = result.poses
    n = len(poses.frames)
    track = Track(
        clip_id=clip_id,
        track_id=int(poses.track_id),
        frames_seen=poses.frames_seen,
        first_frame=int(poses.frames[0]) if n else 0,
        n_frames=n,
    )
    tables = analysis_fields(track, result.analysis)
    session.add(track)
    session.flush()

    chunks: list[PoseChunk | MetricChunk] = []
    for start, stop in _frame_bounds(n):
        chunks.append(
            PoseChunk(
                track_pk=track.id,
                frame_start=int(poses.frames[start]) if n else 0,
                frame_stop=int(poses.frames[stop - 1]) + 1 if n else 0,
                payload=_poses_to_parquet(poses, start, stop),
            )
        )
    chunks += metric_chunks(track.id, poses.frames, poses.times, tables)
    session.add_all(chunks)
    session.flush()
    return track

def analysis_fields(track: Track, analysis: Any) -> dict[str, pd.DataFrame]:
    """Set a track's scalar fields from its analysis (None: none); returns its tables."""
    tables: dict[str, pd.DataFrame] = {}
    extra: dict[str, Any] = {}
    if analysis is not None:
        tables, extra = _flatten_analysis(analysis)
        reps = tables.get("repetitions")
        track.n_repetitions = 0 if reps is None else len(reps)
        signal = extra.get("rep_signal")
        track.rep_signal = signal if isinstance(signal, str) else None
        scale = extra.get("scale_m_per_px")
        track.scale_m_per_px = float(scale) if scale is not None else None
    track.extra = json_ready(extra)
    return tables

def metric_chunks(
    track_pk: int, frames: np.ndarray, times: np.ndarray, tables: dict[str, pd.DataFrame]
) -> list[MetricChunk]:
    """The timeline (position -> clip frame ``frames`` (F,), seconds ``times`` (F,)) and
    each table of a track's analysis as metric rows, per-frame ones in chunks."""
    n = len(frames)
    bounds = _frame_bounds(n)
    chunks: list[MetricChunk] = []
    timeline = pd.DataFrame(
        {
            "position": np.arange(n, dtype=np.int64),
            "frame": np.asarray(frames, dtype=np.int64),
            "time_s": np.asarray(times, dtype=np.float64),
        }
    )
    tables_to_write: list[tuple[str, pd.DataFrame, bool]] = [(TIMELINE, timeline, True)]
    tables_to_write += [(k, v, k in PER_FRAME_KINDS) for k, v in tables.items()]
    for kind, table, per_frame in tables_to_write:
        positions = (
            timeline["position"].to_numpy() if kind == TIMELINE else _positions(table)
        )
        if not per_frame or positions is None or n == 0:
            chunks.append(
                MetricChunk(
                    track_pk=track_pk,
                    kind=kind,
                    chunk=0,
                    payload=_frame_to_parquet(table, compact=False),
                )
            )
            continue
        for index, (start, stop) in enumerate(bounds):
            lo, hi = np.searchsorted(positions, [start, stop])
            chunks.append(
                MetricChunk(
                    track_pk=track_pk,
                    kind=kind,
                    chunk=index,
                    frame_start=int(frames[start]),
                    frame_stop=int(frames[stop - 1]) + 1,
                    payload=_frame_to_parquet(
                        table.iloc[lo:hi], compact=kind in PER_FRAME_KINDS
                    ),
                )
            )
    return chunks

def replace_metrics(session: Session, clip: Clip, track: Track,
                    poses: TrackPoses, analysis: Any) -> None:
    """Replace a track's metric rows by ``analysis`` of its ``poses`` (same frames);
    the clip's ``finished_at`` moves to now, so readers know its results changed."""
    n_rows = len(getattr(analysis, "angles", ()))
    if n_rows != len(poses.frames):
        raise AnalysisError(
            f"The new analysis has {n_rows} frames, the person's poses {len(poses.frames)}."
        )
    tables = analysis_fields(track, analysis)
    session.execute(delete(MetricChunk).where(MetricChunk.track_pk == track.id))
    session.add_all(metric_chunks(track.id, poses.frames, poses.times, tables))
    clip.finished_at = utcnow()
    session.flush()

def stored_track(session: Session, clip_id: int, track_id: int) -> tuple[Clip, Track]:
    clip = clip_row(session, clip_id)
    track = session.scalar(
        select(Track).where(Track.clip_id == clip.id, Track.track_id == lookup_int(track_id))
    )
    if track is None:
        raise AnalysisError(f"Clip {clip_id} has no person with track id {track_id}.")
    return clip, track


class ResultRecords(ClipRecords):
    """A clip's analysed tracks: poses and metric tables, written and replaced (a clip
    that fails part-way is marked failed, see :meth:`ClipRecords.mark_failed`)."""

    @_guarded
    def write_clip_results(
        self,
        clip_id: int,
        results: Iterable[TrackResult],
        *,
        athlete_track: int | None = None,
        frame_count: int | None = None,
    ) -> ClipInfo:
        """Write a clip's tracks, poses and metrics in ONE transaction and mark it done.

        ``results`` may be a lazy iterable (the pipeline analyses each track as it is
        consumed): an exception raised by it, or by the database, part-way rolls back every
        row of this clip written so far, marks the clip failed with the reason (in a second
        transaction) and propagates. Tracks already stored for the clip are replaced. The
        athlete is ``athlete_track`` or, by default, the track seen in the most frames.
        ``frame_count``: the frames actually decoded, replacing the count registered from
        the container's header (which some files overstate); the duration follows it.
        """
        try:
            with self._writing() as session:
                clip = clip_row(session, clip_id)
                session.execute(delete(Track).where(Track.clip_id == clip.id))
                tracks: list[Track] = []
                for result in results:
                    tracks.append(add_track(session, clip.id, result))
                if tracks:
                    chosen = athlete_track
                    if chosen is None or chosen not in {t.track_id for t in tracks}:
                        chosen = max(tracks, key=lambda t: (t.frames_seen, -t.track_id)).track_id
                    for track in tracks:
                        track.is_athlete = track.track_id == chosen
                if frame_count is not None and clip.kind == "video":
                    clip.frame_count = max(int(frame_count), 1)
                    clip.duration_s = clip.frame_count / clip.fps if clip.fps > 0 else 0.0
                clip.status, clip.error, clip.finished_at = "done", None, utcnow()
                session.flush()
                return clip_info(clip, clip.session.athlete_id, tracks)
        except BaseException as error:
            if isinstance(error, sa_exc.DBAPIError):
                translated = _database_error(self.url, error)
                self.mark_failed(clip_id, str(translated))
                raise translated from error
            if isinstance(error, AnalysisError):
                reason = str(error)
            elif isinstance(error, KeyboardInterrupt):
                reason = "interrupted"
            else:
                reason = f"{type(error).__name__}: {error}"
            self.mark_failed(clip_id, reason)
            raise

    @_guarded
    def replace_track_analysis(self, clip_id: int, track_id: int, analysis: Any) -> ClipInfo:
        """Replace one track's metrics by ``analysis`` (a :class:`analysis.track.TrackAnalysis`
        of its stored frames) in ONE transaction: on any error the old metrics stay. Poses
        are not touched. Returns the clip, whose ``finished_at`` is now."""
        with self._writing() as session:
            clip, track = stored_track(session, clip_id, track_id)
            poses = poses_from_frame(
                track.track_id, pose_table(session, [Track.id == track.id], None)
            )
            replace_metrics(session, clip, track, poses, analysis)
            return clip_info(clip, clip.session.athlete_id, clip.tracks)
