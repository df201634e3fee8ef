"""Draw predicted skeletons and the labels on photos, to check left/right and joints by eye.

Each photo is enlarged (so a 250 px photo is readable) and drawn with the
labelled athlete's joints as white dots and every predicted person's limbs:
the person's own LEFT side in orange, RIGHT in blue, the trunk in green. A
person read mirrored shows as an orange arm over a label that says right.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import lsp_scoring as lsp
import numpy as np

LEFT = (0, 140, 255)  # BGR orange
RIGHT = (255, 120, 0)  # BGR blue
TRUNK = (0, 200, 0)
LABEL = (255, 255, 255)
#: Bones drawn between limb joints (names in lsp_scoring.LIMB_JOINTS).
BONES = (
    ("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"),
    ("left_hip", "left_knee"), ("left_knee", "left_ankle"),
    ("right_shoulder", "right_elbow"), ("right_elbow", "right_wrist"),
    ("right_hip", "right_knee"), ("right_knee", "right_ankle"),
    ("left_shoulder", "right_shoulder"), ("left_hip", "right_hip"),
    ("left_shoulder", "left_hip"), ("right_shoulder", "right_hip"),
)
MIN_SIDE = 600  # px of the drawn photo's short side


def _colour(a: str, b: str) -> tuple[int, int, int]:
    if a.startswith("left") and b.startswith("left"):
        return LEFT
    if a.startswith("right") and b.startswith("right"):
        return RIGHT
    return TRUNK


def draw(image: np.ndarray, label: lsp.Label, people: Sequence[np.ndarray]) -> np.ndarray:
    """A copy of a BGR photo (H, W, 3), enlarged, with the label's joints and each predicted
    person's (33, >=2 px) limbs drawn on it."""
    scale = max(1.0, MIN_SIDE / min(image.shape[:2]))
    canvas = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)

    def at(point: np.ndarray) -> tuple[int, int]:
        return int(round(point[0] * scale)), int(round(point[1] * scale))

    for pose in people:
        points = lsp.limb_points(pose)
        for a, b in BONES:
            cv2.line(canvas, at(points[lsp.JOINT[a]]), at(points[lsp.JOINT[b]]),
                     _colour(a, b), 3, cv2.LINE_AA)
    for point, labelled in zip(label.points, label.labelled, strict=True):
        if labelled:
            cv2.circle(canvas, at(point), 5, LABEL, -1, cv2.LINE_AA)
            cv2.circle(canvas, at(point), 5, (0, 0, 0), 1, cv2.LINE_AA)
    return canvas


def render_photos(labels: Sequence[lsp.Label], people: Sequence[Sequence[np.ndarray]],
                  dataset: Path, out_dir: Path) -> list[Path]:
    """Draw each labelled photo with its predicted people into ``out_dir/lsp_<name>.png``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for label, found in zip(labels, people, strict=False):
        image = cv2.imread(str(dataset / label.image), cv2.IMREAD_COLOR)
        path = out_dir / f"lsp_{Path(label.image).stem}.png"
        cv2.imwrite(str(path), draw(image, label, found))
        paths.append(path)
    return paths
