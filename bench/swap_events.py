"""Left/right swap events along one person's track, found without ground truth.

A swap event is a frame where the pose's left/right *labelling* flips: the
keypoints labelled left now sit where the right ones were a frame earlier and
vice versa. Bodies do not teleport, so when the two sides of a group are
clearly apart in two consecutive frames and the crossed reading (left now
against right before) explains the frame-to-frame motion far better than the
reading as labelled, the labels have flipped. The test knows nothing of any
correction algorithm; it reads only keypoints, visibilities and box heights.

For a group of left/right keypoint pairs at the transition from frame t-1 to
frame t (consecutive frames of one track, each pair visible on both sides in
both frames), with positions taken relative to the group's centre (the mean of
all its left and right points, which is the same under either labelling, so
the person's own travel and camera pans cancel)::

    D_same  = sum |L_t - L_t-1| + |R_t - R_t-1|
    D_cross = sum |L_t - R_t-1| + |R_t - L_t-1|
    sep_t   = mean |L_t - R_t| over the pairs

it is a swap when ``D_cross < RATIO * D_same`` and both ``sep_t-1`` and
``sep_t`` exceed ``MIN_SEPARATION`` times the person's size. With one pair
this says the left-to-right vector turned by more than 127 degrees in one frame
while at least MIN_SEPARATION long at both ends (see bench/README.md).

Two cues, same test: the image (2D pixels, size = box height) decides when
the group's sides are apart in the image; when they coincide there (side view:
legs passing, shoulders one behind the other) the world landmarks (3D metres,
hip-centred; size = the body's length along its segments, ``world_size``)
decide, since there the sides are apart in depth.

Groups: ``torso`` (shoulders, hips), ``legs`` (knee, ankle, heel, foot index),
``arms`` (elbow, wrist). A torso swap is a *whole-body* event (the model read
the person facing the other way); a legs or arms swap in a transition where
the torso did not swap is a *limb* event. Events are transitions: a run of
mirrored frames that flips back gives two events (its first frame and the
first frame after it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Keypoint indices (DESIGN.md order): (left, right) pairs per group.
GROUPS: dict[str, tuple[tuple[int, int], ...]] = {
    "torso": ((11, 12), (23, 24)),  # shoulders, hips
    "legs": ((25, 26), (27, 28), (29, 30), (31, 32)),  # knee, ankle, heel, foot_index
    "arms": ((13, 14), (15, 16)),  # elbow, wrist
}
# Event kinds as printed: the torso's flip is the whole body's.
KINDS: dict[str, str] = {"torso": "whole_body", "legs": "legs", "arms": "arms"}

RATIO = 0.5  # D_cross < RATIO * D_same: the crossed reading at most half the as-labelled motion
MIN_SEPARATION = 0.10  # sides apart by >= 10 % of the person's size in both frames
VISIBLE = 0.5  # a keypoint counts when its visibility is at least this


@dataclass(frozen=True)
class Judgement:
    """One group at one transition: ``swap`` True/False, or None when it cannot be judged."""

    swap: bool | None
    ratio: float = float("nan")  # D_cross / D_same
    separation: float = float("nan")  # min(sep_t-1, sep_t) / size
    cue: str = ""  # "2d" or "3d"


@dataclass(frozen=True)
class SwapEvent:
    """A left/right labelling flip of ``kind`` at frame ``frame`` (from ``frame - 1``)."""

    frame: int
    kind: str  # "whole_body", "legs" or "arms"
    cue: str  # "2d" or "3d"
    ratio: float
    separation: float


@dataclass
class Track:
    """One person through a clip; arrays are shaped (frames, 33, 3) in keypoint order.

    ``frames``: frame index of each row (a gap in the numbers breaks continuity);
    ``keypoints``: x_px, y_px, visibility; ``world``: x, y, z metres, or None;
    ``size``: the person's box height in pixels per row (``box_height``).
    """

    frames: np.ndarray
    keypoints: np.ndarray
    size: np.ndarray
    world: np.ndarray | None = None


def box_height(keypoints: np.ndarray, visible: float = VISIBLE) -> float:
    """Height of the box around the visible keypoints (all 33 if fewer than 2 are visible)."""
    kp = np.asarray(keypoints, float)
    ys = kp[kp[:, 2] >= visible, 1]
    if ys.size < 2:
        ys = kp[:, 1]
    return float(np.ptp(ys))


def judge(
    prev: np.ndarray, cur: np.ndarray, vis: np.ndarray, pairs: tuple[tuple[int, int], ...],
    size: float, ratio: float = RATIO, min_separation: float = MIN_SEPARATION,
) -> Judgement:
    """The swap test for one group between two frames.

    ``prev``, ``cur``: (33, D) positions (D = 2 or 3); ``vis``: (33,) bool, the
    keypoint visible in both frames; ``size``: the person's size in the same
    unit. Pairs not visible on both sides are left out; none left: not judged.
    """
    used = [(left, right) for left, right in pairs if vis[left] and vis[right]]
    if not used or size <= 0:
        return Judgement(None)
    lft, rgt = np.array([p[0] for p in used]), np.array([p[1] for p in used])
    p_l, p_r, c_l, c_r = prev[lft], prev[rgt], cur[lft], cur[rgt]
    p_c = np.concatenate([p_l, p_r]).mean(axis=0)
    c_c = np.concatenate([c_l, c_r]).mean(axis=0)
    p_l, p_r, c_l, c_r = p_l - p_c, p_r - p_c, c_l - c_c, c_r - c_c
    sep = min(float(np.linalg.norm(p_l - p_r, axis=1).mean()),
              float(np.linalg.norm(c_l - c_r, axis=1).mean())) / size
    d_same = float(np.linalg.norm(c_l - p_l, axis=1).sum()
                   + np.linalg.norm(c_r - p_r, axis=1).sum())
    d_cross = float(np.linalg.norm(c_l - p_r, axis=1).sum()
                    + np.linalg.norm(c_r - p_l, axis=1).sum())
    r = d_cross / d_same if d_same > 0 else float("inf")
    if sep < min_separation:
        return Judgement(None, r, sep)
    return Judgement(bool(r < ratio), r, sep)


def world_size(world: np.ndarray) -> float:
    """The person's size in world metres, whatever their orientation: the length of the
    body along its segments, nose to mid-shoulder, mid-shoulder to mid-hip, then thigh and
    shank (mean of the two sides), about 1.5 m for an adult. The world landmarks have no
    foreshortening, so this holds upside down (a flip) and lying down, where a vertical
    extent would shrink."""
    w = np.asarray(world, float)[:, :3]
    mid_sh, mid_hip = w[[11, 12]].mean(axis=0), w[[23, 24]].mean(axis=0)
    legs = np.mean([np.linalg.norm(w[h] - w[k]) + np.linalg.norm(w[k] - w[a])
                    for h, k, a in ((23, 25, 27), (24, 26, 28))])
    return float(np.linalg.norm(w[0] - mid_sh) + np.linalg.norm(mid_sh - mid_hip) + legs)


def judge_transition(
    track: Track, i: int, ratio: float = RATIO, min_separation: float = MIN_SEPARATION,
    visible: float = VISIBLE,
) -> dict[str, Judgement]:
    """All groups at the transition from row ``i - 1`` to row ``i`` of ``track``.

    The image decides where it can; the world landmarks where the image cannot.
    """
    a, b = track.keypoints[i - 1], track.keypoints[i]
    vis = (a[:, 2] >= visible) & (b[:, 2] >= visible)
    size2 = 0.5 * (float(track.size[i - 1]) + float(track.size[i]))
    out: dict[str, Judgement] = {}
    for name, pairs in GROUPS.items():
        j = judge(a[:, :2], b[:, :2], vis, pairs, size2, ratio, min_separation)
        j = Judgement(j.swap, j.ratio, j.separation, "2d")
        if j.swap is None and track.world is not None:
            wa, wb = track.world[i - 1], track.world[i]
            size3 = 0.5 * (world_size(wa) + world_size(wb))
            j3 = judge(wa, wb, vis, pairs, size3, ratio, min_separation)
            if j3.swap is not None:
                j = Judgement(j3.swap, j3.ratio, j3.separation, "3d")
        out[name] = j
    return out


def transitions(track: Track) -> list[int]:
    """Rows ``i`` whose frame directly follows row ``i - 1``'s (the transitions judged)."""
    f = np.asarray(track.frames)
    return [i for i in range(1, len(f)) if f[i] == f[i - 1] + 1]


