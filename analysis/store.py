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
:mod:`analysis.correction_store`) are kept beside the poses, which are never rewritten;
adding or undoing one recomputes that person's metrics in the same transaction
(:mod:`analysis.corrections`) and moves the clip's ``finished_at``, the time its current
results were written.

Storage: a track's poses and each per-frame table of its analysis are zstd Parquet blobs
in chunks of CHUNK_FRAMES frames (a frame range is read without decoding the rest); poses
in fixed point (0.01 px, visibility 0.001, 0.1 mm), per-frame metrics as float32 with a
15-bit mantissa (0.003 degree at 180 degrees), everything per track (summary, symmetry,
repetitions) and all times at full precision. Tables read back in one query.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import io
import json
import os
import re
import typing
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Engine, create_engine, delete, event, func, inspect, select, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from analysis.db_models import (
    Athlete,
    Base,
    Clip,
    MetricChunk,
    PoseChunk,
    Track,
    TrainingSession,
    utcnow,
)
from analysis.errors import AnalysisError
from estimator.keypoints import KEYPOINT_NAMES, NUM_KEYPOINTS

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_PATH = PROJECT_ROOT / "data" / "posture.db"
DB_URL_ENV = "POSTURE_DB_URL"
DEFAULT_TIMEOUT_S = 30.0
WAL_SIZE_LIMIT = 16 * 1024 * 1024

# Frames per stored chunk of a per-frame table (two minutes at 30 fps): a frame range
# (the dashboard's current view) is read without decoding the whole clip.
CHUNK_FRAMES = 3600

# Precision of what is stored. Poses in fixed point; per-frame metric tables as float32
# with a 15-bit mantissa (relative precision 1.5e-5: 0.003 degree on 180 degrees);
# per-track tables (summary, symmetry, repetitions...) and times at full precision.
PIXEL_QUANTUM = 0.01
VISIBILITY_QUANTUM = 0.001
WORLD_QUANTUM_M = 0.0001
FLOAT_MANTISSA_BITS = 15
ZSTD_LEVEL = 1

# Tables of a track analysis indexed by the track's frame position (chunked, stored as
# float32); every other table of the analysis is stored whole at full precision.
PER_FRAME_KINDS = (
    "angles_raw", "angles", "filled", "outliers", "symmetry_per_frame", "trajectories",
)
TIMELINE = "timeline"  # per track: position -> frame, time_s
KEEP_FLOAT64 = frozenset({"time_s", "start_s", "end_s", "duration_s"})

POSE_COLUMNS: tuple[str, ...] = tuple(
    f"{name}_{c}" for name in KEYPOINT_NAMES for c in ("x", "y", "v")
)
WORLD_COLUMNS: tuple[str, ...] = tuple(
    f"{name}_{c}" for name in KEYPOINT_NAMES for c in ("wx", "wy", "wz")
)

if typing.TYPE_CHECKING:
    from analysis.correction_store import CorrectionInfo

T = TypeVar("T")


# ----------------------------------------------------------------------------- records


@dataclasses.dataclass(frozen=True)
class AthleteInfo:
    id: int
    name: str
    height_m: float | None
    created_at: dt.datetime
    n_sessions: int = 0


@dataclasses.dataclass(frozen=True)
class SessionInfo:
    id: int
    athlete_id: int
    athlete_name: str
    date: dt.date
    title: str
    tags: tuple[str, ...]
    created_at: dt.datetime
    n_clips: int = 0


@dataclasses.dataclass(frozen=True)
class TrackInfo:
    track_id: int
    frames_seen: int  # frames in which the person was found
    first_frame: int  # clip frame index where the track starts
    n_frames: int  # frames from the first to the last sighting
    is_athlete: bool
    n_repetitions: int
    rep_signal: str | None
    scale_m_per_px: float | None


@dataclasses.dataclass(frozen=True)
class ClipInfo:
    id: int
    session_id: int
    athlete_id: int
    file_name: str
    stored_path: str
    sha256: str
    kind: str  # "photo" or "video"
    fps: float  # 0 for a photo
    width: int
    height: int
    frame_count: int
    duration_s: float
    settings: dict[str, Any]
    status: str  # pending, running, done or failed
    error: str | None
    created_at: dt.datetime
    finished_at: dt.datetime | None  # when its current results were written
    tracks: tuple[TrackInfo, ...] = ()

    @property
    def athlete_track(self) -> int | None:
        """Track id chosen as the athlete (None before analysis or with nobody found)."""
        return next((t.track_id for t in self.tracks if t.is_athlete), None)


@dataclasses.dataclass(frozen=True)
class TrackPoses:
    """One person's poses through a clip, as the estimator found them.

    Position ``i`` of every array is clip frame ``frames[i]``; positions run from the
    first to the last frame the person was seen, ``present`` says where they were.

    Attributes
    ----------
    track_id
        The estimator's identity of the person within the clip.
    frames
        Shape (F,), int: clip frame indices, increasing.
    times
        Shape (F,), float: seconds from the clip's start.
    present
        Shape (F,), bool: the person was found in that frame.
    keypoints
        Shape (F, 33, 3), float32: x_px, y_px, visibility in [0, 1]; NaN, NaN, 0 where absent.
    world
        Shape (F, 33, 3), float32: x, y, z in metres, hip-centred; NaN where absent.
    scores
        Shape (F,), float32: pose-presence score; 0 where absent.
    boxes
        Shape (F, 4), float32: x, y, width, height in pixels; NaN where absent.
    sides_swapped
        Shape (F,), uint8: bit mask of the groups whose left and right the estimator
        exchanged from the model's reading (:data:`SIDE_BITS`: 1 body, 2 arms, 4 legs;
        see ``estimator.sides``); 0 where as read or absent. None means all 0.
    """

    track_id: int
    frames: np.ndarray
    times: np.ndarray
    present: np.ndarray
    keypoints: np.ndarray
    world: np.ndarray
    scores: np.ndarray
    boxes: np.ndarray
    sides_swapped: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.frames)
        shapes = {
            "times": (self.times.shape, (n,)),
            "present": (self.present.shape, (n,)),
            "keypoints": (self.keypoints.shape, (n, NUM_KEYPOINTS, 3)),
            "world": (self.world.shape, (n, NUM_KEYPOINTS, 3)),
            "scores": (self.scores.shape, (n,)),
            "boxes": (self.boxes.shape, (n, 4)),
        }
        if self.sides_swapped is None:
            object.__setattr__(self, "sides_swapped", np.zeros(n, dtype=np.uint8))
        shapes["sides_swapped"] = (self.sides_swapped.shape, (n,))
        for name, (got, want) in shapes.items():
            if tuple(got) != want:
                raise ValueError(f"TrackPoses.{name} has shape {got}, expected {want}")

    @property
    def frames_seen(self) -> int:
        return int(np.count_nonzero(self.present))


