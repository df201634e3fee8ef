"""Background work of the dashboard: a landmark model trained on labelled frames.

``python -m estimator.finetune`` (the same command as on the command line) runs as a
child process, never inside the server: it imports TensorFlow, which the dashboard must
not load (memory, start-up time, and a crash of TensorFlow would take every browser
session down with it). A :class:`TrainingJob` does, in a thread of its own:

1. preparing: the chosen labelled frames exported from the store
   (:func:`analysis.labelled_frames.export_labels`) and unzipped into a private temporary
   folder (or, for tests and scripts, a labels file given as it is);
2. training: the child started with ``--progress-json``; its stdout is one JSON line per
   step (``{"step", "total", "loss", "seconds_left", "validation"}``) and, at the end,
   ``{"registered", "sha256", "figures": {"before", "after"}}``;
3. the end: done (the model registered under ``<data>/models/NAME``), failed (the
   child's one ``error:`` line on stderr), or cancelled (:meth:`TrainingJob.cancel`:
   SIGINT, which the command honours between steps by registering nothing; killed if it
   has not stopped after :data:`CANCEL_TIMEOUT_S`).

The temporary folder is removed in every case. One training runs at a time per server
(:func:`start` refuses a second one with a clear message): on a 2-core machine two would
each take twice as long and leave nothing for the analysis and the pages. The child runs
at a lower CPU priority for the same reason.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis import AnalysisError
from analysis.labelled_frames import LABELS_FILE, LabelledFrame, export_labels
from dashboard.state import PROJECT_ROOT, one_line
from estimator.finetune.registry import (
    DATA_DIR_ENV,
    ModelError,
    list_models,
    models_root,
    valid_name,
)
from estimator.finetune.train import BASES, TrainSettings

log = logging.getLogger(__name__)

#: Seconds a cancelled training has to stop by itself before it is killed (a step, or
#: the TF Lite conversion at the end, is not interrupted halfway).
CANCEL_TIMEOUT_S = 60.0
#: Nice value of the training process: the analyses and the pages come first.
TRAINING_NICENESS = 10
#: Fewest labelled frames the dashboard trains on (some are held out for validation).
MIN_FRAMES = 5
DEFAULT_STEPS = TrainSettings().steps
#: What the figures of the end are called on the page, in this order.
FIGURES = (("pck@0.2", "PCK@0.2 (higher is better)", "{:.3f}"),
           ("knee_deg_median", "Knee angle, median error (°)", "{:.1f}"),
           ("elbow_deg_median", "Elbow angle, median error (°)", "{:.1f}"))


class TrainingRefused(AnalysisError):
    """A training that cannot start (another one runs, a name taken): one line."""


@dataclass
class TrainingJob:
    """One training, from its labelled frames to a registered model, as the page shows it.

    ``status``: preparing, training, done, failed or cancelled. While training: ``step``
    of ``total``, ``loss`` (mean of the last steps), ``seconds_left`` and ``validation``
    (the latest validation figures, None until the first). When done: ``figures``
    (``{"before": {...}, "after": {...}}``) and ``sha256``. When failed: ``message``.
    """

    name: str
    data: Path
    base: str = BASES[0]
    steps: int = DEFAULT_STEPS
    eval_every: int | None = None  # None: the command's default
    labels: Path | None = None  # a labels file to train on as it is (else ``frames``)
    store: Any = None
    frames: Sequence[LabelledFrame] = ()
    status: str = "preparing"
    message: str = ""
    step: int = 0
    total: int = 0
    loss: float | None = None
    seconds_left: float | None = None
    validation: dict | None = None
    figures: dict | None = None
    sha256: str | None = None
    temp: Path | None = None
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _process: subprocess.Popen | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def cancelling(self) -> bool:
        return self._cancel.is_set() and self.running

    @property
    def folder(self) -> Path:
        """Where the model is registered: ``<data>/models/NAME``."""
        return models_root(self.data) / self.name

    def start(self) -> TrainingJob:
        self._thread = threading.Thread(target=self._run, name="training-job", daemon=True)
        self._thread.start()
        return self

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def cancel(self, wait: bool = True, timeout: float = CANCEL_TIMEOUT_S) -> None:
        """Stop the training: SIGINT to the command (nothing is registered), killed if still
        running ``timeout`` seconds later. ``wait``: return only once the job has ended."""
        with self._lock:
            self._cancel.set()
            process = self._process
            if process is not None and process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(signal.SIGINT)
                killer = threading.Timer(timeout, self._kill, args=(process,))
                killer.daemon = True
                killer.start()
        if wait:
            self.wait(timeout + 10.0)

    def _kill(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            log.warning("training %r did not stop after SIGINT: killed", self.name)
            with contextlib.suppress(ProcessLookupError):
                process.kill()

    # ------------------------------------------------------------------ the thread
    def _run(self) -> None:
        try:
            self.temp = Path(tempfile.mkdtemp(prefix="posture-training-"))  # 0700: private
            labels = self.labels or self._export()
            if self._cancel.is_set():
                self.status, self.message = "cancelled", "Cancelled: no model was trained."
                return
            self._train(labels)
        except AnalysisError as error:
            self.status, self.message = "failed", one_line(error)
        except Exception as error:  # a bug: logged in full, shown in one line
            log.exception("training %r failed", self.name)
            self.status = "failed"
            self.message = f"Unexpected error ({type(error).__name__}: {one_line(error)})"
        finally:
            if self.temp is not None:
                shutil.rmtree(self.temp, ignore_errors=True)
            self.finished = time.monotonic()

    def _export(self) -> Path:
        """The chosen frames as images and labels.json in the temporary folder."""
        assert self.temp is not None
        data = export_labels(self.store, self.frames)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            archive.extractall(self.temp / "labels")  # names are ours: images/clip..jpg
        return self.temp / "labels" / LABELS_FILE

    def command(self, labels: Path) -> list[str]:
        """The command line run for this job (as a user would type it)."""
        line = [sys.executable, "-m", "estimator.finetune", "--labels", str(labels),
                "--out", str(self.folder), "--base", self.base, "--steps", str(self.steps),
                "--progress-json"]
        if self.eval_every is not None:
            line += ["--eval-every", str(self.eval_every)]
        return line

    def _train(self, labels: Path) -> None:
        assert self.temp is not None
        env = {**os.environ, DATA_DIR_ENV: str(self.data)}
        errors = self.temp / "stderr.txt"
        with open(errors, "w+b") as err:
            with self._lock:  # a cancel now either comes before the start or signals it
                if self._cancel.is_set():
                    self.status, self.message = "cancelled", "Cancelled: no model was trained."
                    return
                process = self._process = subprocess.Popen(
                    self.command(labels), cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE, stderr=err, text=True, encoding="utf-8",
                    errors="replace")
            with contextlib.suppress(OSError):  # TensorFlow's threads inherit it
                os.setpriority(os.PRIO_PROCESS, process.pid, TRAINING_NICENESS)
            registered = None
            assert process.stdout is not None
            try:
                for line in process.stdout:
                    registered = self._read(line) or registered
            except BaseException:  # never leave a training running that nobody follows
                process.kill()
                raise
            code = process.wait()
            err.seek(0)
            reason = _reason(err.read().decode("utf-8", "replace"))
        if code == -signal.SIGKILL:
            self._remove_leftovers()
        if code == 0 and registered is not None:
            self.status, self.message = "done", ""
        elif self._cancel.is_set() or code in (130, -signal.SIGINT):
            self.status, self.message = "cancelled", "Cancelled: no model was registered."
        else:
            self.status = "failed"
            self.message = reason or f"Training stopped unexpectedly (exit status {code})."

    def _remove_leftovers(self) -> None:
        """After a kill: the command's hidden folders beside the model (its TensorBoard
        logs, a model half registered), which it removes itself when it can stop."""
        root = models_root(self.data)
        for pattern in (f".{self.name}.logs.*", f".{self.name}.*.partial"):
            for leftover in root.glob(pattern):
                shutil.rmtree(leftover, ignore_errors=True)

    def _read(self, line: str) -> str | None:
        """One line of the command's stdout; the model's name once registered."""
        try:
            event = json.loads(line)
        except json.JSONDecodeError:  # not ours (a library's print): not progress
            return None
        if not isinstance(event, dict):
            return None
        if "registered" in event:
            self.figures, self.sha256 = event.get("figures"), event.get("sha256")
            return str(event["registered"])
        if "step" in event:
            self.status = "training"
            self.step, self.total = int(event["step"]), int(event.get("total") or self.steps)
            self.loss, self.seconds_left = event.get("loss"), event.get("seconds_left")
            if event.get("validation"):
                self.validation = event["validation"]
        return None


def _reason(stderr: str) -> str:
    """The command's one-line reason: its ``error:`` line, else its last line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith("error: "):
            return line.removeprefix("error: ")
    return lines[-1] if lines else ""


