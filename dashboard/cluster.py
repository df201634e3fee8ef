"""A large batch of uploads sent to the Dask cluster instead of analysed in the server.

On when ``POSTURE_DASK_SCHEDULER`` names the scheduler (``tcp://HOST:8786``); the Analyse
page then offers "Send to the cluster". The uploads are saved as usual (streamed to the
data folder's ``uploads/``, named by content, refused ones said), so the data folder must
be one every worker mounts at the same path (``POSTURE_DATA_DIR``), and the database one
every worker reaches (PostgreSQL, ``POSTURE_DB_URL``): a SQLite store is refused with one
line. The batch itself is :func:`analysis.batch.run_batch` with the Dask engine, in a
thread of this server process that only waits for the cluster; the page follows it
(:func:`show`, redrawn every second) and can stop it: first no new file starts, then the
running ones are abandoned (nothing of them kept).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import streamlit as st

from analysis import AnalysisError, PipelineSettings, Store
from analysis import files as datafiles
from analysis.batch import (
    CANCELLED,
    DONE,
    FAILED,
    SKIPPED,
    BatchControl,
    BatchFile,
    BatchReport,
    DaskEngine,
    TaskResult,
    run_batch,
)
from analysis.batch.cli import SCHEDULER_ENV
from analysis.batch.runner import is_sqlite
from dashboard.escape import md

JOB = "cluster_job"


def scheduler_address() -> str | None:
    """The configured Dask scheduler, or None (the cluster option is then not offered)."""
    return os.environ.get(SCHEDULER_ENV) or None


@dataclass
class ClusterJob:
    """A batch of saved uploads running on the cluster, followed by the page."""

    names: list[str]  # the user's file names, in the batch's order
    rejected: list[tuple[str, str]]  # uploads refused when saved: (name, why)
    control: BatchControl = field(default_factory=BatchControl)
    results: list[TaskResult] = field(default_factory=list)
    report: BatchReport | None = None
    error: str | None = None
    started: float = field(default_factory=time.monotonic)
    redrawn_at_end: bool = False  # the page was redrawn once after the batch ended
    _thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout_s: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout_s)

    def counts(self) -> dict[str, int]:
        seen = list(self.results)
        return {s: sum(1 for r in seen if r.status == s) for s in (DONE, SKIPPED, FAILED,
                                                                    CANCELLED)}

    def lines(self) -> list[tuple[str, str]]:
        """(status, line) per finished file, failures first."""
        shown = [(r.status, f"{self.names[r.index]}: {_said(r, self.names[r.index])}")
                 for r in list(self.results)]
        shown += [(FAILED, f"{name}: {why}") for name, why in self.rejected]
        return sorted(shown, key=lambda item: item[0] != FAILED)


def _said(result: TaskResult, name: str) -> str:
    if result.status == DONE:
        people = {0: "nobody found", 1: "1 person"}.get(result.people, f"{result.people} people")
        return f"analysed in {result.seconds:.1f} s on {result.worker}, {people}"
    if result.status == SKIPPED:
        return "already analysed in this session"
    text = result.message  # the pipeline's messages start with the file's name
    return text[len(name) + 2:] if text.startswith(f"{name}: ") else text


def start(store: Store, athlete_id: int, session: Any, settings: PipelineSettings,
          uploads: Sequence[Any], data: Path, scheduler: str) -> ClusterJob:
    """Save ``uploads`` and send them to the cluster at ``scheduler`` as one batch into the
    athlete's session (an id, or a ``dashboard.jobs.NewSession`` to create)."""
    from dashboard.jobs import NewSession, save_uploads

    url = str(store.url)
    if is_sqlite(url):
        raise AnalysisError(
            "The cluster writes from other machines: the dashboard's database must be a "
            "shared one (PostgreSQL, POSTURE_DB_URL), not SQLite.")
    uploads_folder = datafiles.folder(datafiles.UPLOADS, data)
    datafiles.check_writable(uploads_folder)
    athlete = store.get_athlete(athlete_id)
    runs = save_uploads(uploads, uploads_folder)
    accepted = [r for r in runs if r.status == "waiting"]
    try:
        # Through the page's store, as a change: a user who may not analyse for this
        # athlete is refused here (the batch itself writes with its own connection).
        if isinstance(session, int):
            known = store.get_session(session)
            session = NewSession(known.title, known.date)
        if accepted:
            chosen = store.get_or_create_session(athlete_id, session.title, session.date,
                                                 list(session.tags))
    except BaseException:
        for item in accepted:
            datafiles.release_upload(store, item.path, data)
        raise
    job = ClusterJob(names=[r.name for r in accepted],
                     rejected=[(r.name, r.message) for r in runs if r.status != "waiting"])
    if not accepted:
        return job
    files = [BatchFile(r.path, athlete.name, name=r.name) for r in accepted]
    for item in files:
        datafiles.acquire(item.path)

    def work() -> None:
        try:
            job.report = run_batch(files, chosen.title, DaskEngine(scheduler),
                                   settings=settings, date=chosen.date, db_url=url,
                                   on_result=job.results.append, control=job.control)
        except Exception as error:  # noqa: BLE001 -- shown on the page in one line
            job.error = str(error).strip().splitlines()[0] if str(error).strip() else \
                type(error).__name__
        finally:
            kept = {r.index for r in job.results if r.status in (DONE, SKIPPED)}
            for index, item in enumerate(files):
                datafiles.let_go(item.path)
                if index not in kept:  # failed, cancelled or never sent: not kept
                    datafiles.release_upload(store, item.path, data)

    job._thread = threading.Thread(target=work, name="cluster-batch", daemon=True)
    job._thread.start()
    return job


def show(job: ClusterJob) -> None:
    """The batch's progress: a bar over files with the cluster's throughput, a stop button
    while it runs, then one line per file."""
    counts = job.counts()
    finished = sum(counts.values())
    total = max(len(job.names), 1)
    minutes = max(time.monotonic() - job.started, 1e-6) / 60
    text = (f"{finished} of {len(job.names)} files on the cluster · "
            f"{counts[DONE] / minutes:.1f} files/min · {counts[FAILED]} failed")
    st.progress(min(1.0, finished / total), text=text)
    if job.error:
        st.error(md(job.error))
    if job.running:
        stopping = job.control.stop.is_set()
        label = "Abandon the running files" if stopping else "Stop the batch"
        if st.button(label, key="cluster_stop", icon=":material/stop_circle:"):
            job.control.interrupt()
        if stopping:
            st.caption("No new file starts; the running ones finish.")
    for status, line in job.lines():
        if status == FAILED:
            st.error(md(line), icon=":material/error:")
        elif status == CANCELLED:
            st.info(md(line), icon=":material/cancel:")
        else:
            st.success(md(line), icon=":material/check_circle:")


def follow(job: ClusterJob) -> None:
    """:func:`show`, redrawn every second while the batch runs (without the whole page)."""

    @st.fragment(run_every=1.0 if job.running else None)
    def progress() -> None:
        show(job)
        if not job.running and not job.redrawn_at_end:
            job.redrawn_at_end = True
            st.rerun()  # the whole page once: the Analyse button is free again

    progress()
