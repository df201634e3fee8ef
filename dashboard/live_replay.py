"""The delayed replay: the annotated live stream, N seconds late, as a WebRTC video track.

A second, receive-only stream of the Live page plays :class:`DelayedTrack`: at
30 frames a second it sends the annotated frame the live view showed ``delay_s``
seconds earlier (kept as JPEG by :class:`dashboard.live.LiveProcessor`), or a
dark frame saying how long until the replay starts.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
from aiortc import VideoStreamTrack
from av import VideoFrame

from dashboard.live import LiveProcessor

REPLAY_SIZE = (640, 480)


class DelayedTrack(VideoStreamTrack):
    """Frames of ``processor`` delayed by ``delay()`` seconds (read on every frame, so the
    page's slider applies at once)."""

    def __init__(self, processor: Callable[[], LiveProcessor | None],
                 delay: Callable[[], float]) -> None:
        super().__init__()
        self._processor = processor
        self._delay = delay

    async def recv(self) -> VideoFrame:
        pts, time_base = await self.next_timestamp()
        processor = self._processor()
        delay = float(self._delay())
        image = processor.replay_frame(delay) if processor is not None else None
        if image is None:
            image = waiting_frame(f"Replay {delay:.0f} s late: start the camera and wait")
        frame = VideoFrame.from_ndarray(image, format="bgr24")
        frame.pts, frame.time_base = pts, time_base
        return frame


def waiting_frame(text: str) -> np.ndarray:
    """A dark 640x480 BGR frame with ``text`` in its middle."""
    image = np.full((REPLAY_SIZE[1], REPLAY_SIZE[0], 3), 32, np.uint8)
    cv2.putText(image, text, (24, REPLAY_SIZE[1] // 2), cv2.FONT_HERSHEY_SIMPLEX, 0.6,
                (230, 230, 230), 1, cv2.LINE_AA)
    return image
