"""The local engine: one process per core of this machine, models loaded once per process.

A :class:`concurrent.futures.ProcessPoolExecutor` of spawned processes (no fork: the TF Lite
runtime and the database connections are not fork-safe), each started by
:func:`_start_worker`: it ignores Ctrl-C (the batch, in the main process, decides what a
Ctrl-C does; see :mod:`analysis.batch.runner`), loads the models
(:func:`analysis.batch.task.load_models`) and waits, in a thread, for the batch to be
abandoned. Works with SQLite (several processes of one host write through its WAL
journal, taking turns) and with any database the store takes.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from analysis.batch.task import (
    FAILED,
    BatchTask,
    TaskResult,
    abandon_batch,
    load_models,
    models_loaded,
    run_task,
)
from analysis.errors import AnalysisError

_SPAWN = multiprocessing.get_context("spawn")


def _start_worker(max_people: int, batch_id: str, abandon: Any) -> None:
    """Initializer of each pool process (see the module docstring)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Missing weights: each task then fails with the same one line (load_models again).
    with contextlib.suppress(AnalysisError):
        load_models(max_people)

    def watch() -> None:
        abandon.wait()
        abandon_batch(batch_id)

    threading.Thread(target=watch, name="batch-abandon", daemon=True).start()


def _ready(pause_s: float) -> list[int]:
    time.sleep(pause_s)  # held a moment, so that each warm-up call starts its own process
    return models_loaded()


class LocalEngine:
    """Files analysed by ``workers`` processes of this machine (default: one per core)."""

    name = "local"
    takes_sqlite = True

    def __init__(self, workers: int | None = None) -> None:
        self.workers = max(1, int(workers or os.cpu_count() or 1))
        self._pool: ProcessPoolExecutor | None = None
        self._abandon: Any = None

    def describe(self) -> str:
        return f"{self.workers} local process{'es' if self.workers != 1 else ''}"

    def start(self, max_people: int, batch_id: str) -> int:
        """Start the processes, each loading its models; how many files run at once."""
        self._abandon = _SPAWN.Event()
        self._pool = ProcessPoolExecutor(
            self.workers, mp_context=_SPAWN, initializer=_start_worker,
            initargs=(max_people, batch_id, self._abandon),
        )
        # Start every process now (the pool starts them on demand), models loaded.
        warm = [self._pool.submit(_ready, 0.2) for _ in range(self.workers)]
        try:
            for future in warm:
                future.result()
        except BrokenProcessPool as error:
            raise AnalysisError(f"The worker processes did not start: {error}") from error
        return self.workers

    def capacity(self) -> int:
        return self.workers

    def submit(self, task: BatchTask) -> Future:
        assert self._pool is not None, "start() first"
        return self._pool.submit(run_task, task)

    def wait(self, futures: list[Any], timeout_s: float) -> list[Any]:
        """The futures among ``futures`` that are done within ``timeout_s``."""
        done, _ = wait(futures, timeout=timeout_s, return_when=FIRST_COMPLETED)
        return list(done)

    def result(self, future: Any, task: BatchTask) -> TaskResult:
        try:
            return future.result()
        except BrokenProcessPool:
            return TaskResult(task.index, task.path, FAILED,
                              "the worker process died (out of memory, or killed)")
        except Exception as error:  # noqa: BLE001 -- reported as the file's failure
            return TaskResult(task.index, task.path, FAILED,
                              f"unexpected error ({type(error).__name__}: {error})")

    def abandon(self, batch_id: str) -> None:
        """Running files stop after their current frame; their rows are deleted."""
        if self._abandon is not None:
            self._abandon.set()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
