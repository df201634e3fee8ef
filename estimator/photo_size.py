"""Photos' sizes from their headers, and large photos decoded reduced.

Used by :mod:`estimator.video`, which states the decisions: sizes read from the
header before any decoding (:func:`photo_header`), refused past
:data:`MAX_PHOTO_SIDE` or, for formats decoded whole, :data:`MAX_WHOLE_PHOTO_PIXELS`
(:func:`check_photo_size`); photos with a long side over :data:`MAX_DECODED_SIDE`
decoded reduced by :func:`reduction` (PNG strip by strip, :func:`decode_png_strips`).
"""

from __future__ import annotations

import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from estimator.errors import BadInputError

#: Photos with a side longer than this (pixels) are refused before decoding.
MAX_PHOTO_SIDE = 30_000
#: Photos that can only be decoded whole (WebP, BMP, progressive JPEG, interlaced PNG)
#: are refused above this many pixels (100 megapixels: 300 MB decoded).
MAX_WHOLE_PHOTO_PIXELS = 100_000_000
#: Photos with a longer side are decoded reduced by 2, 4 or 8 to a long side at most this.
MAX_DECODED_SIDE = 4096
#: Bytes of PNG rows decoded at a time by the strip decoder.
PNG_STRIP_BYTES = 8 << 20


@dataclass(frozen=True)
class PhotoHeader:
    """A photo's size as its header states it, read without decoding.

    ``width`` and ``height`` are as stored (before any EXIF orientation);
    ``streamed`` is True when the photo can be decoded reduced in memory that
    follows the reduced image (baseline JPEG, non-interlaced PNG); ``variant``
    names the format as a coach would (``"progressive JPEG"``).
    """

    width: int
    height: int
    streamed: bool
    variant: str


_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_JPEG_PROGRESSIVE = {0xC2, 0xC6, 0xCA, 0xCE}


def photo_header(path: str | os.PathLike[str], fmt: str) -> PhotoHeader:
    """Width and height of a photo from its header (``fmt`` from :func:`sniff`).

    Raises :class:`BadInputError` when the header holds no usable size.
    """
    path = Path(path)
    try:
        with open(path, "rb") as f:
            found = _read_header(f, fmt)
    except (OSError, struct.error, IndexError):
        found = None
    if found is None:
        raise BadInputError(path, f"corrupt {fmt} photo: its header gives no size")
    if found.width <= 0 or found.height <= 0:
        raise BadInputError(path, f"corrupt {fmt} photo: its header gives a size of "
                                  f"{found.width} x {found.height} pixels")
    return found


def _read_header(f, fmt: str) -> PhotoHeader | None:
    head = f.read(64)
    if fmt == "PNG":
        if head[12:16] != b"IHDR":
            return None
        width, height, _depth, _ctype, _comp, _filter, interlace = struct.unpack_from(
            ">IIBBBBB", head, 16)
        return PhotoHeader(width, height, interlace == 0,
                           "interlaced PNG" if interlace else "PNG")
    if fmt == "BMP":
        if struct.unpack_from("<I", head, 14)[0] == 12:  # BITMAPCOREHEADER
            width, height = struct.unpack_from("<HH", head, 18)
        else:
            width, height = struct.unpack_from("<ii", head, 18)
        return PhotoHeader(abs(width), abs(height), False, "BMP")
    if fmt == "WebP":
        chunk = head[12:16]
        if chunk == b"VP8X":
            width = 1 + int.from_bytes(head[24:27], "little")
            height = 1 + int.from_bytes(head[27:30], "little")
        elif chunk == b"VP8L" and head[20] == 0x2F:
            bits = int.from_bytes(head[21:25], "little")
            width, height = 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
        elif chunk == b"VP8 " and head[23:26] == b"\x9d\x01\x2a":
            width = struct.unpack_from("<H", head, 26)[0] & 0x3FFF
            height = struct.unpack_from("<H", head, 28)[0] & 0x3FFF
        else:
            return None
        return PhotoHeader(width, height, False, "WebP")
    if fmt == "JPEG":
        return _jpeg_header(f)
    return None


def _jpeg_header(f) -> PhotoHeader | None:
    """Walk the marker segments to the first start-of-frame."""
    f.seek(2)
    while True:
        byte = f.read(1)
        while byte == b"\xff":  # fill bytes before a marker
            byte = f.read(1)
        if not byte:
            return None
        marker = byte[0]
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            continue
        if marker in (0xD9, 0xDA):  # end of image, or a scan before any frame header
            return None
        raw = f.read(2)
        if len(raw) < 2:
            return None
        (length,) = struct.unpack(">H", raw)
        if marker in _JPEG_SOF:
            segment = f.read(5)
            if len(segment) < 5:
                return None
            _precision, height, width = struct.unpack(">BHH", segment)
            progressive = marker in _JPEG_PROGRESSIVE
            return PhotoHeader(width, height, not progressive,
                               "progressive JPEG" if progressive else "JPEG")
        f.seek(length - 2, os.SEEK_CUR)
        # the next byte must be a marker again
        byte = f.read(1)
        if byte != b"\xff":
            return None
        f.seek(-1, os.SEEK_CUR)


