"""Reading photos and clips: what a file is, and its frames, streamed.

Two entry points:

- :func:`probe` tells what a file is (:class:`~estimator.types.SourceInfo`)
  without decoding more than one frame, and raises
  :class:`~estimator.errors.BadInputError` with a reason a coach understands
  for anything that cannot be read.
- :func:`iter_frames` yields the frames (:class:`Frame`) one at a time.

Decisions
---------
- **Content decides, never the name.** The first bytes are matched against the
  signatures of the supported formats: photos JPEG, PNG, WebP, BMP; clips
  MP4/MOV (ISO base media), AVI, MKV/WebM (Matroska). A clip named ``.jpg`` is
  read as a clip and a photo named ``.mp4`` as a photo; a file whose content is
  none of these is rejected, whatever its name.
- **Truncation is checked on the container's own sizes** before decoding
  (MP4 boxes, RIFF size, Matroska segment size, JPEG end-of-image marker, PNG
  IEND chunk, BMP file size), because decoders often return the frames they
  could read from a half-copied file without complaint.
- **Rotation.** Clips: OpenCV applies the rotation a phone writes into the
  container (display matrix), so frames, ``width`` and ``height`` are as
  displayed; ``SourceInfo.rotation`` says what was applied. Photos: OpenCV
  applies the EXIF orientation while decoding (``rotation`` is then 0).
- **Time.** ``Frame.time`` is the frame's presentation timestamp from the
  container, in seconds, counted from the first frame shown (so a clip cut
  from a longer recording still starts at 0). Variable frame rates keep their
  true times. A missing or non-increasing timestamp is replaced by the previous
  one plus one frame period (``1 / fps``, 30 fps when the container gives none).
- **Streaming.** Clips are decoded by a background thread into a bounded queue
  (``prefetch`` frames), so decoding overlaps the caller's work while memory
  stays constant whatever the clip's length. Closing the generator (or leaving
  a ``for`` loop early) stops and joins the thread and releases the file.
- **Size limits, read from the header.** A photo's width and height are read
  from its header (PNG IHDR, JPEG SOF, WebP VP8/VP8L/VP8X, BMP info header)
  before any decoding (:mod:`estimator.photo_size`): a side over 30,000 pixels
  is refused, and so is a photo over 100 megapixels in a format that can only
  be decoded whole (WebP, BMP, progressive JPEG, interlaced PNG).
- **Large photos are decoded reduced.** A photo whose long side is over 4096
  pixels is decoded at 1/2, 1/4 or 1/8 of its size (the smallest reduction
  that fits): JPEG through libjpeg's scaled decoding, PNG strip by strip
  (:func:`estimator.photo_size.decode_png_strips`), so memory follows the reduced
  image, not the photo. ``Frame.scale`` says how many photo pixels one decoded
  pixel spans; :func:`in_source_pixels` maps what was found back onto the
  photo, so poses are always in the photo's own pixels.
- **Quiet native libraries.** FFmpeg's log is silenced (``OPENCV_FFMPEG_LOGLEVEL``
  unless the user set it) and libjpeg/libpng warnings are kept off stderr while
  a photo decodes: every problem reaches the caller as one ``BadInputError``.

Modules
-------
This module holds the two entry points and re-exports the public names; the
work is done in:

- :mod:`estimator.media_check`: content sniffing, truncation checks, the
  checks before decoding, :func:`media_kind`, :func:`content_suffix`.
- :mod:`estimator.photo_decode`: photos decoded (reduced when large, a
  reduced one kept between ``probe`` and ``iter_frames``).
- :mod:`estimator.clip_decode`: clips opened, checked and decoded, with
  their times, and the prefetch thread.
- :mod:`estimator.frame`: :class:`Frame` and :func:`in_source_pixels`.
- :mod:`estimator.native_quiet`: FFmpeg's log level and
  :func:`quiet_native_stderr`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

from estimator.clip_decode import DEFAULT_FPS, _decode_clip, _open_clip, _prefetched, _probe_clip
from estimator.frame import Frame, in_source_pixels
from estimator.media_check import (
    CLIP_FORMATS,
    MEDIA_SUFFIXES,
    PHOTO_FORMATS,
    _check_file,
    content_suffix,
    media_kind,
    sniff,
)
from estimator.native_quiet import quiet_native_stderr
from estimator.photo_decode import _decode_photo
from estimator.types import SourceInfo

__all__ = [
    "CLIP_FORMATS",
    "DEFAULT_FPS",
    "MEDIA_SUFFIXES",
    "PHOTO_FORMATS",
    "Frame",
    "content_suffix",
    "in_source_pixels",
    "iter_frames",
    "media_kind",
    "probe",
    "quiet_native_stderr",
    "sniff",
]


def probe(path: str | os.PathLike[str]) -> SourceInfo:
    """What a file is: photo or clip, displayed size, frame rate and count.

    Reads the container and decodes one frame (a photo is fully decoded, reduced
    when large: ``width`` and ``height`` are still the photo's own), so a file
    that passes will stream. Raises :class:`BadInputError` with the reason
    when the file is missing, a folder, empty (0 bytes), truncated, corrupt,
    not a supported photo or clip, or a clip with no frames.

    ``frame_count`` is the container's count (an estimate for some formats,
    e.g. MKV); ``fps`` is 0 for a photo and for a clip whose container states none.
    """
    path = Path(path)
    kind, fmt, _ = _check_file(path)
    if kind == "image":
        image, (sx, sy) = _decode_photo(path, fmt, keep=True)
        height, width = image.shape[:2]
        if (sx, sy) != (1.0, 1.0):  # decoded reduced: the photo's own size
            width, height = round(width * sx), round(height * sy)
        return SourceInfo(path=path, kind="image", width=width, height=height, fps=0.0,
                          frame_count=1, rotation=0)
    return _probe_clip(path, fmt)


def iter_frames(path: str | os.PathLike[str], prefetch: int = 2) -> Iterator[Frame]:
    """The frames of a photo (one frame) or clip, in display order, streamed.

    The file is checked at once (as :func:`probe` does) so bad input raises
    :class:`BadInputError` here, before the first frame is asked for.

    Parameters
    ----------
    path
        Photo or clip; its content decides which.
    prefetch
        Frames decoded ahead by a background thread (0 decodes in the caller's thread).
        Memory holds at most ``prefetch + 2`` frames whatever the clip's length.
    """
    path = Path(path)
    kind, fmt, _ = _check_file(path)
    if kind == "image":
        image, scale = _decode_photo(path, fmt)
        return iter([Frame(0, 0.0, image, scale)])
    clip = _open_clip(path, fmt)  # the capture goes on from the frame it checked
    if prefetch <= 0:
        return _decode_clip(clip, threading.Event())
    return _prefetched(_decode_clip, (clip,), prefetch)
