"""Two clips played together: which frame of B goes with each frame of A, and where B's
skeleton goes when drawn as a ghost over A.

Phase mapping. Frames of A and B that are the same moment of the movement are *anchors*
(pairs of clip frames): each repetition's start, peak and end (the repetitions paired in
order: A's first with B's first...), or the key frames a coach marked (paired in order),
or, for whole clips, nothing but the clips' ends. Between anchors time is stretched
linearly, which is exactly the 0-100 % time axis of :mod:`analysis.comparison` within a
repetition or a clip, and A's deepest point lands on B's deepest. Before the first
anchor and after the last, the clips' first and last frames are paired too (when that
keeps time running forwards), so the whole of A has a frame of B.

Ghost. B's skeleton is scaled by the ratio of the two athletes' body sizes (the median
torso length, mid-hip to mid-shoulder, over the clip; the leg, mid-hip to mid-ankle,
when the torso is never seen) and moved so that its mid-hip sits on A's mid-hip, frame
by frame. Distances are in the clips' pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.errors import AnalysisError
from estimator import KEYPOINT_INDEX

VISIBLE = 0.5
ALIGN_MODES = ("repetition", "clip", "key_frames")
_REP_ANCHORS = ("start_frame", "peak_frame", "end_frame")


@dataclass(frozen=True)
class PhaseSync:
    """A's frames mapped onto B's.

    ``b_of_a``: (n_a,) int, the frame of B shown with each frame of A (never decreasing);
    ``anchors``: (K, 2) int, the (frame of A, frame of B) pairs aligned exactly;
    ``by``: one of :data:`ALIGN_MODES`.
    """

    b_of_a: np.ndarray
    anchors: np.ndarray
    by: str


def repetition_anchors(reps_a: pd.DataFrame, reps_b: pd.DataFrame,
                       frames_a: np.ndarray, frames_b: np.ndarray) -> np.ndarray:
    """(K, 2) clip frames of A and B at the start, peak and end of each repetition pair.

    ``reps_*``: repetition tables (``start_frame``, ``peak_frame``, ``end_frame`` are
    positions in the track); ``frames_*``: (F,) the clip frame of each track position.
    """
    n = min(len(reps_a), len(reps_b))
    pairs = []
    for k in range(n):
        for col in _REP_ANCHORS:
            pa, pb = int(reps_a[col].iloc[k]), int(reps_b[col].iloc[k])
            pairs.append((int(frames_a[min(pa, len(frames_a) - 1)]),
                          int(frames_b[min(pb, len(frames_b) - 1)])))
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def key_frame_anchors(keys_a: Sequence[int], keys_b: Sequence[int]) -> np.ndarray:
    """(K, 2) the coach's key frames of A and B paired in order (K = the fewer of them)."""
    a, b = sorted(int(k) for k in keys_a), sorted(int(k) for k in keys_b)
    n = min(len(a), len(b))
    return np.array(list(zip(a[:n], b[:n], strict=True)), dtype=np.int64).reshape(-1, 2)


def _monotonic(anchors: np.ndarray) -> np.ndarray:
    """Anchors sorted by A, keeping only those after the previous kept one in both clips
    (a pair out of order cannot be played forwards)."""
    kept: list[tuple[int, int]] = []
    for a, b in sorted(map(tuple, anchors.tolist())):
        if not kept or (a > kept[-1][0] and b > kept[-1][1]):
            kept.append((int(a), int(b)))
    return np.array(kept, dtype=np.int64).reshape(-1, 2)


def frame_map(n_a: int, n_b: int, anchors: np.ndarray, by: str = "clip") -> PhaseSync:
    """Map every frame 0..n_a-1 of A to a frame of B through ``anchors`` (K, 2).

    Piecewise linear between anchors, rounded to the nearest frame; the clips' first and
    last frames are anchors too where they keep both clips running forwards.
    """
    if n_a < 1 or n_b < 1:
        raise AnalysisError("both clips need frames to be played together")
    if by not in ALIGN_MODES:
        raise AnalysisError(f"align by {', '.join(ALIGN_MODES)}, not {by!r}")
    inner = np.asarray(anchors, dtype=np.int64).reshape(-1, 2)
    inner = inner[(inner[:, 0] >= 0) & (inner[:, 0] < n_a) & (inner[:, 1] >= 0)
                  & (inner[:, 1] < n_b)]
    points = _monotonic(inner)
    if len(points) == 0 or (points[0, 0] > 0 and points[0, 1] > 0):
        points = np.vstack([[[0, 0]], points])
    if points[-1, 0] < n_a - 1 and points[-1, 1] < n_b - 1:
        points = np.vstack([points, [[n_a - 1, n_b - 1]]])
    if len(points) == 1:  # one frame in either clip
        b_of_a = np.full(n_a, points[0, 1], dtype=np.int64)
    else:
        b_of_a = np.interp(np.arange(n_a), points[:, 0], points[:, 1])
        b_of_a = np.clip(np.floor(b_of_a + 0.5), 0, n_b - 1).astype(np.int64)
    return PhaseSync(b_of_a=b_of_a, anchors=points, by=by)


