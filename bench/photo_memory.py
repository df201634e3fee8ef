"""Peak memory of analysing one very large photo (issue 11, finding 4).

Makes, at run time, a plain 20,000 x 20,000 PNG (about 1.2 MB on disk, 1.2 GB of
pixels once decoded whole) and a 100,000 x 100,000 one (refused from its header),
then runs each through the real command lines in a child process and prints the
child's peak resident memory (``ru_maxrss`` from ``wait4``), its time and exit status:

- ``python -m analysis run BIG.png`` (what the dashboard's analysis does per file:
  probe, estimate, store), target under 1 GB of peak memory;
- ``python -m estimator BIG.png`` (decode and estimate only);
- ``python -m analysis run HUGE.png``: refused in one line, before anything decodes.

    .venv/bin/python bench/photo_memory.py [--side 20000] [--keep DIR]

It prints, never asserts. No real media is needed.
"""

from __future__ import annotations

import argparse
import os
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TARGET_MB = 1024.0


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def write_plain_png(path: Path, width: int, height: int, rows: int | None = None) -> Path:
    """An RGB PNG of ``width`` x ``height``: grey, with a darker square in the middle.

    Written row by row (memory stays at a few rows). ``rows`` writes only that many rows
    of data (the header still says ``height``): enough for a photo refused from its
    header alone.
    """
    grey = b"\x00" + b"\x80" * (3 * width)
    third = width // 3
    square = b"\x00" + b"\x80" * (3 * third) + b"\x30" * (3 * (width - 2 * third)) \
        + b"\x80" * (3 * third)
    compress = zlib.compressobj(9)
    with open(path, "wb") as out:
        out.write(b"\x89PNG\r\n\x1a\n")
        out.write(_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)))
        buffer = bytearray()
        for y in range(height if rows is None else rows):
            buffer += compress.compress(square if third <= y < height - third else grey)
            if len(buffer) >= 1 << 20:
                out.write(_chunk(b"IDAT", bytes(buffer)))
                buffer.clear()
        buffer += compress.flush()
        out.write(_chunk(b"IDAT", bytes(buffer)))
        out.write(_chunk(b"IEND", b""))
    return path


def measure(command: list[str]) -> tuple[float, float, int, str]:
    """(peak resident MB, seconds, exit status, stderr) of a child process."""
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
    # stderr is small (one line or none); read it after the child ends
    _pid, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    stderr = child.stderr.read().decode(errors="replace") if child.stderr else ""
    child.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss / 1024.0, seconds, child.returncode, stderr.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=20_000, help="side of the large photo")
    parser.add_argument("--keep", type=Path, help="folder to keep the photos and database in")
    args = parser.parse_args(argv)
    python = sys.executable
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        big = write_plain_png(folder / f"plain_{args.side}.png", args.side, args.side)
        huge = write_plain_png(folder / "plain_100000.png", 100_000, 100_000, rows=2_000)
        print(f"made {big.name} ({big.stat().st_size / 1e6:.1f} MB on disk, "
              f"{3 * args.side ** 2 / 2 ** 30:.2f} GiB of pixels decoded whole) and "
              f"{huge.name} ({huge.stat().st_size / 1e6:.1f} MB, header only counts) "
              f"in {time.perf_counter() - started:.1f} s")
        db = f"sqlite:///{folder / 'bench.db'}"
        runs = [
            ("analysis run, large photo", [python, "-m", "analysis", "run", str(big),
                                           "--athlete", "Bench", "--session", "Memory",
                                           "--db", db]),
            ("estimator, large photo", [python, "-m", "estimator", str(big),
                                        "--out", str(folder / "big.json")]),
            ("analysis run, 100,000 px photo", [python, "-m", "analysis", "run", str(huge),
                                                "--athlete", "Bench", "--session", "Memory",
                                                "--db", db]),
        ]
        peak_analysis = None
        for label, command in runs:
            peak, seconds, status, stderr = measure(command)
            if peak_analysis is None:
                peak_analysis = peak
            print(f"{label}: peak {peak:.0f} MB, {seconds:.1f} s, exit {status}")
            for line in stderr.splitlines():
                print(f"  stderr: {line}")
    verdict = "PASS" if peak_analysis is not None and peak_analysis < TARGET_MB else "MISS"
    print(f"target: analysing the {args.side:,} x {args.side:,} photo under "
          f"{TARGET_MB:.0f} MB peak: {verdict} ({peak_analysis:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
