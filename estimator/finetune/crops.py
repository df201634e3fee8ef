"""Training crops made as inference makes them, with their augmentation.

At inference the landmark model sees a rotated square ROI built from two
alignment points (hip centre and a scale point, :func:`estimator.roi.roi_from_alignment`),
cut by one warp to 256x256 RGB in [0, 1]. A labelled frame gets the same kind
of ROI from its labels: the centre between the hips, the scale point at the
radius of the circle around the labelled joints in the direction of the
shoulders, enlarged by :data:`LABEL_ROI_ENLARGE` (the labels lack the head,
which the model's own ROI includes: measured on LSP-extended train photos,
the model's ROI is 1.10x the labels' one, median). Augmentation jitters that
ROI (shift, scale, rotation), mirrors half the crops with left and right
exchanged, and changes brightness, contrast and saturation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from estimator.finetune.labels import LabelledFrame
from estimator.keypoints import KEYPOINT_INDEX, NUM_KEYPOINTS
from estimator.landmarks import INPUT_SIZE, MIRRORED_ORDER
from estimator.roi import Roi, roi_from_alignment

LABEL_ROI_ENLARGE = 1.10
_HIPS = (KEYPOINT_INDEX["left_hip"], KEYPOINT_INDEX["right_hip"])
_SHOULDERS = (KEYPOINT_INDEX["left_shoulder"], KEYPOINT_INDEX["right_shoulder"])
#: Where keypoint i of a mirrored crop comes from (left and right exchanged).
_MIRRORED_KEYPOINTS = MIRRORED_ORDER[:NUM_KEYPOINTS]


@dataclass(frozen=True)
class Augmentation:
    """Ranges of the random changes; :data:`NO_AUGMENTATION` makes the plain crop.

    ``shift`` as a fraction of the ROI's side, ``scale`` a factor range,
    ``rotation_deg`` +-degrees, ``mirror`` the probability of a mirrored crop,
    ``colour`` the +-fraction of brightness, contrast and saturation.
    """

    shift: float = 0.08
    scale: tuple[float, float] = (0.9, 1.2)
    rotation_deg: float = 25.0
    mirror: float = 0.5
    colour: float = 0.2


NO_AUGMENTATION = Augmentation(0.0, (1.0, 1.0), 0.0, 0.0, 0.0)


@dataclass(frozen=True)
class Crop:
    """One training example: ``image`` (256, 256, 3) float32 RGB in [0, 1]; ``points``
    (33, 2) crop pixels of the labels; ``labelled`` (33,) bool."""

    image: np.ndarray
    points: np.ndarray
    labelled: np.ndarray


def label_roi(frame: LabelledFrame) -> Roi:
    """The ROI inference would use for this athlete, from their labels."""
    points, labelled = frame.points, frame.labelled
    hips = [i for i in _HIPS if labelled[i]]
    shoulders = [i for i in _SHOULDERS if labelled[i]]
    known = points[labelled]
    centre = points[hips].mean(axis=0) if hips else known.mean(axis=0)
    up = (points[shoulders].mean(axis=0) - centre) if shoulders and hips else np.array([0, -1.0])
    norm = float(np.hypot(*up))
    up = up / norm if norm > 1e-6 else np.array([0.0, -1.0])
    radius = float(np.max(np.hypot(*(known - centre).T)))
    return roi_from_alignment(centre, centre + LABEL_ROI_ENLARGE * max(radius, 1.0) * up)


def jitter_roi(roi: Roi, rng: np.random.Generator, aug: Augmentation) -> Roi:
    dx, dy = rng.uniform(-aug.shift, aug.shift, size=2) * roi.size
    return Roi(roi.cx + dx, roi.cy + dy, roi.size * rng.uniform(*aug.scale),
               roi.rotation + math.radians(rng.uniform(-aug.rotation_deg, aug.rotation_deg)))


def _colour(rgb: np.ndarray, rng: np.random.Generator, amount: float) -> np.ndarray:
    if amount <= 0:
        return rgb
    brightness, contrast, saturation = 1 + rng.uniform(-amount, amount, size=3)
    grey = rgb.mean(axis=2, keepdims=True)
    out = grey + (rgb - grey) * saturation
    out = (out - out.mean()) * contrast + out.mean()
    return np.clip(out * brightness, 0.0, 1.0).astype(np.float32)


def make_crop(frame: LabelledFrame, image: np.ndarray, rng: np.random.Generator,
              aug: Augmentation = NO_AUGMENTATION) -> Crop:
    """One (augmented) crop of a labelled frame from its BGR image (H, W, 3) uint8."""
    roi = label_roi(frame)
    if aug != NO_AUGMENTATION:
        roi = jitter_roi(roi, rng, aug)
    bgr = roi.crop(image, INPUT_SIZE, antialias=True)
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0
    points = roi.from_image(frame.points) * INPUT_SIZE
    labelled = frame.labelled.copy()
    if rng.random() < aug.mirror:
        rgb = rgb[:, ::-1]
        points = points[_MIRRORED_KEYPOINTS]
        points[:, 0] = INPUT_SIZE - points[:, 0]
        labelled = labelled[_MIRRORED_KEYPOINTS]
    return Crop(np.ascontiguousarray(_colour(rgb, rng, aug.colour)), points, labelled)


def batches(frames: list[LabelledFrame], batch_size: int, rng: np.random.Generator,
            aug: Augmentation = NO_AUGMENTATION, shuffle: bool = True):
    """Batches over ``frames`` once: (images (B, 256, 256, 3), points (B, 33, 2),
    labelled (B, 33)) numpy arrays, the last batch possibly smaller."""
    order = rng.permutation(len(frames)) if shuffle else np.arange(len(frames))
    for start in range(0, len(order), batch_size):
        crops = []
        for i in order[start:start + batch_size]:
            image = cv2.imread(str(frames[i].image), cv2.IMREAD_COLOR)
            if image is None:
                continue  # unreadable: skipped here, reported by the caller's count
            crops.append(make_crop(frames[i], image, rng, aug))
        if crops:
            yield (np.stack([c.image for c in crops]), np.stack([c.points for c in crops]),
                   np.stack([c.labelled for c in crops]))
