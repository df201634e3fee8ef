"""A batch from start to end: athletes and sessions resolved, files sent to an engine,
results gathered, Ctrl-C honoured.

:func:`run_batch` is what the command line (``python -m analysis batch``) and the dashboard
call. In order:

1. the database must suit the engine (the Dask engine refuses SQLite: its file cannot be
   shared between machines);
2. the engine starts (models loaded once per worker process; a cluster that cannot run
   the project's tasks is refused here, before any row is written);
3. each athlete's session (the batch's title and date) is found or created, here, before
   any file is sent: workers never race to create the same athlete;
4. a file with the same bytes as another of the same athlete's session in this batch is
   skipped (the store keeps one clip per session and sha256);
5. the engine is kept busy with exactly as many files as it has processes; each result
   is handed to ``on_result`` as it arrives (the progress bar).

Stopping (:class:`BatchControl`; Ctrl-C in the command line): the first request stops
scheduling (no new file starts, running ones finish and are kept; files not started are
reported ``cancelled``); a second one abandons the running files (each stops after its
current frame and its row is deleted: nothing of it kept). Either way no clip is left
``running``: rows of worker processes that died are marked failed ("interrupted") by the
store's recovery at the end.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

from sqlalchemy.engine import make_url

from analysis.batch.discovery import BatchFile
from analysis.batch.report import BatchReport
from analysis.batch.task import CANCELLED, FAILED, SKIPPED, BatchTask, TaskResult
from analysis.errors import AnalysisError
from analysis.pipeline import PipelineSettings, file_sha256
from analysis.store.athletes import _clean_name

#: Seconds between two looks at the engine (results, Ctrl-C, free workers).
POLL_S = 0.25
#: Seconds between two questions to the engine about its number of workers.
CAPACITY_EVERY_S = 2.0


class Engine(Protocol):
    """What :func:`run_batch` needs of an engine (:class:`~analysis.batch.local.LocalEngine`,
    :class:`~analysis.batch.dask_engine.DaskEngine`)."""

    name: str
    takes_sqlite: bool

    def describe(self) -> str: ...
    def start(self, max_people: int, batch_id: str) -> int: ...
    def capacity(self) -> int: ...
    def submit(self, task: BatchTask) -> Any: ...
    def wait(self, futures: list[Any], timeout_s: float) -> list[Any]: ...
    def result(self, future: Any, task: BatchTask) -> TaskResult: ...
    def abandon(self, batch_id: str) -> None: ...
    def close(self) -> None: ...


class BatchControl:
    """How a batch is told to stop, from another thread or a signal handler."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.abandon = threading.Event()

    def interrupt(self) -> None:
        """First call: stop scheduling. Second: also abandon the running files."""
        if self.stop.is_set():
            self.abandon.set()
        self.stop.set()


