"""MoveNet MultiPose as the photos' second person finder: its people, the ROI seeds made
from them, and an athlete only it finds."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from estimator import KEYPOINT_INDEX, PoseEstimator
from estimator.movenet import MoveNetFinder, MoveNetPerson, seed_detection
from estimator.photos import detect_people, movenet_people
from estimator.roi import roi_from_detection

LSPET = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "lspet-dev"


@pytest.fixture(scope="module")
def finder() -> MoveNetFinder:
    return MoveNetFinder()


@pytest.mark.media
def test_the_three_dancers_are_found_with_their_keypoints_inside_the_picture(
    finder: MoveNetFinder, media_dir: Path
) -> None:
    image = cv2.imread(str(media_dir / "images" / "dance.png"))
    height, width = image.shape[:2]
    people = [p for p in finder(image) if p.score >= 0.3]
    assert len(people) == 3
    for person in people:
        assert person.keypoints.shape == (17, 3)
        confident = person.keypoints[person.keypoints[:, 2] > 0.3, :2]
        assert ((confident >= 0) & (confident <= (width, height))).all()
    # Three different people: their hip centres are apart by more than a trunk.
    hips = np.array([p.keypoints[[11, 12], :2].mean(axis=0) for p in people])
    trunk = np.hypot(*(people[0].keypoints[5, :2] - people[0].keypoints[11, :2]))
    gaps = [np.hypot(*(hips[i] - hips[j])) for i in range(3) for j in range(i + 1, 3)]
    assert min(gaps) > trunk


@pytest.mark.media
def test_a_seed_roi_is_upright_for_a_standing_person_and_holds_all_their_keypoints(
    finder: MoveNetFinder, media_dir: Path
) -> None:
    image = cv2.imread(str(media_dir / "images" / "golf.jpg"))
    (golfer, *_) = finder(image)
    roi = roi_from_detection(seed_detection(golfer).keypoints)
    assert abs(roi.rotation) < np.radians(25)
    inside = roi.from_image(golfer.keypoints[golfer.keypoints[:, 2] > 0.3, :2])
    assert ((inside > 0) & (inside < 1)).all()


def test_a_seed_points_from_the_hips_towards_the_shoulders_at_the_bodys_reach() -> None:
    keypoints = np.zeros((17, 3))  # unseen (score 0) unless set below
    keypoints[[0, 5, 6, 11, 12, 15, 16], 2] = 0.9
    keypoints[[5, 6], :2] = [[90, 100], [110, 100]]  # shoulders
    keypoints[[11, 12], :2] = [[90, 200], [110, 200]]  # hips
    keypoints[[15, 16], :2] = [[100, 400], [100, 400]]  # ankles, the farthest from the hips
    keypoints[0, :2] = [100, 60]
    seed = seed_detection(MoveNetPerson(0.8, keypoints))
    np.testing.assert_allclose(seed.keypoints[0], [100, 200])
    np.testing.assert_allclose(seed.keypoints[1], [100, 0], atol=1e-9)  # 200 px up, the reach
    keypoints[[5, 6, 11, 12], :2] = 50.0  # hips on the shoulders: no direction
    assert seed_detection(MoveNetPerson(0.8, keypoints)) is None


def test_a_parkour_athlete_the_face_detector_misses_is_found_through_movenet() -> None:
    """LSP-extended im05885 (train split): an athlete in mid-air seen from behind, face
    hidden. BlazePose's detector finds nobody, upright or turned; MoveNet finds him, and
    the landmark model reads him from its ROI."""
    if not (LSPET / "images" / "im05885.jpg").is_file():
        pytest.skip(f"labelled photos not found at {LSPET}")
    record = next(r for r in json.loads((LSPET / "labels.json").read_text())["records"]
                  if r["image"] == "images/im05885.jpg")
    image = cv2.imread(str(LSPET / record["image"]))
    estimator = PoseEstimator()
    try:
        assert detect_people(estimator, image) == ([], [])
        (athlete,) = estimator.estimate_image(image)
    finally:
        estimator.close()
    labels = record["keypoints"]
    torso = 0.5 * sum(np.hypot(*np.subtract(labels[f"{a}_shoulder"][:2], labels[f"{b}_hip"][:2]))
                      for a, b in (("left", "right"), ("right", "left")))
    limbs = ["shoulder", "elbow", "wrist", "hip", "knee", "ankle"]
    errors = [np.hypot(*(athlete.keypoints[KEYPOINT_INDEX[f"{side}_{j}"], :2]
                         - labels[f"{side}_{j}"][:2]))
              for side in ("left", "right") for j in limbs]
    # Labels are crowd-sourced (a few pixels off); a garbled reading is off by a torso.
    assert max(errors) < 0.35 * torso and np.median(errors) < 0.15 * torso


@pytest.mark.media
def test_an_upside_down_golfer_is_also_searched_the_right_way_up(media_dir: Path) -> None:
    image = cv2.rotate(cv2.imread(str(media_dir / "images" / "golf.jpg")), cv2.ROTATE_180)
    estimator = PoseEstimator()
    try:
        people = movenet_people(estimator, image)
    finally:
        estimator.close()
    # The turned search read him upright; back in this photo's pixels he stands on his head:
    # nose below the hips, ankles above them, all inside the picture.
    confident = [p for p in people if p.score >= 0.5]
    assert confident
    height, width = image.shape[:2]
    assert any(p.keypoints[0, 1] > p.keypoints[[11, 12], 1].max() > p.keypoints[[15, 16], 1].max()
               and ((p.keypoints[:, :2] >= 0) & (p.keypoints[:, :2] <= (width, height))).all()
               for p in confident)
