"""Annotated clips as MP4 that play in any browser: H.264, yuv420p, moov atom first.

OpenCV's default ``mp4v`` codec does not play in a browser's ``<video>``, so
clips are encoded with PyAV, whose wheel carries libx264. Frames are written
one at a time (nothing accumulates, so memory does not grow with the clip's
length) into a temporary file beside the target, which is renamed onto the
target only when the clip is complete: a failed or cancelled export never
leaves a half-written file under the final name.

Timing follows the source: each frame keeps its own timestamp (seconds from
the start of the clip, as the estimator's ``Frame.time``), so the exported
clip lasts as long as the original, variable frame rate included. Odd widths
or heights, which yuv420p cannot hold, lose their last pixel column or row.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av
import numpy as np

TIME_BASE = Fraction(1, 90_000)  # the usual MPEG clock: fine enough for any frame rate


def even_size(width: int, height: int) -> tuple[int, int]:
    """The largest even (width, height) not above the given one (yuv420p needs even sizes)."""
    if width < 2 or height < 2:
        raise ValueError(f"a video frame needs at least 2x2 pixels, got {width}x{height}")
    return width - width % 2, height - height % 2


class H264Writer:
    """Write BGR frames to an H.264 MP4 that starts playing before it has fully loaded.

    Use as a context manager::

        with H264Writer(out_path, fps=info.fps) as writer:
            for frame in frames:
                writer.write(image, frame.time)

    ``fps`` is the source's nominal rate: it sets the stream's declared rate
    and the times of frames written without one (``index / fps``). Frames
    must all have the size of the first; the size is cropped to even numbers.
    ``crf`` is x264's constant quality (lower is better; 23 is its default),
    ``preset`` its speed/size trade-off, ``gop`` the largest distance between
    key frames (x264 decides when None; a small value makes seeking cheap).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        fps: float,
        *,
        crf: int = 23,
        preset: str = "veryfast",
        gop: int | None = None,
    ) -> None:
        if not fps or fps <= 0 or not np.isfinite(fps):
            raise ValueError(f"a clip needs a positive frame rate, got {fps!r}")
        self.path = Path(path)
        self.fps = float(fps)
        self.crf = int(crf)
        self.preset = preset
        self.gop = gop
        self.frames_written = 0
        self._container: av.container.OutputContainer | None = None
        self._stream: av.video.stream.VideoStream | None = None
        self._size: tuple[int, int] | None = None
        self._last_pts = -1
        self._tmp: Path | None = None

    def __enter__(self) -> H264Writer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def _open(self, width: int, height: int) -> None:
        w, h = even_size(width, height)
        self._size = (width, height)
        rate = Fraction(self.fps).limit_denominator(1001)
        fd, tmp = tempfile.mkstemp(
            prefix=f".{self.path.stem}.", suffix=".part.mp4", dir=self.path.parent
        )
        os.close(fd)
        self._tmp = Path(tmp)
        container = av.open(
            str(self._tmp), mode="w", format="mp4", options={"movflags": "+faststart"}
        )
        stream = container.add_stream("libx264", rate=rate)
        stream.width, stream.height = w, h
        stream.pix_fmt = "yuv420p"
        stream.time_base = TIME_BASE
        stream.codec_context.time_base = TIME_BASE
        if self.gop:
            stream.codec_context.gop_size = int(self.gop)
        stream.options = {"crf": str(self.crf), "preset": self.preset}
        self._container, self._stream = container, stream

    def write(self, image: np.ndarray, time_s: float | None = None) -> None:
        """Append one (H, W, 3) uint8 BGR frame, shown from ``time_s`` s (default index / fps)."""
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"frames must be (H, W, 3) uint8 BGR, got {image.shape} {image.dtype}")
        if self._container is None:
            self._open(image.shape[1], image.shape[0])
        if (image.shape[1], image.shape[0]) != self._size:
            raise ValueError(
                f"frame {self.frames_written} is {image.shape[1]}x{image.shape[0]}, "
                f"the clip is {self._size[0]}x{self._size[1]}"
            )
        assert self._stream is not None and self._container is not None
        w, h = self._stream.width, self._stream.height
        if time_s is None:
            time_s = self.frames_written / self.fps
        pts = round(float(time_s) / TIME_BASE)
        pts = max(pts, self._last_pts + 1)  # strictly increasing, whatever the source says
        frame = av.VideoFrame.from_ndarray(
            np.ascontiguousarray(image[:h, :w]), format="bgr24"
        )
        frame.pts = pts
        frame.time_base = TIME_BASE
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
        self._last_pts = pts
        self.frames_written += 1

    def close(self) -> Path:
        """Flush the encoder, finish the file and move it to ``path``; returns ``path``."""
        if self._container is None:
            self.abort()
            raise ValueError("no frames were written: an empty clip cannot be exported")
        assert self._stream is not None
        try:
            for packet in self._stream.encode(None):
                self._container.mux(packet)
            self._container.close()
        except BaseException:
            self.abort()
            raise
        self._container = None
        assert self._tmp is not None
        os.replace(self._tmp, self.path)
        self._tmp = None
        return self.path

    def abort(self) -> None:
        """Drop the partial file; the target path is left untouched."""
        if self._container is not None:
            with contextlib.suppress(Exception):  # already failing; the partial file goes
                self._container.close()
            self._container = None
        if self._tmp is not None:
            self._tmp.unlink(missing_ok=True)
            self._tmp = None


def write_mp4(
    frames: Iterable[tuple[np.ndarray, float]],
    path: str | os.PathLike[str],
    fps: float,
    **options: object,
) -> Path:
    """Encode ``(image, time_s)`` pairs, streamed, to an H.264 MP4 at ``path``.

    ``frames`` may be a generator over a long clip: each frame is encoded and
    dropped before the next is read. ``options`` go to :class:`H264Writer`.
    """
    with H264Writer(path, fps, **options) as writer:  # type: ignore[arg-type]
        for image, time_s in frames:
            writer.write(image, time_s)
    return Path(path)
