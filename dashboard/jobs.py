"""Background work of the dashboard: a batch of uploads analysed one after the other.

A Streamlit script is re-run from the top whenever the user touches a widget,
so a long analysis must not live in the script itself (any click would stop
it). An :class:`AnalysisJob` runs in its own thread, calls
:func:`analysis.pipeline.analyse_file` for each file and keeps, per file, what
the page shows: status, frames done, time left, the clip id or the reason it
failed. The page polls it (a fragment re-run every half second) and its
Cancel button sets the job's event, which the pipeline honours between frames.

One file failing (bad content, nobody in a photo, an unexpected error) never
stops the others. The estimator's models are shared by every browser session
of the server, so the analyses themselves take turns (:data:`ESTIMATOR_LOCK`).

After each clip is stored, its preview for the frame slider
(:mod:`dashboard.frames`) is built by a separate single worker at a lower CPU
priority, so results appear as soon as the analysis is done.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from analysis import AnalysisCancelled, AnalysisError, PipelineSettings, Store, run_file
from dashboard.frames import build_preview, load_preview
from dashboard.state import one_line, timed

if TYPE_CHECKING:
    from estimator import FramePoses

log = logging.getLogger(__name__)

ESTIMATOR_LOCK = threading.Lock()

#: Nice value of the preview worker: a preview is a convenience for the slider; the
#: analysis, the pages being drawn and the browser come first on a 2-core machine.
PREVIEW_NICENESS = 10


def _lower_priority() -> None:
    """Lower the calling thread's CPU priority (Linux: nice is per thread, and the
    decoder and encoder threads it starts inherit it); elsewhere a no-op."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), PREVIEW_NICENESS)


_PREVIEWS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="preview",
                               initializer=_lower_priority)
_PREVIEW_FUTURES: dict[str, Future] = {}
_PREVIEW_LOCK = threading.Lock()


def save_upload(data: IO[bytes], name: str, folder: Path) -> tuple[Path, str]:
    """Copy an upload to ``folder/<sha256><suffix>`` in 1 MiB blocks; (path, sha256).

    The name only gives the suffix (kept for people browsing the folder); the
    content decides the type later. The same bytes uploaded twice are one file.
    """
    folder.mkdir(parents=True, exist_ok=True)
    suffix = Path(name).suffix.lower()
    if not re.fullmatch(r"\.[a-z0-9]{1,5}", suffix):
        suffix = ""
    digest = hashlib.sha256()
    partial = folder / f".upload-{threading.get_ident()}-{time.monotonic_ns()}.part"
    try:
        with open(partial, "wb") as out:
            data.seek(0)
            for block in iter(lambda: data.read(1 << 20), b""):
                digest.update(block)
                out.write(block)
        sha = digest.hexdigest()
        target = folder / f"{sha}{suffix}"
        if target.exists():
            partial.unlink()
        else:
            partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return target, sha


def ensure_preview(source: Path, key: str, folder: Path) -> Future:
    """Build the frame-slider preview of ``source`` in the background, once per key."""
    with _PREVIEW_LOCK:
        future = _PREVIEW_FUTURES.get(key)
        if future is not None and not (future.done() and future.exception() is not None):
            return future
        if load_preview(folder, key) is not None:
            future = Future()
            future.set_result(load_preview(folder, key))
        else:
            future = _PREVIEWS.submit(build_preview, source, folder, key)
        _PREVIEW_FUTURES[key] = future
        return future


def preview_state(key: str) -> Future | None:
    with _PREVIEW_LOCK:
        return _PREVIEW_FUTURES.get(key)


@dataclass
class FollowedTimeline:
    """Who the estimator follows while a clip is analysed: per track id, the spans of time
    (seconds from the start of the clip) in which it was seen in consecutive frames.

    Filled from the analysing thread (:meth:`add`, once per frame), read by the page
    (:meth:`snapshot`); a lock keeps the two apart.
    """

    spans: dict[int, list[list[float]]] = field(default_factory=dict)
    frames: int = 0
    last_time: float = 0.0
    _previous_time: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, time_s: float, track_ids: Sequence[int]) -> None:
        """One frame at ``time_s`` seconds in which ``track_ids`` were found."""
        with self._lock:
            for track_id in track_ids:
                runs = self.spans.setdefault(int(track_id), [])
                if runs and runs[-1][1] == self._previous_time:
                    runs[-1][1] = time_s  # seen in the frame before: the span goes on
                else:
                    runs.append([time_s, time_s])
            self._previous_time = time_s
            self.frames += 1
            self.last_time = max(self.last_time, time_s)

    def snapshot(self) -> dict[int, list[tuple[float, float]]]:
        """A copy of the spans, safe to draw while frames keep coming."""
        with self._lock:
            return {t: [(a, b) for a, b in runs] for t, runs in sorted(self.spans.items())}