def find_events(track: Track, **thresholds: float) -> list[SwapEvent]:
    """Swap events of one track, in frame order (see the module's docstring)."""
    events: list[SwapEvent] = []
    for i in transitions(track):
        js = judge_transition(track, i, **thresholds)
        frame = int(track.frames[i])
        torso = js["torso"]
        if torso.swap:
            events.append(SwapEvent(frame, "whole_body", torso.cue, torso.ratio,
                                    torso.separation))
            continue
        for name in ("legs", "arms"):
            j = js[name]
            if j.swap:
                events.append(SwapEvent(frame, KINDS[name], j.cue, j.ratio, j.separation))
    return events


def jitter(track: Track, visible: float = VISIBLE) -> np.ndarray:
    """Frame-to-frame acceleration magnitudes of the keypoints, in box heights.

    For every three consecutive frames t-1, t, t+1 of the track and every
    keypoint visible in all three: |p(t+1) - 2 p(t) + p(t-1)| / box height at t.
    Returns the flat array of those values (its median is the jitter figure).
    """
    f = np.asarray(track.frames)
    out: list[np.ndarray] = []
    for i in range(1, len(f) - 1):
        if not (f[i] == f[i - 1] + 1 and f[i + 1] == f[i] + 1) or track.size[i] <= 0:
            continue
        a, b, c = track.keypoints[i - 1], track.keypoints[i], track.keypoints[i + 1]
        vis = (a[:, 2] >= visible) & (b[:, 2] >= visible) & (c[:, 2] >= visible)
        acc = np.linalg.norm(c[vis, :2] - 2 * b[vis, :2] + a[vis, :2], axis=1)
        out.append(acc / float(track.size[i]))
    return np.concatenate(out) if out else np.zeros(0)
