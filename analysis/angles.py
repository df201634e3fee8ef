"""Joint and segment angles from pose keypoints, vectorised over whole tracks.

The convention is DESIGN.md's, in degrees. With ``angle(a, b, c)`` the angle at
``b`` between ``b->a`` and ``b->c``, in [0, 180]:

==================  ===========================================  ==========
name                definition                                   range
==================  ===========================================  ==========
``{side}_knee``     180 - angle(hip, knee, ankle)                [0, 180]
``{side}_hip``      180 - angle(shoulder, hip, knee)             [0, 180]
``{side}_ankle``    90 - angle(knee, ankle, foot_index)          [-90, 90]
``{side}_elbow``    180 - angle(shoulder, elbow, wrist)          [0, 180]
``{side}_shoulder`` angle(hip, shoulder, elbow)                  [0, 180]
``{side}_wrist``    180 - angle(elbow, wrist, index)             [0, 180]
==================  ===========================================  ==========

Joint angles are flexion angles (0 with the limb straight); the ankle is
positive in dorsiflexion, negative in plantarflexion; the shoulder is 0 with the
arm along the trunk and 180 with it overhead.

Segment angles are measured against the image horizontal, counter-clockwise
positive *as seen by the viewer* (so with y pointing up, although image y points
down), in (-180, 180]: ``trunk`` (mid_hip -> mid_shoulder), ``pelvis``
(right_hip -> left_hip), ``shoulders`` (right_shoulder -> left_shoulder),
``{side}_thigh`` (hip -> knee), ``{side}_shank`` (knee -> ankle),
``{side}_upper_arm`` (shoulder -> elbow), ``{side}_forearm`` (elbow -> wrist),
``{side}_foot`` (heel -> foot_index). A standing trunk is 90, a hanging shank -90.

``trunk_lean`` is the unsigned angle between the trunk and the image vertical, in
[0, 180] (0 upright, 90 horizontal), so it reads the same whichever way the
athlete faces.

3D angles (suffix ``_3d``) come from the world keypoints (metres, origin between
the hips, axes as the image's: x right, y down, z away from the camera):

- every joint angle, by the same formulas in 3D (the true angle between the
  segments, free of the foreshortening of the 2D angle);
- ``trunk_lean_3d``: the angle between the trunk and the world's up axis (-y).
  The world axes follow the camera, so a tilted camera tilts "up" in 3D as it
  does in 2D.
- The *signed* segment angles have no 3D version. A signed angle needs a plane
  to turn in; projecting the world segment onto the camera's x-y plane would give
  nothing but a noisier copy of the 2D angle, so they are omitted rather than
  duplicated.

Missing values: an angle is NaN when any keypoint it uses has visibility below
the threshold (or NaN coordinates/visibility, as for frames where the person was
not found), and when a segment it uses has zero length. A segment angle is also
NaN when the segment is seen end-on: shorter than a tenth of the track's median
trunk length (:data:`MIN_SEGMENT_SHARE`), its direction is noise (the pelvis and
shoulders of someone walking past the camera). A derived point
(mid_hip, mid_shoulder) needs both its keypoints.

Every angle is in its definition range by construction (the table above;
segment angles in (-180, 180]); :mod:`analysis.bounds` keeps cleaned ones
there, and :mod:`analysis.angle_stats` summarises them.

Column order (stable; :data:`ANGLE_NAMES_2D` then :data:`ANGLE_NAMES_3D`):
joint angles (knee, hip, ankle, elbow, shoulder, wrist; left before right), then
segment angles (trunk, pelvis, shoulders, then thigh, shank, upper_arm, forearm,
foot; left before right), then ``trunk_lean``; the 3D columns follow in the same
order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.errors import AnalysisError
from estimator.keypoints import KEYPOINT_INDEX, NUM_KEYPOINTS

SIDES: tuple[str, str] = ("left", "right")

# Derived points appended after the 33 keypoints, as (name, first, second) midpoints.
_DERIVED: tuple[tuple[str, str, str], ...] = (
    ("mid_hip", "left_hip", "right_hip"),
    ("mid_shoulder", "left_shoulder", "right_shoulder"),
)
_POINT_INDEX: dict[str, int] = dict(KEYPOINT_INDEX)
for _i, (_name, _a, _b) in enumerate(_DERIVED):
    _POINT_INDEX[_name] = NUM_KEYPOINTS + _i

# Joint angles: name -> (a, b, c, offset, sign); value = offset + sign * angle(a, b, c).
_JOINT_FORMULAS: dict[str, tuple[str, str, str, float, float]] = {
    "knee": ("hip", "knee", "ankle", 180.0, -1.0),
    "hip": ("shoulder", "hip", "knee", 180.0, -1.0),
    "ankle": ("knee", "ankle", "foot_index", 90.0, -1.0),
    "elbow": ("shoulder", "elbow", "wrist", 180.0, -1.0),
    "shoulder": ("hip", "shoulder", "elbow", 0.0, 1.0),
    "wrist": ("elbow", "wrist", "index", 180.0, -1.0),
}
JOINTS: tuple[str, ...] = tuple(_JOINT_FORMULAS)

# Segment angles: name -> (from, to) point names.
_SEGMENTS: dict[str, tuple[str, str]] = {
    "trunk": ("mid_hip", "mid_shoulder"),
    "pelvis": ("right_hip", "left_hip"),
    "shoulders": ("right_shoulder", "left_shoulder"),
}
_SIDE_SEGMENTS: dict[str, tuple[str, str]] = {
    "thigh": ("hip", "knee"),
    "shank": ("knee", "ankle"),
    "upper_arm": ("shoulder", "elbow"),
    "forearm": ("elbow", "wrist"),
    "foot": ("heel", "foot_index"),
}
for _seg, (_p, _q) in _SIDE_SEGMENTS.items():
    for _side in SIDES:
        _SEGMENTS[f"{_side}_{_seg}"] = (f"{_side}_{_p}", f"{_side}_{_q}")

JOINT_ANGLES: tuple[str, ...] = tuple(f"{side}_{j}" for j in JOINTS for side in SIDES)
SEGMENT_ANGLES: tuple[str, ...] = tuple(_SEGMENTS)
ANGLE_NAMES_2D: tuple[str, ...] = (*JOINT_ANGLES, *SEGMENT_ANGLES, "trunk_lean")
ANGLE_NAMES_3D: tuple[str, ...] = (*(f"{n}_3d" for n in JOINT_ANGLES), "trunk_lean_3d")
#: Angles that live on a circle (signed segment angles): they wrap at +-180, so
#: filters, ranges and differences work on their unwrapped values.
CIRCULAR_ANGLES: frozenset[str] = frozenset(SEGMENT_ANGLES)

#: A segment shorter than this share of the track's median trunk length (mid-hip to
#: mid-shoulder, in the image) is seen end-on: its direction is the keypoints' noise
#: (the pelvis of someone seen from the side is a few pixels long), so its angle is
#: missing rather than a guess that can point anywhere.
MIN_SEGMENT_SHARE = 0.1

_J_ABC = np.array(
    [
        [_POINT_INDEX[f"{side}_{p}"] for p in _JOINT_FORMULAS[j][:3]]
        for j in JOINTS
        for side in SIDES
    ]
)
_J_OFFSET = np.array([_JOINT_FORMULAS[j][3] for j in JOINTS for _ in SIDES])
_J_SIGN = np.array([_JOINT_FORMULAS[j][4] for j in JOINTS for _ in SIDES])
_S_FROM_TO = np.array([[_POINT_INDEX[p], _POINT_INDEX[q]] for p, q in _SEGMENTS.values()])
_TRUNK = (_POINT_INDEX["mid_hip"], _POINT_INDEX["mid_shoulder"])


def angle_names(with_3d: bool = True) -> tuple[str, ...]:
    """The columns :func:`compute_angles` returns, in order."""
    return (*ANGLE_NAMES_2D, *ANGLE_NAMES_3D) if with_3d else ANGLE_NAMES_2D


def is_circular(name: str) -> bool:
    """True for signed segment angles, which wrap at +-180 degrees."""
    return name in CIRCULAR_ANGLES


def wrap_deg(values: np.ndarray | float) -> np.ndarray:
    """Angles in degrees mapped into (-180, 180]; NaN stays NaN."""
    return 180.0 - np.mod(180.0 - np.asarray(values, dtype=float), 360.0)


#: A step between consecutive frames larger than this, in degrees, is not a turn a body
#: segment makes (it would be 3 600 deg/s at 30 fps; a somersault's trunk turns about
#: 60 deg a frame) but a misreading: a segment seen end-on, whose direction is noise,
#: or left and right read swapped for a few frames (the pelvis then points backwards).
GLITCH_STEP_DEG = 120.0
#: Frames before such a step whose median the signal returns to (0.5 s at 30 fps).
GLITCH_MEMORY_FRAMES = 15


def unwrap_deg(values: np.ndarray, axis: int = 0) -> np.ndarray:
    """Unwrap angles in degrees along ``axis`` (frames), across NaN gaps.

    Each step between consecutive *valid* samples is taken as the shortest turn
    (less than 180 degrees in magnitude), so a segment swinging through +-180
    gives a continuous signal (e.g. 179 then -179 becomes 179 then 181), and a
    segment turning all round keeps counting (a somersault's trunk ends 360 from
    where it started).

    Except for a step of more than :data:`GLITCH_STEP_DEG`: that is a misreading,
    not a turn, and its direction (one way or the other round, nearly 180 either
    way) must not be counted. After it the signal is placed on the turn nearest
    to the median of the :data:`GLITCH_MEMORY_FRAMES` frames before it, so that
    a misread frame is a spike that comes back (for the Hampel filter to take
    out) and not a whole extra turn for the rest of the clip. NaN stays NaN.
    """
    x = np.moveaxis(np.asarray(values, dtype=float), axis, -1)
    if x.shape[-1] == 0:
        return np.moveaxis(x.copy(), -1, axis)
    out = np.unwrap(fill_nan_nearest(x, axis=-1), period=360.0, axis=-1)
    flat = out.reshape(-1, out.shape[-1])  # a view: rows of frames
    seen = ~np.isnan(x.reshape(flat.shape))
    glitch = np.abs(np.diff(flat, axis=-1)) > GLITCH_STEP_DEG
    glitch &= seen[:, 1:] & seen[:, :-1]  # across a gap, any turn may have happened
    rows, cols = np.nonzero(glitch)
    for row, j in zip(rows.tolist(), (cols + 1).tolist(), strict=True):  # frame order per row
        window = sorted(flat[row, max(0, j - GLITCH_MEMORY_FRAMES) : j].tolist())
        half = len(window) // 2
        reference = 0.5 * (window[half] + window[(len(window) - 1) // 2])  # the median
        turns = round((reference - float(flat[row, j])) / 360.0)
        if turns:
            flat[row, j:] += 360.0 * turns
    out[np.isnan(x)] = np.nan
    return np.moveaxis(out, -1, axis)


def fill_nan_nearest(x: np.ndarray, axis: int = 0) -> np.ndarray:
    """Copy of ``x`` with each NaN replaced by the previous valid value along
    ``axis`` (the next one before the first valid value; 0 if there is none)."""
    v = np.moveaxis(np.asarray(x, dtype=float), axis, -1)
    n = v.shape[-1]
    valid = ~np.isnan(v)
    pos = np.arange(n)
    prev = np.maximum.accumulate(np.where(valid, pos, -1), axis=-1)
    nxt = np.flip(np.minimum.accumulate(np.flip(np.where(valid, pos, n), -1), axis=-1), -1)
    src = np.where(prev >= 0, prev, np.minimum(nxt, n - 1))
    out = np.take_along_axis(v, src, axis=-1)
    return np.moveaxis(np.where(np.isnan(out), 0.0, out), -1, axis)


def _check_poses(keypoints: np.ndarray, name: str, channels: int) -> np.ndarray:
    arr = np.asarray(keypoints)
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(float)  # float32 input stays float32 until the planes
    if arr.ndim != 3 or arr.shape[1] != NUM_KEYPOINTS or arr.shape[2] != channels:
        raise AnalysisError(
            f"{name} must have shape (frames, {NUM_KEYPOINTS}, {channels}), got {arr.shape}"
        )
    return arr


def visible_mask(keypoints: np.ndarray, visibility_threshold: float = 0.5) -> np.ndarray:
    """(frames, 33) bool: visibility >= threshold and finite x, y (NaN counts as hidden)."""
    kp = np.asarray(keypoints, dtype=float)
    with np.errstate(invalid="ignore"):
        vis = kp[..., 2] >= visibility_threshold
    return vis & np.isfinite(kp[..., 0]) & np.isfinite(kp[..., 1])


def _planes(points: np.ndarray, valid: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Coordinate planes [x, y(, z)], each (35, F), and validity (35, F) of the
    33 keypoints followed by mid_hip and mid_shoulder.

    One contiguous (points, frames) array per coordinate makes every step a
    plain elementwise operation on whole rows (no reductions over a 2- or
    3-long axis, no strided gathers), which numpy does fast.
    """
    a = [KEYPOINT_INDEX[p] for _, p, _ in _DERIVED]
    b = [KEYPOINT_INDEX[q] for _, _, q in _DERIVED]
    planes = []
    for d in range(points.shape[-1]):
        c = np.ascontiguousarray(points[..., d].T, dtype=float)
        planes.append(np.concatenate([c, 0.5 * (c[a] + c[b])], axis=0))
    vt = valid.T
    return planes, np.concatenate([vt, vt[a] & vt[b]], axis=0)


