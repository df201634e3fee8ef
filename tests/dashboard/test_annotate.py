"""Annotators: what a coach sees drawn on a frame, checked pixel by pixel on synthetic poses."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from dashboard.annotate import (
    AngleAnnotator,
    Compose,
    Pose,
    SkeletonAnnotator,
    TrackIdAnnotator,
    angle_anchor,
    angle_short_name,
    poses_from_arrays,
    track_label,
)
from dashboard.text import font, render_label
from dashboard.theme import PALETTE, bgr
from estimator.keypoints import KEYPOINT_INDEX, KEYPOINT_NAMES

GREY = (90, 90, 90)


def standing_pose(scale: float = 1.0, dx: float = 0.0, dy: float = 0.0) -> np.ndarray:
    """(33, 3) a person facing the camera in a 720x720 frame: their left on the image's right."""
    at = {
        "nose": (360, 120), "left_eye_inner": (366, 110), "left_eye": (372, 110),
        "left_eye_outer": (378, 110), "right_eye_inner": (354, 110), "right_eye": (348, 110),
        "right_eye_outer": (342, 110), "left_ear": (388, 118), "right_ear": (332, 118),
        "mouth_left": (370, 135), "mouth_right": (350, 135),
        "left_shoulder": (420, 190), "right_shoulder": (300, 190),
        "left_elbow": (450, 290), "right_elbow": (270, 290),
        "left_wrist": (460, 380), "right_wrist": (260, 380),
        "left_pinky": (466, 400), "right_pinky": (254, 400),
        "left_index": (462, 404), "right_index": (258, 404),
        "left_thumb": (452, 398), "right_thumb": (268, 398),
        "left_hip": (400, 400), "right_hip": (320, 400),
        "left_knee": (400, 520), "right_knee": (320, 520),
        "left_ankle": (400, 640), "right_ankle": (320, 640),
        "left_heel": (395, 660), "right_heel": (325, 660),
        "left_foot_index": (425, 665), "right_foot_index": (295, 665),
    }
    kp = np.zeros((33, 3), np.float32)
    for name, (x, y) in at.items():
        kp[KEYPOINT_INDEX[name]] = (x * scale + dx, y * scale + dy, 0.95)
    return kp


def blank(size: int = 720) -> np.ndarray:
    return np.full((size, size, 3), GREY, np.uint8)


def close_to(pixel: np.ndarray, colour: tuple[int, int, int], tol: int = 12) -> bool:
    return bool(np.all(np.abs(pixel.astype(int) - np.array(colour)) <= tol))


def test_left_bones_take_the_left_colour_right_bones_the_right_and_midline_the_centre():
    image = SkeletonAnnotator().annotate(blank(), [Pose(0, standing_pose())])
    assert close_to(image[460, 400], bgr(PALETTE.left))  # left thigh, hip -> knee
    assert close_to(image[460, 320], bgr(PALETTE.right))  # right thigh
    assert close_to(image[190, 360], bgr(PALETTE.centre))  # shoulder line
    assert close_to(image[400, 360], bgr(PALETTE.centre))  # hip line


def test_joints_are_dots_in_their_side_colour():
    image = SkeletonAnnotator().annotate(blank(), [Pose(0, standing_pose())])
    assert close_to(image[520, 400], bgr(PALETTE.left))
    assert close_to(image[520, 320], bgr(PALETTE.right))


def test_parts_below_the_visibility_threshold_are_not_drawn():
    kp = standing_pose()
    kp[KEYPOINT_INDEX["left_knee"], 2] = 0.2
    image = SkeletonAnnotator(visibility_threshold=0.5).annotate(blank(), [Pose(0, kp)])
    assert close_to(image[460, 400], GREY, tol=0)  # thigh gone
    assert close_to(image[580, 400], GREY, tol=0)  # shank gone
    assert close_to(image[520, 400], GREY, tol=0)  # knee dot gone
    assert close_to(image[460, 320], bgr(PALETTE.right))  # the other leg is still there


def test_missing_keypoints_as_nan_are_skipped_not_drawn_at_the_origin():
    kp = standing_pose()
    kp[KEYPOINT_INDEX["left_ankle"], :2] = np.nan
    image = SkeletonAnnotator().annotate(blank(), [Pose(0, kp)])
    assert close_to(image[0:5, 0:5].reshape(-1, 3)[0], GREY, tol=0)
    assert close_to(image[580, 400], GREY, tol=0)


