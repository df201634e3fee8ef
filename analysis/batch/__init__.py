"""Batches: many photos and clips analysed at once, on this machine's cores or on a Dask
cluster, into the store.

    files = plan(["season/"], athlete_from="folder")
    report = run_batch(files, "Season 2024", LocalEngine(), db_url=url,
                       on_result=ProgressBar(len(files), "local"))
    print_report(report)

By concern: :mod:`~analysis.batch.discovery` (which files, whose), :mod:`~analysis.batch.task`
(one file in a worker process, models loaded once per process),
:mod:`~analysis.batch.local` and :mod:`~analysis.batch.dask_engine` (the engines;
:mod:`~analysis.batch.plugin` loads the models on Dask workers),
:mod:`~analysis.batch.runner` (a batch from start to end, stopping),
:mod:`~analysis.batch.report` (progress and the final lines) and
:mod:`~analysis.batch.cli` (``python -m analysis batch``). The Dask engine imports
``distributed`` only when used.
"""

from analysis.batch.dask_engine import DaskEngine
from analysis.batch.discovery import ATHLETE_FROM, DEFAULT_NAME_PATTERN, BatchFile, plan
from analysis.batch.local import LocalEngine
from analysis.batch.report import BatchReport, ProgressBar, print_report
from analysis.batch.runner import BatchControl, ctrl_c_stops, run_batch
from analysis.batch.task import CANCELLED, DONE, FAILED, SKIPPED, BatchTask, TaskResult

__all__ = [
    "ATHLETE_FROM",
    "CANCELLED",
    "DEFAULT_NAME_PATTERN",
    "DONE",
    "FAILED",
    "SKIPPED",
    "BatchControl",
    "BatchFile",
    "BatchReport",
    "BatchTask",
    "DaskEngine",
    "LocalEngine",
    "ProgressBar",
    "TaskResult",
    "ctrl_c_stops",
    "plan",
    "print_report",
    "run_batch",
]
