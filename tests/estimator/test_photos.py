"""The photo pipeline's pieces: averaging readings, the mirrored reading, turned searches,
the steadiest reading of a person kept."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from estimator import KEYPOINT_INDEX, PoseEstimator
from estimator.landmarks import PoseLandmarks
from estimator.photos import (
    AGREE_DISTANCE,
    MIRROR_GROUPS,
    PhotoReading,
    average_poses,
    combine_mirrored,
    distinct_people,
    limb_spread,
    unturn,
)
from estimator.roi import Roi

LSPET = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "lspet-dev"


def _pose(offset=(0.0, 0.0), size=400.0, score=0.9, visibility=0.9, seed=0) -> PoseLandmarks:
    rng = np.random.default_rng(seed)
    landmarks = np.zeros((39, 5))
    landmarks[:, :2] = rng.uniform(100, 300, size=(39, 2)) + offset
    landmarks[:, 3] = visibility
    landmarks[:, 4] = 1.0
    world = rng.normal(0, 0.3, size=(33, 3))
    return PoseLandmarks(score, landmarks, world, Roi(200 + offset[0], 250 + offset[1], size))


def test_average_of_two_readings_means_agreeing_landmarks_and_keeps_the_surer_one_else() -> None:
    a = _pose(visibility=0.9)
    b_marks = a.landmarks.copy()
    b_marks[:, :2] += 4.0  # close: averaged
    b_marks[15, :2] += 100.0  # left wrist read far away: not averaged
    b_marks[15, 3] = 0.6  # ... and less sure than a's
    b_marks[16, :2] += 100.0
    b_marks[16, 3] = 0.99  # right wrist far away but surer than a's
    b = PoseLandmarks(0.7, b_marks, a.world + 0.02, a.roi)
    mean = average_poses(a, b)
    np.testing.assert_allclose(mean.landmarks[0, :2], a.landmarks[0, :2] + 2.0)
    np.testing.assert_allclose(mean.landmarks[15], a.landmarks[15])
    np.testing.assert_allclose(mean.landmarks[16], b.landmarks[16])
    np.testing.assert_allclose(mean.world[0], a.world[0] + 0.01)
    np.testing.assert_allclose(mean.world[16], b.world[16])
    assert mean.score == pytest.approx(0.8)


def test_the_mirrored_reading_is_averaged_in_limb_by_limb_and_never_mixed_into_a_limb() -> None:
    plain = _pose(score=0.9)
    close = 0.5 * AGREE_DISTANCE * plain.roi.size  # within the agreement distance
    marks = plain.landmarks.copy()
    marks[:, :2] += close
    left_leg = (23, 25, 27, 29, 31)
    marks[27, :2] += 50.0  # the mirrored reading puts the left ankle elsewhere
    mirrored = PoseLandmarks(0.7, marks, plain.world + 0.1, plain.roi)
    combined = combine_mirrored(plain, mirrored)
    # The right leg and both arms agree: averaged, landmarks and world.
    for i in (24, 26, 28, 11, 15, 16):
        np.testing.assert_allclose(combined.landmarks[i, :2], plain.landmarks[i, :2] + close / 2)
        np.testing.assert_allclose(combined.world[i], plain.world[i] + 0.05)
    # The left leg disagrees on its ankle: the whole leg is the plain reading's.
    for i in left_leg:
        np.testing.assert_allclose(combined.landmarks[i], plain.landmarks[i])
        np.testing.assert_allclose(combined.world[i], plain.world[i])
    assert combined.score == pytest.approx(0.8) and combined.roi == plain.roi
    assert sorted(i for group in MIRROR_GROUPS for i in group) == list(range(35))


@pytest.mark.parametrize(("degrees", "code"), [(90, cv2.ROTATE_90_CLOCKWISE),
                                               (180, cv2.ROTATE_180),
                                               (270, cv2.ROTATE_90_COUNTERCLOCKWISE)])
def test_unturn_maps_pixels_of_the_turned_photo_back_exactly(degrees: int, code: int) -> None:
    width, height = 7, 4
    image = np.zeros((height, width), np.uint8)
    image[1, 5] = 255  # the pixel covering x in [5, 6), y in [1, 2)
    turned = cv2.rotate(image, code)
    row, col = np.argwhere(turned == 255)[0]
    centre = unturn(np.array([col + 0.5, row + 0.5]), degrees, width, height)
    np.testing.assert_allclose(centre, [5.5, 1.5])
    corners = unturn(np.array([[0.0, 0.0], [turned.shape[1], turned.shape[0]]]), degrees,
                     width, height)
    np.testing.assert_allclose(np.sort(corners, axis=0), [[0, 0], [width, height]])


def test_unturn_refuses_other_angles() -> None:
    with pytest.raises(ValueError, match="90, 180 or 270"):
        unturn(np.zeros(2), 45, 10, 10)


def test_of_two_readings_of_one_person_the_steadier_is_kept_even_when_less_confident() -> None:
    steady = _pose(score=0.95)
    garbled = PoseLandmarks(0.99, steady.landmarks.copy(), steady.world, steady.roi)
    garbled.landmarks[[13, 15, 25, 27], :2] += 60.0  # an arm and a leg read elsewhere
    other = _pose(offset=(2000.0, 0.0), score=0.9, seed=1)  # someone else, far away
    readings = [PhotoReading(garbled, 0.08), PhotoReading(steady, 0.01),
                PhotoReading(other, 0.03)]
    assert distinct_people(readings, 4000, 1000) == [1, 2]


def test_people_are_listed_from_the_largest_whatever_their_steadiness() -> None:
    bystander = _pose(size=150.0, seed=2)
    athlete = _pose(offset=(2000.0, 0.0), size=600.0, seed=3)
    readings = [PhotoReading(bystander, 0.01), PhotoReading(athlete, 0.05)]
    assert distinct_people(readings, 4000, 1000) == [1, 0]


def test_the_spread_of_two_readings_is_the_median_limb_distance_over_the_roi_side() -> None:
    a = _pose(size=400.0)
    b_marks = a.landmarks.copy()
    b_marks[:, :2] += (6.0, 8.0)  # every landmark 10 px away
    b_marks[15, :2] += 300.0  # one wrist far: the median does not follow it
    b = PoseLandmarks(a.score, b_marks, a.world, a.roi)
    assert limb_spread(a, b) == pytest.approx(10.0 / 400.0)


@pytest.fixture(scope="module")
def estimator() -> PoseEstimator:
    return PoseEstimator()


@pytest.mark.media
@pytest.mark.parametrize(("degrees", "code"), [(90, cv2.ROTATE_90_CLOCKWISE),
                                               (180, cv2.ROTATE_180)])
def test_a_turned_photo_gives_the_golfer_of_the_upright_one(
    estimator: PoseEstimator, media_dir: Path, degrees: int, code: int
) -> None:
    image = cv2.imread(str(media_dir / "images" / "golf.jpg"))
    height, width = image.shape[:2]
    (upright,) = estimator.estimate_image(image)
    (turned,) = estimator.estimate_image(cv2.rotate(image, code))
    back = unturn(turned.keypoints[:, :2], degrees, width, height)
    limbs = slice(11, 29)  # shoulders to ankles
    distance = np.hypot(*(back[limbs] - upright.keypoints[limbs, :2]).T)
    assert np.median(distance) < 0.01 * upright.bbox[3]


def test_an_athlete_in_a_handstand_is_found_the_right_way_up(estimator: PoseEstimator) -> None:
    """LSP-extended im02199 (train split): a gymnast in a handstand, found only by the search
    of the turned photo. Her ankles are read above her hips, her wrists below."""
    if not (LSPET / "images" / "im02199.jpg").is_file():
        pytest.skip(f"labelled photos not found at {LSPET}")
    record = next(r for r in json.loads((LSPET / "labels.json").read_text())["records"]
                  if r["image"] == "images/im02199.jpg")
    people = estimator.estimate_image(cv2.imread(str(LSPET / record["image"])))
    hips = np.array(record["keypoints"]["left_hip"][:2])
    gymnast = min(people, key=lambda p: np.hypot(
        *(p.keypoints[KEYPOINT_INDEX["left_hip"], :2] - hips)))

    def y(name: str) -> float:
        return float(gymnast.keypoints[KEYPOINT_INDEX[name], 1])

    assert y("left_ankle") < y("left_hip") and y("right_ankle") < y("right_hip")
    assert y("left_wrist") > y("left_shoulder") and y("right_wrist") > y("right_shoulder")
    torso = abs(record["keypoints"]["left_shoulder"][1] - record["keypoints"]["left_hip"][1])
    for name in ("left_ankle", "right_ankle", "left_knee", "right_knee"):
        label = np.array(record["keypoints"][name][:2])
        assert np.hypot(*(gymnast.keypoints[KEYPOINT_INDEX[name], :2] - label)) < 0.5 * torso
