"""People in one photo: two person finders, refined landmark passes, the steadiest reading kept.

:meth:`estimator.pipeline.PoseEstimator.estimate_image` calls :func:`estimate_photo`.

1. Candidates. BlazePose's detector runs on the whole image and on
   overlapping square tiles of it at two or three zooms, so small people are
   found too; the same person found at several zooms is kept once. It also
   runs on the whole image turned by 90, 180 and 270 degrees: trained mostly
   on upright people, it misses many who are upside down or lying
   (handstands, flips, vaults). MoveNet MultiPose (:mod:`estimator.movenet`),
   which finds people by their body rather than their face, adds its people,
   found in the photo as it is and turned upside down.
   When all this finds nobody, the detector looks again accepting weaker
   detections (:data:`WEAK_DETECTION_SCORE`); the landmark model's presence
   score still decides who is a person.
2. Each candidate gives a rotated ROI; the landmark model runs on it.
3. Refinement: the landmark model runs again on the ROI built from its own
   first-pass auxiliary landmarks, which fits the person better than the
   finder's guess, and once more on the ROI from that second pass; the
   result is the mean of the second and third readings (readings from
   slightly different ROIs err differently), and then, limb by limb, the mean
   with a reading of the third ROI mirrored left to right (test-time
   flipping, see :func:`combine_mirrored`). Large ROIs are shrunk by a
   Gaussian pyramid before the crop's warp (no aliasing on big photos).
4. Choice. The same person is usually read from several candidates, and
   some of those readings are garbled (a tuck read as a stance, limbs read
   on the wrong body). The landmark model's presence score is near 1 for
   both, so it cannot tell them apart; how much the reading moves between
   the refinement passes and under mirroring can (:attr:`PhotoReading.spread`):
   a reading that holds still is kept, the others of the same person are
   dropped, as are a much smaller reading of a part of someone inside their
   box and a garbled second reading inside a confident person's box. The
   ``max_people`` largest confident people (the landmark model's ROI, which
   spans the whole body; less confident readings after them) are kept, ids
   0, 1, ... in that order: in a sports photo the athlete is usually the one
   in front, and bystanders are smaller.
5. Each kept person's landmarks are averaged over more views of them and a
   second model's reading (:mod:`estimator.photo_ensemble`).

Measured on labelled sports photos by ``bench/accuracy.py`` (see
``bench/README.md``): each step is kept because it raised the share of
athletes found or the PCK there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np

from estimator.detector import Detection, PoseDetector, inside_tile, merge_detections, tile_regions
from estimator.geometry import box_inside, box_iou, person_box, remove_duplicates
from estimator.landmarks import NUM_BODY, LandmarkModel, PoseLandmarks
from estimator.movenet import MoveNetPerson, seed_detection
from estimator.photo_ensemble import final_reading
from estimator.roi import roi_from_auxiliary, roi_from_detection
from estimator.types import Person

if TYPE_CHECKING:
    from estimator.pipeline import PoseEstimator

#: A pose less confident than this, mostly inside a more confident person's box, is a
#: second, garbled reading of that person and is dropped.
CONFIDENT_PRESENCE = 0.8
#: A pose whose ROI is less than this fraction of another's, with its box mostly inside the
#: other's box, reads a part of that person (an arm, a leg) and is dropped.
FRAGMENT_SIZE = 0.6
#: Two people's boxes never overlap this much; the less confident is dropped.
SAME_BOX_IOU = 0.7
#: Two readings of a landmark farther apart than this fraction of the ROI side are not
#: averaged.
AGREE_DISTANCE = 0.05
#: At most this many detections (best first) get landmark passes, upright and turned each.
MAX_CANDIDATES = 12
#: The photo is also searched turned clockwise by these angles (degrees).
TURNS = (90, 180, 270)
_ROTATE = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
#: Detector score accepted when nobody was found at the detector's own threshold.
WEAK_DETECTION_SCORE = 0.3
#: At most this many MoveNet people (upright search first, each best first) are candidates.
MAX_MOVENET_CANDIDATES = 6
#: MoveNet also searches the photo turned by these angles (degrees, clockwise): like
#: BlazePose's detector, it finds few people upside down (flips, handstands).
MOVENET_TURNS = (180,)
#: BlazePose's 12 limb landmarks (shoulders, elbows, wrists, hips, knees, ankles): the
#: steadiness of a reading is judged on them.
LIMB_LANDMARKS = (11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28)
#: Spread given to a reading whose refinement stopped early (a later pass found no
#: person): worse than any reading that went through all passes.
UNREFINED_SPREAD = 1.0
#: Landmarks judged together when a reading is combined with its mirrored reading: each
#: arm (shoulder to fingers), each leg (hip to toes), the face, the auxiliary points.
MIRROR_GROUPS = (
    (11, 13, 15, 17, 19, 21), (12, 14, 16, 18, 20, 22),
    (23, 25, 27, 29, 31), (24, 26, 28, 30, 32),
    tuple(range(11)), (33,), (34,),
)


def average_poses(a: PoseLandmarks, b: PoseLandmarks) -> PoseLandmarks:
    """The mean of two readings of one person (landmarks, world, score).

    Readings from slightly different ROIs err differently; their mean is
    steadier than either. A landmark the two readings put far apart (more
    than :data:`AGREE_DISTANCE` of the ROI side: a limb read on the other
    side, say) is not averaged: the reading more sure of it (visibility) is
    kept. The second reading's ROI is kept.
    """
    landmarks = 0.5 * (a.landmarks + b.landmarks)
    world = 0.5 * (a.world + b.world)
    apart = np.hypot(*(a.landmarks[:, :2] - b.landmarks[:, :2]).T) > AGREE_DISTANCE * b.roi.size
    if apart.any():
        pick_a = apart & (a.landmarks[:, 3] > b.landmarks[:, 3])
        pick_b = apart & ~pick_a
        landmarks[pick_a] = a.landmarks[pick_a]
        landmarks[pick_b] = b.landmarks[pick_b]
        world[pick_a[:NUM_BODY]] = a.world[pick_a[:NUM_BODY]]
        world[pick_b[:NUM_BODY]] = b.world[pick_b[:NUM_BODY]]
    return PoseLandmarks(0.5 * (a.score + b.score), landmarks, world, b.roi)


def combine_mirrored(plain: PoseLandmarks, mirrored: PoseLandmarks) -> PoseLandmarks:
    """A reading combined with the mirrored reading of the same ROI, limb by limb.

    Each group of :data:`MIRROR_GROUPS` (an arm, a leg, the face) is the mean
    of the two readings when they agree on every landmark of it (within
    :data:`AGREE_DISTANCE` of the ROI side); otherwise the plain reading's
    group is kept whole, so a limb the mirrored reading puts elsewhere (on
    the other side of the body) never mixes with the plain one, which would
    bend the limb. The score is the mean; the plain reading's ROI is kept.
    """
    landmarks, world = plain.landmarks.copy(), plain.world.copy()
    agree = (np.hypot(*(plain.landmarks[:, :2] - mirrored.landmarks[:, :2]).T)
             <= AGREE_DISTANCE * plain.roi.size)
    for group in MIRROR_GROUPS:
        if agree[list(group)].all():
            landmarks[list(group)] = 0.5 * (plain.landmarks[list(group)]
                                             + mirrored.landmarks[list(group)])
            body = [i for i in group if i < NUM_BODY]
            world[body] = 0.5 * (plain.world[body] + mirrored.world[body])
    return PoseLandmarks(0.5 * (plain.score + mirrored.score), landmarks, world, plain.roi)


@dataclass(frozen=True)
class PhotoReading:
    """One candidate's refined reading of a person.

    Attributes
    ----------
    pose
        The combined reading (see :func:`refined_pose`).
    spread
        How far the limb landmarks move between the second and third
        readings plus how far the mirrored reading puts them from the third:
        each the median over :data:`LIMB_LANDMARKS`, as a fraction of the ROI
        side. Small for a reading the model is sure of; large for a garbled
        one. :data:`UNREFINED_SPREAD` when a later pass found nobody.
    """

    pose: PoseLandmarks
    spread: float


def limb_spread(a: PoseLandmarks, b: PoseLandmarks) -> float:
    """Median distance between two readings' limb landmarks, as a fraction of ``b``'s ROI side."""
    limbs = list(LIMB_LANDMARKS)
    distance = np.hypot(*(a.landmarks[limbs, :2] - b.landmarks[limbs, :2]).T)
    return float(np.median(distance) / b.roi.size)


def refined_pose(
    landmarker: LandmarkModel, image: np.ndarray, detection: Detection, min_presence: float
) -> PhotoReading | None:
    """The person of one detection, read three times, each ROI from the previous reading,
    and once more mirrored; None when the first reading finds nobody (presence below
    ``min_presence``)."""
    first = landmarker(image, roi_from_detection(detection.keypoints), antialias=True)
    if first.score < min_presence:
        return None
    second = landmarker(image, roi_from_auxiliary(first.auxiliary), antialias=True)
    if second.score < min_presence:
        return PhotoReading(first, UNREFINED_SPREAD)
    roi = roi_from_auxiliary(second.auxiliary)
    third = landmarker(image, roi, antialias=True)
    if third.score < min_presence:
        return PhotoReading(second, UNREFINED_SPREAD)
    mirrored = landmarker(image, roi, antialias=True, mirrored=True)
    spread = limb_spread(second, third) + limb_spread(mirrored, third)
    return PhotoReading(combine_mirrored(average_poses(second, third), mirrored), spread)


def unturn(points: np.ndarray, degrees: int, width: int, height: int) -> np.ndarray:
    """Pixels (..., 2) of the photo turned clockwise by ``degrees`` (90, 180 or 270, as
    ``cv2.rotate`` turns it), back in the pixels of the photo itself (``width`` x ``height``).

    Continuous coordinates with the origin at the top-left pixel corner, so the
    map is exact: turning by 90 sends (x, y) to (height - y, x).
    """
    p = np.asarray(points, dtype=np.float64)
    x, y = p[..., 0], p[..., 1]
    if degrees == 90:
        return np.stack([y, height - x], axis=-1)
    if degrees == 180:
        return np.stack([width - x, height - y], axis=-1)
    if degrees == 270:
        return np.stack([width - y, x], axis=-1)
    raise ValueError(f"a photo is turned by 90, 180 or 270 degrees, not {degrees}")


def _detect_turned(detector: PoseDetector, image: np.ndarray, degrees: int,
                   min_score: float | None = None) -> list[Detection]:
    """Detections in the whole photo turned clockwise by ``degrees``, in the photo's pixels."""
    height, width = image.shape[:2]
    found = []
    for d in detector.detect(cv2.rotate(image, _ROTATE[degrees]), None, min_score):
        corners = unturn(d.box.reshape(2, 2), degrees, width, height)
        box = np.concatenate([corners.min(axis=0), corners.max(axis=0)])
        found.append(Detection(d.score, box, unturn(d.keypoints, degrees, width, height)))
    return found


