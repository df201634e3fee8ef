"""Synthetic people for the store, export and CLI tests: a side-view squatter.

``squat_poses`` builds the 33 keypoints of a person seen from the side doing squats:
knee flexion 0 -> ``depth_deg`` -> 0 every ``period_s`` (shank and thigh each turn by half
of it), trunk leaning forward by a third of it, arms hanging; pixel noise, and a few
frames where the legs are barely visible. World keypoints are the same skeleton in metres
(400 px per metre), centred between the hips, left side 0.1 m nearer the camera.
"""

from __future__ import annotations

import numpy as np

from analysis.filtering import CleanSettings
from analysis.store import TrackPoses, TrackResult
from analysis.track import analyse_track
from estimator.keypoints import KEYPOINT_INDEX, NUM_KEYPOINTS

PX_PER_M = 400.0
FPS = 30.0


def squat_keypoints(
    times: np.ndarray,
    *,
    x0: float = 600.0,
    floor_y: float = 900.0,
    period_s: float = 2.0,
    depth_deg: float = 90.0,
    walk_px_s: float = 0.0,
) -> np.ndarray:
    """Noise-free keypoints (F, 33, 3): x_px, y_px, visibility 1."""
    t = np.asarray(times, dtype=float)
    flex = np.radians(depth_deg) * 0.5 * (1 - np.cos(2 * np.pi * t / period_s))
    ankle = np.stack([x0 + walk_px_s * t, np.full_like(t, floor_y)], axis=1)
    shank, thigh, trunk, upper_arm, forearm = 180.0, 180.0, 240.0, 120.0, 110.0
    # shank leans forward (+x) by flex/2 from vertical, thigh back by flex/2
    knee = ankle + np.stack([np.sin(flex / 2), -np.cos(flex / 2)], 1) * shank
    hip = knee + np.stack([-np.sin(flex / 2), -np.cos(flex / 2)], 1) * thigh
    lean = flex / 3
    shoulder = hip + np.stack([np.sin(lean), -np.cos(lean)], 1) * trunk
    elbow = shoulder + np.array([0.0, upper_arm])
    wrist = elbow + np.array([10.0, forearm])
    head = shoulder + np.stack([np.sin(lean), -np.cos(lean)], 1) * 60
    heel = ankle + np.array([-25.0, 10.0])
    toe = ankle + np.array([55.0, 12.0])
    points = {
        "shoulder": shoulder, "elbow": elbow, "wrist": wrist, "hip": hip, "knee": knee,
        "ankle": ankle, "heel": heel, "foot_index": toe, "pinky": wrist + [12.0, 14.0],
        "index": wrist + [18.0, 16.0], "thumb": wrist + [16.0, 6.0],
        "eye_inner": head + [20.0, -5.0], "eye": head + [18.0, -6.0],
        "eye_outer": head + [14.0, -6.0], "ear": head + [-5.0, 0.0],
    }
    out = np.zeros((len(t), NUM_KEYPOINTS, 3))
    out[:, KEYPOINT_INDEX["nose"], :2] = head + [28.0, 4.0]
    for side, dx in (("left", -3.0), ("right", 3.0)):
        for name, xy in points.items():
            out[:, KEYPOINT_INDEX[f"{side}_{name}"], :2] = xy + [dx, 0.0]
        out[:, KEYPOINT_INDEX[f"mouth_{side}"], :2] = head + [22.0 + dx, 16.0]
    out[:, :, 2] = 1.0
    return out


def squat_poses(
    track_id: int,
    n_frames: int,
    fps: float = 30.0,
    *,
    first_frame: int = 0,
    seed: int = 0,
    noise_px: float = 1.0,
    low_visibility_fraction: float = 0.02,
    **motion: float,
) -> TrackPoses:
    """A TrackPoses of ``n_frames`` squatting frames starting at clip frame ``first_frame``."""
    rng = np.random.default_rng(seed)
    frames = np.arange(first_frame, first_frame + n_frames)
    times = frames / fps
    kp = squat_keypoints(times, **motion)
    kp[:, :, :2] += rng.normal(0.0, noise_px, (n_frames, NUM_KEYPOINTS, 2))
    kp[:, :, 2] = rng.uniform(0.8, 1.0, (n_frames, NUM_KEYPOINTS))
    dim = rng.random(n_frames) < low_visibility_fraction
    legs = [KEYPOINT_INDEX[f"{s}_{p}"] for s in ("left", "right") for p in ("knee", "ankle")]
    kp[np.ix_(dim, legs, [2])] = 0.2
    mid_hip = kp[:, [KEYPOINT_INDEX["left_hip"], KEYPOINT_INDEX["right_hip"]], :2].mean(1)
    world = np.zeros_like(kp)
    world[:, :, :2] = (kp[:, :, :2] - mid_hip[:, None, :]) / PX_PER_M
    left = [i for name, i in KEYPOINT_INDEX.items() if name.startswith("left_")]
    world[:, :, 2] = 0.05
    world[:, left, 2] = -0.05
    boxes = np.stack(
        [
            kp[:, :, 0].min(1),
            kp[:, :, 1].min(1),
            np.ptp(kp[:, :, 0], axis=1),
            np.ptp(kp[:, :, 1], axis=1),
        ],
        axis=1,
    )
    return TrackPoses(
        track_id=track_id,
        frames=frames.astype(np.int64),
        times=times.astype(np.float64),
        present=np.ones(n_frames, dtype=bool),
        keypoints=kp.astype(np.float32),
        world=world.astype(np.float32),
        scores=np.full(n_frames, 0.95, dtype=np.float32),
        boxes=boxes.astype(np.float32),
    )


def analysed(poses: TrackPoses, fps: float = FPS) -> TrackResult:
    """A track's poses with their analysis (default clean-up), as the pipeline writes them."""
    analysis = analyse_track(poses.keypoints, poses.world, poses.times, fps, CleanSettings())
    return TrackResult(poses, analysis)
