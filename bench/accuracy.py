"""Benchmark: accuracy of our photo poses on labelled sports photos, beside MediaPipe's.

Run from the project root with the project's environment::

    .venv/bin/python bench/accuracy.py [--split val|train|all] [--limit N] [--json OUT]
        [--dataset DIR] [--mediapipe-python PATH] [--no-mediapipe] [--render N]

On ``../shared/datasets/lspet-dev`` (LSP-extended: one labelled athlete per
photo, 14 joints; the ``val`` split of 500 photos by default) it runs our
estimator in photo mode (``PoseEstimator().estimate_image``, as
``python -m estimator`` does for a photo) and, in the same run, MediaPipe's
legacy Pose (``model_complexity=1, static_image_mode=True``, ``mediapipe==0.10.21``
in the throw-away ``bench/.mediapipe-venv`` that ``bench/estimator.py`` makes),
then prints for both: people found, PCK@0.2 over the 12 limb joints (overall
and per joint), median and mean knee and elbow interior-angle error, all by
person size; the angles judged as an instrument (``bench/lsp_audit.py``,
poseaudit); seconds per photo; and PASS / MISS against issue 8's targets.
Scoring rules: ``bench/lsp_scoring.py`` and the dataset's README.

It never asserts: exit 0 whenever it ran, 0 with a SKIP line when the dataset is
absent, 1 when it could not run (our estimator failed, or MediaPipe's side
could not be set up; ``--no-mediapipe`` skips that side).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
# As a script this folder comes first on sys.path, where "estimator" would be
# bench/estimator.py: the project root goes first, this folder after it (for lsp_*).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() not in (ROOT, BENCH)]
sys.path[:0] = [str(ROOT), str(BENCH)]

import lsp_audit  # noqa: E402
import lsp_scoring as lsp  # noqa: E402

DATASET = ROOT.parent / "shared" / "datasets" / "lspet-dev"
OUT_DIR = BENCH / "out"  # git-ignored
MP_PHOTOS = BENCH / "mediapipe_photos.py"

# Targets of issue 8 (val split); each must also be at least MediaPipe's in the same run.
TARGET_PCK = 0.72
TARGET_FOUND = 0.96
TARGET_KNEE_MEDIAN_DEG = 8.0


def _bench_estimator():
    """bench/estimator.py as a module (its name would shadow the estimator package)."""
    spec = importlib.util.spec_from_file_location("bench_estimator", BENCH / "estimator.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def run_ours(labels: list[lsp.Label], dataset: Path, landmark_model=None, desc: str = "ours"
             ) -> tuple[list[list[np.ndarray]], list[float]]:
    """Our people (each (33, 3) x_px, y_px, visibility) per photo, and seconds per photo;
    with a user's trained ``landmark_model`` (bench/finetune.py) instead of the default.

    Photos are decoded as the CLI decodes them (``iter_frames``, large ones
    reduced, poses scaled back to the photo's pixels); the time is
    ``estimate_image`` alone, models loaded before.
    """
    from tqdm import tqdm

    from estimator import PoseEstimator, iter_frames
    from estimator.video import in_source_pixels

    estimator = PoseEstimator(landmark_model=landmark_model)
    people, seconds = [], []
    try:
        for label in tqdm(labels, desc=desc, unit="photo", file=sys.stderr):
            frame = next(iter(iter_frames(dataset / label.image)))
            start = time.perf_counter()
            found = in_source_pixels(estimator.estimate_image(frame.image), frame)
            seconds.append(time.perf_counter() - start)
            people.append([np.asarray(p.keypoints, dtype=np.float64) for p in found])
    finally:
        estimator.close()
    return people, seconds


def run_mediapipe(
    python: Path, labels: list[lsp.Label], dataset: Path, tag: str
) -> tuple[list[list[np.ndarray]], list[float], str]:
    """MediaPipe's person (0 or 1 per photo, (33, 3)), seconds per photo, and its version."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    listing = OUT_DIR / f"lsp_photos_{tag}.txt"
    out = OUT_DIR / f"mediapipe_lsp_{tag}.json"
    listing.write_text("".join(f"{dataset / label.image}\n" for label in labels))
    print(f"MediaPipe on {len(labels)} photos ...", file=sys.stderr, flush=True)
    proc = subprocess.run([str(python), str(MP_PHOTOS), str(listing), "--out", str(out)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        raise RuntimeError(f"mediapipe_photos.py failed (exit {proc.returncode}):\n{tail}")
    report = json.loads(out.read_text())
    people = [[] if p["landmarks"] is None else [np.asarray(p["landmarks"], dtype=np.float64)]
              for p in report["photos"]]
    return people, [p["seconds"] for p in report["photos"]], report["mediapipe_version"]


def evaluate(labels: list[lsp.Label], people: list[list[np.ndarray]]) -> dict:
    """Scores, summaries (overall, by size) and poseaudit figures of one model."""
    scores = [lsp.score_photo(label, found) for label, found in zip(labels, people, strict=True)]
    scored = [s for s in scores if s is not None]
    audits = {joint: lsp_audit.figures(lsp_audit.audit_joint(labels, scores, people, joint))
              for joint in lsp_audit.JOINTS}
    return {"summary": lsp.summarise(scored), "by_size": lsp.summarise_by_size(scored),
            "audit": audits, "scores": scores}


# --------------------------------------------------------------------------- printing


def _cell(value: float, fmt: str) -> str:
    return "n/a" if value != value else fmt.format(value)  # NaN is not equal to itself


def _verdict(ours: float, theirs: float | None, target: float, higher_is_better: bool) -> str:
    def better(a: float, b: float) -> bool:
        return a >= b if higher_is_better else a <= b

    ok = better(ours, target) and (theirs is None or better(ours, theirs))
    return "PASS" if ok else "MISS"


def print_report(models: dict[str, dict], labels: list[lsp.Label], speed: dict[str, float],
                 split: str) -> None:
    names = list(models)
    scores = models[names[0]]["scores"]
    scored = [s for s in scores if s is not None]
    fallback = sum(s.torso_fallback for s in scored)
    print(f"\nLSP-extended, split {split}: {len(labels)} photos, {len(scored)} scored "
          f"({len(labels) - len(scored)} without a labelled shoulder and hip to size the "
          f"torso; {fallback} sized by same-side shoulder-hip)")
    header = f"{'':34}" + "".join(f"{n:>12}" for n in names)
    rows = [("people found (share)", "found", "{:.3f}"),
            ("PCK@0.2, 12 limb joints", "pck", "{:.3f}"),
            ("knee error median (deg)", "knee_median_deg", "{:.1f}"),
            ("knee error mean (deg)", "knee_mean_deg", "{:.1f}"),
            ("elbow error median (deg)", "elbow_median_deg", "{:.1f}"),
            ("elbow error mean (deg)", "elbow_mean_deg", "{:.1f}")]
    print(header)
    for title, key, fmt in rows:
        print(f"{title:34}" + "".join(f"{_cell(models[n]['summary'][key], fmt):>12}"
                                      for n in names))
    print(f"{'  angle readings (knee, elbow)':34}" + "".join(
        f"{models[n]['summary']['knee_n']:>6}{models[n]['summary']['elbow_n']:>6}" for n in names))
    print(f"{'seconds per photo (median)':34}" + "".join(f"{speed[n]:>12.3f}" for n in names))
    print("\nPCK@0.2 per joint")
    for joint in lsp.LIMB_JOINTS:
        print(f"  {joint:32}" + "".join(
            f"{_cell(models[n]['summary']['pck_per_joint'][joint], '{:.3f}'):>12}"
            for n in names))
    print("\nBy person size (torso size in px, fixed bands): " + " | ".join(
        f"{band} n={models[names[0]]['by_size'][band]['photos']}"
        for band in lsp.band_names()))
    for title, key, fmt in rows:
        cells = [" / ".join(_cell(models[n]["by_size"][band][key], fmt) for n in names)
                 for band in lsp.band_names()]
        print(f"  {title:32}" + "".join(f"{c:>18}" for c in cells))
    print(f"  (each cell: {' / '.join(names)})")
    print(f"\nAngles as an instrument (poseaudit; interior angle, left and right pooled, "
          f"95% intervals from a bootstrap over photos; >= {lsp_audit.BIG_ERROR_DEG:g} deg by "
          "limb size = mean segment length in the labels)")
    for joint in lsp_audit.JOINTS:
        print(f" {joint}")
        for n in names:
            print("\n".join(lsp_audit.format_figures(n, models[n]["audit"][joint])))
    ours = models[names[0]]["summary"]
    theirs = models[names[1]]["summary"] if len(names) > 1 else None
    print("\nTargets (issue 8, val split; each also at least MediaPipe's in this run)")
    for title, key, target, higher, fmt in (
            ("people found", "found", TARGET_FOUND, True, "{:.3f}"),
            ("PCK@0.2", "pck", TARGET_PCK, True, "{:.3f}"),
            ("knee median error", "knee_median_deg", TARGET_KNEE_MEDIAN_DEG, False, "{:.1f} deg")):
        other = theirs[key] if theirs else None
        sign = ">=" if higher else "<="
        versus = f", MediaPipe {fmt.format(other)}" if other is not None else ""
        print(f"  {title:20} {fmt.format(ours[key]):>10}  target {sign} {fmt.format(target)}"
              f"{versus}: {_verdict(ours[key], other, target, higher)}")


def _finite(value):
    """``value`` with every NaN or infinity (an empty size band's figures, the match
    distance of a photo where nobody was found) as None: strict JSON."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def to_json(models: dict[str, dict], labels: list[lsp.Label], speed: dict[str, float],
            split: str, versions: dict[str, str]) -> dict:
    """Every figure, and per photo each model's result, as JSON-ready data."""
    def photo(score: lsp.PhotoScore | None) -> dict | None:
        if score is None:
            return None
        return {"torso_px": score.torso, "found": score.found,
                "match_distance": score.match_distance, "correct": score.correct.tolist(),
                "angle_errors_deg": score.angle_errors}

    return {
        "split": split, "photos": len(labels), "versions": versions,
        "seconds_per_photo": speed, "size_edges_px": list(lsp.SIZE_EDGES_PX),
        "models": {
            name: {"summary": m["summary"], "by_size": m["by_size"], "audit": m["audit"],
                   "per_photo": {label.image: photo(s)
                                 for label, s in zip(labels, m["scores"], strict=True)}}
            for name, m in models.items()
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("val", "train", "all"), default="val")
    parser.add_argument("--limit", type=int, help="only the first N photos of the split")
    parser.add_argument("--dataset", type=Path, default=DATASET,
                        help="a folder in the same format (labels.json, images/)")
    parser.add_argument("--json", type=Path, help="write every figure as JSON here")
    parser.add_argument("--mediapipe-python", type=Path,
                        help="python of an existing venv holding mediapipe==0.10.21")
    parser.add_argument("--no-mediapipe", action="store_true", help="our side only")
    parser.add_argument("--render", type=int, default=0, metavar="N",
                        help="draw our skeletons on the first N photos into bench/out/")
    args = parser.parse_args(argv)
    if not (args.dataset / "labels.json").is_file():
        print(f"SKIP: labelled photos not found at {args.dataset} "
              "(../shared/datasets/lspet-dev beside the project)")
        return 0
    labels = lsp.load_labels(args.dataset, args.split)[: args.limit]
    tag = args.split if args.limit is None else f"{args.split}_{args.limit}"

    models: dict[str, dict] = {}
    speed: dict[str, float] = {}
    versions: dict[str, str] = {}
    try:
        people, seconds = run_ours(labels, args.dataset)
    except Exception as error:  # any failure of ours means the figures cannot be made
        print(f"our estimator failed: {error!r}", file=sys.stderr)
        return 1
    models["ours"], speed["ours"] = evaluate(labels, people), statistics.median(seconds)
    if args.render:
        import lsp_render

        paths = lsp_render.render_photos(labels[: args.render], people, args.dataset, OUT_DIR)
        print(f"drew {len(paths)} photos into {OUT_DIR.relative_to(ROOT)}/", file=sys.stderr)
    if not args.no_mediapipe:
        try:
            python = _bench_estimator().mediapipe_python(args.mediapipe_python)
            mp_people, mp_seconds, versions["mediapipe"] = run_mediapipe(
                python, labels, args.dataset, tag)
        except (RuntimeError, OSError, subprocess.CalledProcessError) as error:
            print(f"MediaPipe side could not run: {error}", file=sys.stderr)
            return 1
        models["MediaPipe"] = evaluate(labels, mp_people)
        speed["MediaPipe"] = statistics.median(mp_seconds)
    print_report(models, labels, speed, args.split if args.limit is None else tag)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        report = _finite(to_json(models, labels, speed, tag, versions))
        args.json.write_text(json.dumps(report, indent=1, allow_nan=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