def detect_people(
    estimator: PoseEstimator, image: np.ndarray
) -> tuple[list[Detection], list[Detection]]:
    """Detections in the photo upright (whole and tiles) and turned (whole), one per
    person in each, best first."""
    height, width = image.shape[:2]
    regions = tile_regions(width, height) if estimator.tile_photos else []
    searches: list[tuple[int, tuple[int, int, int, int] | None]] = [
        (0, None), *((0, r) for r in regions), *((t, None) for t in TURNS)]

    def detect(detector: PoseDetector, _lm: LandmarkModel,
               search: tuple[int, tuple[int, int, int, int] | None]) -> list[Detection]:
        turn, region = search
        if turn:
            return _detect_turned(detector, image, turn)
        found = detector.detect(image, region)
        if region is None:
            return found
        return [d for d in found if inside_tile(d, region, width, height)]

    found, _ = estimator._share(searches, detect)
    iou = estimator.detector.iou_threshold
    upright = [d for (turn, _), f in zip(searches, found, strict=True) if not turn for d in f]
    turned = [d for (turn, _), f in zip(searches, found, strict=True) if turn for d in f]
    return merge_detections(upright, iou), merge_detections(turned, iou)


def detect_weak(estimator: PoseEstimator, image: np.ndarray) -> list[Detection]:
    """Detections down to :data:`WEAK_DETECTION_SCORE` in the whole photo, upright then
    turned, one per person in each, best first (for a photo where nobody was found)."""

    def detect(detector: PoseDetector, _lm: LandmarkModel, turn: int) -> list[Detection]:
        if turn:
            return _detect_turned(detector, image, turn, WEAK_DETECTION_SCORE)
        return detector.detect(image, None, WEAK_DETECTION_SCORE)

    upright, *turned = estimator._share([0, *TURNS], detect)[0]
    iou = estimator.detector.iou_threshold
    return (merge_detections(upright, iou)[:MAX_CANDIDATES]
            + merge_detections([d for f in turned for d in f], iou)[:MAX_CANDIDATES])


