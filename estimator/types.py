"""Data that crosses the estimator's boundary: small frozen dataclasses of numpy arrays."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Person:
    """One person in one frame.

    Attributes
    ----------
    track_id
        Identity of the person, stable across the frames of one clip (0, 1, ...).
    score
        Pose-presence score of the landmark model, in [0, 1].
    bbox
        Box around the visible keypoints, shape (4,): x, y, width, height in pixels.
    keypoints
        Shape (33, 3): x_px, y_px, visibility in [0, 1], in ``KEYPOINT_NAMES`` order.
    world
        Shape (33, 3): x, y, z in metres, origin midway between the hips, axes as
        the image's (x right, y down, z away from the camera).
    sides_swapped
        Groups of left/right pairs (``"body"``, ``"arms"``, ``"legs"``, see
        :mod:`estimator.sides`) whose left and right were exchanged from the
        model's reading because it read them mirrored; empty when the keypoints
        are as the model read them. Swapping these groups back gives the
        model's reading.
    """

    track_id: int
    score: float
    bbox: np.ndarray
    keypoints: np.ndarray
    world: np.ndarray
    sides_swapped: tuple[str, ...] = ()


@dataclass(frozen=True)
class FramePoses:
    """The people found in one frame of a clip (a photo is one frame, index 0, time 0)."""

    index: int
    time: float  # seconds from the start of the clip, from the container
    people: list[Person] = field(default_factory=list)


@dataclass(frozen=True)
class SourceInfo:
    """What an input file is, read before any frame is decoded.

    ``width`` and ``height`` are those of the frames as displayed, after the
    rotation the file asks for. ``frame_count`` is the container's count (an
    estimate for some formats); ``fps`` is 0 for a photo.
    """

    path: Path
    kind: str  # "image" or "video"
    width: int
    height: int
    fps: float
    frame_count: int
    rotation: int = 0  # degrees clockwise applied to decoded frames: 0, 90, 180 or 270
