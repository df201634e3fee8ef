"""Keypoint trajectories: path, speed, acceleration and path length.

Positions are the pixel keypoints (image coordinates: x right, y down, origin at
the top-left corner), missing where the keypoint is not visible enough, cleaned
with the clip's :class:`~analysis.filtering.CleanSettings` (Hampel, gap
filling, zero-phase low-pass: differentiation amplifies noise, so speeds from
unfiltered keypoints are mostly jitter). With a scale (metres per pixel, see
:mod:`analysis.scale`) every length is in metres, same axes and origin.

Velocity and acceleration are the derivatives of position with respect to the
frames' real timestamps (``numpy.gradient``: central differences, second-order
accurate even for uneven spacing, one-sided at the ends of the track). A
derivative is missing next to a missing position. ``speed`` is the norm of the
velocity; ``acceleration`` the norm of the acceleration vector.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.angles import visible_mask
from analysis.errors import AnalysisError
from analysis.filtering import CleanSettings, clean_rows
from estimator.keypoints import KEYPOINT_NAMES, NUM_KEYPOINTS

TRAJECTORY_COLUMNS: tuple[str, ...] = (
    "frame", "time_s", "keypoint", "x", "y", "speed", "acceleration",
)
SUMMARY_COLUMNS: tuple[str, ...] = (
    "path_length", "mean_speed", "max_speed", "max_acceleration", "coverage",
)


@dataclass(frozen=True)
class Trajectories:
    """Trajectories of the 33 keypoints of one track.

    Attributes
    ----------
    frames
        Long table, one row per frame and keypoint (frames * 33 rows, frame
        major, keypoints in ``KEYPOINT_NAMES`` order), RangeIndex. Columns:
        ``frame`` (int, position in the track), ``time_s`` (float, s),
        ``keypoint`` (categorical of ``KEYPOINT_NAMES``), ``x``, ``y``
        (``unit``), ``speed`` (``unit``/s), ``acceleration`` (``unit``/s^2).
    summary
        Index ``keypoint`` (33 rows, ``KEYPOINT_NAMES`` order). Columns
        ``path_length`` (``unit``; sum of the steps between consecutive
        frames that both have a position, so a gap adds nothing),
        ``mean_speed``, ``max_speed`` (``unit``/s), ``max_acceleration``
        (``unit``/s^2), ``coverage`` (fraction of frames with a position).
    unit
        ``"px"`` or ``"m"``.
    """

    frames: pd.DataFrame
    summary: pd.DataFrame
    unit: str


def check_times(times: np.ndarray | None, n_frames: int, fps: float) -> np.ndarray:
    """Frame timestamps in seconds, shape (frames,), checked to increase strictly.

    Without ``times`` they are ``arange(n_frames) / fps``.
    """
    if times is None:
        if fps > 0:
            return np.arange(n_frames) / float(fps)
        if n_frames <= 1:
            return np.zeros(n_frames)
        raise AnalysisError("the clip has neither frame timestamps nor a frame rate")
    t = np.asarray(times, dtype=float).reshape(-1)
    if t.shape[0] != n_frames:
        raise AnalysisError(f"{t.shape[0]} timestamps for {n_frames} frames")
    if not np.isfinite(t).all():
        raise AnalysisError("some frame timestamps are missing")
    if n_frames > 1 and not (np.diff(t) > 0).all():
        raise AnalysisError("frame timestamps do not increase: the clip's timing is broken")
    return t


def keypoint_positions(keypoints: np.ndarray, visibility_threshold: float = 0.5) -> np.ndarray:
    """(frames, 33, 2) x, y in pixels (float64), NaN where the keypoint is not
    visible enough."""
    kp = np.asarray(keypoints)
    if kp.ndim != 3 or kp.shape[1:] != (NUM_KEYPOINTS, 3):
        raise AnalysisError(f"keypoints must have shape (frames, 33, 3), got {kp.shape}")
    pos = kp[..., :2].astype(float)
    pos[~visible_mask(kp, visibility_threshold)] = np.nan
    return pos


def derivative(values: np.ndarray, times: np.ndarray, axis: int = 0) -> np.ndarray:
    """d(values)/dt along ``axis`` (frames) with real timestamps; NaN when fewer
    than 2 frames."""
    if values.shape[axis] < 2:
        return np.full(values.shape, np.nan)
    return np.gradient(values, times, axis=axis)


def path_length(positions: np.ndarray) -> np.ndarray:
    """Length of each keypoint's path, (frames, K, D) -> (K,); gaps add nothing."""
    if positions.shape[0] < 2:
        return np.zeros(positions.shape[1])
    d = np.diff(positions, axis=0)
    steps = np.sqrt(sum(d[..., i] ** 2 for i in range(d.shape[-1])))
    return np.where(np.isfinite(steps), steps, 0.0).sum(axis=0)


