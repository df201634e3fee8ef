"""The store: athletes, sessions, clips and their analysed tracks, kept with SQLAlchemy.

``Store(url=None)`` opens SQLite at ``data/posture.db`` (created with its folder when
missing), or ``$POSTURE_DB_URL``, or any SQLAlchemy URL given. SQLite runs with foreign
keys on, WAL journal and a busy timeout (30 s, or ``?timeout=S`` in the URL) so that two
processes can write; writes take the write lock when they begin (``BEGIN IMMEDIATE``) so
they wait for each other instead of failing.

Everything the dashboard reads comes out as frozen dataclasses (``AthleteInfo``,
``SessionInfo``, ``ClipInfo``, ``TrackInfo``) or pandas DataFrames. Per-frame tables come
out with the columns ``track_id, frame, time_s`` first (``frame`` is the clip's frame
index, ``time_s`` seconds from the clip's start), then the table's own columns.

One clip's results are written in one transaction (:meth:`Store.write_clip_results`): an
error part-way leaves no track, pose or metric row, and the clip is marked failed with the
reason in a second, small transaction. Database trouble (locked, unreachable, not a
database) raises :class:`~analysis.errors.AnalysisError` with a one-line message.

A coach's corrections (:meth:`Store.add_swap_correction`, :meth:`Store.undo_correction`;
:mod:`analysis.store.corrections`) are kept beside the poses, which are never rewritten;
adding or undoing one recomputes that person's metrics in the same transaction
(:mod:`analysis.corrections`) and moves the clip's ``finished_at``, the time its current
results were written.

Storage: a track's poses and each per-frame table of its analysis are zstd Parquet blobs
in chunks of CHUNK_FRAMES frames (a frame range is read without decoding the rest); poses
in fixed point (0.01 px, visibility 0.001, 0.1 mm), per-frame metrics as float32 with a
15-bit mantissa (0.003 degree at 180 degrees), everything per track (summary, symmetry,
repetitions) and all times at full precision. Tables read back in one query.

The package, by concern: :mod:`~analysis.store.engine` (which database, connection
settings, one-line errors), :mod:`~analysis.store.models` (the tables),
:mod:`~analysis.store.schema` (versions and migrations),
:mod:`~analysis.store.encoding` (pose and metric tables as Parquet chunks),
:mod:`~analysis.store.values` (values every database takes),
:mod:`~analysis.store.records` (the dataclasses handed out), then one module per kind of
record: :mod:`~analysis.store.athletes`, :mod:`~analysis.store.sessions`,
:mod:`~analysis.store.clips`, :mod:`~analysis.store.runs` (the run that holds a clip),
:mod:`~analysis.store.results` (writing a clip's tracks),
:mod:`~analysis.store.reading` (reading them back), :mod:`~analysis.store.overview`
(across clips and sessions) and :mod:`~analysis.store.corrections`.
"""

from __future__ import annotations

import contextlib

from analysis.errors import AnalysisError
from analysis.store.athletes import AthleteRecords, name_key
from analysis.store.corrections import CorrectionInfo, CorrectionRecords
from analysis.store.encoding import (
    CHUNK_FRAMES,
    FLOAT_MANTISSA_BITS,
    KEEP_FLOAT64,
    PER_FRAME_KINDS,
    PIXEL_QUANTUM,
    POSE_COLUMNS,
    TIMELINE,
    VISIBILITY_QUANTUM,
    WORLD_COLUMNS,
    WORLD_QUANTUM_M,
    poses_from_frame,
)
from analysis.store.engine import DB_URL_ENV, DEFAULT_DB_PATH, DEFAULT_TIMEOUT_S, default_url
from analysis.store.notes import NoteInfo, NoteRecords
from analysis.store.overview import Overviews
from analysis.store.reading import TableReading
from analysis.store.records import (
    SIDE_BITS,
    AthleteInfo,
    ClipInfo,
    SessionInfo,
    TrackInfo,
    TrackPoses,
    TrackResult,
    side_groups,
    side_mask,
)
from analysis.store.results import ResultRecords
from analysis.store.runs import INTERRUPTED, ClipBusy, RunLeases
from analysis.store.sessions import SessionRecords
from analysis.store.trims import TrimRecords


class Store(
    AthleteRecords, SessionRecords, ResultRecords, RunLeases, TableReading, Overviews,
    TrimRecords, CorrectionRecords, NoteRecords,
):
    """Athletes, sessions, clips and analysed tracks in one SQL database.

    Opening it brings an older schema up to date (:mod:`analysis.store.schema`) and marks
    failed the clips whose run died (:meth:`recover_interrupted`).

    Parameters
    ----------
    url
        Any SQLAlchemy URL. Default: ``$POSTURE_DB_URL`` or SQLite at ``data/posture.db``.
    timeout_s
        How long SQLite waits for another process's write lock before giving up.
    upgrade
        Whether a database with an older schema is upgraded on open; refused with one
        line when False. Default: yes, unless ``$POSTURE_DB_AUTO_UPGRADE`` is ``0``.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        upgrade: bool | None = None,
    ) -> None:
        super().__init__(url, timeout_s=timeout_s, upgrade=upgrade)
        # Best effort: a database busy right now is recovered at the next open, and a
        # second run of the same file takes a dead run's clip over anyway.
        with contextlib.suppress(AnalysisError):
            self.recover_interrupted()


__all__ = [
    "CHUNK_FRAMES",
    "DB_URL_ENV",
    "DEFAULT_DB_PATH",
    "DEFAULT_TIMEOUT_S",
    "INTERRUPTED",
    "FLOAT_MANTISSA_BITS",
    "KEEP_FLOAT64",
    "PER_FRAME_KINDS",
    "PIXEL_QUANTUM",
    "POSE_COLUMNS",
    "SIDE_BITS",
    "TIMELINE",
    "VISIBILITY_QUANTUM",
    "WORLD_COLUMNS",
    "WORLD_QUANTUM_M",
    "AthleteInfo",
    "ClipBusy",
    "ClipInfo",
    "CorrectionInfo",
    "NoteInfo",
    "SessionInfo",
    "Store",
    "TrackInfo",
    "TrackPoses",
    "TrackResult",
    "default_url",
    "name_key",
    "poses_from_frame",
    "side_groups",
    "side_mask",
]