#: Bits of :attr:`TrackPoses.sides_swapped`, by group of left/right pairs.
SIDE_BITS: dict[str, int] = {"body": 1, "arms": 2, "legs": 4}


def side_mask(groups: Iterable[str]) -> int:
    """The :data:`SIDE_BITS` mask of some group names (unknown names are an error)."""
    mask = 0
    for group in groups:
        mask |= SIDE_BITS[group]
    return mask


def side_groups(mask: int) -> tuple[str, ...]:
    """The group names of a :data:`SIDE_BITS` mask, in body, arms, legs order."""
    return tuple(g for g, bit in SIDE_BITS.items() if int(mask) & bit)


@dataclasses.dataclass(frozen=True)
class TrackResult:
    """What the pipeline writes for one track: its poses and (optionally) their analysis.

    ``analysis`` is a :class:`analysis.track.TrackAnalysis` (or any dataclass whose fields
    are DataFrames, Series and JSON-able scalars): each DataFrame is stored as a metric
    table named after its field.
    """

    poses: TrackPoses
    analysis: Any = None


# ----------------------------------------------------------------------------- engine


def default_url() -> str:
    """``$POSTURE_DB_URL`` when set, else SQLite at ``data/posture.db`` in the project."""
    return os.environ.get(DB_URL_ENV) or f"sqlite:///{DEFAULT_DB_PATH}"


def _make_engine(url: str, timeout_s: float) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    database = parsed.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    connect_args: dict[str, Any] = {}
    if "timeout" not in parsed.query:
        connect_args["timeout"] = timeout_s
    engine = create_engine(parsed, connect_args=connect_args)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take over transaction control from the sqlite3 module (we emit BEGIN below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            # after a checkpoint, shrink the WAL file back (a clip's transaction can be 50 MB)
            cursor.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _describe(url: str) -> str:
    """The database as shown to a user: the SQLite file, or the URL without its password."""
    try:
        parsed = make_url(url)
    except sa_exc.ArgumentError:
        return repr(url.split("@")[-1])
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or ":memory:"
    return parsed.render_as_string(hide_password=True)


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _database_error(url: str, error: BaseException) -> AnalysisError:
    where = _describe(url)
    reason = _first_line(error)
    if "locked" in reason or "busy" in reason:
        return AnalysisError(
            f"The database {where} is locked by another program; try again when it has finished."
        )
    if isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError):
        return AnalysisError(f"Cannot reach the database {where}: {reason}")
    return AnalysisError(f"Database error in {where}: {reason}")


def _guarded(method: Callable[..., T]) -> Callable[..., T]:
    """Turn database failures inside a Store method into one-line AnalysisErrors."""

    @functools.wraps(method)
    def wrapper(self: Store, *args: Any, **kwargs: Any) -> T:
        try:
            return method(self, *args, **kwargs)
        except sa_exc.DBAPIError as error:
            raise _database_error(self.url, error) from error

    return wrapper


# ----------------------------------------------------------------------------- blobs


def _round_mantissa(values: np.ndarray) -> np.ndarray:
    """float32 values rounded to FLOAT_MANTISSA_BITS bits of mantissa (relative error at
    most 2**-(bits+1)); the dropped low bits are zeros, which compress to almost nothing."""
    drop = 23 - FLOAT_MANTISSA_BITS
    x = np.ascontiguousarray(values, dtype=np.float32)
    bits = x.view(np.uint32)
    rounded = ((bits + np.uint32(1 << (drop - 1))) & np.uint32((0xFFFFFFFF << drop) & 0xFFFFFFFF))
    return np.where(np.isfinite(x), rounded.view(np.float32), x)


def _parquet_bytes(table: pa.Table) -> bytes:
    """zstd Parquet; floats byte-stream-split, integers delta-packed, the rest dictionary."""
    encodings: dict[str, str] = {}
    dictionary: list[str] = []
    for f in table.schema:
        if pa.types.is_floating(f.type):
            encodings[f.name] = "BYTE_STREAM_SPLIT"
        elif pa.types.is_int32(f.type) or pa.types.is_int64(f.type):
            encodings[f.name] = "DELTA_BINARY_PACKED"
        else:
            dictionary.append(f.name)
    sink = io.BytesIO()
    pq.write_table(
        table,
        sink,
        compression="zstd",
        compression_level=ZSTD_LEVEL,
        use_dictionary=dictionary or False,
        column_encoding=encodings or None,
    )
    return sink.getvalue()


def _frame_to_parquet(df: pd.DataFrame, *, compact: bool) -> bytes:
    """A DataFrame (any index, MultiIndex columns too) as Parquet bytes.

    With ``compact`` every float column but times is kept as float32 rounded to
    FLOAT_MANTISSA_BITS (relative precision 1.5e-5: 0.003 degree at 180 degrees) and read
    back as float64.
    """
    table = pa.Table.from_pandas(df, preserve_index=None, nthreads=1)
    if compact:
        columns = []
        for f, column in zip(table.schema, table.columns, strict=True):
            if pa.types.is_floating(f.type) and f.name not in KEEP_FLOAT64:
                values = column.to_numpy()
                column = pa.array(_round_mantissa(values))
            columns.append(column)
        metadata = dict(table.schema.metadata or {})
        metadata[b"posture.upcast"] = b"1"
        table = pa.table(columns, names=table.schema.names, metadata=metadata)
    return _parquet_bytes(table)


def _frame_from_parquet(payload: bytes) -> pd.DataFrame:
    """The DataFrame :func:`_frame_to_parquet` stored (compact floats back to float64)."""
    table = pq.read_table(io.BytesIO(payload))
    metadata = table.schema.metadata or {}
    if metadata.get(b"posture.upcast") == b"1":
        columns = [
            column.cast(pa.float64()) if pa.types.is_float32(f.type) else column
            for f, column in zip(table.schema, table.columns, strict=True)
        ]
        table = pa.table(columns, names=table.schema.names, metadata=metadata)
    return table.to_pandas()


