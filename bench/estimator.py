"""Benchmark: our estimator against MediaPipe's own legacy Pose solution on one clip.

Run from the project root with the project's environment::

    .venv/bin/python bench/estimator.py [--repeat N] [--clip PATH]
        [--mediapipe-python PATH] [--no-mediapipe] [--json OUT]

It prints, for ``../shared/media/parkour_walk.mp4`` by default:

- our frames per second in single-person mode (``PoseEstimator(max_people=1)``)
  and multi-person mode (the default ``max_people``), decode included, models
  loaded before the clock starts; in multi-person mode the share of frames with
  both people tracked and the number of distinct track ids;
- in the same run, the frames per second of MediaPipe's legacy Pose solution
  (``mediapipe==0.10.21``, ``model_complexity=1``, video mode), decode included,
  run by ``bench/mediapipe_reference.py`` in a throw-away virtual environment
  (``bench/.mediapipe-venv``, created on first use with ``pip install
  mediapipe==0.10.21``; never the project's ``.venv``), and how many frames it
  lost the person and switched from one person to the other;
- the median distance between our landmarks and MediaPipe's on the frames where
  both follow the same person, as a fraction of that person's box height;
- PASS / MISS against the targets of issue 2.

It never asserts: it exits 0 whenever it ran (whatever the figures), 0 with a
SKIP line when the default clip is absent, and 1 when it could not run (our
estimator failed, or the MediaPipe side could not be set up; ``--no-mediapipe``
skips that side on purpose). See ``bench/README.md`` for how each figure is
measured.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this file's folder comes first on sys.path, where "estimator" would be
# this very file: take that folder off and put the project root first, so that
# `import estimator` is the project's package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

DEFAULT_CLIP = ROOT.parent / "shared" / "media" / "parkour_walk.mp4"
DEFAULT_MP_VENV = ROOT / "bench" / ".mediapipe-venv"
MP_REFERENCE = ROOT / "bench" / "mediapipe_reference.py"
MP_REQUIREMENT = "mediapipe==0.10.21"
OUT_DIR = ROOT / "bench" / "out"  # git-ignored

# Targets of issue 2.
TARGET_SPEEDUP = 1.5  # our single-person fps / MediaPipe's fps (issue 8)
TARGET_LANDMARK_FRACTION = 0.02  # median distance / box height
TARGET_BOTH_TRACKED = 0.95  # share of frames with both people, multi-person mode
TARGET_MULTI_FPS = 25.0

# Who is in view in the benchmark clip, checked by eye on its rendered frames (a person is
# in view when about half the body or more is inside the picture, not hidden by the tree):
# first and last frame, inclusive. "Both tracked" is judged on the frames where all are.
IN_VIEW: dict[tuple[str, int], dict[str, tuple[int, int]]] = {
    ("parkour_walk.mp4", 230): {
        "man: on the roof box, back flip off it (frames ~165-182), runs right": (0, 227),
        "woman: enters from behind the tree on the right, walks out on the left": (37, 199),
    },
}

VISIBLE = 0.5  # visibility threshold for "visible in both"
SAME_PERSON = 0.5  # hip-centre distance / box height under which two skeletons are one person
HIPS = (23, 24)  # left_hip, right_hip in the 33-keypoint order


# --------------------------------------------------------------------------- records


@dataclass
class PersonRecord:
    """One of our people in one frame: track id, box (4,) x,y,w,h px, keypoints (33, 3)."""

    track_id: int
    bbox: np.ndarray
    keypoints: np.ndarray


@dataclass
class Run:
    """One timed pass over the clip: total wall time and per-frame wall times (s)."""

    frames: int
    total_s: float
    frame_s: list[float] = field(default_factory=list)

    @property
    def fps(self) -> float:
        return self.frames / self.total_s if self.total_s > 0 else 0.0

    @property
    def fps_after_first(self) -> float:
        rest = sum(self.frame_s[1:])
        return (len(self.frame_s) - 1) / rest if rest > 0 else 0.0


def ms_by_people(run: Run, frames: list[list[PersonRecord]]) -> dict[int, float]:
    """Median milliseconds per frame, by number of people we tracked in that frame."""
    groups: dict[int, list[float]] = {}
    for t, people in zip(run.frame_s, frames, strict=False):
        groups.setdefault(len(people), []).append(t * 1000)
    return {k: statistics.median(v) for k, v in sorted(groups.items())}


def summarise(runs: list[Run]) -> dict:
    """fps of several runs: the median is the figure, best and worst show the noise."""
    fps = [r.fps for r in runs]
    return {
        "fps": statistics.median(fps),
        "fps_best": max(fps),
        "fps_worst": min(fps),
        "fps_after_first_frame": statistics.median(r.fps_after_first for r in runs),
        "first_frame_ms": statistics.median(r.frame_s[0] * 1000 if r.frame_s else 0.0
                                            for r in runs),
        "runs": len(runs),
        "frames": runs[0].frames,
    }


# --------------------------------------------------------------------------- our side


def _pose_estimator_class() -> type:
    """PoseEstimator from the public surface, or from its module while that is being written."""
    try:
        from estimator import PoseEstimator
    except ImportError:
        from estimator.pipeline import PoseEstimator
    return PoseEstimator


def time_ours(
    clip: Path, max_people: int | None, num_threads: int | None = None
) -> tuple[Run, list[list[PersonRecord]]]:
    """One pass of a fresh PoseEstimator (built, so models loaded, before the clock starts).

    ``max_people=None`` is the estimator as shipped: ``PoseEstimator()``, its default;
    ``num_threads=None`` leaves the estimator's own default.
    """
    kwargs: dict = {}
    if max_people is not None:
        kwargs["max_people"] = max_people
    if num_threads is not None:
        kwargs["num_threads"] = num_threads
    est = _pose_estimator_class()(**kwargs)
    frames: list[list[PersonRecord]] = []
    frame_s: list[float] = []
    t0 = time.perf_counter()
    last = t0
    for fp in est.process(clip):
        frames.append(
            [
                PersonRecord(int(p.track_id), np.asarray(p.bbox, float), np.asarray(p.keypoints))
                for p in fp.people
            ]
        )
        now = time.perf_counter()
        frame_s.append(now - last)
        last = now
    total = time.perf_counter() - t0
    return Run(len(frames), total, frame_s), frames


def time_our_decode(clip: Path) -> Run:
    """Decode alone through our ``iter_frames`` (the floor under any model's cost)."""
    from estimator.video import iter_frames

    n = 0
    t0 = time.perf_counter()
    for _ in iter_frames(clip):
        n += 1
    return Run(n, time.perf_counter() - t0)


def both_in_view(clip: Path, frames: int) -> tuple[range | None, dict[str, tuple[int, int]]]:
    """Frames where every annotated person is in view, from ``IN_VIEW`` (None if not annotated)."""
    people = IN_VIEW.get((clip.name, frames))
    if not people:
        return None, {}
    first = max(a for a, _ in people.values())
    last = min(b for _, b in people.values())
    return range(first, last + 1), people


def _stretches(indices: list[int]) -> list[tuple[int, int]]:
    """Consecutive runs of frame indices as (first, last) pairs."""
    out: list[tuple[int, int]] = []
    for i in indices:
        if out and i == out[-1][1] + 1:
            out[-1] = (out[-1][0], i)
        else:
            out.append((i, i))
    return out


def distinct_people(people: list[PersonRecord]) -> int:
    """How many different people: two skeletons whose hip centres lie within SAME_PERSON of
    the larger box height are one person tracked twice."""
    centres: list[tuple[np.ndarray, float]] = []
    for p in people:
        c, h = hip_centre(p.keypoints), float(p.bbox[3])
        if all(np.linalg.norm(c - c2) > SAME_PERSON * max(h, h2, 1.0) for c2, h2 in centres):
            centres.append((c, h))
    return len(centres)


def track_stats(frames: list[list[PersonRecord]], view: range | None) -> dict:
    """Tracking of two people: presence on the frames both are in view, and identities.

    ``view`` is the frames where both people are in view (``both_in_view``); when
    the clip is not annotated, every frame counts. On those frames a frame is
    "both tracked" when we have at least two different people in it (the judged
    figure; a person tracked twice counts once, see ``distinct_people``),
    and "both main ids" when the two track ids seen most over the clip are both
    in it, so an identity change also counts against that second figure.
    """
    seen = Counter(p.track_id for people in frames for p in people)
    main = [tid for tid, _ in seen.most_common(2)]
    n = len(frames)
    view_frames = [i for i in (view if view is not None else range(n)) if i < n]
    both = [i for i in view_frames if distinct_people(frames[i]) >= 2]
    both_main = [
        i for i in view_frames
        if len(main) == 2 and set(main) <= {p.track_id for p in frames[i]}
    ]
    missed = sorted(set(view_frames) - set(both))
    m = len(view_frames)
    return {
        "distinct_track_ids": len(seen),
        "frames_per_track": dict(sorted(seen.items())),
        "main_tracks": main,
        "both_in_view_annotated": view is not None,
        "both_in_view_frames": m,
        "both_tracked_frames": len(both),
        "both_tracked_fraction": len(both) / m if m else 0.0,
        "both_main_ids_frames": len(both_main),
        "both_main_ids_fraction": len(both_main) / m if m else 0.0,
        "not_both_tracked_stretches": _stretches(missed),
        "frames_with_2_or_more": sum(1 for people in frames if len(people) >= 2),
        "frames_with_duplicates": [
            i for i, people in enumerate(frames) if distinct_people(people) < len(people)
        ],
        "frames_with_nobody": sum(1 for people in frames if not people),
    }


# --------------------------------------------------------------------------- MediaPipe side


def _mp_version(python: Path) -> str | None:
    try:
        out = subprocess.run(
            [str(python), "-c", "import mediapipe; print(mediapipe.__version__)"],
            capture_output=True, text=True, timeout=120,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def mediapipe_python(given: Path | None) -> Path:
    """Python of the MediaPipe venv: the one given, or bench/.mediapipe-venv (created if needed)."""
    if given is not None:
        if _mp_version(given) is None:
            raise RuntimeError(f"{given} cannot import mediapipe")
        return given
    python = DEFAULT_MP_VENV / "bin" / "python"
    if python.exists() and _mp_version(python) is not None:
        return python
    print(f"creating {DEFAULT_MP_VENV.relative_to(ROOT)} with {MP_REQUIREMENT} "
          "(once; it needs PyPI and takes a few minutes) ...", flush=True)
    # The project's interpreter is python3.11 inside .venv; `-m venv` builds the new
    # environment on the same base interpreter, isolated from .venv.
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(DEFAULT_MP_VENV)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         MP_REQUIREMENT],
        check=True,
    )
    if _mp_version(python) is None:
        raise RuntimeError(f"{python} cannot import mediapipe after installing it")
    return python


