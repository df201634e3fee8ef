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
"""

from __future__ import annotations

import contextlib
import math
import mmap
import os
import queue
import struct
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

# Must be set before OpenCV opens its first capture; a user's own setting wins.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET

import cv2  # noqa: E402

from estimator.errors import BadInputError  # noqa: E402
from estimator.photo_size import (  # noqa: E402
    PhotoHeader,
    check_photo_size,
    decode_png_strips,
    photo_header,
    reduction,
)
from estimator.types import Person, SourceInfo  # noqa: E402

PHOTO_FORMATS = ("JPEG", "PNG", "WebP", "BMP")
CLIP_FORMATS = ("MP4/MOV", "AVI", "MKV", "WebM")
#: Extensions a folder is searched for (content is still checked file by file).
MEDIA_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".jpe", ".png", ".webp", ".bmp",
     ".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm"}
)
DEFAULT_FPS = 30.0  # only for replacing missing timestamps when the container has no rate

_SUPPORTED = "JPEG, PNG, WebP or BMP photo, or MP4, MOV, AVI, MKV or WebM clip"
_HEAD_BYTES = 4096


@dataclass(frozen=True, eq=False)
class Frame:
    """One decoded frame.

    Attributes
    ----------
    index
        Position in the clip, 0, 1, 2, ... (a photo is frame 0).
    time
        Seconds from the first frame, from the container's timestamps (0.0 for a photo).
    image
        Shape (H, W, 3), uint8, BGR, rotation already applied.
    scale
        Source pixels per decoded pixel, ``(x, y)``: 1 except for a large photo
        decoded reduced (about 2, 4 or 8). :func:`in_source_pixels` maps poses
        found in ``image`` back onto the source's pixels.
    """

    index: int
    time: float
    image: np.ndarray
    scale: tuple[float, float] = (1.0, 1.0)


# --------------------------------------------------------------------------- content type


def sniff(head: bytes) -> tuple[str, str] | None:
    """``(kind, format)`` of a file from its first bytes, or None if not supported.

    ``kind`` is ``"image"`` or ``"video"``; ``format`` one of :data:`PHOTO_FORMATS`
    or :data:`CLIP_FORMATS`. Raises nothing; unsupported look-alikes (HEIC, GIF...)
    return None and are explained by :func:`_unsupported_reason`.
    """
    if head.startswith(b"\xff\xd8\xff"):
        return "image", "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image", "PNG"
    if len(head) >= 12 and head[:4] == b"RIFF":
        if head[8:12] == b"WEBP":
            return "image", "WebP"
        if head[8:12] == b"AVI ":
            return "video", "AVI"
        return None
    if (len(head) >= 18 and head[:2] == b"BM"
            and struct.unpack_from("<I", head, 14)[0] in (12, 40, 52, 56, 64, 108, 124)):
        return "image", "BMP"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video", ("WebM" if b"webm" in head[:64] else "MKV")
    if len(head) >= 12 and head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip"):
        if head[4:8] == b"ftyp" and head[8:12] in _STILL_IMAGE_BRANDS:
            return None
        return "video", "MP4/MOV"
    return None


_STILL_IMAGE_BRANDS = {b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1", b"avif",
                       b"avis"}


def _unsupported_reason(head: bytes) -> str:
    if len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in _STILL_IMAGE_BRANDS:
        return "HEIC/AVIF photos are not supported: export the photo as JPEG or PNG"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "GIF is not supported: use a " + _SUPPORTED
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "TIFF is not supported: use a " + _SUPPORTED
    if _looks_like_text(head):
        return f"is a text file, not a {_SUPPORTED}"
    return f"not a {_SUPPORTED} (content not recognised)"


def _looks_like_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # The cut at _HEAD_BYTES may split a character; retry without the tail.
        try:
            text = head[:-4].decode("utf-8")
        except UnicodeDecodeError:
            return False
    return all(c.isprintable() or c in "\t\r\n\f" for c in text)


# --------------------------------------------------------------------------- truncation


def _truncation_reason(path: Path, fmt: str, size: int) -> str | None:
    """Why the file ends before its container says it does, or None."""
    with open(path, "rb") as f:
        if fmt == "MP4/MOV":
            return _mp4_truncation(f, size)
        if fmt in ("AVI", "WebP"):
            f.seek(4)
            (riff_size,) = struct.unpack("<I", f.read(4))
            if 0 < riff_size < 0xFFFFFFF0 and 8 + riff_size > size:
                return _cut_reason(size, 8 + riff_size)
            return None
        if fmt in ("MKV", "WebM"):
            return _matroska_truncation(f, size)
        if fmt == "BMP":
            f.seek(2)
            file_size, pixels_at = struct.unpack("<I4xI", f.read(12))
            if pixels_at >= size or file_size > size:
                return _cut_reason(size, max(file_size, pixels_at + 1))
            return None
        if fmt == "PNG":
            return _png_truncation(f, size)
        # Mapped, not read: a large photo's bytes are not copied onto the heap to be checked.
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return _jpeg_truncation(data)


def _cut_reason(size: int, expected: int) -> str:
    return (f"truncated: the file has {size} bytes but its container expects {expected} "
            "(incomplete copy or download?)")


def _mp4_truncation(f, size: int) -> str | None:
    """Walk the top-level boxes: each must fit in the file, and ``moov`` must be there."""
    offset, seen_moov = 0, False
    while offset + 8 <= size:
        f.seek(offset)
        box_size, box_type = struct.unpack(">I4s", f.read(8))
        if box_size == 1:
            (box_size,) = struct.unpack(">Q", f.read(8))
        elif box_size == 0:  # box runs to the end of the file
            box_size = size - offset
        if box_size < 8:
            return "corrupt: invalid MP4/MOV structure"
        if offset + box_size > size:
            return _cut_reason(size, offset + box_size)
        seen_moov |= box_type == b"moov"
        offset += box_size
    if not seen_moov:
        return ("truncated or unfinished: the clip has no index ('moov'), as when a recording "
                "was interrupted or a copy stopped early")
    return None


def _read_vint(f, keep_marker: bool) -> tuple[int, bool] | None:
    """An EBML variable-length integer: (value, all value bits set)."""
    first = f.read(1)
    if not first:
        return None
    b0 = first[0]
    length = 1
    while length <= 8 and not b0 & (0x80 >> (length - 1)):
        length += 1
    if length > 8:
        return None
    rest = f.read(length - 1)
    if len(rest) != length - 1:
        return None
    value = b0 if keep_marker else b0 & (0xFF >> length)
    for byte in rest:
        value = (value << 8) | byte
    all_ones = value == (1 << (7 * length)) - 1 and not keep_marker
    return value, all_ones


def _matroska_truncation(f, size: int) -> str | None:
    """The Segment's declared size (when known) must fit in the file."""
    f.seek(0)
    for expected_id in (0x1A45DFA3, 0x18538067):  # EBML header, then Segment
        element_id = _read_vint(f, keep_marker=True)
        element_size = _read_vint(f, keep_marker=False)
        if element_id is None or element_size is None:
            return _cut_reason(size, f.tell() + 1)
        if element_id[0] != expected_id:
            return "corrupt: invalid MKV/WebM structure"
        length, unknown = element_size
        if expected_id == 0x1A45DFA3:
            f.seek(length, os.SEEK_CUR)
        elif not unknown and f.tell() + length > size:
            return _cut_reason(size, f.tell() + length)
    return None


