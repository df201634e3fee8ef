"""Scoring poses against the LSP-extended labels: torso size, matching, PCK, angle errors.

The rules are those of ``../shared/datasets/lspet-dev/README.md``:

- **Torso size**: the mean of |left_shoulder - right_hip| and
  |right_shoulder - left_hip| over the diagonals whose two joints are labelled.
  When neither diagonal is labelled (a side view with one side unlabelled),
  the same-side shoulder-hip distances stand in (our extension, counted in
  the summary); with neither, the photo cannot be scored.
- **Matching**: of the people predicted in a photo, the labelled athlete is
  the one with the smallest mean torso-normalised distance over the labelled
  limb joints; farther than :data:`MATCH_TORSOS` torso, the athlete is not
  found and every labelled joint counts as wrong.
- **PCK@0.2**: a labelled limb joint is right when the prediction lies within
  :data:`PCK_TORSOS` torso of the label.
- **Angle errors**: |interior angle from the prediction - from the labels|, in
  degrees, at knee (hip-knee-ankle) and elbow (shoulder-elbow-wrist), on found
  athletes with the three joints labelled.

Everything here is plain numpy on (12, 2) arrays of pixel coordinates in
:data:`LIMB_JOINTS` order; nothing from the project is imported.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

#: The 12 limb joints of LSP, in the labels' order; each has a BlazePose namesake.
LIMB_JOINTS: tuple[str, ...] = (
    "right_ankle", "right_knee", "right_hip", "left_hip", "left_knee", "left_ankle",
    "right_wrist", "right_elbow", "right_shoulder", "left_shoulder", "left_elbow", "left_wrist",
)
JOINT = {name: i for i, name in enumerate(LIMB_JOINTS)}
#: Index of each limb joint among BlazePose's 33 keypoints (DESIGN.md order).
BLAZEPOSE_INDEX: tuple[int, ...] = (28, 26, 24, 23, 25, 27, 16, 14, 12, 11, 13, 15)
#: Interior angles judged: name -> (proximal, vertex, distal) joint names.
ANGLES: dict[str, tuple[str, str, str]] = {
    "left_knee": ("left_hip", "left_knee", "left_ankle"),
    "right_knee": ("right_hip", "right_knee", "right_ankle"),
    "left_elbow": ("left_shoulder", "left_elbow", "left_wrist"),
    "right_elbow": ("right_shoulder", "right_elbow", "right_wrist"),
}
PCK_TORSOS = 0.2
MATCH_TORSOS = 1.0
#: Person size bands: torso size edges in pixels (fixed, so runs on other photos compare).
SIZE_EDGES_PX: tuple[float, ...] = (40.0, 55.0)


@dataclass(frozen=True)
class Label:
    """One labelled athlete: ``points`` (12, 2) pixels and ``labelled`` (12,) bool,
    in :data:`LIMB_JOINTS` order."""

    image: str
    width: int
    height: int
    split: str
    points: np.ndarray
    labelled: np.ndarray


def load_labels(dataset: Path, split: str = "val") -> list[Label]:
    """The labelled athletes of ``dataset/labels.json``, split ``train``, ``val`` or ``all``."""
    data = json.loads((dataset / "labels.json").read_text())
    labels = []
    for record in data["records"]:
        if split != "all" and record["split"] != split:
            continue
        joints = np.array([record["keypoints"][name] for name in LIMB_JOINTS], dtype=np.float64)
        labels.append(Label(record["image"], int(record["width"]), int(record["height"]),
                            record["split"], joints[:, :2], joints[:, 2] > 0))
    return labels


def limb_points(keypoints: np.ndarray) -> np.ndarray:
    """The 12 limb joints (12, 2) pixels of a BlazePose pose (33, >=2)."""
    return np.asarray(keypoints, dtype=np.float64)[list(BLAZEPOSE_INDEX), :2]


def torso_size(points: np.ndarray, labelled: np.ndarray) -> tuple[float, bool]:
    """Torso size in pixels and whether the same-side fallback gave it (NaN: none).

    ``points`` (12, 2), ``labelled`` (12,) bool, :data:`LIMB_JOINTS` order.
    """
    def lengths(pairs: Sequence[tuple[str, str]]) -> list[float]:
        return [float(np.hypot(*(points[JOINT[a]] - points[JOINT[b]])))
                for a, b in pairs if labelled[JOINT[a]] and labelled[JOINT[b]]]

    diagonal = lengths([("left_shoulder", "right_hip"), ("right_shoulder", "left_hip")])
    if diagonal:
        return float(np.mean(diagonal)), False
    same_side = lengths([("left_shoulder", "left_hip"), ("right_shoulder", "right_hip")])
    if same_side:
        return float(np.mean(same_side)), True
    return math.nan, False


def joint_distances(predicted: np.ndarray, label: Label, torso: float) -> np.ndarray:
    """(12,) distance of each predicted joint to its label, in torsos; NaN where unlabelled."""
    distance = np.hypot(*(np.asarray(predicted, dtype=np.float64) - label.points).T) / torso
    return np.where(label.labelled, distance, np.nan)


def match_athlete(
    candidates: Sequence[np.ndarray], label: Label, torso: float
) -> tuple[int | None, float]:
    """Which of the predicted people (each (12, 2) pixels) is the labelled athlete.

    Returns the index of the one with the smallest mean torso-normalised
    distance over the labelled limb joints and that distance; the index is
    None when nobody was predicted or the nearest is farther than
    :data:`MATCH_TORSOS`.
    """
    best, best_distance = None, math.inf
    for i, candidate in enumerate(candidates):
        distance = float(np.nanmean(joint_distances(candidate, label, torso)))
        if distance < best_distance:
            best, best_distance = i, distance
    if best_distance > MATCH_TORSOS:
        return None, best_distance
    return best, best_distance


def interior_angle(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    """Angle at ``b`` between b->a and b->c, degrees in [0, 180]; NaN if a side has no length."""
    u = np.asarray(a, dtype=np.float64) - b
    v = np.asarray(c, dtype=np.float64) - b
    if not (u.any() and v.any()):
        return math.nan
    return math.degrees(math.atan2(abs(u[0] * v[1] - u[1] * v[0]), float(u @ v)))


def angle_errors(predicted: np.ndarray, label: Label) -> dict[str, float]:
    """|interior angle predicted - labelled| (degrees) per :data:`ANGLES` name, where labelled.

    An angle that cannot be measured (two of its points on one pixel, in the
    labels or the prediction) is left out, as poseaudit leaves it out.
    """
    errors = {}
    for name, joints in ANGLES.items():
        idx = [JOINT[j] for j in joints]
        if label.labelled[idx].all():
            truth = interior_angle(*label.points[idx])
            guess = interior_angle(*np.asarray(predicted, dtype=np.float64)[idx])
            if not (math.isnan(truth) or math.isnan(guess)):
                errors[name] = abs(guess - truth)
    return errors


@dataclass(frozen=True)
class PhotoScore:
    """One photo's result: torso (px), found, per-joint correctness (12,) bool (only where
    ``labelled``), and angle errors (degrees) of a found athlete."""

    image: str
    torso: float
    torso_fallback: bool
    found: bool
    match_distance: float
    labelled: np.ndarray
    correct: np.ndarray
    angle_errors: dict[str, float] = field(default_factory=dict)
    matched: int | None = None  # index of the matched prediction


def score_photo(label: Label, people: Sequence[np.ndarray]) -> PhotoScore | None:
    """Score the people predicted in one photo (each (33, >=2) BlazePose pixels) against its
    label; None when the label has no torso to normalise by."""
    torso, fallback = torso_size(label.points, label.labelled)
    if not torso > 0:
        return None
    candidates = [limb_points(p) for p in people]
    index, distance = match_athlete(candidates, label, torso)
    if index is None:
        return PhotoScore(label.image, torso, fallback, False, distance, label.labelled,
                          np.zeros(len(LIMB_JOINTS), dtype=bool))
    near = joint_distances(candidates[index], label, torso) <= PCK_TORSOS
    return PhotoScore(label.image, torso, fallback, True, distance, label.labelled,
                      near & label.labelled, angle_errors(candidates[index], label), index)


def _band_name(low: float, high: float) -> str:
    if low == 0:
        return f"<{high:g} px"
    return f">={low:g} px" if high == math.inf else f"{low:g}-{high:g} px"


def band_names(edges: Sequence[float] = SIZE_EDGES_PX) -> list[str]:
    """Names of the person-size bands cut at ``edges`` (px), small to large: e.g.
    ``['<40 px', '40-55 px', '>=55 px']``."""
    bounds = [0.0, *edges, math.inf]
    return [_band_name(low, high) for low, high in zip(bounds, bounds[1:], strict=False)]


def size_band(torso: float, edges: Sequence[float] = SIZE_EDGES_PX) -> str:
    """Name of the person-size band of a torso size in pixels (a band holds its low edge)."""
    return band_names(edges)[int(np.searchsorted(edges, torso, side="right"))]


def summarise(scores: Sequence[PhotoScore]) -> dict:
    """Figures over scored photos: ``photos``, ``found`` (share), ``pck`` (over labelled limb
    joints), ``pck_per_joint``, and ``{knee,elbow}_{median,mean}_deg`` with their counts
    ``{knee,elbow}_n`` (left and right pooled). Empty inputs give NaN shares."""
    n = len(scores)
    labelled = np.array([s.labelled for s in scores], dtype=bool).reshape(n, len(LIMB_JOINTS))
    correct = np.array([s.correct for s in scores], dtype=bool).reshape(n, len(LIMB_JOINTS))
    per_joint_n = labelled.sum(0)
    out: dict = {
        "photos": n,
        "found": sum(s.found for s in scores) / n if n else math.nan,
        "pck": float(correct.sum() / labelled.sum()) if labelled.any() else math.nan,
        "pck_per_joint": {
            name: float(correct[:, j].sum() / per_joint_n[j]) if per_joint_n[j] else math.nan
            for j, name in enumerate(LIMB_JOINTS)
        },
    }
    for joint in ("knee", "elbow"):
        errors = [e for s in scores for name, e in s.angle_errors.items()
                  if name.endswith(joint)]
        out[f"{joint}_n"] = len(errors)
        out[f"{joint}_median_deg"] = float(np.median(errors)) if errors else math.nan
        out[f"{joint}_mean_deg"] = float(np.mean(errors)) if errors else math.nan
    return out


def summarise_by_size(
    scores: Sequence[PhotoScore], edges: Sequence[float] = SIZE_EDGES_PX
) -> dict[str, dict]:
    """:func:`summarise` per person-size band (torso size in px), small to large."""
    return {band: summarise([s for s in scores if size_band(s.torso, edges) == band])
            for band in band_names(edges)}