def check_photo_size(path: Path, header: PhotoHeader) -> None:
    """Refuse, from the header alone, a photo too large to be decoded safely."""
    width, height = header.width, header.height
    if max(width, height) > MAX_PHOTO_SIDE:
        raise BadInputError(
            path, f"photo too large: {width} x {height} pixels; at most {MAX_PHOTO_SIDE:,} "
                  "pixels a side are read (scale it down first)")
    if not header.streamed and width * height > MAX_WHOLE_PHOTO_PIXELS:
        raise BadInputError(
            path, f"photo too large for a {header.variant}: {width} x {height} pixels "
                  f"({width * height / 1e6:.0f} megapixels; at most "
                  f"{MAX_WHOLE_PHOTO_PIXELS / 1e6:.0f} in this format): scale it down, "
                  "or save it as a baseline JPEG or a non-interlaced PNG")


def reduction(width: int, height: int) -> int:
    """1, 2, 4 or 8: how much a photo is reduced when decoded (long side to
    :data:`MAX_DECODED_SIDE` or less, as far as 8 allows)."""
    factor = 1
    while factor < 8 and max(width, height) > MAX_DECODED_SIDE * factor:
        factor *= 2
    return factor


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Bytes per pixel of the PNG filters (at least 1) -> a colour type and bit depth with the
#: same, whose decoded samples give the filtered bytes back unchanged.
_PNG_RAW_TYPES = {1: (0, 8), 2: (0, 16), 3: (2, 8), 4: (6, 8), 6: (2, 16), 8: (6, 16)}
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def _png_chunk(kind: bytes, *parts: bytes) -> list[bytes]:
    """One PNG chunk as pieces to join (the data is not copied to compute its CRC)."""
    crc = zlib.crc32(kind)
    for part in parts:
        crc = zlib.crc32(part, crc)
    return [struct.pack(">I", sum(len(p) for p in parts)), kind, *parts, struct.pack(">I", crc)]


def _png_image(width: int, height: int, depth: int, color_type: int, idat: list[bytes],
               extra: bytes = b"") -> np.ndarray:
    """An in-memory PNG: the header, ``extra`` chunks, then the IDAT chunk ``idat``."""
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 0)
    return np.frombuffer(b"".join([_PNG_SIGNATURE, *_png_chunk(b"IHDR", ihdr), extra, *idat,
                                   *_png_chunk(b"IEND")]), dtype=np.uint8)


def _exif_orientation(exif: bytes) -> int:
    """The orientation tag (1 to 8) of a TIFF-structured EXIF block; 1 when absent."""
    try:
        order = {b"II": "<", b"MM": ">"}[exif[:2]]
        (ifd,) = struct.unpack_from(order + "I", exif, 4)
        (count,) = struct.unpack_from(order + "H", exif, ifd)
        for i in range(count):
            tag, _kind, _n, value = struct.unpack_from(order + "HHIH", exif, ifd + 2 + 12 * i)
            if tag == 0x0112:
                return value if 1 <= value <= 8 else 1
    except (KeyError, struct.error):
        pass
    return 1


def _orient(image: np.ndarray, orientation: int) -> np.ndarray:
    """Apply an EXIF orientation as OpenCV does when it decodes a photo."""
    if orientation in (5, 6, 7, 8):
        image = cv2.transpose(image)
    flip = {2: 1, 3: -1, 4: 0, 6: 1, 7: -1, 8: 0}.get(orientation)
    return image if flip is None else cv2.flip(image, flip)


