"""A coach's corrections applied to a person's poses, the metrics recomputed from them,
and the marks the exports carry.

Which way each frame's left and right read, from the model to what the metrics use::

    model's reading --(estimator: TrackPoses.sides_swapped, "auto")--> stored poses
                    --(coach: active swap_sides corrections, "manual")--> poses analysed

- :func:`apply_corrections`: pure; a track's stored poses and its corrections ->
  the poses with left and right exchanged where the active corrections say, and the
  per-frame mask of what was exchanged by hand. Corrections toggle: two active
  corrections covering the same frame and group cancel out (each acts on what the coach
  saw when making it), so their order does not matter.
- :func:`reanalyse_track`: :func:`analysis.track.analyse_track` of the corrected poses
  with the clip's stored settings, as the pipeline ran it. The store calls it when a
  correction is added or undone (:meth:`analysis.store.Store.add_swap_correction`).
- :func:`mask_runs`: corrected frames as runs, for a note beside the charts.
- :func:`side_marks`, :func:`corrected_pose_table`: the ``sides_corrected`` column of the
  CSV exports, e.g. ``auto:legs``, ``manual:body+arms+legs``, ``auto:legs manual:arms``,
  empty where the frame is as the model read it.

The estimator is used through its public surface only (``swap_groups``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from analysis.correction_store import (
    HIDE_JOINT,
    JOINT_KINDS,
    MOVE_JOINT,
    SWAP_SIDES,
    CorrectionInfo,
)
from analysis.errors import AnalysisError
from analysis.store import (
    POSE_COLUMNS,
    WORLD_COLUMNS,
    Store,
    TrackPoses,
    poses_from_frame,
    side_groups,
)
from estimator import KEYPOINT_INDEX, swap_groups

#: Names of the exports' columns saying which frames were corrected and how: left and
#: right (``auto:legs manual:arms``), and joints moved or hidden by the coach
#: (``moved:left_knee hidden:right_wrist``).
SIDES_COLUMN = "sides_corrected"
JOINTS_COLUMN = "joints_corrected"


class CorrectedPoses(NamedTuple):
    """``poses``: the track's poses with the corrections applied (same frames, shapes and
    ``sides_swapped`` as the stored ones); ``manual``: shape (F,) uint8, the
    :data:`~analysis.store.SIDE_BITS` mask of the groups exchanged by hand per frame;
    ``joints``: shape (F,) bool, frames with a joint moved or hidden by hand."""

    poses: TrackPoses
    manual: np.ndarray
    joints: np.ndarray


def manual_mask(frames: np.ndarray, corrections: Iterable[CorrectionInfo],
                track_id: int | None = None) -> np.ndarray:
    """Shape (F,) uint8: per clip frame of ``frames`` (F,), the XOR of the masks of the
    active ``swap_sides`` corrections covering it (of ``track_id`` when given). Another
    kind of correction is an :class:`AnalysisError` (this version cannot apply it)."""
    frames = np.asarray(frames, dtype=np.int64)
    mask = np.zeros(len(frames), dtype=np.uint8)
    for c in corrections:
        if not c.active or (track_id is not None and c.track_id != track_id):
            continue
        if c.kind in JOINT_KINDS:
            continue
        if c.kind != SWAP_SIDES:
            raise AnalysisError(f"This version cannot apply a correction of kind {c.kind!r}.")
        inside = (frames >= c.first_frame) & (frames <= c.last_frame)
        mask[inside] ^= np.uint8(c.mask)
    return mask


def _swapped(points: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(F, 33, C) points with left and right exchanged, frame by frame, in the groups of
    ``mask`` (F,) (a copy; frames with mask 0 as they are)."""
    out = np.array(points, copy=True)
    for value in np.unique(mask[mask != 0]):
        rows = mask == value
        # swap_groups exchanges keypoints along the first axis: (33, n, C) at once
        out[rows] = swap_groups(points[rows].swapaxes(0, 1), side_groups(value)).swapaxes(0, 1)
    return out


