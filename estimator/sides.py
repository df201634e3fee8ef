"""Left and right that stay put along a track: online correction of mirrored readings.

The landmark model sometimes reads a person mirrored for a few frames: the
whole body when the athlete faces the camera or turns, one pair of limbs when
the legs pass each other in a side view or the arms cross the body. Bodies do
not teleport, so such a misreading shows as a jump of the left points onto the
right ones and back. For every followed person, and for each group of
left/right pairs on its own (:data:`SIDE_GROUPS`: ``body`` -- face, shoulders
and hips --, ``arms``, ``legs``), this module decides per frame whether the
model's reading is *as read* or *swapped*, by minimising over the sequence:

- **continuity**: each point's distance to where it was heading (position in
  the previous frame moved on by its last velocity, damped), in the image as
  a fraction of the person's size and in the world landmarks in metres, with
  a robust Cauchy cost ``log(1 + e^2)`` so that one wild point cannot decide,
  weighted by the points' visibility;
- **a prior** for the reading as given: each frame read swapped costs
  :attr:`SideSettings.swap_prior`, so that without evidence nothing changes,
  and a true mirror image (a clip filmed in a mirror, an athlete who really
  turned round) is never "corrected" back: a real turn is continuous.

The velocity makes the cost depend on the states of three consecutive
frames, so each group is a second-order two-state chain, solved exactly by
dynamic programming (Viterbi) over a short look-ahead window: a frame is
decided once :attr:`SideSettings.lookahead_s` seconds of later frames have
been seen, its decision is then fixed (the next windows start from it), and
it is handed on. Frames still stream and memory stays flat in clip length.

A corrected person keeps what the model read: :attr:`Person.sides_swapped`
names the groups whose left and right were exchanged, so swapping them back
gives the model's reading.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

import numpy as np

from estimator.keypoints import KEYPOINT_INDEX
from estimator.types import FramePoses, Person

#: Groups of left/right pairs decided on their own, in this order.
SIDE_GROUPS: tuple[str, ...] = ("body", "arms", "legs")

_PAIRS: dict[str, tuple[str, ...]] = {
    "body": ("eye_inner", "eye", "eye_outer", "ear", "shoulder", "hip"),
    "arms": ("elbow", "wrist", "pinky", "index", "thumb"),
    "legs": ("knee", "ankle", "heel", "foot_index"),
}


def _side_index(side: str, part: str) -> int:
    if part in ("mouth",):
        return KEYPOINT_INDEX[f"mouth_{side}"]
    return KEYPOINT_INDEX[f"{side}_{part}"]


#: For each group, an (n_pairs, 2) array of keypoint indices: left, right.
GROUP_PAIRS: dict[str, np.ndarray] = {
    group: np.array([[_side_index("left", p), _side_index("right", p)] for p in parts]
                    + ([[_side_index("left", "mouth"), _side_index("right", "mouth")]]
                       if group == "body" else []))
    for group, parts in _PAIRS.items()
}


def swap_groups(points: np.ndarray, groups: Iterable[str]) -> np.ndarray:
    """A copy of ``points`` (33, C) with left and right exchanged in the named groups."""
    out = np.array(points, copy=True)
    for group in groups:
        pairs = GROUP_PAIRS[group]
        out[pairs[:, 0]], out[pairs[:, 1]] = points[pairs[:, 1]], points[pairs[:, 0]]
    return out


def swapped_person(person: Person, groups: Iterable[str]) -> Person:
    """``person`` with left and right exchanged in ``groups``; :attr:`Person.sides_swapped`
    records the exchange (a group swapped twice is back as read)."""
    groups = tuple(groups)
    if not groups:
        return person
    flipped = set(person.sides_swapped).symmetric_difference(groups)
    return replace(
        person,
        keypoints=swap_groups(person.keypoints, groups),
        world=None if person.world is None else swap_groups(person.world, groups),
        sides_swapped=tuple(g for g in SIDE_GROUPS if g in flipped),
    )


@dataclass(frozen=True)
class SideSettings:
    """How left/right consistency is decided (see the module docstring).

    Attributes
    ----------
    lookahead_s
        Seconds of later frames seen before a frame is decided (0: decide on
        the past alone). A misreading is corrected when both its start and its
        end fall within this window.
    sigma_image
        Expected prediction error of a point in one frame at 30 fps, as a
        fraction of the person's size (largest side of the box); grows in
        proportion for longer steps.
    sigma_world_m
        The same for the world landmarks, metres.
    world_weight
        Weight of the world-landmark term against the image term.
    swap_prior
        Cost of reading one group swapped for one frame.
    evidence
        Weight of a group's continuity (the mean robust cost of its points):
        how many independent clues one frame of a group is worth against the
        prior.
    max_jump_cost
        Most that one frame's discontinuity of one group can cost, so that a
        wrong decision (after a garbled frame, say) is undone within a few
        frames rather than carried on.
    attachment_weight
        Weight of the anatomical term: an upper arm (shoulder to elbow) or a
        thigh (hip to knee) drawn across to the other side's shoulder or hip
        when the uncrossed pairing is clearly shorter.
    velocity_damping
        Share of the last velocity carried into the prediction (0: none).
    max_gap_s
        Sightings further apart than this are not compared (the person was
        lost): the reading after such a gap starts afresh.
    """

    lookahead_s: float = 1.0
    sigma_image: float = 0.1
    sigma_world_m: float = 0.06
    world_weight: float = 0.5
    swap_prior: float = 0.25
    evidence: float = 4.0
    max_jump_cost: float = 6.0
    attachment_weight: float = 1.0
    velocity_damping: float = 0.7
    max_gap_s: float = 0.35

    def __post_init__(self) -> None:
        if self.lookahead_s < 0 or self.max_gap_s <= 0:
            raise ValueError("lookahead_s must be >= 0 and max_gap_s > 0")
        if self.sigma_image <= 0 or self.sigma_world_m <= 0 or self.swap_prior < 0:
            raise ValueError("sigmas must be positive and swap_prior non-negative")
        if self.max_jump_cost <= 0 or self.attachment_weight < 0:
            raise ValueError("max_jump_cost must be positive, attachment_weight >= 0")


_REFERENCE_STEP_S = 1.0 / 30.0
#: Joint states: index j has group g swapped when bit g of j is set.
_N_STATES = 2 ** len(SIDE_GROUPS)
_BITS = np.array([[(j >> g) & 1 for g in range(len(SIDE_GROUPS))] for j in range(_N_STATES)])


@dataclass
class _Sighting:
    """One frame of one track: the reading as given, and once decided, its joint state."""

    frame: int
    time: float
    person: Person
    scale: float  # pixels: largest side of the box
    state: int | None = None  # joint state once decided
    cost: np.ndarray | None = None  # (8, 8, 8) over joint states at (t-2, t-1, t)
    unary: np.ndarray | None = None  # (8,) prior and anatomy of this frame alone


def _relabelled(points: np.ndarray, group: str) -> np.ndarray:
    """(2, P, C): the group's points (left points then right points) as read, and swapped."""
    pairs = GROUP_PAIRS[group]
    as_read = np.concatenate([points[pairs[:, 0]], points[pairs[:, 1]]])
    swapped = np.concatenate([points[pairs[:, 1]], points[pairs[:, 0]]])
    return np.stack([as_read, swapped])


