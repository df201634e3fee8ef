"""``python -m analysis batch``: a season's archive (folders, files, lists of files)
analysed at once, on this machine's cores or on a Dask cluster.

    python -m analysis batch FOLDER_OR_LIST... --session TITLE
        [--athlete-from folder|name-pattern] [--pattern REGEX] [--date YYYY-MM-DD]
        [--engine local|dask] [--workers N] [--scheduler tcp://HOST:8786]
        [--max-people N] [--no-smoothing] [--model NAME] [--db URL]

A tqdm bar follows the files (with the throughput of all workers together); at the end,
one line per failed or cancelled file on stderr and a summary on stdout. Exit status: 0
when every file is analysed (or was already), else the number of failed files (at most
100); 130 when stopped with Ctrl-C; 2, with one line, when the batch is refused before any
file is analysed (no files, bad option, database or cluster unreachable).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from typing import Any

from analysis.batch.discovery import ATHLETE_FROM, DEFAULT_NAME_PATTERN

#: The Dask scheduler used by ``--engine dask`` (and the dashboard) when none is given.
SCHEDULER_ENV = "POSTURE_DASK_SCHEDULER"


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date as YYYY-MM-DD: {text!r}") from None


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more: {text!r}")
    return value


def add_parser(commands: Any, common: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the ``batch`` command to ``python -m analysis``'s sub-commands."""
    batch = commands.add_parser(
        "batch", parents=[common],
        help="analyse a whole archive (folders, files, lists) on all cores or a Dask cluster",
    )
    batch.add_argument("inputs", nargs="+", metavar="FOLDER_OR_LIST",
                       help="folders (searched recursively), photos, clips, or .txt/.lst "
                       "files listing one path a line")
    batch.add_argument("--session", required=True, metavar="TITLE",
                       help="each athlete's session (created when missing)")
    batch.add_argument("--athlete-from", choices=ATHLETE_FROM, default="folder",
                       help="athlete's name: the file's folder (default), or a pattern in "
                       "the file's name")
    batch.add_argument("--pattern", metavar="REGEX", default=DEFAULT_NAME_PATTERN,
                       help="with --athlete-from name-pattern: regular expression with a "
                       "group (?P<athlete>...) (default %(default)s: 'Anna Lee_squat.mp4')")
    batch.add_argument("--date", type=_date, metavar="YYYY-MM-DD", help="session date (today)")
    batch.add_argument("--engine", choices=("local", "dask"), default="local",
                       help="local: one process per core here (default); dask: a cluster")
    batch.add_argument("--workers", type=_count, metavar="N",
                       help="local engine: processes (default: one per core)")
    batch.add_argument("--scheduler", metavar="tcp://HOST:8786",
                       help=f"dask engine: the scheduler (default ${SCHEDULER_ENV})")
    batch.add_argument("--max-people", type=_count, default=4, metavar="N", help="default 4")
    batch.add_argument("--no-smoothing", action="store_true",
                       help="keep angles as measured (no clean-up)")
    batch.add_argument("--model", metavar="NAME",
                       help="trained landmark model of the data folder's models/ (default: "
                       "the verified BlazePose weights); each worker reads it from its own "
                       "data folder")
    return batch


def engine_for(args: argparse.Namespace) -> Any:
    """The engine the options ask for (AnalysisError, one line, when it cannot be had)."""
    from analysis.errors import AnalysisError

    if args.engine == "local":
        from analysis.batch.local import LocalEngine

        return LocalEngine(args.workers)
    scheduler = args.scheduler or os.environ.get(SCHEDULER_ENV)
    if not scheduler:
        raise AnalysisError(f"--engine dask needs --scheduler tcp://HOST:8786 (or "
                            f"${SCHEDULER_ENV}).")
    from analysis.batch.dask_engine import DaskEngine

    return DaskEngine(scheduler)


def cmd_batch(args: argparse.Namespace) -> int:
    from analysis.batch.discovery import plan
    from analysis.batch.report import ProgressBar, print_report
    from analysis.batch.runner import BatchControl, ctrl_c_stops, run_batch
    from analysis.filtering import CleanSettings
    from analysis.pipeline import PipelineSettings
    from analysis.pose_stream import landmark_model_for

    settings = PipelineSettings(
        max_people=args.max_people,
        clean=CleanSettings.raw() if args.no_smoothing else CleanSettings(),
        model=args.model,
    )
    landmark_model_for(settings.model)  # refused here, in one line, before any file is sent
    files = plan(args.inputs, args.athlete_from, args.pattern)
    engine = engine_for(args)
    control = BatchControl()
    bar = ProgressBar(len(files), engine.name)
    try:
        with ctrl_c_stops(control):
            report = run_batch(files, args.session, engine, settings=settings, date=args.date,
                               db_url=args.db, on_result=bar, on_note=bar.note,
                               control=control)
    finally:
        bar.close()
    print_report(report, sys.stdout, sys.stderr)
    return report.exit_status()
