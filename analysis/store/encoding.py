"""How pose and metric tables are stored: zstd Parquet blobs in chunks of frames.

A track's poses and each per-frame table of its analysis are stored in chunks of
CHUNK_FRAMES frames (a frame range is read without decoding the rest); poses in fixed
point (0.01 px, visibility 0.001, 0.1 mm), per-frame metrics as float32 with a 15-bit
mantissa (0.003 degree at 180 degrees), everything per track (summary, symmetry,
repetitions) and all times at full precision. An analysis dataclass is taken apart into
tables and JSON extras (:func:`_flatten_analysis`) and rebuilt from them.
"""

from __future__ import annotations

import dataclasses
import io
import json
import typing
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from analysis.store.records import TrackPoses
from estimator.keypoints import KEYPOINT_NAMES, NUM_KEYPOINTS

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


def _read_parquet(payload: bytes) -> pa.Table:
    """One stored Parquet blob as a table. Read as one file, without ``pq.read_table``'s
    dataset machinery: a clip's tables are many small blobs, and that set-up was most of
    each read (2.2 ms against 1.2 ms for a 230 x 40 table, measured)."""
    return pq.ParquetFile(pa.BufferReader(payload)).read(use_threads=False)


def _frame_from_parquet(payload: bytes) -> pd.DataFrame:
    """The DataFrame :func:`_frame_to_parquet` stored (compact floats back to float64)."""
    table = _read_parquet(payload)
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
    table = _read_parquet(payload)
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
