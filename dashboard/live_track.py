"""The Live page's outgoing video track: each analysed frame sent as soon as it is ready.

streamlit-webrtc's asynchronous process track (``AsyncVideoProcessTrack``) is pulled by
the WebRTC sender once per incoming frame: it queues that frame for the analysis and
returns whatever result is ready at that moment, the previous frame's at best. So a
result waits for the next camera frame before it leaves (up to a frame interval, 33 ms
at 30 fps, more when the sender is busy encoding), and when analysis times jitter
around that interval some results are sent twice and others never.

:class:`PromptVideoProcessTrack` takes the camera's frames in a task of its own, as they
arrive (so they never queue up), hands them to the same analysis worker, and gives the
sender each result as soon as the worker has it: the newest one, once. When the
sender is slower than the analysis, older results are dropped, never queued. Measured
(``bench/live.py``, one athlete, 640x480 on 2 cores): 147 ms median from camera to
screen with streamlit-webrtc's track, 97-114 ms with this one, at the same frame rate.

:func:`use_prompt_track` installs it as the track streamlit-webrtc wraps processed
video in (its module-level name, read when a stream starts).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

import av
from aiortc.mediastreams import MediaStreamError
from streamlit_webrtc.process import AsyncVideoProcessTrack

log = logging.getLogger(__name__)

#: With no new result for this long (seconds), the last one is sent again (or, before
#: the first, a copy of the camera's latest frame), so the picture never stops.
STALL_S = 0.5


class _NotifyingDeque(deque):
    """The worker thread's output deque, calling ``on_new`` after each ``extend``."""

    def __init__(self, on_new: Callable[[], None]) -> None:
        super().__init__()
        self._on_new = on_new

    def extend(self, items: Any) -> None:
        super().extend(items)
        self._on_new()


class PromptVideoProcessTrack(AsyncVideoProcessTrack):
    """``AsyncVideoProcessTrack`` whose results leave as soon as they are ready (see the
    module's docstring). The analysis worker and the processor are streamlit-webrtc's
    own; only the pacing differs."""

    _arrived: asyncio.Event | None = None
    _loop: asyncio.AbstractEventLoop | None = None
    _pump: asyncio.Task | None = None
    _latest_in: Any = None
    _input_error: BaseException | None = None
    _sent_pts: int | None = None

    def _start(self) -> None:
        if self._thread:
            return
        super()._start()
        # The worker waits for its first frame: nothing is in the deque yet.
        self._out_deque = _NotifyingDeque(self._notify)

    def _notify(self) -> None:  # called from the worker thread
        if self._loop is not None and self._arrived is not None:
            self._loop.call_soon_threadsafe(self._arrived.set)

    async def _take_input(self) -> None:
        """Hand every camera frame to the worker as it arrives."""
        try:
            while self.readyState == "live":
                frame = await self.track.recv()
                self._latest_in = frame
                self._in_queue.put(frame)
        except MediaStreamError as error:  # the camera's track ended
            self._input_error = error
        except Exception as error:  # noqa: BLE001 -- logged; the stream ends as on its end
            log.exception("the Live page's camera frames stopped coming")
            self._input_error = error
        finally:
            self._notify()

    async def recv(self) -> Any:
        try:
            return await self._recv()
        except MediaStreamError:
            raise
        except Exception:  # the sender stops on it: say why in the server's log
            log.exception("the Live page's annotated video stopped")
            raise

    async def _recv(self) -> Any:
        if self.readyState != "live":
            raise MediaStreamError
        with self._worker_exception_lock:
            if self._worker_exception:
                raise self._worker_exception
        if self._arrived is None:
            self._loop, self._arrived = asyncio.get_running_loop(), asyncio.Event()
        self._start()
        if self._pump is None:
            self._pump = self._loop.create_task(self._take_input())

        while True:
            result = await self._next_result()
            if result is None and self._input_error is not None:
                raise MediaStreamError
            if result is not None:
                self._last_out_frame = result
                break
            # stalled: the last picture again, or a copy of the camera's own (its timestamp
            # is changed below; the worker may still hold that frame); none yet: wait on
            result = self._last_out_frame or _copy(self._latest_in)
            if result is not None:
                break
        # The encoder needs rising timestamps; a picture sent again gets the next one.
        if self._sent_pts is not None and (result.pts is None or result.pts <= self._sent_pts):
            result.pts = self._sent_pts + 1
        self._sent_pts = result.pts
        return result

    async def _next_result(self) -> Any:
        """The newest result not sent yet, waiting up to :data:`STALL_S` for one; None
        if none came (or the camera's track ended)."""
        assert self._loop is not None and self._arrived is not None
        deadline = self._loop.time() + STALL_S
        while True:
            self._arrived.clear()  # before looking, so a result landing now is not missed
            with self._out_lock:
                if self._out_deque:
                    newest = self._out_deque[-1]
                    self._out_deque.clear()
                    return newest
            remaining = deadline - self._loop.time()
            if remaining <= 0 or self._input_error is not None:
                return None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), remaining)

    def stop(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
        super().stop()


def use_prompt_track() -> None:
    """Make streamlit-webrtc wrap processed video in :class:`PromptVideoProcessTrack`
    (for streams started from now on)."""
    import streamlit_webrtc.webrtc

    streamlit_webrtc.webrtc.AsyncVideoProcessTrack = PromptVideoProcessTrack


def _copy(frame: Any) -> Any:
    """A new ``av.VideoFrame`` with ``frame``'s picture, timestamp and time base (None
    for None)."""
    if frame is None:
        return None
    copy = av.VideoFrame.from_ndarray(frame.to_ndarray(format="rgb24"), format="rgb24")
    copy.pts, copy.time_base = frame.pts, frame.time_base
    return copy
