"""The Dask engine: files analysed on a ``dask.distributed`` cluster.

Every worker loads the models once, when :class:`~analysis.batch.plugin.ModelsPlugin` is
registered (and when a worker joins later); each file is one task,
:func:`analysis.batch.task.run_task`, which reads the file at the path the client gave (a
folder every machine mounts at the same path) and writes into the shared store
(PostgreSQL: SQLite's file cannot be shared between machines, so the batch refuses it on
this engine). ``distributed`` is imported only when this engine is used.

One file runs per worker process at a time (start workers with ``--nthreads 1``, one
process per core: ``dask worker tcp://HOST:8786 --nworkers auto --nthreads 1``), and the
client keeps exactly as many tasks submitted as there are worker processes, so that
stopping the batch is simply submitting no more. Abandoning it sets, on every worker,
the batch's event (:func:`analysis.batch.task.abandon_batch`) through ``Client.run``.
"""

from __future__ import annotations

import contextlib
from typing import Any

from analysis.batch.task import (
    FAILED,
    BatchTask,
    TaskResult,
    abandon_batch,
    forget_batch,
    models_loaded,
    run_task,
)
from analysis.errors import AnalysisError

CONNECT_TIMEOUT_S = 20.0
#: How long the batch waits for a first worker to join the scheduler.
WORKER_WAIT_S = 60.0


class DaskEngine:
    """Files analysed on the cluster whose scheduler is at ``scheduler`` (``tcp://HOST:8786``),
    or through an existing ``distributed.Client`` (``client``; left open at the end)."""

    name = "dask"
    takes_sqlite = False

    def __init__(self, scheduler: str | None = None, client: Any = None) -> None:
        if scheduler is None and client is None:
            raise AnalysisError("The Dask engine needs a scheduler address (tcp://HOST:8786).")
        self.scheduler = scheduler
        self._client = client
        self._own_client = client is None
        self._batch_id = ""

    def describe(self) -> str:
        address = self.scheduler or getattr(self._client, "scheduler", None)
        address = getattr(address, "address", address)
        return f"Dask cluster at {address} ({self.capacity()} worker processes)"

    @property
    def client(self) -> Any:
        if self._client is None:
            try:
                from distributed import Client
            except ImportError as error:
                raise AnalysisError("dask.distributed is not installed (requirements.txt; "
                                    "make setup).") from error
            try:
                self._client = Client(self.scheduler, timeout=CONNECT_TIMEOUT_S)
            except (OSError, TimeoutError) as error:
                raise AnalysisError(
                    f"Cannot reach the Dask scheduler at {self.scheduler}: {error}") from error
        return self._client

    def start(self, max_people: int, batch_id: str) -> int:
        """Wait for a worker, load the models on every worker; how many files run at once."""
        client = self.client
        from analysis.batch.plugin import PLUGIN_NAME, ModelsPlugin

        self._batch_id = batch_id
        try:
            client.wait_for_workers(1, timeout=WORKER_WAIT_S)
        except (OSError, TimeoutError) as error:
            raise AnalysisError(
                f"No Dask worker joined the scheduler within {WORKER_WAIT_S:g} s: start "
                "workers with `dask worker SCHEDULER --nthreads 1`.") from error
        try:
            replies = client.register_plugin(ModelsPlugin(max_people), name=PLUGIN_NAME)
        except Exception as error:  # noqa: BLE001 -- e.g. workers that cannot import the project
            raise AnalysisError(f"The Dask workers could not load the models: {error}") from error
        for worker, reply in (replies or {}).items():
            if isinstance(reply, dict) and reply.get("status") not in (None, "OK"):
                text = str(reply.get("exception_text") or reply.get("text") or reply)
                raise AnalysisError(
                    f"Dask worker {worker} could not load the models: {text.strip()}")
        try:  # the scheduler too must import the project to read the tasks
            client.submit(models_loaded, pure=False).result(timeout=WORKER_WAIT_S)
        except Exception as error:  # noqa: BLE001 -- said in one line, nothing written
            first = (str(error).strip().splitlines() or [""])[0]
            raise AnalysisError(
                f"The Dask cluster cannot run this project's tasks ({type(error).__name__}: "
                f"{first}): start the scheduler and the workers with the project importable "
                "(PYTHONPATH set to its folder), at the same version as here.") from error
        return self.capacity()

    def capacity(self) -> int:
        """Worker processes connected now (one file each at a time)."""
        return max(1, len(self.client.nthreads()))

    def submit(self, task: BatchTask) -> Any:
        # pure=False: a re-run of the same file is a new task (the store decides to skip)
        return self.client.submit(run_task, task, key=f"posture-{task.batch_id}-{task.index}",
                                  pure=False, retries=0)

    def wait(self, futures: list[Any], timeout_s: float) -> list[Any]:
        from distributed import wait

        try:
            done, _ = wait(futures, timeout=timeout_s, return_when="FIRST_COMPLETED")
        except TimeoutError:
            return []
        return list(done)

    def result(self, future: Any, task: BatchTask) -> TaskResult:
        try:
            return future.result()
        except Exception as error:  # noqa: BLE001 -- a worker died, or could not run it
            name = type(error).__name__
            why = ("the worker process died (out of memory, or killed)"
                   if name == "KilledWorker" else f"the cluster could not run it ({name}: "
                   f"{error})")
            return TaskResult(task.index, task.path, FAILED, why)

    def abandon(self, batch_id: str) -> None:
        """Running files stop after their current frame, on every worker; rows deleted."""
        with contextlib.suppress(Exception):
            self.client.run(abandon_batch, batch_id, on_error="ignore")

    def close(self) -> None:
        if self._client is None:
            return
        with contextlib.suppress(Exception):
            self._client.run(forget_batch, self._batch_id, on_error="ignore")
        if self._own_client:
            with contextlib.suppress(Exception):
                self._client.close()
            self._client = None
