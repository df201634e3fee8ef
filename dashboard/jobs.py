"""Background work of the dashboard: a batch of uploads analysed one after the other.

A Streamlit script is re-run from the top whenever the user touches a widget,
so a long analysis must not live in the script itself (any click would stop
it). An :class:`AnalysisJob` runs in its own thread, calls
:func:`analysis.pipeline.analyse_file` for each file and keeps, per file, what
the page shows: status, frames done, time left, the clip id or the reason it
failed. The page polls it (a fragment re-run every 2 seconds) and its
Cancel button sets the job's event, which the pipeline honours between frames.

One file failing (bad content, nobody in a photo, an unexpected error) never
stops the others. The estimator's models are shared by every browser session
of the server, so the analyses themselves take turns (:data:`ESTIMATOR_LOCK`).

After each clip is stored, its preview for the frame slider
(:mod:`dashboard.frames`) is built by a separate single worker at a lower CPU
priority, so results appear as soon as the analysis is done.

Uploads reach the data folder through :func:`save_upload` (streamed, named by content,
rejected at once: :func:`analysis.files.save_upload`). A batch holds its uploads
(:func:`analysis.files.acquire`) so that a deletion elsewhere in the app cannot take a
file from under it, and an upload whose analysis did not keep it (failed, cancelled) is
deleted when it ends, unless a clip still points to it. Messages name the user's file,
never where the server keeps it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from analysis import AnalysisCancelled, AnalysisError, PipelineSettings, Store, run_file
from analysis import files as datafiles
from dashboard.frames import Preview, build_preview, load_preview
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
    """Stream an upload to ``folder/<sha256><extension of its type>``; (path, sha256).

    Read in 1 MiB blocks while hashed (never whole); the content decides the extension
    and the same bytes uploaded twice are one file. Content that is not a supported
    photo or clip (empty, truncated, too large...) is deleted at once and raises
    :class:`~analysis.AnalysisError` naming ``name``. See :func:`analysis.files.save_upload`.
    """
    stored = datafiles.save_upload(data, name, folder)
    return stored.path, stored.sha256


def forget_upload(upload: Any) -> None:
    """Drop Streamlit's own in-memory copy of an upload once it is on disk.

    Streamlit (1.51) receives an upload whole, in memory, and keeps it in its uploaded-
    file manager for the rest of the browser session; removing it there (and closing
    the ``UploadedFile``) lets that memory go as soon as the file is saved. Outside a
    running app (tests) only the file object is closed.
    """
    try:
        from streamlit.runtime import exists, get_instance
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx()
        if exists() and ctx is not None and getattr(upload, "file_id", None):
            get_instance().uploaded_file_mgr.remove_file(ctx.session_id, upload.file_id)
    except Exception:  # noqa: BLE001 -- Streamlit's internals moved: the memory stays, no harm
        log.warning("could not release Streamlit's copy of an upload", exc_info=True)
    with contextlib.suppress(Exception):
        upload.close()


def save_uploads(uploads: Sequence[Any], folder: Path) -> list[FileRun]:
    """Each upload streamed to ``folder`` (:func:`save_upload`) and released from
    Streamlit's memory: a waiting :class:`FileRun` each, or a failed one saying why it
    was refused (nothing of it kept)."""
    runs = []
    for upload in uploads:
        try:
            path, _sha = save_upload(upload, upload.name, folder)
            runs.append(FileRun(name=upload.name, path=path))
        except AnalysisError as error:
            runs.append(FileRun.rejected(upload.name, error))
        finally:
            forget_upload(upload)
    return runs


#: After an analysis, the preview starts this much later: the page switches to the Clip
#: view, whose first drawing (about 0.7 s here) would otherwise share the cores and the
#: interpreter's lock with the decoder and encoder. Asked for meanwhile (the Clip view
#: does), the same delayed build is returned.
PREVIEW_DELAY_S = 2.0


def _build_later(delay_s: float, source: Path, folder: Path, key: str) -> Preview:
    time.sleep(delay_s)
    return build_preview(source, folder, key)


def ensure_preview(source: Path, key: str, folder: Path, delay_s: float = 0.0) -> Future:
    """Build the frame-slider preview of ``source`` in the background, once per key,
    starting ``delay_s`` seconds from now (when not asked for already)."""
    with _PREVIEW_LOCK:
        future = _PREVIEW_FUTURES.get(key)
        if future is not None and not (future.done() and future.exception() is not None):
            return future
        if load_preview(folder, key) is not None:
            future = Future()
            future.set_result(load_preview(folder, key))
        else:
            future = _PREVIEWS.submit(_build_later, delay_s, source, folder, key)
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

    @classmethod
    def rejected(cls, name: str, error: BaseException) -> FileRun:
        """A file refused before its analysis (nothing of it was kept)."""
        return cls(name=name, path=Path(), status="failed",
                   message=_reason(one_line(error), name))

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
    data: Path | None = None  # the data folder (default: analysis.files.data_dir())
    _thread: threading.Thread | None = None
    _held: dict[int, FileRun] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        # From now until each file is done, no deletion in this process takes its upload.
        for item in self.files:
            if item.status == "waiting":
                datafiles.acquire(item.path)
                self._held[id(item)] = item

    def start(self) -> AnalysisJob:
        self._thread = threading.Thread(target=self._run, name="analysis-job", daemon=True)
        self._thread.start()
        return self

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        try:
            for item in self.files:
                if item.status != "waiting":  # refused when it was uploaded
                    continue
                if self.cancel.is_set():
                    item.status, item.message = "cancelled", "Cancelled before it started."
                    self._let_go(item)
                    continue
                try:
                    self._analyse(item)
                finally:
                    self._let_go(item)
        finally:
            for item in list(self._held.values()):
                self._let_go(item)
            self.finished = time.monotonic()

    def _let_go(self, item: FileRun) -> None:
        """Stop holding a file's upload; delete it if its analysis did not keep it."""
        if self._held.pop(id(item), None) is None:
            return
        datafiles.let_go(item.path)
        if item.status in ("failed", "cancelled") and self.store is not None:
            try:
                datafiles.release_upload(self.store, item.path, self.data)
            except Exception:  # noqa: BLE001 -- a file left behind is for prune, not a crash
                log.exception("could not delete the upload of %s", item.name)

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
            item.status, item.message = "failed", _named(one_line(error), item)
        except Exception as error:  # a bug: logged in full, shown in one line, batch goes on
            log.exception("analysis of %s failed", item.name)
            item.status = "failed"
            item.message = (f"Unexpected error ({type(error).__name__}: "
                            f"{_named(one_line(error), item)})")
        else:
            item.clip_id, item.kind, item.people = clip.id, clip.kind, len(clip.tracks)
            if clip.status == "failed":
                item.status = "failed"
                item.message = _named(clip.error or "Analysis failed.", item)
            else:
                item.status = "done"
                if outcome.reused:
                    item.message = "Already analysed in this session: stored results shown."
                if self.previews is not None and clip.kind == "video":
                    ensure_preview(Path(clip.stored_path), clip.sha256, self.previews,
                                   delay_s=PREVIEW_DELAY_S)
        finally:
            item.seconds = time.monotonic() - began
            item.eta_s = None


