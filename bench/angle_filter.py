"""How to clean angles: the evidence behind :mod:`analysis.filtering`'s bounded filter.

Four ways to clean one track's angles, side by side:

- ``A angle filter``: Hampel, gap filling and the zero-phase Butterworth on each angle
  (the clean-up as it was before angles were bounded);
- ``B bounded angle filter``: the same, each filtered value then limited to what was
  measured within half a cut-off period (+-3 frames at 30 fps, 6 Hz) and to its
  definition range (what :func:`analysis.filtering.clean_signals` does now);
- ``C keypoint filter``: the same three steps on every keypoint coordinate (pixels and
  world metres), the angles computed from the cleaned keypoints;
- ``D bounded keypoint filter``: C, then each angle limited to the raw angles' envelope.

On synthetic poses whose true angles are known (12 s of squats, rebound jumps, walking
and arm raises, with 1.5 and 4 px of noise, 2 % of frames with a limb keypoint off by
~40 px, 3 % hidden keypoints and a 5-frame misdetection of one knee) it prints, per
method: frames outside the definition range, overshoot past the measured envelope,
RMS error, mean error at the true peaks and valleys, and lag (frames). On the real clip
(both people of ``../shared/media/parkour_walk.mp4``) it prints the frames outside the
range, the overshoot past the envelope of what was measured, each joint's extremes,
and the roughness of the curves (median |second difference|). It prints, never asserts.

    .venv/bin/python bench/angle_filter.py [--no-clip]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis.angles import JOINT_ANGLES, compute_angles, is_circular, unwrap_deg  # noqa: E402
from analysis.bounds import definition_range, limit_to_envelope  # noqa: E402
from analysis.filtering import CleanSettings, clean_rows, clean_signals_detailed  # noqa: E402
from estimator.keypoints import KEYPOINT_INDEX as K  # noqa: E402
from tests.analysis.synthetic_poses import squat_knee_signal, squat_poses  # noqa: E402

FPS = 30.0
HALF = 3  # the envelope's half window at 30 fps and 6 Hz
CLIP = ROOT.parent / "shared" / "media" / "parkour_walk.mp4"


# ---------------------------------------------------------------- the four methods


def angle_filter(kp: np.ndarray, world: np.ndarray, bounded: bool) -> pd.DataFrame:
    raw = compute_angles(kp, world)
    return clean_signals_detailed(raw, FPS, CleanSettings(), bounded=bounded).values


def keypoint_filter(kp: np.ndarray, world: np.ndarray, bounded: bool) -> pd.DataFrame:
    raw = compute_angles(kp, world)
    seen = (kp[..., 2] >= 0.5) & np.isfinite(kp[..., 0])
    planes = [kp[..., 0], kp[..., 1], world[..., 0], world[..., 1], world[..., 2]]
    rows = np.concatenate([np.where(seen, p, np.nan).T for p in planes]).astype(float)
    rows, _, _ = clean_rows(rows, FPS, CleanSettings())
    x, y, wx, wy, wz = (rows[i * 33 : (i + 1) * 33].T for i in range(5))
    out = compute_angles(np.stack([x, y, np.isfinite(x).astype(float)], -1),
                         np.stack([wx, wy, wz], -1))
    if bounded:
        circ = np.array([is_circular(c) for c in out.columns])
        r, v = raw.to_numpy().copy(), out.to_numpy().copy()
        r[:, circ], v[:, circ] = unwrap_deg(r[:, circ]), unwrap_deg(v[:, circ])
        v = limit_to_envelope(v.T, r.T, HALF).T
        v[:, circ] = 180.0 - np.mod(180.0 - v[:, circ], 360.0)
        for j, c in enumerate(out.columns):
            if (rng := definition_range(c)) is not None:
                v[:, j] = np.clip(v[:, j], *rng)
        out = pd.DataFrame(v, columns=out.columns)
    return out


METHODS = {
    "A angle filter": lambda kp, w: angle_filter(kp, w, False),
    "B bounded angle filter": lambda kp, w: angle_filter(kp, w, True),
    "C keypoint filter": lambda kp, w: keypoint_filter(kp, w, False),
    "D bounded keypoint filter": lambda kp, w: keypoint_filter(kp, w, True),
}


# ---------------------------------------------------------------- measures


def out_of_range(name: str, y: np.ndarray) -> int:
    rng = definition_range(name)
    if rng is None:
        return 0
    with np.errstate(invalid="ignore"):
        return int(np.sum((y < rng[0] - 1e-9) | (y > rng[1] + 1e-9)))


def overshoot(measured: np.ndarray, y: np.ndarray) -> float:
    """Largest distance (deg) of ``y`` outside the +-3-frame envelope of ``measured``,
    at the frames where something was measured (a filled gap is judged by how it is
    filled, not here)."""
    s = pd.Series(measured)
    lo = s.rolling(2 * HALF + 1, center=True, min_periods=1).min().to_numpy()
    hi = s.rolling(2 * HALF + 1, center=True, min_periods=1).max().to_numpy()
    ok = np.isfinite(y) & np.isfinite(measured)
    return float(max(0.0, np.max(y[ok] - hi[ok], initial=0.0), np.max(lo[ok] - y[ok], initial=0)))


# ---------------------------------------------------------------- synthetic people


def jump_knee(t: np.ndarray) -> np.ndarray:
    k = np.zeros_like(t)
    for t0 in np.arange(0.5, t[-1] - 2, 2.0):
        s = t0
        for dur, a, b in [(0.5, 0, 95), (0.12, 95, 0), (0.35, 0, 0), (0.12, 0, 70), (0.5, 70, 0)]:
            m = (t >= s) & (t < s + dur)
            k[m] = a + (b - a) * (0.5 - 0.5 * np.cos(np.pi * (t[m] - s) / dur))
            s += dur
    return k


def walk_knee(t: np.ndarray, stride: float = 1.1) -> np.ndarray:
    ph = (t / stride) % 1.0
    return 2 + 16 * np.exp(-((ph - 0.15) / 0.07) ** 2) + 60 * np.exp(-((ph - 0.72) / 0.11) ** 2)


def raise_arms(kp: np.ndarray, world: np.ndarray, shoulder_deg: np.ndarray):
    """Both arms turned about the shoulder so angle(hip, shoulder, elbow) = shoulder_deg."""
    kp, world = kp.copy(), world.copy()
    a = np.radians(shoulder_deg)[:, None]
    for side in ("left", "right"):
        for arr, lengths in ((kp, (130, 230, 260)), (world, (0.32, 0.57, 0.65))):
            s, h = arr[:, K[f"{side}_shoulder"], :2], arr[:, K[f"{side}_hip"], :2]
            d = (h - s) / np.linalg.norm(h - s, axis=1, keepdims=True)
            turned = np.concatenate([d[:, :1] * np.cos(a) + d[:, 1:] * np.sin(a),
                                     -d[:, :1] * np.sin(a) + d[:, 1:] * np.cos(a)], axis=1)
            for name, length in zip(("elbow", "wrist", "index"), lengths, strict=True):
                arr[:, K[f"{side}_{name}"], :2] = s + turned * length
            for name in ("pinky", "thumb"):
                arr[:, K[f"{side}_{name}"], :2] = arr[:, K[f"{side}_index"], :2]
    return kp, world


def corrupt(kp: np.ndarray, world: np.ndarray, seed: int, noise_px: float):
    rng = np.random.default_rng(seed)
    kp, world, f = kp.copy(), world.copy(), kp.shape[0]
    kp[..., :2] += rng.normal(0, noise_px, kp[..., :2].shape)
    world += rng.normal(0, noise_px / 400, world.shape)
    limbs = [K[f"{s}_{p}"] for s in ("left", "right")
             for p in ("knee", "ankle", "elbow", "wrist", "hip")]
    for i in rng.choice(f, int(0.02 * f), replace=False):
        j = rng.choice(limbs)
        kp[i, j, :2] += rng.normal(0, 40, 2)
        world[i, j] += rng.normal(0, 0.1, 3)
    for i in rng.choice(f, int(0.03 * f), replace=False):
        kp[i, rng.choice(limbs), 2] = 0.1
    a = f // 3
    kp[a : a + 5, K["right_knee"], 0] += 60
    world[a : a + 5, K["right_knee"], 0] += 0.15
    return kp, world


def synthetic_cases():
    t = np.arange(int(12 * FPS)) / FPS
    arms = 5 + 170 * (0.5 - 0.5 * np.cos(2 * np.pi * t / 3.0))
    yield "squat", *squat_poses(squat_knee_signal(t, [100] * 4, 2.5)), ["right_knee", "right_hip"]
    yield "jump", *squat_poses(jump_knee(t)), ["right_knee", "right_hip", "right_knee_3d"]
    yield "walk", *squat_poses(walk_knee(t)), ["right_knee", "right_knee_3d"]
    yield "arm raise", *raise_arms(*squat_poses(np.full(t.shape, 3.0)), arms), [
        "right_shoulder", "right_shoulder_3d"]


def synthetic() -> pd.DataFrame:
    rows = []
    for case, kp0, w0, names in synthetic_cases():
        truth = compute_angles(kp0, w0)
        for noise in (1.5, 4.0):
            kp, w = corrupt(kp0, w0, 1, noise)
            raw = compute_angles(kp, w)
            for method, clean in METHODS.items():
                out = clean(kp, w)
                for c in names:
                    tr, y = truth[c].to_numpy(), out[c].to_numpy()
                    ok = np.isfinite(y)
                    top, bottom = tr >= np.nanmax(tr) - 1, tr <= np.nanmin(tr) + 1
                    yy, tt = np.where(ok, y - np.nanmean(y), 0), tr - tr.mean()
                    rows.append({
                        "case": f"{case} {noise} px", "method": method, "angle": c,
                        "out_of_range": out_of_range(c, y),
                        "overshoot": overshoot(raw[c].to_numpy(), y),
                        "rmse": float(np.sqrt(np.mean((y[ok] - tr[ok]) ** 2))),
                        "peak_err": float(np.abs(np.mean(y[top & ok] - tr[top & ok]))),
                        "valley_err": float(np.abs(np.mean(y[bottom & ok] - tr[bottom & ok]))),
                        "lag": max(range(-5, 6), key=lambda k: np.dot(np.roll(yy, k), tt)),
                    })
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- the real clip


def real_clip() -> pd.DataFrame:
    from analysis.pipeline import TrackCollector
    from estimator import PoseEstimator

    collector = TrackCollector()
    for frame in PoseEstimator().process(CLIP):
        collector.add(frame)
    rows = []
    for tid in collector.track_ids:
        p = collector.track(tid)
        kp, w = p.keypoints.astype(float), p.world.astype(float)
        raw = compute_angles(kp, w)
        for method, clean in METHODS.items():
            out = clean(kp, w)
            for c in JOINT_ANGLES:
                y = out[c].to_numpy()
                rows.append({
                    "track": tid, "method": method, "angle": c,
                    "out_of_range": out_of_range(c, y),
                    "overshoot": overshoot(raw[c].to_numpy(), y),
                    "min": np.nanmin(y), "max": np.nanmax(y),
                    "raw_min": np.nanmin(raw[c]), "raw_max": np.nanmax(raw[c]),
                    "roughness": float(np.nanmedian(np.abs(np.diff(y, 2)))),
                })
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-clip", action="store_true", help="synthetic poses only")
    args = parser.parse_args(argv)
    pd.set_option("display.width", 200)
    syn = synthetic()
    print("Synthetic poses (true angles known), per method, over every case and angle:")
    print(syn.groupby("method")[["out_of_range", "overshoot", "rmse"]].agg(["mean", "max"])
          .round(2).to_string())
    print(syn.groupby("method")[["peak_err", "valley_err", "lag"]].mean().round(2).to_string())
    if args.no_clip:
        return 0
    if not CLIP.is_file():
        print(f"SKIP: real clip not found at {CLIP}")
        return 0
    real = real_clip()
    print("\nparkour_walk.mp4, the 12 joint angles of each person, per method:")
    print(real.groupby("method")[["out_of_range", "overshoot", "roughness"]]
          .agg(["mean", "max"]).round(2).to_string())
    knees_hips = real[real["angle"].isin(["left_knee", "right_knee", "left_hip", "right_hip"])]
    print(knees_hips.round(1).to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
