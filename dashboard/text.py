"""Clean text labels on video frames: anti-aliased unicode text on a rounded box.

OpenCV's Hershey fonts have no degree sign and look dated, so labels are drawn
with Pillow and a TrueType font (DejaVu Sans from ``fonts-dejavu-core``, then
Liberation Sans, then Pillow's own bundled font, which every install has). A
label is rendered once into a small BGR patch with an alpha mask and cached;
pasting it onto a frame is one alpha blend of the patch's pixels only.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from dashboard.theme import bgr

FONT_CANDIDATES: tuple[Path, ...] = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    Path("/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf"),
    Path("/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf"),
)
SUPERSAMPLE = 4  # the rounded box is drawn this much larger, then reduced (smooth corners)


@cache
def font(size_px: int) -> ImageFont.FreeTypeFont:
    """The label font at ``size_px`` pixels: the first installed candidate, else Pillow's own."""
    for path in FONT_CANDIDATES:
        if path.is_file():
            return ImageFont.truetype(str(path), size=size_px)
    return ImageFont.load_default(size=size_px)


@dataclass(frozen=True)
class LabelPatch:
    """A rendered label: ``colour`` (h, w, 3) uint8 BGR, ``alpha`` (h, w, 1) float32 in [0, 1]."""

    colour: np.ndarray
    alpha: np.ndarray

    @property
    def width(self) -> int:
        return int(self.colour.shape[1])

    @property
    def height(self) -> int:
        return int(self.colour.shape[0])


@lru_cache(maxsize=4096)
def render_label(
    text: str,
    size_px: int,
    background: str,
    foreground: str,
    background_alpha: float = 1.0,
) -> LabelPatch:
    """Render ``text`` in ``foreground`` on a rounded ``background`` box (colours ``#rrggbb``).

    The box has a padding of about a third of the font size and corners
    rounded by the same amount. Cached: a label with the same text, size and
    colours is rendered once per process.
    """
    face = font(size_px)
    ascent, descent = face.getmetrics()
    left, _, right, _ = face.getbbox(text)
    pad_x = max(3, round(size_px * 0.42))
    pad_y = max(2, round(size_px * 0.22))
    width = int(right - left) + 2 * pad_x
    height = ascent + descent + 2 * pad_y

    big = Image.new("L", (width * SUPERSAMPLE, height * SUPERSAMPLE), 0)
    radius = max(2, round(size_px * 0.32)) * SUPERSAMPLE
    ImageDraw.Draw(big).rounded_rectangle(
        (0, 0, width * SUPERSAMPLE - 1, height * SUPERSAMPLE - 1), radius=radius, fill=255
    )
    box = np.asarray(big.resize((width, height), Image.Resampling.LANCZOS), np.float32) / 255.0

    glyphs = Image.new("L", (width, height), 0)
    ImageDraw.Draw(glyphs).text((pad_x - left, pad_y), text, fill=255, font=face)
    ink = np.asarray(glyphs, np.float32)[..., None] / 255.0

    bg = np.array(bgr(background), np.float32)
    fg = np.array(bgr(foreground), np.float32)
    colour = bg * (1.0 - ink) + fg * ink
    alpha = np.maximum(box[..., None] * background_alpha, ink)
    patch = LabelPatch(np.clip(colour + 0.5, 0, 255).astype(np.uint8), alpha.astype(np.float32))
    patch.colour.setflags(write=False)
    patch.alpha.setflags(write=False)
    return patch


def paste(image: np.ndarray, patch: LabelPatch, x: int, y: int) -> np.ndarray:
    """Alpha-blend ``patch`` onto ``image`` (H, W, 3) uint8 BGR with its top-left at (x, y).

    Parts outside the image are clipped. Draws in place and returns ``image``.
    """
    h, w = image.shape[:2]
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(w, x + patch.width), min(h, y + patch.height)
    if x0 >= x1 or y0 >= y1:
        return image
    px0, py0 = x0 - x, y0 - y
    px1, py1 = px0 + (x1 - x0), py0 + (y1 - y0)
    region = image[y0:y1, x0:x1].astype(np.float32)
    alpha = patch.alpha[py0:py1, px0:px1]
    blended = region * (1.0 - alpha) + patch.colour[py0:py1, px0:px1].astype(np.float32) * alpha
    image[y0:y1, x0:x1] = (blended + 0.5).astype(np.uint8)
    return image
