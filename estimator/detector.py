"""The BlazePose person detector: letterbox, SSD decode, weighted NMS, tiling.

Done as MediaPipe's ``pose_detection_cpu`` graph does it:

- the image is scaled to fit 224x224 keeping its aspect ratio and centred on a
  black border (letterbox), RGB values mapped to [-1, 1];
- the model gives, per anchor (2254), a box and 4 keypoints as offsets in input
  pixels from the anchor centre, and a raw score; scores are clipped to
  [-100, 100] and passed through a sigmoid;
- overlapping detections (IoU > 0.3) are merged by a score-weighted average
  (weighted non-maximum suppression);
- coordinates are mapped back through the letterbox to image pixels.

The box is that of the face. The keypoints, shape (4, 2), are: 0 the hip
centre, 1 a point whose distance and direction from the hip centre encode the
full body's size and rotation, 2 the shoulder centre, 3 the same for the upper
body.

For photos, :meth:`PoseDetector.detect_tiled` also runs the detector on
overlapping square tiles, so people too small to be found in the whole image
scaled down to 224 pixels are found at a closer zoom.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from estimator.anchors import ssd_anchors
from estimator.runtime import TFLiteModel
from estimator.weights import model_path

INPUT_SIZE = 224
NUM_ANCHORS = 2254
NUM_KEYPOINTS = 4
SCORE_CLIP = 100.0
MIN_SCORE = 0.5
NMS_IOU = 0.3

HIP_CENTRE, BODY_SCALE, SHOULDER_CENTRE, UPPER_BODY_SCALE = range(4)


@dataclass(frozen=True)
class Letterbox:
    """Axis-aligned map from image pixels to model-input pixels.

    ``input = image * scale + offset`` per axis, coordinates continuous with the
    origin at the top-left pixel corner.
    """

    scale_x: float
    scale_y: float
    offset_x: float
    offset_y: float
    size: int = INPUT_SIZE

    def to_input(self, points: np.ndarray) -> np.ndarray:
        """Image pixels (..., 2) -> input pixels (..., 2)."""
        points = np.asarray(points, dtype=np.float64)
        return points * (self.scale_x, self.scale_y) + (self.offset_x, self.offset_y)

    def to_image(self, points: np.ndarray) -> np.ndarray:
        """Input pixels (..., 2) -> image pixels (..., 2)."""
        points = np.asarray(points, dtype=np.float64)
        return (points - (self.offset_x, self.offset_y)) / (self.scale_x, self.scale_y)


def letterbox(
    image: np.ndarray,
    size: int = INPUT_SIZE,
    region: tuple[int, int, int, int] | None = None,
) -> tuple[np.ndarray, Letterbox]:
    """Fit an image (or a region of it) into a size x size square, centred, black border.

    Parameters
    ----------
    image
        (H, W, 3) uint8.
    region
        Optional (x, y, w, h) integer pixel rectangle of the image to use
        instead of the whole image (a tile).

    Returns
    -------
    square
        (size, size, 3) uint8, same channel order as ``image``.
    mapping
        The :class:`Letterbox` from image pixels to square pixels.
    """
    height, width = image.shape[:2]
    x0, y0, w, h = region if region is not None else (0, 0, width, height)
    crop = image[y0:y0 + h, x0:x0 + w]
    fit = min(size / w, size / h)
    new_w = min(size, max(1, round(w * fit)))
    new_h = min(size, max(1, round(h * fit)))
    # Bilinear, as MediaPipe's image-to-tensor warp: pixel-area averaging would cost
    # as much as the detector itself (5-8 ms on a 1080p frame) for no better scores.
    resized = cv2.resize(crop, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    pad_x = (size - new_w) // 2
    pad_y = (size - new_h) // 2
    square = cv2.copyMakeBorder(
        resized, pad_y, size - new_h - pad_y, pad_x, size - new_w - pad_x,
        cv2.BORDER_CONSTANT, value=(0, 0, 0),
    )
    sx, sy = new_w / w, new_h / h
    return square, Letterbox(sx, sy, pad_x - x0 * sx, pad_y - y0 * sy, size)


@dataclass(frozen=True)
class Detection:
    """One person found by the detector, in image pixels.

    Attributes
    ----------
    score
        Sigmoid score in [0, 1].
    box
        Face box, shape (4,): x_min, y_min, x_max, y_max.
    keypoints
        Shape (4, 2), x, y: hip centre, full-body scale point, shoulder centre,
        upper-body scale point.
    """

    score: float
    box: np.ndarray
    keypoints: np.ndarray


def decode(
    raw_boxes: np.ndarray,
    raw_scores: np.ndarray,
    anchors: np.ndarray,
    min_score: float = MIN_SCORE,
    input_size: int = INPUT_SIZE,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Decode the detector's raw output, keeping anchors scoring at least ``min_score``.

    Parameters
    ----------
    raw_boxes
        (N, 12): box x, y, w, h then 4 keypoints x, y, all in input pixels,
        relative to the anchor centre.
    raw_scores
        (N,) or (N, 1) logits.
    anchors
        (N, 4) x_centre, y_centre, width, height normalised to the input.

    Returns
    -------
    boxes
        (M, 4) x_min, y_min, x_max, y_max, in input pixels.
    keypoints
        (M, 4, 2) x, y in input pixels.
    scores
        (M,) in [0, 1].
    """
    logits = np.clip(np.asarray(raw_scores, np.float64).reshape(-1), -SCORE_CLIP, SCORE_CLIP)
    scores = 1.0 / (1.0 + np.exp(-logits))
    keep = np.flatnonzero(scores >= min_score)
    raw = np.asarray(raw_boxes, np.float64).reshape(-1, 4 + 2 * NUM_KEYPOINTS)[keep]
    anc = anchors[keep].astype(np.float64)
    size = float(input_size)
    # Offsets are in input pixels; anchors (width 1 when fixed) in input units.
    centre = raw[:, 0:2] * anc[:, 2:4] + anc[:, 0:2] * size
    half = 0.5 * raw[:, 2:4] * anc[:, 2:4]
    boxes = np.concatenate([centre - half, centre + half], axis=1)
    kps = raw[:, 4:].reshape(-1, NUM_KEYPOINTS, 2) * anc[:, None, 2:4] + anc[:, None, 0:2] * size
    return boxes, kps, scores[keep].astype(np.float64)


def iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Intersection over union of one box (4,) with many (M, 4), x_min, y_min, x_max, y_max."""
    ix = np.clip(np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0]), 0, None)
    iy = np.clip(np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1]), 0, None)
    inter = ix * iy
    area = max(box[2] - box[0], 0) * max(box[3] - box[1], 0)
    areas = (np.clip(boxes[:, 2] - boxes[:, 0], 0, None)
             * np.clip(boxes[:, 3] - boxes[:, 1], 0, None))
    union = area + areas - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def weighted_nms(
    boxes: np.ndarray,
    keypoints: np.ndarray,
    scores: np.ndarray,
    iou_threshold: float = NMS_IOU,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted non-maximum suppression.

    Take the best-scoring detection; every remaining detection overlapping it
    with IoU above ``iou_threshold`` joins its cluster; the cluster becomes one
    detection whose box and keypoints are the score-weighted mean of its
    members and whose score is the best member's. Repeat on what is left.

    Shapes: boxes (N, 4), keypoints (N, K, 2), scores (N,); returns the same
    kinds of arrays with one row per cluster, best score first.
    """
    order = np.argsort(-scores, kind="stable")
    boxes, keypoints, scores = boxes[order], keypoints[order], scores[order]
    remaining = np.arange(len(scores))
    out_boxes, out_kps, out_scores = [], [], []
    while remaining.size:
        top = remaining[0]
        overlap = iou(boxes[top], boxes[remaining]) > iou_threshold
        overlap[0] = True
        members = remaining[overlap]
        weights = scores[members]
        total = weights.sum()
        out_boxes.append((boxes[members] * weights[:, None]).sum(0) / total)
        out_kps.append((keypoints[members] * weights[:, None, None]).sum(0) / total)
        out_scores.append(scores[top])
        remaining = remaining[~overlap]
    if not out_scores:
        return (np.zeros((0, 4)), np.zeros((0,) + keypoints.shape[1:]), np.zeros((0,)))
    return np.array(out_boxes), np.array(out_kps), np.array(out_scores)


