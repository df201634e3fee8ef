"""Fast random access to a clip's frames for the frame slider: a seekable preview.

Phone clips are H.264/HEVC with a key frame every one or two seconds, often in
4K: showing frame *i* straight from the original means decoding from the key
frame before it, up to tens of 4K frames, far too slow for a slider. So each
clip gets, once, a *preview*: the same frames, rotation applied (as the
estimator saw them), scaled so the long side is at most ``max_side`` pixels,
encoded as H.264 with a key frame every ``gop`` frames. Any frame is then at
most ``gop - 1`` small decodes away. The frames' own times are kept beside it
(``times``: frame index -> seconds from the container), and ``scale`` maps the
estimator's pixel keypoints onto the preview.

A photo's preview is the photo itself (scaled the same way), as a PNG.

Previews live in a folder of their own, named by the source's sha256, and are
written under a temporary name, then renamed: a preview that exists is whole.
"""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np

from dashboard.video_export import H264Writer
from estimator import iter_frames, probe

DEFAULT_MAX_SIDE = 960  # about the width the Clip view shows a frame at
DEFAULT_GOP = 6


@dataclass(frozen=True)
class Preview:
    """A clip's preview on disk.

    ``path``: the preview video (.mp4) or image (.png); ``times`` (N,) seconds of
    each frame; ``scale``: preview pixels per source pixel; ``width``,
    ``height``: preview size in pixels; ``fps``: the source's nominal rate
    (0 for a photo).
    """

    path: Path
    times: np.ndarray
    scale: float
    width: int
    height: int
    fps: float

    @property
    def frame_count(self) -> int:
        return int(len(self.times))

    @property
    def is_photo(self) -> bool:
        return self.path.suffix == ".png"


def _meta_path(folder: Path, key: str) -> Path:
    return folder / f"{key}.json"


def load_preview(folder: str | os.PathLike[str], key: str) -> Preview | None:
    """The preview named ``key`` in ``folder``, or None when it was not built (or not whole)."""
    folder = Path(folder)
    meta = _meta_path(folder, key)
    if not meta.is_file():
        return None
    data = json.loads(meta.read_text(encoding="utf-8"))
    path = folder / data["file"]
    if not path.is_file():
        return None
    return Preview(
        path=path,
        times=np.asarray(data["times"], dtype=np.float64),
        scale=float(data["scale"]),
        width=int(data["width"]),
        height=int(data["height"]),
        fps=float(data["fps"]),
    )