def _set_joints(poses: TrackPoses, corrections: Iterable[CorrectionInfo]
                ) -> tuple[TrackPoses, np.ndarray]:
    """The poses with the active joint corrections of ``poses.track_id`` applied, oldest
    first (a later one of the same joint and frame wins), and the (F,) bool mask of the
    frames they touch. A moved joint gets the clicked x, y and visibility 1; a hidden one
    visibility 0. Its world position is unknown after either: NaN (3D angles at it are
    not measured in that frame rather than measured from where the model put it)."""
    touched = np.zeros(len(poses.frames), dtype=bool)
    chosen = [c for c in corrections
              if c.active and c.kind in JOINT_KINDS and c.track_id == poses.track_id]
    if not chosen:
        return poses, touched
    keypoints, world = np.array(poses.keypoints, copy=True), np.array(poses.world, copy=True)
    where = {int(f): i for i, f in enumerate(poses.frames)}
    for c in chosen:
        i, j = where.get(c.first_frame), KEYPOINT_INDEX.get(c.joint or "")
        if i is None or j is None:
            continue  # a frame the person is not stored at: nothing to apply
        if c.kind == MOVE_JOINT:
            keypoints[i, j] = (c.detail["x"], c.detail["y"], 1.0)
        elif c.kind == HIDE_JOINT:
            keypoints[i, j, 2] = 0.0
        world[i, j] = np.nan
        touched[i] = True
    return dataclasses.replace(poses, keypoints=keypoints, world=world), touched


def apply_corrections(poses: TrackPoses, corrections: Iterable[CorrectionInfo]
                      ) -> CorrectedPoses:
    """The track's poses as the metrics read them: left and right exchanged, in
    ``keypoints`` (pixels, visibility) and ``world`` (metres), on the frames and groups of
    the active swap corrections of ``poses.track_id``, then the joints the coach moved or
    hid (as the coach saw them: after the swaps). Undone corrections and those of other
    people are ignored; the input is not changed."""
    corrections = list(corrections)
    manual = manual_mask(poses.frames, corrections, poses.track_id)
    if manual.any():
        poses = dataclasses.replace(
            poses, keypoints=_swapped(poses.keypoints, manual),
            world=_swapped(poses.world, manual))
    poses, joints = _set_joints(poses, corrections)
    return CorrectedPoses(poses, manual, joints)


def reanalyse_track(
    poses: TrackPoses,
    corrections: Iterable[CorrectionInfo],
    *,
    kind: str,
    fps: float,
    settings: Mapping[str, Any],
    is_athlete: bool,
    stored: Mapping[str, Any] | None = None,
) -> Any:
    """The :class:`analysis.track.TrackAnalysis` of a track's corrected poses.

    As :func:`analysis.pipeline.analyse_poses` runs it: the clip's stored ``settings``
    (``Clip.settings``: clean-up, repetitions; the athlete's height for the athlete's
    track), a photo (``kind`` ``"photo"``) at frame rate 0, a clip at ``fps``. ``stored``
    is what the store kept of the track's previous analysis (``Track.extra``): the
    repetition settings it was analysed with, when kept, win over the clip's (the angle
    the coach chose stays chosen; the default, the clearest cycle, is found anew in the
    corrected angles).
    """
    from analysis.pipeline import PipelineSettings, analyse_poses
    from analysis.repetitions import RepSettings

    chosen = PipelineSettings.from_dict(settings or {})
    kept = (stored or {}).get("rep_settings")
    if kept:
        chosen = dataclasses.replace(chosen, repetitions=RepSettings.from_dict(kept))
    corrected = apply_corrections(poses, corrections).poses
    return analyse_poses(corrected, kind, fps, chosen,
                         height_m=chosen.height_m if is_athlete else None)


def mask_runs(frames: np.ndarray, mask: np.ndarray) -> list[tuple[int, int, tuple[str, ...]]]:
    """Runs of consecutive clip frames ``frames`` (F,) with one same non-zero
    :data:`~analysis.store.SIDE_BITS` mask ``mask`` (F,): ``(first frame, last frame,
    groups)``, in frame order (for a note such as "legs in frames 67–73")."""
    frames = np.asarray(frames, dtype=np.int64)
    mask = np.asarray(mask, dtype=np.int64)
    if not len(mask):
        return []
    breaks = np.flatnonzero((np.diff(mask) != 0) | (np.diff(frames) != 1)) + 1
    starts, ends = np.r_[0, breaks], np.r_[breaks, len(mask)] - 1
    return [(int(frames[a]), int(frames[b]), side_groups(int(mask[a])))
            for a, b in zip(starts, ends, strict=True) if mask[a]]


def side_mark(auto: int, manual: int) -> str:
    """``auto:legs``, ``manual:body+arms+legs``, ``auto:legs manual:arms``, or ``""``."""
    parts = [f"{who}:{'+'.join(side_groups(mask))}"
             for who, mask in (("auto", auto), ("manual", manual)) if mask]
    return " ".join(parts)