@contextlib.contextmanager
def ctrl_c_stops(control: BatchControl) -> Iterator[None]:
    """While inside, Ctrl-C (SIGINT) calls ``control.interrupt()`` instead of raising
    KeyboardInterrupt (main thread only; elsewhere nothing changes)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, lambda _signum, _frame: control.interrupt())
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def is_sqlite(url: str) -> bool:
    try:
        return make_url(url).get_backend_name() == "sqlite"
    except Exception:  # noqa: BLE001 -- not a URL: the store says so when opened
        return False


def run_batch(
    files: Sequence[BatchFile],
    session: str,
    engine: Engine,
    *,
    settings: PipelineSettings | None = None,
    date: dt.date | None = None,
    db_url: str | None = None,
    on_result: Callable[[TaskResult], None] | None = None,
    on_note: Callable[[str], None] | None = None,
    control: BatchControl | None = None,
) -> BatchReport:
    """Analyse ``files`` into each athlete's session titled ``session`` (on ``date``,
    default today) with ``engine``; the report of every file.

    Raises AnalysisError (nothing analysed) when the database does not suit the engine or
    cannot be opened, the session title is refused, or the engine cannot start.
    """
    from analysis.store import Store, default_url

    settings = settings or PipelineSettings()
    control = control or BatchControl()
    note = on_note or (lambda _text: None)
    url = db_url or default_url()
    if is_sqlite(url) and not engine.takes_sqlite:
        raise AnalysisError(
            f"The {engine.name} engine writes from other machines: it needs a shared "
            "database (a PostgreSQL URL, --db or $POSTURE_DB_URL); SQLite is for the local "
            "engine.")
    _clean_name(session, "session")  # a title the store refuses refuses the whole batch
    store = Store(url)
    report = BatchReport(total=len(files), engine=engine.name)
    batch_id = uuid.uuid4().hex[:12]
    try:
        if any(item.athlete is not None for item in files):
            # before any row is written: a cluster that cannot run the batch writes nothing
            engine.start(settings.max_people, batch_id)
            report.engine = engine.describe()
        tasks = _tasks(store, files, session, date, settings, url, report, batch_id)
        if tasks:
            began = time.monotonic()
            _drive(engine, tasks, control, report, on_result, note, batch_id)
            report.elapsed_s = time.monotonic() - began
    finally:
        engine.close()
    return _finish(report, store)


def _finish(report: BatchReport, store: Any) -> BatchReport:
    # Rows of worker processes that died (killed, out of memory) must not stay "running".
    with contextlib.suppress(AnalysisError):
        store.recover_interrupted()
    report.results.sort(key=lambda r: r.index)
    return report


def _tasks(store: Any, files: Sequence[BatchFile], title: str, date: dt.date | None,
           settings: PipelineSettings, url: str, report: BatchReport, batch_id: str
           ) -> list[BatchTask]:
    """The files to send (with session ids); the others recorded in ``report`` at once."""
    sessions: dict[str, tuple[int, int] | str] = {}
    tasks: list[BatchTask] = []
    seen: dict[tuple[int, int], list[tuple[str, str]]] = {}  # (session, size) -> files
    recorded = settings.to_dict()
    for index, item in enumerate(files):
        path = str(item.path)
        if item.athlete is None:
            report.results.append(TaskResult(index, path, FAILED, item.problem or "no athlete"))
            continue
        ids = sessions.get(item.athlete)
        if ids is None:
            try:
                athlete, sess = store.get_or_create_athlete_session(item.athlete, title, date)
                ids = (athlete.id, sess.id)
            except AnalysisError as error:  # this athlete's name refused: their files fail
                ids = str(error)
            sessions[item.athlete] = ids
        if isinstance(ids, str):
            report.results.append(TaskResult(index, path, FAILED, ids))
            continue
        twin = _same_bytes(path, ids[1], seen)
        if twin is not None:
            report.results.append(TaskResult(index, path, SKIPPED,
                                             f"same bytes as {twin} (one clip kept)"))
            continue
        tasks.append(BatchTask(index, path, ids[0], ids[1], recorded, url, batch_id,
                               item.name))
    return tasks


def _same_bytes(path: str, session_id: int, seen: dict[tuple[int, int], list[tuple[str, str]]]
                ) -> str | None:
    """An earlier file of the batch, for the same session, with the same bytes as ``path``
    (hashed only when the sizes match), or None."""
    try:
        size = os.path.getsize(path)
    except OSError:
        return None  # the worker reports the unreadable file
    group = seen.setdefault((session_id, size), [])
    if not group:
        group.append((path, ""))
        return None
    digest = file_sha256(path)
    for i, (other, other_digest) in enumerate(group):
        if not other_digest:
            other_digest = file_sha256(other)
            group[i] = (other, other_digest)
        if other_digest == digest:
            return other
    group.append((path, digest))
    return None


def _drive(engine: Engine, tasks: list[BatchTask], control: BatchControl, report: BatchReport,
           on_result: Callable[[TaskResult], None] | None, note: Callable[[str], None],
           batch_id: str) -> None:
    """Keep the engine busy until every task has a result or the batch is stopped."""
    pending = deque(tasks)
    running: dict[Any, BatchTask] = {}
    capacity, asked = engine.capacity(), time.monotonic()
    told_stop = told_abandon = False

    def record(result: TaskResult) -> None:
        report.results.append(result)
        if on_result is not None:
            on_result(result)

    while pending or running:
        if control.stop.is_set() and not told_stop:
            told_stop = report.stopped = True
            finish = "file finishes" if len(running) == 1 else "files finish"
            note(f"stopping: no new file starts; {len(running)} running {finish} (Ctrl-C "
                 "again to abandon them)")
            for task in pending:
                record(TaskResult(task.index, task.path, CANCELLED,
                                  "not started: the batch was stopped"))
            pending.clear()
        if control.abandon.is_set() and not told_abandon:
            told_abandon = report.abandoned = True
            note("abandoning the running files: nothing of them is kept")
            engine.abandon(batch_id)
        if time.monotonic() - asked > CAPACITY_EVERY_S:
            capacity, asked = engine.capacity(), time.monotonic()
        while pending and len(running) < capacity:
            task = pending.popleft()
            running[engine.submit(task)] = task
        if running:
            for future in engine.wait(list(running), POLL_S):
                record(engine.result(future, running.pop(future)))
