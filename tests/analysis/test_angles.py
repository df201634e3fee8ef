"""Angles: DESIGN.md's convention checked on hand-computed poses and by properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from analysis.angles import (
    ANGLE_NAMES_2D,
    ANGLE_NAMES_3D,
    JOINT_ANGLES,
    SEGMENT_ANGLES,
    compute_angles,
    unwrap_deg,
    wrap_deg,
)
from analysis.errors import AnalysisError
from estimator.keypoints import KEYPOINT_INDEX as K
from tests.analysis.synthetic_poses import squat_poses


def pose(**points: tuple[float, float]) -> np.ndarray:
    """One frame (1, 33, 3), every keypoint visible; unnamed keypoints spread on a
    circle so no segment has zero length; named ones at the given (x, y) pixels."""
    kp = np.ones((1, 33, 3))
    ring = np.radians(np.arange(33) * 360 / 33)
    kp[0, :, 0] = 500 + 300 * np.cos(ring)
    kp[0, :, 1] = 500 + 300 * np.sin(ring)
    for name, (x, y) in points.items():
        kp[0, K[name], :2] = (x, y)
    return kp


def angles_of(kp: np.ndarray) -> pd.Series:
    return compute_angles(kp).iloc[0]


# ---------------------------------------------------------------- joint angles


def test_a_straight_leg_has_zero_knee_flexion() -> None:
    a = angles_of(pose(left_hip=(100, 100), left_knee=(100, 200), left_ankle=(100, 300)))
    assert a["left_knee"] == pytest.approx(0.0, abs=1e-9)


def test_a_right_angle_at_the_knee_is_90() -> None:
    a = angles_of(pose(right_hip=(100, 100), right_knee=(100, 200), right_ankle=(200, 200)))
    assert a["right_knee"] == pytest.approx(90.0)


def test_hip_flexion_is_zero_standing_and_90_with_the_thigh_horizontal() -> None:
    standing = pose(left_shoulder=(100, 0), left_hip=(100, 200), left_knee=(100, 400))
    seated = pose(left_shoulder=(100, 0), left_hip=(100, 200), left_knee=(300, 200))
    assert angles_of(standing)["left_hip"] == pytest.approx(0.0, abs=1e-9)
    assert angles_of(seated)["left_hip"] == pytest.approx(90.0)


def test_ankle_is_zero_at_a_right_angle_positive_in_dorsiflexion() -> None:
    shin = {"left_knee": (100, 0), "left_ankle": (100, 200)}
    neutral = angles_of(pose(**shin, left_foot_index=(160, 200)))["left_ankle"]
    toes_up = angles_of(pose(**shin, left_foot_index=(160, 140)))["left_ankle"]  # 45 deg up
    toes_down = angles_of(pose(**shin, left_foot_index=(160, 260)))["left_ankle"]
    assert neutral == pytest.approx(0.0, abs=1e-9)
    assert toes_up == pytest.approx(45.0)
    assert toes_down == pytest.approx(-45.0)


def test_shoulder_is_zero_with_the_arm_along_the_trunk_90_forward_180_overhead() -> None:
    trunk = {"right_hip": (100, 300), "right_shoulder": (100, 100)}
    along = angles_of(pose(**trunk, right_elbow=(100, 200)))["right_shoulder"]
    forward = angles_of(pose(**trunk, right_elbow=(200, 100)))["right_shoulder"]
    overhead = angles_of(pose(**trunk, right_elbow=(100, 0)))["right_shoulder"]
    assert along == pytest.approx(0.0, abs=1e-9)
    assert forward == pytest.approx(90.0)
    assert overhead == pytest.approx(180.0)


def test_elbow_and_wrist_flexion() -> None:
    a = angles_of(
        pose(
            left_shoulder=(0, 0), left_elbow=(100, 0), left_wrist=(100, -100),
            left_index=(100, -150),
        )
    )
    assert a["left_elbow"] == pytest.approx(90.0)
    assert a["left_wrist"] == pytest.approx(0.0, abs=1e-9)


# ---------------------------------------------------------------- segment angles


def test_segment_angles_are_counter_clockwise_as_seen_with_y_up() -> None:
    a = angles_of(
        pose(
            left_hip=(100, 100), left_knee=(100, 200),  # thigh hangs straight down
            left_ankle=(200, 200),  # shank points right
            left_heel=(300, 300), left_foot_index=(200, 200),  # foot points up-left
            right_elbow=(100, 100), right_wrist=(0, 100),  # forearm points left
        )
    )
    assert a["left_thigh"] == pytest.approx(-90.0)
    assert a["left_shank"] == pytest.approx(0.0, abs=1e-9)
    assert a["left_foot"] == pytest.approx(135.0)
    assert a["right_forearm"] == pytest.approx(180.0)  # (-180, 180]: never -180


def test_a_vertical_trunk_is_90_with_zero_lean() -> None:
    a = angles_of(
        pose(left_hip=(110, 300), right_hip=(90, 300),
             left_shoulder=(110, 100), right_shoulder=(90, 100))
    )
    assert a["trunk"] == pytest.approx(90.0)
    assert a["trunk_lean"] == pytest.approx(0.0, abs=1e-9)
    assert a["pelvis"] == pytest.approx(0.0, abs=1e-9)  # right_hip -> left_hip points right
    assert a["shoulders"] == pytest.approx(0.0, abs=1e-9)


def test_trunk_lean_reads_the_same_facing_left_or_right() -> None:
    right = pose(left_hip=(500, 300), right_hip=(500, 300),
                 left_shoulder=(600, 200), right_shoulder=(600, 200))  # leans 45 deg right
    left = pose(left_hip=(500, 300), right_hip=(500, 300),
                left_shoulder=(400, 200), right_shoulder=(400, 200))  # the mirror image
    a, b = angles_of(right), angles_of(left)
    assert a["trunk_lean"] == pytest.approx(45.0)
    assert b["trunk_lean"] == pytest.approx(45.0)
    assert a["trunk"] == pytest.approx(45.0)
    assert b["trunk"] == pytest.approx(135.0)


def test_a_mirrored_pose_gives_equal_left_and_right_joint_angles() -> None:
    left = {"hip": (560, 500), "knee": (600, 650), "ankle": (580, 800), "foot_index": (640, 820),
            "shoulder": (570, 250), "elbow": (680, 330), "wrist": (700, 200),
            "index": (720, 170), "heel": (570, 810)}
    pts = {}
    for name, (x, y) in left.items():
        pts[f"left_{name}"] = (x, y)
        pts[f"right_{name}"] = (1000 - x, y)  # mirrored about x = 500
    a = angles_of(pose(**pts))
    for joint in ("knee", "hip", "ankle", "elbow", "shoulder", "wrist"):
        assert a[f"left_{joint}"] == pytest.approx(a[f"right_{joint}"])
    assert a["left_knee"] > 10  # a real bend, not a trivial zero


# ---------------------------------------------------------------- missing values


def test_an_invisible_keypoint_makes_every_angle_using_it_missing() -> None:
    kp = pose()
    kp[0, K["left_knee"], 2] = 0.3
    a = angles_of(kp)
    for name in ("left_knee", "left_hip", "left_thigh", "left_shank"):
        assert np.isnan(a[name]), name
    for name in ("right_knee", "left_elbow", "trunk", "left_foot"):
        assert np.isfinite(a[name]), name


def test_nan_visibility_or_coordinates_count_as_not_visible() -> None:
    kp = pose()
    kp[0, K["right_elbow"], 2] = np.nan
    kp[0, K["left_wrist"], 0] = np.nan
    a = angles_of(kp)
    assert np.isnan(a["right_elbow"]) and np.isnan(a["right_shoulder"])
    assert np.isnan(a["left_elbow"]) and np.isnan(a["left_forearm"])
    assert np.isfinite(a["right_knee"])


def test_a_mid_point_needs_both_of_its_keypoints() -> None:
    kp = pose()
    kp[0, K["right_hip"], 2] = 0.0
    a = angles_of(kp)
    assert np.isnan(a["trunk"]) and np.isnan(a["trunk_lean"]) and np.isnan(a["pelvis"])


def test_the_visibility_threshold_is_a_parameter() -> None:
    kp = pose()
    kp[0, :, 2] = 0.6
    assert compute_angles(kp).notna().all(axis=None)
    assert compute_angles(kp, visibility_threshold=0.7).isna().all(axis=None)


def test_a_zero_length_segment_gives_no_angle() -> None:
    a = angles_of(pose(left_knee=(100, 100), left_ankle=(100, 100)))
    assert np.isnan(a["left_knee"]) and np.isnan(a["left_shank"])


def test_a_person_missing_from_a_frame_gives_a_row_of_nan() -> None:
    kp = np.concatenate([pose(), np.full((1, 33, 3), np.nan), pose()])
    df = compute_angles(kp, world=np.concatenate([pose(), pose(), pose()]))
    assert df.iloc[1].isna().all()
    assert df.iloc[[0, 2]].notna().all(axis=None)


# ---------------------------------------------------------------- frame layout


def test_columns_and_index_are_stable_and_documented() -> None:
    kp = np.repeat(pose(), 4, axis=0)
    two_d = compute_angles(kp)
    both = compute_angles(kp, world=kp.copy())
    assert list(two_d.columns) == list(ANGLE_NAMES_2D)
    assert list(both.columns) == [*ANGLE_NAMES_2D, *ANGLE_NAMES_3D]
    assert two_d.index.equals(pd.RangeIndex(4, name="frame"))
    assert ANGLE_NAMES_2D[:4] == ("left_knee", "right_knee", "left_hip", "right_hip")
    assert len(JOINT_ANGLES) == 12 and len(SEGMENT_ANGLES) == 13
    assert ANGLE_NAMES_3D[-1] == "trunk_lean_3d"
    assert all(n.endswith("_3d") for n in ANGLE_NAMES_3D)


def test_wrong_shapes_are_refused_with_a_clear_error() -> None:
    with pytest.raises(AnalysisError, match="frames, 33, 3"):
        compute_angles(np.zeros((10, 17, 3)))
    with pytest.raises(AnalysisError, match="world has 2 frames"):
        compute_angles(np.repeat(pose(), 3, axis=0), world=np.zeros((2, 33, 3)))


def test_3d_angles_see_through_foreshortening() -> None:
    """A knee bent 90 degrees towards the camera looks straight in 2D, not in 3D."""
    kp = pose(left_hip=(100, 100), left_knee=(100, 200), left_ankle=(100, 300))
    world = np.zeros((1, 33, 3))
    world[0, :, 0] = np.arange(33) * 0.01  # no zero-length segments elsewhere
    world[0, K["left_hip"]] = (0.0, 0.0, 0.0)
    world[0, K["left_knee"]] = (0.0, 0.4, 0.0)
    world[0, K["left_ankle"]] = (0.0, 0.4, -0.4)  # shank pointing at the camera
    a = compute_angles(kp, world).iloc[0]
    assert a["left_knee"] == pytest.approx(0.0, abs=1e-9)
    assert a["left_knee_3d"] == pytest.approx(90.0)


def test_trunk_lean_3d_sees_a_lean_towards_the_camera() -> None:
    world = np.zeros((1, 33, 3))
    world[0, :, 0] = np.arange(33) * 0.01
    for side, x in (("left", 0.1), ("right", -0.1)):
        world[0, K[f"{side}_hip"]] = (x, 0.0, 0.0)
        world[0, K[f"{side}_shoulder"]] = (x, -0.5, -0.5)  # up and towards the camera
    a = compute_angles(pose(), world).iloc[0]
    assert a["trunk_lean_3d"] == pytest.approx(45.0)


def test_synthetic_squat_2d_angles_match_their_construction() -> None:
    knee = np.array([0.0, 30.0, 60.0, 90.0, 120.0])
    kp, world = squat_poses(knee)
    df = compute_angles(kp, world)
    np.testing.assert_allclose(df["left_knee"], knee, atol=1e-9)
    np.testing.assert_allclose(df["right_knee_3d"], knee, atol=1e-9)
    np.testing.assert_allclose(df["left_ankle"], 0.35 * knee, atol=1e-9)
    np.testing.assert_allclose(df["trunk_lean"], 0.6 * 0.65 * knee, atol=1e-9)


# ---------------------------------------------------------------- circular helpers


def test_wrap_and_unwrap_degrees() -> None:
    np.testing.assert_allclose(wrap_deg(np.array([-180.0, 180.0, 190.0, -190.0, 540.0])),
                               [180.0, 180.0, -170.0, 170.0, 180.0])
    x = np.array([170.0, 179.0, np.nan, -179.0, -170.0])
    np.testing.assert_allclose(unwrap_deg(x), [170.0, 179.0, np.nan, 181.0, 190.0])




# ---------------------------------------------------------------- properties

def _spread_pose(order: list[int], offsets: list[tuple[float, float]]) -> np.ndarray:
    """33 keypoints on a ring of radius 400 px in a random order (so any keypoint may
    sit next to any other), each nudged by up to 25 px: every angle can come out, and
    no two points (nor the hip and shoulder midpoints) come closer than ~25 px."""
    ring = np.radians(np.array(order) * 360 / 33)
    kp = np.ones((1, 33, 3))
    kp[0, :, 0] = 500 + 400 * np.cos(ring) + np.array([o[0] for o in offsets])
    kp[0, :, 1] = 500 + 400 * np.sin(ring) + np.array([o[1] for o in offsets])
    return kp


nudge = st.floats(min_value=-25.0, max_value=25.0, allow_nan=False)
random_pose = st.builds(
    _spread_pose,
    st.permutations(list(range(33))),
    st.lists(st.tuples(nudge, nudge), min_size=33, max_size=33),
)


def _well_spread(kp: np.ndarray) -> bool:
    """The hip and shoulder midpoints apart (they may land close on the ring)."""
    p = kp[0, :, :2]
    mid_hip = 0.5 * (p[K["left_hip"]] + p[K["right_hip"]])
    mid_shoulder = 0.5 * (p[K["left_shoulder"]] + p[K["right_shoulder"]])
    return bool(np.linalg.norm(mid_hip - mid_shoulder) > 5)


def _turn(kp: np.ndarray, theta_deg: float, s: float, tx: float, ty: float) -> np.ndarray:
    """Rotate by theta counter-clockwise *as seen* (image y points down), scale, translate."""
    th = np.radians(theta_deg)
    x, up = kp[..., 0], -kp[..., 1]
    out = kp.copy()
    out[..., 0] = s * (x * np.cos(th) - up * np.sin(th)) + tx
    out[..., 1] = -(s * (x * np.sin(th) + up * np.cos(th))) + ty
    return out


@settings(max_examples=60, deadline=None)
@given(
    random_pose,
    st.floats(-180, 180),
    st.floats(0.1, 10.0),
    st.floats(-2000, 2000),
    st.floats(-2000, 2000),
)
def test_joint_angles_ignore_translation_rotation_and_scale(kp, theta, s, tx, ty) -> None:
    assume(_well_spread(kp))
    before = compute_angles(kp)
    after = compute_angles(_turn(kp, theta, s, tx, ty))
    names = list(JOINT_ANGLES)
    np.testing.assert_allclose(after[names], before[names], atol=1e-6)


@settings(max_examples=60, deadline=None)
@given(random_pose, st.floats(-180, 180), st.floats(0.1, 10.0))
def test_segment_angles_turn_with_the_pose(kp, theta, s) -> None:
    assume(_well_spread(kp))
    before = compute_angles(kp)[list(SEGMENT_ANGLES)].to_numpy()
    after = compute_angles(_turn(kp, theta, s, 50.0, -30.0))[list(SEGMENT_ANGLES)].to_numpy()
    seen = ~np.isnan(before)  # segments seen end-on are so whatever the turn and scale
    np.testing.assert_array_equal(np.isnan(after), ~seen)
    np.testing.assert_allclose(wrap_deg(after[seen] - before[seen] - theta), 0.0, atol=1e-6)
    assert ((after[seen] > -180) & (after[seen] <= 180)).all()


@settings(max_examples=60, deadline=None)
@given(random_pose, st.floats(100, 2000), st.floats(-3.0, 3.0))
def test_2d_equals_3d_for_a_pose_in_the_image_plane(kp, px_per_m, depth) -> None:
    assume(_well_spread(kp))
    world = np.empty_like(kp)
    world[..., :2] = (kp[..., :2] - 500.0) / px_per_m
    world[..., 2] = depth
    df = compute_angles(kp, world)
    two = list(JOINT_ANGLES) + ["trunk_lean"]
    three = [f"{n}_3d" for n in two]
    np.testing.assert_allclose(df[three].to_numpy(), df[two].to_numpy(), atol=1e-6)


def test_a_misread_frame_is_a_spike_that_comes_back_not_an_extra_turn() -> None:
    """The pelvis read backwards for one frame (left and right swapped): 3 -> -177.4 is
    a step of 180.4, which plain unwrapping takes as +179.6, and the step back as +179:
    a whole turn gained for the rest of the clip. It comes back instead."""
    x = np.array([3.0, 2.0, 3.0, -177.4, 2.0, 1.0, 3.0])
    assert np.ptp(np.unwrap(x, period=360.0)) > 350.0  # what plain unwrapping does
    u = unwrap_deg(x)
    np.testing.assert_allclose(u[[0, 1, 2, 4, 5, 6]], x[[0, 1, 2, 4, 5, 6]])
    assert abs(u[3] - 3.0) == pytest.approx(179.6)


def test_a_somersault_keeps_its_turn() -> None:
    """A trunk turning 40 degrees a frame (a somersault at 30 fps) once round, and a
    little more: the continuous signal goes the whole way."""
    turning = 90.0 - 40.0 * np.arange(12)
    u = unwrap_deg(wrap_deg(turning))
    np.testing.assert_allclose(u, turning)


def test_across_a_gap_a_large_step_is_taken_as_the_shorter_turn() -> None:
    x = np.array([170.0, 175.0, np.nan, np.nan, -30.0, -20.0])
    np.testing.assert_allclose(unwrap_deg(x), [170.0, 175.0, np.nan, np.nan, 330.0, 340.0])


def test_a_segment_seen_end_on_has_no_direction() -> None:
    """Someone walking past the camera: the hips 4 px apart in the image, the trunk
    300 px long. The pelvis's direction would be pixel noise, so it is missing; the
    shoulders, 40 px apart (more than a tenth of the trunk), and the thigh are not."""
    kp = pose(left_hip=(502.0, 600.0), right_hip=(498.0, 600.0),
              left_shoulder=(520.0, 300.0), right_shoulder=(480.0, 300.0),
              left_knee=(560.0, 780.0))
    df = compute_angles(kp)
    assert np.isnan(df.loc[0, "pelvis"])
    assert df.loc[0, "shoulders"] == pytest.approx(0.0)
    assert df.loc[0, "left_thigh"] == pytest.approx(np.degrees(np.arctan2(-180.0, 58.0)))