def _marks(auto: np.ndarray, manual: np.ndarray) -> np.ndarray:
    """(F,) object array of :func:`side_mark` texts (computed once per distinct pair)."""
    key = auto.astype(np.int64) * 8 + manual.astype(np.int64)
    texts = {int(k): side_mark(int(k) // 8, int(k) % 8) for k in np.unique(key)}
    return np.array([texts[int(k)] for k in key], dtype=object)


def joint_marks(frames: np.ndarray, tracks: np.ndarray,
                corrections: Iterable[CorrectionInfo]) -> np.ndarray:
    """(F,) object array: per row (clip frame ``frames``, person ``tracks``) the joints
    the coach moved or hid there, e.g. ``moved:left_knee hidden:right_wrist``, or ``""``."""
    marks: dict[tuple[int, int], list[str]] = {}
    for c in corrections:
        if c.active and c.kind in JOINT_KINDS:
            word = "moved" if c.kind == MOVE_JOINT else "hidden"
            marks.setdefault((c.first_frame, c.track_id), []).append(f"{word}:{c.joint}")
    out = np.full(len(frames), "", dtype=object)
    if marks:
        for i, key in enumerate(zip(np.asarray(frames).tolist(), np.asarray(tracks).tolist(),
                                    strict=True)):
            if key in marks:
                out[i] = " ".join(sorted(set(marks[key])))
    return out


def side_marks(store: Store, clip_id: int, track_id: int | None = None) -> pd.DataFrame:
    """Columns ``track_id, frame, sides_corrected``: one row per stored frame of each
    person of the clip (of ``track_id``), saying how its left and right were corrected."""
    sides = store.read_sides(clip_id, track_id)
    corrections = store.list_corrections(clip_id, track_id, active_only=True)
    out = sides[["track_id", "frame"]].copy()
    manual = np.zeros(len(sides), dtype=np.uint8)
    tracks = sides["track_id"].to_numpy()
    for tid in np.unique(tracks):
        rows = tracks == tid
        manual[rows] = manual_mask(sides["frame"].to_numpy()[rows], corrections, int(tid))
    out[SIDES_COLUMN] = _marks(sides["sides_swapped"].to_numpy(np.uint8), manual)
    out[JOINTS_COLUMN] = joint_marks(sides["frame"].to_numpy(), tracks, corrections)
    return out


def with_side_marks(table: pd.DataFrame, store: Store, clip_id: int,
                    track_id: int | None = None) -> pd.DataFrame:
    """``table`` (per frame and track: ``frame`` and ``track_id`` columns) with the
    ``sides_corrected`` and ``joints_corrected`` columns last; empty text where nothing
    was corrected."""
    marks = side_marks(store, clip_id, track_id)
    out = table.merge(marks, on=["track_id", "frame"], how="left", sort=False)
    for column in (SIDES_COLUMN, JOINTS_COLUMN):
        out[column] = out[column].fillna("").astype(object)
    out.index = table.index
    return out


def corrected_pose_table(store: Store, clip_id: int, track_id: int | None = None
                         ) -> pd.DataFrame:
    """:meth:`Store.read_poses` with each person's active corrections applied to the
    keypoint columns (pixels, visibility, metres) and the ``sides_corrected`` column last:
    the keypoints the metrics were computed from."""
    df = store.read_poses(clip_id, track_id)
    corrections = store.list_corrections(clip_id, track_id, active_only=True)
    auto = df["sides_swapped"].to_numpy(np.uint8) if len(df) else np.zeros(0, np.uint8)
    manual = np.zeros(len(df), dtype=np.uint8)
    if corrections:
        df = df.copy()
        tracks = df["track_id"].to_numpy()
        for tid in {c.track_id for c in corrections} & set(tracks.tolist()):
            rows = tracks == tid
            poses = poses_from_frame(tid, df.loc[rows])
            fixed, manual[rows], _ = apply_corrections(poses, corrections)
            n = len(poses.frames)
            df.loc[rows, list(POSE_COLUMNS)] = fixed.keypoints.reshape(n, -1)
            df.loc[rows, list(WORLD_COLUMNS)] = fixed.world.reshape(n, -1)
    df[SIDES_COLUMN] = _marks(auto, manual)
    df[JOINTS_COLUMN] = joint_marks(df["frame"].to_numpy() if len(df) else np.zeros(0),
                                    df["track_id"].to_numpy() if len(df) else np.zeros(0),
                                    corrections)
    return df
