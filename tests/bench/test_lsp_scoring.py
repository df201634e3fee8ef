"""The LSP scoring rules (bench/lsp_scoring.py) on hand-made athletes whose answers are known."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest


def _bench_module(name: str):
    """bench/<name>.py, loaded once (bench/ is not a package; its estimator.py would shadow
    the estimator package on sys.path)."""
    if name not in sys.modules:
        path = Path(__file__).resolve().parents[2] / "bench" / f"{name}.py"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up by name
        spec.loader.exec_module(module)
    return sys.modules[name]


lsp = _bench_module("lsp_scoring")

# An athlete standing upright, facing the camera (so their right is on the image's left).
# Shoulders 12 px apart, hips 12 px apart and 16 px below: each torso diagonal is
# sqrt(12^2 + 16^2) = 20 px, so the torso size is 20 px and 0.2 torso is 4 px.
STANDING = {
    "right_shoulder": (0, 0), "left_shoulder": (12, 0),
    "right_elbow": (0, 10), "left_elbow": (12, 10),
    "right_wrist": (0, 20), "left_wrist": (12, 20),
    "right_hip": (0, 16), "left_hip": (12, 16),
    "right_knee": (0, 30), "left_knee": (12, 30),
    "right_ankle": (0, 44), "left_ankle": (12, 44),
}


def label(points: dict[str, tuple[float, float]] = STANDING,
          unlabelled: tuple[str, ...] = ()) -> lsp.Label:
    xy = np.array([points[name] for name in lsp.LIMB_JOINTS], dtype=float)
    labelled = np.array([name not in unlabelled for name in lsp.LIMB_JOINTS])
    return lsp.Label("im.jpg", 100, 100, "val", xy, labelled)


def blazepose(points: dict[str, tuple[float, float]] = STANDING,
              shift: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """A (33, 3) BlazePose pose with the limb joints at ``points`` moved by ``shift``."""
    pose = np.zeros((33, 3))
    for name, idx in zip(lsp.LIMB_JOINTS, lsp.BLAZEPOSE_INDEX, strict=True):
        pose[idx] = (*np.add(points[name], shift), 0.9)
    return pose


def test_blazepose_index_names_the_same_joints_as_the_labels():
    from estimator.keypoints import KEYPOINT_NAMES

    assert [KEYPOINT_NAMES[i] for i in lsp.BLAZEPOSE_INDEX] == list(lsp.LIMB_JOINTS)


class TestTorsoSize:
    def test_is_the_mean_of_the_two_diagonals(self):
        # Left shoulder moved out to make one diagonal 30 px long: mean of 20 and 30.
        points = {**STANDING, "left_shoulder": (12 + 6.5, 0)}
        points["right_hip"] = (0, 16)
        lab = label(points)
        d1 = math.hypot(18.5, 16)  # left shoulder - right hip
        assert lsp.torso_size(lab.points, lab.labelled) == (pytest.approx((d1 + 20) / 2), False)

    def test_uses_the_one_diagonal_labelled(self):
        lab = label(unlabelled=("left_shoulder",))
        assert lsp.torso_size(lab.points, lab.labelled) == (pytest.approx(20.0), False)

    def test_falls_back_on_same_side_shoulder_to_hip_in_a_side_view(self):
        lab = label(unlabelled=("left_shoulder", "left_hip"))
        assert lsp.torso_size(lab.points, lab.labelled) == (pytest.approx(16.0), True)

    def test_is_missing_without_a_shoulder_and_hip(self):
        lab = label(unlabelled=("left_hip", "right_hip"))
        size, _ = lsp.torso_size(lab.points, lab.labelled)
        assert math.isnan(size)
        assert lsp.score_photo(lab, [blazepose()]) is None


class TestPck:
    def test_a_perfect_prediction_is_all_right(self):
        score = lsp.score_photo(label(), [blazepose()])
        assert score.found and score.correct.all() and score.match_distance == 0

    def test_a_joint_within_a_fifth_of_the_torso_is_right_beyond_it_wrong(self):
        near, far = blazepose(shift=(4.0, 0.0)), blazepose(shift=(0.0, 4.2))
        assert lsp.score_photo(label(), [near]).correct.all()  # exactly 0.2 torso
        score = lsp.score_photo(label(), [far])
        assert score.found and not score.correct.any()

    def test_one_joint_off_counts_one_of_twelve(self):
        pose = blazepose()
        pose[27, :2] += (0, 10)  # left ankle 10 px = 0.5 torso off
        summary = lsp.summarise([lsp.score_photo(label(), [pose])])
        assert summary["pck"] == pytest.approx(11 / 12)
        assert summary["pck_per_joint"]["left_ankle"] == 0
        assert summary["pck_per_joint"]["right_ankle"] == 1

    def test_unlabelled_joints_count_neither_way(self):
        pose = blazepose()
        pose[27, :2] += (0, 10)  # the wrong joint is the unlabelled one
        summary = lsp.summarise([lsp.score_photo(label(unlabelled=("left_ankle",)), [pose])])
        assert summary["pck"] == 1.0
        assert math.isnan(summary["pck_per_joint"]["left_ankle"])

    def test_a_mirrored_reading_is_wrong_where_the_sides_are_apart(self):
        mirrored = {name.replace("left", "L").replace("right", "left").replace("L", "right"): xy
                    for name, xy in STANDING.items()}
        score = lsp.score_photo(label(), [blazepose(mirrored)])
        assert score.found and not score.correct.any()  # sides 12 px = 0.6 torso apart


class TestMatching:
    def test_the_nearest_person_is_the_athlete(self):
        bystander, athlete = blazepose(shift=(40, 0)), blazepose(shift=(1, 1))
        score = lsp.score_photo(label(), [bystander, athlete])
        assert score.found and score.matched == 1 and score.correct.all()

    def test_nobody_within_one_torso_is_not_found_and_every_joint_wrong(self):
        score = lsp.score_photo(label(), [blazepose(shift=(21, 0))])
        assert not score.found and score.matched is None
        assert score.match_distance == pytest.approx(21 / 20)
        summary = lsp.summarise([score, lsp.score_photo(label(), [blazepose()])])
        assert summary["found"] == 0.5 and summary["pck"] == 0.5
        assert summary["knee_n"] == 2  # only the found athlete's two knees

    def test_nobody_predicted_is_not_found(self):
        score = lsp.score_photo(label(), [])
        assert not score.found and not score.correct.any()

    def test_distance_is_over_labelled_joints_only(self):
        pose = blazepose()
        knees_ankles = ("right_ankle", "right_knee", "left_knee", "left_ankle")
        for name in knees_ankles:
            pose[lsp.BLAZEPOSE_INDEX[lsp.JOINT[name]], :2] += (0, 100)  # far off
        legless = label(unlabelled=knees_ankles)
        assert lsp.score_photo(legless, [pose]).match_distance == 0


class TestAngleErrors:
    def test_interior_angle(self):
        assert lsp.interior_angle((0, -1), (0, 0), (0, 1)) == pytest.approx(180)
        assert lsp.interior_angle((0, -1), (0, 0), (1, 0)) == pytest.approx(90)
        assert lsp.interior_angle((1, 1), (0, 0), (1, 1)) == pytest.approx(0)
        assert math.isnan(lsp.interior_angle((0, 0), (0, 0), (1, 0)))

    def test_knee_bent_to_a_right_angle_against_a_straight_label_is_off_by_90(self):
        pose = blazepose()
        pose[27, :2] = (12 + 14, 30)  # left ankle out to the side of the left knee
        score = lsp.score_photo(label(), [pose])
        assert score.angle_errors["left_knee"] == pytest.approx(90)
        assert score.angle_errors["right_knee"] == pytest.approx(0)
        summary = lsp.summarise([score])
        assert summary["knee_median_deg"] == pytest.approx(45)
        assert summary["knee_mean_deg"] == pytest.approx(45)
        assert summary["elbow_median_deg"] == pytest.approx(0)

    def test_an_angle_with_two_points_on_one_pixel_is_left_out(self):
        points = {**STANDING, "left_ankle": STANDING["left_knee"]}  # label: ankle on the knee
        score = lsp.score_photo(label(points), [blazepose()])
        assert "left_knee" not in score.angle_errors and "right_knee" in score.angle_errors

    def test_an_angle_needs_its_three_joints_labelled(self):
        score = lsp.score_photo(label(unlabelled=("right_wrist",)), [blazepose()])
        assert set(score.angle_errors) == {"left_knee", "right_knee", "left_elbow"}


def test_size_bands_are_fixed_pixel_edges_holding_their_low_edge():
    assert lsp.band_names((40, 55)) == ["<40 px", "40-55 px", ">=55 px"]
    assert [lsp.size_band(t, (40, 55)) for t in (10, 40, 54.9, 55, 300)] == [
        "<40 px", "40-55 px", "40-55 px", ">=55 px", ">=55 px"]
    by_size = lsp.summarise_by_size([lsp.score_photo(label(), [blazepose()])], (10, 30))
    assert by_size["10-30 px"]["photos"] == 1 and by_size["<10 px"]["photos"] == 0
    assert math.isnan(by_size["<10 px"]["pck"])
