"""Fine-tuning BlazePose's landmark network on labelled frames, start to registered model.

:func:`fine_tune` does it all: reads the labels (:mod:`.labels`), splits off
the validation frames, rebuilds the base network in Keras twice (the teacher,
frozen; the student, with per-channel adapters, :mod:`.adapters`), trains the
student on augmented crops made as inference makes them (:mod:`.crops`) with
the loss of :mod:`.losses`, scores both on the validation frames
(:mod:`.evaluate`) every ``eval_every`` steps, keeps the best, stops early
when ``patience`` scores in a row were no better, folds the adapters back
into the network, exports it to TF Lite (:mod:`.export`) and registers it
(:mod:`.registry`) with its figures before and after. TensorBoard logs go
into the model's folder (``logs/``).

Nothing is registered unless training ran to its end (or stopped early by
itself): a cancel (``should_stop``) or an error leaves no model and no
folder. Validation: the labels' ``val`` records when there are any, else a
fixed random share (``holdout``) of the others; the model is trained on the
rest only.

Imports TensorFlow (only when :func:`fine_tune` runs).
"""

from __future__ import annotations

import math
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from estimator.finetune.crops import Augmentation, batches
from estimator.finetune.labels import LabelledFrame, LabelsError, read_labels
from estimator.finetune.registry import ModelError, UserModel, register, valid_name
from estimator.weights import model_path, sha256_of

#: Built-in landmark models a user model can start from.
BASES = ("pose_landmark_full", "pose_landmark_heavy")
#: The loss terms that fit the labels (the rest keep the original model's outputs).
LABEL_TERMS = ("labelled_xy", "labelled_refined", "labelled_heatmap")
#: Crops used to measure each channel's scale for the adapters.
CALIBRATION_FRAMES = 32


class TrainingCancelled(Exception):
    """Training was stopped by the user; nothing was registered."""


@dataclass(frozen=True)
class TrainSettings:
    """How to train.

    ``steps`` optimiser steps of ``batch_size`` crops at most, Adam at
    ``learning_rate`` (the adapters' gains and shifts are relative changes of
    a channel: 3e-4 moves each by at most about 0.03 % a step), warmed up
    linearly over ``warmup_steps`` then decayed along a cosine. The validation
    frames are scored every ``eval_every`` steps; training stops after
    ``patience`` scores in a row no better than the best (PCK@0.2, then the
    median joint distance to break ties). ``max_seconds`` (None: no limit) ends
    training on time instead: the cosine then follows the time spent, whichever of
    steps and time runs out first.
    """

    base: str = "pose_landmark_full"
    steps: int = 1200
    batch_size: int = 8
    learning_rate: float = 3e-4
    warmup_steps: int = 50
    eval_every: int = 150
    patience: int = 3
    max_seconds: float | None = None
    holdout: float = 0.15
    seed: int = 0
    augmentation: Augmentation = field(default_factory=Augmentation)

    def __post_init__(self) -> None:
        if self.base not in BASES:
            raise ValueError(f"base must be one of {', '.join(BASES)}, got {self.base!r}")
        if self.steps < 1 or self.batch_size < 1 or self.eval_every < 1:
            raise ValueError("steps, batch_size and eval_every must be at least 1")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Progress:
    """Where training is: ``step`` of ``total`` steps, the mean ``loss`` of the last
    steps, ``seconds_left`` (estimate), the validation figures when this step was
    validated, and ``label_loss``: this step's weighted loss terms on the labelled
    joints alone (the fit to the labels, without the distillation terms)."""

    step: int
    total: int
    loss: float
    seconds_left: float
    validation: dict | None = None
    label_loss: float = math.nan


def split_validation(frames: list[LabelledFrame], share: float, seed: int
                     ) -> tuple[list[LabelledFrame], list[LabelledFrame]]:
    """(training frames, validation frames): the ``val`` records if any, else a fixed
    random ``share`` of the frames (at least one; none when there is only one frame)."""
    val = [f for f in frames if f.split == "val"]
    if val:
        return [f for f in frames if f.split != "val"], val
    order = np.random.default_rng(seed).permutation(len(frames))
    n = max(1, int(round(share * len(frames)))) if len(frames) > 1 else 0
    held = set(order[:n].tolist())
    return ([f for i, f in enumerate(frames) if i not in held],
            [f for i, f in enumerate(frames) if i in held])


def _better(a: dict, b: dict) -> bool:
    """Validation figures ``a`` better than ``b``."""
    pa, pb = a.get("pck@0.2") or 0.0, b.get("pck@0.2") or 0.0
    if abs(pa - pb) > 1e-9:
        return pa > pb
    return (a.get("joint_px_median") or math.inf) < (b.get("joint_px_median") or math.inf)


def _labels_summary(path: Path, frames: list[LabelledFrame]) -> dict:
    return {"file": path.name, "sha256": sha256_of(path),
            "frames": len(frames), "joints": int(sum(f.count for f in frames))}