# ---------------------------------------------------------------------- one at a time
_CURRENT: TrainingJob | None = None
_CURRENT_LOCK = threading.Lock()


def current() -> TrainingJob | None:
    """The server's latest training (running or ended), None before the first."""
    return _CURRENT


def check_name(name: str, data: Path) -> str:
    """``name`` (stripped) if a new model may take it, else ModelError in one line."""
    name = valid_name(str(name).strip())
    root = models_root(data)
    if (root / name).exists() or name in {m.name for m in list_models(root)}:
        raise ModelError(f"a trained model named {name!r} already exists: choose another name")
    return name


def start(name: str, data: Path, *, base: str = BASES[0], steps: int = DEFAULT_STEPS,
          eval_every: int | None = None, labels: Path | None = None, store: Any = None,
          frames: Sequence[LabelledFrame] = ()) -> TrainingJob:
    """Start training model ``name`` under ``data``'s models on ``frames`` of ``store``
    (or on the labels file ``labels``). Refused before anything starts (ModelError for the
    name, TrainingRefused otherwise) when a training is running, the name is unusable or
    taken, or there is nothing to train on."""
    global _CURRENT
    name = check_name(name, data)
    if base not in BASES:
        raise TrainingRefused(f"Unknown base model {base!r}: choose one of {', '.join(BASES)}.")
    if steps < 1:
        raise TrainingRefused("Training needs at least one step.")
    if labels is None and not frames:
        raise TrainingRefused("There are no labelled frames to train on: correct a joint first.")
    with _CURRENT_LOCK:
        if _CURRENT is not None and _CURRENT.running:
            raise TrainingRefused(
                f"A model is already being trained on this server ({_CURRENT.name!r}): "
                "wait for it to end, or cancel it.")
        _CURRENT = TrainingJob(name=name, data=Path(data), base=base, steps=int(steps),
                               eval_every=eval_every, labels=labels, store=store,
                               frames=tuple(frames)).start()
        return _CURRENT


