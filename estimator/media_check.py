"""What a file is, from its content: signatures, truncation, the checks before decoding.

Part of the reading of photos and clips (:mod:`estimator.video` states the
decisions). :func:`sniff` matches a file's first bytes against the supported
formats (the name never decides); :func:`_check_file` adds existence, size,
the container's own sizes (a truncated copy is refused before any decoding) and
a photo's size from its header (:mod:`estimator.photo_size`).
:func:`media_kind` and :func:`content_suffix` are its public uses; decoding is
in :mod:`estimator.photo_decode` and :mod:`estimator.clip_decode`.
"""

from __future__ import annotations

import mmap
import os
import struct
from pathlib import Path

from estimator.errors import BadInputError
from estimator.photo_size import check_photo_size, photo_header

PHOTO_FORMATS = ("JPEG", "PNG", "WebP", "BMP")
CLIP_FORMATS = ("MP4/MOV", "AVI", "MKV", "WebM")
#: Extensions a folder is searched for (content is still checked file by file).
MEDIA_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".jpe", ".png", ".webp", ".bmp",
     ".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm"}
)

_SUPPORTED = "JPEG, PNG, WebP or BMP photo, or MP4, MOV, AVI, MKV or WebM clip"
_HEAD_BYTES = 4096


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
