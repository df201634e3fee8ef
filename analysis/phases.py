"""Ranges of motion and peak angular velocities per phase of a jump or a repetition.

Phases
------
- A jump (a row of :func:`analysis.jumps.find_jumps` with status ``ok``): ``take-off``
  (propulsion) from the hips' lowest point in the second before take-off (the bottom of
  the countermovement; take-off minus 0.3 s when the hips are not seen; never before the
  previous jump's landing) to take-off;
  ``flight`` from take-off to landing; ``landing`` (absorption) from landing to the hips'
  lowest point in the second after it (landing plus 0.3 s when not seen).
- A repetition (a row of :func:`analysis.repetitions.detect_repetitions`): start -> peak
  and peak -> end of the counted angle, named ``down`` / ``up`` when the hips go down /
  up by more than 5 % of the leg's length over it (a squat), else ``to peak`` /
  ``from peak`` (an arm raise, a curl: the hips stay put).

For each phase and joint angle (DESIGN.md: knees, hips, ankles, elbows, shoulders, and
``trunk_lean``): ROM = max - min over the phase (degrees), and the peak angular velocity:
the largest |d angle / dt| (central differences on the cleaned angles and the real
timestamps), signed (positive: the angle grows, i.e. flexing), in degrees per second.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.angles import visible_mask
from analysis.jumps import leg_length_px
from estimator.keypoints import KEYPOINT_INDEX

PHASE_COLUMNS: tuple[str, ...] = (
    "event", "number", "phase", "start_frame", "end_frame", "start_s", "end_s", "angle",
    "rom_deg", "peak_velocity_deg_s", "peak_velocity_frame",
)
JOINTS = ("knee", "hip", "ankle", "elbow", "shoulder")
SEARCH_S = 1.0  # how far the hips' lowest point is looked for around take-off and landing
FALLBACK_S = 0.3
HIP_MOVE_LEG = 0.05


def empty_phases() -> pd.DataFrame:
    """A phases table with no rows and the right columns and dtypes."""
    text, ints = ("event", "phase", "angle"), ("number", "start_frame", "end_frame",
                                               "peak_velocity_frame")
    return pd.DataFrame({c: pd.Series(dtype=object if c in text else
                                      "int64" if c in ints else float)
                         for c in PHASE_COLUMNS})


def phase_angles(columns: pd.Index | list[str]) -> list[str]:
    """The joint angles (2D) and trunk lean among ``columns``, in DESIGN.md's order."""
    wanted = [f"{s}_{j}" for j in JOINTS for s in ("left", "right")] + ["trunk_lean"]
    return [n for n in wanted if n in set(columns)]


def _hip_y(keypoints: np.ndarray, visibility_threshold: float) -> np.ndarray:
    """(F,) image y of mid_hip (or the hip seen), NaN where neither is seen."""
    ids = [KEYPOINT_INDEX["left_hip"], KEYPOINT_INDEX["right_hip"]]
    valid = visible_mask(keypoints, visibility_threshold)[:, ids]
    y = np.where(valid, np.asarray(keypoints, dtype=float)[:, ids, 1], np.nan)
    with np.errstate(invalid="ignore"), np.testing.suppress_warnings() as w:
        w.filter(RuntimeWarning)
        return np.nanmean(y, axis=1)


def _lowest(hip: np.ndarray, t: np.ndarray, lo_s: float, hi_s: float, fallback_s: float
            ) -> int:
    """Frame of the hips' lowest point (largest image y) with time in [lo_s, hi_s]; the
    frame nearest ``fallback_s`` when they are not seen there."""
    inside = np.flatnonzero((t >= lo_s) & (t <= hi_s) & np.isfinite(hip))
    if inside.size:
        return int(inside[np.argmax(hip[inside])])
    return int(np.clip(np.searchsorted(t, fallback_s), 0, len(t) - 1))


def _velocity(angles: pd.DataFrame, t: np.ndarray) -> np.ndarray:
    """(F, A) degrees per second, NaN where a neighbour is missing."""
    values = angles.to_numpy(dtype=float)
    if len(values) < 3:
        return np.full(values.shape, np.nan)
    out = np.full(values.shape, np.nan)
    out[1:-1] = (values[2:] - values[:-2]) / (t[2:] - t[:-2])[:, None]
    return out