def _poses_from_parquet(payload: bytes) -> pd.DataFrame:
    """The wide poses table of :func:`_poses_to_parquet`, fixed point back to float32 (one
    block of memory for the keypoint columns)."""
    table = pq.read_table(io.BytesIO(payload))
    quanta: dict[str, float] = json.loads(table.schema.metadata[b"posture.quanta"])
    names = [n for n in table.schema.names if n in quanta]
    block = np.empty((table.num_rows, len(names)), dtype=np.float32)
    for i, name in enumerate(names):
        block[:, i] = table.column(name).to_numpy(zero_copy_only=False) * quanta[name]
    out = pd.DataFrame(block, columns=names, copy=False)
    for position, name in enumerate(("frame", "time_s", "present")):
        out.insert(position, name, table.column(name).to_numpy(zero_copy_only=False))
    # Chunks written before left/right correction have no column: all as read.
    swapped = (table.column("sides_swapped").to_numpy(zero_copy_only=False)
               if "sides_swapped" in table.schema.names
               else np.zeros(table.num_rows, dtype=np.uint8))
    out.insert(3, "sides_swapped", swapped.astype(np.uint8))
    return out


def _frame_bounds(n: int, chunk: int = CHUNK_FRAMES) -> list[tuple[int, int]]:
    return [(start, min(start + chunk, n)) for start in range(0, max(n, 1), chunk)]


def _positions(df: pd.DataFrame) -> np.ndarray | None:
    """Frame positions of the rows when they are sorted integers: the ``frame`` column of a
    long table (several rows per frame), else index level 0."""
    level = df["frame"] if "frame" in df.columns else df.index.get_level_values(0)
    if not pd.api.types.is_integer_dtype(level):
        return None
    values = np.asarray(level)
    if len(values) and np.any(np.diff(values) < 0):
        return None
    return values


def _quantised(values: np.ndarray, quantum: float) -> pa.Array:
    """Integers counting ``quantum`` (nulls where not finite)."""
    x = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(x)
    ints = np.round(np.where(finite, x, 0.0) / quantum).astype(np.int32)
    return pa.array(ints, mask=~finite)


def _poses_to_parquet(poses: TrackPoses, start: int, stop: int) -> bytes:
    """Positions [start, stop) of a track's poses as Parquet, in fixed point: pixels to
    0.01 px, visibility and score to 0.001, world coordinates to 0.1 mm."""
    n = stop - start
    keypoints = np.asarray(poses.keypoints[start:stop], dtype=np.float32).reshape(n, -1)
    world = np.asarray(poses.world[start:stop], dtype=np.float32).reshape(n, -1)
    boxes = np.asarray(poses.boxes[start:stop], dtype=np.float32)
    quanta: dict[str, float] = {}
    names = ["frame", "time_s", "present", "sides_swapped"]
    arrays: list[pa.Array] = [
        pa.array(np.asarray(poses.frames[start:stop], dtype=np.int64)),
        pa.array(np.asarray(poses.times[start:stop], dtype=np.float64)),
        pa.array(np.asarray(poses.present[start:stop], dtype=bool)),
        pa.array(np.asarray(poses.sides_swapped[start:stop], dtype=np.uint8)),
    ]

    def add(name: str, values: np.ndarray, quantum: float) -> None:
        names.append(name)
        arrays.append(_quantised(values, quantum))
        quanta[name] = quantum

    add("score", poses.scores[start:stop], VISIBILITY_QUANTUM)
    for i, name in enumerate(("bbox_x", "bbox_y", "bbox_w", "bbox_h")):
        add(name, boxes[:, i], PIXEL_QUANTUM)
    for i, name in enumerate(POSE_COLUMNS):
        add(name, keypoints[:, i], VISIBILITY_QUANTUM if name.endswith("_v") else PIXEL_QUANTUM)
    for i, name in enumerate(WORLD_COLUMNS):
        add(name, world[:, i], WORLD_QUANTUM_M)
    metadata = {b"posture.quanta": json.dumps(quanta).encode()}
    return _parquet_bytes(pa.table(arrays, names=names, metadata=metadata))


def poses_from_frame(track_id: int, df: pd.DataFrame) -> TrackPoses:
    """Rebuild :class:`TrackPoses` from the wide table :meth:`Store.read_poses` returns."""
    n = len(df)
    return TrackPoses(
        track_id=track_id,
        frames=df["frame"].to_numpy(np.int64),
        times=df["time_s"].to_numpy(np.float64),
        present=df["present"].to_numpy(bool),
        keypoints=df[list(POSE_COLUMNS)].to_numpy(np.float32).reshape(n, NUM_KEYPOINTS, 3),
        world=df[list(WORLD_COLUMNS)].to_numpy(np.float32).reshape(n, NUM_KEYPOINTS, 3),
        scores=df["score"].to_numpy(np.float32),
        boxes=df[["bbox_x", "bbox_y", "bbox_w", "bbox_h"]].to_numpy(np.float32),
        sides_swapped=(df["sides_swapped"].to_numpy(np.uint8) if "sides_swapped" in df
                       else None),
    )