def decode_png_strips(path: Path, factor: int) -> np.ndarray:
    """A non-interlaced PNG decoded reduced by ``factor``, a strip of rows at a time.

    The zlib stream of the IDAT chunks is inflated a bounded piece at a time.
    Each strip of filtered rows is unfiltered by libpng (through OpenCV) as an
    image of bytes whose pixels have the photo's filter width, headed by the
    previous strip's last row, unfiltered; the unfiltered rows are then decoded
    as the photo's own colour type (palette, bit depth, alpha, as OpenCV reads
    them whole) and reduced by area averaging. Memory: a few strips of
    :data:`PNG_STRIP_BYTES`, and the reduced image.
    """
    with open(path, "rb") as f:
        f.seek(8)
        header, extra, idat, orientation = None, b"", [], 1
        while True:
            top = f.read(8)
            if len(top) < 8:
                break
            length, kind = struct.unpack(">I4s", top)
            if kind == b"IDAT":
                idat.append((f.tell(), length))
                f.seek(length + 4, os.SEEK_CUR)
                continue
            if kind == b"IEND":
                break
            data = f.read(length)
            f.seek(4, os.SEEK_CUR)
            if kind == b"IHDR":
                header = data
            elif kind in (b"PLTE", b"tRNS"):
                extra += b"".join(_png_chunk(kind, data))
            elif kind == b"eXIf":
                orientation = _exif_orientation(data)
        if header is None or len(header) < 13 or not idat:
            raise BadInputError(path, "corrupt PNG photo: it cannot be decoded")
        width, height, depth, color_type = struct.unpack_from(">IIBB", header)
        channels = _PNG_CHANNELS.get(color_type)
        if channels is None or depth not in (1, 2, 4, 8, 16):
            raise BadInputError(path, "corrupt PNG photo: it cannot be decoded")
        row_bytes = (width * channels * depth + 7) // 8
        bpp = max(1, channels * depth // 8)
        raw_type, raw_depth = _PNG_RAW_TYPES[bpp]
        raw_width = row_bytes // bpp
        strip_rows = max(factor, PNG_STRIP_BYTES // (row_bytes + 1) // factor * factor)
        out_w = -(-width // factor)
        reduced = np.empty((-(-height // factor), out_w, 3), np.uint8)
        out_row = 0
        previous: bytes | None = None  # the last row of the previous strip, unfiltered

        # 8-bit grey, RGB and RGBA are their own byte images: one decode per strip.
        direct = depth == 8 and color_type in (0, 2, 6)

        def decode_strip(filtered, rows: int) -> None:
            nonlocal previous, out_row
            stored = zlib.compressobj(0)  # the rows are only wrapped, not compressed again
            data = b"".join([b"" if previous is None else stored.compress(b"\x00" + previous),
                             stored.compress(filtered), stored.flush()])
            idat = _png_chunk(b"IDAT", data)
            first = previous is not None  # the first row is the previous strip's last
            raw = cv2.imdecode(_png_image(raw_width, rows + first, raw_depth, raw_type, idat),
                               cv2.IMREAD_UNCHANGED)
            if raw is None:
                raise BadInputError(path, "corrupt PNG photo: it cannot be decoded")
            last = raw[-1]
            if last.ndim == 2:  # OpenCV gives BGR(A): back to the file's RGB(A) order
                last = last[:, ::-1] if last.shape[1] == 3 else last[:, [2, 1, 0, 3]]
            previous = np.ascontiguousarray(last, ">u2" if raw_depth == 16 else np.uint8
                                            ).tobytes()
            if direct:
                image = raw[first:]
                if image.ndim == 2:
                    image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
                elif image.shape[2] == 4:
                    image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
            else:  # the same rows read as the photo's own colour type, as OpenCV reads it
                image = cv2.imdecode(_png_image(width, rows + first, depth, color_type, idat,
                                                extra), cv2.IMREAD_COLOR)
                if image is None:
                    raise BadInputError(path, "corrupt PNG photo: it cannot be decoded")
                image = image[first:]
            out_rows = -(-rows // factor)
            reduced[out_row:out_row + out_rows] = cv2.resize(image, (out_w, out_rows),
                                                             interpolation=cv2.INTER_AREA)
            out_row += out_rows

        inflate = zlib.decompressobj()
        pending = bytearray()
        wanted = height * (row_bytes + 1)  # bytes of filtered rows; anything after is ignored
        strip_size = strip_rows * (row_bytes + 1)
        rows_done = 0
        try:
            for offset, length in idat:
                f.seek(offset)
                while length > 0 and wanted > 0 and not inflate.eof:
                    piece = f.read(min(length, 1 << 20))
                    if not piece:
                        raise BadInputError(path, "truncated: the photo ends inside its data")
                    length -= len(piece)
                    while piece and wanted > 0 and not inflate.eof:
                        out = inflate.decompress(piece, min(strip_size, wanted))
                        wanted -= len(out)
                        pending += out
                        piece = inflate.unconsumed_tail
                        while len(pending) >= strip_size:
                            with memoryview(pending) as view:
                                decode_strip(view[:strip_size], strip_rows)
                            del pending[:strip_size]
                            rows_done += strip_rows
        except zlib.error:
            raise BadInputError(path, "corrupt PNG photo: its data cannot be decoded") from None
        left = height - rows_done
        if wanted > 0 or len(pending) != left * (row_bytes + 1):
            raise BadInputError(path, "corrupt PNG photo: its data ends before its last row")
        if left > 0:
            decode_strip(bytes(pending), left)
    return _orient(reduced, orientation)