def fine_tune(labels: str | Path, out: str | Path, settings: TrainSettings = TrainSettings(),  # noqa: B008
              progress: Callable[[Progress], None] | None = None,
              should_stop: Callable[[], bool] = lambda: False) -> UserModel:
    """Train a landmark model on the labelled frames of ``labels`` and register it as
    ``out`` (``<data>/models/NAME``). Returns the registered model.

    Raises LabelsError (the labels file), ModelError (the name, or a name taken),
    TrainingCancelled (``should_stop()`` became true; checked between steps).
    """
    labels, out = Path(labels), Path(out)
    valid_name(out.name)
    if out.exists():  # before any work; register checks again at the end
        raise ModelError(f"a trained model named {out.name!r} already exists: choose another name")
    frames = read_labels(labels, splits=None)
    train_frames, val_frames = split_validation(frames, settings.holdout, settings.seed)
    if not train_frames:
        raise LabelsError(f"{labels.name} has no frames to train on (all are 'val')")
    val_frames = val_frames or train_frames

    import tensorflow as tf

    from estimator.finetune.adapters import calibrate, fold
    from estimator.finetune.evaluate import evaluate
    from estimator.finetune.export import convert, name_outputs
    from estimator.finetune.keras_model import OUTPUT_NAMES, TRAINED_OUTPUTS, build_keras_model
    from estimator.finetune.losses import LossWeights, finetune_loss

    tf.keras.utils.set_random_seed(settings.seed)
    base_file = model_path(settings.base)
    teacher = build_keras_model(base_file, TRAINED_OUTPUTS)
    student = build_keras_model(base_file, TRAINED_OUTPUTS, adapters=True)
    rng = np.random.default_rng(settings.seed)
    calibration = next(batches(train_frames[:CALIBRATION_FRAMES], CALIBRATION_FRAMES, rng))[0]
    calibrate(student, calibration)
    variables = student.trainable_variables
    optimizer = tf.keras.optimizers.Adam(0.0)  # its rate is set before each step
    weights = LossWeights()

    @tf.function(reduce_retracing=True)
    def step(images, points, labelled):
        target = teacher(images, training=False)
        with tf.GradientTape() as tape:
            terms = finetune_loss(student(images, training=True), target, points, labelled,
                                  weights)
        optimizer.apply_gradients(zip(tape.gradient(terms["total"], variables), variables,
                                      strict=True))
        return terms

    def run(model):
        return lambda images: model(images, training=False)

    logs = Path(tempfile.mkdtemp(prefix=f".{out.name}.logs.", dir=_parent(out)))
    try:
        writer = tf.summary.create_file_writer(str(logs))
        before = evaluate(run(teacher), val_frames)
        best, best_step, best_weights = before, 0, [v.numpy() for v in variables]
        history, losses, done, stale = [], [], 0, 0
        started = time.monotonic()
        stopped = "completed"
        while done < settings.steps and stopped == "completed":
            for images, points, labelled in batches(train_frames, settings.batch_size, rng,
                                                    settings.augmentation):
                if should_stop():
                    raise TrainingCancelled("training cancelled: no model was registered")
                optimizer.learning_rate.assign(_rate(settings, done, time.monotonic() - started))
                terms = step(tf.constant(images), tf.constant(points, tf.float32),
                             tf.constant(labelled))
                done += 1
                losses.append(float(terms["total"]))
                with writer.as_default():
                    for name, value in terms.items():
                        tf.summary.scalar(f"loss/{name}", value, step=done)
                figures = None
                elapsed = time.monotonic() - started
                out_of_time = settings.max_seconds is not None and elapsed >= settings.max_seconds
                if done % settings.eval_every == 0 or done == settings.steps or out_of_time:
                    figures = evaluate(run(student), val_frames)
                    history.append({"step": done, **figures})
                    with writer.as_default():
                        for name, value in figures.items():
                            if value is not None and name != "frames":
                                tf.summary.scalar(f"validation/{name}", value, step=done)
                    if _better(figures, best):
                        best, best_step, stale = figures, done, 0
                        best_weights = [v.numpy() for v in variables]
                    else:
                        stale += 1
                        if stale >= settings.patience:
                            stopped = "early stop"
                if out_of_time:
                    stopped = "time limit"
                if progress is not None:
                    left = elapsed / done * (settings.steps - done)
                    if settings.max_seconds is not None:
                        left = min(left, max(0.0, settings.max_seconds - elapsed))
                    progress(Progress(done, settings.steps, float(np.mean(losses[-20:])),
                                      left, figures,
                                      float(sum(getattr(weights, k) * terms[k]
                                                for k in LABEL_TERMS))))
                if done >= settings.steps or stopped != "completed":
                    break
        writer.close()
        for variable, value in zip(variables, best_weights, strict=True):
            variable.assign(value)
        plain = build_keras_model(base_file, OUTPUT_NAMES)
        fold(student, plain)
        after = evaluate(run(plain), val_frames)
        shapes = {name: (1, *tuple(int(d) for d in plain.output[name].shape[1:]))
                  for name in OUTPUT_NAMES}
        content = name_outputs(convert(plain), shapes)
        manifest = {
            "base": settings.base,
            "labels": _labels_summary(labels, frames),
            "figures": {"before": before, "after": after},
            "settings": {**settings.to_dict(), "loss_weights": weights.to_dict(),
                         "steps_run": done, "best_step": best_step, "stopped": stopped,
                         "training_frames": len(train_frames),
                         "validation_frames": len(val_frames), "history": history},
        }
        return register(out, content, manifest, logs=logs)
    finally:
        shutil.rmtree(logs, ignore_errors=True)


def _rate(settings: TrainSettings, done: int, elapsed: float) -> float:
    """The learning rate of step ``done + 1``: linear warm-up, then a cosine down to zero
    over the steps or the time, whichever is further along."""
    if done < settings.warmup_steps:
        return settings.learning_rate * (done + 1) / (settings.warmup_steps + 1)
    along = (done - settings.warmup_steps) / max(1, settings.steps - settings.warmup_steps)
    if settings.max_seconds:
        along = max(along, elapsed / settings.max_seconds)
    return settings.learning_rate * 0.5 * (1.0 + math.cos(math.pi * min(1.0, along)))


def _parent(out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    return out.parent