def _rows(event: str, number: int, phase: str, start: int, end: int, t: np.ndarray,
          angles: pd.DataFrame, velocity: np.ndarray, names: list[str]) -> list[dict]:
    rows = []
    lo, hi = min(start, end), max(start, end)
    for name in names:
        j = angles.columns.get_loc(name)
        values = angles[name].to_numpy(dtype=float)[lo:hi + 1]
        speed = velocity[lo:hi + 1, j]
        seen = np.isfinite(values)
        moving = np.isfinite(speed)
        peak = int(np.argmax(np.abs(np.where(moving, speed, -np.inf)))) if moving.any() else -1
        rows.append({
            "event": event, "number": int(number), "phase": phase,
            "start_frame": int(lo), "end_frame": int(hi),
            "start_s": float(t[lo]), "end_s": float(t[hi]), "angle": name,
            "rom_deg": float(values[seen].max() - values[seen].min()) if seen.any() else np.nan,
            "peak_velocity_deg_s": float(speed[peak]) if peak >= 0 else np.nan,
            "peak_velocity_frame": int(lo + peak) if peak >= 0 else -1,
        })
    return rows


def phase_metrics(
    angles: pd.DataFrame,
    times: np.ndarray,
    keypoints: np.ndarray,
    jumps: pd.DataFrame,
    repetitions: pd.DataFrame,
    visibility_threshold: float = 0.5,
) -> pd.DataFrame:
    """Per phase of every jump and repetition, per joint angle: ROM and peak velocity.

    Parameters
    ----------
    angles
        (F, A) cleaned angles in degrees, index position 0..F-1.
    times
        (F,) seconds.
    keypoints
        (F, 33, 3) x_px, y_px, visibility: the hips mark where phases start and end.
    jumps, repetitions
        The track's tables (frames are positions; ``takeoff_s`` / ``landing_s`` seconds).

    Returns
    -------
    pandas.DataFrame
        Long table, columns :data:`PHASE_COLUMNS`: ``event`` (``jump`` / ``repetition``),
        ``number`` (the jump's or repetition's own number), ``phase``, its frames and
        times, ``angle``, ``rom_deg``, ``peak_velocity_deg_s``, ``peak_velocity_frame``.
    """
    t = np.asarray(times, dtype=float)
    names = phase_angles(angles.columns)
    if not names or len(t) < 3:
        return empty_phases()
    velocity = _velocity(angles, t)
    hip = _hip_y(keypoints, visibility_threshold)
    rows: list[dict] = []
    ok = jumps[jumps["status"] == "ok"].reset_index(drop=True)
    for i, jump in enumerate(ok.itertuples(index=False)):
        takeoff = int(jump.takeoff_frame)
        landing = int(jump.landing_frame)
        # Not into the jump before or after (repeated hops).
        since = ok["landing_s"].iloc[i - 1] if i > 0 else -np.inf
        until = ok["takeoff_s"].iloc[i + 1] if i + 1 < len(ok) else np.inf
        bottom = _lowest(hip, t, max(jump.takeoff_s - SEARCH_S, since), jump.takeoff_s,
                         max(jump.takeoff_s - FALLBACK_S, since))
        settle = _lowest(hip, t, jump.landing_s, min(jump.landing_s + SEARCH_S, until),
                         min(jump.landing_s + FALLBACK_S, until))
        for phase, start, end in (("take-off", bottom, max(takeoff - 1, bottom)),
                                  ("flight", takeoff, max(landing - 1, takeoff)),
                                  ("landing", landing, max(settle, landing))):
            rows += _rows("jump", jump.jump, phase, start, end, t, angles, velocity, names)
    leg = leg_length_px(np.asarray(keypoints, dtype=float), visibility_threshold)
    for rep in repetitions.itertuples(index=False):
        bounds = (int(rep.start_frame), int(rep.peak_frame), int(rep.end_frame))
        for (start, end), default in zip(((bounds[0], bounds[1]), (bounds[1], bounds[2])),
                                         ("to peak", "from peak"), strict=True):
            drop = hip[end] - hip[start]  # image y down: positive = the hips went down
            if np.isfinite(drop) and np.isfinite(leg) and abs(drop) > HIP_MOVE_LEG * leg:
                phase = "down" if drop > 0 else "up"
            else:
                phase = default
            rows += _rows("repetition", rep.rep, phase, start, end, t, angles, velocity,
                          names)
    if not rows:
        return empty_phases()
    return pd.DataFrame(rows, columns=list(PHASE_COLUMNS))
