"""Reading a clip's stored tables back: angles, symmetry, trajectories, summaries,
repetitions, poses, the estimator's left/right marks and whole track analyses.

Per-frame tables come out with the columns ``track_id, frame, time_s`` first (``frame``
is the clip's frame index, ``time_s`` seconds from the clip's start), then the table's
own columns. Each read is ONE query.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis.errors import AnalysisError
from analysis.store.base import StoreBase
from analysis.store.clips import clip_row
from analysis.store.encoding import (
    POSE_COLUMNS,
    TIMELINE,
    _frame_from_parquet,
    _poses_from_parquet,
    _unflatten_analysis,
    _with_position_columns,
    _with_track_column,
    poses_from_frame,
)
from analysis.store.engine import _guarded
from analysis.store.models import MetricChunk, PoseChunk, Track
from analysis.store.records import TrackPoses
from analysis.store.values import lookup_int


def track_filter(session: Session, clip_id: int, track_id: int | None) -> list[Any]:
    clip_row(session, clip_id)
    conditions = [Track.clip_id == lookup_int(clip_id)]
    if track_id is not None:
        conditions.append(Track.track_id == lookup_int(track_id))
    return conditions


def pose_table(
    session: Session, conditions: list[Any], frames: tuple[int, int] | None
) -> pd.DataFrame:
    """:meth:`TableReading.read_poses` of the tracks matching ``conditions``, within
    ``session``."""
    query = (
        select(Track.track_id, PoseChunk.payload)
        .join(Track, Track.id == PoseChunk.track_pk)
        .where(*conditions)
        .order_by(Track.track_id, PoseChunk.frame_start)
    )
    if frames is not None:
        query = query.where(
            PoseChunk.frame_start < frames[1], PoseChunk.frame_stop > frames[0]
        )
    rows = session.execute(query).all()
    parts = []
    for tid, payload in rows:
        df = _poses_from_parquet(payload)
        df.insert(0, "track_id", np.full(len(df), tid, dtype=np.int64))
        parts.append(df)
    if not parts:
        return pd.DataFrame(
            columns=["track_id", "frame", "time_s", "present", "sides_swapped", "score",
                     *POSE_COLUMNS]
        )
    out = pd.concat(parts, ignore_index=True)
    if frames is not None:
        out = out[(out["frame"] >= frames[0]) & (out["frame"] < frames[1])]
        out = out.reset_index(drop=True)
    return out


class TableReading(StoreBase):
    """The stored tables of a clip's tracks, as DataFrames or analysis objects."""


    @_guarded
    def _read_tables(
        self,
        clip_id: int,
        kinds: Sequence[str],
        track_id: int | None = None,
        frames: tuple[int, int] | None = None,
    ) -> dict[int, dict[str, pd.DataFrame]]:
        """Stored tables of a clip's tracks, in ONE query: {track_id: {kind: DataFrame}}."""
        with self._reading() as session:
            conditions = track_filter(session, clip_id, track_id)
            query = (
                select(Track.track_id, MetricChunk.kind, MetricChunk.payload)
                .join(Track, Track.id == MetricChunk.track_pk)
                .where(*conditions, MetricChunk.kind.in_(list(kinds)))
                .order_by(Track.track_id, MetricChunk.kind, MetricChunk.chunk)
            )
            if frames is not None:
                start, stop = frames
                query = query.where(
                    (MetricChunk.frame_start.is_(None))
                    | ((MetricChunk.frame_start < stop) & (MetricChunk.frame_stop > start))
                )
            rows = session.execute(query).all()
            known = set(session.scalars(select(Track.track_id).where(*conditions)))
        if track_id is not None and int(track_id) not in known:
            raise AnalysisError(f"Clip {clip_id} has no person with track id {track_id}.")
        parts: dict[int, dict[str, list[pd.DataFrame]]] = {t: {} for t in sorted(known)}
        for tid, kind, payload in rows:
            parts[tid].setdefault(kind, []).append(_frame_from_parquet(payload))
        return {
            tid: {kind: pd.concat(dfs) if len(dfs) > 1 else dfs[0] for kind, dfs in by.items()}
            for tid, by in parts.items()
        }

    def _per_frame(
        self,
        clip_id: int,
        kind: str,
        track_id: int | None,
        frames: tuple[int, int] | None,
    ) -> pd.DataFrame:
        tables = self._read_tables(clip_id, [kind, TIMELINE], track_id, frames)
        outs = [
            _with_position_columns(tid, by[kind], by[TIMELINE])
            for tid, by in tables.items()
            if kind in by and TIMELINE in by
        ]
        if not outs:
            return pd.DataFrame(columns=["track_id", "frame", "time_s"])
        out = pd.concat(outs, ignore_index=True)
        if frames is not None:
            out = out[(out["frame"] >= frames[0]) & (out["frame"] < frames[1])]
            out = out.reset_index(drop=True)
        return out

    def _per_track(
        self, clip_id: int, kind: str, track_id: int | None, index_name: str
    ) -> pd.DataFrame:
        tables = self._read_tables(clip_id, [kind], track_id)
        outs = [
            _with_track_column(tid, by[kind], index_name)
            for tid, by in tables.items()
            if kind in by
        ]
        if not outs:
            return pd.DataFrame(columns=["track_id"])
        return pd.concat(outs, ignore_index=True)

    def read_angles(
        self,
        clip_id: int,
        track_id: int | None = None,
        *,
        cleaned: bool = True,
        frames: tuple[int, int] | None = None,
    ) -> pd.DataFrame:
        """Angles in degrees, one row per frame and track: ``track_id, frame, time_s``, then
        one column per angle (cleaned, or as measured with ``cleaned=False``). ``frames``
        keeps clip frames ``start <= frame < stop``."""
        return self._per_frame(clip_id, "angles" if cleaned else "angles_raw", track_id, frames)

    def read_symmetry_per_frame(
        self, clip_id: int, track_id: int | None = None, *, frames: tuple[int, int] | None = None
    ) -> pd.DataFrame:
        """Left minus right per pair and frame (degrees): ``track_id, frame, time_s, ...``."""
        return self._per_frame(clip_id, "symmetry_per_frame", track_id, frames)

    def read_trajectories(
        self, clip_id: int, track_id: int | None = None, *, frames: tuple[int, int] | None = None
    ) -> pd.DataFrame:
        """Keypoint paths, speeds and accelerations: ``track_id, frame, time_s, ...``."""
        return self._per_frame(clip_id, "trajectories", track_id, frames)

    def read_summary(self, clip_id: int, track_id: int | None = None) -> pd.DataFrame:
        """Per track and angle: min, max, ROM and mean (``track_id`` first)."""
        return self._per_track(clip_id, "summary", track_id, "angle")

    def read_symmetry(self, clip_id: int, track_id: int | None = None) -> pd.DataFrame:
        """Per track and left/right pair: ROM of each side, symmetry index, mean difference."""
        return self._per_track(clip_id, "symmetry", track_id, "pair")

    def read_repetitions(self, clip_id: int, track_id: int | None = None) -> pd.DataFrame:
        """Per track and repetition: start, end, duration, ROM, tempo (empty when none)."""
        return self._per_track(clip_id, "repetitions", track_id, "rep")

    def read_jumps(self, clip_id: int, track_id: int | None = None) -> pd.DataFrame:
        """Per track and flight found (:data:`analysis.jumps.JUMP_COLUMNS`, frames as track
        positions): take-off, landing, flight time, heights, status and reason; empty for
        none (and for tracks analysed before jumps were looked for)."""
        return self._per_track(clip_id, "jumps", track_id, "row")

    def read_phases(self, clip_id: int, track_id: int | None = None) -> pd.DataFrame:
        """Per track, jump or repetition phase and joint angle: ROM and peak angular
        velocity (:data:`analysis.phases.PHASE_COLUMNS`)."""
        return self._per_track(clip_id, "phases", track_id, "row")

    @_guarded
    def read_poses(
        self,
        clip_id: int,
        track_id: int | None = None,
        *,
        frames: tuple[int, int] | None = None,
    ) -> pd.DataFrame:
        """Keypoints in ONE query, one row per frame and track: ``track_id, frame, time_s,
        present, sides_swapped`` (:data:`SIDE_BITS` mask), ``score, bbox_x, bbox_y, bbox_w,
        bbox_h``, then ``<keypoint>_x, _y, _v``
        (pixels, visibility) and ``<keypoint>_wx, _wy, _wz`` (metres)."""
        with self._reading() as session:
            conditions = track_filter(session, clip_id, track_id)
            return pose_table(session, conditions, frames)


    @_guarded
    def read_sides(self, clip_id: int, track_id: int | None = None) -> pd.DataFrame:
        """The estimator's left/right corrections alone, in ONE query (no keypoint is
        decoded): ``track_id, frame, sides_swapped`` (:data:`SIDE_BITS` mask, uint8)."""
        with self._reading() as session:
            conditions = track_filter(session, clip_id, track_id)
            rows = session.execute(
                select(Track.track_id, PoseChunk.payload)
                .join(Track, Track.id == PoseChunk.track_pk)
                .where(*conditions)
                .order_by(Track.track_id, PoseChunk.frame_start)
            ).all()
        parts = []
        for tid, payload in rows:
            source = pq.ParquetFile(io.BytesIO(payload))
            names = [n for n in ("frame", "sides_swapped") if n in source.schema_arrow.names]
            table = source.read(columns=names)
            frames = table.column("frame").to_numpy(zero_copy_only=False).astype(np.int64)
            swapped = (table.column("sides_swapped").to_numpy(zero_copy_only=False)
                       if "sides_swapped" in names else np.zeros(len(frames)))
            parts.append(pd.DataFrame({
                "track_id": np.full(len(frames), tid, dtype=np.int64), "frame": frames,
                "sides_swapped": np.asarray(swapped).astype(np.uint8),
            }))
        if not parts:
            return pd.DataFrame({"track_id": pd.Series(dtype=np.int64),
                                 "frame": pd.Series(dtype=np.int64),
                                 "sides_swapped": pd.Series(dtype=np.uint8)})
        return pd.concat(parts, ignore_index=True)

    def read_track_poses(self, clip_id: int, track_id: int) -> TrackPoses:
        """One track's poses as arrays (see :class:`TrackPoses`)."""
        return poses_from_frame(track_id, self.read_poses(clip_id, track_id))

    def read_analysis(self, clip_id: int, track_id: int) -> Any:
        """One track's analysis rebuilt as the :class:`analysis.track.TrackAnalysis` stored
        (per-frame tables at float32 precision, see :data:`PER_FRAME_KINDS`)."""
        from analysis.track import TrackAnalysis

        kinds = [f.name for f in dataclasses.fields(TrackAnalysis)]
        tables = self._read_tables(clip_id, kinds, track_id)[int(track_id)]
        return _unflatten_analysis(TrackAnalysis, tables, self._track_extra(clip_id, track_id))

    @_guarded
    def _track_extra(self, clip_id: int, track_id: int) -> dict[str, Any]:
        with self._reading() as session:
            extra = session.scalar(
                select(Track.extra).where(
                    Track.clip_id == lookup_int(clip_id), Track.track_id == lookup_int(track_id)
                )
            )
        return dict(extra or {})

    def read_tables(
        self, clip_id: int, track_id: int, kinds: Sequence[str] = ("angles", "repetitions")
    ) -> dict[str, pd.DataFrame]:
        """One track's stored tables exactly as the analysis made them (index = position in
        the track), e.g. for :func:`analysis.comparison.compare_clips`."""
        return self._read_tables(clip_id, kinds, track_id)[int(track_id)]
