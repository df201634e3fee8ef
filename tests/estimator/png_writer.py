"""PNG files written by hand for the tests: every colour type, bit depth and row filter,
and very large plain photos written row by row (never held whole in memory)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _filtered(kind: int, row: bytes, previous: bytes, bpp: int) -> bytes:
    """One row with PNG filter ``kind`` (0 None, 1 Sub, 2 Up, 3 Average, 4 Paeth)."""
    out = bytearray(len(row) + 1)
    out[0] = kind
    for i, value in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = previous[i]
        c = previous[i - bpp] if i >= bpp else 0
        guess = (0, a, b, (a + b) // 2, _paeth(a, b, c))[kind]
        out[i + 1] = (value - guess) & 0xFF
    return bytes(out)


def write_png(path: Path, rows: list[bytes], width: int, depth: int, color_type: int,
              palette: bytes | None = None, exif: bytes | None = None) -> Path:
    """A PNG of raw sample ``rows`` (bytes as in the file), filters 0..4 in turn by row."""
    bpp = max(1, CHANNELS[color_type] * depth // 8)
    previous = bytes(len(rows[0]))
    data = bytearray()
    for y, row in enumerate(rows):
        data += _filtered(y % 5, row, previous, bpp)
        previous = row
    ihdr = struct.pack(">IIBBBBB", width, len(rows), depth, color_type, 0, 0, 0)
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
    if palette is not None:
        out += chunk(b"PLTE", palette)
    if exif is not None:
        out += chunk(b"eXIf", exif)
    out += chunk(b"IDAT", zlib.compress(bytes(data), 9)) + chunk(b"IEND", b"")
    path.write_bytes(out)
    return path


def random_rows(rng: np.random.Generator, width: int, height: int, depth: int,
                color_type: int) -> tuple[list[bytes], bytes | None]:
    """Random samples for a photo of that type; a random palette for colour type 3."""
    row_bytes = (width * CHANNELS[color_type] * depth + 7) // 8
    rows = [rng.integers(0, 256, row_bytes, dtype=np.uint8).tobytes() for _ in range(height)]
    palette = None
    if color_type == 3:  # every index must be in the palette: the palette has them all
        palette = rng.integers(0, 256, 3 * 2 ** depth, dtype=np.uint8).tobytes()
    return rows, palette


def write_plain_png(path: Path, width: int, height: int, rows: int | None = None) -> Path:
    """An RGB PNG of ``width`` x ``height``, grey with a darker band, written row by row.

    ``rows`` writes only that many rows of data (the header still says ``height``):
    enough for a photo that must be refused from its header alone.
    """
    grey = b"\x00" + b"\x80" * (3 * width)
    band = b"\x00" + b"\x30" * (3 * width)
    compress = zlib.compressobj(9)
    with open(path, "wb") as out:
        out.write(b"\x89PNG\r\n\x1a\n")
        out.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)))
        buffer = bytearray()
        for y in range(height if rows is None else rows):
            buffer += compress.compress(band if height // 3 <= y < 2 * height // 3 else grey)
            if len(buffer) >= 1 << 20:
                out.write(chunk(b"IDAT", bytes(buffer)))
                buffer.clear()
        buffer += compress.flush()
        out.write(chunk(b"IDAT", bytes(buffer)))
        out.write(chunk(b"IEND", b""))
    return path