def _bone_width(image: np.ndarray, row: int, colour: tuple[int, int, int]) -> int:
    line = image[row]
    return int(sum(close_to(px, colour, tol=40) for px in line))


def test_line_width_scales_with_the_image():
    small = SkeletonAnnotator().annotate(blank(720), [Pose(0, standing_pose())])
    large = SkeletonAnnotator().annotate(blank(2160), [Pose(0, standing_pose(scale=3.0))])
    w_small = _bone_width(small, 460, bgr(PALETTE.left))
    w_large = _bone_width(large, 3 * 460, bgr(PALETTE.left))
    assert w_small >= 3
    assert 1.6 <= w_large / w_small <= 3.5


def test_a_small_person_in_a_large_frame_gets_a_thinner_skeleton():
    large = SkeletonAnnotator().annotate(blank(1440), [Pose(0, standing_pose(scale=2.0))])
    tiny = SkeletonAnnotator().annotate(blank(1440), [Pose(0, standing_pose(scale=0.15))])
    assert _bone_width(tiny, round(460 * 0.15), bgr(PALETTE.left)) < _bone_width(
        large, 920, bgr(PALETTE.left)
    )


def test_annotators_draw_in_place_and_return_the_same_image():
    image = blank()
    out = Compose((SkeletonAnnotator(), TrackIdAnnotator())).annotate(
        image, [Pose(3, standing_pose())]
    )
    assert out is image
    assert not np.all(image == GREY)


def test_the_estimators_person_is_accepted_as_is():
    from estimator.types import Person

    person = Person(1, 0.9, np.array([260, 100, 200, 570.0]), standing_pose(), np.zeros((33, 3)))
    image = SkeletonAnnotator().annotate(blank(), [person])
    assert close_to(image[460, 400], bgr(PALETTE.left))


def test_track_label_sits_above_the_head_in_the_tracks_colour():
    image = TrackIdAnnotator().annotate(blank(), [Pose(2, standing_pose())])
    colour = bgr(PALETTE.track(2))
    ys, xs = np.nonzero(np.all(np.abs(image.astype(int) - colour) <= 10, axis=2))
    assert len(ys) > 50
    assert ys.max() < 110  # above the eyes
    assert abs(np.median(xs) - 360) < 20  # centred on the head


def test_track_label_uses_the_athletes_name_when_known():
    assert track_label(0, {0: "Alex"}) == "Alex"
    assert track_label(1, {0: "Alex"}) == "Person 1"
    named = TrackIdAnnotator(names={0: "Alexandra Long-Name"}).annotate(
        blank(), [Pose(0, standing_pose())]
    )
    unnamed = TrackIdAnnotator().annotate(blank(), [Pose(0, standing_pose())])
    colour = bgr(PALETTE.track(0))

    def label_width(img: np.ndarray) -> int:
        xs = np.nonzero(np.all(np.abs(img.astype(int) - colour) <= 10, axis=2))[1]
        return int(xs.max() - xs.min())

    assert label_width(named) > label_width(unnamed)


def test_track_label_stays_inside_the_frame_for_a_head_at_the_top_edge():
    kp = standing_pose(dy=-110)
    image = TrackIdAnnotator().annotate(blank(), [Pose(0, kp)])
    colour = bgr(PALETTE.track(0))
    ys = np.nonzero(np.all(np.abs(image.astype(int) - colour) <= 10, axis=2))[0]
    assert len(ys) > 50 and ys.min() >= 0


def test_angle_labels_are_drawn_beside_their_joint_in_the_sides_colour():
    pose = Pose(0, standing_pose(), {"left_knee": 87.0, "right_knee": 12.0})
    image = AngleAnnotator(names=("left_knee", "right_knee")).annotate(blank(), [pose])
    left = np.all(np.abs(image.astype(int) - bgr(PALETTE.left)) <= 10, axis=2)
    right = np.all(np.abs(image.astype(int) - bgr(PALETTE.right)) <= 10, axis=2)
    ly, lx = np.nonzero(left)
    ry, rx = np.nonzero(right)
    # The subject faces the camera: their left knee is on the image's right, label outward.
    assert lx.min() > 400 and abs(np.median(ly) - 520) < 15
    assert rx.max() < 320 and abs(np.median(ry) - 520) < 15