def movenet_people(estimator: PoseEstimator, image: np.ndarray) -> list[MoveNetPerson]:
    """MoveNet's people in the photo as it is, then in the photo turned upside down
    (:data:`MOVENET_TURNS`), in the photo's pixels."""
    find = estimator.people_finder()
    height, width = image.shape[:2]
    people = find(image)
    for degrees in MOVENET_TURNS:
        for person in find(cv2.rotate(image, _ROTATE[degrees])):
            points = person.keypoints.copy()
            points[:, :2] = unturn(points[:, :2], degrees, width, height)
            people.append(MoveNetPerson(person.score, points))
    return people


def distinct_people(readings: list[PhotoReading], width: int, height: int) -> list[int]:
    """Indices of the readings that are different people: confident ones (presence at
    least :data:`CONFIDENT_PRESENCE`) first, each group largest (ROI side) first.

    Dropped: a reading of the same person as a steadier one; a much smaller
    pose inside someone's box (a part of them); a weak pose (presence below
    :data:`CONFIDENT_PRESENCE`) mostly inside a person's box kept before it, or
    one whose box is nearly theirs (a second reading of them).
    """
    poses = [r.pose for r in readings]
    order = sorted(range(len(poses)), key=lambda i: (readings[i].spread, -poses[i].score))
    kept = remove_duplicates(poses, order)
    boxes = {i: person_box(poses[i].keypoints, width, height) for i in kept}
    kept = [i for i in kept
            if not any(box_inside(boxes[i], boxes[k]) > 0.7
                       and poses[i].roi.size < FRAGMENT_SIZE * poses[k].roi.size
                       for k in kept if k != i)]
    distinct = [i for n, i in enumerate(kept)
                if not any((poses[i].score < CONFIDENT_PRESENCE
                            and box_inside(boxes[i], boxes[k]) > 0.5)
                           or box_iou(boxes[i], boxes[k]) > SAME_BOX_IOU
                           for k in kept[:n])]
    return sorted(distinct, key=lambda i: (poses[i].score < CONFIDENT_PRESENCE, -poses[i].roi.size))


