"""Keypoints in other tools' orders: COCO-17, OpenPose COCO-18, MPII-16, LSP-14, AI Challenger-14.

Every schema is built from the 33 BlazePose keypoints (``KEYPOINT_NAMES``).
Points the other schemas have and BlazePose lacks are derived as weighted
sums of BlazePose points (coordinates), with the visibility of the least
visible point used (a derived point is only as trustworthy as its weakest
source). The weights work in pixels and in world metres alike.

Derived points
--------------
==============  =============================================================================
``neck``        OpenPose-18: midpoint of the shoulders (``mid_shoulder``).
                LSP-14 and AI Challenger-14: the top of the neck, as ``upper_neck`` below
                (LSP's neck is MPII's upper neck, as the datasets' usual mappings have it).
``pelvis``      MPII: midpoint of the hips (``mid_hip``).
``thorax``      MPII: midpoint of the shoulders (``mid_shoulder``).
``upper_neck``  MPII: midway between ``mid_shoulder`` and the midpoint of the ears, i.e. at the
                jaw: the ears sit about one neck-length above the shoulder line.
``head_top``    MPII, LSP, AI Challenger: ``mid_ear + 0.5 * (mid_ear - mid_shoulder)``:
                continues the neck line beyond the ears (the middle of the head) by as much
                again as from upper neck to ears, so that upper neck to head top spans
                the head.
==============  =============================================================================

Names follow the project's own (``left_``/``right_`` are the person's own sides)
so that a name means the same point in every schema; the index order is each
dataset's canonical one.
"""

from __future__ import annotations

import numpy as np

from estimator.keypoints import KEYPOINT_INDEX, NUM_KEYPOINTS

Recipe = dict[str, float]  # BlazePose keypoint name -> weight (weights sum to 1)

_MID_SHOULDER: Recipe = {"left_shoulder": 0.5, "right_shoulder": 0.5}
_MID_HIP: Recipe = {"left_hip": 0.5, "right_hip": 0.5}
_UPPER_NECK: Recipe = {"left_shoulder": 0.25, "right_shoulder": 0.25,
                       "left_ear": 0.25, "right_ear": 0.25}
_HEAD_TOP: Recipe = {"left_ear": 0.75, "right_ear": 0.75,
                     "left_shoulder": -0.25, "right_shoulder": -0.25}

_LIMBS_RIGHT_THEN_LEFT = (
    "right_ankle", "right_knee", "right_hip", "left_hip", "left_knee", "left_ankle",
    "right_wrist", "right_elbow", "right_shoulder", "left_shoulder", "left_elbow", "left_wrist",
)

# Each schema: (name, recipe) in the dataset's canonical order; a recipe of None
# means the BlazePose point of the same name.
_DEFINITIONS: dict[str, tuple[tuple[str, Recipe | None], ...]] = {
    # COCO keypoints: https://cocodataset.org/#format-data
    "coco17": tuple((name, None) for name in (
        "nose", "left_eye", "right_eye", "left_ear", "right_ear",
        "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
        "left_wrist", "right_wrist", "left_hip", "right_hip",
        "left_knee", "right_knee", "left_ankle", "right_ankle",
    )),
    # OpenPose COCO-18 (pose/coco): Nose, Neck, RShoulder, RElbow, RWrist, LShoulder, LElbow,
    # LWrist, RHip, RKnee, RAnkle, LHip, LKnee, LAnkle, REye, LEye, REar, LEar
    "openpose18": (
        ("nose", None), ("neck", _MID_SHOULDER),
        ("right_shoulder", None), ("right_elbow", None), ("right_wrist", None),
        ("left_shoulder", None), ("left_elbow", None), ("left_wrist", None),
        ("right_hip", None), ("right_knee", None), ("right_ankle", None),
        ("left_hip", None), ("left_knee", None), ("left_ankle", None),
        ("right_eye", None), ("left_eye", None), ("right_ear", None), ("left_ear", None),
    ),
    # MPII Human Pose: 0 r_ankle ... 5 l_ankle, 6 pelvis, 7 thorax, 8 upper_neck, 9 head_top,
    # 10 r_wrist, 11 r_elbow, 12 r_shoulder, 13 l_shoulder, 14 l_elbow, 15 l_wrist
    "mpii16": (
        *((name, None) for name in _LIMBS_RIGHT_THEN_LEFT[:6]),
        ("pelvis", _MID_HIP), ("thorax", _MID_SHOULDER),
        ("upper_neck", _UPPER_NECK), ("head_top", _HEAD_TOP),
        *((name, None) for name in _LIMBS_RIGHT_THEN_LEFT[6:]),
    ),
    # Leeds Sports Pose: right ankle ... left ankle, right wrist ... left wrist, neck, head top
    "lsp14": (
        *((name, None) for name in _LIMBS_RIGHT_THEN_LEFT),
        ("neck", _UPPER_NECK), ("head_top", _HEAD_TOP),
    ),
    # AI Challenger 2017: 1 right shoulder, 2 right elbow, 3 right wrist, 4 left shoulder,
    # 5 left elbow, 6 left wrist, 7 right hip, 8 right knee, 9 right ankle, 10 left hip,
    # 11 left knee, 12 left ankle, 13 top of the head, 14 neck (1-based in its documentation)
    "aichallenger14": (
        *((name, None) for name in (
            "right_shoulder", "right_elbow", "right_wrist",
            "left_shoulder", "left_elbow", "left_wrist",
            "right_hip", "right_knee", "right_ankle",
            "left_hip", "left_knee", "left_ankle",
        )),
        ("head_top", _HEAD_TOP), ("neck", _UPPER_NECK),
    ),
}

