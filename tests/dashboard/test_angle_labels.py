"""Angle labels on the frame (issue 10, defect 9): each on the outside of its own joint
relative to the same joint of the other side, never over another label, smaller on a
small person and left out on a tiny one (the browser player gets the same sides:
tests/dashboard/test_clip_player.py)."""

from __future__ import annotations

import numpy as np

from dashboard.annotate import MIN_LABELLED_PERSON_PX, AngleAnnotator, Pose, TrackIdAnnotator
from dashboard.label_layout import (
    LEFT,
    RIGHT,
    facing_of,
    free_spot,
    label_directions,
    outward,
    overlaps,
)
from dashboard.text import render_label
from dashboard.theme import PALETTE
from estimator.keypoints import KEYPOINT_INDEX
from tests.dashboard.test_annotate import blank, standing_pose

SIX = ("left_knee", "right_knee", "left_hip", "right_hip", "left_elbow", "right_elbow")


def walking_pose(scale: float = 1.0, dx: float = 0.0, dy: float = 0.0) -> np.ndarray:
    """(33, 3) a person seen from the side walking right: hips and shoulders on one
    vertical (the midline), both knees ahead of it, the left one further."""
    kp = standing_pose()
    for side in ("left", "right"):
        for part in ("shoulder", "hip", "elbow", "wrist"):
            kp[KEYPOINT_INDEX[f"{side}_{part}"], 0] = 360
    kp[KEYPOINT_INDEX["left_knee"], :2] = (430, 520)
    kp[KEYPOINT_INDEX["right_knee"], :2] = (385, 525)
    kp[KEYPOINT_INDEX["left_ankle"], :2] = (450, 640)
    kp[KEYPOINT_INDEX["right_ankle"], :2] = (330, 640)
    kp[:, :2] = kp[:, :2] * scale + (dx, dy)
    return kp


def boxes_of(image, people, annotator=None):
    annotator = annotator or AngleAnnotator(names=SIX)
    return {(t, n): r for t, n, r in annotator.label_boxes(image, people)}


def test_knee_labels_sit_outside_their_own_knee_when_both_are_ahead_of_the_midline():
    """The midline rule put both knee labels on the right, the right knee's over the left
    knee (the wrong leg)."""
    pose = Pose(0, walking_pose(), {"left_knee": 40.0, "right_knee": 10.0})
    boxes = boxes_of(blank(), [pose], AngleAnnotator(names=("left_knee", "right_knee")))
    left, right = boxes[(0, "left_knee")], boxes[(0, "right_knee")]
    assert left[0] > 430  # right of the left knee (x 430), which is the front one
    assert right[2] < 385  # left of the right knee (x 385), behind it
    for box, knee_y in ((left, 520), (right, 525)):  # level with their own knee
        assert box[1] < knee_y < box[3]


def test_facing_the_camera_left_labels_go_right_and_a_side_view_keeps_sides_apart():
    kp = standing_pose()
    visible = kp[:, 2] > 0.5
    sides = label_directions(kp, visible, SIX, 560.0)
    assert {n: sides[n] for n in SIX} == {
        "left_knee": RIGHT, "right_knee": LEFT, "left_hip": RIGHT, "right_hip": LEFT,
        "left_elbow": RIGHT, "right_elbow": LEFT}
    # knees on one spot and a side view: left labels left, right labels right
    assert outward("left_knee", 400.0, 400.5, None, 5.0) == LEFT
    assert outward("right_knee", 400.5, 400.0, None, 5.0) == RIGHT
    # the same, facing away from the camera (left on the image's left)
    assert outward("left_knee", 400.0, 400.5, -1.0, 5.0) == LEFT
    assert facing_of([300.0], [420.0], 5.0) == -1.0 and facing_of([360], [361], 5.0) is None
    assert outward("trunk_lean", 360.0, None, 1.0, 5.0) == RIGHT


def test_labels_of_two_people_side_by_side_never_overlap():
    """Two people crossing (bodies 40 px apart), six labels each and their name tags."""
    people = [Pose(0, standing_pose(), dict.fromkeys(SIX, 88.0)),
              Pose(1, walking_pose(dx=40), dict.fromkeys(SIX, 123.0))]
    ids = TrackIdAnnotator()
    placed = AngleAnnotator(names=SIX, track_labels=ids).label_boxes(blank(), people)
    tags = [ids.place(blank(), p)[1] for p in people]
    assert len(placed) >= 8  # most are drawn...
    rects = [r for _, _, r in placed]
    for i, a in enumerate(rects):  # ...and none covers another, nor a name tag
        assert not any(overlaps(a, b) for b in rects[i + 1:] + tags)


def test_a_label_with_no_free_spot_near_its_joint_is_left_out():
    taken = [(0, 0, 100, 400)]
    assert free_spot(10, 150, 60, 20, taken, 720, 720, max_shift=60) is None
    spot = free_spot(10, 150, 60, 20, [(0, 140, 100, 170)], 720, 720, max_shift=60)
    assert spot is not None and not overlaps(spot, (0, 140, 100, 170))
    assert abs(spot[1] - 150) <= 60


def test_a_small_person_gets_small_labels_and_a_tiny_one_none():
    image = blank(1440)
    # 560 px tall at scale 1: a 112-px person (a fifth) and a 45-px one (far away)
    small = Pose(0, standing_pose(0.2, 100, 100), dict.fromkeys(SIX, 90.0))
    tiny = Pose(1, standing_pose(0.08, 900, 900), dict.fromkeys(SIX, 90.0))
    assert MIN_LABELLED_PERSON_PX > 0.08 * 560
    boxes = boxes_of(image, [small, tiny], AngleAnnotator(names=SIX, text_size=21))
    assert not [k for k in boxes if k[0] == 1]  # nothing on the tiny person
    heights = {r[3] - r[1] for k, r in boxes.items() if k[0] == 0}
    full = render_label("L knee 90°", round(21 * 2), PALETTE.left, "#ffffff").height
    assert heights and max(heights) < full / 2  # text at most a ninth of their height
    # and drawing the tiny person changes no pixel
    drawn = AngleAnnotator(names=SIX).annotate(blank(1440), [tiny])
    assert np.array_equal(drawn, blank(1440))
