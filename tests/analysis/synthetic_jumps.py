"""Synthetic jumps for the jump tests: a side-view body (:func:`squat_poses`) that bends
its knees, leaves the ground with a known flight time and lands again.

The whole body moves by ballistic flight between take-off and landing (its posture frozen
at take-off), so the feet, the hips and the centre of mass rise alike by
``g * T**2 / 8``: flight time, take-off, landing and height are known exactly.
"""

from __future__ import annotations

import numpy as np

from estimator.keypoints import KEYPOINT_INDEX as K
from tests.analysis.synthetic_poses import squat_poses

G = 9.81
HEIGHT_M = 1.75
PX_PER_M = 400.0


def jump_clip(
    fps: float,
    flight_s: float,
    *,
    takeoff_s: float = 1.5,
    duration_s: float = 3.5,
    noise_px: float = 0.0,
    hidden_foot: str | None = None,
    drift_px_per_s: float = 0.0,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Keypoints (F, 33, 3) px + visibility and times (F,) s of one countermovement jump.

    The knees bend from 5 to 70 degrees and back over the 0.8 s before take-off, the body
    flies for ``flight_s`` (take-off at ``takeoff_s``, between frames in general), and the
    knees bend to 50 degrees and back over 0.6 s after landing. ``noise_px``: Gaussian
    jitter on every coordinate; ``hidden_foot``: ``"left"`` or ``"right"``, that foot's
    ankle, heel and toes never visible; ``drift_px_per_s``: the athlete moves across the
    frame (and down it by a quarter as much: towards a camera looking down).
    """
    n = int(round(duration_s * fps))
    t = np.arange(n) / fps
    landing_s = takeoff_s + flight_s
    knee = np.full(n, 5.0)
    before = (t > takeoff_s - 0.8) & (t < takeoff_s)
    knee[before] = 5 + 32.5 * (1 - np.cos(2 * np.pi * (t[before] - takeoff_s + 0.8) / 0.8))
    after = (t > landing_s) & (t < landing_s + 0.6)
    knee[after] = 5 + 22.5 * (1 - np.cos(2 * np.pi * (t[after] - landing_s) / 0.6))
    keypoints, _ = squat_poses(knee, height_m=HEIGHT_M, px_per_m=PX_PER_M)
    tau = t - takeoff_s
    air = (tau > 0) & (t < landing_s)
    v0 = G * flight_s / 2
    rise = np.where(air, v0 * tau - G * tau**2 / 2, 0.0) * PX_PER_M
    keypoints[..., 1] -= rise[:, None]
    keypoints[..., 0] += drift_px_per_s * t[:, None]
    keypoints[..., 1] += 0.25 * drift_px_per_s * t[:, None]
    if noise_px:
        rng = np.random.default_rng(seed)
        keypoints[..., :2] += rng.normal(0.0, noise_px, keypoints[..., :2].shape)
    if hidden_foot:
        for name in ("ankle", "heel", "foot_index"):
            keypoints[:, K[f"{hidden_foot}_{name}"], 2] = 0.1
    return keypoints, t


def true_height_m(flight_s: float) -> float:
    return G * flight_s**2 / 8
