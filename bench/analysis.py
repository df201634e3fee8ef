"""Benchmark of the analysis layer and its store on a long synthetic clip.

A 10-minute, 30 fps clip with 3 people (54,000 track-frames): one squats in place,
one walks across and back, one alternates squats and walking; pixel noise, short
bursts of low-visibility frames (legs hidden) and a person missing for a few seconds.
It prints the seconds to

- compute every metric (``analyse_track`` for the 3 tracks),
- store them (one transaction: poses and metrics as compressed chunks),
- read them back into pandas (angles of all tracks, and everything stored),

and the database file size, beside the targets of issue 3. It prints, never asserts:
timings on a shared 2-core machine are noisy.

    .venv/bin/python bench/analysis.py [--minutes 10] [--people 3] [--db PATH] [--keep]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis.filtering import CleanSettings  # noqa: E402
from analysis.store import Store, TrackPoses, TrackResult  # noqa: E402
from analysis.track import analyse_track  # noqa: E402
from estimator.keypoints import KEYPOINT_INDEX, NUM_KEYPOINTS  # noqa: E402

TARGETS = {"compute": 2.0, "store": 5.0, "read": 1.0, "size_mb": 100.0}
FPS = 30.0


def _limb(start: np.ndarray, angle: np.ndarray, length: float) -> np.ndarray:
    """Point at ``length`` px from ``start`` in direction ``angle`` (radians from straight
    down, positive towards +x)."""
    return start + np.stack([np.sin(angle), np.cos(angle)], axis=1) * length


def person(times: np.ndarray, kind: str, rng: np.random.Generator, x0: float) -> np.ndarray:
    """Keypoints (F, 33, 3) of a side-view person: ``squat``, ``walk`` or ``mixed``."""
    f = len(times)
    squat = 0.5 * (1 - np.cos(2 * np.pi * times / rng.uniform(1.8, 2.6)))  # 0..1
    gait = np.sin(2 * np.pi * times / 1.1)
    if kind == "walk":
        squat = np.zeros(f)
    elif kind == "squat":
        gait = np.zeros(f)
    else:  # alternate 20 s of squats and 20 s of walking
        walking = (times // 20) % 2 == 1
        squat = np.where(walking, 0.0, squat)
        gait = np.where(walking, gait, 0.0)
    x = x0 + (200 * np.sin(2 * np.pi * times / 60) if kind != "squat" else np.zeros(f))
    ankle_base = np.stack([x, np.full(f, 950.0)], axis=1)
    flex = np.radians(95) * squat
    kp = np.zeros((f, NUM_KEYPOINTS, 3))
    for side, phase in (("left", 1.0), ("right", -1.0)):
        swing = np.radians(25) * gait * phase
        knee_bend = np.radians(35) * np.clip(gait * phase, 0, None)
        ankle = ankle_base + np.stack([30 * np.sin(swing), np.zeros(f)], axis=1)
        knee = _limb(ankle, np.pi - flex / 2 - swing, 190)  # shank up from the ankle
        hip = _limb(knee, np.pi + flex / 2 + knee_bend, 190)
        lean = flex / 3 + np.radians(5) * np.abs(gait)
        shoulder = _limb(hip, np.pi - lean, 250)
        elbow = _limb(shoulder, -swing * 1.2, 125)
        wrist = _limb(elbow, -swing * 1.2 - np.radians(20) * squat, 115)
        points = {
            "shoulder": shoulder, "elbow": elbow, "wrist": wrist, "hip": hip, "knee": knee,
            "ankle": ankle, "heel": ankle + [-25, 12], "foot_index": ankle + [55, 14],
            "pinky": wrist + [10, 14], "index": wrist + [16, 16], "thumb": wrist + [14, 6],
            "eye_inner": shoulder + [22, -75], "eye": shoulder + [20, -76],
            "eye_outer": shoulder + [16, -76], "ear": shoulder + [-4, -70],
        }
        for name, xy in points.items():
            kp[:, KEYPOINT_INDEX[f"{side}_{name}"], :2] = xy
        kp[:, KEYPOINT_INDEX[f"mouth_{side}"], :2] = shoulder + [24, -50]
    kp[:, KEYPOINT_INDEX["nose"], :2] = kp[:, KEYPOINT_INDEX["left_eye"], :2] + [10, 8]
    kp[:, :, :2] += rng.normal(0, 1.5, (f, NUM_KEYPOINTS, 2))
    kp[:, :, 2] = rng.uniform(0.75, 1.0, (f, NUM_KEYPOINTS))
    # bursts of low visibility: legs hidden for 0.1-1 s, about 3% of the time
    for start in rng.choice(f, size=f // 1000, replace=False):
        legs = [KEYPOINT_INDEX[f"{s}_{p}"] for s in ("left", "right") for p in ("knee", "ankle")]
        kp[start : start + int(rng.integers(3, 30)), legs, 2] = rng.uniform(0.05, 0.4)
    return kp


def synthetic_tracks(minutes: float, people: int, seed: int = 0) -> list[TrackPoses]:
    rng = np.random.default_rng(seed)
    n = int(minutes * 60 * FPS)
    times = np.arange(n) / FPS
    kinds = ("squat", "walk", "mixed")
    tracks = []
    for i in range(people):
        kp = person(times, kinds[i % 3], rng, x0=400.0 + 500 * i)
        present = np.ones(n, dtype=bool)
        if i == 2:  # steps out of view for 4 s
            present[n // 2 : n // 2 + int(4 * FPS)] = False
        kp[~present] = np.nan
        kp[~present, :, 2] = 0.0
        world = np.zeros_like(kp)
        mid_hip = kp[:, [KEYPOINT_INDEX["left_hip"], KEYPOINT_INDEX["right_hip"]], :2].mean(1)
        world[:, :, :2] = (kp[:, :, :2] - mid_hip[:, None]) / 420.0
        world[:, :, 2] = rng.normal(0, 0.01, (n, NUM_KEYPOINTS))
        xy = np.where(present[:, None, None], kp[:, :, :2], 0.0)
        boxes = np.stack(
            [xy[..., 0].min(1), xy[..., 1].min(1), np.ptp(xy[..., 0], 1), np.ptp(xy[..., 1], 1)],
            axis=1,
        )
        boxes[~present] = np.nan
        tracks.append(
            TrackPoses(
                track_id=i,
                frames=np.arange(n, dtype=np.int64),
                times=times,
                present=present,
                keypoints=kp.astype(np.float32),
                world=world.astype(np.float32),
                scores=np.where(present, 0.9, 0.0).astype(np.float32),
                boxes=boxes.astype(np.float32),
            )
        )
    return tracks


def verdict(value: float, target: float) -> str:
    return "ok" if value < target else "OVER TARGET"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--people", type=int, default=3)
    parser.add_argument("--db", type=Path, help="SQLite file (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="posture-bench-"))
    db = args.db or folder / "bench.db"
    db.unlink(missing_ok=True)
    tracks = synthetic_tracks(args.minutes, args.people)
    n_track_frames = sum(len(t.frames) for t in tracks)
    print(
        f"synthetic clip: {args.minutes:g} min at {FPS:g} fps, {args.people} people, "
        f"{n_track_frames} track-frames"
    )

    settings = CleanSettings()
    t0, c0 = time.perf_counter(), time.process_time()
    analyses = [
        analyse_track(
            t.keypoints, t.world, t.times, FPS, settings, height_m=1.75 if i == 0 else None
        )
        for i, t in enumerate(tracks)
    ]
    compute_s, compute_cpu = time.perf_counter() - t0, time.process_time() - c0

    store = Store(f"sqlite:///{db}")
    athlete = store.create_athlete("Bench Athlete", 1.75)
    session = store.create_session(athlete.id, "Bench")
    n = len(tracks[0].frames)
    clip, _ = store.register_clip(
        session.id, file_name="synthetic.mp4", stored_path="synthetic.mp4", sha256="0" * 64,
        kind="video", fps=FPS, width=1920, height=1080, frame_count=n, duration_s=n / FPS,
        settings={"clean": settings.to_dict()},
    )
    t0, c0 = time.perf_counter(), time.process_time()
    results = [TrackResult(t, a) for t, a in zip(tracks, analyses, strict=True)]
    store.write_clip_results(clip.id, results)
    store_s, store_cpu = time.perf_counter() - t0, time.process_time() - c0

    timings = {}
    t0, c0 = time.perf_counter(), time.process_time()
    angles = store.read_angles(clip.id)
    timings["angles, all tracks"] = time.perf_counter() - t0
    angles_cpu = time.process_time() - c0
    for name, read in (
        ("angles as measured", lambda: store.read_angles(clip.id, cleaned=False)),
        ("keypoints", lambda: store.read_poses(clip.id)),
        ("trajectories", lambda: store.read_trajectories(clip.id)),
        ("symmetry per frame", lambda: store.read_symmetry_per_frame(clip.id)),
        ("summary+symmetry+reps", lambda: (
            store.read_summary(clip.id), store.read_symmetry(clip.id),
            store.read_repetitions(clip.id),
        )),
        ("one minute, one track", lambda: store.read_poses(clip.id, 0, frames=(9000, 10800))),
    ):
        t0 = time.perf_counter()
        read()
        timings[name] = time.perf_counter() - t0
    read_everything = sum(v for k, v in timings.items() if k != "one minute, one track")
    with_wal_mb = (store.database_size_bytes() or 0) / 1e6
    store.close()  # the last connection checkpoints the WAL into the file and removes it
    size_mb = db.stat().st_size / 1e6
    load = os.getloadavg()[0]

    print(f"load average {load:.1f} on {os.cpu_count()} cores: wall times are inflated when "
          "others are busy; CPU times beside them")
    print(f"compute all metrics  : {compute_s:6.2f} s (cpu {compute_cpu:5.2f})  target < "
          f"{TARGETS['compute']:g} s  {verdict(compute_s, TARGETS['compute'])}")
    print(f"store (1 transaction): {store_s:6.2f} s (cpu {store_cpu:5.2f})  target < "
          f"{TARGETS['store']:g} s  {verdict(store_s, TARGETS['store'])}")
    print(f"read angles back     : {timings['angles, all tracks']:6.2f} s (cpu {angles_cpu:5.2f})"
          f"  target < {TARGETS['read']:g} s  "
          f"{verdict(timings['angles, all tracks'], TARGETS['read'])}"
          f"  ({len(angles)} rows x {angles.shape[1]} columns, one query)")
    print(f"read everything back : {read_everything:6.2f} s  (angles raw and cleaned, keypoints, "
          "trajectories, symmetry, summaries)")
    for name, seconds in timings.items():
        print(f"    {name:<24}{seconds:6.3f} s")
    print(f"database file        : {size_mb:6.1f} MB  target < {TARGETS['size_mb']:g} MB  "
          f"{verdict(size_mb, TARGETS['size_mb'])}  (with the WAL before checkpoint: "
          f"{with_wal_mb:.1f} MB)")
    if args.db is None and not args.keep:
        db.unlink(missing_ok=True)
        for suffix in ("-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        folder.rmdir()
    else:
        print(f"database kept at {db}")


if __name__ == "__main__":
    main()
