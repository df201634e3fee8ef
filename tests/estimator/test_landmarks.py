"""Landmark model decoding: heatmap refinement, projection to the image, world rotation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from estimator.errors import ModelWeightsError
from estimator.landmarks import LandmarkModel, decode, refine_from_heatmap
from estimator.roi import Roi
from estimator.runtime import TFLiteModel
from estimator.weights import model_path


def _blob_heatmap(cells: dict[int, tuple[float, float]], n: int = 39) -> np.ndarray:
    """(64, 64, n) logits: a Gaussian peak (logit up to +6) per landmark, else -8."""
    yy, xx = np.mgrid[0:64, 0:64]
    heatmap = np.full((64, 64, n), -8.0)
    for lm, (cx, cy) in cells.items():
        heatmap[:, :, lm] = -8.0 + 14.0 * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / 2.0)
    return heatmap


def test_refinement_moves_a_landmark_to_the_heatmap_peak() -> None:
    heatmap = _blob_heatmap({0: (20.0, 30.0), 1: (40.3, 10.6)})
    uv = np.full((39, 2), 0.5)
    uv[0] = [21.5 / 64, 29.0 / 64]  # regressed 1.5 cells off the peak
    uv[1] = [41.0 / 64, 11.0 / 64]
    out = refine_from_heatmap(uv, heatmap)
    np.testing.assert_allclose(out[0], [20.0 / 64, 30.0 / 64], atol=0.05 / 64)
    np.testing.assert_allclose(out[1], [40.3 / 64, 10.6 / 64], atol=0.2 / 64)


def test_refinement_keeps_landmarks_with_an_unsure_heatmap_or_outside_it() -> None:
    heatmap = _blob_heatmap({0: (20.0, 30.0)})
    uv = np.full((39, 2), 0.5)
    uv[2] = [0.25, 0.75]  # its heatmap is flat and low: no refinement
    uv[0] = [1.2, 0.4]  # outside the crop
    out = refine_from_heatmap(uv, heatmap)
    np.testing.assert_array_equal(out[2], uv[2])
    np.testing.assert_array_equal(out[0], uv[0])


def _raw(points_px: dict[int, tuple[float, float]]) -> np.ndarray:
    raw = np.zeros((39, 5))
    raw[:, :2] = 128.0
    for i, (x, y) in points_px.items():
        raw[i, :2] = (x, y)
    raw[:, 3] = 0.0  # visibility logit 0 -> 0.5
    raw[:, 4] = 10.0  # presence logit -> ~1
    return raw.reshape(1, 195)


def test_crop_centre_and_top_map_through_a_rotated_roi() -> None:
    roi = Roi(cx=500.0, cy=300.0, size=400.0, rotation=math.pi / 2)
    raw = _raw({0: (128.0, 128.0), 1: (128.0, 0.0)})
    world = np.zeros((1, 117))
    world[0, 3:6] = (0.0, -1.0, 0.25)  # landmark 1: one metre "up" in the crop
    pose = decode(raw, np.array([[0.93]]), world, roi)
    np.testing.assert_allclose(pose.landmarks[0, :2], [500.0, 300.0], atol=1e-9)
    # Up in a crop turned by +90 degrees is to the right in the image.
    np.testing.assert_allclose(pose.landmarks[1, :2], [700.0, 300.0], atol=1e-9)
    np.testing.assert_allclose(pose.world[1], [1.0, 0.0, 0.25], atol=1e-12)
    assert pose.score == pytest.approx(0.93)
    assert pose.landmarks.shape == (39, 5) and pose.world.shape == (33, 3)
    np.testing.assert_allclose(pose.keypoints[:, 2], 0.5)
    assert pose.landmarks[0, 4] == pytest.approx(1.0, abs=1e-4)
    np.testing.assert_allclose(pose.auxiliary, pose.landmarks[33:35, :2])


def test_z_is_scaled_like_x_into_image_pixels() -> None:
    raw = _raw({}).reshape(39, 5)
    raw[5, 2] = 64.0  # a quarter of the crop width
    pose = decode(raw, np.array([0.9]), np.zeros(117), Roi(0.0, 0.0, 800.0, 0.3))
    assert pose.landmarks[5, 2] == pytest.approx(200.0)


def test_model_outputs_are_checked_by_shape() -> None:
    with pytest.raises(ModelWeightsError, match="outputs"):
        TFLiteModel(model_path("pose_landmark_full"), [(1, 195), (1, 1)])


def test_pruning_the_segmentation_output_leaves_the_kept_outputs_identical() -> None:
    shapes = [(1, 195), (1, 1), (1, 256, 256, 1), (1, 64, 64, 39), (1, 117)]
    full = TFLiteModel(model_path("pose_landmark_full"), shapes, num_threads=1)
    pruned = TFLiteModel(model_path("pose_landmark_full"), shapes, num_threads=1,
                         keep=(0, 1, 3, 4))
    x = np.random.default_rng(0).random((1, 256, 256, 3), dtype=np.float32)
    a, b = full(x), pruned(x)
    assert len(b) == 4
    for got, want in zip(b, [a[0], a[1], a[3], a[4]], strict=True):
        np.testing.assert_array_equal(got, want)


def test_the_landmark_model_sees_nobody_in_a_blank_image() -> None:
    model = LandmarkModel()
    pose = model(np.zeros((480, 640, 3), np.uint8), Roi(320.0, 240.0, 400.0, 0.0))
    assert pose.score < 0.5
