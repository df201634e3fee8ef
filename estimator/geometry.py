"""Geometry of one person's reading, shared by photos and clips.

Boxes around keypoints (:func:`person_box`) and their overlaps
(:func:`box_inside`, :func:`box_iou`), whether a pose is in the picture
(:func:`in_frame`), and two readings of one body (:func:`same_person`,
:func:`remove_duplicates`). Used by :mod:`estimator.clip_session` (clip
tracking) and :mod:`estimator.photos` (photos); re-exported by
:mod:`estimator.pipeline`.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from estimator.landmarks import NUM_BODY, PoseLandmarks

#: Keypoints count as visible for the box at this visibility.
BOX_VISIBILITY = 0.5
#: Two poses are the same person when their median keypoint distance is below
#: this fraction of their ROI side.
DUPLICATE_DISTANCE = 0.08
#: Fewest visible keypoints inside the image for a person to be followed.
MIN_KEYPOINTS_IN_FRAME = 8


def person_box(keypoints: np.ndarray, width: int, height: int) -> np.ndarray:
    """Box (x, y, w, h) pixels around the visible keypoints (33, 3), clipped to the image.

    Keypoints with visibility below :data:`BOX_VISIBILITY` are left out unless
    fewer than two are visible, then all are used.
    """
    visible = keypoints[:, 2] >= BOX_VISIBILITY
    pts = keypoints[visible, :2] if visible.sum() >= 2 else keypoints[:, :2]
    x0, y0 = np.clip(pts.min(0), 0, (width, height))
    x1, y1 = np.clip(pts.max(0), 0, (width, height))
    return np.array([x0, y0, x1 - x0, y1 - y0], dtype=np.float64)


def in_frame(pose: PoseLandmarks, width: int, height: int) -> bool:
    """True when the person is in the picture: hip centre inside it, with visible keypoints.

    A pose whose hips are beside or above the image (someone walking out of the
    picture) is not followed further; hips a little below the bottom edge are
    allowed (upper-body close-ups). At least :data:`MIN_KEYPOINTS_IN_FRAME`
    keypoints must be visible (visibility >= 0.5) inside the image.
    """
    hip = pose.auxiliary[0]
    if not (0 <= hip[0] < width and 0 <= hip[1] < height + 0.25 * pose.roi.size):
        return False
    k = pose.keypoints
    inside = ((k[:, 0] >= 0) & (k[:, 0] < width) & (k[:, 1] >= 0) & (k[:, 1] < height)
              & (k[:, 2] >= BOX_VISIBILITY))
    return int(inside.sum()) >= MIN_KEYPOINTS_IN_FRAME


def box_inside(a: np.ndarray, b: np.ndarray) -> float:
    """Share of box ``a``'s area (x, y, w, h) that lies inside box ``b``."""
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    area = a[2] * a[3]
    return float(ix * iy / area) if area > 0 else 0.0


def box_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two boxes (x, y, w, h)."""
    inter = box_inside(a, b) * a[2] * a[3]
    union = a[2] * a[3] + b[2] * b[3] - inter
    return float(inter / union) if union > 0 else 0.0


def same_person(a: PoseLandmarks, b: PoseLandmarks) -> bool:
    """True when two poses lie on the same person (two ROIs converged on one body).

    Either their keypoints coincide (median distance below
    :data:`DUPLICATE_DISTANCE` of the ROI side), or their hip centres do (a
    tenth of that) at the same scale -- one of the two readings may be garbled.
    """
    size = 0.5 * (a.roi.size + b.roi.size)
    dist = np.hypot(*(a.landmarks[:NUM_BODY, :2] - b.landmarks[:NUM_BODY, :2]).T)
    if float(np.median(dist)) < DUPLICATE_DISTANCE * size:
        return True
    hips = float(np.hypot(*(a.auxiliary[0] - b.auxiliary[0])))
    ratio = a.roi.size / b.roi.size
    return hips < 0.1 * size and 0.75 < ratio < 1.0 / 0.75


def remove_duplicates(poses: list[PoseLandmarks], order: Iterable[int]) -> list[int]:
    """Indices of ``poses`` to keep, visiting them in ``order`` (preferred first)."""
    kept: list[int] = []
    for i in order:
        if not any(same_person(poses[i], poses[k]) for k in kept):
            kept.append(i)
    return kept