def time_mediapipe(
    python: Path, clip: Path, out: Path, decode_only: bool, smooth: bool = True
) -> dict:
    """One run of bench/mediapipe_reference.py in its own process; returns its JSON."""
    cmd = [str(python), str(MP_REFERENCE), str(clip), "--out", str(out), "--runs", "1"]
    if not smooth:
        cmd.append("--no-smooth")
    if not decode_only:
        cmd.append("--no-decode-only")
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        raise RuntimeError(f"mediapipe_reference.py failed (exit {proc.returncode}):\n{tail}")
    return json.loads(out.read_text())


def mp_landmarks(report: dict) -> list[np.ndarray | None]:
    """Per frame: MediaPipe's (33, 3) [x_px, y_px, visibility] or None when it lost the person."""
    return [
        None if f["landmarks"] is None else np.asarray(f["landmarks"], float)
        for f in report["frames"]
    ]


# --------------------------------------------------------------------------- comparison


def hip_centre(kp: np.ndarray) -> np.ndarray:
    return kp[list(HIPS), :2].mean(axis=0)


def match(people: list[PersonRecord], mp: np.ndarray) -> PersonRecord | None:
    """Our person MediaPipe is following: nearest hip centre, if within SAME_PERSON box heights."""
    best, best_d = None, np.inf
    for p in people:
        h = max(float(p.bbox[3]), 1.0)
        d = float(np.linalg.norm(hip_centre(p.keypoints) - hip_centre(mp))) / h
        if d < best_d:
            best, best_d = p, d
    return best if best_d <= SAME_PERSON else None