def tile_sides(
    width: int, height: int, max_levels: int | None = None, min_tile: int = 96,
    min_fraction: float = 1 / 3,
) -> list[int]:
    """Sides of the square tiles of each zoom level, largest first.

    Level 1: squares of the image's short side, sliding along the long side
    (only when the image is clearly not square). Further levels: 2/3 of the
    previous side (starting from the short side), down to ``min_fraction`` of
    the short side and never below ``min_tile`` pixels. ``max_levels`` caps
    the number of levels (1 for clips: a landscape frame then costs 2-3 tiles).
    """
    short = min(width, height)
    floor = max(min_tile, min_fraction * short)
    sides: list[int] = []
    if max(width, height) > 1.25 * short:
        sides.append(short)
    side = short * 2 / 3
    while side >= floor:
        sides.append(round(side))
        side *= 2 / 3
    return sides if max_levels is None else sides[:max_levels]


def tile_regions(
    width: int, height: int, max_levels: int | None = None, min_tile: int = 96
) -> list[tuple[int, int, int, int]]:
    """Overlapping square tiles (x, y, w, h) covering an image, level by level.

    Neighbouring tiles of a level overlap by at least a quarter of a tile, so
    a person cut by one tile's edge is whole in the next one (or in a coarser
    level). See :func:`tile_sides` for the levels.
    """
    regions: list[tuple[int, int, int, int]] = []
    for side in tile_sides(width, height, max_levels, min_tile):
        step = 0.75 * side
        nx = 1 + max(0, math.ceil((width - side) / step - 1e-9))
        ny = 1 + max(0, math.ceil((height - side) / step - 1e-9))
        xs = np.linspace(0, width - side, nx).round().astype(int)
        ys = np.linspace(0, height - side, ny).round().astype(int)
        regions.extend((int(x), int(y), side, side) for y in ys for x in xs)
    return regions


def body_square(keypoints: np.ndarray, scale: float = 1.25) -> np.ndarray:
    """Axis-aligned square (x_min, y_min, x_max, y_max) holding a detection's body ROI.

    ``keypoints`` (4, 2) in pixels; the half side is ``scale`` times the hip
    centre to scale point distance, as in the rotated ROI (its rotation ignored).
    """
    centre = keypoints[HIP_CENTRE]
    half = scale * float(np.hypot(*(keypoints[BODY_SCALE] - centre)))
    return np.array([centre[0] - half, centre[1] - half, centre[0] + half, centre[1] + half])