def preview_size(width: int, height: int, max_side: int) -> tuple[int, int, float]:
    """(width, height, scale) of the preview: long side at most ``max_side``, even sizes."""
    scale = min(1.0, max_side / max(width, height))
    w = max(2, int(round(width * scale)) // 2 * 2)
    h = max(2, int(round(height * scale)) // 2 * 2)
    return w, h, w / width


def fit_to(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Bilinear down to half size (sharp, and 3x faster than area averaging), area below."""
    if image.shape[1] == width and image.shape[0] == height:
        return image
    shrink = width / image.shape[1]
    interpolation = cv2.INTER_LINEAR if shrink >= 0.5 else cv2.INTER_AREA
    return cv2.resize(image, (width, height), interpolation=interpolation)


def build_preview(
    source: str | os.PathLike[str],
    folder: str | os.PathLike[str],
    key: str,
    *,
    max_side: int = DEFAULT_MAX_SIDE,
    gop: int = DEFAULT_GOP,
    progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
) -> Preview | None:
    """Decode ``source`` once and write its preview as ``folder/key.*``; returns it.

    Returns None when ``cancel`` is set before the end (nothing is left
    behind). Raises the estimator's ``BadInputError`` for a file it cannot read.
    ``progress(done_frames, total_frames)`` is called as frames are written.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    info = probe(source)
    w, h, scale = preview_size(info.width, info.height, max_side)
    times: list[float] = []
    if info.kind == "image":
        frame = next(iter(iter_frames(source)))
        image = fit_to(frame.image, w, h)
        target = folder / f"{key}.png"
        partial = folder / f".{key}.part.png"
        cv2.imwrite(str(partial), image)
        os.replace(partial, target)
        times = [0.0]
    else:
        target = folder / f"{key}.mp4"
        writer = H264Writer(target, info.fps or 30.0, crf=23, preset="ultrafast", gop=gop)
        frames = iter_frames(source)
        try:
            for frame in frames:
                if cancel is not None and cancel.is_set():
                    writer.abort()
                    return None
                writer.write(fit_to(frame.image, w, h), frame.time)
                times.append(frame.time)
                if progress is not None:
                    progress(len(times), max(info.frame_count, len(times)))
            writer.close()
        except BaseException:
            writer.abort()
            raise
        finally:
            frames.close()  # type: ignore[attr-defined]
    meta = {"file": target.name, "times": times, "scale": scale, "width": w, "height": h,
            "fps": info.fps}
    partial_meta = folder / f".{key}.part.json"
    partial_meta.write_text(json.dumps(meta), encoding="utf-8")
    os.replace(partial_meta, _meta_path(folder, key))
    return load_preview(folder, key)


class FrameReader:
    """Frames of a preview by index: ``reader.frame(i) -> (H, W, 3) uint8 BGR``.

    Stepping forward (i, i+1, ...) decodes one frame per call; any other move
    seeks to the key frame before and decodes at most ``gop`` frames. The last
    ``cache_size`` frames asked for are kept. Safe to share between threads
    (one lock; decoding is sequential anyway).
    """

    def __init__(self, preview: Preview, cache_size: int = 16) -> None:
        self.preview = preview
        self._lock = threading.Lock()
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._container: av.container.InputContainer | None = None
        self._decoded = None  # iterator of decoded frames, positioned after _next_index - 1
        self._next_index = -1
        self._photo: np.ndarray | None = None

    @property
    def scale(self) -> float:
        return self.preview.scale

    @property
    def size(self) -> tuple[int, int]:
        return self.preview.width, self.preview.height

    @property
    def frame_count(self) -> int:
        return self.preview.frame_count

    def close(self) -> None:
        with self._lock:
            if self._container is not None:
                self._container.close()
                self._container = None
                self._decoded = None

    def frame(self, index: int) -> np.ndarray:
        index = int(np.clip(index, 0, self.preview.frame_count - 1))
        with self._lock:
            cached = self._cache.get(index)
            if cached is not None:
                self._cache.move_to_end(index)
                return cached
            image = self._read(index)
            image.setflags(write=False)
            self._cache[index] = image
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
            return image

    def _read(self, index: int) -> np.ndarray:
        if self.preview.is_photo:
            if self._photo is None:
                self._photo = cv2.imread(str(self.preview.path), cv2.IMREAD_COLOR)
            return self._photo
        if self._container is None:
            self._container = av.open(str(self.preview.path))
            self._container.streams.video[0].thread_type = "AUTO"
        stream = self._container.streams.video[0]
        target = float(self.preview.times[index])
        if index != self._next_index or self._decoded is None:
            offset = int(target / stream.time_base) if stream.time_base else 0
            self._container.seek(offset, stream=stream, backward=True)
            self._decoded = self._container.decode(stream)
        last = None
        for decoded in self._decoded:
            last = decoded
            if decoded.time is not None and decoded.time >= target - 1e-4:
                break
        if last is None:
            raise RuntimeError(f"frame {index} could not be read from the preview")
        self._next_index = index + 1
        return last.to_ndarray(format="bgr24")


class SourceReader:
    """Frames straight from the original clip or photo, scaled like a preview would be.

    The stop-gap while a clip's preview is being built: seeking in the original
    decodes from its previous key frame (slow for 4K phone clips), so the
    dashboard switches to :class:`FrameReader` as soon as the preview exists.
    OpenCV applies the clip's rotation, as the estimator did.
    """

    def __init__(self, source: str | os.PathLike[str], kind: str, width: int, height: int,
                 fps: float, frame_count: int, max_side: int = DEFAULT_MAX_SIDE) -> None:
        self.source = Path(source)
        self.kind = kind
        w, h, scale = preview_size(width, height, max_side)
        self.size = (w, h)
        self.scale = scale
        self.frame_count = max(1, int(frame_count))
        self.fps = float(fps)
        self._lock = threading.Lock()
        self._cap: cv2.VideoCapture | None = None
        self._next_index = -1
        self._photo: np.ndarray | None = None
        # The last frame read, scaled: one page run draws the same frame several times
        # (the viewer, the notes' and the joints' panels), and reading it again meant a
        # seek back and a decode from the key frame (90 ms for the parkour clip's first).
        self._last: tuple[int, np.ndarray] | None = None

    def close(self) -> None:
        with self._lock:
            if self._cap is not None:
                self._cap.release()
                self._cap = None

    def frame(self, index: int) -> np.ndarray:
        """Frame ``index`` (clamped to the clip), scaled to the preview's size: (H, W, 3)
        uint8 BGR; the same array for a frame read twice in a row (do not write into it)."""
        index = int(np.clip(index, 0, self.frame_count - 1))
        with self._lock:
            if self._last is not None and self._last[0] == index:
                return self._last[1]
            if self.kind == "photo":
                if self._photo is None:
                    self._photo = fit_to(next(iter(iter_frames(self.source))).image, *self.size)
                return self._photo
            if self._cap is None:
                self._cap = cv2.VideoCapture(str(self.source.resolve()), cv2.CAP_FFMPEG)
                self._cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
            if index != self._next_index:
                self._cap.set(cv2.CAP_PROP_POS_FRAMES, index)
            ok, image = self._cap.read()
            if not ok or image is None:
                self._next_index = -1
                raise RuntimeError(f"frame {index} could not be read from {self.source.name}")
            self._next_index = index + 1
            scaled = fit_to(image, *self.size)
            self._last = (index, scaled)
            return scaled
