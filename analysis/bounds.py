"""What an angle can be: definition ranges, and the envelope a cleaned value stays in.

Definition ranges (DESIGN.md), in degrees, for 2D and 3D (``_3d``) alike:

==========================================================  ============
angle                                                       range
==========================================================  ============
``{side}_knee``, ``_hip``, ``_elbow``, ``_shoulder``,
``_wrist`` (flexion; the shoulder from the trunk)           [0, 180]
``{side}_ankle`` (dorsiflexion positive)                    [-90, 90]
``trunk_lean``                                              [0, 180]
segment angles (``trunk``, ``pelvis``, ``left_thigh``...)    (-180, 180]
==========================================================  ============

A raw angle is in its range by construction (:mod:`analysis.angles`); a
cleaned one must be kept there. Segment angles live on a circle: they are
wrapped into (-180, 180] rather than clipped, so :func:`definition_range` gives
None for them.

The envelope limit (:func:`limit_to_envelope`) is what keeps a low-pass filter
from inventing values: each filtered sample is limited to the smallest and
largest input sample within ``half_window`` frames of it. A zero-phase
Butterworth rings before and after a quick change (about 10 % of the step for
order 4, run twice); the limit takes that ringing off and leaves everything
else alone, since a filtered value inside the local range of what was measured
is a weighted average the filter is entitled to. See
:mod:`analysis.filtering` for why the angles are bounded this way rather than
computed from filtered keypoints.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
from scipy import ndimage

#: Range of each joint angle by joint (the part of the name after the side).
JOINT_RANGES: dict[str, tuple[float, float]] = {
    "knee": (0.0, 180.0),
    "hip": (0.0, 180.0),
    "ankle": (-90.0, 90.0),
    "elbow": (0.0, 180.0),
    "shoulder": (0.0, 180.0),
    "wrist": (0.0, 180.0),
}
TRUNK_LEAN_RANGE: tuple[float, float] = (0.0, 180.0)


def definition_range(name: str) -> tuple[float, float] | None:
    """``(low, high)`` in degrees of a joint angle or ``trunk_lean`` (2D or 3D);
    None for segment angles (wrapped, not clipped) and names that are not angles."""
    base = str(name).removesuffix("_3d")
    if base == "trunk_lean":
        return TRUNK_LEAN_RANGE
    side, _, joint = base.partition("_")
    if side in ("left", "right"):
        return JOINT_RANGES.get(joint)
    return None


def definition_ranges(names: Iterable[object]) -> tuple[np.ndarray, np.ndarray]:
    """(columns,) lower and upper bounds of ``names`` (-inf / +inf where unbounded)."""
    ranges = [definition_range(str(n)) for n in names]
    low = np.array([r[0] if r else -np.inf for r in ranges], dtype=float)
    high = np.array([r[1] if r else np.inf for r in ranges], dtype=float)
    return low, high


def clip_to_definition(values: np.ndarray, names: Iterable[object]) -> np.ndarray:
    """Copy of (frames, columns) ``values`` with each column clipped to the range of
    its name (:func:`definition_range`); NaN stays NaN, other columns are untouched."""
    low, high = definition_ranges(names)
    with np.errstate(invalid="ignore"):
        return np.clip(np.asarray(values, dtype=float), low, high)


def envelope_half_window(fps: float, cutoff_hz: float) -> int:
    """Frames on each side of a sample that bound its filtered value: half a period
    of the cut-off frequency, ``ceil(fps / (2 * cutoff_hz))`` (3 at 30 fps and
    6 Hz, 10 at 120 fps), at least 1."""
    if not fps > 0 or not cutoff_hz > 0:
        return 1
    return max(1, math.ceil(fps / (2.0 * cutoff_hz) - 1e-9))


def limit_to_envelope(filtered: np.ndarray, reference: np.ndarray, half_window: int) -> np.ndarray:
    """``filtered`` limited to the running min and max of ``reference``.

    Both are (signals, frames) arrays, as rows. Sample ``j`` of a row ends within
    ``[min, max]`` of that row of ``reference`` over frames ``j - half_window`` to
    ``j + half_window``; missing reference samples are left out of the window,
    and a sample with no reference in its window (or a missing one) is left as
    it is. Returns a new array.
    """
    f = np.asarray(filtered, dtype=float)
    r = np.asarray(reference, dtype=float)
    if f.shape != r.shape:
        raise ValueError(f"filtered {f.shape} and reference {r.shape} differ in shape")
    if f.size == 0:
        return f.copy()
    size = 2 * int(half_window) + 1
    seen = np.isfinite(r)
    low = ndimage.minimum_filter1d(np.where(seen, r, np.inf), size, axis=-1, mode="nearest")
    high = ndimage.maximum_filter1d(np.where(seen, r, -np.inf), size, axis=-1, mode="nearest")
    bounded = np.isfinite(low) & np.isfinite(f)
    out = f.copy()
    out[bounded] = np.clip(f[bounded], low[bounded], high[bounded])
    return out
