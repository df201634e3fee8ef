"""The final reading of a person kept in a photo: more views of them, and a second model.

A photo is read once, so there is no next frame to average noise away; what
can be averaged is readings that err independently. For each person
:func:`estimator.photos.estimate_photo` keeps:

1. the landmark model reads the person again from ROIs a tenth smaller and
   a tenth larger, each as is and mirrored (test-time augmentation); every
   landmark is the mean of the readings that lie near the median of all of
   them (:func:`robust_mean`), so one reading put on the wrong limb does not
   pull the mean;
2. MoveNet Thunder, a model of another family trained on other data, reads
   the person in the same ROI (:class:`estimator.movenet.MoveNetThunder`);
   each limb (shoulder-elbow-wrist, hip-knee-ankle) is the mean of the two
   models' readings when they agree on all three joints (within
   :data:`LIMB_AGREEMENT` of the torso), else BlazePose's as it was.

Only the image positions of the body landmarks change; visibility, world
landmarks and scores are BlazePose's. Measured on labelled sports photos
(``bench/accuracy.py``'s scoring): the knee angle's median error fell by 0.2
deg on LSP-extended's val split and by 0.5 deg on 300 of its train photos;
see ``bench/README.md``.
"""

from __future__ import annotations

import numpy as np

from estimator.landmarks import LandmarkModel, PoseLandmarks
from estimator.movenet import MoveNetThunder
from estimator.roi import Roi

#: The extra ROIs' sides, as a fraction of the kept reading's.
ROI_SCALES = (0.9, 1.1)
#: Readings of a landmark farther than this fraction of the ROI side from the median of
#: all readings are left out of its mean.
NEAR_MEDIAN = 0.05
#: Two models' readings of a limb are averaged when every joint of it agrees within this
#: fraction of the torso size.
LIMB_AGREEMENT = 0.35
#: COCO index of each BlazePose limb joint (BlazePose index -> COCO index).
COCO_OF_BLAZEPOSE = {11: 5, 12: 6, 13: 7, 14: 8, 15: 9, 16: 10,
                     23: 11, 24: 12, 25: 13, 26: 14, 27: 15, 28: 16}
#: Limbs judged whole: each arm (shoulder, elbow, wrist) and leg (hip, knee, ankle).
LIMBS = ((11, 13, 15), (12, 14, 16), (23, 25, 27), (24, 26, 28))


def robust_mean(readings: np.ndarray, side: float) -> np.ndarray:
    """Per landmark, the mean of the readings near the median of all of them.

    ``readings`` (R, N, 2) pixels, the first the reference; ``side`` the ROI
    side in pixels. A landmark with no reading within :data:`NEAR_MEDIAN` of
    the side from the median keeps the first reading. Returns (N, 2).
    """
    median = np.median(readings, axis=0)
    near = np.hypot(*(readings - median).transpose(2, 0, 1)) <= NEAR_MEDIAN * side
    near[0] |= ~near.any(axis=0)
    weights = near / near.sum(axis=0)
    return (readings * weights[:, :, None]).sum(axis=0)


def torso_size(points: np.ndarray) -> float:
    """Mean of the two shoulder-to-opposite-hip distances of BlazePose points (33, >=2)."""
    return 0.5 * float(np.hypot(*(points[11, :2] - points[24, :2]))
                       + np.hypot(*(points[12, :2] - points[23, :2])))


def fuse_limbs(points: np.ndarray, coco: np.ndarray) -> np.ndarray:
    """BlazePose points (33, 2) with each limb averaged with a COCO reading (17, >=2) of the
    same person where all its joints agree (see :data:`LIMB_AGREEMENT`)."""
    fused = points.copy()
    other = points.copy()
    for blazepose, index in COCO_OF_BLAZEPOSE.items():
        other[blazepose] = coco[index, :2]
    tolerance = LIMB_AGREEMENT * torso_size(points)
    for limb in LIMBS:
        joints = list(limb)
        if (np.hypot(*(points[joints] - other[joints]).T) < tolerance).all():
            fused[joints] = 0.5 * (points[joints] + other[joints])
    return fused


def final_reading(
    landmarker: LandmarkModel, thunder: MoveNetThunder, image: np.ndarray, pose: PoseLandmarks
) -> PoseLandmarks:
    """``pose`` (a kept person of the BGR ``image``) with its body landmarks' positions
    averaged over more views and a second model, as the module says."""
    roi = pose.roi
    views = [Roi(roi.cx, roi.cy, roi.size * scale, roi.rotation) for scale in ROI_SCALES]
    readings = [pose.landmarks[:, :2]]
    for view in views:
        for mirrored in (False, True):
            readings.append(landmarker(image, view, antialias=True, mirrored=mirrored)
                            .landmarks[:, :2])
    points = robust_mean(np.stack(readings), roi.size)
    body = len(pose.world)
    points[:body] = fuse_limbs(points[:body], thunder(image, roi))
    landmarks = pose.landmarks.copy()
    landmarks[:, :2] = points
    return PoseLandmarks(pose.score, landmarks, pose.world, roi)
