"""What a batch did, file by file, and how it is shown: the tqdm bar while it runs (files,
with the cluster's throughput) and, at the end, a summary and one line per failure."""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO

from analysis.batch.task import CANCELLED, DONE, FAILED, SKIPPED, TaskResult

#: Exit status of a batch stopped by Ctrl-C (128 + SIGINT), whatever else happened.
EXIT_INTERRUPTED = 130
#: The exit status counts failed files up to this (an exit status is one byte, and
#: 126 and above mean other things to shells).
EXIT_MAX_FAILURES = 100

_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def one_line(value: object) -> str:
    """``value`` as text on one line (control characters written as escapes)."""
    text = str(value)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _ESCAPES.get(c) or repr(c)[1:-1] for c in text)


@dataclass
class BatchReport:
    """Every file's :class:`~analysis.batch.task.TaskResult`, in the batch's order.

    ``elapsed_s``: wall time from the first file submitted to the last result;
    ``stopped``: the user stopped the batch (files not started are ``cancelled``);
    ``abandoned``: the user also abandoned the running files.
    """

    results: list[TaskResult] = field(default_factory=list)
    total: int = 0
    elapsed_s: float = 0.0
    engine: str = ""
    stopped: bool = False
    abandoned: bool = False

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def failed(self) -> list[TaskResult]:
        return [r for r in self.results if r.status == FAILED]

    @property
    def frames(self) -> int:
        """Frames analysed now (skipped files not counted)."""
        return sum(r.frames for r in self.results if r.status == DONE)

    def files_per_minute(self) -> float:
        """Files analysed now per minute of the batch's wall time, all workers together."""
        return 60.0 * self.count(DONE) / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def exit_status(self) -> int:
        """0 when every file is analysed or was already; else the number of failed files
        (at most :data:`EXIT_MAX_FAILURES`); :data:`EXIT_INTERRUPTED` when stopped."""
        if self.stopped:
            return EXIT_INTERRUPTED
        return min(len(self.failed), EXIT_MAX_FAILURES)

    def summary(self) -> str:
        counts = Counter(r.status for r in self.results)
        parts = [f"{counts[DONE]} analysed"]
        if counts[SKIPPED]:
            parts.append(f"{counts[SKIPPED]} already analysed (skipped)")
        parts.append(f"{counts[FAILED]} failed")
        if counts[CANCELLED]:
            parts.append(f"{counts[CANCELLED]} cancelled")
        rate = (f"; {self.files_per_minute():.1f} files/min, "
                f"{self.frames / self.elapsed_s:.1f} frames/s" if self.elapsed_s > 0 else "")
        return (f"{self.total} files: {', '.join(parts)} in {self.elapsed_s:.1f} s on "
                f"{self.engine}{rate}")

    def failure_lines(self) -> list[str]:
        """``failed: PATH: reason``, one per failed file, each on one line."""
        return [one_line(f"failed: {r.path}: {_reason(r)}") for r in self.failed]

    def cancel_lines(self) -> list[str]:
        return [one_line(f"cancelled: {r.path}: {r.message}") for r in self.results
                if r.status == CANCELLED]


def _reason(result: TaskResult) -> str:
    """The reason less the file's path in front (the line already starts with it)."""
    text = result.message or "failed"
    for prefix in (f"{result.path}: ", f"{result.path.rsplit('/', 1)[-1]}: "):
        if text.startswith(prefix):
            return text[len(prefix):]
    return text


class ProgressBar:
    """A tqdm bar over the batch's files with the throughput of all workers together
    (files per minute, frames per second) and the failures so far. Without a terminal on
    stderr it prints nothing while running (tqdm's ``disable=None``)."""

    def __init__(self, total: int, engine: str, file: IO[str] | None = None,
                 disable: bool | None = None) -> None:
        from tqdm import tqdm

        self.started = time.monotonic()
        self.frames = 0
        self.done = 0
        self.failed = 0
        self.bar = tqdm(total=total, unit="file", desc=f"batch on {engine}",
                        file=file or sys.stderr, disable=disable, dynamic_ncols=True)

    def __call__(self, result: TaskResult) -> None:
        if result.status == DONE:
            self.done += 1
            self.frames += result.frames
        self.failed += result.status == FAILED
        elapsed = max(time.monotonic() - self.started, 1e-9)
        self.bar.set_postfix_str(
            f"{60 * self.done / elapsed:.1f} files/min, {self.frames / elapsed:.1f} frames/s"
            + (f", {self.failed} failed" if self.failed else ""), refresh=False)
        self.bar.update(1)

    def note(self, text: str) -> None:
        self.bar.write(one_line(text), file=sys.stderr)

    def close(self) -> None:
        self.bar.close()


def print_report(report: BatchReport, out: IO[str] | None = None,
                 err: IO[str] | None = None) -> None:
    """The summary on ``out``; failures and cancellations, one line each, on ``err``."""
    out, err = out or sys.stdout, err or sys.stderr
    for line in report.cancel_lines() + report.failure_lines():
        print(line, file=err)
    print(one_line(report.summary()), file=out)


def lines_of(results: Sequence[TaskResult]) -> list[str]:
    """One line per result, for logs and the dashboard: ``status: path (clip N)``."""
    shown: list[str] = []
    for r in results:
        clip = f" (clip {r.clip_id})" if r.clip_id is not None else ""
        why = f": {_reason(r)}" if r.status in (FAILED, CANCELLED) else ""
        shown.append(one_line(f"{r.status}: {r.path}{clip}{why}"))
    return shown