def mediapipe_jumps(mp: list[np.ndarray | None]) -> list[int]:
    """Frames where MediaPipe's person is somebody else than on its previous frame with one.

    Judged on MediaPipe's own landmarks, not on our tracks: its hip centre moved
    more than SAME_PERSON of its skeleton's height (extent of its 33 y values)
    since the last frame it had a person (frames it lost in between are skipped).
    """
    jumps = []
    prev = None
    for i, kp in enumerate(mp):
        if kp is None:
            continue
        if prev is not None:
            h = max(float(np.ptp(prev[:, 1])), 1.0)
            if np.linalg.norm(hip_centre(kp) - hip_centre(prev)) / h > SAME_PERSON:
                jumps.append(i)
        prev = kp
    return jumps


def compare(ours: list[list[PersonRecord]], mp: list[np.ndarray | None]) -> dict:
    """Distances between our landmarks and MediaPipe's, per keypoint, in box heights.

    For every frame where MediaPipe has a person and one of ours is that person
    (see ``match``), the distance of each of the 33 keypoints, divided by our
    box height of that person. ``median_visible`` (the figure judged) uses the
    keypoints with visibility >= 0.5 in both; ``median_all`` uses all 33.
    """
    from estimator.keypoints import KEYPOINT_NAMES

    n = min(len(ours), len(mp))
    rows: list[np.ndarray] = []  # (33,) normalised distances per matched frame
    masks: list[np.ndarray] = []  # (33,) visible in both
    frame_ids: list[int] = []
    followed: list[int | None] = []  # our track id MediaPipe follows, per frame (None: lost)
    for i in range(n):
        if mp[i] is None:
            followed.append(None)
            continue
        p = match(ours[i], mp[i])
        followed.append(None if p is None else p.track_id)
        if p is None:
            continue
        d = np.linalg.norm(p.keypoints[:, :2] - mp[i][:, :2], axis=1) / max(float(p.bbox[3]), 1.0)
        rows.append(d)
        masks.append((p.keypoints[:, 2] >= VISIBLE) & (mp[i][:, 2] >= VISIBLE))
        frame_ids.append(i)

    result: dict = {
        "frames": n,
        "mediapipe_lost_frames": sum(1 for m in mp[:n] if m is None),
        "matched_frames": len(rows),
    }
    result["mediapipe_jump_frames"] = mediapipe_jumps(mp[:n])
    result["mediapipe_followed_tracks"] = dict(
        sorted(Counter(t for t in followed if t is not None).items())
    )
    result["mediapipe_unmatched_frames"] = [
        i for i in range(n) if mp[i] is not None and followed[i] is None
    ]
    if not rows:
        return result
    dist = np.stack(rows)  # (M, 33)
    vis = np.stack(masks)  # (M, 33)
    visible = dist[vis]
    result["median_visible"] = float(np.median(visible)) if visible.size else float("nan")
    result["p90_visible"] = float(np.percentile(visible, 90)) if visible.size else float("nan")
    result["median_all"] = float(np.median(dist))
    result["visible_pairs"] = int(vis.sum())
    per_kp = {}
    for k, name in enumerate(KEYPOINT_NAMES):
        col = dist[vis[:, k], k]
        if col.size:
            per_kp[name] = {"median": float(np.median(col)), "p90": float(np.percentile(col, 90)),
                            "frames": int(col.size)}
    result["per_keypoint"] = per_kp
    per_frame = [
        (frame_ids[j], float(np.median(dist[j][vis[j]])) if vis[j].any() else float("nan"))
        for j in range(len(frame_ids))
    ]
    worst = sorted((f for f in per_frame if np.isfinite(f[1])), key=lambda f: -f[1])[:5]
    result["worst_frames"] = [{"frame": f, "median": d} for f, d in worst]
    return result