# ---------------------------------------------------------------------- for the page
def progress_line(job: TrainingJob) -> str:
    """``step 12 of 300 · loss 0.812 · about 9 min left · validation PCK 0.781``."""
    if job.status == "preparing":
        return ("Loading TensorFlow and the base model…" if job._process is not None
                else "Preparing the labelled frames…")
    parts = [f"step {job.step} of {job.total}"]
    if job.loss is not None:
        parts.append(f"loss {job.loss:.3f}")
    if job.step >= job.total and job.status == "training":
        parts.append("writing the model…")
    elif job.seconds_left is not None:
        minutes = job.seconds_left / 60
        parts.append("less than a minute left" if minutes < 1
                     else f"about {minutes:.0f} min left")
    pck = (job.validation or {}).get("pck@0.2")
    if pck is not None:
        parts.append(f"validation PCK {pck:.3f}")
    return " · ".join(parts)


def fraction(job: TrainingJob) -> float:
    if job.status in ("done", "failed", "cancelled"):
        return 1.0
    return min(1.0, job.step / job.total) if job.total else 0.0


def figures_rows(figures: dict) -> list[dict[str, str]]:
    """The figures before and after, as the rows of a small table (plain text)."""
    before, after = figures.get("before") or {}, figures.get("after") or {}

    def show(value: Any, fmt: str) -> str:
        return "–" if not isinstance(value, int | float) else fmt.format(value)

    return [{"Figure": label, "Before": show(before.get(key), fmt),
             "After": show(after.get(key), fmt)} for key, label, fmt in FIGURES]


def scores_lower(figures: dict) -> bool:
    """Whether the trained model's PCK@0.2 is below the base model's."""
    before = (figures.get("before") or {}).get("pck@0.2")
    after = (figures.get("after") or {}).get("pck@0.2")
    return isinstance(before, int | float) and isinstance(after, int | float) and after < before
