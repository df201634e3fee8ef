"""Command line: fine-tune the landmark model on labelled frames and register it.

    python -m estimator.finetune --labels LABELS.json --out data/models/NAME
        [--base pose_landmark_full|pose_landmark_heavy] [--steps N] [--batch N]
        [--learning-rate LR] [--eval-every N] [--patience N] [--minutes M] [--seed N]
        [--progress-json]

``LABELS.json`` is in the format of ``../shared/datasets/lspet-dev/labels.json``
(the dashboard's labelled-frames export writes it too); its ``val`` records
(else 15 % of the others) are kept for validation and early stopping. The
model is registered as ``--out`` (normally ``<data>/models/NAME``; choose it
afterwards with ``--model NAME`` or in the dashboard's settings), with its
validation figures before and after training; TensorBoard logs are in
``--out``/logs (``tensorboard --logdir data/models/NAME/logs``).

A progress bar on stderr shows the loss, the latest validation PCK and the
time left; with ``--progress-json`` (for programs, such as the dashboard's training
job) each step is instead one JSON line on stdout,
``{"step", "total", "loss", "seconds_left", "validation"}``, and the end one line
``{"registered": NAME, "sha256", "figures": {"before", "after"}}``. Bad labels, a
name taken or invalid: one line, exit status 2, nothing written. Ctrl-C: nothing
registered, exit status 130.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

# TensorFlow's C++ information lines (oneDNN, CPU features) are not for the user; a
# user's own setting wins.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from estimator.finetune.labels import LabelsError
from estimator.finetune.registry import ModelError
from estimator.finetune.train import BASES, Progress, TrainingCancelled, TrainSettings, fine_tune


def _parser() -> argparse.ArgumentParser:
    defaults = TrainSettings()
    p = argparse.ArgumentParser(prog="python -m estimator.finetune",
                                description="Fine-tune the landmark model on labelled frames.")
    p.add_argument("--labels", required=True, type=Path, help="labels file (JSON)")
    p.add_argument("--out", required=True, type=Path,
                   help="the new model's folder, e.g. data/models/club-squats")
    p.add_argument("--base", choices=BASES, default=defaults.base,
                   help="built-in model to start from (default: %(default)s)")
    p.add_argument("--steps", type=int, default=defaults.steps,
                   help="most optimiser steps (default: %(default)s)")
    p.add_argument("--batch", type=int, default=defaults.batch_size,
                   help="crops per step (default: %(default)s)")
    p.add_argument("--learning-rate", type=float, default=defaults.learning_rate,
                   help="Adam's learning rate (default: %(default)s)")
    p.add_argument("--eval-every", type=int, default=defaults.eval_every,
                   help="steps between validations (default: %(default)s)")
    p.add_argument("--patience", type=int, default=defaults.patience,
                   help="validations without gain before stopping (default: %(default)s)")
    p.add_argument("--minutes", type=float,
                   help="stop after this many minutes of training (default: no limit)")
    p.add_argument("--seed", type=int, default=defaults.seed)
    p.add_argument("--progress-json", action="store_true",
                   help="one JSON line per step on stdout instead of the progress bar")
    return p


def _figures(figures: dict) -> str:
    def show(value, fmt: str) -> str:
        return "-" if value is None else format(value, fmt)
    return (f"PCK@0.2 {show(figures.get('pck@0.2'), '.3f')}, "
            f"knee {show(figures.get('knee_deg_median'), '.1f')} deg, "
            f"elbow {show(figures.get('elbow_deg_median'), '.1f')} deg median error")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = TrainSettings(base=args.base, steps=args.steps, batch_size=args.batch,
                                 learning_rate=args.learning_rate,
                                 eval_every=args.eval_every, patience=args.patience,
                                 max_seconds=None if args.minutes is None else args.minutes * 60,
                                 seed=args.seed)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from tqdm import tqdm

    # Made at the first step, so that bad labels print their one line and nothing else.
    bars: list[tqdm] = []
    latest: dict = {}

    def close_bar() -> None:
        for bar in bars:
            bar.close()

    def progress(p: Progress) -> None:
        if args.progress_json:
            print(json.dumps({"step": p.step, "total": p.total, "loss": round(p.loss, 5),
                              "seconds_left": round(p.seconds_left, 1),
                              "validation": p.validation}), flush=True)
            return
        if p.validation is not None:
            latest.update(p.validation)
        if not bars:
            bars.append(tqdm(total=p.total, unit="step", file=sys.stderr, dynamic_ncols=True))
        bar = bars[0]
        bar.update(p.step - bar.n)
        bar.set_postfix_str(f"loss {p.loss:.3f}" + (
            f", val PCK {latest['pck@0.2']:.3f}" if latest.get("pck@0.2") is not None else ""))

    try:
        model = fine_tune(args.labels, args.out, settings, progress=progress)
    except (LabelsError, ModelError) as exc:
        close_bar()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, TrainingCancelled):
        close_bar()
        print("interrupted: no model was registered", file=sys.stderr)
        return 130
    close_bar()
    before, after = model.figures["before"], model.figures["after"]
    if args.progress_json:
        print(json.dumps({"registered": model.name, "sha256": model.sha256,
                          "figures": model.figures}), flush=True)
    print(f"registered {model.name!r} ({model.sha256[:12]}) in {model.folder}", file=sys.stderr)
    print(f"  validation before: {_figures(before)}", file=sys.stderr)
    print(f"  validation after:  {_figures(after)}", file=sys.stderr)
    if (after.get("pck@0.2") or 0) < (before.get("pck@0.2") or 0):
        print("  note: the trained model scores lower than the base on the validation frames; "
              "the default stays the base model", file=sys.stderr)
    print(f"use it with --model {model.name} (or in the dashboard's settings)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
