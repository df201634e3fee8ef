"""The Live page's trust checks (issue 12: "a warning when the athlete is not fully in
the picture or the light is too low for a confident reading"): on real frames read by
the real estimator, and on keypoints placed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.live_checks import PARTS, mean_luma, parts_out_of_picture, too_dark
from estimator import PoseEstimator, iter_frames
from estimator.keypoints import KEYPOINT_INDEX, NUM_KEYPOINTS

W, H = 640, 480


def standing(x: float = 320.0, top: float = 60.0, bottom: float = 420.0) -> np.ndarray:
    """(33, 3) a person standing upright between ``top`` and ``bottom``, all seen."""
    kp = np.zeros((NUM_KEYPOINTS, 3))
    kp[:, 0], kp[:, 1], kp[:, 2] = x, (top + bottom) / 2, 0.95
    heights = {"nose": 0.0, "left_shoulder": 0.2, "right_shoulder": 0.2, "left_hip": 0.5,
               "right_hip": 0.5, "left_knee": 0.75, "right_knee": 0.75, "left_ankle": 1.0,
               "right_ankle": 1.0}
    for name, share in heights.items():
        kp[KEYPOINT_INDEX[name], 1] = top + share * (bottom - top)
        kp[KEYPOINT_INDEX[name], 0] = x + (-15 if name.startswith("left") else 15)
    return kp


def test_a_person_fully_in_the_picture_misses_nothing():
    assert parts_out_of_picture(standing(), W, H) == []


def test_feet_below_the_bottom_edge_are_named():
    kp = standing(top=120, bottom=520)  # ankles at y = 520 > 480
    assert parts_out_of_picture(kp, W, H) == ["feet"]


def test_a_keypoint_on_the_edge_counts_as_cut_off():
    kp = standing()
    kp[KEYPOINT_INDEX["nose"], 1] = 1.0  # within 1 % of the short side of the top edge
    assert parts_out_of_picture(kp, W, H) == ["head"]


def test_unsure_or_unknown_keypoints_count_as_not_seen_and_each_part_is_named_once():
    kp = standing()
    kp[KEYPOINT_INDEX["left_knee"], 2] = 0.2
    kp[KEYPOINT_INDEX["right_knee"], 2] = 0.1
    kp[KEYPOINT_INDEX["right_hip"], 2] = np.nan
    assert parts_out_of_picture(kp, W, H) == ["hips", "knees"]
    assert set(parts_out_of_picture(np.zeros((NUM_KEYPOINTS, 3)), W, H)) == set(PARTS)


def test_luma_follows_the_picture_and_a_dim_gym_is_too_dark():
    grey = np.full((H, W, 3), 128, np.uint8)
    assert mean_luma(grey) == pytest.approx(128.0)
    assert mean_luma(np.zeros((H, W, 3), np.uint8)) == 0.0
    blue, red = np.zeros((H, W, 3), np.uint8), np.zeros((H, W, 3), np.uint8)
    blue[..., 0], red[..., 2] = 255, 255
    assert mean_luma(blue) < mean_luma(red)  # BT.601: blue weighs least (BGR order kept)
    assert not too_dark(grey)
    assert too_dark(np.full((H, W, 3), 30, np.uint8))


@pytest.mark.media
def test_on_the_real_clip_the_framed_athlete_passes_and_a_cropped_one_or_dark_frame_warns(
        parkour_clip):
    frame = next(f.image for f in iter_frames(parkour_clip) if f.index == 40)
    estimator = PoseEstimator(max_people=2)
    try:
        # The man on the rooftop box, left of the woman (whose feet touch the bottom edge).
        person = min(estimator.estimate_image(frame), key=lambda p: p.bbox[0])
        height, width = frame.shape[:2]
        assert "feet" not in parts_out_of_picture(person.keypoints, width, height)
        feet_y = max(person.keypoints[KEYPOINT_INDEX[n], 1] for n in ("left_ankle", "right_ankle"))
        knee_y = max(person.keypoints[KEYPOINT_INDEX[n], 1] for n in ("left_knee", "right_knee"))
        cut = frame[: int((feet_y + knee_y) / 2)]  # the picture ends between knees and feet
        cropped = min(estimator.estimate_image(cut), key=lambda p: p.bbox[0])
        assert "feet" in parts_out_of_picture(cropped.keypoints, cut.shape[1], cut.shape[0])
    finally:
        estimator.close()
    assert not too_dark(frame)
    assert too_dark((frame * 0.15).astype(np.uint8))