def _path_length_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """:func:`path_length` of keypoints given as (K, frames) x and y rows."""
    if x.shape[1] < 2:
        return np.zeros(x.shape[0])
    steps = np.sqrt(np.diff(x, axis=1) ** 2 + np.diff(y, axis=1) ** 2)
    return np.where(np.isfinite(steps), steps, 0.0).sum(axis=1)


def _row_mean(v: np.ndarray) -> np.ndarray:
    """Mean of each row ignoring NaN; NaN (no warning) for a row without values."""
    ok = np.isfinite(v)
    n = ok.sum(axis=1)
    total = np.where(ok, v, 0.0).sum(axis=1)
    return np.where(n > 0, total / np.maximum(n, 1), np.nan)


def _row_max(v: np.ndarray) -> np.ndarray:
    """Max of each row ignoring NaN; NaN (no warning) for a row without values."""
    ok = np.isfinite(v)
    top = np.where(ok, v, -np.inf).max(axis=1, initial=-np.inf)
    return np.where(ok.any(axis=1), top, np.nan)


def compute_trajectories(
    keypoints: np.ndarray,
    times: np.ndarray | None,
    fps: float,
    settings: CleanSettings | None = None,
    scale_m_per_px: float | None = None,
) -> Trajectories:
    """Paths, speeds, accelerations and path lengths of all 33 keypoints.

    Parameters
    ----------
    keypoints
        Shape (frames, 33, 3): x_px, y_px, visibility.
    times
        Shape (frames,): timestamps in seconds (None: ``arange / fps``).
    fps
        The clip's frame rate, for the clean-up filters.
    settings
        Clean-up applied to the positions (default :class:`CleanSettings`).
    scale_m_per_px
        When given, positions, speeds and accelerations are in metres.
    """
    settings = settings or CleanSettings()
    kp = np.asarray(keypoints)
    if kp.ndim != 3 or kp.shape[1:] != (NUM_KEYPOINTS, 3):
        raise AnalysisError(f"keypoints must have shape (frames, 33, 3), got {kp.shape}")
    f, k = kp.shape[0], NUM_KEYPOINTS
    t = check_times(times, f, fps)
    # Signals as rows, contiguous in time: the 33 x rows, then the 33 y rows.
    hidden = ~visible_mask(kp, settings.visibility_threshold).T
    rows = np.empty((2 * k, f))
    rows[:k], rows[k:] = kp[..., 0].T, kp[..., 1].T
    rows[:k][hidden] = np.nan
    rows[k:][hidden] = np.nan
    rows, _, _ = clean_rows(rows, fps, settings)
    unit = "px"
    if scale_m_per_px is not None:
        rows *= float(scale_m_per_px)
        unit = "m"
    vel = derivative(rows, t, axis=1)
    acc = derivative(vel, t, axis=1)
    x, y = rows[:k], rows[k:]  # (33, frames)
    speed = np.sqrt(vel[:k] ** 2 + vel[k:] ** 2)
    accel = np.sqrt(acc[:k] ** 2 + acc[k:] ** 2)

    # One float block built in place (pandas would otherwise copy columns together),
    # frame-major: row f * 33 + j is keypoint j in frame f.
    block = np.empty((f * k, 5))
    block[:, 0] = np.repeat(t, k)
    for i, v in enumerate((x, y, speed, accel), start=1):
        block[:, i] = v.T.reshape(-1)
    frames = pd.DataFrame(block, columns=["time_s", "x", "y", "speed", "acceleration"], copy=False)
    frames.insert(0, "frame", np.repeat(np.arange(f, dtype=np.int64), k))
    frames.insert(
        2,
        "keypoint",
        pd.Categorical.from_codes(
            np.tile(np.arange(k, dtype=np.int8), f), categories=list(KEYPOINT_NAMES)
        ),
    )
    seen = np.isfinite(x)
    summary = pd.DataFrame(
        {
            "path_length": _path_length_rows(x, y),
            "mean_speed": _row_mean(speed),
            "max_speed": _row_max(speed),
            "max_acceleration": _row_max(accel),
            "coverage": seen.mean(axis=1) if f else np.zeros(k),
        },
        index=pd.Index(KEYPOINT_NAMES, name="keypoint"),
    )
    return Trajectories(frames=frames, summary=summary, unit=unit)
