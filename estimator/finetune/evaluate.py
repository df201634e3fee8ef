"""Validation figures of a landmark network on labelled frames, read as inference reads them.

Each frame is cut to the crop inference would make from its labels
(:func:`estimator.finetune.crops.label_roi`, no augmentation); the network's
regression output is refined by its heatmap (:func:`estimator.landmarks.refine_from_heatmap`)
and compared with the labels in the crop's pixels (256 x 256):

- ``pck@0.2``: share of labelled limb joints within 0.2 torso of their label
  (torso: the mean of the labelled shoulder-to-opposite-hip diagonals), the
  measure of ``bench/accuracy.py``;
- ``knee_deg_median`` / ``elbow_deg_median``: median error of the interior
  angle (degrees) where the three joints are labelled;
- ``joint_px_median``: median distance to the label over every labelled joint
  (crop pixels);
- ``frames``: how many frames were scored.

A figure with nothing to score is None. Imports no TensorFlow itself; ``model`` is
any callable mapping (B, 256, 256, 3) images to the network's outputs dict.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from estimator.finetune.crops import NO_AUGMENTATION, batches
from estimator.finetune.labels import LabelledFrame
from estimator.keypoints import KEYPOINT_INDEX
from estimator.landmarks import INPUT_SIZE, NUM_BODY, NUM_LANDMARKS, refine_from_heatmap

#: A labelled joint counts as right within this fraction of the torso.
PCK_TORSOS = 0.2
_DIAGONALS = ((KEYPOINT_INDEX["left_shoulder"], KEYPOINT_INDEX["right_hip"]),
              (KEYPOINT_INDEX["right_shoulder"], KEYPOINT_INDEX["left_hip"]))
_LIMB_JOINTS = np.array([KEYPOINT_INDEX[f"{side}_{joint}"] for side in ("left", "right")
                         for joint in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")])
_ANGLES = {
    "knee": [tuple(KEYPOINT_INDEX[f"{s}_{j}"] for j in ("hip", "knee", "ankle"))
             for s in ("left", "right")],
    "elbow": [tuple(KEYPOINT_INDEX[f"{s}_{j}"] for j in ("shoulder", "elbow", "wrist"))
              for s in ("left", "right")],
}


def read_points(outputs: dict) -> np.ndarray:
    """(B, 33, 2) crop pixels as inference reads them: regression refined by the heatmap."""
    landmarks = np.asarray(outputs["landmarks"]).reshape(-1, NUM_LANDMARKS, 5)
    heatmaps = np.asarray(outputs["heatmap"])
    out = np.empty((len(landmarks), NUM_BODY, 2))
    for b in range(len(landmarks)):
        uv = refine_from_heatmap(landmarks[b, :, :2] / INPUT_SIZE, heatmaps[b])
        out[b] = uv[:NUM_BODY] * INPUT_SIZE
    return out


def interior_angle(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    """Angle a-b-c at b in degrees, [0, 180]."""
    u, v = a - b, c - b
    cos = np.dot(u, v) / max(float(np.linalg.norm(u) * np.linalg.norm(v)), 1e-9)
    return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))


def score(predicted: np.ndarray, points: np.ndarray, labelled: np.ndarray) -> dict[str, list]:
    """Per-frame raw scores of a batch: ``pck`` (right, counted), angle errors, distances."""
    out: dict[str, list] = {"right": [], "counted": [], "knee": [], "elbow": [], "px": []}
    for p, t, m in zip(predicted, points, labelled, strict=True):
        d = np.hypot(*(p - t).T)
        out["px"].extend(d[m].tolist())
        diagonals = [np.hypot(*(t[a] - t[b])) for a, b in _DIAGONALS if m[a] and m[b]]
        if diagonals:
            limbs = _LIMB_JOINTS[m[_LIMB_JOINTS]]
            out["right"].append(int((d[limbs] <= PCK_TORSOS * np.mean(diagonals)).sum()))
            out["counted"].append(len(limbs))
        for name, triples in _ANGLES.items():
            for a, b, c in triples:
                if m[a] and m[b] and m[c]:
                    out[name].append(abs(interior_angle(p[a], p[b], p[c])
                                         - interior_angle(t[a], t[b], t[c])))
    return out


def evaluate(model: Callable[[np.ndarray], dict], frames: list[LabelledFrame],
             batch_size: int = 16) -> dict[str, float | int | None]:
    """The validation figures (see the module's docstring) of ``model`` on ``frames``."""
    raw: dict[str, list] = {"right": [], "counted": [], "knee": [], "elbow": [], "px": []}
    scored = 0
    rng = np.random.default_rng(0)
    for images, points, labelled in batches(frames, batch_size, rng, NO_AUGMENTATION, False):
        for key, values in score(read_points(model(images)), points, labelled).items():
            raw[key].extend(values)
        scored += len(images)

    def median(values: list) -> float | None:
        return round(float(np.median(values)), 2) if values else None

    counted = sum(raw["counted"])
    return {"pck@0.2": round(sum(raw["right"]) / counted, 4) if counted else None,
            "knee_deg_median": median(raw["knee"]), "elbow_deg_median": median(raw["elbow"]),
            "joint_px_median": median(raw["px"]), "frames": scored}