# --------------------------------------------------------------------------- output


def _short(frames: list[int]) -> str:
    """Frame numbers as stretches, e.g. ' (12-14, 30)', or '' when none."""
    if not frames:
        return ""
    return " (" + ", ".join(f"{a}-{b}" if a != b else f"{a}" for a, b in _stretches(frames)) + ")"


def pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def print_comparison(title: str, cmp: dict) -> None:
    print(f"  {title}: {cmp['matched_frames']} frames matched "
          f"({cmp['mediapipe_lost_frames']} lost by MediaPipe, "
          f"{len(cmp['mediapipe_unmatched_frames'])} on nobody of ours)")
    if "median_visible" not in cmp:
        return
    print(f"    median distance {pct(cmp['median_visible'])} of box height "
          f"(keypoints visible in both, {cmp['visible_pairs']} pairs); "
          f"all 33: {pct(cmp['median_all'])}; p90 visible: {pct(cmp['p90_visible'])}")
    worst_kp = sorted(cmp["per_keypoint"].items(), key=lambda kv: -kv[1]["median"])[:5]
    print("    furthest keypoints (median): "
          + ", ".join(f"{k} {pct(v['median'])}" for k, v in worst_kp))
    print("    furthest frames (median over visible keypoints): "
          + ", ".join(f"#{w['frame']} {pct(w['median'])}" for w in cmp["worst_frames"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Our estimator vs MediaPipe's legacy Pose: fps, tracking, landmark distance."
    )
    parser.add_argument("--clip", type=Path, default=None,
                        help=f"clip to measure (default {DEFAULT_CLIP})")
    parser.add_argument("--repeat", type=int, default=3,
                        help="timed passes per side, interleaved; fps is the median (default 3)")
    parser.add_argument("--mediapipe-python", type=Path, default=None,
                        help="python of an existing venv with mediapipe==0.10.21 "
                             f"(default: {DEFAULT_MP_VENV.relative_to(ROOT)}, created if missing)")
    parser.add_argument("--no-mediapipe", action="store_true",
                        help="measure our estimator only")
    parser.add_argument("--json", type=Path, default=None, help="write all figures to this file")
    parser.add_argument("--threads", type=int, default=None,
                        help="num_threads for our estimator (default: its own default)")
    parser.add_argument("--mediapipe-no-smooth", action="store_true",
                        help="diagnostic: turn MediaPipe's landmark smoothing off (the targets "
                             "are meant for its default, smoothing on)")
    args = parser.parse_args(argv)

    clip = args.clip or DEFAULT_CLIP
    if not clip.is_file():
        if args.clip is None:
            print(f"SKIP: benchmark clip not found at {clip} "
                  "(../shared/media beside the project); nothing measured")
            return 0
        print(f"bench/estimator.py: {clip} not found", file=sys.stderr)
        return 2
    repeat = max(1, args.repeat)

    load_before = os.getloadavg()[0]
    print(f"clip {clip}  |  {os.cpu_count()} cores, load average {load_before:.2f}  |  "
          f"python {platform.python_version()}  |  {repeat} run(s) per side, median")
    if load_before > 0.5:
        print("  note: the machine is busy; timings are noisy (compare medians, not runs)")

    try:
        import cv2

        from estimator.errors import EstimatorError
        from estimator.video import probe

        _pose_estimator_class()  # fail early if the estimator is not there
    except ImportError as exc:
        print(f"bench/estimator.py: cannot import the estimator: {exc}", file=sys.stderr)
        return 1
    try:
        info = probe(clip)
    except EstimatorError as exc:
        print(f"bench/estimator.py: {exc}", file=sys.stderr)
        return 2
    if info.kind != "video":
        print(f"bench/estimator.py: {clip} is a photo; the benchmark needs a clip", file=sys.stderr)
        return 2
    print(f"  {info.kind}: {info.width}x{info.height}, {info.frame_count} frames, "
          f"{info.fps:.2f} fps")

    mp_python = None
    if not args.no_mediapipe:
        try:
            mp_python = mediapipe_python(args.mediapipe_python)
        except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
            print(f"bench/estimator.py: MediaPipe side unavailable: {exc}", file=sys.stderr)
            return 1

    runs: dict[str, list[Run]] = {"single": [], "multi": [], "mediapipe": []}
    kept: dict[str, list[list[PersonRecord]]] = {}
    mp_report: dict | None = None
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    try:
        our_decode = time_our_decode(clip)
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(repeat):
                # Interleaved, so slow spells of a shared machine hit every side alike.
                if mp_python is not None:
                    rep = time_mediapipe(mp_python, clip, Path(tmp) / f"mp{i}.json", i == 0,
                                         smooth=not args.mediapipe_no_smooth)
                    r = rep["runs"][0]
                    runs["mediapipe"].append(Run(r["frames"], r["total_s"], r["frame_s"]))
                    if i == 0:
                        mp_report = rep
                for mode, max_people in (("single", 1), ("multi", None)):
                    run, frames = time_ours(clip, max_people, args.threads)
                    runs[mode].append(run)
                    kept.setdefault(mode, frames)
    except (RuntimeError, EstimatorError) as exc:
        print(f"bench/estimator.py: {exc}", file=sys.stderr)
        return 1

    view, in_view = both_in_view(clip, runs["multi"][0].frames)
    figures: dict = {
        "clip": str(clip),
        "in_view_by_eye": in_view,
        "cores": os.cpu_count(),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg()[0],
        "repeat": repeat,
        "our_num_threads": args.threads or "estimator default",
        "ours": {
            "cv2_version": cv2.__version__,
            "decode_fps": our_decode.fps,
            "single": summarise(runs["single"]),
            "multi": {**summarise(runs["multi"]), **track_stats(kept["multi"], view),
                      "ms_by_people": ms_by_people(runs["multi"][0], kept["multi"])},
        },
    }
    ours_s, ours_m = figures["ours"]["single"], figures["ours"]["multi"]

    print("\nour estimator (decode included, models loaded before timing; num_threads "
          f"{args.threads or 'as shipped'})")
    print(f"  decode alone (iter_frames): {our_decode.fps:.1f} fps, cv2 {cv2.__version__}")
    for name, s in (("single-person (max_people=1)", ours_s), ("multi-person (default)", ours_m)):
        print(f"  {name}: {s['fps']:.1f} fps  [runs {s['fps_worst']:.1f}..{s['fps_best']:.1f}; "
              f"first frame {s['first_frame_ms']:.0f} ms; "
              f"without it {s['fps_after_first_frame']:.1f} fps]")
    print("  multi-person, median ms per frame by people tracked (first pass): "
          + ", ".join(f"{k} people {v:.1f} ms" for k, v in ours_m["ms_by_people"].items()))
    n_frames = ours_m["frames"]
    if view is not None:
        print("  people in view (checked by eye): "
              + "; ".join(f"{who} [{a}-{b}]" for who, (a, b) in in_view.items()))
        where = (f"the {ours_m['both_in_view_frames']} frames both are in view "
                 f"({view.start}-{view.stop - 1})")
    else:
        where = f"all {n_frames} frames (no by-eye annotation for this clip)"
    print(f"  multi-person: both people tracked on {ours_m['both_tracked_frames']} of {where}: "
          f"{pct(ours_m['both_tracked_fraction'])}; with the two main track ids "
          f"{ours_m['main_tracks']}: {pct(ours_m['both_main_ids_fraction'])}")
    gaps = ", ".join(f"{a}-{b}" if a != b else f"{a}"
                     for a, b in ours_m["not_both_tracked_stretches"])
    print(f"    not both tracked on frames: {gaps or 'none'}")
    print(f"    whole clip: {ours_m['frames_with_2_or_more']}/{n_frames} frames with >= 2 people,"
          f" {ours_m['frames_with_nobody']} with nobody, "
          f"{len(ours_m['frames_with_duplicates'])} with a person tracked twice"
          f"{_short(ours_m['frames_with_duplicates'])}; {ours_m['distinct_track_ids']} distinct "
          f"track ids (frames per id {ours_m['frames_per_track']})")

    mp_fig = None
    if mp_report is not None:
        mp = mp_landmarks(mp_report)
        mp_decode = mp_report["decode_only"]
        mp_fig = {
            **summarise(runs["mediapipe"]),
            "mediapipe_version": mp_report["mediapipe_version"],
            "cv2_version": mp_report["cv2_version"],
            "numpy_version": mp_report["numpy_version"],
            "model_complexity": mp_report["model_complexity"],
            "smooth_landmarks": mp_report["smooth_landmarks"],
            "decode_fps": mp_decode["frames"] / mp_decode["total_s"],
        }
        figures["mediapipe"] = mp_fig
        saved = OUT_DIR / f"mediapipe_{clip.stem}.json"
        saved.write_text(json.dumps(mp_report))
        print(f"\nMediaPipe {mp_fig['mediapipe_version']} legacy Pose, model_complexity="
              f"{mp_fig['model_complexity']}, video mode, smoothing "
              f"{'on' if mp_fig['smooth_landmarks'] else 'off'} (own venv, numpy "
              f"{mp_fig['numpy_version']}, cv2 {mp_fig['cv2_version']})")
        print(f"  decode + BGR->RGB alone: {mp_fig['decode_fps']:.1f} fps")
        print(f"  decode + BGR->RGB + process: {mp_fig['fps']:.1f} fps  "
              f"[runs {mp_fig['fps_worst']:.1f}..{mp_fig['fps_best']:.1f}; first frame "
              f"{mp_fig['first_frame_ms']:.0f} ms; without it "
              f"{mp_fig['fps_after_first_frame']:.1f} fps]")
        print(f"  landmarks saved to {saved.relative_to(ROOT)}")

        cmp_multi = compare(kept["multi"], mp)
        cmp_single = compare(kept["single"], mp)
        figures["landmarks_vs_mediapipe"] = {"multi": cmp_multi, "single": cmp_single}
        print(f"  MediaPipe lost the person on {cmp_multi['mediapipe_lost_frames']}/"
              f"{cmp_multi['frames']} frames and jumped to another person "
              f"{len(cmp_multi['mediapipe_jump_frames'])} time(s) (frames "
              f"{cmp_multi['mediapipe_jump_frames']}); it followed our tracks "
              f"{cmp_multi['mediapipe_followed_tracks']} (frame counts)")
        print("\nour landmarks vs MediaPipe's (same person: hip centres within "
              f"{SAME_PERSON} box heights; distance / our box height)")
        print_comparison("multi-person run", cmp_multi)
        print_comparison("single-person run", cmp_single)

    print("\ntargets")
    targets = {}
    if mp_fig is not None:
        ratio = ours_s["fps"] / mp_fig["fps"] if mp_fig["fps"] else 0.0
        targets["single_fps_vs_mediapipe"] = {"value": ratio, "target": TARGET_SPEEDUP,
                                              "pass": ratio >= TARGET_SPEEDUP}
        print(f"  {verdict(ratio >= TARGET_SPEEDUP)}  single-person fps {ours_s['fps']:.1f} = "
              f"{ratio:.2f}x MediaPipe's {mp_fig['fps']:.1f} (target >= {TARGET_SPEEDUP}x)")
        med = figures["landmarks_vs_mediapipe"]["multi"].get("median_visible", float("nan"))
        ok = bool(np.isfinite(med) and med <= TARGET_LANDMARK_FRACTION)
        targets["landmark_distance"] = {"value": med, "target": TARGET_LANDMARK_FRACTION,
                                        "pass": ok}
        print(f"  {verdict(ok)}  median landmark distance to MediaPipe {pct(med)} of box height "
              f"(multi-person run, visible keypoints; target <= {pct(TARGET_LANDMARK_FRACTION)})")
    else:
        print("  (MediaPipe not run: speed-up and landmark-distance targets not judged)")
    both = ours_m["both_tracked_fraction"]
    targets["multi_both_tracked"] = {"value": both, "target": TARGET_BOTH_TRACKED,
                                     "pass": both >= TARGET_BOTH_TRACKED}
    targets["multi_fps"] = {"value": ours_m["fps"], "target": TARGET_MULTI_FPS,
                            "pass": ours_m["fps"] >= TARGET_MULTI_FPS}
    print(f"  {verdict(both >= TARGET_BOTH_TRACKED)}  multi-person both people tracked on "
          f"{pct(both)} of {where} (target >= {pct(TARGET_BOTH_TRACKED)})")
    print(f"  {verdict(ours_m['fps'] >= TARGET_MULTI_FPS)}  multi-person {ours_m['fps']:.1f} fps "
          f"(target >= {TARGET_MULTI_FPS:.0f})")
    figures["targets"] = targets
    print(f"\nload average after: {figures['load_average_after']:.2f}")

    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2))
        print(f"figures written to {args.json}")
    return 0



if __name__ == "__main__":
    sys.exit(main())