def _cauchy(e2: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Weighted mean over the last axis of ``log(1 + e2)``, missing points left out."""
    weight = np.broadcast_to(weight, e2.shape)
    cost = np.log1p(e2)
    ok = np.isfinite(cost)
    total = np.sum(np.where(ok, weight * cost, 0.0), axis=-1)
    return total / np.maximum(np.sum(np.where(ok, weight, 0.0), axis=-1), 1e-9)


def _coords(person: Person, attr: str) -> np.ndarray | None:
    values = getattr(person, attr)
    if values is None:
        return None
    values = np.asarray(values, dtype=float)
    return values[:, :2] if attr == "keypoints" else values[:, :3]


def _group_cost(s: SideSettings, older: _Sighting | None, prev: _Sighting, cur: _Sighting,
                group: str, use_velocity: bool, ratio: float, stretch: float) -> np.ndarray:
    """(2, 2, 2) continuity cost of one group over its states at (t-2, t-1, t)."""
    scale = max(cur.scale, prev.scale, 1.0)
    def visibility(s: _Sighting) -> np.ndarray:
        return _relabelled(np.asarray(s.person.keypoints, dtype=float)[:, 2:3], group)[..., 0]

    vis_c, vis_p = visibility(cur), visibility(prev)
    # weight[b, c]: points seen in both frames count most (0.2 floor: hidden
    # points still follow the body, just less surely).
    weight = 0.2 + 0.8 * np.minimum(vis_p[:, None], vis_c[None, :])
    total = np.zeros((2, 2, 2))
    for attr, sigma, term_weight in (("keypoints", s.sigma_image * scale, 1.0),
                                     ("world", s.sigma_world_m, s.world_weight)):
        c, p = _coords(cur.person, attr), _coords(prev.person, attr)
        if c is None or p is None or term_weight == 0:
            continue
        cc, pp = _relabelled(c, group), _relabelled(p, group)  # (2, P, C)
        sig2 = (sigma * stretch) ** 2
        # Standing still: cur[c] against prev[b], for every a.
        still = np.sum((cc[None, :] - pp[:, None]) ** 2, axis=-1) / sig2  # (b, c, P)
        e2 = np.broadcast_to(still[None], (2, 2, 2, still.shape[-1]))
        if use_velocity and older is not None:
            oo = _relabelled(_coords(older.person, attr), group)
            pred = pp[None] + s.velocity_damping * ratio * (pp[None] - oo[:, None])  # (a, b)
            moving = np.sum((cc[None, None] - pred[:, :, None]) ** 2, axis=-1) / sig2
            # The better of the two predictions, point by point: velocity keeps
            # crossing legs apart, standing still survives one garbled frame.
            e2 = np.minimum(e2, moving)
        cost = _cauchy(e2, weight[None])
        if older is not None:
            # Two frames back, so one garbled frame cannot flip what follows.
            oo = _relabelled(_coords(older.person, attr), group)
            skip = np.sum((cc[None] - oo[:, None]) ** 2, axis=-1) / (4 * sig2)  # (a, c, P)
            # Weighted as the direct term with the previous frame as read (weighting by
            # the older frame's visibility instead lost the woman's legs in
            # parkour_walk.mp4 once: kept as measured).
            cost = np.minimum(cost, _cauchy(skip, weight[0][None])[:, None, :])
        total += term_weight * cost
    return np.minimum(s.evidence * total, s.max_jump_cost)


def _continuity_cost(s: SideSettings, older: _Sighting | None, prev: _Sighting,
                     cur: _Sighting) -> np.ndarray:
    """(8, 8, 8) cost of ``cur`` given ``prev`` and ``older`` for every joint-state triple."""
    out = np.zeros((_N_STATES,) * 3)
    dt = cur.time - prev.time
    if not 0 < dt <= s.max_gap_s:
        return out
    stretch = max(1.0, dt / _REFERENCE_STEP_S)
    if older is not None and not 0 < prev.time - older.time <= s.max_gap_s:
        older = None
    ratio = dt / (prev.time - older.time) if older is not None else 0.0
    for g, group in enumerate(SIDE_GROUPS):
        cost = _group_cost(s, older, prev, cur, group, older is not None, ratio, stretch)
        bits = _BITS[:, g]
        out += cost[bits[:, None, None], bits[None, :, None], bits[None, None, :]]
    return out


def _crossing(person: Person, group: str, anchor: str) -> float:
    """How much shorter the crossed pairing of a limb to its anchors is, as read.

    For ``arms`` (anchored at the shoulders) and ``legs`` (at the hips): the
    sum of the two upper segments paired as labelled, minus the sum paired
    across, as a fraction of the person's size; positive when the labels
    draw both upper segments across the body.
    """
    k = np.asarray(person.keypoints, dtype=float)
    joint = {"arms": "elbow", "legs": "knee"}[group]
    lj, rj = k[KEYPOINT_INDEX[f"left_{joint}"]], k[KEYPOINT_INDEX[f"right_{joint}"]]
    la, ra = k[KEYPOINT_INDEX[f"left_{anchor}"]], k[KEYPOINT_INDEX[f"right_{anchor}"]]
    if min(lj[2], rj[2], la[2], ra[2]) < 0.5:
        return 0.0
    same = np.hypot(*(lj[:2] - la[:2])) + np.hypot(*(rj[:2] - ra[:2]))
    cross = np.hypot(*(lj[:2] - ra[:2])) + np.hypot(*(rj[:2] - la[:2]))
    box = np.asarray(person.bbox, dtype=float)
    return float((same - cross) / max(box[2], box[3], 1.0))


def _unary_cost(s: SideSettings, cur: _Sighting) -> np.ndarray:
    """(8,) cost of each joint state from this frame alone: the prior and the anatomy."""
    bits = _BITS
    out = s.swap_prior * bits.sum(axis=1).astype(float)
    if s.attachment_weight > 0:
        body = bits[:, 0]
        for g, (group, anchor) in enumerate((("arms", "shoulder"), ("legs", "hip")), start=1):
            crossing = _crossing(cur.person, group, anchor)
            # Relabelling the limb but not its anchor (or the anchor alone) turns
            # the crossing round.
            signed = np.where(bits[:, g] != body, -crossing, crossing)
            out += s.attachment_weight * np.log1p((np.maximum(signed, 0.0) / 0.1) ** 2)
    return out


def _solve(anchors: tuple[int | None, int | None], window: list[_Sighting]) -> int:
    """Joint state of ``window[0]`` on the best path over the window.

    ``anchors`` are the decided states of the two sightings before the window
    (None where there was none). Second-order Viterbi on the pair state
    ``(s_{t-1}, s_t)``.
    """
    n = _N_STATES
    acc = np.zeros((n, n))  # acc[a, b]: best cost with state a at t-1 and b at t
    before, last = anchors
    if last is not None:
        acc[:] = np.inf
        if before is None:
            acc[:, last] = 0.0
        else:
            acc[before, last] = 0.0
    back: list[np.ndarray] = []
    for sighting in window:
        total = acc[:, :, None] + sighting.unary[None, None, :]
        if sighting.cost is not None:
            total = total + sighting.cost
        best_a = np.argmin(total, axis=0)  # (b, c)
        acc = np.take_along_axis(total, best_a[None], axis=0)[0]
        back.append(best_a)
    b, c = np.unravel_index(int(np.argmin(acc)), acc.shape)
    for best_a in reversed(back[1:]):
        b, c = int(best_a[b, c]), b
    return int(c)


class _TrackSides:
    """Decisions for one track: decided anchors and the sightings still open."""

    def __init__(self, settings: SideSettings) -> None:
        self.settings = settings
        self.decided: deque[_Sighting] = deque(maxlen=2)
        self.open: deque[_Sighting] = deque()

    def add(self, frame: int, time: float, person: Person) -> None:
        box = np.asarray(person.bbox, dtype=float)
        sighting = _Sighting(frame, time, person, float(max(box[2], box[3], 1.0)))
        sighting.unary = _unary_cost(self.settings, sighting)
        history = [*self.decided, *self.open]
        prev = history[-1] if history else None
        if prev is not None:
            older = history[-2] if len(history) > 1 else None
            sighting.cost = _continuity_cost(self.settings, older, prev, sighting)
            if not sighting.cost.any():
                sighting.cost = None  # after a gap: the past says nothing
        self.open.append(sighting)

    def decide_first(self) -> _Sighting:
        """Fix the state of the oldest open sighting and return it."""
        first = self.open[0]
        anchors: tuple[int | None, int | None] = (None, None)
        if first.cost is not None and self.decided:
            anchors = (self.decided[0].state if len(self.decided) == 2 else None,
                       self.decided[-1].state)
        first.state = _solve(anchors, list(self.open))
        self.decided.append(self.open.popleft())
        return first

    def last_time(self) -> float:
        return (self.open[-1] if self.open else self.decided[-1]).time


class SideConsistency:
    """Streams a clip's :class:`FramePoses` through left/right correction.

    Frames are handed back in order, each once ``lookahead_s`` seconds of
    later frames have been pushed (all remaining ones on :meth:`flush`).

    >>> sides = SideConsistency()
    >>> for frame in frames:  # doctest: +SKIP
    ...     yield from sides.push(frame)
    >>> yield from sides.flush()  # doctest: +SKIP
    """

    def __init__(self, settings: SideSettings | None = None) -> None:
        self.settings = settings or SideSettings()
        self._tracks: dict[int, _TrackSides] = {}
        self._pending: deque[FramePoses] = deque()

    def push(self, frame: FramePoses) -> list[FramePoses]:
        """Take the next frame; return the frames now decided (oldest first)."""
        for person in frame.people:
            track = self._tracks.get(person.track_id)
            if track is None:
                track = self._tracks[person.track_id] = _TrackSides(self.settings)
            track.add(frame.index, frame.time, person)
        self._pending.append(frame)
        ready: list[FramePoses] = []
        while self._pending and (frame.time - self._pending[0].time
                                 >= self.settings.lookahead_s):
            ready.append(self._decide(self._pending.popleft()))
        self._forget(frame.time)
        return ready

    def flush(self) -> list[FramePoses]:
        """Decide and return every frame still waiting (end of the clip)."""
        ready = [self._decide(f) for f in list(self._pending)]
        self._pending.clear()
        self._tracks.clear()
        return ready

    def run(self, frames: Iterable[FramePoses]) -> Iterator[FramePoses]:
        """Every frame of ``frames``, corrected, in order."""
        for frame in frames:
            yield from self.push(frame)
        yield from self.flush()

    def _decide(self, frame: FramePoses) -> FramePoses:
        people = []
        for person in frame.people:
            sighting = self._tracks[person.track_id].decide_first()
            groups = [g for g, swapped in zip(SIDE_GROUPS, _BITS[sighting.state], strict=True)
                      if swapped]
            people.append(swapped_person(person, groups))
        return FramePoses(frame.index, frame.time, people)

    def _forget(self, now: float) -> None:
        """Drop tracks with nothing open, unseen for longer than the gap that breaks them."""
        gone = [tid for tid, t in self._tracks.items()
                if not t.open and now - t.last_time() > self.settings.max_gap_s]
        for tid in gone:
            del self._tracks[tid]
