"""Where angle labels go on a frame: which side of its joint, and a free spot near it.

Pure geometry (pixels, image axes), no drawing: :class:`dashboard.annotate.AngleAnnotator`
asks here. A label goes on the outside of its own joint, away from the same joint on the
other side of the body (its partner): a left knee to the left of the right knee gets its
label on the left, whichever way the athlete faces. The body's midline is no guide when
both knees are near it (a side view, a walk), which is why the partner decides. A label
never covers another: it moves up or down a little, and is left out when no free spot is
near its joint (a label far from its joint reads as another joint's).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from estimator.keypoints import KEYPOINT_INDEX

Rect = tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels

# Where each angle is drawn: the mean of these keypoints (without the `_3d` suffix).
_JOINT_ANGLES = ("knee", "hip", "ankle", "elbow", "shoulder", "wrist")
_SEGMENTS = {
    "thigh": ("hip", "knee"),
    "shank": ("knee", "ankle"),
    "upper_arm": ("shoulder", "elbow"),
    "forearm": ("elbow", "wrist"),
    "foot": ("heel", "foot_index"),
}
_MIDLINE = {
    "trunk": ("left_hip", "right_hip", "left_shoulder", "right_shoulder"),
    "trunk_lean": ("left_hip", "right_hip", "left_shoulder", "right_shoulder"),
    "pelvis": ("left_hip", "right_hip"),
    "shoulders": ("left_shoulder", "right_shoulder"),
}


def angle_anchor(name: str) -> tuple[str, ...]:
    """Keypoints whose mean is where the angle ``name`` is drawn (``left_knee`` -> left_knee)."""
    base = name.removesuffix("_3d")
    if base in _MIDLINE:
        return _MIDLINE[base]
    for side in ("left", "right"):
        prefix = f"{side}_"
        if base.startswith(prefix):
            part = base[len(prefix):]
            if part in _JOINT_ANGLES:
                return (f"{side}_{part}",)
            if part in _SEGMENTS:
                return tuple(f"{side}_{p}" for p in _SEGMENTS[part])
    raise KeyError(f"no place to draw the angle {name!r}")


def angle_short_name(name: str) -> str:
    """A compact label: ``left_knee`` -> ``L knee``, ``trunk_lean_3d`` -> ``Trunk lean 3D``."""
    base = name.removesuffix("_3d")
    suffix = " 3D" if name.endswith("_3d") else ""
    for side, letter in (("left_", "L "), ("right_", "R ")):
        if base.startswith(side):
            return letter + base[len(side):].replace("_", " ") + suffix
    return base.replace("_", " ").capitalize() + suffix


DEFAULT_ANGLES: tuple[str, ...] = (
    "left_knee", "right_knee", "left_hip", "right_hip", "left_elbow", "right_elbow",
)


def anchor_at(kp: np.ndarray, visible: np.ndarray, name: str) -> tuple[float, float] | None:
    """Where the angle ``name`` is drawn from in one frame (``kp`` (33, 3), ``visible``
    (33,) bool); None when its keypoints are not all visible."""
    idx = [KEYPOINT_INDEX[n] for n in angle_anchor(name)]
    if not visible[idx].all():
        return None
    return float(kp[idx, 0].mean()), float(kp[idx, 1].mean())


def label_directions(kp: np.ndarray, visible: np.ndarray, names: Sequence[str],
                     person_height: float) -> dict[str, float]:
    """For one person in one frame, the direction (:data:`LEFT`/:data:`RIGHT`) of each
    angle label of ``names`` whose joint is visible (see :func:`outward`); the drawing
    on the server and the player in the browser both place labels by it."""
    apart = max(2.0, 0.04 * person_height)  # joints closer than this: their order is noise
    sides: tuple[list[float], list[float]] = ([], [])
    for column, side in enumerate(("left", "right")):
        for part in ("shoulder", "hip"):
            k = KEYPOINT_INDEX[f"{side}_{part}"]
            if visible[k]:
                sides[column].append(float(kp[k, 0]))
    facing = facing_of(*sides, min_apart=apart)
    out: dict[str, float] = {}
    for name in names:
        at = anchor_at(kp, visible, name)
        if at is None:
            continue
        other = partner(name)
        partner_at = anchor_at(kp, visible, other) if other else None
        out[name] = outward(name, at[0], None if partner_at is None else partner_at[0],
                            facing, apart)
    return out

LEFT, RIGHT = -1.0, 1.0


def overlaps(a: Rect, b: Rect) -> bool:
    """Whether two rectangles share any pixel."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def partner(name: str) -> str | None:
    """The same angle on the other side: ``left_knee`` -> ``right_knee``; None for the
    midline (``trunk``, ``pelvis``...)."""
    for side, other in (("left_", "right_"), ("right_", "left_")):
        if name.startswith(side):
            return other + name[len(side):]
    return None


def outward(name: str, joint_x: float, partner_x: float | None, facing: float | None,
            min_apart: float) -> float:
    """Direction of a label from its joint: :data:`LEFT` (-1) or :data:`RIGHT` (+1).

    ``partner_x``: x of the partner joint when visible. ``facing``: +1 when the person's
    left is on the image's right (they face the camera), -1 when it is on the image's left,
    None when unknown (side view). ``min_apart``: how far apart (pixels) the two joints must
    be for their order to count. Midline angles go right.
    """
    side = -1.0 if name.startswith("left_") else 1.0 if name.startswith("right_") else 0.0
    if side == 0.0:
        return RIGHT
    if partner_x is not None and abs(joint_x - partner_x) >= min_apart:
        return RIGHT if joint_x > partner_x else LEFT
    if facing is not None:
        # facing +1: the left side is on the image's right, so left labels go right
        return facing * -side
    return side  # side view with the joints together: left labels left, right ones right


def facing_of(left_xs: Iterable[float], right_xs: Iterable[float], min_apart: float
              ) -> float | None:
    """+1 when the person's left shoulder and hip are on the image's right of their right
    ones, -1 when on its left, None when they are too close to tell (a side view)."""
    left, right = list(left_xs), list(right_xs)
    if not left or not right:
        return None
    gap = sum(left) / len(left) - sum(right) / len(right)
    if abs(gap) < min_apart:
        return None
    return 1.0 if gap > 0 else -1.0


def free_spot(x: int, y: int, width: int, height: int, taken: Iterable[Rect],
              image_width: int, image_height: int, max_shift: float) -> Rect | None:
    """The free ``width`` x ``height`` rectangle nearest (x, y), moved up or down by at most
    ``max_shift`` pixels and kept inside the image; None when every such spot is taken."""
    taken = list(taken)
    x = min(max(x, 0), max(0, image_width - width))
    step = max(2, height // 2)
    shifts = [0]
    k = 1
    while k * step <= max_shift:
        shifts += [-k * step, k * step]
        k += 1
    for dy in shifts:
        cy = min(max(y + dy, 0), max(0, image_height - height))
        rect = (x, cy, x + width, cy + height)
        if abs(cy - y) <= max_shift and not any(overlaps(rect, t) for t in taken):
            return rect
    return None
