"""Benchmark: left/right consistency and keypoint jitter, ours beside MediaPipe's.

Run from the project root with the project's environment::

    .venv/bin/python bench/consistency.py [--clip PATH ...] [--render OUTDIR]
        [--mediapipe-python PATH] [--no-mediapipe] [--json OUT]

On ``../shared/media/parkour_walk.mp4`` by default, and on every ``--clip``
given, it prints left/right swap events per 1,000 person-frames (whole body,
legs, arms; found by ``bench/swap_events.py`` without ground truth) and the
keypoint jitter (median frame-to-frame acceleration, in box heights) for our
estimator (``PoseEstimator()`` and ``PoseEstimator(max_people=1)``) and, on
the same frames of the same person, for MediaPipe's legacy Pose
(``model_complexity=1``, video mode, smoothing on) run in the throw-away venv
that ``bench/estimator.py`` manages. It lists each event's frames per track
and, with ``--render``, draws them to PNG. Targets of issue 8 are printed
with PASS/MISS. It never asserts: exit 0 whenever it ran, 0 with a SKIP line
when the default clip is absent, 1 when it could not run, 2 for a ``--clip``
that does not exist. See ``bench/README.md`` for how it measures.
"""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this folder comes first on sys.path, where bench/estimator.py would
# shadow the estimator package: take it off and put the project root first.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from bench import swap_events as se  # noqa: E402

bench_estimator = importlib.import_module("bench.estimator")  # MediaPipe venv, match, jumps

DEFAULT_CLIP = ROOT.parent / "shared" / "media" / "parkour_walk.mp4"
KINDS = ("whole_body", "legs", "arms")
MAX_RENDERS = 100  # per clip and side

# MediaPipe's reference script, run in its venv with world landmarks added: its Pose class
# is wrapped so each process() result's pose_world_landmarks is kept, then written
# beside the 2D landmarks of the same frame ("world": 33 x [x, y, z] metres, or null).
_MP_WITH_WORLD = """
import json, sys
sys.path.insert(0, sys.argv.pop(1))
import mediapipe_reference as ref
_Pose, world = ref.mp.solutions.pose.Pose, []
class Pose(_Pose):
    def process(self, image):
        r = super().process(image)
        w = r.pose_world_landmarks
        world.append(None if w is None else [[m.x, m.y, m.z] for m in w.landmark])
        return r
ref.mp.solutions.pose.Pose = Pose
rc = ref.main(sys.argv[1:])
out = sys.argv[sys.argv.index("--out") + 1]
rep = json.load(open(out))
if len(world) == len(rep["frames"]):
    for f, w in zip(rep["frames"], world):
        f["world"] = w
json.dump(rep, open(out, "w"))
sys.exit(rc)
"""


# --------------------------------------------------------------------------- runs


def run_ours(clip: Path, max_people: int | None) -> list[list]:
    """Per frame, our ``Person`` objects (a fresh ``PoseEstimator``; None: its default)."""
    cls = bench_estimator._pose_estimator_class()
    est = cls() if max_people is None else cls(max_people=max_people)
    try:
        return [list(fp.people) for fp in est.process(clip)]
    finally:
        if hasattr(est, "close"):
            est.close()


