"""PoseEstimator's bookkeeping: boxes, duplicates, in-frame check (photo readings: test_photos)."""

from __future__ import annotations

import numpy as np
import pytest

from estimator.landmarks import PoseLandmarks
from estimator.pipeline import (
    box_inside,
    box_iou,
    in_frame,
    person_box,
    same_person,
)
from estimator.roi import Roi


def _pose(offset=(0.0, 0.0), size=400.0, score=0.9, visibility=0.9, seed=0) -> PoseLandmarks:
    rng = np.random.default_rng(seed)
    landmarks = np.zeros((39, 5))
    landmarks[:, :2] = rng.uniform(100, 300, size=(39, 2)) + offset
    landmarks[:, 3] = visibility
    landmarks[:, 4] = 1.0
    landmarks[33] = [200 + offset[0], 250 + offset[1], 0, 1, 1]  # hip centre
    landmarks[34] = [200 + offset[0], 100 + offset[1], 0, 1, 1]
    world = rng.normal(0, 0.3, size=(33, 3))
    return PoseLandmarks(score, landmarks, world, Roi(200 + offset[0], 250 + offset[1], size))


def test_person_box_surrounds_visible_keypoints_only_and_stays_in_the_image() -> None:
    keypoints = np.array([[10.0, 20.0, 0.9], [50.0, 80.0, 0.8], [500.0, 500.0, 0.1]]
                         + [[30.0, 40.0, 0.2]] * 30)
    np.testing.assert_allclose(person_box(keypoints, 640, 480), [10, 20, 40, 60])
    keypoints[:, 2] = 0.9
    np.testing.assert_allclose(person_box(keypoints, 400, 300), [10, 20, 390, 280])


def test_box_overlaps() -> None:
    a = np.array([0.0, 0.0, 10.0, 10.0])
    assert box_inside(a, np.array([0.0, 0.0, 20.0, 20.0])) == 1.0
    assert box_inside(a, np.array([5.0, 0.0, 10.0, 10.0])) == 0.5
    assert box_iou(a, np.array([5.0, 0.0, 10.0, 10.0])) == pytest.approx(50 / 150)


def test_two_readings_of_one_body_are_the_same_person_but_a_neighbour_is_not() -> None:
    a = _pose()
    b = PoseLandmarks(0.8, a.landmarks + 3.0, a.world, Roi(205.0, 252.0, 410.0))
    assert same_person(a, b)
    assert not same_person(a, _pose(offset=(250.0, 0.0), seed=1))


def test_a_person_whose_hips_left_the_picture_is_not_in_frame() -> None:
    pose = _pose()
    assert in_frame(pose, 640, 480)
    assert not in_frame(pose, 150, 480)  # hip centre at x=200, outside a 150-wide image
    # Hips just below the bottom edge (an upper-body close-up) still count.
    assert in_frame(pose, 640, 240)
    assert not in_frame(pose, 640, 100)
    hidden = PoseLandmarks(pose.score, pose.landmarks.copy(), pose.world, pose.roi)
    hidden.landmarks[:, 3] = 0.1  # nothing visible
    assert not in_frame(hidden, 640, 480)
