"""Regions of interest: rotated squares around a person, and the crop to the landmark model.

A :class:`Roi` is a square in image pixels with a centre, a side and a
rotation. As in MediaPipe (``AlignmentPointsRectsCalculator`` then
``RectTransformationCalculator``), it is built from two alignment points: a
centre (the hip centre) and a point whose distance gives half the side and
whose direction from the centre becomes the crop's "up". The side is then
enlarged by 1.25, the margin the landmark model was trained with.

Coordinates: image pixels are continuous with the origin at the top-left
pixel *corner* (so pixel (i, j) covers [i, i+1) x [j, j+1)); x right, y down.
The rotation is in radians; a point at crop-normalised (u, v) lies at
``centre + side * R(rotation) @ (u - 0.5, v - 0.5)`` with
``R = [[cos, -sin], [sin, cos]]`` -- a positive rotation turns the crop
clockwise on screen (y points down).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

#: Enlargement of the alignment square, MediaPipe's ``scale_x/scale_y`` for pose.
ROI_SCALE = 1.25
#: Angle (degrees, counter-clockwise on screen) the centre->scale-point vector is turned to.
TARGET_ANGLE_DEG = 90.0


def normalize_radians(angle: float) -> float:
    """Angle wrapped to [-pi, pi)."""
    return angle - 2.0 * math.pi * math.floor((angle + math.pi) / (2.0 * math.pi))


@dataclass(frozen=True)
class Roi:
    """A rotated square in image pixels.

    Attributes
    ----------
    cx, cy
        Centre, pixels.
    size
        Side, pixels.
    rotation
        Radians, clockwise on screen; 0 for an upright person.
    """

    cx: float
    cy: float
    size: float
    rotation: float = 0.0

    def _rot(self) -> np.ndarray:
        c, s = math.cos(self.rotation), math.sin(self.rotation)
        return np.array([[c, -s], [s, c]])

    def to_image(self, uv: np.ndarray) -> np.ndarray:
        """Crop-normalised points (..., 2), (0, 0) top-left to (1, 1) bottom-right -> pixels."""
        uv = np.asarray(uv, dtype=np.float64)
        return (uv - 0.5) @ (self.size * self._rot()).T + (self.cx, self.cy)

    def from_image(self, points: np.ndarray) -> np.ndarray:
        """Image pixels (..., 2) -> crop-normalised (..., 2); inverse of :meth:`to_image`."""
        points = np.asarray(points, dtype=np.float64)
        return (points - (self.cx, self.cy)) @ self._rot() / self.size + 0.5

    def rotate_vectors(self, vectors: np.ndarray) -> np.ndarray:
        """Turn crop-frame vectors (..., 2) into the image frame (rotation only)."""
        return np.asarray(vectors, dtype=np.float64) @ self._rot().T

    def corners(self) -> np.ndarray:
        """(4, 2) pixels: the crop's top-left, top-right, bottom-right, bottom-left."""
        return self.to_image(np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]))

    def bounds(self) -> np.ndarray:
        """Axis-aligned box around the rotated square, (4,): x_min, y_min, x_max, y_max."""
        c = self.corners()
        return np.concatenate([c.min(0), c.max(0)])

    def crop_matrix(self, out_size: int) -> np.ndarray:
        """2x3 affine from crop pixel indices to image pixel indices (for ``WARP_INVERSE_MAP``).

        OpenCV samples at integer indices, i.e. at pixel centres, so both
        sides are shifted by half a pixel from the corner-origin convention.
        """
        k = self.size / out_size
        a = k * self._rot()
        t = np.array([self.cx, self.cy]) - 0.5 + a @ np.array([0.5 - out_size / 2] * 2)
        return np.hstack([a, t[:, None]])

    def crop(
        self,
        image: np.ndarray,
        out_size: int,
        out: np.ndarray | None = None,
        border: int = cv2.BORDER_REPLICATE,
        antialias: bool = False,
    ) -> np.ndarray:
        """The ROI resampled to out_size x out_size in one bilinear warp, dtype of ``image``.

        With ``antialias``, an ROI at least twice larger than the output is
        first halved (Gaussian pyramid, ``cv2.pyrDown``, only the part of the
        image it covers) until less than twice larger, so fine texture does
        not alias as a plain bilinear warp of a large ROI would; the warp then
        maps the halved pixels.
        """
        matrix = self.crop_matrix(out_size)
        source = image
        levels = int(math.floor(math.log2(self.size / out_size))) if self.size > 0 else 0
        if antialias and levels >= 1:
            height, width = image.shape[:2]
            x0, y0, x1, y1 = self.bounds()
            x0, y0 = max(0, int(x0) - 2), max(0, int(y0) - 2)
            x1, y1 = min(width, int(math.ceil(x1)) + 2), min(height, int(math.ceil(y1)) + 2)
            if x1 - x0 >= 2 << levels and y1 - y0 >= 2 << levels:
                source = image[y0:y1, x0:x1]
                for _ in range(levels):
                    source = cv2.pyrDown(source)
                # pyrDown keeps pixel index i of the half image at index 2i of its source.
                f = 0.5**levels
                matrix = matrix * f
                matrix[0, 2] -= x0 * f
                matrix[1, 2] -= y0 * f
        return cv2.warpAffine(
            source, matrix, (out_size, out_size), dst=out,
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=border,
        )


def roi_from_alignment(
    centre: np.ndarray,
    scale_point: np.ndarray,
    scale: float = ROI_SCALE,
    target_angle_deg: float = TARGET_ANGLE_DEG,
) -> Roi:
    """Square ROI from two alignment points in pixels.

    Side = ``scale`` * 2 * |scale_point - centre|; rotation such that the vector
    centre -> scale_point points to ``target_angle_deg`` (90: up) in the crop.
    """
    cx, cy = float(centre[0]), float(centre[1])
    dx, dy = float(scale_point[0]) - cx, float(scale_point[1]) - cy
    rotation = normalize_radians(math.radians(target_angle_deg) - math.atan2(-dy, dx))
    return Roi(cx, cy, 2.0 * math.hypot(dx, dy) * scale, rotation)


def roi_from_detection(keypoints: np.ndarray) -> Roi:
    """ROI of a detection, from its keypoints (4, 2) pixels: hip centre and body scale point."""
    return roi_from_alignment(keypoints[0], keypoints[1])


def roi_from_auxiliary(auxiliary: np.ndarray) -> Roi:
    """Next frame's ROI from the landmark model's 2 auxiliary landmarks (2, >=2) in pixels."""
    return roi_from_alignment(auxiliary[0, :2], auxiliary[1, :2])


def roi_iou(a: Roi, b: Roi) -> float:
    """Intersection over union of two ROIs' rotated squares (exact polygon overlap)."""
    pa = a.corners().astype(np.float32)
    pb = b.corners().astype(np.float32)
    inter, _ = cv2.intersectConvexConvex(pa, pb)
    union = a.size**2 + b.size**2 - inter
    return float(inter / union) if union > 0 else 0.0