def test_angles_given_per_track_override_and_missing_values_draw_nothing():
    pose = Pose(0, standing_pose(), {"left_knee": 87.0})
    untouched = AngleAnnotator(names=("left_knee",)).annotate(
        blank(), [pose], angles={0: {"left_knee": float("nan")}}
    )
    assert np.all(untouched == GREY)
    nothing = AngleAnnotator(names=("left_knee",)).annotate(blank(), [Pose(0, standing_pose())])
    assert np.all(nothing == GREY)


def test_a_tiny_negative_angle_reads_0_not_minus_0():
    def drawn(value: float) -> np.ndarray:
        pose = Pose(0, standing_pose(), {"trunk_lean": value})
        return AngleAnnotator(names=("trunk_lean",)).annotate(blank(), [pose])

    assert np.array_equal(drawn(-0.3), drawn(0.2))  # both "0°"
    assert not np.array_equal(drawn(-3.0), drawn(3.0))  # a real sign stays


def test_an_angle_at_an_invisible_joint_is_not_drawn():
    kp = standing_pose()
    kp[KEYPOINT_INDEX["left_knee"], 2] = 0.1
    image = AngleAnnotator(names=("left_knee",)).annotate(blank(), [Pose(0, kp, {"left_knee": 80})])
    assert np.all(image == GREY)


def test_crowded_angle_labels_do_not_overlap():
    kp = standing_pose()
    names = ("left_knee", "left_thigh", "left_shank")
    kp[KEYPOINT_INDEX["left_hip"], :2] = (400, 505)  # squeeze the leg so anchors nearly coincide
    kp[KEYPOINT_INDEX["left_ankle"], :2] = (400, 535)
    annotator = AngleAnnotator(names=names)
    image = annotator.annotate(blank(), [Pose(0, kp, dict.fromkeys(names, 45.0))])
    mask = np.all(np.abs(image.astype(int) - bgr(PALETTE.left)) <= 10, axis=2)
    rows = np.nonzero(mask.any(axis=1))[0]
    one = render_label("L knee 45°", 15, PALETTE.left, "#ffffff").height
    assert rows.max() - rows.min() >= 2.5 * one


def test_angle_names_read_as_short_labels():
    assert angle_short_name("left_knee") == "L knee"
    assert angle_short_name("right_upper_arm") == "R upper arm"
    assert angle_short_name("trunk_lean") == "Trunk lean"
    assert angle_short_name("left_hip_3d") == "L hip 3D"


def test_every_design_angle_has_a_place_on_the_body():
    joints = ("knee", "hip", "ankle", "elbow", "shoulder", "wrist")
    segments = ("thigh", "shank", "upper_arm", "forearm", "foot")
    names = [f"{s}_{p}" for s in ("left", "right") for p in joints + segments]
    names += ["trunk", "pelvis", "shoulders", "trunk_lean"]
    for name in names + [n + "_3d" for n in names]:
        assert set(angle_anchor(name)) <= set(KEYPOINT_NAMES)
    assert angle_anchor("left_knee") == ("left_knee",)
    with pytest.raises(KeyError):
        angle_anchor("nonsense")


def test_the_degree_sign_is_a_real_glyph_not_a_missing_character_box():
    def ink(text: str) -> tuple[int, int, int, int]:
        canvas = Image.new("L", (80, 80), 0)
        ImageDraw.Draw(canvas).text((10, 10), text, fill=255, font=font(40))
        return canvas.getbbox()

    ring, digit = ink("°"), ink("8")
    assert ring[3] - ring[1] < 0.5 * (digit[3] - digit[1])  # small...
    assert ring[1] <= digit[1] + 1 and ring[3] < (digit[1] + digit[3]) / 2  # ...and raised


def test_labels_are_anti_aliased():
    patch = render_label("L knee 87°", 20, PALETTE.left, "#ffffff")
    partial = (patch.alpha > 0.05) & (patch.alpha < 0.95)
    assert partial.sum() > 10  # soft corners
    colours = {tuple(c) for c in patch.colour.reshape(-1, 3)}
    assert len(colours) > 10  # glyph edges blend text and box


def test_poses_from_arrays_checks_shapes():
    people = poses_from_arrays([4, 7], np.stack([standing_pose(), standing_pose(dx=5)]))
    assert [p.track_id for p in people] == [4, 7]
    with pytest.raises(ValueError):
        poses_from_arrays([1], np.zeros((1, 17, 3)))
    with pytest.raises(ValueError):
        poses_from_arrays([1, 2], np.zeros((1, 33, 3)))