#: Keypoint names of each schema, in that schema's order.
SCHEMAS: dict[str, tuple[str, ...]] = {
    schema: tuple(name for name, _ in points) for schema, points in _DEFINITIONS.items()
}


_MAX_SOURCES = 4


def _table(points: tuple[tuple[str, Recipe | None], ...]) -> tuple[np.ndarray, np.ndarray]:
    """(K, 4) BlazePose indices and (K, 4) weights: row k builds the schema's point k.

    Rows with fewer sources repeat their first source with weight 0, so a missing
    (NaN) keypoint only spoils the points actually made from it.
    """
    indices = np.zeros((len(points), _MAX_SOURCES), dtype=np.intp)
    weights = np.zeros((len(points), _MAX_SOURCES))
    for row, (name, recipe) in enumerate(points):
        sources = list((recipe or {name: 1.0}).items())
        for col in range(_MAX_SOURCES):
            source, weight = sources[col] if col < len(sources) else (sources[0][0], 0.0)
            indices[row, col], weights[row, col] = KEYPOINT_INDEX[source], weight
    return indices, weights


_TABLES: dict[str, tuple[np.ndarray, np.ndarray]] = {
    schema: _table(points) for schema, points in _DEFINITIONS.items()
}


def _combine(keypoints: np.ndarray, table: tuple[np.ndarray, np.ndarray],
             visibility: bool) -> np.ndarray:
    """Build (..., K, C) points from (..., 33, C) keypoints with an index/weight table."""
    keypoints = np.asarray(keypoints, dtype=float)
    if keypoints.ndim < 2 or keypoints.shape[-2] != NUM_KEYPOINTS:
        raise ValueError(f"expected keypoints shaped (..., {NUM_KEYPOINTS}, C), "
                         f"got {keypoints.shape}")
    n_coords = keypoints.shape[-1] - 1 if visibility else keypoints.shape[-1]
    if n_coords < 1:
        raise ValueError("with visibility=True the last axis needs coordinates and a visibility")
    indices, weights = table
    gathered = keypoints[..., indices, :]  # (..., K, 4, C)
    coords = np.sum(weights[..., None] * gathered[..., :n_coords], axis=-2)
    if not visibility:
        return coords
    least = np.min(gathered[..., -1], axis=-1)  # (..., K): weakest source
    return np.concatenate([coords, least[..., None]], axis=-1)


def convert_keypoints(keypoints: np.ndarray, schema: str, visibility: bool = True) -> np.ndarray:
    """BlazePose keypoints in another schema's order.

    Parameters
    ----------
    keypoints
        Shape (..., 33, C) in ``KEYPOINT_NAMES`` order: e.g. (33, 3) for one person
        or (F, 33, 3) for a clip; C = 3 for [x_px, y_px, visibility].
    schema
        A key of :data:`SCHEMAS`: "coco17", "openpose18", "mpii16", "lsp14", "aichallenger14".
    visibility
        True (default) when the last channel is a visibility: derived points take the
        least visibility of their sources. False for plain coordinates, e.g. world
        keypoints (..., 33, 3) in metres: every channel is then combined.

    Returns
    -------
    np.ndarray
        Shape (..., K, C), K = ``len(SCHEMAS[schema])``, float, same units as the input.
    """
    if schema not in _TABLES:
        raise ValueError(f"unknown schema {schema!r}; choose one of {', '.join(SCHEMAS)}")
    return _combine(keypoints, _TABLES[schema], visibility)


def _point(recipe: Recipe) -> tuple[np.ndarray, np.ndarray]:
    return _table((("point", recipe),))


def mid_hip(keypoints: np.ndarray, visibility: bool = True) -> np.ndarray:
    """Midpoint of the hips: (..., 33, C) -> (..., C); visibility = the lesser of the two."""
    return _combine(keypoints, _point(_MID_HIP), visibility)[..., 0, :]


def mid_shoulder(keypoints: np.ndarray, visibility: bool = True) -> np.ndarray:
    """Midpoint of the shoulders (the neck of OpenPose): (..., 33, C) -> (..., C)."""
    return _combine(keypoints, _point(_MID_SHOULDER), visibility)[..., 0, :]
