"""Photos decoded: EXIF orientation applied, large ones reduced, a reduced one kept once.

A photo whose long side is over :data:`estimator.photo_size.MAX_DECODED_SIDE`
is decoded at 1/2, 1/4 or 1/8 of its size (JPEG through libjpeg's scaled
decoding, PNG strip by strip, others decoded whole then resized), with the
``Frame.scale`` that maps it back. The last photo :func:`estimator.video.probe`
decoded reduced is kept until :func:`estimator.video.iter_frames` takes it, so
a large photo probed then read is decoded once. The file has already been
checked (:func:`estimator.media_check._check_file`).
"""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np

from estimator.errors import BadInputError
from estimator.native_quiet import quiet_native_stderr
from estimator.photo_size import PhotoHeader, decode_png_strips, photo_header, reduction

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
