"""MediaPipe's own legacy Pose solution on one clip: speed and landmarks, for comparison.

This script runs INSIDE the throw-away MediaPipe virtual environment
(``bench/.mediapipe-venv``, ``pip install mediapipe==0.10.21``), never in the
project's ``.venv``: mediapipe pins numpy<2 and protobuf<5. It imports nothing
from the project. ``bench/estimator.py`` creates that environment and runs this
file as a subprocess; it can also be run by hand::

    bench/.mediapipe-venv/bin/python bench/mediapipe_reference.py CLIP --out mp.json

What is timed, per run (a fresh ``mp.solutions.pose.Pose`` per run, built
before the clock starts so model loading is excluded, as for our estimator):
every frame's ``cv2.VideoCapture.read`` (decode) + ``cv2.cvtColor`` BGR->RGB +
``pose.process``, from the first frame to the last. The first frame (which
pays the interpreters' first-inference set-up and the detector) is included,
exactly as on our side; the per-frame times are written too, so a reader can
leave it out. MediaPipe keeps its own threading defaults (its graph scheduler,
XNNPACK with one thread per inference on Linux) and OpenCV its own.

Output JSON (``--out``)::

    {"mediapipe_version", "cv2_version", "numpy_version", "python", "clip",
     "width", "height", "fps", "model_complexity", "smooth_landmarks",
     "decode_only": {"frames", "total_s"},         # read + BGR->RGB, no model
     "runs": [{"frames", "total_s", "frame_s": [per-frame seconds]}],
     "frames": [{"index", "time", "landmarks": [[x_px, y_px, visibility] x 33] | null}]}

``frames`` holds the landmarks of the first run (the solution is deterministic
on one machine); ``landmarks`` is null when MediaPipe found nobody. Pixel
coordinates are MediaPipe's normalised x, y times the frame's width, height.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import cv2
import mediapipe as mp
import numpy as np


def _open(path: Path) -> cv2.VideoCapture:
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise SystemExit(f"mediapipe_reference: cannot open {path}")
    return cap


def decode_only(path: Path) -> dict:
    """Time decode + BGR->RGB alone: the share of the budget no model can save."""
    cap = _open(path)
    n = 0
    t0 = time.perf_counter()
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        n += 1
    total = time.perf_counter() - t0
    cap.release()
    return {"frames": n, "total_s": total}


def run_once(path: Path, model_complexity: int, smooth: bool, keep: bool) -> tuple[dict, list]:
    """One timed pass over the clip with a fresh Pose; returns timing and (if keep) landmarks."""
    pose = mp.solutions.pose.Pose(
        static_image_mode=False,
        model_complexity=model_complexity,
        smooth_landmarks=smooth,
        enable_segmentation=False,
    )
    cap = _open(path)
    clip_fps = cap.get(cv2.CAP_PROP_FPS) or 0.0
    frames: list[dict] = []
    frame_s: list[float] = []
    index = 0
    t0 = time.perf_counter()
    while True:
        t_frame = time.perf_counter()
        ok, bgr = cap.read()
        if not ok:
            break
        msec = cap.get(cv2.CAP_PROP_POS_MSEC)
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        result = pose.process(rgb)
        frame_s.append(time.perf_counter() - t_frame)
        if keep:
            h, w = bgr.shape[:2]
            landmarks = None
            if result.pose_landmarks is not None:
                landmarks = [
                    [lm.x * w, lm.y * h, lm.visibility]
                    for lm in result.pose_landmarks.landmark
                ]
            t = msec / 1000.0 if msec > 0 or index == 0 else index / clip_fps
            frames.append({"index": index, "time": t, "landmarks": landmarks})
        index += 1
    total = time.perf_counter() - t0
    cap.release()
    pose.close()
    return {"frames": index, "total_s": total, "frame_s": frame_s}, frames


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clip", type=Path)
    parser.add_argument("--out", type=Path, required=True, help="JSON file to write")
    parser.add_argument("--runs", type=int, default=1, help="timed passes (default 1)")
    parser.add_argument("--model-complexity", type=int, default=1)
    parser.add_argument(
        "--no-smooth", action="store_true",
        help="turn off MediaPipe's landmark smoothing (default: on, as the solution ships)",
    )
    parser.add_argument("--no-decode-only", action="store_true", help="skip the decode-only pass")
    args = parser.parse_args(argv)
    if not args.clip.is_file():
        print(f"mediapipe_reference: {args.clip} not found", file=sys.stderr)
        return 2

    cap = _open(args.clip)
    width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
    height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    fps = float(cap.get(cv2.CAP_PROP_FPS))
    cap.release()

    runs = []
    frames: list[dict] = []
    for i in range(max(1, args.runs)):
        timing, kept = run_once(args.clip, args.model_complexity, not args.no_smooth, keep=i == 0)
        runs.append(timing)
        if i == 0:
            frames = kept
    report = {
        "mediapipe_version": mp.__version__,
        "cv2_version": cv2.__version__,
        "numpy_version": np.__version__,
        "python": platform.python_version(),
        "clip": str(args.clip),
        "width": width,
        "height": height,
        "fps": fps,
        "model_complexity": args.model_complexity,
        "smooth_landmarks": not args.no_smooth,
        "decode_only": None if args.no_decode_only else decode_only(args.clip),
        "runs": runs,
        "frames": frames,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
