"""The final reading of a person in a photo: a robust mean over views, and limbs averaged
with a second model only where the two agree."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from estimator import PoseEstimator
from estimator.photo_ensemble import COCO_OF_BLAZEPOSE, fuse_limbs, robust_mean, torso_size
from estimator.roi import Roi


def _body() -> np.ndarray:
    """BlazePose points (33, 2) of a standing person, torso about 100 px."""
    points = np.tile([200.0, 200.0], (33, 1))
    points[[11, 12]] = [[180, 100], [220, 100]]  # shoulders
    points[[13, 14]] = [[175, 150], [225, 150]]  # elbows
    points[[15, 16]] = [[170, 200], [230, 200]]  # wrists
    points[[23, 24]] = [[185, 190], [215, 190]]  # hips
    points[[25, 26]] = [[185, 260], [215, 260]]  # knees
    points[[27, 28]] = [[185, 330], [215, 330]]  # ankles
    return points


def test_a_reading_far_from_the_others_is_left_out_of_the_mean() -> None:
    readings = np.array([[[100.0, 100.0]], [[102.0, 100.0]], [[104.0, 100.0]],
                         [[160.0, 100.0]]])  # the last put on another limb
    np.testing.assert_allclose(robust_mean(readings, side=200.0), [[102.0, 100.0]])


def test_a_landmark_the_readings_scatter_keeps_the_first_reading() -> None:
    readings = np.array([[[100.0, 0.0]], [[0.0, 100.0]], [[200.0, 200.0]]])
    np.testing.assert_allclose(robust_mean(readings, side=100.0), [[100.0, 0.0]])


def test_limbs_are_averaged_with_the_second_model_only_where_all_their_joints_agree() -> None:
    points = _body()
    coco = np.zeros((17, 3))
    for blazepose, index in COCO_OF_BLAZEPOSE.items():
        coco[index, :2] = points[blazepose] + (4.0, 0.0)
    coco[15, :2] = points[27] + (0.0, 80.0)  # left ankle read far below: the left leg disagrees
    fused = fuse_limbs(points, coco)
    np.testing.assert_allclose(fused[[11, 13, 15, 12, 14, 16, 24, 26, 28]],
                               points[[11, 13, 15, 12, 14, 16, 24, 26, 28]] + (2.0, 0.0))
    np.testing.assert_array_equal(fused[[23, 25, 27]], points[[23, 25, 27]])
    np.testing.assert_array_equal(fused[0], points[0])  # the face is BlazePose's alone
    assert torso_size(points) == pytest.approx(np.hypot(35, 90))


@pytest.mark.media
def test_the_second_model_reads_the_golfers_limbs_where_blazepose_does(media_dir: Path) -> None:
    image = cv2.imread(str(media_dir / "images" / "golf.jpg"))
    estimator = PoseEstimator()
    try:
        (golfer,) = estimator.estimate_image(image)
        extent = float(np.ptp(golfer.keypoints[11:29, :2], axis=0).max())
        roi = Roi(*golfer.keypoints[[23, 24], :2].mean(axis=0), 2.5 * extent)
        coco = estimator.second_reader()(image, roi)
    finally:
        estimator.close()
    distance = [np.hypot(*(golfer.keypoints[b, :2] - coco[c, :2]))
                for b, c in COCO_OF_BLAZEPOSE.items()]
    # Same joints, same sides, in the same pixels: within a tenth of the torso.
    assert np.median(distance) < 0.1 * torso_size(golfer.keypoints)
