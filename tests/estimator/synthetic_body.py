"""A walking stick figure seen by an orthographic camera: ground truth for left/right tests.

The body is built in its own frame (metres; X to the person's left, Y up, Z
forward), its legs and arms swing in the sagittal plane, it turns about the
vertical by ``yaw(t)`` (0: facing the camera, 90 degrees: facing image right,
so its right side is nearest the camera) and walks along the image x axis.
Each frame gives the 33 BlazePose keypoints (pixels, visibility) and world
landmarks (metres, hip-centred, x right, y down, z away from the camera), as
the estimator would, without any misreading: tests add those themselves.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from estimator.keypoints import KEYPOINT_INDEX, NUM_KEYPOINTS
from estimator.types import FramePoses, Person

PX_PER_M = 200.0


def _rot_x(angle: float) -> np.ndarray:
    """Rotation in the sagittal (Y-Z) plane: positive swings a limb forward."""
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def body_points(phase: float, swing_deg: float = 30.0) -> np.ndarray:
    """(33, 3) body-frame points at gait ``phase`` (radians)."""
    p = np.zeros((NUM_KEYPOINTS, 3))

    def put(name: str, xyz: tuple[float, float, float] | np.ndarray) -> None:
        p[KEYPOINT_INDEX[name]] = xyz

    put("nose", (0, 1.62, 0.10))
    for side, sx in (("left", 1.0), ("right", -1.0)):
        put(f"{side}_eye_inner", (sx * 0.02, 1.66, 0.08))
        put(f"{side}_eye", (sx * 0.035, 1.66, 0.08))
        put(f"{side}_eye_outer", (sx * 0.05, 1.66, 0.07))
        put(f"{side}_ear", (sx * 0.08, 1.63, 0.0))
        put(f"mouth_{side}", (sx * 0.025, 1.57, 0.09))
        hip = np.array([sx * 0.10, 0.95, 0.0])
        shoulder = np.array([sx * 0.19, 1.45, 0.0])
        put(f"{side}_hip", hip)
        put(f"{side}_shoulder", shoulder)
        swing = np.radians(swing_deg) * np.sin(phase) * sx  # legs in anti-phase
        knee = hip + _rot_x(swing) @ (0, -0.45, 0)
        bend = np.radians(40.0) * max(0.0, np.sin(phase + sx * np.pi / 2))
        ankle = knee + _rot_x(swing - bend) @ (0, -0.45, 0)
        put(f"{side}_knee", knee)
        put(f"{side}_ankle", ankle)
        put(f"{side}_heel", ankle + (0, -0.05, -0.05))
        put(f"{side}_foot_index", ankle + (0, -0.07, 0.16))
        arm = -0.8 * swing  # arms opposite to the legs of the same side
        elbow = shoulder + _rot_x(arm) @ (0, -0.30, 0)
        wrist = elbow + _rot_x(arm + np.radians(20)) @ (0, -0.27, 0)
        put(f"{side}_elbow", elbow)
        put(f"{side}_wrist", wrist)
        put(f"{side}_pinky", wrist + (sx * 0.02, -0.08, 0.0))
        put(f"{side}_index", wrist + (0, -0.09, 0.02))
        put(f"{side}_thumb", wrist + (-sx * 0.01, -0.06, 0.03))
    return p


def walk(
    n_frames: int,
    fps: float = 30.0,
    yaw_deg: Callable[[float], float] = lambda t: 90.0,
    cadence_hz: float = 0.9,
    speed_m_s: float = 1.2,
    noise_px: float = 1.0,
    seed: int = 0,
    track_id: int = 0,
) -> list[FramePoses]:
    """Frames of one person walking, as the estimator would give them (no misreading)."""
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(n_frames):
        t = i / fps
        yaw = np.radians(yaw_deg(t))
        left = np.array([np.cos(yaw), 0.0, np.sin(yaw)])  # person's left, in (x, y, z)
        forward = np.array([np.sin(yaw), 0.0, -np.cos(yaw)])
        body = body_points(2 * np.pi * cadence_hz * t)
        world = (body[:, :1] * left + body[:, 2:3] * forward)
        world[:, 1] = -(body[:, 1] - 0.95)  # y down, origin at the hips
        world += rng.normal(0.0, 0.01, world.shape)
        travel = speed_m_s * t * np.sin(yaw) * PX_PER_M
        x = 400.0 + travel + world[:, 0] * PX_PER_M
        y = 500.0 + world[:, 1] * PX_PER_M
        # The far side is seen less surely: visibility falls with depth.
        visibility = np.clip(0.9 - 2.0 * world[:, 2], 0.3, 1.0)
        keypoints = np.column_stack([x, y, visibility])
        keypoints[:, :2] += rng.normal(0.0, noise_px, (NUM_KEYPOINTS, 2))
        x0, y0 = keypoints[:, :2].min(0)
        x1, y1 = keypoints[:, :2].max(0)
        box = np.array([x0, y0, x1 - x0, y1 - y0])
        frames.append(FramePoses(i, t, [Person(track_id, 0.99, box, keypoints, world)]))
    return frames
