"""Is a live reading trustworthy? The athlete fully in the picture, and enough light.

Used by the Live page on every frame it analyses; cheap (well under a
millisecond on a 640x480 frame).
"""

from __future__ import annotations

import numpy as np

from estimator.keypoints import KEYPOINT_INDEX

#: Mean luma (0-255, BT.601) below which the picture is too dark for a confident reading:
#: BlazePose's visibilities drop quickly in a dim gym filmed by a phone.
LOW_LIGHT_LUMA = 50.0
#: Keypoints closer to an edge than this share of the frame's short side count as cut off.
EDGE_MARGIN = 0.01
#: Parts that must be seen for the whole body to be in the picture.
PARTS: dict[str, tuple[str, ...]] = {
    "head": ("nose",),
    "shoulders": ("left_shoulder", "right_shoulder"),
    "hips": ("left_hip", "right_hip"),
    "knees": ("left_knee", "right_knee"),
    "feet": ("left_ankle", "right_ankle"),
}


def mean_luma(image: np.ndarray, step: int = 4) -> float:
    """Mean brightness (0-255) of a BGR (H, W, 3) uint8 image, read on every ``step``-th
    pixel of every ``step``-th row (the mean of a frame does not need them all)."""
    sample = image[::step, ::step].astype(np.float32)
    return float((0.114 * sample[..., 0] + 0.587 * sample[..., 1]
                  + 0.299 * sample[..., 2]).mean())


def too_dark(image: np.ndarray, threshold: float = LOW_LIGHT_LUMA) -> bool:
    """True when the picture's mean luma is below ``threshold``."""
    return mean_luma(image) < threshold


def parts_out_of_picture(keypoints: np.ndarray, width: int, height: int,
                         visibility_threshold: float = 0.5) -> list[str]:
    """The body parts of :data:`PARTS` not seen inside the picture (empty: fully in it).

    ``keypoints`` (33, 3): x_px, y_px, visibility. A part is missing when any of its
    keypoints is below ``visibility_threshold`` or within :data:`EDGE_MARGIN` of an
    edge (the model guesses points beyond the border with a lower visibility, but
    not always low enough).
    """
    kp = np.asarray(keypoints, dtype=float)
    margin = EDGE_MARGIN * min(width, height)
    missing = []
    for part, names in PARTS.items():
        for name in names:
            x, y, v = kp[KEYPOINT_INDEX[name]]
            inside = margin <= x <= width - margin and margin <= y <= height - margin
            if not (np.isfinite(v) and v >= visibility_threshold and inside):
                missing.append(part)
                break
    return missing