def _png_truncation(f, size: int) -> str | None:
    """Walk the chunks by their lengths (nothing is read but their headers) to IEND."""
    offset = 8
    while offset + 12 <= size:
        f.seek(offset)
        length, chunk_type = struct.unpack(">I4s", f.read(8))
        if chunk_type == b"IEND":
            return None
        offset += 12 + length
    return "truncated: the photo ends before its last chunk (incomplete copy or download?)"


def _jpeg_truncation(data) -> str | None:
    """Walk the marker segments to the first scan; an end-of-image marker must follow it.

    Embedded thumbnails (EXIF) sit inside APPn segments and are skipped by length,
    so their own end markers cannot hide a cut in the main image.
    """
    reason = "truncated: the photo ends before its end marker (incomplete copy or download?)"
    pos = 2
    while True:
        while pos < len(data) and data[pos] == 0xFF:  # fill bytes before a marker
            pos += 1
        if pos + 3 > len(data):
            return reason
        marker = data[pos]
        pos += 1
        if marker == 0xD9:
            return "corrupt: the photo has no image data"
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            continue
        (length,) = struct.unpack_from(">H", data, pos)
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            return None if data.find(b"\xff\xd9", pos + length) >= 0 else reason
        pos += length


# --------------------------------------------------------------------------- photo size


def in_source_pixels(people: list[Person], frame: Frame) -> list[Person]:
    """People found in ``frame.image``, in the source's pixels (``frame.scale`` undone).

    Keypoints' x and y and the boxes are scaled; visibility, scores and the
    world coordinates (metres) are unchanged. A frame decoded at full size
    gives its people back as they are.
    """
    sx, sy = frame.scale
    if sx == 1.0 and sy == 1.0:
        return people
    factor = np.array([sx, sy, 1.0], dtype=np.float64)
    box = np.array([sx, sy, sx, sy], dtype=np.float64)
    return [replace(p, keypoints=np.asarray(p.keypoints) * factor,
                    bbox=np.asarray(p.bbox) * box) for p in people]


# --------------------------------------------------------------------------- decoding


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