def _json_safe(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _with_position_columns(
    track_id: int, df: pd.DataFrame, timeline: pd.DataFrame
) -> pd.DataFrame:
    """``track_id, frame, time_s`` (clip frame index, seconds) in front of a per-frame table
    whose rows carry the track position in a ``frame`` column or in index level 0."""
    if "frame" in df.columns:
        positions = np.asarray(df["frame"], dtype=np.int64)
        out = df.drop(columns=[c for c in ("frame", "time_s") if c in df.columns])
        out = out.reset_index(drop=True)
    else:
        positions = np.asarray(df.index.get_level_values(0), dtype=np.int64)
        levels = list(range(1, df.index.nlevels))
        out = (df.reset_index(level=levels) if levels else df).reset_index(drop=True)
    lookup = timeline.set_index("position")
    front = pd.DataFrame(
        {
            "track_id": np.full(len(out), track_id, dtype=np.int64),
            "frame": lookup["frame"].reindex(positions).to_numpy(),
            "time_s": lookup["time_s"].reindex(positions).to_numpy(),
        }
    )
    return pd.concat([front, out], axis=1)


def _with_track_column(track_id: int, df: pd.DataFrame, index_name: str) -> pd.DataFrame:
    """``track_id`` in front of a per-track table; a named or non-range index becomes a
    column (called ``index_name`` when the index has no name)."""
    out = df
    if not isinstance(df.index, pd.RangeIndex) or any(n is not None for n in df.index.names):
        names = [n if n is not None else index_name for n in df.index.names]
        out = df.rename_axis(names).reset_index()
    out = out.reset_index(drop=True)
    out.insert(0, "track_id", track_id)
    return out


def name_key(name: str) -> str:
    """Identity of a typed name: Unicode-normalised, casefolded, whitespace collapsed."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", name)).strip().casefold()


def _clean_name(name: str, what: str) -> str:
    cleaned = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", str(name))).strip()
    if not cleaned:
        raise AnalysisError(f"The {what} needs a name.")
    if len(cleaned) > 200:
        raise AnalysisError(f"The {what} name is longer than 200 characters.")
    return cleaned


def _clean_tags(tags: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for tag in tags:
        cleaned = re.sub(r"\s+", " ", str(tag)).strip()
        if cleaned and name_key(cleaned) not in seen:
            seen[name_key(cleaned)] = cleaned
    return list(seen.values())


def _check_height(height_m: float | None) -> float | None:
    if height_m is None:
        return None
    height = float(height_m)
    if not 0.5 <= height <= 2.8:
        raise AnalysisError(f"Athlete height {height_m} is not a height in metres (0.5 to 2.8).")
    return height


def _flatten_analysis(analysis: Any) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """A dataclass of results as (tables, JSON extras): DataFrames as they are, Series and
    1-D arrays as one-column tables, settings objects by ``to_dict()`` (or their fields),
    everything else as JSON values; markers record how to rebuild each field."""
    tables: dict[str, pd.DataFrame] = {}
    extra: dict[str, Any] = {"__series__": {}, "__arrays__": [], "__objects__": []}
    for field in dataclasses.fields(analysis):
        name, value = field.name, getattr(analysis, field.name)
        if isinstance(value, pd.DataFrame):
            tables[name] = value
        elif isinstance(value, pd.Series):
            tables[name] = value.to_frame(name="value")
            extra["__series__"][name] = _json_safe(value.name)
        elif isinstance(value, np.ndarray):
            tables[name] = pd.DataFrame({"value": np.asarray(value).reshape(len(value), -1)[:, 0]})
            extra["__arrays__"].append(name)
        elif hasattr(value, "to_dict") or dataclasses.is_dataclass(value):
            data = value.to_dict() if hasattr(value, "to_dict") else dataclasses.asdict(value)
            extra[name] = data
            extra["__objects__"].append(name)
        else:
            extra[name] = _json_safe(value)
    return tables, extra


def _unflatten_analysis(
    cls: type, tables: dict[str, pd.DataFrame], extra: dict[str, Any]
) -> Any:
    """Rebuild the dataclass ``cls`` that :func:`_flatten_analysis` took apart."""
    hints = typing.get_type_hints(cls)
    series: dict[str, Any] = dict(extra.get("__series__") or {})
    arrays, objects = set(extra.get("__arrays__", [])), set(extra.get("__objects__", []))
    values: dict[str, Any] = {}
    for field in dataclasses.fields(cls):
        name = field.name
        if name in tables:
            table = tables[name]
            if name in series:
                values[name] = table["value"].rename(series[name])
            elif name in arrays:
                values[name] = table["value"].to_numpy()
            else:
                values[name] = table
        elif name in objects:
            kind = hints.get(name)
            from_dict = getattr(kind, "from_dict", None)
            values[name] = from_dict(extra[name]) if from_dict else kind(**extra[name])
        elif name in extra:
            values[name] = extra[name]
    return cls(**values)


# ----------------------------------------------------------------------------- store


class Store:
    """Athletes, sessions, clips and analysed tracks in one SQL database.

    Parameters
    ----------
    url
        Any SQLAlchemy URL. Default: ``$POSTURE_DB_URL`` or SQLite at ``data/posture.db``.
    timeout_s
        How long SQLite waits for another process's write lock before giving up.
    """

    def __init__(self, url: str | None = None, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.url = url or default_url()
        try:
            self._engine = _make_engine(self.url, timeout_s)
        except (sa_exc.ArgumentError, sa_exc.NoSuchModuleError, ImportError) as error:
            raise AnalysisError(
                f"Cannot use the database URL {_describe(self.url)}: {_first_line(error)}"
            ) from error
        except OSError as error:
            raise AnalysisError(
                f"Cannot create the database folder for {self.url}: {error.strerror}"
            ) from error
        self._write_engine = self._engine.execution_options(sqlite_immediate=True)
        try:
            with self._engine.connect() as connection:
                existing = set(inspect(connection).get_table_names())
            # A missing table is created, so a database made by an older version gets the
            # tables added since (``corrections``); there are no migrations (Alembic) yet,
            # so a changed column of an existing table is not handled.
            if not set(Base.metadata.tables) <= existing:
                Base.metadata.create_all(self._write_engine)
        except sa_exc.DBAPIError as error:
            self._engine.dispose()
            raise _database_error(self.url, error) from error

    # -- plumbing

    def close(self) -> None:
        """Release the connections (the store can no longer be used)."""
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({_describe(self.url)!r})"

    @contextlib.contextmanager
    def _reading(self) -> Iterator[Session]:
        with Session(self._engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextlib.contextmanager
    def _writing(self) -> Iterator[Session]:
        with Session(self._write_engine, expire_on_commit=False) as session, session.begin():
            yield session

    # -- athletes

    @staticmethod
    def _athlete_info(athlete: Athlete, n_sessions: int = 0) -> AthleteInfo:
        return AthleteInfo(
            athlete.id, athlete.name, athlete.height_m, athlete.created_at, n_sessions
        )

    @staticmethod
    def _athlete_row(session: Session, athlete: int | str) -> Athlete:
        if isinstance(athlete, int | np.integer):
            row = session.get(Athlete, int(athlete))
        else:
            row = session.scalar(select(Athlete).where(Athlete.name_key == name_key(athlete)))
        if row is None:
            raise AnalysisError(f"No athlete {athlete!r} in the database.")
        return row

    @_guarded
    def create_athlete(self, name: str, height_m: float | None = None) -> AthleteInfo:
        """A new athlete; the name must not be taken (case and spacing ignored)."""
        cleaned = _clean_name(name, "athlete")
        height = _check_height(height_m)
        try:
            with self._writing() as session:
                athlete = Athlete(name=cleaned, name_key=name_key(cleaned), height_m=height)
                session.add(athlete)
                session.flush()
                return self._athlete_info(athlete)
        except sa_exc.IntegrityError as error:
            raise AnalysisError(f"There is already an athlete named {cleaned!r}.") from error

    @_guarded
    def get_athlete(self, athlete: int | str) -> AthleteInfo:
        """The athlete with this id or name; AnalysisError when there is none."""
        with self._reading() as session:
            row = self._athlete_row(session, athlete)
            count = session.scalar(
                select(func.count(TrainingSession.id)).where(TrainingSession.athlete_id == row.id)
            )
            return self._athlete_info(row, count or 0)

    @_guarded
    def find_athlete(self, name: str) -> AthleteInfo | None:
        """The athlete with this name (case and spacing ignored), or None."""
        try:
            return self.get_athlete(str(name))
        except AnalysisError:
            return None

    @_guarded
    def get_or_create_athlete(self, name: str, height_m: float | None = None) -> AthleteInfo:
        """The athlete named so, created when missing; a given height updates the stored one."""
        cleaned = _clean_name(name, "athlete")
        height = _check_height(height_m)
        for _attempt in range(2):
            try:
                with self._writing() as session:
                    row = session.scalar(
                        select(Athlete).where(Athlete.name_key == name_key(cleaned))
                    )
                    if row is None:
                        row = Athlete(name=cleaned, name_key=name_key(cleaned), height_m=height)
                        session.add(row)
                    elif height is not None:
                        row.height_m = height
                    session.flush()
                    return self._athlete_info(row)
            except sa_exc.IntegrityError:
                continue  # created by another process meanwhile: read it on the second pass
        return self.get_athlete(cleaned)

    @_guarded
    def list_athletes(self, search: str | None = None) -> list[AthleteInfo]:
        """Athletes by name; ``search`` keeps those whose name contains it (any case)."""
        with self._reading() as session:
            query = (
                select(Athlete, func.count(TrainingSession.id))
                .outerjoin(TrainingSession, TrainingSession.athlete_id == Athlete.id)
                .group_by(Athlete.id)
                .order_by(Athlete.name_key)
            )
            if search:
                pattern = "%" + name_key(search).replace("%", r"\%").replace("_", r"\_") + "%"
                query = query.where(Athlete.name_key.like(pattern, escape="\\"))
            return [self._athlete_info(a, n) for a, n in session.execute(query)]

    @_guarded
    def update_athlete(
        self, athlete: int | str, *, name: str | None = None, height_m: float | None = None
    ) -> AthleteInfo:
        """Rename an athlete and/or set their height (metres)."""
        try:
            with self._writing() as session:
                row = self._athlete_row(session, athlete)
                if name is not None:
                    row.name = _clean_name(name, "athlete")
                    row.name_key = name_key(row.name)
                if height_m is not None:
                    row.height_m = _check_height(height_m)
                session.flush()
                return self._athlete_info(row)
        except sa_exc.IntegrityError as error:
            raise AnalysisError(f"There is already an athlete named {name!r}.") from error

    def rename_athlete(self, athlete: int | str, new_name: str) -> AthleteInfo:
        return self.update_athlete(athlete, name=new_name)

    @_guarded
    def delete_athlete(self, athlete: int | str) -> None:
        """Delete an athlete with all their sessions, clips, tracks, poses and metrics."""
        with self._writing() as session:
            row = self._athlete_row(session, athlete)
            session.execute(delete(Athlete).where(Athlete.id == row.id))

    # -- sessions

    @staticmethod
    def _session_info(row: TrainingSession, athlete_name: str, n_clips: int = 0) -> SessionInfo:
        return SessionInfo(
            row.id,
            row.athlete_id,
            athlete_name,
            row.date,
            row.title,
            tuple(row.tags or ()),
            row.created_at,
            n_clips,
        )

    @staticmethod
    def _session_row(session: Session, session_id: int) -> TrainingSession:
        row = session.get(TrainingSession, int(session_id))
        if row is None:
            raise AnalysisError(f"No session {session_id} in the database.")
        return row

    @staticmethod
    def _add_session(session: Session, athlete_row: Athlete, title: str, day: dt.date,
                     tags: Iterable[str]) -> TrainingSession:
        """A new session row (title already cleaned), added to ``session``."""
        row = TrainingSession(athlete_id=athlete_row.id, date=day, title=title,
                              tags=_clean_tags(tags))
        session.add(row)
        return row

    @_guarded
    def create_session(
        self,
        athlete: int | str,
        title: str,
        date: dt.date | None = None,
        tags: Iterable[str] = (),
    ) -> SessionInfo:
        """A new session of an athlete (today when no date); title unique per athlete and date."""
        cleaned = _clean_name(title, "session")
        day = date or dt.date.today()
        try:
            with self._writing() as session:
                athlete_row = self._athlete_row(session, athlete)
                row = self._add_session(session, athlete_row, cleaned, day, tags)
                session.flush()
                return self._session_info(row, athlete_row.name)
        except sa_exc.IntegrityError as error:
            raise AnalysisError(
                f"There is already a session {cleaned!r} on {day.isoformat()} for this athlete."
            ) from error

    @_guarded
    def get_or_create_session(
        self,
        athlete: int | str,
        title: str,
        date: dt.date | None = None,
        tags: Iterable[str] = (),
    ) -> SessionInfo:
        """The athlete's session with this title on this date (today), created when missing."""
        cleaned = _clean_name(title, "session")
        day = date or dt.date.today()
        for _attempt in range(2):
            try:
                with self._writing() as session:
                    athlete_row = self._athlete_row(session, athlete)
                    row = session.scalar(
                        select(TrainingSession).where(
                            TrainingSession.athlete_id == athlete_row.id,
                            TrainingSession.date == day,
                            TrainingSession.title == cleaned,
                        )
                    )
                    if row is None:
                        row = self._add_session(session, athlete_row, cleaned, day, tags)
                    elif tags:
                        row.tags = _clean_tags([*row.tags, *tags])
                    session.flush()
                    return self._session_info(row, athlete_row.name)
            except sa_exc.IntegrityError:
                continue
        raise AnalysisError(f"Could not create the session {cleaned!r}; try again.")

    @_guarded
    def get_session(self, session_id: int) -> SessionInfo:
        with self._reading() as session:
            row = self._session_row(session, session_id)
            count = session.scalar(select(func.count(Clip.id)).where(Clip.session_id == row.id))
            return self._session_info(row, row.athlete.name, count or 0)

    @_guarded
    def list_sessions(
        self,
        athlete: int | str | None = None,
        *,
        search: str | None = None,
        tag: str | None = None,
    ) -> list[SessionInfo]:
        """Sessions, newest first; of one athlete, with a title containing ``search``
        (any case), or carrying ``tag``."""
        with self._reading() as session:
            query = (
                select(TrainingSession, Athlete.name, func.count(Clip.id))
                .join(Athlete, Athlete.id == TrainingSession.athlete_id)
                .outerjoin(Clip, Clip.session_id == TrainingSession.id)
                .group_by(TrainingSession.id, Athlete.name)
                .order_by(TrainingSession.date.desc(), TrainingSession.id.desc())
            )
            if athlete is not None:
                query = query.where(
                    TrainingSession.athlete_id == self._athlete_row(session, athlete).id
                )
            rows = [self._session_info(s, name, n) for s, name, n in session.execute(query)]
        if search:
            rows = [r for r in rows if name_key(search) in name_key(r.title)]
        if tag:
            rows = [r for r in rows if name_key(tag) in {name_key(t) for t in r.tags}]
        return rows

    @_guarded
    def update_session(
        self,
        session_id: int,
        *,
        title: str | None = None,
        date: dt.date | None = None,
        tags: Iterable[str] | None = None,
    ) -> SessionInfo:
        """Rename a session, move it to another date and/or replace its tags."""
        try:
            with self._writing() as session:
                row = self._session_row(session, session_id)
                if title is not None:
                    row.title = _clean_name(title, "session")
                if date is not None:
                    row.date = date
                if tags is not None:
                    row.tags = _clean_tags(tags)
                session.flush()
                return self._session_info(row, row.athlete.name)
        except sa_exc.IntegrityError as error:
            raise AnalysisError(
                "The athlete already has a session with that title on that date."
            ) from error

    def rename_session(self, session_id: int, new_title: str) -> SessionInfo:
        return self.update_session(session_id, title=new_title)

    @_guarded
    def delete_session(self, session_id: int) -> None:
        """Delete a session with its clips, tracks, poses and metrics."""
        with self._writing() as session:
            row = self._session_row(session, session_id)
            session.execute(delete(TrainingSession).where(TrainingSession.id == row.id))

    # -- clips

    @staticmethod
    def _track_info(track: Track) -> TrackInfo:
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

    @classmethod
    def _clip_info(cls, clip: Clip, athlete_id: int, tracks: Sequence[Track] = ()) -> ClipInfo:
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
            tracks=tuple(cls._track_info(t) for t in tracks),
        )

    @staticmethod
    def _clip_row(session: Session, clip_id: int) -> Clip:
        row = session.get(Clip, int(clip_id))
        if row is None:
            raise AnalysisError(f"No clip {clip_id} in the database.")
        return row

    @_guarded
    def get_clip(self, clip_id: int) -> ClipInfo:
        """A clip with its tracks; AnalysisError when the id is unknown."""
        with self._reading() as session:
            row = self._clip_row(session, clip_id)
            return self._clip_info(row, row.session.athlete_id, row.tracks)

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
                query = query.where(Clip.session_id == int(session_id))
            if athlete is not None:
                query = query.where(
                    TrainingSession.athlete_id == self._athlete_row(session, athlete).id
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
            return [self._clip_info(c, a, tracks.get(c.id, ())) for c, a in clips]

    @_guarded
    def find_clip(self, session_id: int, sha256: str) -> ClipInfo | None:
        """The clip of a session with these bytes (sha256 hex digest), or None."""
        with self._reading() as session:
            row = session.scalar(
                select(Clip).where(Clip.session_id == int(session_id), Clip.sha256 == sha256)
            )
            return None if row is None else self._clip_info(row, row.session.athlete_id, row.tracks)

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
        """Add a clip to a session (status ``pending``), or find it when its bytes are there.

        Returns ``(clip, created)``. A clip of the session with the same sha256 that was
        analysed (status ``done``) is returned as it is, ``created`` False: the same file is
        never analysed twice. One that failed, or whose analysis never finished (a process
        that died), is reset to ``pending`` with the new settings, ``created`` True.
        """
        values = dict(
            file_name=file_name,
            stored_path=stored_path,
            kind=kind,
            fps=float(fps),
            width=int(width),
            height=int(height),
            frame_count=int(frame_count),
            duration_s=float(duration_s),
            settings=json.loads(json.dumps(settings, default=_json_safe)),
        )
        for _attempt in range(2):
            try:
                with self._writing() as session:
                    owner = self._session_row(session, session_id)
                    row = session.scalar(
                        select(Clip).where(Clip.session_id == owner.id, Clip.sha256 == sha256)
                    )
                    created = row is None or row.status != "done"
                    if row is None:
                        row = Clip(session_id=owner.id, sha256=sha256, status="pending", **values)
                        session.add(row)
                    elif created:
                        for key, value in values.items():
                            setattr(row, key, value)
                        row.status, row.error, row.finished_at = "pending", None, None
                    session.flush()
                    return self._clip_info(row, owner.athlete_id, row.tracks), created
            except sa_exc.IntegrityError:
                continue  # the same bytes registered by another process meanwhile
        raise AnalysisError("Could not register the clip; try again.")

    @_guarded
    def set_clip_status(self, clip_id: int, status: str, error: str | None = None) -> None:
        """Mark a clip pending, running, done or failed (with the reason) on its own."""
        finished = utcnow() if status in ("done", "failed") else None
        with self._writing() as session:
            session.execute(
                update(Clip)
                .where(Clip.id == int(clip_id))
                .values(status=status, error=error, finished_at=finished)
            )

    def mark_failed(self, clip_id: int, reason: str) -> None:
        """Record why a clip failed; never raises (the original error matters more)."""
        with contextlib.suppress(AnalysisError):
            self.set_clip_status(clip_id, "failed", reason[:2000])

    @_guarded
    def delete_clip(self, clip_id: int) -> None:
        """Delete a clip with its tracks, poses and metrics."""
        with self._writing() as session:
            self._clip_row(session, clip_id)
            session.execute(delete(Clip).where(Clip.id == int(clip_id)))

    @_guarded
    def set_athlete_track(self, clip_id: int, track_id: int) -> None:
        """Choose which person (track id) of a clip is the athlete."""
        with self._writing() as session:
            self._clip_row(session, clip_id)
            known = session.scalar(
                select(Track.id).where(Track.clip_id == int(clip_id), Track.track_id == track_id)
            )
            if known is None:
                raise AnalysisError(f"Clip {clip_id} has no person with track id {track_id}.")
            session.execute(
                update(Track)
                .where(Track.clip_id == int(clip_id))
                .values(is_athlete=Track.track_id == int(track_id))
            )

    @_guarded
    def write_clip_results(
        self,
        clip_id: int,
        results: Iterable[TrackResult],
        *,
        athlete_track: int | None = None,
    ) -> ClipInfo:
        """Write a clip's tracks, poses and metrics in ONE transaction and mark it done.

        ``results`` may be a lazy iterable (the pipeline analyses each track as it is
        consumed): an exception raised by it, or by the database, part-way rolls back every
        row of this clip written so far, marks the clip failed with the reason (in a second
        transaction) and propagates. Tracks already stored for the clip are replaced. The
        athlete is ``athlete_track`` or, by default, the track seen in the most frames.
        """
        try:
            with self._writing() as session:
                clip = self._clip_row(session, clip_id)
                session.execute(delete(Track).where(Track.clip_id == clip.id))
                tracks: list[Track] = []
                for result in results:
                    tracks.append(self._add_track(session, clip.id, result))
                if tracks:
                    chosen = athlete_track
                    if chosen is None or chosen not in {t.track_id for t in tracks}:
                        chosen = max(tracks, key=lambda t: (t.frames_seen, -t.track_id)).track_id
                    for track in tracks:
                        track.is_athlete = track.track_id == chosen
                clip.status, clip.error, clip.finished_at = "done", None, utcnow()
                session.flush()
                return self._clip_info(clip, clip.session.athlete_id, tracks)
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

    def _add_track(self, session: Session, clip_id: int, result: TrackResult) -> Track:
        poses = result.poses
        n = len(poses.frames)
        track = Track(
            clip_id=clip_id,
            track_id=int(poses.track_id),
            frames_seen=poses.frames_seen,
            first_frame=int(poses.frames[0]) if n else 0,
            n_frames=n,
        )
        tables = self._analysis_fields(track, result.analysis)
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
        chunks += self._metric_chunks(track.id, poses.frames, poses.times, tables)
        session.add_all(chunks)
        session.flush()
        return track

    @staticmethod
    def _analysis_fields(track: Track, analysis: Any) -> dict[str, pd.DataFrame]:
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
        track.extra = json.loads(json.dumps(extra, default=_json_safe))
        return tables

    @staticmethod
    def _metric_chunks(
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

    def _replace_metrics(self, session: Session, clip: Clip, track: Track,
                         poses: TrackPoses, analysis: Any) -> None:
        """Replace a track's metric rows by ``analysis`` of its ``poses`` (same frames);
        the clip's ``finished_at`` moves to now, so readers know its results changed."""
        n_rows = len(getattr(analysis, "angles", ()))
        if n_rows != len(poses.frames):
            raise AnalysisError(
                f"The new analysis has {n_rows} frames, the person's poses {len(poses.frames)}."
            )
        tables = self._analysis_fields(track, analysis)
        session.execute(delete(MetricChunk).where(MetricChunk.track_pk == track.id))
        session.add_all(self._metric_chunks(track.id, poses.frames, poses.times, tables))
        clip.finished_at = utcnow()
        session.flush()

    def _stored_track(self, session: Session, clip_id: int, track_id: int) -> tuple[Clip, Track]:
        clip = self._clip_row(session, clip_id)
        track = session.scalar(
            select(Track).where(Track.clip_id == clip.id, Track.track_id == int(track_id))
        )
        if track is None:
            raise AnalysisError(f"Clip {clip_id} has no person with track id {track_id}.")
        return clip, track

    @_guarded
    def replace_track_analysis(self, clip_id: int, track_id: int, analysis: Any) -> ClipInfo:
        """Replace one track's metrics by ``analysis`` (a :class:`analysis.track.TrackAnalysis`
        of its stored frames) in ONE transaction: on any error the old metrics stay. Poses
        are not touched. Returns the clip, whose ``finished_at`` is now."""
        with self._writing() as session:
            clip, track = self._stored_track(session, clip_id, track_id)
            poses = poses_from_frame(
                track.track_id, self._pose_table(session, [Track.id == track.id], None)
            )
            self._replace_metrics(session, clip, track, poses, analysis)
            return self._clip_info(clip, clip.session.athlete_id, clip.tracks)

    # -- the coach's corrections (records and checks: analysis/correction_store.py;
    #    applying them: analysis/corrections.py)

    @_guarded
    def list_corrections(
        self, clip_id: int, track_id: int | None = None, *, active_only: bool = False
    ) -> list[CorrectionInfo]:
        """A clip's corrections (of one person), oldest first, undone ones too unless
        ``active_only``. AnalysisError for an unknown clip."""
        from analysis import correction_store

        with self._reading() as session:
            self._clip_row(session, clip_id)
            return correction_store.list_corrections(
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
        from analysis import correction_store

        with self._writing() as session:
            clip = self._clip_row(session, clip_id)
            row, track = correction_store.add_swap(
                session, clip, track_id, first_frame, last_frame, groups, created_by
            )
            self._recompute(session, clip, track)
            return correction_store.correction_info(row)

    @_guarded
    def undo_correction(self, correction_id: int) -> CorrectionInfo:
        """Undo a correction (its row stays, with ``undone_at``) and recompute its person's
        metrics, in ONE transaction. Undoing one already undone changes nothing (a second
        click, another browser tab) and returns it as it is. AnalysisError for an unknown id.
        """
        from analysis import correction_store

        with self._writing() as session:
            row = correction_store.correction_row(session, correction_id)
            if row.undone_at is None:
                row.undone_at = utcnow()
                session.flush()
                clip = self._clip_row(session, row.clip_id)
                track = correction_store.track_row(session, clip.id, row.track_id)
                if track is not None:
                    self._recompute(session, clip, track)
            return correction_store.correction_info(row)

    def _recompute(self, session: Session, clip: Clip, track: Track) -> None:
        """Re-run a track's analysis on its poses with its active corrections applied (the
        clip's stored settings) and replace its metrics, inside the caller's transaction."""
        from analysis import correction_store
        from analysis.corrections import reanalyse_track

        poses = poses_from_frame(
            track.track_id, self._pose_table(session, [Track.id == track.id], None)
        )
        corrections = correction_store.list_corrections(
            session, clip.id, track.track_id, active_only=True
        )
        analysis = reanalyse_track(
            poses, corrections, kind=clip.kind, fps=clip.fps, settings=clip.settings or {},
            is_athlete=track.is_athlete, stored=track.extra or {},
        )
        self._replace_metrics(session, clip, track, poses, analysis)

    # -- reading tables

    def _track_filter(self, session: Session, clip_id: int, track_id: int | None) -> list[Any]:
        self._clip_row(session, clip_id)
        conditions = [Track.clip_id == int(clip_id)]
        if track_id is not None:
            conditions.append(Track.track_id == int(track_id))
        return conditions

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
            conditions = self._track_filter(session, clip_id, track_id)
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
            conditions = self._track_filter(session, clip_id, track_id)
            return self._pose_table(session, conditions, frames)

    def _pose_table(
        self, session: Session, conditions: list[Any], frames: tuple[int, int] | None
    ) -> pd.DataFrame:
        """:meth:`read_poses` of the tracks matching ``conditions``, within ``session``."""
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

    @_guarded
    def read_sides(self, clip_id: int, track_id: int | None = None) -> pd.DataFrame:
        """The estimator's left/right corrections alone, in ONE query (no keypoint is
        decoded): ``track_id, frame, sides_swapped`` (:data:`SIDE_BITS` mask, uint8)."""
        with self._reading() as session:
            conditions = self._track_filter(session, clip_id, track_id)
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
                    Track.clip_id == int(clip_id), Track.track_id == int(track_id)
                )
            )
        return dict(extra or {})

    # -- overviews

    @_guarded
    def overview(self) -> pd.DataFrame:
        """Every clip with its athlete and session, one row each (for lists and search):
        athlete_id, athlete, session_id, date, session, tags, clip_id, file_name, kind,
        status, error, frame_count, duration_s, n_tracks, athlete_track."""
        with self._reading() as session:
            n_tracks = (
                select(func.count(Track.id)).where(Track.clip_id == Clip.id).scalar_subquery()
            )
            athlete_track = (
                select(Track.track_id)
                .where(Track.clip_id == Clip.id, Track.is_athlete.is_(True))
                .limit(1)
                .scalar_subquery()
            )
            rows = session.execute(
                select(
                    Athlete.id,
                    Athlete.name,
                    TrainingSession.id,
                    TrainingSession.date,
                    TrainingSession.title,
                    TrainingSession.tags,
                    Clip.id,
                    Clip.file_name,
                    Clip.kind,
                    Clip.status,
                    Clip.error,
                    Clip.frame_count,
                    Clip.duration_s,
                    n_tracks,
                    athlete_track,
                )
                .select_from(Athlete)
                .outerjoin(TrainingSession, TrainingSession.athlete_id == Athlete.id)
                .outerjoin(Clip, Clip.session_id == TrainingSession.id)
                .order_by(Athlete.name_key, TrainingSession.date, TrainingSession.id, Clip.id)
            ).all()
        columns = [
            "athlete_id", "athlete", "session_id", "date", "session", "tags", "clip_id",
            "file_name", "kind", "status", "error", "frame_count", "duration_s", "n_tracks",
            "athlete_track",
        ]
        out = pd.DataFrame([tuple(r) for r in rows], columns=columns)
        for column in ("session_id", "clip_id", "frame_count", "n_tracks", "athlete_track"):
            out[column] = out[column].astype("Int64")
        out.loc[out["clip_id"].isna(), "n_tracks"] = pd.NA
        return out

    @_guarded
    def athlete_tables(
        self, athlete: int | str, kinds: Sequence[str] = ("summary", "symmetry", "repetitions")
    ) -> pd.DataFrame:
        """Per-track tables of every finished clip's athlete track, in ONE query.

        Columns: session_id, date, session, clip_id, file_name, track_id, rep_signal, kind,
        table (the stored DataFrame). The building block of :meth:`progress`.
        """
        with self._reading() as session:
            athlete_row = self._athlete_row(session, athlete)
            rows = session.execute(
                select(
                    TrainingSession.id,
                    TrainingSession.date,
                    TrainingSession.title,
                    Clip.id,
                    Clip.file_name,
                    Track.track_id,
                    Track.rep_signal,
                    MetricChunk.kind,
                    MetricChunk.payload,
                )
                .join(Clip, Clip.session_id == TrainingSession.id)
                .join(Track, Track.clip_id == Clip.id)
                .join(MetricChunk, MetricChunk.track_pk == Track.id)
                .where(
                    TrainingSession.athlete_id == athlete_row.id,
                    Clip.status == "done",
                    Track.is_athlete.is_(True),
                    MetricChunk.kind.in_(list(kinds)),
                )
                .order_by(TrainingSession.date, TrainingSession.id, Clip.id, MetricChunk.kind)
            ).all()
        columns = [
            "session_id", "date", "session", "clip_id", "file_name", "track_id", "rep_signal",
            "kind", "table",
        ]
        return pd.DataFrame(
            [(*r[:-1], _frame_from_parquet(r[-1])) for r in rows], columns=columns
        )

    def progress(self, athlete: int | str, *, by: str = "clip") -> pd.DataFrame:
        """An athlete's metrics across their sessions, oldest first, from the athlete track
        of every analysed clip: a long table for charts over dates.

        Columns: ``date, session_id, session, clip_id, file_name, metric, name, value``
        where ``metric`` is ``rom``, ``min``, ``max``, ``mean`` (per angle ``name``,
        degrees, cleaned), ``si`` (per left/right pair ``name``, %), ``repetitions`` (count;
        ``name`` the signal they were found in), ``rep_duration_s`` and ``rep_rom`` (mean
        over the clip's repetitions). With ``by="session"`` the clips of a session are
        combined (mean of each metric, sum of repetitions; clip columns dropped).
        """
        if by not in ("clip", "session"):
            raise AnalysisError(f"progress by 'clip' or 'session', not {by!r}")
        tables = self.athlete_tables(athlete)
        rows: list[tuple[Any, ...]] = []
        for (session_id, day, title, clip_id, file_name), group in tables.groupby(
            ["session_id", "date", "session", "clip_id", "file_name"], sort=False
        ):
            head = (day, session_id, title, clip_id, file_name)
            by_kind = dict(zip(group["kind"], group["table"], strict=True))
            summary = by_kind.get("summary")
            if summary is not None:
                for stat in ("rom", "min", "max", "mean"):
                    if stat in summary.columns:
                        for name, value in summary[stat].items():
                            rows.append((*head, stat, str(name), float(value)))
            symmetry = by_kind.get("symmetry")
            if symmetry is not None and "si" in symmetry.columns:
                for name, value in symmetry["si"].items():
                    rows.append((*head, "si", str(name), float(value)))
            reps = by_kind.get("repetitions")
            if reps is not None:
                signal = next(iter(group["rep_signal"]), None) or ""
                rows.append((*head, "repetitions", signal, float(len(reps))))
                for column, metric in (("duration_s", "rep_duration_s"), ("rom", "rep_rom")):
                    if column in reps.columns and len(reps):
                        rows.append((*head, metric, signal, float(reps[column].mean())))
        columns = [
            "date", "session_id", "session", "clip_id", "file_name", "metric", "name", "value",
        ]
        out = pd.DataFrame(rows, columns=columns)
        if by == "session" and not out.empty:
            keys = ["date", "session_id", "session", "metric", "name"]
            summed = out[out["metric"] == "repetitions"].groupby(keys, sort=False)["value"].sum()
            averaged = out[out["metric"] != "repetitions"].groupby(keys, sort=False)["value"].mean()
            out = pd.concat([averaged, summed]).reset_index()
            out = out.sort_values(["date", "session_id"], kind="stable").reset_index(drop=True)
        return out

    def read_tables(
        self, clip_id: int, track_id: int, kinds: Sequence[str] = ("angles", "repetitions")
    ) -> dict[str, pd.DataFrame]:
        """One track's stored tables exactly as the analysis made them (index = position in
        the track), e.g. for :func:`analysis.comparison.compare_clips`."""
        return self._read_tables(clip_id, kinds, track_id)[int(track_id)]

    @_guarded
    def database_size_bytes(self) -> int | None:
        """Size of the SQLite file (with its WAL), None for a server database."""
        parsed = make_url(self.url)
        if parsed.get_backend_name() != "sqlite" or not parsed.database:
            return None
        path = Path(parsed.database)
        return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
