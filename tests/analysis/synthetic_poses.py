"""Synthetic people for the analysis tests: poses whose angles are known by construction.

A person seen from the side squats in the image plane. Segment lengths follow
Winter's proportions of standing height, so the scale estimate can be checked.
Both sides are drawn in the same plane (the far side shifted a few pixels), so
left and right angles are equal; in the world coordinates the two sides sit at
z = -/+ 0.1 m, which leaves every joint angle planar and equal to its 2D value.
"""

from __future__ import annotations

import numpy as np

from estimator.keypoints import KEYPOINT_INDEX as K

SHANK, THIGH, TRUNK, NECK_TO_EYE = 0.246, 0.245, 0.288, 0.118  # fractions of height


def _unit(deg: np.ndarray) -> np.ndarray:
    """(F, 2) unit vectors at ``deg`` from vertical-up, forward positive, y up."""
    r = np.radians(deg)
    return np.stack([np.sin(r), np.cos(r)], axis=-1)


def squat_poses(
    knee_deg: np.ndarray,
    *,
    height_m: float = 1.75,
    px_per_m: float = 400.0,
    ankle_px: tuple[float, float] = (600.0, 900.0),
    facing: int = 1,
    trunk_share: float = 0.6,
) -> tuple[np.ndarray, np.ndarray]:
    """Keypoints (F, 33, 3) px + visibility and world (F, 33, 3) m of a squat.

    ``knee_deg`` (F,) is the knee flexion of both legs. The shank leans forward
    by 0.35 of it and the thigh back by 0.65 (so knee = shank + thigh lean), the
    trunk leans forward by ``trunk_share`` of the thigh's lean; the hip flexion
    is thigh lean + trunk lean and the ankle dorsiflexion the shank lean. The
    arms hang along the trunk, elbows straight. ``facing`` +1 faces image
    right, -1 image left (a mirror image).
    """
    k = np.asarray(knee_deg, dtype=float)
    f = k.shape[0]
    alpha, beta = 0.35 * k, 0.65 * k
    gamma = trunk_share * beta
    # Positions in metres, x forward, y up, origin at the ankle.
    ankle = np.zeros((f, 2))
    knee = ankle + height_m * SHANK * _unit(alpha)
    hip = knee + height_m * THIGH * _unit(-beta)
    shoulder = hip + height_m * TRUNK * _unit(gamma)
    eye = shoulder + height_m * NECK_TO_EYE * _unit(gamma)
    down = _unit(gamma + 180.0)
    elbow = shoulder + 0.186 * height_m * down
    wrist = elbow + 0.146 * height_m * down
    hand = wrist + 0.05 * height_m * down
    heel = ankle + np.array([-0.05, 0.0]) * height_m  # foot drawn level with the ankle,
    toe = ankle + np.array([0.11, 0.0]) * height_m  # so the ankle angle is the shank's lean
    points = {
        "shoulder": shoulder, "elbow": elbow, "wrist": wrist, "pinky": hand, "index": hand,
        "thumb": hand, "hip": hip, "knee": knee, "ankle": ankle, "heel": heel,
        "foot_index": toe,
    }
    world_up = np.zeros((f, 33, 3))  # x forward, y up, z side
    for side, z in (("left", -0.1), ("right", 0.1)):
        for name, p in points.items():
            world_up[:, K[f"{side}_{name}"], :2] = p
            world_up[:, K[f"{side}_{name}"], 2] = z
        world_up[:, K[f"{side}_eye"], :2] = eye
        world_up[:, K[f"{side}_eye_inner"], :2] = eye + [0.01, 0.0]
        world_up[:, K[f"{side}_eye_outer"], :2] = eye - [0.01, 0.0]
        world_up[:, K[f"{side}_ear"], :2] = eye - [0.06, 0.0]
        world_up[:, K[f"mouth_{side}"], :2] = eye + [0.03, -0.06]
        for n in ("eye", "eye_inner", "eye_outer", "ear"):
            world_up[:, K[f"{side}_{n}"], 2] = z / 2
    world_up[:, K["nose"], :2] = eye + [0.05, -0.03]

    mid_hip = world_up[:, [K["left_hip"], K["right_hip"]]].mean(axis=1, keepdims=True)
    world = world_up - mid_hip
    world[..., 0] *= facing
    world[..., 1] *= -1  # y down
    keypoints = np.ones((f, 33, 3))
    keypoints[..., 0] = ankle_px[0] + facing * world_up[..., 0] * px_per_m
    keypoints[..., 1] = ankle_px[1] - world_up[..., 1] * px_per_m
    # The far side a few pixels behind, so the two sides are not the same point.
    keypoints[:, [K[n] for n in K if n.startswith("left_")], 0] -= facing * 3.0
    return keypoints, world


def squat_knee_signal(
    times: np.ndarray, depths: list[float], period_s: float = 2.5, start_s: float = 1.0
) -> np.ndarray:
    """Knee flexion (deg) of squats of the given depths: a raised cosine each, 5
    degrees of standing flexion between them, ``period_s`` apart from ``start_s``."""
    knee = np.full(times.shape, 5.0)
    for i, depth in enumerate(depths):
        t0 = start_s + i * period_s
        phase = (times - t0) / (0.8 * period_s)
        inside = (phase >= 0) & (phase <= 1)
        knee[inside] = 5.0 + (depth - 5.0) * 0.5 * (1 - np.cos(2 * np.pi * phase[inside]))
    return knee