def _nonzero(parts: list[np.ndarray]) -> np.ndarray:
    out = parts[0] != 0
    for q in parts[1:]:
        out |= q != 0
    return out


def _joint_angles(p: list[np.ndarray], v: np.ndarray) -> np.ndarray:
    """(12, F) joint angles from coordinate planes and validity (see :func:`_planes`)."""
    ia, ib, ic = _J_ABC[:, 0], _J_ABC[:, 1], _J_ABC[:, 2]
    u = [q[ia] - q[ib] for q in p]
    w = [q[ic] - q[ib] for q in p]
    dot = u[0] * w[0] + u[1] * w[1]
    if len(p) == 2:
        cross = np.abs(u[0] * w[1] - u[1] * w[0])
    else:
        dot += u[2] * w[2]
        cross = np.sqrt(
            (u[1] * w[2] - u[2] * w[1]) ** 2
            + (u[2] * w[0] - u[0] * w[2]) ** 2
            + (u[0] * w[1] - u[1] * w[0]) ** 2
        )
    ang = np.degrees(np.arctan2(cross, dot))
    ok = v[ia] & v[ib] & v[ic] & _nonzero(u) & _nonzero(w)
    return np.where(ok, _J_OFFSET[:, None] + _J_SIGN[:, None] * ang, np.nan)


