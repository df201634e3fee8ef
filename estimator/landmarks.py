"""The BlazePose GHUM "full" landmark model: 39 landmarks in a 256x256 crop, back to the image.

Done as MediaPipe's ``pose_landmark_by_roi_cpu`` graph does it:

- the ROI is cut out of the image by one affine warp to 256x256 RGB in [0, 1];
- outputs (checked by name and shape): landmarks (1, 195) = 39 x (x, y, z,
  visibility, presence) with x, y, z in crop pixels and the last two logits;
  pose flag (1, 1), the pose-presence score; segmentation (1, 256, 256, 1),
  unused, so pruned from the graph when it is loaded (a third of the run
  time); heatmap (1, 64, 64, 39) logits; world landmarks (1, 117) = 39 x
  (x, y, z) in metres, hip-centred, in the crop's orientation;
- visibility and presence through a sigmoid; a pose is present when the flag
  is at least 0.5;
- optionally each landmark refined by the heatmap: within a 7x7 window around
  the regressed position, the sigmoid-weighted mean cell, used when the
  window's peak confidence is at least 0.5;
- crop coordinates projected back to image pixels through the ROI, world
  coordinates turned by the ROI's rotation.

Landmarks 0-32 are the body (``KEYPOINT_NAMES`` order); 33 and 34 are the
auxiliary hip centre and scale point from which the next frame's ROI is built;
35-38 are unused.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from estimator.roi import Roi
from estimator.runtime import TFLiteModel
from estimator.weights import model_path

INPUT_SIZE = 256
NUM_LANDMARKS = 39
NUM_BODY = 33
AUXILIARY = slice(33, 35)
HEATMAP_SIZE = 64
HEATMAP_KERNEL = 7
MIN_HEATMAP_CONFIDENCE = 0.5
MIN_PRESENCE = 0.5

_OUTPUT_SHAPES = [
    (1, NUM_LANDMARKS * 5),
    (1, 1),
    (1, INPUT_SIZE, INPUT_SIZE, 1),
    (1, HEATMAP_SIZE, HEATMAP_SIZE, NUM_LANDMARKS),
    (1, NUM_LANDMARKS * 3),
]
_LANDMARKS, _FLAG, _SEGMENTATION, _HEATMAP, _WORLD = range(5)

#: Landmark order of a reading of the mirrored crop: index i holds the landmark that
#: landmark i of the mirrored image is (left and right exchanged; nose, auxiliary and
#: unused landmarks in place). Applied to itself it gives the identity.
MIRRORED_ORDER = np.array(
    [0, 4, 5, 6, 1, 2, 3, 8, 7, 10, 9]
    + [j for i in range(11, NUM_BODY, 2) for j in (i + 1, i)]
    + list(range(NUM_BODY, NUM_LANDMARKS))
)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


@dataclass(frozen=True)
class PoseLandmarks:
    """One person's landmarks from one pass of the landmark model.

    Attributes
    ----------
    score
        Pose-presence score in [0, 1].
    landmarks
        (39, 5): x_px, y_px, z (pixel units, same scale as x, smaller is nearer
        the camera, relative to the hips), visibility, presence in [0, 1].
    world
        (33, 3): x, y, z metres, origin between the hips, image-aligned axes.
    roi
        The ROI the model was run on.
    """

    score: float
    landmarks: np.ndarray
    world: np.ndarray
    roi: Roi

    @property
    def keypoints(self) -> np.ndarray:
        """(33, 3): x_px, y_px, visibility."""
        return self.landmarks[:NUM_BODY][:, [0, 1, 3]]

    @property
    def auxiliary(self) -> np.ndarray:
        """(2, 2) pixels: auxiliary hip centre and scale point, for the next ROI."""
        return self.landmarks[AUXILIARY, :2]


def refine_from_heatmap(
    uv: np.ndarray,
    heatmap: np.ndarray,
    kernel_size: int = HEATMAP_KERNEL,
    min_confidence: float = MIN_HEATMAP_CONFIDENCE,
) -> np.ndarray:
    """Landmark positions refined by the heatmap, as MediaPipe does.

    Parameters
    ----------
    uv
        (L, 2) crop-normalised x, y in [0, 1].
    heatmap
        (H, W, L) logits.

    Returns
    -------
    (L, 2) refined uv: for each landmark whose cell lies in the heatmap, the
    sigmoid-weighted mean of the cell indices in a ``kernel_size`` window around
    it divided by the heatmap size, when the window's highest confidence is at
    least ``min_confidence``; otherwise unchanged. (Like MediaPipe, a cell's
    index, not its centre, is used: the model was trained that way.)
    """
    h, w, n = heatmap.shape
    out = np.array(uv, dtype=np.float64, copy=True)
    col = np.floor(out[:, 0] * w).astype(int)
    row = np.floor(out[:, 1] * h).astype(int)
    inside = (col >= 0) & (col < w) & (row >= 0) & (row < h)
    half = (kernel_size - 1) // 2
    offs = np.arange(-half, half + 1)
    rows = row[:, None] + offs  # (L, k)
    cols = col[:, None] + offs
    valid = ((rows >= 0) & (rows < h))[:, :, None] & ((cols >= 0) & (cols < w))[:, None, :]
    r = np.clip(rows, 0, h - 1)[:, :, None]
    c = np.clip(cols, 0, w - 1)[:, None, :]
    lm = np.arange(n)[:, None, None]
    conf = sigmoid(heatmap[r, c, lm]) * valid  # (L, k, k)
    total = conf.sum(axis=(1, 2))
    peak = conf.max(axis=(1, 2))
    use = inside & (peak >= min_confidence) & (total > 0)
    safe = np.where(total > 0, total, 1.0)
    mean_col = (conf.sum(axis=1) * cols).sum(axis=1) / safe
    mean_row = (conf.sum(axis=2) * rows).sum(axis=1) / safe
    out[use, 0] = mean_col[use] / w
    out[use, 1] = mean_row[use] / h
    return out


class LandmarkModel:
    """The landmark model, loaded once; one call per person per frame.

    Parameters
    ----------
    num_threads
        XNNPACK threads.
    refine
        Refine positions with the heatmap (MediaPipe does).
    model
        Which landmark network: a name of the manifest, ``"pose_landmark_full"``
        (clips: fast) or ``"pose_landmark_heavy"`` (photos: about 2.2x slower, more
        accurate; same inputs and outputs), checked against its sha256; or the
        :class:`~pathlib.Path` of a landmark TF Lite file with the same inputs and
        outputs, used as it is (a user's trained model, already checked by
        :func:`estimator.finetune.registry.load`).
    """

    def __init__(self, num_threads: int | None = None, refine: bool = True,
                 model: str | Path = "pose_landmark_full") -> None:
        # The segmentation mask (and the heatmap when not refining) is never
        # computed: pruned from the graph at load time.
        keep = (_LANDMARKS, _FLAG, _HEATMAP, _WORLD) if refine else (_LANDMARKS, _FLAG, _WORLD)
        path = model if isinstance(model, Path) else model_path(model)
        self.model = TFLiteModel(path, _OUTPUT_SHAPES, num_threads=num_threads, keep=keep)
        self.refine = refine
        self._crop = np.empty((INPUT_SIZE, INPUT_SIZE, 3), dtype=np.uint8)
        self._rgb = np.empty((INPUT_SIZE, INPUT_SIZE, 3), dtype=np.uint8)
        self._input = np.empty((1, INPUT_SIZE, INPUT_SIZE, 3), dtype=np.float32)

    def __call__(
        self, image: np.ndarray, roi: Roi, antialias: bool = False, mirrored: bool = False
    ) -> PoseLandmarks:
        """Landmarks of the person in ``roi`` of a BGR image (H, W, 3) uint8.

        ``antialias`` shrinks a large ROI by a Gaussian pyramid before the warp
        (see :meth:`Roi.crop`): better for large photos, about 1-3 ms more.
        ``mirrored`` gives the model the crop mirrored left to right and maps
        its reading back (see :func:`decode`): a second, independent reading
        of the same person, in the same image coordinates and sides.
        Always returns a result; check ``score`` against :data:`MIN_PRESENCE`.
        """
        roi.crop(image, INPUT_SIZE, out=self._crop, antialias=antialias)
        cv2.cvtColor(self._crop, cv2.COLOR_BGR2RGB, dst=self._rgb)
        rgb = self._rgb[:, ::-1] if mirrored else self._rgb
        np.multiply(rgb, np.float32(1.0 / 255.0), out=self._input[0], casting="unsafe")
        outputs = self.model(self._input)
        heatmap = outputs[2][0] if self.refine else None
        return decode(outputs[0], outputs[1], outputs[-1], roi, heatmap, mirrored=mirrored)


def decode(
    raw_landmarks: np.ndarray,
    raw_flag: np.ndarray,
    raw_world: np.ndarray,
    roi: Roi,
    heatmap: np.ndarray | None = None,
    mirrored: bool = False,
) -> PoseLandmarks:
    """Turn the model's outputs for one crop into image-space landmarks.

    Parameters
    ----------
    raw_landmarks
        (195,) or (1, 195): 39 x (x, y, z crop pixels, visibility logit, presence logit).
    raw_flag
        Pose-presence score, one value (already a probability).
    raw_world
        (117,) or (1, 117): 39 x (x, y, z) metres in the crop's frame.
    roi
        The ROI of the crop.
    heatmap
        (64, 64, 39) logits, to refine x, y; None to skip.
    mirrored
        The outputs are those of the crop mirrored left to right: positions are
        decoded (and refined) in the mirrored crop, then mirrored back (u -> 1 - u,
        world x -> -x) and each landmark is given its namesake's place
        (:data:`MIRRORED_ORDER`), so the person's left is their left again.
    """
    raw = np.asarray(raw_landmarks, dtype=np.float64).reshape(NUM_LANDMARKS, 5)
    uv = raw[:, :2] / INPUT_SIZE
    if heatmap is not None:
        uv = refine_from_heatmap(uv, heatmap)
    world = np.asarray(raw_world, dtype=np.float64).reshape(NUM_LANDMARKS, 3).copy()
    if mirrored:
        uv[:, 0] = 1.0 - uv[:, 0]
        world[:, 0] = -world[:, 0]
        raw, uv, world = raw[MIRRORED_ORDER], uv[MIRRORED_ORDER], world[MIRRORED_ORDER]
    out = np.empty((NUM_LANDMARKS, 5), dtype=np.float64)
    out[:, :2] = roi.to_image(uv)
    out[:, 2] = raw[:, 2] / INPUT_SIZE * roi.size
    out[:, 3] = sigmoid(raw[:, 3])
    out[:, 4] = sigmoid(raw[:, 4])
    world = world[:NUM_BODY]
    world[:, :2] = roi.rotate_vectors(world[:, :2])
    score = float(np.asarray(raw_flag).reshape(-1)[0])
    return PoseLandmarks(score, out, world, roi)
