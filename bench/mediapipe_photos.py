"""MediaPipe's own legacy Pose solution on a list of photos: its landmarks, for comparison.

This script runs INSIDE the throw-away MediaPipe virtual environment
(``bench/.mediapipe-venv``, ``pip install mediapipe==0.10.21``), never in the
project's ``.venv``, and imports nothing from the project. ``bench/accuracy.py``
runs it as a subprocess; by hand::

    bench/.mediapipe-venv/bin/python bench/mediapipe_photos.py LIST.txt --out mp.json

``LIST.txt`` holds one photo path per line. Each photo is read with
``cv2.imread``, turned to RGB and given to one
``mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1)`` (static
mode: the detector runs on every photo, nothing carries over from one to the
next; segmentation off; defaults otherwise).

Output JSON (``--out``)::

    {"mediapipe_version", "model_complexity", "static_image_mode",
     "seconds_per_photo": median of process() alone,
     "photos": [{"path", "width", "height", "seconds",
                 "landmarks": [[x_px, y_px, visibility] x 33] | null}]}

``landmarks`` is null when MediaPipe found nobody; pixel coordinates are its
normalised x, y times the photo's width, height.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import cv2
import mediapipe as mp


def run(paths: list[str], model_complexity: int) -> list[dict]:
    """Landmarks of the one person MediaPipe finds in each photo (or None)."""
    results = []
    with mp.solutions.pose.Pose(static_image_mode=True, model_complexity=model_complexity,
                                enable_segmentation=False) as pose:
        for path in paths:
            bgr = cv2.imread(path, cv2.IMREAD_COLOR)
            if bgr is None:
                raise SystemExit(f"mediapipe_photos: cannot read {path}")
            height, width = bgr.shape[:2]
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            start = time.perf_counter()
            found = pose.process(rgb)
            seconds = time.perf_counter() - start
            landmarks = None
            if found.pose_landmarks is not None:
                landmarks = [[lm.x * width, lm.y * height, lm.visibility]
                             for lm in found.pose_landmarks.landmark]
            results.append({"path": path, "width": width, "height": height,
                            "seconds": seconds, "landmarks": landmarks})
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photos", type=Path, help="text file, one photo path per line")
    parser.add_argument("--out", type=Path, required=True, help="JSON file to write")
    parser.add_argument("--model-complexity", type=int, default=1)
    args = parser.parse_args(argv)
    paths = [line.strip() for line in args.photos.read_text().splitlines() if line.strip()]
    photos = run(paths, args.model_complexity)
    report = {
        "mediapipe_version": mp.__version__,
        "model_complexity": args.model_complexity,
        "static_image_mode": True,
        "seconds_per_photo": statistics.median(p["seconds"] for p in photos) if photos else 0,
        "photos": photos,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
