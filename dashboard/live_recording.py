"""Recording the live camera: frames as received, with their timestamps, kept as a clip.

A :class:`Recorder` takes the frames the server receives (before any drawing)
and encodes them to H.264 MP4 (:class:`dashboard.video_export.H264Writer`) on a
thread of its own, each frame shown from its own timestamp (the browser's
capture clock), so a clip recorded at an uneven rate plays and is analysed at
its true times. :func:`analyse_recording` then keeps the file as an upload of the
chosen session and analyses it with the normal pipeline (an
:class:`dashboard.jobs.AnalysisJob`): it appears in the Clip view, Compare and
Progress like any upload.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import queue
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from analysis import PipelineSettings, Store
from analysis import files as datafiles
from dashboard import jobs
from dashboard.video_export import H264Writer

log = logging.getLogger(__name__)

#: Longest recording, seconds: about 60 MB of H.264 at 640x480.
MAX_RECORDING_S = 600.0
#: Frames waiting for the encoder; beyond this a frame is dropped (and counted).
QUEUE_FRAMES = 90
#: Nominal rate written in the file's header; each frame keeps its own timestamp.
NOMINAL_FPS = 30.0


@dataclass(frozen=True)
class Recording:
    """A finished recording: the MP4, its frames, length (s) and frames the encoder missed."""

    path: Path
    frames: int
    duration_s: float
    dropped: int
    started: dt.datetime


def fit_into(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``image`` (BGR) scaled to fit ``size`` (width, height) keeping its shape, on black.

    A camera's picture changes size during a recording: WebRTC senders lower the
    resolution when the sending machine is busy and raise it again, a phone turns.
    The recording keeps its first size.
    """
    width, height = size
    if image.shape[1] == width and image.shape[0] == height:
        return image
    scale = min(width / image.shape[1], height / image.shape[0])
    w = max(1, min(width, round(image.shape[1] * scale)))
    h = max(1, min(height, round(image.shape[0] * scale)))
    out = np.zeros((height, width, 3), np.uint8)
    x0, y0 = (width - w) // 2, (height - h) // 2
    out[y0:y0 + h, x0:x0 + w] = cv2.resize(image, (w, h), interpolation=cv2.INTER_LINEAR)
    return out


class NothingRecorded(ValueError):
    """The recording was stopped before its first frame came."""


class Recorder:
    """Encodes the frames given to :meth:`add` into an MP4 in ``folder``, in a thread."""

    def __init__(self, folder: Path, max_s: float = MAX_RECORDING_S) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".live-", suffix=".mp4", dir=folder)
        os.close(fd)
        self.path = Path(name)
        self.max_s = float(max_s)
        self.started = dt.datetime.now()
        self.frames = 0
        self.dropped = 0
        self._first: float | None = None
        self._last = 0.0
        self._queue: queue.Queue[tuple[np.ndarray, float] | None] = queue.Queue(QUEUE_FRAMES)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="live-recorder", daemon=True)
        self._thread.start()

    @property
    def elapsed_s(self) -> float:
        return self._last

    def add(self, image: np.ndarray, time_s: float) -> bool:
        """Queue one BGR (H, W, 3) uint8 frame taken at ``time_s`` (s, any origin); False
        when it was dropped (encoder behind) or the recording is full."""
        if self._first is None:
            self._first = time_s
        t = time_s - self._first
        if t > self.max_s or t < self._last - 1e-6:
            return False
        try:
            self._queue.put_nowait((image, t))
        except queue.Full:
            self.dropped += 1
            return False
        self._last = t
        return True

    def stop(self) -> Recording:
        """Finish the file (waits for the encoder); raises :class:`NothingRecorded` when
        no frame was taken, else what the encoder raised."""
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            self.path.unlink(missing_ok=True)
            if self._first is None:
                raise NothingRecorded("no frames were recorded") from self._error
            raise self._error
        return Recording(self.path, self.frames, self._last, self.dropped, self.started)

    def abandon(self) -> None:
        """Stop and delete the file."""
        with contextlib.suppress(BaseException):
            self.stop()
        self.path.unlink(missing_ok=True)

    def _run(self) -> None:
        ended = False  # stop()'s end mark taken from the queue
        try:
            with H264Writer(self.path, NOMINAL_FPS, crf=20, preset="veryfast") as writer:
                size: tuple[int, int] | None = None
                while (item := self._queue.get()) is not None:
                    image, time_s = item
                    size = size or (image.shape[1], image.shape[0])
                    writer.write(fit_into(image, size), time_s)
                    self.frames += 1
                ended = True  # the file is finished next, on leaving the block
        except BaseException as error:  # noqa: BLE001 -- handed to stop()'s caller
            if self._first is not None:  # an empty recording is the caller's to report
                log.exception("live recording failed")
            self._error = error
            # Let add() and stop() go on; once the end mark is taken (finishing the file
            # failed: nothing recorded, say), waiting for another one would hang stop().
            while not ended and self._queue.get() is not None:
                pass


def recording_name(recording: Recording) -> str:
    """The clip's name as the pages show it, e.g. ``live-2025-05-01-18h04m12.mp4``."""
    return f"live-{recording.started:%Y-%m-%d-%Hh%Mm%S}.mp4"


def analyse_recording(store: Store, estimator: Any, athlete_id: int,
                      session: int | jobs.NewSession, recording: Recording,
                      settings: PipelineSettings, data: Path,
                      previews: Path | None = None) -> jobs.AnalysisJob:
    """Keep ``recording`` as an upload of the session and analyse it (a job, started).

    The session is created (for a :class:`jobs.NewSession`) only once the file is kept;
    the recording's temporary file is deleted either way.
    """
    name = recording_name(recording)
    try:
        with open(recording.path, "rb") as source:
            path, _sha = jobs.save_upload(source, name, datafiles.folder(datafiles.UPLOADS, data))
    finally:
        recording.path.unlink(missing_ok=True)
    session_id = session if isinstance(session, int) else store.get_or_create_session(
        athlete_id, session.title, session.date, list(session.tags)).id
    return jobs.AnalysisJob(store=store, estimator=estimator, athlete_id=athlete_id,
                            session_id=session_id, settings=settings,
                            files=jobs.make_runs([(name, path)]), previews=previews,
                            data=data).start()