def to_person(track_id: int, pose: PoseLandmarks, width: int, height: int) -> Person:
    keypoints = pose.keypoints
    return Person(track_id=int(track_id), score=pose.score,
                  bbox=person_box(keypoints, width, height), keypoints=keypoints, world=pose.world)


def estimate_photo(estimator: PoseEstimator, image: np.ndarray) -> list[Person]:
    """People in one BGR photo (H, W, 3) uint8, largest first (ids 0, 1, ...).

    ``estimator`` gives the models (both inference streams), ``min_presence``,
    ``max_people`` and ``tile_photos``.
    """
    height, width = image.shape[:2]

    def refine(_d: PoseDetector, landmarker: LandmarkModel,
               detection: Detection) -> PhotoReading | None:
        return refined_pose(landmarker, image, detection, estimator.min_presence)

    def read(detections: list[Detection]) -> list[PhotoReading]:
        refined, _ = estimator._share(detections, refine, photo=True)
        return [r for r in refined if r is not None]

    upright, turned = detect_people(estimator, image)
    seeds = [d for p in movenet_people(estimator, image)[:MAX_MOVENET_CANDIDATES]
             if (d := seed_detection(p)) is not None]
    readings = read(upright[:MAX_CANDIDATES] + turned[:MAX_CANDIDATES] + seeds)
    if not readings:
        readings = read(detect_weak(estimator, image))
    kept = distinct_people(readings, width, height)[: estimator.max_people]

    def finish(_d: PoseDetector, landmarker: LandmarkModel, pose: PoseLandmarks) -> PoseLandmarks:
        return final_reading(landmarker, estimator.second_reader(), image, pose)

    final, _ = estimator._share([readings[i].pose for i in kept], finish, photo=True)
    return [to_person(n, pose, width, height) for n, pose in enumerate(final)]
