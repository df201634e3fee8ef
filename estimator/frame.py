"""A decoded frame, and poses found in it mapped back onto the source's pixels.

:class:`Frame` is what :func:`estimator.video.iter_frames` yields;
:func:`in_source_pixels` undoes ``Frame.scale`` (a large photo decoded reduced).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from estimator.types import Person


@dataclass(frozen=True, eq=False)
class Frame:
    """One decoded frame.

    Attributes
    ----------
    index
        Position in the clip, 0, 1, 2, ... (a photo is frame 0).
    time
        Seconds from the first frame, from the container's timestamps (0.0 for a photo).
    image
        Shape (H, W, 3), uint8, BGR, rotation already applied.
    scale
        Source pixels per decoded pixel, ``(x, y)``: 1 except for a large photo
        decoded reduced (about 2, 4 or 8). :func:`in_source_pixels` maps poses
        found in ``image`` back onto the source's pixels.
    """

    index: int
    time: float
    image: np.ndarray
    scale: tuple[float, float] = (1.0, 1.0)


def in_source_pixels(people: list[Person], frame: Frame) -> list[Person]:
    """People found in ``frame.image``, in the source's pixels (``frame.scale`` undone).

    Keypoints' x and y and the boxes are scaled; visibility, scores and the
    world coordinates (metres) are unchanged. A frame decoded at full size
    gives its people back as they are.
    """
    sx, sy = frame.scale
    if sx == 1.0 and sy == 1.0:
        return people
    factor = np.array([sx, sy, 1.0], dtype=np.float64)
    box = np.array([sx, sy, sx, sy], dtype=np.float64)
    return [replace(p, keypoints=np.asarray(p.keypoints) * factor,
                    bbox=np.asarray(p.bbox) * box) for p in people]
