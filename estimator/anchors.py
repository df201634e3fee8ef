"""SSD anchors of the BlazePose person detector.

The detector predicts, for every anchor, a box and 4 keypoints as offsets from
the anchor's centre. The anchors follow the SSD scheme of MediaPipe's
``SsdAnchorsCalculator`` with the options of its ``pose_detection_cpu`` graph:
5 layers with strides 8, 16, 32, 32, 32 on a 224x224 input, one aspect ratio
(1.0) plus one interpolated scale per layer, so 2 anchors per cell and per
layer. Consecutive layers with the same stride share one grid, so the 7x7 grid
of stride 32 carries 3 x 2 = 6 anchors per cell:

    28*28*2 + 14*14*2 + 7*7*6 = 1568 + 392 + 294 = 2254 anchors.

With ``fixed_anchor_size`` every anchor has width and height 1, so the decoded
offsets are only scaled by the input size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class AnchorOptions:
    """Options of an SSD anchor grid (those of the pose detector by default)."""

    input_size: int = 224
    strides: tuple[int, ...] = (8, 16, 32, 32, 32)
    min_scale: float = 0.1484375
    max_scale: float = 0.75
    aspect_ratios: tuple[float, ...] = (1.0,)
    interpolated_scale_aspect_ratio: float = 1.0
    offset: float = 0.5
    fixed_anchor_size: bool = True


def _layer_scale(options: AnchorOptions, layer: int) -> float:
    n = len(options.strides)
    if n == 1:
        return 0.5 * (options.min_scale + options.max_scale)
    return options.min_scale + (options.max_scale - options.min_scale) * layer / (n - 1)


def ssd_anchors(options: AnchorOptions | None = None) -> np.ndarray:
    """All anchors, shape (N, 4): x_centre, y_centre, width, height.

    Centres and sizes are normalised to the input (0..1). Order: grid after
    grid (by stride), then row by row, cell by cell, anchor by anchor within a
    cell -- the order of the detector's output rows.
    """
    options = options or AnchorOptions()
    strides = options.strides
    n_layers = len(strides)
    out: list[np.ndarray] = []
    layer = 0
    while layer < n_layers:
        sizes: list[tuple[float, float]] = []  # (width, height) of each anchor in a cell
        last = layer
        while last < n_layers and strides[last] == strides[layer]:
            scale = _layer_scale(options, last)
            for ratio in options.aspect_ratios:
                root = math.sqrt(ratio)
                sizes.append((scale * root, scale / root))
            if options.interpolated_scale_aspect_ratio > 0:
                nxt = 1.0 if last == n_layers - 1 else _layer_scale(options, last + 1)
                inter = math.sqrt(scale * nxt)
                root = math.sqrt(options.interpolated_scale_aspect_ratio)
                sizes.append((inter * root, inter / root))
            last += 1
        cells = math.ceil(options.input_size / strides[layer])
        centres = (np.arange(cells, dtype=np.float64) + options.offset) / cells
        cy, cx = np.meshgrid(centres, centres, indexing="ij")  # row-major: y outer, x inner
        k = len(sizes)
        grid = np.empty((cells, cells, k, 4), dtype=np.float64)
        grid[..., 0] = cx[..., None]
        grid[..., 1] = cy[..., None]
        if options.fixed_anchor_size:
            grid[..., 2:] = 1.0
        else:
            grid[..., 2] = np.array([w for w, _ in sizes])
            grid[..., 3] = np.array([h for _, h in sizes])
        out.append(grid.reshape(-1, 4))
        layer = last
    return np.concatenate(out).astype(np.float32)
