"""Native libraries kept quiet: FFmpeg's log level, and fd 2 silenced around short calls.

FFmpeg's log is silenced (``OPENCV_FFMPEG_LOGLEVEL`` unless the user set it)
when this module is imported, which :mod:`estimator.video` does before any
capture is opened; :func:`quiet_native_stderr` keeps libjpeg, libpng, OpenCV
and TF Lite warnings off the terminal while it is active, so every problem
reaches the caller as one exception.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator

# Must be set before OpenCV opens its first capture; a user's own setting wins.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET

import cv2  # noqa: E402

_quiet_lock = threading.Lock()
_quiet_depth = 0
_quiet_saved: tuple[int | None, int] | None = None  # (saved fd 2, OpenCV log level)


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Keep messages that native libraries write straight to fd 2 off the terminal.

    libjpeg, libpng, OpenCV and the TF Lite runtime print warnings themselves;
    while this is active they go to /dev/null (Python's own ``sys.stderr``
    writes too, so wrap only short calls). The reason for a failure reaches the
    caller as an exception. Nested and concurrent uses are counted: fd 2 comes
    back when the last one ends.
    """
    global _quiet_depth, _quiet_saved
    with _quiet_lock:
        if _quiet_depth == 0:
            level = cv2.setLogLevel(2)  # OpenCV: errors only
            try:
                sys.stderr.flush()
                saved = os.dup(2)
                with open(os.devnull, "wb") as devnull:
                    os.dup2(devnull.fileno(), 2)
            except (OSError, ValueError):
                saved = None
            _quiet_saved = (saved, level)
        _quiet_depth += 1
    try:
        yield
    finally:
        with _quiet_lock:
            _quiet_depth -= 1
            if _quiet_depth == 0 and _quiet_saved is not None:
                saved, level = _quiet_saved
                if saved is not None:
                    os.dup2(saved, 2)
                    os.close(saved)
                cv2.setLogLevel(level)
                _quiet_saved = None