def _segment_angles(p: list[np.ndarray], v: np.ndarray) -> np.ndarray:
    """(13, F) signed 2D segment angles, counter-clockwise as seen, in (-180, 180];
    NaN for a segment seen end-on (see :data:`MIN_SEGMENT_SHARE`)."""
    i0, i1 = _S_FROM_TO[:, 0], _S_FROM_TO[:, 1]
    dx, dy = p[0][i1] - p[0][i0], p[1][i1] - p[1][i0]
    ang = np.degrees(np.arctan2(-dy, dx)) + 0.0  # + 0.0 turns -0.0 into 0.0
    ang[ang <= -180.0] = 180.0
    ok = v[i0] & v[i1] & _nonzero([dx, dy])
    t0, t1 = _TRUNK
    trunk = np.hypot(p[0][t1] - p[0][t0], p[1][t1] - p[1][t0])[v[t0] & v[t1]]
    if trunk.size:
        ok &= np.hypot(dx, dy) >= MIN_SEGMENT_SHARE * float(np.median(trunk))
    return np.where(ok, ang, np.nan)


def _trunk_lean(p: list[np.ndarray], v: np.ndarray) -> np.ndarray:
    """(1, F) unsigned angle between mid_hip->mid_shoulder and up (-y), in [0, 180]."""
    i0, i1 = _TRUNK
    d = [q[i1 : i1 + 1] - q[i0 : i0 + 1] for q in p]
    across = np.sqrt(sum(d[k] ** 2 for k in range(len(d)) if k != 1))  # every axis but y
    lean = np.degrees(np.arctan2(across, -d[1]))
    ok = v[i0 : i0 + 1] & v[i1 : i1 + 1] & _nonzero(d)
    return np.where(ok, lean, np.nan)