def _check_file(path: Path) -> tuple[str, str, int]:
    """Existence, size and content type: ``(kind, format, size)`` or BadInputError."""
    if not path.exists():
        raise BadInputError(path, "file not found")
    if path.is_dir():
        raise BadInputError(path, "is a folder, not a photo or clip")
    if not path.is_file():
        raise BadInputError(path, "not a regular file")
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(_HEAD_BYTES)
    except OSError as exc:
        raise BadInputError(path, f"cannot be read ({exc.strerror or exc})") from None
    if size == 0:
        raise BadInputError(path, "empty file (0 bytes)")
    found = sniff(head)
    if found is None:
        raise BadInputError(path, _unsupported_reason(head))
    kind, fmt = found
    try:
        reason = _truncation_reason(path, fmt, size)
    except (OSError, struct.error):
        reason = _cut_reason(size, size + 1)
    if reason is not None:
        raise BadInputError(path, reason)
    if kind == "image":
        check_photo_size(path, photo_header(path, fmt))
    return kind, fmt, size


_kept_lock = threading.Lock()
#: The last photo :func:`probe` decoded reduced, (path, size, mtime) -> (image, scale),
#: until :func:`iter_frames` takes it: a large photo probed then read (as the pipeline
#: does) is decoded once. One photo at most, at most 4096 pixels a side.
_kept: tuple[tuple[str, int, int], tuple[np.ndarray, tuple[float, float]]] | None = None


def _decode_photo(path: Path, fmt: str, keep: bool = False
                  ) -> tuple[np.ndarray, tuple[float, float]]:
    """(H, W, 3) uint8 BGR, EXIF orientation applied, reduced when large; and its
    ``Frame.scale`` (photo pixels per decoded pixel, x and y).

    ``keep``: a photo decoded reduced is kept (one photo at most) until a call without
    ``keep`` takes it; a file changed in between is decoded again.
    """
    global _kept
    header = photo_header(path, fmt)  # its size was checked by _check_file
    factor = reduction(header.width, header.height)
    if factor == 1:
        return _decode_reduced(path, fmt, header, 1)
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    with _kept_lock:
        kept, _kept = _kept, None
        if kept is not None and kept[0] == key:
            if keep:  # probed again: still kept for the frames
                _kept = kept
            return kept[1]
    del kept
    decoded = _decode_reduced(path, fmt, header, factor)
    if keep:
        with _kept_lock:
            _kept = (key, decoded)
    return decoded


def _decode_reduced(path: Path, fmt: str, header: PhotoHeader,
                    factor: int) -> tuple[np.ndarray, tuple[float, float]]:
    """:func:`_decode_photo` without the cache."""
    if factor > 1 and fmt == "PNG" and header.streamed:
        image = decode_png_strips(path, factor)
    else:
        data = np.fromfile(path, dtype=np.uint8)
        flags = cv2.IMREAD_COLOR
        if factor > 1 and fmt == "JPEG":  # libjpeg decodes straight to the reduced size
            flags = {2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4,
                     8: cv2.IMREAD_REDUCED_COLOR_8}[factor]
        with quiet_native_stderr():
            image = cv2.imdecode(data, flags)
        del data
        if image is not None and image.size and factor > 1 and fmt != "JPEG":
            height, width = image.shape[:2]
            image = cv2.resize(image, (-(-width // factor), -(-height // factor)),
                               interpolation=cv2.INTER_AREA)
    if image is None or image.size == 0:
        raise BadInputError(path, f"corrupt {fmt} photo: it cannot be decoded")
    if factor == 1:
        return image, (1.0, 1.0)
    # The size as displayed: the header's, turned when the EXIF orientation turned the image.
    width, height = header.width, header.height
    got_h, got_w = image.shape[:2]
    if (width - height) * (got_w - got_h) < 0:
        width, height = height, width
    return image, (width / got_w, height / got_h)


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


def media_kind(path: str | os.PathLike[str]) -> str:
    """``"image"`` or ``"video"``, from the file's content, without decoding it.

    Cheap checks only (existence, size, signature, container sizes, a photo's
    size from its header): raises :class:`BadInputError` for a missing, empty,
    truncated or unsupported file, or a photo too large to read;
    corrupt data inside a well-formed file is found when decoding (``probe``,
    ``iter_frames``).
    """
    return _check_file(Path(path))[0]


_SUFFIXES = {"JPEG": ".jpg", "PNG": ".png", "WebP": ".webp", "BMP": ".bmp", "AVI": ".avi",
             "MKV": ".mkv", "WebM": ".webm"}


def content_suffix(path: str | os.PathLike[str]) -> str:
    """The name extension a file's content calls for: ``.jpg``, ``.png``, ``.mp4``, ``.mov``...

    Checks the file as :func:`media_kind` does (and raises :class:`BadInputError`
    as it does), so a stored copy can be named by what it is, not what it was called.
    """
    path = Path(path)
    _kind, fmt, _ = _check_file(path)
    if fmt == "MP4/MOV":
        with open(path, "rb") as f:
            head = f.read(12)
        return ".mov" if head[4:12] == b"ftypqt  " else ".mp4"
    return _SUFFIXES[fmt]


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