def _named(text: str, item: FileRun) -> str:
    """``text`` with the server's path of the upload replaced by the user's file name,
    less the name in front (the page's line starts with it)."""
    if item.path != Path():
        for where in sorted({str(item.path.resolve()), str(item.path)}, key=len,
                            reverse=True):
            text = text.replace(where, item.name)
        text = text.replace(str(item.path.resolve().parent) + os.sep, "")
    return _reason(text, item.name)


def _reason(text: str, name: str) -> str:
    """``<name>: <reason>`` -> ``<reason>``: the page's line already starts with the name."""
    return text[len(name) + 2:] if text.startswith(f"{name}: ") else text


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


def may_end_within(files: list[FileRun], seconds: float) -> bool:
    """Whether a batch of ``files`` may end within ``seconds``: no file waits its turn, and
    no running file has more than that left by its frames' ETA (an ETA not known yet, or
    over once the frames are done and the metrics are being stored, counts as near)."""
    if any(f.status == "waiting" for f in files):
        return False
    return all(f.eta_s is None or f.eta_s <= seconds for f in files if f.status == "running")


def fraction(item: FileRun) -> float:
    if item.status in ("done", "failed", "cancelled"):
        return 1.0
    if not item.total:
        return 0.0
    return min(1.0, item.done / item.total)


@dataclass(frozen=True)
class NewSession:
    """A session to create for a batch, once at least one of its files is accepted."""

    title: str
    date: dt.date
    tags: tuple[str, ...] = ()


def start_batch(store: Store, estimator: Any, athlete_id: int, session: int | NewSession,
                settings: PipelineSettings, uploads: Sequence[Any], data: Path,
                previews: Path | None = None) -> AnalysisJob:
    """Save a batch of uploads into ``data/uploads`` and start analysing them.

    In this order, so that a refusal leaves nothing behind: the data folder must be
    writable (else :class:`~analysis.AnalysisError`, nothing written); each upload is
    streamed to disk and released from Streamlit's memory (:func:`save_uploads`;
    refused ones are failed runs, not kept); the new session is created only when a
    file was accepted (a session the store refuses deletes the saved uploads again).
    """
    uploads_folder = datafiles.folder(datafiles.UPLOADS, data)
    datafiles.check_writable(uploads_folder)
    runs = save_uploads(uploads, uploads_folder)
    accepted = [r for r in runs if r.status == "waiting"]
    session_id = session if isinstance(session, int) else 0
    if isinstance(session, NewSession) and accepted:
        try:
            session_id = store.get_or_create_session(athlete_id, session.title, session.date,
                                                     list(session.tags)).id
        except BaseException:
            for item in accepted:
                datafiles.release_upload(store, item.path, data)
            raise
    return AnalysisJob(store=store, estimator=estimator, athlete_id=athlete_id,
                       session_id=session_id, settings=settings, files=runs,
                       previews=previews, data=data).start()


def make_runs(paths: Sequence[tuple[str, Path]]) -> list[FileRun]:
    return [FileRun(name=name, path=path) for name, path in paths]

