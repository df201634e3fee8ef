"""Metres per pixel from the athlete's own body and known standing height.

Method
------
For every frame where they are all visible, the pixel lengths of four segments
are added: shank (knee -> ankle) + thigh (hip -> knee), each the mean of the two
sides when both are visible, else the visible side, + trunk (mid_hip ->
mid_shoulder) + neck/head (mid_shoulder -> mid_eye). Segment *lengths* are used,
not vertical extents, so a crouch or a squat does not shorten them; only a
segment turned towards the camera is shortened (foreshortening), so the clip's
value is a high percentile (default the 90th) of the per-frame sums rather
than their mean.

Winter's anthropometric proportions (D. A. Winter, *Biomechanics and Motor
Control of Human Movement*, 4th ed., 2009, fig. 4.1, after Drillis and
Contini), as fractions of standing height H: ankle 0.039, knee 0.285, hip
(greater trochanter) 0.530, shoulder 0.818, eye 0.936. So shank 0.246 H, thigh
0.245 H, trunk 0.288 H and shoulder-to-eye 0.118 H: the chain measured is
:data:`CHAIN_FRACTION` = 0.897 of standing height (the rest is the ankle's
height above the floor and the skull above the eyes). Hence::

    m_per_px = CHAIN_FRACTION * height_m / percentile_90(chain_px)

Limits: one scale for the whole clip assumes the athlete stays at about the same
distance from the camera, and a lens's distortion is ignored; individual
proportions differ from Winter's averages by a few percent.
"""

from __future__ import annotations

import numpy as np

from analysis.angles import visible_mask
from analysis.errors import AnalysisError
from estimator.keypoints import KEYPOINT_INDEX

#: Fraction of standing height spanned by ankle -> knee -> hip -> shoulder -> eye.
CHAIN_FRACTION: float = (0.285 - 0.039) + (0.530 - 0.285) + (0.818 - 0.530) + (0.936 - 0.818)
MIN_HEIGHT_M: float = 0.5
MAX_HEIGHT_M: float = 2.6


def check_height(height_m: float) -> float:
    """The height as a float, or :class:`AnalysisError` if it cannot be metres."""
    try:
        h = float(height_m)
    except (TypeError, ValueError):
        msg = f"athlete height must be a number of metres, got {height_m!r}"
        raise AnalysisError(msg) from None
    if not MIN_HEIGHT_M <= h <= MAX_HEIGHT_M:
        raise AnalysisError(
            f"athlete height {h:g} m is not plausible: give it in metres "
            f"(between {MIN_HEIGHT_M} and {MAX_HEIGHT_M}, e.g. 1.75)"
        )
    return h


def _length(points: np.ndarray, valid: np.ndarray, a: str, b: str) -> np.ndarray:
    ia, ib = KEYPOINT_INDEX[a], KEYPOINT_INDEX[b]
    d = np.hypot(points[:, ib, 0] - points[:, ia, 0], points[:, ib, 1] - points[:, ia, 1])
    return np.where(valid[:, ia] & valid[:, ib], d, np.nan)


def _mid_length(
    points: np.ndarray, valid: np.ndarray, a: tuple[str, str], b: tuple[str, str]
) -> np.ndarray:
    """Length between the midpoint of pair a and the midpoint of pair b."""
    (a0, a1), (b0, b1) = [KEYPOINT_INDEX[n] for n in a], [KEYPOINT_INDEX[n] for n in b]
    d = 0.5 * (points[:, b0] + points[:, b1] - points[:, a0] - points[:, a1])
    ok = valid[:, a0] & valid[:, a1] & valid[:, b0] & valid[:, b1]
    return np.where(ok, np.hypot(d[:, 0], d[:, 1]), np.nan)


def _side_mean(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    both = np.stack([left, right])
    n = np.isfinite(both).sum(axis=0)
    with np.errstate(invalid="ignore"):
        return np.where(n > 0, np.nansum(both, axis=0) / np.maximum(n, 1), np.nan)


def body_chain_px(keypoints: np.ndarray, visibility_threshold: float = 0.5) -> np.ndarray:
    """Per-frame shank + thigh + trunk + neck/head length in pixels, shape (frames,).

    ``keypoints`` is (frames, 33, 3): x_px, y_px, visibility. NaN in frames where
    the trunk, the head or both legs are not visible enough.
    """
    kp = np.asarray(keypoints)
    pts, valid = kp[..., :2].astype(float), visible_mask(kp, visibility_threshold)
    legs = [
        _length(pts, valid, f"{s}_hip", f"{s}_knee")
        + _length(pts, valid, f"{s}_knee", f"{s}_ankle")
        for s in ("left", "right")
    ]
    trunk = _mid_length(pts, valid, ("left_hip", "right_hip"), ("left_shoulder", "right_shoulder"))
    head = _mid_length(pts, valid, ("left_shoulder", "right_shoulder"), ("left_eye", "right_eye"))
    return _side_mean(*legs) + trunk + head


def estimate_scale(
    keypoints: np.ndarray,
    height_m: float,
    visibility_threshold: float = 0.5,
    percentile: float = 90.0,
) -> float | None:
    """Metres per pixel for one track, from its body and the athlete's height.

    Parameters
    ----------
    keypoints
        Shape (frames, 33, 3): x_px, y_px, visibility.
    height_m
        Standing height in metres (0.5 to 2.6; anything else is an
        :class:`AnalysisError`, most likely centimetres).
    percentile
        Percentile of the per-frame chain lengths taken as the unbent length.

    Returns
    -------
    float or None
        Metres per pixel; None when no frame shows the legs, trunk and head.
    """
    h = check_height(height_m)
    chain = body_chain_px(keypoints, visibility_threshold)
    chain = chain[np.isfinite(chain) & (chain > 0)]
    if chain.size == 0:
        return None
    return CHAIN_FRACTION * h / float(np.percentile(chain, percentile))