def compute_angles(
    keypoints: np.ndarray,
    world: np.ndarray | None = None,
    visibility_threshold: float = 0.5,
) -> pd.DataFrame:
    """Every angle of DESIGN.md for one track, per frame.

    Parameters
    ----------
    keypoints
        Shape (frames, 33, 3): x_px, y_px, visibility, in ``KEYPOINT_NAMES``
        order. Rows of NaN (person not found in that frame) give NaN angles.
    world
        Optional, shape (frames, 33, 3): x, y, z in metres (axes as the image's).
        Visibility comes from ``keypoints``.
    visibility_threshold
        A keypoint with visibility below this (or NaN) is not used.

    Returns
    -------
    pandas.DataFrame
        Index ``frame`` = 0..frames-1 (position in the track, not the video
        frame number). Columns :data:`ANGLE_NAMES_2D` then, when ``world`` is
        given, :data:`ANGLE_NAMES_3D`; degrees, float64; NaN where not visible
        enough.
    """
    kp = _check_poses(keypoints, "keypoints", 3)
    valid = visible_mask(kp, visibility_threshold)
    p2, v = _planes(kp[..., :2], valid)
    with np.errstate(invalid="ignore"):
        blocks = [_joint_angles(p2, v), _segment_angles(p2, v), _trunk_lean(p2, v)]
        names = list(ANGLE_NAMES_2D)
        if world is not None:
            wd = _check_poses(world, "world", 3)
            if wd.shape[0] != kp.shape[0]:
                raise AnalysisError(
                    f"world has {wd.shape[0]} frames but keypoints have {kp.shape[0]}"
                )
            finite = np.isfinite(wd[..., 0]) & np.isfinite(wd[..., 1]) & np.isfinite(wd[..., 2])
            p3, v3 = _planes(wd, valid & finite)
            blocks += [_joint_angles(p3, v3), _trunk_lean(p3, v3)]
            names += ANGLE_NAMES_3D
    data = np.concatenate(blocks, axis=0).T  # (frames, angles), float64
    index = pd.RangeIndex(kp.shape[0], name="frame")
    return pd.DataFrame(data, index=index, columns=names)
