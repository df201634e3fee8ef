"""SSD anchors of the pose detector: count, order and positions."""

from __future__ import annotations

import numpy as np
import pytest

from estimator.anchors import AnchorOptions, ssd_anchors


@pytest.fixture(scope="module")
def anchors() -> np.ndarray:
    return ssd_anchors()


def test_there_are_2254_anchors_of_fixed_unit_size(anchors: np.ndarray) -> None:
    assert anchors.shape == (2254, 4)
    assert np.all(anchors[:, 2:] == 1.0)


def test_first_anchors_sit_on_the_first_cell_of_the_stride_8_grid(anchors: np.ndarray) -> None:
    # 28x28 grid, 2 anchors per cell, centre at half a cell.
    np.testing.assert_allclose(anchors[0, :2], [0.5 / 28, 0.5 / 28], atol=1e-7)
    np.testing.assert_allclose(anchors[1, :2], anchors[0, :2])
    np.testing.assert_allclose(anchors[2, :2], [1.5 / 28, 0.5 / 28], atol=1e-7)
    # Row-major: the 29th cell starts the second row.
    np.testing.assert_allclose(anchors[2 * 28, :2], [0.5 / 28, 1.5 / 28], atol=1e-7)


def test_grids_follow_each_other_by_stride(anchors: np.ndarray) -> None:
    # 1568 anchors on the stride-8 grid, then 392 on the 14x14 stride-16 grid.
    np.testing.assert_allclose(anchors[1567, :2], [27.5 / 28, 27.5 / 28], atol=1e-7)
    np.testing.assert_allclose(anchors[1568, :2], [0.5 / 14, 0.5 / 14], atol=1e-7)
    np.testing.assert_allclose(anchors[1960, :2], [0.5 / 7, 0.5 / 7], atol=1e-7)


def test_the_three_stride_32_layers_share_one_7x7_grid_with_6_anchors_per_cell(
    anchors: np.ndarray,
) -> None:
    last_grid = anchors[1960:]
    assert len(last_grid) == 7 * 7 * 6
    np.testing.assert_allclose(last_grid[:6, :2], np.tile([0.5 / 7, 0.5 / 7], (6, 1)), atol=1e-7)
    np.testing.assert_allclose(last_grid[6, :2], [1.5 / 7, 0.5 / 7], atol=1e-7)
    np.testing.assert_allclose(anchors[-1, :2], [6.5 / 7, 6.5 / 7], atol=1e-7)


def test_anchor_sizes_follow_the_scales_when_not_fixed() -> None:
    anchors = ssd_anchors(AnchorOptions(fixed_anchor_size=False))
    # First layer: scale 0.1484375, then the interpolated scale sqrt(s0 * s1).
    s0 = 0.1484375
    s1 = s0 + (0.75 - s0) / 4
    np.testing.assert_allclose(anchors[0, 2:], [s0, s0], rtol=1e-6)
    np.testing.assert_allclose(anchors[1, 2:], [np.sqrt(s0 * s1)] * 2, rtol=1e-6)
