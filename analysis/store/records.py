"""What the store hands out and takes in: frozen dataclasses that cross the layer.

``AthleteInfo``, ``SessionInfo``, ``ClipInfo`` and ``TrackInfo`` describe stored rows;
``TrackPoses`` and ``TrackResult`` are one person's poses (and their analysis) as the
pipeline writes them. :data:`SIDE_BITS` names the groups of left/right pairs in a mask.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from typing import Any

import numpy as np

from estimator.keypoints import NUM_KEYPOINTS


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

    @property
    def trim(self) -> tuple[int, int] | None:
        """The coach's trim, (first, last) clip frames inclusive, or None (the whole clip);
        see :mod:`analysis.store.trims`."""
        return trim_of(self.settings)


#: Key of the trim in a clip's settings: ``{"first_frame": a, "last_frame": b}``.
TRIM_KEY = "trim"


def trim_of(settings: dict[str, Any] | None) -> tuple[int, int] | None:
    """(first, last) frames of the trim kept in a clip's ``settings``, or None."""
    trim = (settings or {}).get(TRIM_KEY)
    if not isinstance(trim, dict):
        return None
    try:
        return int(trim["first_frame"]), int(trim["last_frame"])
    except (KeyError, TypeError, ValueError):
        return None


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


def trimmed_poses(poses: TrackPoses, trim: tuple[int, int] | None) -> TrackPoses:
    """``poses`` restricted to clip frames ``trim`` (first, last inclusive); all of them
    for None. A person not seen within the trim keeps no frame."""
    if trim is None:
        return poses
    keep = (poses.frames >= trim[0]) & (poses.frames <= trim[1])
    if keep.all():
        return poses
    n = len(poses.frames)
    changes = {f.name: getattr(poses, f.name)[keep] for f in dataclasses.fields(poses)
               if isinstance(getattr(poses, f.name), np.ndarray)
               and getattr(poses, f.name).shape[:1] == (n,)}
    return dataclasses.replace(poses, **changes)
