"""Conversions of the 33 BlazePose keypoints to other tools' schemas, in their canonical orders."""

from __future__ import annotations

import numpy as np
import pytest

from estimator.keypoints import KEYPOINT_INDEX, KEYPOINT_NAMES
from estimator.schemas import SCHEMAS, convert_keypoints, mid_hip, mid_shoulder


def numbered_pose() -> np.ndarray:
    """(33, 3): keypoint i at x = 10 i, y = 1000 + i, visibility 0.5 + i / 100."""
    i = np.arange(33, dtype=float)
    return np.stack([10 * i, 1000 + i, 0.5 + i / 100], axis=-1)


def point(name: str) -> np.ndarray:
    return numbered_pose()[KEYPOINT_INDEX[name]]


def midpoint(a: str, b: str) -> np.ndarray:
    xy = (point(a)[:2] + point(b)[:2]) / 2
    return np.array([*xy, min(point(a)[2], point(b)[2])])


def test_every_schema_has_its_dataset_size() -> None:
    sizes = {name: len(names) for name, names in SCHEMAS.items()}
    assert sizes == {"coco17": 17, "openpose18": 18, "mpii16": 16, "lsp14": 14,
                     "aichallenger14": 14}
    for schema, names in SCHEMAS.items():
        assert convert_keypoints(numbered_pose(), schema).shape == (len(names), 3)


def test_coco17_is_the_coco_order_taken_from_blazepose() -> None:
    coco = convert_keypoints(numbered_pose(), "coco17")
    blazepose_index = [0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28]
    np.testing.assert_array_equal(coco, numbered_pose()[blazepose_index])
    assert SCHEMAS["coco17"][5] == "left_shoulder" and SCHEMAS["coco17"][16] == "right_ankle"


def test_openpose18_order_and_neck() -> None:
    names = SCHEMAS["openpose18"]
    assert names[:5] == ("nose", "neck", "right_shoulder", "right_elbow", "right_wrist")
    assert names[14:] == ("right_eye", "left_eye", "right_ear", "left_ear")
    converted = convert_keypoints(numbered_pose(), "openpose18")
    np.testing.assert_array_equal(converted[1], midpoint("left_shoulder", "right_shoulder"))
    np.testing.assert_array_equal(converted[10], point("right_ankle"))
    np.testing.assert_array_equal(converted[11], point("left_hip"))


def test_mpii16_order_and_derived_points() -> None:
    names = SCHEMAS["mpii16"]
    assert names == ("right_ankle", "right_knee", "right_hip", "left_hip", "left_knee",
                     "left_ankle", "pelvis", "thorax", "upper_neck", "head_top",
                     "right_wrist", "right_elbow", "right_shoulder", "left_shoulder",
                     "left_elbow", "left_wrist")
    mpii = convert_keypoints(numbered_pose(), "mpii16")
    np.testing.assert_array_equal(mpii[0], point("right_ankle"))
    np.testing.assert_array_equal(mpii[15], point("left_wrist"))
    np.testing.assert_array_equal(mpii[6], midpoint("left_hip", "right_hip"))
    np.testing.assert_array_equal(mpii[7], midpoint("left_shoulder", "right_shoulder"))


def test_upper_neck_and_head_top_lie_on_the_neck_line_through_the_ears() -> None:
    """Upright person: shoulders at y=100, ears at y=60 -> upper neck 80, head top 40."""
    pose = np.zeros((33, 3))
    pose[:, 2] = 0.9
    for name, xy in {"left_shoulder": (120, 100), "right_shoulder": (80, 100),
                     "left_ear": (110, 60), "right_ear": (90, 60)}.items():
        pose[KEYPOINT_INDEX[name], :2] = xy
    pose[KEYPOINT_INDEX["left_ear"], 2] = 0.3
    mpii = dict(zip(SCHEMAS["mpii16"], convert_keypoints(pose, "mpii16"), strict=True))
    np.testing.assert_allclose(mpii["upper_neck"], [100, 80, 0.3])
    np.testing.assert_allclose(mpii["head_top"], [100, 40, 0.3])
    # LSP and AI Challenger call the top of the neck "neck"
    for schema in ("lsp14", "aichallenger14"):
        named = dict(zip(SCHEMAS[schema], convert_keypoints(pose, schema), strict=True))
        np.testing.assert_allclose(named["neck"], mpii["upper_neck"])
        np.testing.assert_allclose(named["head_top"], mpii["head_top"])


