"""One file of a batch, run in a worker process: the normal pipeline
(:func:`analysis.pipeline.run_file`) with the worker's own models and store.

A worker process (a local pool's process or a Dask worker) keeps, for its whole life,

- one :class:`estimator.PoseEstimator` per people limit and landmark model, loaded once
  (:func:`load_models`, called by the pool's initializer or the Dask worker plugin) and
  run on one core (one XNNPACK thread, no second inference stream): the batch's
  parallelism is its processes, one per core;
- one :class:`analysis.store.Store` per database URL (its connection pool);
- per batch, an event that abandons the batch's running file (:func:`abandon_batch`):
  the pipeline stops after the current frame and deletes the clip's row, so nothing is
  left half-written nor "running".

:func:`run_task` never raises for a file's failure: it returns a :class:`TaskResult`
saying what happened, so one bad file never stops the batch (nor makes Dask retry it).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from analysis.errors import AnalysisError

log = logging.getLogger(__name__)

#: What became of a file: analysed now, found already analysed in its session (same
#: sha256), failed (with the reason), or cancelled (nothing of it kept).
DONE, SKIPPED, FAILED, CANCELLED = "done", "skipped", "failed", "cancelled"


@dataclass(frozen=True)
class BatchTask:
    """One file to analyse into one session; plain values only (sent to other machines).

    ``settings`` is :meth:`analysis.pipeline.PipelineSettings.to_dict`; ``path`` must be
    readable by the worker at that same path (a folder every machine mounts alike).
    """

    index: int
    path: str
    athlete_id: int
    session_id: int
    settings: dict[str, Any]
    db_url: str
    batch_id: str
    file_name: str | None = None  # the name shown (an upload's own); default the path's


@dataclass(frozen=True)
class TaskResult:
    """What a worker did with one file.

    ``frames``: frames of the clip (1 for a photo, 0 when unknown); ``seconds``: wall time
    the worker spent on it; ``worker``: ``host:pid`` of the process that ran it.
    """

    index: int
    path: str
    status: str
    message: str = ""
    clip_id: int | None = None
    kind: str | None = None
    frames: int = 0
    people: int = 0
    seconds: float = 0.0
    worker: str = field(default_factory=lambda: worker_name())


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


_ESTIMATORS: dict[tuple[int, str | None], Any] = {}
_STORES: dict[str, Any] = {}
_ABANDON: dict[str, threading.Event] = {}
_STATE_LOCK = threading.Lock()
#: One analysis at a time per process: an estimator's interpreters serve one thread.
_RUN_LOCK = threading.Lock()


def one_core() -> None:
    """Keep this process's libraries to one thread each: a batch runs one process per core,
    and more threads than cores only make them wait for each other."""
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")
    import cv2

    cv2.setNumThreads(1)


def load_models(max_people: int, model: str | None = None) -> Any:
    """This process's estimator for ``max_people`` and the landmark model ``model`` (a
    trained model's name, found in this worker's data folder; None: the verified
    weights), loaded on the first call, then kept.

    Raises AnalysisError (one line) when the model weights are missing or corrupt, or the
    trained model is unknown here or fails its checks.
    """
    key = (int(max_people), model or None)
    with _STATE_LOCK:
        estimator = _ESTIMATORS.get(key)
        if estimator is None:
            from analysis.pipeline import PipelineSettings
            from analysis.pose_stream import estimator_for
            from estimator import EstimatorError

            one_core()
            try:
                estimator = estimator_for(PipelineSettings(max_people=key[0], model=key[1]),
                                          num_threads=1, parallel=False)
            except EstimatorError as error:
                raise AnalysisError(f"on {worker_name()}: {error}") from error
            _ESTIMATORS[key] = estimator
        return estimator


def models_loaded() -> list[int]:
    """The people limits this process has models loaded for, one per estimator (for
    checks and tests)."""
    with _STATE_LOCK:
        return sorted(people for people, _model in _ESTIMATORS)


def store_for(url: str) -> Any:
    """This process's store on ``url`` (opened on the first call, then kept)."""
    with _STATE_LOCK:
        store = _STORES.get(url)
        if store is None:
            from analysis.store import Store

            store = _STORES[url] = Store(url)
        return store


def _abandon_event(batch_id: str) -> threading.Event:
    with _STATE_LOCK:
        return _ABANDON.setdefault(batch_id, threading.Event())


def abandon_batch(batch_id: str) -> None:
    """Stop this process's running file of ``batch_id`` after its current frame (its row
    is deleted) and refuse the batch's files not yet started."""
    _abandon_event(batch_id).set()


def forget_batch(batch_id: str) -> None:
    """Drop what this process keeps about a finished batch."""
    with _STATE_LOCK:
        _ABANDON.pop(batch_id, None)


def run_task(task: BatchTask) -> TaskResult:
    """Analyse ``task``'s file into the store; what happened (never raises for the file)."""
    from analysis.pipeline import AnalysisCancelled, PipelineSettings, run_file

    began = time.monotonic()
    abandon = _abandon_event(task.batch_id)

    def result(status: str, message: str = "", **values: Any) -> TaskResult:
        return TaskResult(task.index, task.path, status, message,
                          seconds=time.monotonic() - began, **values)

    if abandon.is_set():
        return result(CANCELLED, "not started: the batch was cancelled")
    try:
        settings = PipelineSettings.from_dict(task.settings)
        estimator = load_models(settings.max_people, settings.model)
        store = store_for(task.db_url)
        with _RUN_LOCK:
            outcome = run_file(store, task.path, task.athlete_id, task.session_id, settings,
                               estimator=estimator, cancel=abandon, file_name=task.file_name)
        clip = store.get_clip(outcome.clip_id)
    except AnalysisCancelled:
        return result(CANCELLED, "cancelled while running: nothing of it was kept")
    except AnalysisError as error:
        return result(FAILED, str(error))
    except Exception as error:  # a bug: logged in full, reported in one line, batch goes on
        log.exception("batch file %s failed", task.path)
        return result(FAILED, f"unexpected error ({type(error).__name__}: {error})")
    status = SKIPPED if outcome.reused else DONE
    message = "already analysed in this session" if outcome.reused else ""
    frames = int(clip.frame_count) if clip.kind == "video" else 1
    return result(status, message, clip_id=clip.id, kind=clip.kind, frames=frames,
                  people=len(clip.tracks))