def phase_percent(n_frames: int, spans: np.ndarray | None) -> np.ndarray:
    """(n_frames,) percent of the movement at each clip frame: 0-100 % of the whole clip
    (``spans`` None) or of the repetition the frame is in (``spans`` (R, 2) inclusive
    first and last clip frames), NaN outside every repetition. The x of the comparison
    charts' cursor."""
    out = np.full(n_frames, np.nan)
    if spans is None:
        return np.linspace(0.0, 100.0, n_frames) if n_frames > 1 else np.zeros(n_frames)
    for start, end in np.asarray(spans, dtype=np.int64).reshape(-1, 2):
        lo, hi = max(int(start), 0), min(int(end), n_frames - 1)
        if hi < lo:
            continue
        idx = np.arange(lo, hi + 1)
        out[idx] = 100.0 * (idx - start) / max(int(end) - int(start), 1)
    return out


def _mid(kp: np.ndarray, left: str, right: str) -> np.ndarray:
    """(F, 2) midpoint of two keypoints, NaN where either is not visible; ``kp`` (F, 33, 3)."""
    pair = kp[:, [KEYPOINT_INDEX[left], KEYPOINT_INDEX[right]]]
    seen = (pair[..., 2] >= VISIBLE) & np.isfinite(pair[..., :2]).all(axis=-1)
    mid = pair[..., :2].mean(axis=1)
    mid[~seen.all(axis=1)] = np.nan
    return mid


def body_size(keypoints: np.ndarray) -> float:
    """The athlete's size in pixels: median torso length (mid-hip to mid-shoulder) over the
    frames it is seen in, else the median leg (mid-hip to mid-ankle). ``keypoints``
    (F, 33, 3) x, y, visibility. NaN when neither is ever seen."""
    kp = np.asarray(keypoints, dtype=float)
    hip = _mid(kp, "left_hip", "right_hip")
    for other in (_mid(kp, "left_shoulder", "right_shoulder"),
                  _mid(kp, "left_ankle", "right_ankle")):
        length = np.linalg.norm(other - hip, axis=1)
        length = length[np.isfinite(length) & (length > 0)]
        if len(length):
            return float(np.median(length))
    return float("nan")


def ghost_keypoints(kp_a: np.ndarray, kp_b: np.ndarray, b_of_a: np.ndarray) -> np.ndarray:
    """B's skeleton placed over A, for every frame of A: (F_a, 33, 3) x, y, visibility.

    ``kp_a`` (F_a, 33, 3) and ``kp_b`` (F_b, 33, 3): each clip's keypoints per clip frame
    (pixels; visibility 0 or NaN where absent); ``b_of_a`` (F_a,) frames of B. B's pose
    at ``b_of_a[i]`` is scaled by ``body_size(A) / body_size(B)`` about its mid-hip and
    moved onto A's mid-hip of frame ``i``; visibility 0 where either mid-hip is missing.
    """
    kp_a, kp_b = np.asarray(kp_a, dtype=float), np.asarray(kp_b, dtype=float)
    size_a, size_b = body_size(kp_a), body_size(kp_b)
    if not (np.isfinite(size_a) and np.isfinite(size_b)):
        raise AnalysisError("the ghost needs the hips and shoulders (or ankles) seen in "
                            "both clips")
    scale = size_a / size_b
    b = kp_b[np.asarray(b_of_a, dtype=np.int64)]
    hip_a, hip_b = _mid(kp_a, "left_hip", "right_hip"), _mid(b, "left_hip", "right_hip")
    out = np.empty_like(b)
    out[..., :2] = (b[..., :2] - hip_b[:, None]) * scale + hip_a[:, None]
    out[..., 2] = np.nan_to_num(b[..., 2])
    lost = ~(np.isfinite(hip_a).all(axis=1) & np.isfinite(hip_b).all(axis=1))
    out[lost, :, 2] = 0.0
    return out
