"""Jumps found from the feet: take-off, landing, flight time and jump height.

Method (the flight-time method of contact mats, OptoJump and My Jump, read from video)
--------------------------------------------------------------------------------------
1. The feet: the ankle, heel and foot_index of each side, image y in pixels (down), NaN
   where not visible enough. Thresholds are fractions of the athlete's leg length in
   pixels (hip -> knee -> ankle, median over the clip), so they do not depend on the
   resolution or the distance to the camera.
2. Ground level, for each of the six points and each frame: the 90th percentile of its
   y (the lowest positions) over the ``ground_window_s`` before the frame, and separately
   over the window after it. A point's clearance is its height above *both* levels (the
   smaller): levels are local in time, so an athlete walking towards the camera or across
   a tilted frame keeps a ground under their feet; a drop from a box is not a flight above
   the box's level and a jump onto a box is refused (the two levels differ, see 6).
3. A foot's clearance is that of its lowest point (a heel raised on the toes is still on
   the ground); the body's is the lower foot's, or the one foot seen when the other is
   hidden (the far foot in a side view). Off the ground: clearance above
   ``max(noise_factor * noise, min_clearance_leg * leg)``, the noise measured on the
   feet's own frame-to-frame jitter (robust second differences).
4. A flight: frames off the ground in a row, whose clearance peaks at least
   ``min_rise_leg`` of the leg (smaller lifts are shuffles or jitter, not jumps; gaps of
   a few frames where no foot is seen are bridged). ``takeoff_frame`` is its first frame
   (both feet off the ground) and ``landing_frame`` the first frame back on the ground:
   what a coach picks frame by frame in My Jump.
5. Sub-frame timing: the clearance of the first two frames in the air is extrapolated
   back to zero (take-off), that of the last two forward to zero (landing), each kept
   within the frame interval where the crossing can lie. Flight time ``T`` = landing -
   take-off; jump height ``h = g T^2 / 8`` (the centre of mass rises for ``T/2`` from the
   take-off velocity ``g T/2``), valid when landing at the take-off level with the same
   posture.
6. Refused, with the reason, never reported as a height: a flight shorter than 0.1 s or
   longer than 1.2 s (no jump: tracking lost, a step, a drop), the feet not seen just
   before take-off or just after landing, the clip starting or ending in the air, landing
   at another level than the take-off.
7. Resolution: one frame, ``dt = 1/fps`` (17 ms at 60 fps); the height's follows as
   ``dh = g (2 T dt + dt^2) / 8``, about ``g T dt / 4`` (2 cm for a 0.5 s flight at
   60 fps).
8. With a scale (the athlete's height known, :mod:`analysis.scale`), a second estimate:
   the hip's (mid_hip) rise in metres from its position at take-off to the apex of a
   parabola fitted to it through the flight.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.angles import visible_mask
from estimator.keypoints import KEYPOINT_INDEX

G = 9.81  # m/s^2
SIDES = ("left", "right")
FOOT_POINTS = ("ankle", "heel", "foot_index")
JUMP_COLUMNS: tuple[str, ...] = (
    "jump", "status", "reason", "takeoff_frame", "landing_frame", "takeoff_s", "landing_s",
    "flight_s", "height_m", "resolution_s", "height_resolution_m", "hip_rise_m", "feet",
)
_TEXT_COLUMNS = ("status", "reason", "feet")
# Without the athlete's height, pixels to metres for the hips' fall only, from the leg
# (hip -> ankle is 0.491 of standing height, Winter) of an adult of typical height.
LEG_FRACTION, TYPICAL_HEIGHT_M = 0.491, 1.70
G_RANGE = (0.4, 2.0)  # the hips' downward acceleration in flight, as multiples of g
_INT_COLUMNS = ("jump", "takeoff_frame", "landing_frame")


@dataclass(frozen=True)
class JumpSettings:
    """How jumps are found (lengths as fractions of the athlete's leg length)."""

    ground_window_s: float = 2.0
    ground_percentile: float = 90.0
    noise_factor: float = 4.0
    min_clearance_leg: float = 0.02  # about 2 cm: off the ground above this
    min_rise_leg: float = 0.05  # about 4 cm: the feet must rise this high to be a jump
    max_level_change_leg: float = 0.08  # take-off and landing ground levels
    max_gap_s: float = 0.1  # frames with no foot seen bridged inside a flight
    min_foot_coverage: float = 0.5  # of the frames the person is seen
    min_flight_s: float = 0.10
    max_flight_s: float = 1.20


@dataclass(frozen=True)
class JumpResult:
    """``table``: one row per flight found (:data:`JUMP_COLUMNS`), ``status`` ``"ok"`` or
    ``"refused"`` with the ``reason``; frames are positions in the track's arrays, times
    seconds. ``note``: why jumps were not looked for at all ("" when they were)."""

    table: pd.DataFrame
    note: str = ""


def empty_jumps() -> pd.DataFrame:
    """A jumps table with no rows and the right columns and dtypes."""
    return pd.DataFrame({
        c: pd.Series(dtype=object if c in _TEXT_COLUMNS else
                     "int64" if c in _INT_COLUMNS else float)
        for c in JUMP_COLUMNS
    })


def leg_length_px(keypoints: np.ndarray, visibility_threshold: float = 0.5) -> float:
    """Median hip -> knee -> ankle length in pixels over the frames (mean of the sides
    seen); NaN when no leg is ever seen whole. ``keypoints`` (F, 33, 3)."""
    pts, valid = keypoints[..., :2].astype(float), visible_mask(keypoints, visibility_threshold)
    sides = []
    for s in SIDES:
        ids = [KEYPOINT_INDEX[f"{s}_{n}"] for n in ("hip", "knee", "ankle")]
        length = (np.linalg.norm(pts[:, ids[0]] - pts[:, ids[1]], axis=-1)
                  + np.linalg.norm(pts[:, ids[1]] - pts[:, ids[2]], axis=-1))
        sides.append(np.where(valid[:, ids].all(axis=1), length, np.nan))
    with np.errstate(invalid="ignore"), np.testing.suppress_warnings() as w:
        w.filter(RuntimeWarning)
        per_frame = np.nanmean(np.stack(sides), axis=0)
    per_frame = per_frame[np.isfinite(per_frame)]
    return float(np.median(per_frame)) if per_frame.size else float("nan")


def _noise_px(y: np.ndarray) -> float:
    """Robust frame-to-frame jitter of (F, P) positions: MAD of second differences / sqrt 6."""
    d2 = np.diff(y, n=2, axis=0).ravel()
    d2 = d2[np.isfinite(d2)]
    if d2.size < 5:
        return 0.0
    return float(1.4826 * np.median(np.abs(d2 - np.median(d2))) / np.sqrt(6.0))


def _ground(y: np.ndarray, window: int, percentile: float) -> tuple[np.ndarray, np.ndarray]:
    """Ground levels (F, P) of each column of ``y`` (F, P) from the ``window`` frames before
    each frame and from those after it (the frame itself in both)."""
    df = pd.DataFrame(y)
    q = percentile / 100.0
    # At the clip's ends a window holds a few frames only: the frame itself is then its
    # own ground (so a clip ending in the air is grounded by its last frames: not measured).
    before = df.rolling(window, min_periods=1).quantile(q).to_numpy()
    after = df.iloc[::-1].rolling(window, min_periods=1).quantile(q).iloc[::-1].to_numpy()
    return before, after


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of each run of True."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def _state(clearance: np.ndarray, threshold: float, max_gap: int) -> np.ndarray:
    """(F,) 1 in the air, 0 on the ground, -1 unknown (no foot seen); unknown stretches of at
    most ``max_gap`` frames with the air on both sides count as air."""
    with np.errstate(invalid="ignore"):
        state = np.where(np.isfinite(clearance), (clearance > threshold).astype(np.int8), -1)
    for start, stop in _runs(state == -1):
        if (stop - start <= max_gap and start > 0 and stop < len(state)
                and state[start - 1] == 1 and state[stop] == 1):
            state[start:stop] = 1
    return state


def _edge_time(t: np.ndarray, s: np.ndarray, frames: np.ndarray, bounds: tuple) -> float:
    """Time where the clearance ``s`` reaches 0, extrapolated by a straight line fitted to
    ``frames`` (in the air, the first one next to the contact), kept within ``bounds``."""
    lo, hi = bounds
    frames = frames[(frames >= 0) & (frames < len(s))]
    frames = frames[np.isfinite(s[frames])]
    if frames.size >= 2:
        slope, offset = np.polyfit(t[frames], s[frames], 1)
        # rising away from the ground after take-off, falling towards it before landing
        if slope * (frames[-1] - frames[0]) * (t[frames[-1]] - t[frames[0]]) != 0 and (
                slope > 0) == (frames[-1] > frames[0]):
            return float(np.clip(-offset / slope, lo, hi))
    return float(np.clip(t[frames[0]] if frames.size else lo, lo, hi))


def _hip_flight(keypoints: np.ndarray, valid: np.ndarray, t: np.ndarray, a: int, b: int,
                t0: float, t1: float) -> tuple[float, float]:
    """The mid_hip through the flight frames [a, b): (rise in pixels from take-off ``t0`` to
    the apex, its downward acceleration in px/s^2), both read on a parabola fitted to its
    image y (the hip is moving fast at take-off: a straight line across it would start it
    too high); NaNs where the hips are seen in fewer than four flight frames."""
    ids = [KEYPOINT_INDEX["left_hip"], KEYPOINT_INDEX["right_hip"]]
    y = np.where(valid[:, ids], keypoints[:, ids, 1], np.nan)
    with np.errstate(invalid="ignore"), np.testing.suppress_warnings() as w:
        w.filter(RuntimeWarning)
        hip = np.nanmean(y, axis=1)
    inside = np.arange(a, b)[np.isfinite(hip[a:b])]
    if inside.size < 4:
        return float("nan"), float("nan")
    A, B, C = np.polyfit(t[inside] - t0, hip[inside], 2)  # image y down: A > 0
    if A <= 0:
        return float("nan"), float(2 * A)
    apex = float(np.clip(-B / (2 * A), 0.0, t1 - t0))
    return float(C - (A * apex * apex + B * apex + C)), float(2 * A)


def find_jumps(
    keypoints: np.ndarray,
    times: np.ndarray,
    fps: float,
    scale_m_per_px: float | None = None,
    visibility_threshold: float = 0.5,
    settings: JumpSettings | None = None,
) -> JumpResult:
    """Jumps of one track (see the module's docstring).

    Parameters
    ----------
    keypoints
        (F, 33, 3): x_px, y_px, visibility, NaN rows where the person is absent; one row
        per frame of the clip.
    times
        (F,) seconds, increasing.
    fps
        Frame rate (0: a photo, no jumps).
    scale_m_per_px
        Metres per pixel, for the hip's rise (None: ``hip_rise_m`` NaN).
    """
    settings = settings or JumpSettings()
    kp = np.asarray(keypoints, dtype=float)
    t = np.asarray(times, dtype=float)
    n = len(kp)
    if fps <= 0 or n < 4:
        return JumpResult(empty_jumps())
    valid = visible_mask(kp, visibility_threshold)
    ids = [KEYPOINT_INDEX[f"{s}_{p}"] for s in SIDES for p in FOOT_POINTS]
    y = np.where(valid[:, ids], kp[:, ids, 1], np.nan)  # (F, 6): left then right foot
    present = np.isfinite(kp[..., :2]).any(axis=(1, 2))
    seen = np.isfinite(y).any(axis=1)
    if present.sum() == 0:
        return JumpResult(empty_jumps())
    coverage = seen[present].mean()
    if coverage < settings.min_foot_coverage:
        return JumpResult(empty_jumps(), f"feet seen in only {coverage:.0%} of the frames: "
                          "jumps were not looked for")
    leg = leg_length_px(kp, visibility_threshold)
    if not np.isfinite(leg) or leg <= 0:
        return JumpResult(empty_jumps(), "no frame shows a whole leg: jumps were not "
                          "looked for")

    window = max(4, int(round(settings.ground_window_s * fps)))
    before, after = _ground(y, window, settings.ground_percentile)
    with np.errstate(invalid="ignore"):
        point = np.fmin(before - y, after - y)  # height above the ground, px, up positive
    threshold = max(settings.noise_factor * _noise_px(y), settings.min_clearance_leg * leg)
    state = _state(_body(point), threshold, int(round(settings.max_gap_s * fps)))
    scale = scale_m_per_px if scale_m_per_px and np.isfinite(scale_m_per_px) else None

    rows = []
    for a, b in _runs(state == 1):
        found = _flight(y, state, t, fps, a, b, threshold, leg, settings)
        if found is None:
            continue
        t0, t1, level, feet, reasons = found
        flight = t1 - t0
        if flight < settings.min_flight_s:
            reasons.append(f"a flight of {flight:.2f} s is shorter than "
                           f"{settings.min_flight_s:g} s: too short to be measured as a jump")
        elif flight > settings.max_flight_s:
            reasons.append(f"a flight of {flight:.2f} s is longer than any jump "
                           f"({settings.max_flight_s:g} s): the feet were lost or it was a drop")
        if abs(level) > settings.max_level_change_leg * leg:
            size = (f"{abs(level) * scale * 100:.0f} cm" if scale
                    else f"{abs(level) / leg:.0%} of the leg's length")
            where = "below" if level > 0 else "above"
            reasons.append(f"landed {size} {where} the take-off level: the flight-time "
                           "height holds only for a landing at the take-off level")
        # A body in flight falls at g: its hips too (within what arms and legs moving
        # about the centre of mass, and the scale, allow).
        rise_px, fall = _hip_flight(kp, valid, t, a, b, t0, t1)
        metres = scale or LEG_FRACTION * TYPICAL_HEIGHT_M / leg
        if np.isfinite(fall) and not G_RANGE[0] <= fall * metres / G <= G_RANGE[1]:
            if feet != "both" and not reasons:
                continue  # a walking step with the other foot hidden: nothing to report
            reasons.append(f"the hips do not fall as in a flight ({fall * metres:.1f} m/s² "
                           f"against {G:g})")
        ok = not reasons
        resolution = 1.0 / fps
        rows.append({
            "jump": len(rows) + 1,
            "status": "ok" if ok else "refused",
            "reason": "; ".join(reasons),
            # first frame in the air, first frame back on the ground (as timed)
            "takeoff_frame": int(min(np.searchsorted(t, t0), n - 1)),
            "landing_frame": int(min(np.searchsorted(t, t1), n - 1)),
            "takeoff_s": t0,
            "landing_s": t1,
            "flight_s": flight,
            "height_m": G * flight**2 / 8 if ok else np.nan,
            "resolution_s": resolution,
            # the height's change for a flight one frame longer: g (2 T dt + dt^2) / 8
            "height_resolution_m": (G * resolution * (2 * flight + resolution) / 8
                                    if ok else np.nan),
            "hip_rise_m": rise_px * scale if ok and scale else np.nan,
            "feet": feet,
        })
    if not rows:
        return JumpResult(empty_jumps())
    table = pd.DataFrame(rows, columns=list(JUMP_COLUMNS))
    return JumpResult(table.astype({c: "int64" for c in _INT_COLUMNS}))


def _body(point: np.ndarray) -> np.ndarray:
    """(F,) clearance of the body from (F, 6) points' (left foot, right foot): each foot's
    lowest point, then the lower foot, or the one seen."""
    with np.errstate(invalid="ignore"), np.testing.suppress_warnings() as w:
        w.filter(RuntimeWarning)
        feet = np.stack([np.nanmin(point[:, :3], axis=1), np.nanmin(point[:, 3:], axis=1)])
        return np.nanmin(feet, axis=0)


def _flight(y: np.ndarray, state: np.ndarray, t: np.ndarray, fps: float, a: int, b: int,
            threshold: float, leg: float, settings: JumpSettings
            ) -> tuple[float, float, float, str, list[str]] | None:
    """One run [a, b) of frames in the air, measured against the ground of the frames just
    before take-off and just after landing (so a slow drift across the frame does not move
    the events), the ground in between drawn straight from one to the other.

    Returns (take-off s, landing s, landing level minus take-off level in px (image y down:
    positive is lower), which feet were seen, reasons to refuse), or None when the run is
    not a jump at all (too short, too low).
    """
    n = len(y)
    k = max(2, int(round(0.15 * fps)))
    reasons: list[str] = []
    pre = np.arange(max(a - k, 0), a)
    pre = pre[state[pre] == 0]
    post = np.arange(b, min(b + k, n))
    post = post[state[post] == 0]
    with np.testing.suppress_warnings() as w:
        w.filter(RuntimeWarning)
        g0 = np.nanmedian(y[pre], axis=0) if pre.size else np.full(y.shape[1], np.nan)
        g1 = np.nanmedian(y[post], axis=0) if post.size else np.full(y.shape[1], np.nan)
    # Where one side has no ground, the other's is used for both.
    g0, g1 = np.where(np.isfinite(g0), g0, g1), np.where(np.isfinite(g1), g1, g0)
    lo, hi = max(a - k - 1, 0), min(b + k + 1, n)
    share = np.clip((t[lo:hi] - t[max(a - 1, 0)]) / max(t[min(b, n - 1)] - t[max(a - 1, 0)],
                                                          1e-9), 0.0, 1.0)[:, None]
    with np.errstate(invalid="ignore"):
        local = (g0 + share * (g1 - g0)) - y[lo:hi]
    s = np.full(n, np.nan)
    s[lo:hi] = _body(local)
    if not np.isfinite(s[a:b]).any() or np.nanmax(s[a:b]) < settings.min_rise_leg * leg:
        return None  # a shuffle, a heel raise, jitter: not a jump
    # The run's ends again, against this ground (by at most a frame: a hidden stretch is
    # not crossed).
    if a > 0 and s[a - 1] > threshold:
        a -= 1
    elif a + 1 < b and not s[a] > threshold:
        a += 1
    if b < n and s[b] > threshold:
        b += 1
    elif b - 1 > a and not s[b - 1] > threshold:
        b -= 1
    if b - a < 2:
        return None
    if a == 0:
        reasons.append("the clip starts in the air")
    elif state[a - 1] == -1 and not np.isfinite(s[a - 1]):
        reasons.append("the feet are not seen just before take-off")
    if b >= n:
        reasons.append("the clip ends before the landing")
    elif not np.isfinite(s[b]):
        reasons.append("the feet are not seen just after landing")
    dt = 1.0 / fps
    # The crossing lies after the last frame on the ground, or up to a frame before it when
    # that frame was already off the ground but below the threshold.
    m = 2  # the first / last two frames in the air (three lose more to the curvature)
    t0 = _edge_time(t, s, np.arange(a, a + m),
                    ((t[a - 1] if a > 0 else t[a] - dt) - dt, t[a]))
    t1 = _edge_time(t, s, np.arange(b - 1, b - 1 - m, -1),
                    (t[b - 1], (t[b] if b < n else t[b - 1] + dt) + dt))
    level = float(np.nanmedian(g1 - g0)) if np.isfinite(g1 - g0).any() else 0.0
    seen = [side for side, cols in zip(SIDES, (slice(0, 3), slice(3, 6)), strict=True)
            if np.isfinite(y[max(a - 1, 0), cols]).any()
            and np.isfinite(y[min(b, n - 1), cols]).any()]
    feet = "both" if len(seen) == 2 else (seen[0] if seen else "none")
    return t0, t1, level, feet, reasons