def run_mediapipe(python: Path, clip: Path) -> tuple[list, list]:
    """MediaPipe's per-frame (33, 3) landmarks (or None) and (33, 3) world metres (or None)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "mp.json"
        cmd = [str(python), "-c", _MP_WITH_WORLD, str(bench_estimator.MP_REFERENCE.parent),
               str(clip), "--out", str(out), "--runs", "1", "--no-decode-only"]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
            raise RuntimeError(f"mediapipe_reference.py failed (exit {proc.returncode}):\n{tail}")
        report = json.loads(out.read_text())
    landmarks = bench_estimator.mp_landmarks(report)
    world = [None if f.get("world") is None else np.asarray(f["world"], float)
             for f in report["frames"]]
    return landmarks, world


# --------------------------------------------------------------------------- tracks


def _track(rows: list[tuple[int, np.ndarray, float, np.ndarray | None]]) -> se.Track:
    worlds = [r[3] for r in rows]
    world = None if any(w is None for w in worlds) else np.stack(worlds)
    return se.Track(np.array([r[0] for r in rows]), np.stack([r[1] for r in rows]),
                    np.array([r[2] for r in rows], float), world)


def _row(i: int, keypoints, world) -> tuple:
    """One track row; the size is ``box_height`` of the keypoints, the same rule on both sides
    (our ``bbox`` is that box, clipped to the picture; MediaPipe gives no box)."""
    kp = np.asarray(keypoints, float)
    return (i, kp, se.box_height(kp), None if world is None else np.asarray(world, float))


def our_tracks(frames: list[list]) -> dict[int, se.Track]:
    """Our people grouped by track id."""
    rows: dict[int, list] = {}
    for i, people in enumerate(frames):
        for p in people:
            rows.setdefault(int(p.track_id), []).append(_row(i, p.keypoints, p.world))
    return {tid: _track(r) for tid, r in sorted(rows.items())}


def head_to_head(ours: list[list], mp: list, mp_world: list) -> tuple[list, list]:
    """MediaPipe's person and our track matched to it, on the same frames, as segments.

    A frame counts when MediaPipe has a person and ``bench/estimator.py``'s
    ``match`` finds that person among ours. A segment ends where MediaPipe jumps
    to somebody else (``mediapipe_jumps``) or the matched track id changes, so
    neither side is judged across a change of person.
    """
    jumps = set(bench_estimator.mediapipe_jumps(mp))
    segs_mp: list[list] = []
    segs_ours: list[list] = []
    last_tid = None
    for i in range(min(len(ours), len(mp))):
        p = None if mp[i] is None else bench_estimator.match(ours[i], mp[i])
        if p is None:
            last_tid = None
            continue
        if last_tid is None or i in jumps or p.track_id != last_tid:
            segs_mp.append([])
            segs_ours.append([])
        last_tid = p.track_id
        segs_mp[-1].append(_row(i, mp[i], mp_world[i]))
        segs_ours[-1].append(_row(i, p.keypoints, p.world))
    return [_track(s) for s in segs_mp], [_track(s) for s in segs_ours]


# --------------------------------------------------------------------------- figures


def measure(tracks: list[se.Track], names: list[str]) -> dict:
    """Events per kind (count, per 1,000 person-frames, frames per track), judged transitions,
    jitter; ``names`` labels the tracks in the frame lists."""
    person_frames = sum(len(t.frames) for t in tracks)
    events: dict[str, dict] = {k: {"count": 0, "frames": {}} for k in KINDS}
    judged = {g: {"2d": 0, "3d": 0} for g in se.GROUPS}
    transitions = 0
    all_events = []
    for name, t in zip(names, tracks, strict=True):
        for i in se.transitions(t):
            transitions += 1
            for g, j in se.judge_transition(t, i).items():
                if j.swap is not None:
                    judged[g][j.cue] += 1
        evs = se.find_events(t)
        all_events.append((name, t, evs))
        for e in evs:
            events[e.kind]["count"] += 1
            events[e.kind]["frames"].setdefault(name, []).append(e.frame)
    for k in KINDS:
        events[k]["per_1000"] = 1000 * events[k]["count"] / person_frames if person_frames else 0.0
    jit = np.concatenate([se.jitter(t) for t in tracks]) if tracks else np.zeros(0)
    return {
        "person_frames": person_frames,
        "transitions": transitions,
        "judged_transitions": judged,
        "events": events,
        "limb_events": events["legs"]["count"] + events["arms"]["count"],
        "jitter_median": float(np.median(jit)) if jit.size else float("nan"),
        "jitter_p90": float(np.percentile(jit, 90)) if jit.size else float("nan"),
        "event_list": [{"track": name, "frame": e.frame, "kind": e.kind, "cue": e.cue,
                        "ratio": e.ratio, "separation": e.separation}
                       for name, _, evs in all_events for e in evs],
        "_events": all_events,  # for rendering; not written to --json
    }


def print_figures(title: str, m: dict) -> None:
    print(f"  {title}: {m['person_frames']} person-frames, {m['transitions']} frame-to-frame "
          f"transitions; jitter median {100 * m['jitter_median']:.2f}% of box height "
          f"(p90 {100 * m['jitter_p90']:.2f}%)")
    judged = ", ".join(f"{g} {v['2d']}+{v['3d']}" for g, v in m["judged_transitions"].items())
    print(f"    transitions judged (2D + 3D cue): {judged}")
    for k in KINDS:
        e = m["events"][k]
        where = "; ".join(f"{n}: {', '.join(map(str, f))}" for n, f in e["frames"].items())
        print(f"    {k:10s} {e['count']:3d} events = {e['per_1000']:6.2f} per 1,000 person-frames"
              + (f"  [frames {where}]" if where else ""))


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def measure_clip(clip: Path, mp_python: Path | None, render: Path | None) -> dict:
    print(f"\nclip {clip}")
    multi = run_ours(clip, None)
    single = run_ours(clip, 1)
    figures: dict = {"clip": str(clip), "frames": len(multi)}
    print("our estimator, every track")
    sides: dict[str, dict] = {}
    for mode, frames in (("multi", multi), ("single", single)):
        tracks = our_tracks(frames)
        m = measure(list(tracks.values()), [f"track {tid}" for tid in tracks])
        label = "multi-person (default)" if mode == "multi" else "single-person (max_people=1)"
        print_figures(label, m)
        sides[f"ours_{mode}"] = m

    mp = mp_world = None
    if mp_python is not None:
        mp, mp_world = run_mediapipe(mp_python, clip)
        print(f"\nsame person, same frames: MediaPipe legacy Pose (model_complexity=1, video mode,"
              f" smoothing on; {sum(m is None for m in mp)} frames without a person, jumps "
              f"to another person at {bench_estimator.mediapipe_jumps(mp)}; world landmarks "
              f"{'kept' if any(w is not None for w in mp_world) else 'NOT available: 2D only'})")
        for mode, frames in (("multi", multi), ("single", single)):
            seg_mp, seg_ours = head_to_head(frames, mp, mp_world)
            names = [f"segment {t.frames[0]}-{t.frames[-1]}" for t in seg_mp]
            m_mp, m_ours = measure(seg_mp, names), measure(seg_ours, names)
            print_figures(f"MediaPipe, against our {mode}-person run", m_mp)
            print_figures(f"ours ({mode}-person), matched to MediaPipe's person", m_ours)
            sides[f"mediapipe_vs_{mode}"], sides[f"ours_{mode}_matched"] = m_mp, m_ours

    print("\ntargets (issue 8)")
    targets = {}
    for mode in ("multi", "single"):
        n = sides[f"ours_{mode}"]["events"]["whole_body"]["count"]
        targets[f"whole_body_{mode}"] = {"value": n, "target": 0, "pass": n == 0}
        print(f"  {verdict(n == 0)}  {mode}-person: {n} whole-body swap events, every track "
              "(target 0)")
    for mode in ("multi", "single"):
        if f"mediapipe_vs_{mode}" not in sides:
            print(f"  (MediaPipe not run: limb swaps against MediaPipe's not judged, {mode})")
            continue
        ours_n = sides[f"ours_{mode}_matched"]["limb_events"]
        mp_n = sides[f"mediapipe_vs_{mode}"]["limb_events"]
        ok = ours_n < mp_n or ours_n == 0
        targets[f"limbs_vs_mediapipe_{mode}"] = {"value": ours_n, "mediapipe": mp_n, "pass": ok}
        print(f"  {verdict(ok)}  {mode}-person: {ours_n} limb (legs + arms) swap events against "
              f"MediaPipe's {mp_n}, same person, same frames (target: fewer, or none)")
    figures["targets"] = targets

    if render is not None:
        from bench.swap_render import render_events

        jobs = [(f"ours-{mode}", sides[f"ours_{mode}"]["_events"]) for mode in ("multi", "single")]
        if "mediapipe_vs_multi" in sides:
            jobs.append(("mediapipe", sides["mediapipe_vs_multi"]["_events"]))
        written = render_events(clip, jobs, render, MAX_RENDERS)
        print(f"\n{written} event image(s) written to {render}")
    figures["figures"] = {k: {kk: vv for kk, vv in v.items() if not kk.startswith("_")}
                          for k, v in sides.items()}
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Left/right swap events and keypoint jitter: ours vs MediaPipe's legacy Pose."
    )
    parser.add_argument("--clip", type=Path, action="append", default=None,
                        help=f"clip to measure, repeatable (default {DEFAULT_CLIP})")
    parser.add_argument("--render", type=Path, default=None, metavar="OUTDIR",
                        help="draw each event (frame before | frame of the event) to PNG here")
    parser.add_argument("--mediapipe-python", type=Path, default=None,
                        help="python of an existing venv with mediapipe==0.10.21 "
                             "(default: bench/.mediapipe-venv, created if missing)")
    parser.add_argument("--no-mediapipe", action="store_true", help="measure our estimator only")
    parser.add_argument("--json", type=Path, default=None, help="write all figures to this file")
    args = parser.parse_args(argv)

    clips = args.clip or [DEFAULT_CLIP]
    if args.clip is None and not DEFAULT_CLIP.is_file():
        print(f"SKIP: benchmark clip not found at {DEFAULT_CLIP} "
              "(../shared/media beside the project); nothing measured")
        return 0
    for clip in clips:
        if not clip.is_file():
            print(f"bench/consistency.py: {clip} not found", file=sys.stderr)
            return 2
    print(f"swap test: D_cross < {se.RATIO} x D_same, sides apart by >= "
          f"{100 * se.MIN_SEPARATION:.0f}% of the person's size in both frames, keypoints with "
          f"visibility >= {se.VISIBLE}; events are transitions (a mirrored run that flips back "
          "is two)")
    mp_python = None
    if not args.no_mediapipe:
        try:
            mp_python = bench_estimator.mediapipe_python(args.mediapipe_python)
        except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
            print(f"bench/consistency.py: MediaPipe side unavailable: {exc}", file=sys.stderr)
            return 1
    from estimator.errors import EstimatorError

    results = []
    for clip in clips:
        try:
            results.append(measure_clip(clip, mp_python, args.render))
        except (RuntimeError, EstimatorError, ImportError) as exc:
            print(f"bench/consistency.py: {clip}: {exc}", file=sys.stderr)
            return 1
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))
        print(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