class PoseDetector:
    """The person detector, loaded once.

    Parameters
    ----------
    num_threads
        XNNPACK threads.
    min_score
        Detections scoring below are dropped (MediaPipe's default 0.5).
    iou_threshold
        Weighted-NMS overlap threshold (0.3).
    """

    def __init__(
        self,
        num_threads: int | None = None,
        min_score: float = MIN_SCORE,
        iou_threshold: float = NMS_IOU,
    ) -> None:
        self.model = TFLiteModel(
            model_path("pose_detection"),
            [(1, NUM_ANCHORS, 12), (1, NUM_ANCHORS, 1)],
            num_threads=num_threads,
        )
        self.anchors = ssd_anchors()
        self.min_score = min_score
        self.iou_threshold = iou_threshold
        self._input = np.empty((1, INPUT_SIZE, INPUT_SIZE, 3), dtype=np.float32)

    def _raw(
        self, image: np.ndarray, region: tuple[int, int, int, int] | None, min_score: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        square, mapping = letterbox(image, INPUT_SIZE, region)
        rgb = cv2.cvtColor(square, cv2.COLOR_BGR2RGB)
        np.multiply(rgb, 2.0 / 255.0, out=self._input[0], casting="unsafe")
        self._input -= 1.0
        raw_boxes, raw_scores = self.model(self._input)
        boxes, kps, scores = decode(raw_boxes[0], raw_scores[0], self.anchors, min_score)
        boxes = mapping.to_image(boxes.reshape(-1, 2, 2)).reshape(-1, 4)
        kps = mapping.to_image(kps)
        return boxes, kps, scores

    @staticmethod
    def _to_detections(
        boxes: np.ndarray, kps: np.ndarray, scores: np.ndarray
    ) -> list[Detection]:
        return [Detection(float(s), b, k) for b, k, s in zip(boxes, kps, scores, strict=True)]

    def detect(
        self,
        image: np.ndarray,
        region: tuple[int, int, int, int] | None = None,
        min_score: float | None = None,
    ) -> list[Detection]:
        """People in a BGR image (H, W, 3) uint8, or in one region (x, y, w, h) of it.

        Best score first, coordinates in image pixels.
        """
        boxes, kps, scores = self._raw(image, region, self.min_score if min_score is None
                                       else min_score)
        return self._to_detections(*weighted_nms(boxes, kps, scores, self.iou_threshold))

    def detect_tiled(
        self, image: np.ndarray, min_score: float | None = None, max_levels: int | None = None
    ) -> list[Detection]:
        """People in the whole image and in overlapping tiles of it, merged.

        ``max_levels`` limits the zoom levels of :func:`tile_regions` (None: all,
        for photos; 1 for clip frames, where it costs 2 or 3 extra calls).

        Each call's detections go through weighted NMS as usual. A tile's
        detection is then kept only when the person is mostly in the tile (see
        :func:`inside_tile`); a person cut by a tile's edge is found whole in the
        whole image, a coarser level or a neighbouring tile. Across calls, the
        same person found at several zooms is kept once, from the call that
        scored them best (:func:`merge_detections`).
        """
        threshold = self.min_score if min_score is None else min_score
        height, width = image.shape[:2]
        found = self.detect(image, None, threshold)
        for region in tile_regions(width, height, max_levels):
            found.extend(d for d in self.detect(image, region, threshold)
                         if inside_tile(d, region, width, height))
        return merge_detections(found, self.iou_threshold)


def inside_tile(
    detection: Detection, region: tuple[int, int, int, int], width: int, height: int
) -> bool:
    """True when a tile's detection is of someone mostly inside the tile.

    The hip centre and the face box's centre must lie inside the tile, and at
    least about half of the body square (:func:`body_square`) too. Tile edges
    that are the image's own edges do not count: people cut by the image are
    cut in every call.
    """
    x, y, w, h = region
    lo = np.array([x if x > 0 else -np.inf, y if y > 0 else -np.inf])
    hi = np.array([x + w if x + w < width else np.inf, y + h if y + h < height else np.inf])
    face = 0.5 * (detection.box[:2] + detection.box[2:])
    for point in (detection.keypoints[HIP_CENTRE], face):
        if np.any(point < lo) or np.any(point > hi):
            return False
    square = body_square(detection.keypoints)
    side = square[2] - square[0]
    over = np.maximum(lo - square[:2], 0).sum() + np.maximum(square[2:] - hi, 0).sum()
    return bool(over <= 0.5 * side)


def merge_detections(
    detections: list[Detection], iou_threshold: float = NMS_IOU
) -> list[Detection]:
    """One detection per person from several detector calls (tiles, zooms), best score first.

    A detection is dropped when a better-scored one overlaps its face box
    (IoU above ``iou_threshold``) or has its hip centre within a quarter of
    its body square's half side.
    """
    kept: list[Detection] = []
    for d in sorted(detections, key=lambda d: -d.score):
        square = body_square(d.keypoints)
        half = 0.5 * (square[2] - square[0])
        duplicate = False
        for k in kept:
            if iou(d.box, k.box[None])[0] > iou_threshold or np.hypot(
                    *(d.keypoints[HIP_CENTRE] - k.keypoints[HIP_CENTRE])) < 0.25 * half:
                duplicate = True
                break
        if not duplicate:
            kept.append(d)
    return kept
