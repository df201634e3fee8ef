"""The Live page's outgoing track sends each analysed frame once, as soon as it is ready.

A camera track gives 30 frames a second; a processor takes 12-45 ms per frame (29 ms on
average: most of a frame interval and jittery, as the estimator and drawing are on 2
shared cores) and marks each result with its input's number. The WebRTC sender is played
by a loop that pulls the output track and 'encodes' for 5 ms. streamlit-webrtc's own
asynchronous track, pulled once per camera frame, is the reference.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import fractions
import time

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from streamlit_webrtc.process import AsyncVideoProcessTrack

from dashboard.live_track import PromptVideoProcessTrack, use_prompt_track

FPS = 30
FRAMES = 45
ANALYSIS_S = (0.012, 0.045, 0.020, 0.040)  # in turn


class Camera(MediaStreamTrack):
    """``FRAMES`` frames at ``FPS``, each carrying its number in ``pts``; then ends."""

    kind = "video"

    def __init__(self) -> None:
        super().__init__()
        self.sent: dict[int, float] = {}
        self._start: float | None = None

    async def recv(self) -> av.VideoFrame:
        n = len(self.sent)
        if n >= FRAMES:
            self.stop()
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        await asyncio.sleep(max(0.0, self._start + n / FPS - time.monotonic()))
        frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="bgr24")
        frame.pts, frame.time_base = n, fractions.Fraction(1, FPS)
        self.sent[n] = time.monotonic()
        return frame


class SlowProcessor:
    def __init__(self) -> None:
        self.calls = 0

    async def recv_queued(self, frames: list[av.VideoFrame]) -> list[av.VideoFrame]:
        # the analysis holds the worker thread, as the real one does
        time.sleep(ANALYSIS_S[self.calls % len(ANALYSIS_S)])
        self.calls += 1
        out = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="bgr24")
        out.pts, out.time_base = frames[-1].pts, frames[-1].time_base
        out.opaque = frames[-1].pts  # which camera frame this result shows
        return [out]


async def _send(track_class) -> tuple[list[int], list[int]]:
    """The camera frames whose results the sender got, in order, and how many camera
    frames each was behind the newest one when it got it."""
    camera = Camera()
    track = track_class(track=camera, processor=SlowProcessor())
    shown: list[int] = []
    behind: list[int] = []
    try:
        while True:
            try:
                frame = await asyncio.wait_for(track.recv(), 2.0)
            except (MediaStreamError, TimeoutError):
                break
            source = getattr(frame, "opaque", None)
            if source is not None and (not shown or source != shown[-1]):
                shown.append(source)
                behind.append(max(camera.sent) - source)
            await asyncio.sleep(0.005)  # the encoder
    finally:
        track.stop()
    return shown, behind


def _run(coroutine):
    """``asyncio.run`` in a thread of its own: other tests in this process (Playwright's
    synchronous API) may leave an event loop running in the main thread."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result(timeout=120)


def test_each_result_is_sent_once_in_order_and_sooner_than_by_the_reference():
    ours, ours_behind = _run(_send(PromptVideoProcessTrack))
    theirs, theirs_behind = _run(_send(AsyncVideoProcessTrack))
    assert ours == sorted(ours)  # never an older picture after a newer one
    # nearly every camera frame's result reaches the sender (the worker may merge two)
    assert len(ours) >= 0.8 * FRAMES
    assert len(ours) >= len(theirs)
    # sent right after its analysis, not when the next camera frame comes: the reference
    # sends a result once a newer frame exists (at least 1 behind), ours mostly before
    assert min(theirs_behind) >= 1
    assert np.mean(ours_behind) <= np.mean(theirs_behind) - 0.5


def test_the_track_is_installed_for_streamlit_webrtc():
    import streamlit_webrtc.webrtc

    original = streamlit_webrtc.webrtc.AsyncVideoProcessTrack
    try:
        use_prompt_track()
        assert streamlit_webrtc.webrtc.AsyncVideoProcessTrack is PromptVideoProcessTrack
    finally:
        streamlit_webrtc.webrtc.AsyncVideoProcessTrack = original


def test_the_stream_ends_when_the_camera_does():
    shown, _ = _run(_send(PromptVideoProcessTrack))
    assert shown[-1] >= FRAMES - 3  # the last frames were shown before the end


class StuckProcessor:
    """An analysis that has not answered yet (the models still loading, say)."""

    async def recv_queued(self, frames: list[av.VideoFrame]) -> list[av.VideoFrame]:
        time.sleep(2.0)
        return frames[-1:]


async def _before_any_result() -> tuple[list[av.VideoFrame], list[av.VideoFrame]]:
    camera = Camera()
    taken: list[av.VideoFrame] = []
    camera_recv = camera.recv

    async def recv() -> av.VideoFrame:
        taken.append(await camera_recv())
        return taken[-1]

    camera.recv = recv
    track = PromptVideoProcessTrack(track=camera, processor=StuckProcessor())
    try:
        sent = [await asyncio.wait_for(track.recv(), 2.0) for _ in range(2)]
    finally:
        track.stop()
    return sent, taken


def test_before_any_result_a_copy_of_the_camera_picture_is_sent_with_rising_times():
    sent, taken = _run(_before_any_result())
    assert sent[1].pts > sent[0].pts  # the encoder's timestamps rise
    assert all(s is not t for s in sent for t in taken)  # copies, never the camera's
    assert [f.pts for f in taken] == list(range(len(taken)))  # the camera's left as read
    assert sent[0].to_ndarray(format="rgb24").shape == (48, 64, 3)
