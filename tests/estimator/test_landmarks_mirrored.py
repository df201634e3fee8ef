"""The landmark model's mirrored reading: the crop mirrored, the reading mapped back."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from estimator.keypoints import KEYPOINT_NAMES, NUM_KEYPOINTS
from estimator.landmarks import MIRRORED_ORDER, LandmarkModel
from estimator.roi import Roi


def _namesake(name: str) -> str:
    """The name with left and right exchanged (``left_eye`` <-> ``right_eye``,
    ``mouth_left`` <-> ``mouth_right``)."""
    swap = {"left": "right", "right": "left"}
    return "_".join(swap.get(part, part) for part in name.split("_"))


def test_mirrored_order_gives_each_landmark_its_namesake_and_undoes_itself() -> None:
    body = MIRRORED_ORDER[:NUM_KEYPOINTS]
    assert [KEYPOINT_NAMES[i] for i in body] == [_namesake(n) for n in KEYPOINT_NAMES]
    np.testing.assert_array_equal(MIRRORED_ORDER[MIRRORED_ORDER], np.arange(39))
    np.testing.assert_array_equal(MIRRORED_ORDER[33:], np.arange(33, 39))  # auxiliary


@pytest.fixture(scope="module")
def landmarker() -> LandmarkModel:
    return LandmarkModel(num_threads=1)


def _figure(width: int = 320, height: int = 400) -> np.ndarray:
    """A stick figure with a raised right arm (image left) on textured ground: not symmetric."""
    rng = np.random.default_rng(3)
    image = rng.integers(90, 140, size=(height, width, 3), dtype=np.uint8)
    limbs = [((160, 90), (160, 220)), ((160, 120), (100, 60)), ((160, 120), (220, 170)),
             ((160, 220), (120, 330)), ((160, 220), (200, 330))]
    for a, b in limbs:
        cv2.line(image, a, b, (40, 40, 200), 14)
    cv2.circle(image, (160, 65), 24, (60, 170, 230), -1)
    return image


def test_a_mirrored_reading_is_the_reading_of_the_mirrored_image_mapped_back(
    landmarker: LandmarkModel,
) -> None:
    image = _figure()
    width = image.shape[1]
    roi = Roi(150.0, 200.0, 330.0)
    mirrored = landmarker(image, roi, mirrored=True)
    # The same input tensor, made by mirroring the image and the ROI instead.
    flipped = landmarker(np.ascontiguousarray(image[:, ::-1]), Roi(width - 150.0, 200.0, 330.0))
    expected = flipped.landmarks[MIRRORED_ORDER]
    expected[:, 0] = width - expected[:, 0]
    np.testing.assert_allclose(mirrored.landmarks[:, :2], expected[:, :2], atol=0.5)
    np.testing.assert_allclose(mirrored.landmarks[:, 2:], expected[:, 2:], atol=1e-3)
    world = flipped.world[MIRRORED_ORDER[:NUM_KEYPOINTS]] * (-1, 1, 1)
    np.testing.assert_allclose(mirrored.world, world, atol=1e-4)
    assert mirrored.score == pytest.approx(flipped.score, abs=1e-4)


def test_the_plain_reading_is_unchanged_by_the_mirrored_option(landmarker: LandmarkModel) -> None:
    image, roi = _figure(), Roi(150.0, 200.0, 330.0)
    np.testing.assert_array_equal(landmarker(image, roi).landmarks,
                                  landmarker(image, roi, mirrored=False).landmarks)
