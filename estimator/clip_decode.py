"""Clips decoded: the capture opened and checked, frames timed, a prefetch thread.

OpenCV (FFmpeg) decodes, with the container's rotation applied; PyAV is asked
only why a clip gave no frame. Frame times come from the container's
timestamps, counted from the first frame shown, a missing or non-increasing
one replaced by the previous one plus one frame period. :func:`_prefetched`
runs the decoding in a background thread into a bounded queue, stopped and
joined when the consumer stops. :mod:`estimator.video` states the decisions.
"""

from __future__ import annotations

import contextlib
import math
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from estimator.errors import BadInputError
from estimator.frame import Frame
from estimator.native_quiet import quiet_native_stderr
from estimator.types import SourceInfo

DEFAULT_FPS = 30.0  # only for replacing missing timestamps when the container has no rate


def _open_capture(path: Path) -> cv2.VideoCapture:
    # An absolute path never looks like an FFmpeg protocol ("name:...") or option.
    with quiet_native_stderr():
        cap = cv2.VideoCapture(str(path.resolve()), cv2.CAP_FFMPEG)
    if cap.isOpened():
        cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
    return cap


def _why_no_frames(path: Path, fmt: str) -> str:
    """Ask FFmpeg itself (through PyAV) why OpenCV got no frame out of a clip."""
    import av  # PyAV: only for this diagnosis; decoding stays with OpenCV

    if not path.is_file():
        return "file not found (removed while being read?)"
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                return "contains no video (an empty recording, or a sound-only file?)"
            for _frame in container.decode(video=0):
                return f"corrupt {fmt} clip: its frames cannot be decoded"
            return "the clip has zero frames"
    except av.EOFError:
        return "truncated: the clip ends inside its header (incomplete copy or download?)"
    except av.FFmpegError as exc:
        return f"corrupt {fmt} clip ({exc.strerror or type(exc).__name__})"


def _fps(cap: cv2.VideoCapture) -> float:
    fps = cap.get(cv2.CAP_PROP_FPS)
    return float(fps) if math.isfinite(fps) and 0 < fps <= 1000 else 0.0



@dataclass
class _OpenClip:
    """A clip opened and checked: its info, the capture and its first frame."""

    info: SourceInfo
    cap: cv2.VideoCapture
    first: np.ndarray | None  # handed over as frame 0, then dropped
    first_ms: float


def _open_clip(path: Path, fmt: str) -> _OpenClip:
    """Open a clip and decode its first frame; BadInputError (capture released) if it fails."""
    cap = _open_capture(path)
    try:
        if not cap.isOpened():
            raise BadInputError(path, _why_no_frames(path, fmt))
        ok, image = cap.read()
        if not ok or image is None:
            raise BadInputError(path, _why_no_frames(path, fmt))
    except BaseException:
        cap.release()
        raise
    height, width = image.shape[:2]
    count = cap.get(cv2.CAP_PROP_FRAME_COUNT)
    rotation = cap.get(cv2.CAP_PROP_ORIENTATION_META)
    info = SourceInfo(
        path=path, kind="video", width=int(width), height=int(height), fps=_fps(cap),
        frame_count=max(int(count), 1) if math.isfinite(count) else 1,
        rotation=int(rotation) % 360 if math.isfinite(rotation) else 0,
    )
    return _OpenClip(info, cap, image, cap.get(cv2.CAP_PROP_POS_MSEC))


def _probe_clip(path: Path, fmt: str) -> SourceInfo:
    clip = _open_clip(path, fmt)
    clip.cap.release()
    return clip.info


def _decode_clip(clip: _OpenClip, stop: threading.Event) -> Iterator[Frame]:
    """Frames from an opened clip, timed from the first one; releases the capture at the end."""
    cap, period = clip.cap, 1.0 / (clip.info.fps or DEFAULT_FPS)
    first_ms = clip.first_ms if math.isfinite(clip.first_ms) else None
    try:
        yield Frame(0, 0.0, clip.first)
        clip.first = None  # the clip keeps no frame alive
        index, last_time = 1, 0.0
        while not stop.is_set():
            ok, image = cap.read()
            if not ok or image is None:
                break
            ms = cap.get(cv2.CAP_PROP_POS_MSEC)
            if first_ms is None and math.isfinite(ms):
                first_ms = ms - index * period * 1000.0
            time = (ms - first_ms) / 1000.0 if first_ms is not None and math.isfinite(ms) else -1
            if not time > last_time:
                time = last_time + period
            yield Frame(index, time, image)
            index, last_time = index + 1, time
    finally:
        cap.release()


_END = object()


def _prefetched(produce, args: tuple, depth: int) -> Iterator[Frame]:
    """Run the generator ``produce(*args, stop)`` in a thread, ``depth`` items ahead.

    Exceptions in the thread are re-raised in the consumer. When the consumer
    stops (exhaustion, ``close()``, an exception, garbage collection), the
    thread is told to stop, unblocked and joined before this generator returns.
    """
    items: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                items.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        frames = produce(*args, stop)
        try:
            for item in frames:
                if not put(item):
                    return
            put(_END)
        except BaseException as exc:  # handed to the consumer, raised there
            put(exc)
        finally:
            frames.close()

    worker = threading.Thread(target=run, name="estimator-frame-decoder", daemon=True)
    worker.start()
    try:
        while True:
            item = items.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        with contextlib.suppress(queue.Empty):
            while True:
                items.get_nowait()
        worker.join()