def test_lsp14_order() -> None:
    assert SCHEMAS["lsp14"] == ("right_ankle", "right_knee", "right_hip", "left_hip",
                                "left_knee", "left_ankle", "right_wrist", "right_elbow",
                                "right_shoulder", "left_shoulder", "left_elbow", "left_wrist",
                                "neck", "head_top")
    lsp = convert_keypoints(numbered_pose(), "lsp14")
    np.testing.assert_array_equal(lsp[6], point("right_wrist"))
    np.testing.assert_array_equal(lsp[9], point("left_shoulder"))


def test_aichallenger14_order() -> None:
    names = SCHEMAS["aichallenger14"]
    assert names[0] == "right_shoulder" and names[3] == "left_shoulder"
    assert names[6] == "right_hip" and names[11] == "left_ankle"
    assert names[12:] == ("head_top", "neck")
    aic = convert_keypoints(numbered_pose(), "aichallenger14")
    np.testing.assert_array_equal(aic[8], point("right_ankle"))
    np.testing.assert_array_equal(aic[9], point("left_hip"))


def test_schema_names_are_blazepose_names_or_documented_derived_points() -> None:
    derived = {"neck", "pelvis", "thorax", "upper_neck", "head_top"}
    for names in SCHEMAS.values():
        assert set(names) <= set(KEYPOINT_NAMES) | derived
        assert len(set(names)) == len(names)


def test_frames_axis_is_kept() -> None:
    clip = np.stack([numbered_pose() + f for f in range(4)])  # (4, 33, 3)
    converted = convert_keypoints(clip, "openpose18")
    assert converted.shape == (4, 18, 3)
    for f in range(4):
        np.testing.assert_array_equal(converted[f], convert_keypoints(clip[f], "openpose18"))
    tracks = np.stack([clip, clip])  # (2, 4, 33, 3): any leading axes
    assert convert_keypoints(tracks, "mpii16").shape == (2, 4, 16, 3)


def test_world_coordinates_average_every_channel() -> None:
    world = np.zeros((33, 3))
    world[KEYPOINT_INDEX["left_hip"]] = [0.1, 0.0, 0.02]
    world[KEYPOINT_INDEX["right_hip"]] = [-0.1, 0.0, -0.04]
    np.testing.assert_allclose(mid_hip(world, visibility=False), [0.0, 0.0, -0.01])
    assert convert_keypoints(world, "mpii16", visibility=False)[6].tolist() == pytest.approx(
        [0.0, 0.0, -0.01])


def test_mid_points() -> None:
    np.testing.assert_array_equal(mid_hip(numbered_pose()), midpoint("left_hip", "right_hip"))
    np.testing.assert_array_equal(mid_shoulder(numbered_pose()),
                                  midpoint("left_shoulder", "right_shoulder"))
    clip = np.stack([numbered_pose()] * 3)
    assert mid_hip(clip).shape == (3, 3)


def test_a_missing_keypoint_only_spoils_the_points_made_from_it() -> None:
    pose = numbered_pose()
    pose[KEYPOINT_INDEX["left_ear"]] = np.nan
    mpii = dict(zip(SCHEMAS["mpii16"], convert_keypoints(pose, "mpii16"), strict=True))
    assert np.isnan(mpii["head_top"]).all() and np.isnan(mpii["upper_neck"]).all()
    assert np.isfinite(mpii["thorax"]).all() and np.isfinite(mpii["pelvis"]).all()


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="unknown schema"):
        convert_keypoints(numbered_pose(), "h36m")
    with pytest.raises(ValueError, match="33"):
        convert_keypoints(np.zeros((17, 3)), "coco17")