@dataclass
class FileRun:
    """One file of a batch, as the page shows it."""

    name: str
    path: Path
    status: str = "waiting"  # waiting, running, done, failed, cancelled
    done: int = 0
    total: int = 0
    eta_s: float | None = None
    clip_id: int | None = None
    people: int | None = None
    kind: str | None = None
    message: str = ""
    seconds: float | None = None
    followed: FollowedTimeline = field(default_factory=FollowedTimeline)

    def progress(self, done: int, total: int, eta_s: float | None = None) -> None:
        self.done, self.total, self.eta_s = int(done), int(total), eta_s

    def frame_seen(self, frame: FramePoses) -> None:
        self.followed.add(frame.time, [p.track_id for p in frame.people])

    def expected_duration_s(self) -> float | None:
        """The clip's length in seconds as far as it can be told from the frames so far."""
        followed = self.followed
        if followed.frames < 2 or not self.total:
            return None
        return followed.last_time * (self.total - 1) / (followed.frames - 1)


@dataclass
class AnalysisJob:
    """Files analysed one after the other into one session, in a thread of their own."""

    store: Store
    estimator: Any
    athlete_id: int
    session_id: int
    settings: PipelineSettings
    files: list[FileRun]
    previews: Path | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    on_clip: Callable[[FileRun], None] | None = None
    _thread: threading.Thread | None = None

    def start(self) -> AnalysisJob:
        self._thread = threading.Thread(target=self._run, name="analysis-job", daemon=True)
        self._thread.start()
        return self

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def ends_within(self, seconds: float) -> bool:
        """Whether the batch is on its last file with at most ``seconds`` of frames left."""
        if not self.running:
            return False
        last = self.files[-1]
        return last.status == "running" and last.eta_s is not None and last.eta_s <= seconds

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        try:
            for item in self.files:
                if self.cancel.is_set():
                    item.status, item.message = "cancelled", "Cancelled before it started."
                    continue
                self._analyse(item)
        finally:
            self.finished = time.monotonic()

    def _analyse(self, item: FileRun) -> None:
        item.status = "running"
        began = time.monotonic()
        try:
            with ESTIMATOR_LOCK, timed("analysis"):
                if self.cancel.is_set():
                    raise AnalysisCancelled("Analysis cancelled.")
                outcome = run_file(
                    self.store, item.path, self.athlete_id, self.session_id, self.settings,
                    estimator=self.estimator, progress=item.progress,
                    on_frame=item.frame_seen, cancel=self.cancel, file_name=item.name,
                )
            clip = self.store.get_clip(outcome.clip_id)
        except AnalysisCancelled:
            item.status, item.message = "cancelled", "Cancelled: nothing was kept."
        except AnalysisError as error:
            item.status, item.message = "failed", one_line(error)
        except Exception as error:  # a bug: logged in full, shown in one line, batch goes on
            log.exception("analysis of %s failed", item.name)
            item.status = "failed"
            item.message = f"Unexpected error ({type(error).__name__}: {one_line(error)})"
        else:
            item.clip_id, item.kind, item.people = clip.id, clip.kind, len(clip.tracks)
            if clip.status == "failed":
                item.status, item.message = "failed", clip.error or "Analysis failed."
            else:
                item.status = "done"
                if outcome.reused:
                    item.message = "Already analysed in this session: stored results shown."
                if self.previews is not None and clip.kind == "video":
                    ensure_preview(Path(clip.stored_path), clip.sha256, self.previews)
        finally:
            item.seconds = time.monotonic() - began
            item.eta_s = None


def summary_line(item: FileRun) -> str:
    """One line about a file of a batch, for the page."""
    if item.status == "running":
        if item.total:
            eta = f" · about {item.eta_s:.0f} s left" if item.eta_s is not None else ""
            return f"{item.name}: frame {item.done} of {item.total}{eta}"
        return f"{item.name}: starting…"
    if item.status == "waiting":
        return f"{item.name}: waiting"
    if item.status == "done":
        who = {0: "nobody found", 1: "1 person"}.get(item.people or 0, f"{item.people} people")
        if item.kind == "photo" and not item.people:
            who = "no person found in this photo"
        took = f" in {item.seconds:.1f} s" if item.seconds is not None else ""
        return f"{item.name}: analysed{took}, {who}"
    return f"{item.name}: {item.message}"


def fraction(item: FileRun) -> float:
    if item.status in ("done", "failed", "cancelled"):
        return 1.0
    if not item.total:
        return 0.0
    return min(1.0, item.done / item.total)


def make_runs(paths: Sequence[tuple[str, Path]]) -> list[FileRun]:
    return [FileRun(name=name, path=path) for name, path in paths]

