"""A frame the coach clicks on (joint corrections, drawings): shown through
``streamlit-image-coordinates``, with the click mapped back to the clip's pixels.

The component sends the picture inside its arguments as a data URL, on every rerun of
the page. Handed the full frame as an array it sends an uncompressed PNG (a 1768x994
frame: 7 MB of base64, twice per Clip view run, one per panel); it is sent here as a
JPEG at twice the shown width instead (sharp on high-density screens; 0.3 MB of base64
for the parkour clip's first frame).
"""

from __future__ import annotations

import cv2
import numpy as np
from streamlit_image_coordinates import streamlit_image_coordinates

SHOWN_WIDTH = 640  # CSS pixels
SENT_WIDTH = 2 * SHOWN_WIDTH  # image pixels
JPEG_QUALITY = 90


def clickable_frame(rgb: np.ndarray, key: str) -> dict | None:
    """Show ``rgb`` (H, W, 3, uint8, RGB) at most :data:`SHOWN_WIDTH` CSS pixels wide;
    the component's last click (``x``, ``y`` in shown CSS pixels, ``width``, ``height``
    the shown size, ``unix_time``), or None before any. Map it with :func:`clip_pixels`
    and ``rgb``'s own size."""
    height, width = rgb.shape[:2]
    sent = rgb
    if width > SENT_WIDTH:
        sent = cv2.resize(rgb, (SENT_WIDTH, max(1, round(height * SENT_WIDTH / width))),
                          interpolation=cv2.INTER_AREA)
    return streamlit_image_coordinates(sent, width=min(SHOWN_WIDTH, width), key=key,
                                       cursor="crosshair", image_format="JPEG",
                                       jpeg_quality=JPEG_QUALITY)


def clip_pixels(click: dict, image_size: tuple[int, int], scale: float) -> tuple[float, float]:
    """A click (``x``, ``y`` in the shown image's CSS pixels, ``width``, ``height`` its
    shown size) -> (x, y) in the clip's pixels, for an image of ``image_size`` (w, h)
    pixels drawn at ``scale`` image pixels per clip pixel."""
    width, height = image_size
    sx = width / max(float(click.get("width") or width), 1.0)
    sy = height / max(float(click.get("height") or height), 1.0)
    return float(click["x"]) * sx / scale, float(click["y"]) * sy / scale
