"""Who is who across frames: stable track ids by Hungarian assignment.

Each frame, the people found are matched to the tracks alive so far:

1. **Predict.** Each track's keypoints and box move on at the velocity last
   seen (constant velocity, pixels per second, measured between the track's
   last two sightings), to the time of the new frame. This is what keeps two
   people apart where they cross: each is expected where it was heading.
2. **Score.** The similarity of a track and a person is
   ``keypoint_weight * OKS + (1 - keypoint_weight) * IoU`` in [0, 1]:
   an object-keypoint similarity (COCO's OKS with one constant ``kappa`` for
   every keypoint, over the keypoints visible in both, scaled by the square
   root of the mean box area) and the overlap of the boxes. With no keypoint
   visible in both, the box overlap alone decides.
3. **Assign.** The Hungarian algorithm (``munkres``) pairs tracks and people to
   minimise the total cost ``1 - similarity``. Pairs below ``min_similarity``
   are not allowed (too different to be the same person); such people start
   new tracks.
4. **Age.** A track unseen for more than ``max_age_s`` seconds ends; a person
   seen again after that gets a new id.

Ids are 0, 1, 2, ... in order of first appearance (within a frame, in the
order people are given) and are never reused.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from munkres import Munkres

_FORBIDDEN = 1e6  # cost of a pair under the gate: the solver avoids it whenever it can


@dataclass
class _Track:
    track_id: int
    time: float  # seconds, when last seen
    keypoints: np.ndarray  # (33, 3) x_px, y_px, visibility, as last seen
    box: np.ndarray  # (4,) x, y, w, h in pixels, as last seen
    keypoint_velocity: np.ndarray  # (33, 2) px/s
    box_velocity: np.ndarray  # (4,) px/s for x, y, w, h
    sightings: int = 1

    def predicted(self, time: float) -> tuple[np.ndarray, np.ndarray]:
        """Keypoints (33, 3) and box (4,) expected at ``time`` at constant velocity."""
        dt = time - self.time
        keypoints = self.keypoints.copy()
        keypoints[:, :2] += self.keypoint_velocity * dt
        box = self.box + self.box_velocity * dt
        box[2:] = np.maximum(box[2:], 1.0)
        return keypoints, box


def box_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two (4,) x, y, w, h boxes, in [0, 1]."""
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = a[2] * a[3] + b[2] * b[3] - inter
    return float(inter / union) if union > 0 else 0.0


def keypoint_similarity(a: np.ndarray, b: np.ndarray, area: float, kappa: float,
                        visibility_threshold: float) -> float | None:
    """OKS-like similarity of two (33, 3) poses in [0, 1]; None with no keypoint visible in both.

    ``mean(exp(-d^2 / (2 * area * kappa^2)))`` over the keypoints visible in both,
    d the distance in pixels, ``area`` in square pixels (COCO's s^2).
    """
    both = (a[:, 2] >= visibility_threshold) & (b[:, 2] >= visibility_threshold)
    if not both.any():
        return None
    d2 = np.sum((a[both, :2] - b[both, :2]) ** 2, axis=1)
    return float(np.mean(np.exp(-d2 / (2.0 * max(area, 1.0) * kappa**2))))


class Tracker:
    """Stable identities for the people of a clip.

    Parameters
    ----------
    max_age_s
        Seconds a track survives unseen; a person back within it keeps the id.
    min_similarity
        Gate: a person less similar than this to every track starts a new one.
    keypoint_weight
        Share of the keypoint similarity in the score (the rest is box IoU).
    kappa
        OKS falloff, as a fraction of the person's scale (sqrt of box area).
    visibility_threshold
        Keypoints below this visibility are left out of the keypoint similarity.
    velocity_smoothing
        Weight of the newest velocity measure (1 uses the last step only).

    Example
    -------
    >>> tracker = Tracker(max_age_s=1.0)
    >>> ids = tracker.update(time_s, keypoints_list, boxes_list)  # doctest: +SKIP
    """

    def __init__(self, max_age_s: float = 1.0, min_similarity: float = 0.2,
                 keypoint_weight: float = 0.5, kappa: float = 0.15,
                 visibility_threshold: float = 0.5, velocity_smoothing: float = 0.7) -> None:
        if max_age_s < 0:
            raise ValueError("max_age_s must be >= 0")
        if not 0.0 <= keypoint_weight <= 1.0 or not 0.0 < velocity_smoothing <= 1.0:
            raise ValueError("keypoint_weight must be in [0, 1], velocity_smoothing in (0, 1]")
        self.max_age_s = max_age_s
        self.min_similarity = min_similarity
        self.keypoint_weight = keypoint_weight
        self.kappa = kappa
        self.visibility_threshold = visibility_threshold
        self.velocity_smoothing = velocity_smoothing
        self._tracks: list[_Track] = []
        self._next_id = 0
        self._time: float | None = None

    @property
    def active_ids(self) -> list[int]:
        """Ids of the tracks still alive (seen within ``max_age_s`` of the last update)."""
        return [t.track_id for t in self._tracks]

    def reset(self) -> None:
        """Forget every track; ids start again from 0 (for a new clip)."""
        self._tracks, self._next_id, self._time = [], 0, None

    def similarity(self, track_keypoints: np.ndarray, track_box: np.ndarray,
                   keypoints: np.ndarray, box: np.ndarray) -> float:
        """Score in [0, 1] of a (predicted) track against a person; see the module doc."""
        iou = box_iou(track_box, box)
        area = 0.5 * (track_box[2] * track_box[3] + box[2] * box[3])
        oks = keypoint_similarity(track_keypoints, keypoints, area, self.kappa,
                                  self.visibility_threshold)
        if oks is None:
            return iou
        return self.keypoint_weight * oks + (1.0 - self.keypoint_weight) * iou

    def update(self, time_s: float, keypoints_list: list[np.ndarray],
               boxes_list: list[np.ndarray]) -> list[int]:
        """Track ids of the people of one frame, one per person given, in the same order.

        Parameters
        ----------
        time_s
            Time of the frame in seconds; never earlier than the previous update's.
        keypoints_list
            One (33, 3) array per person: x_px, y_px, visibility.
        boxes_list
            One (4,) array per person: x, y, width, height in pixels.
        """
        if len(keypoints_list) != len(boxes_list):
            raise ValueError("keypoints_list and boxes_list must have one entry per person")
        if self._time is not None and time_s < self._time:
            raise ValueError(f"time went backwards: {time_s} s after {self._time} s")
        self._time = time_s
        self._tracks = [t for t in self._tracks if time_s - t.time <= self.max_age_s]
        people = [(np.asarray(k, dtype=float), np.asarray(b, dtype=float))
                  for k, b in zip(keypoints_list, boxes_list, strict=True)]

        matches = self._assign(time_s, people)
        ids: list[int] = []
        for person, (keypoints, box) in enumerate(people):
            track = matches.get(person)
            if track is None:
                track = _Track(self._next_id, time_s, keypoints, box,
                               np.zeros((keypoints.shape[0], 2)), np.zeros(4))
                self._next_id += 1
                self._tracks.append(track)
            else:
                self._observe(track, time_s, keypoints, box)
            ids.append(track.track_id)
        return ids

    def _assign(self, time_s: float,
                people: list[tuple[np.ndarray, np.ndarray]]) -> dict[int, _Track]:
        """Person index -> matched track, by Hungarian assignment under the gate."""
        if not people or not self._tracks:
            return {}
        predictions = [t.predicted(time_s) for t in self._tracks]
        cost = np.empty((len(predictions), len(people)))
        for i, (track_kp, track_box) in enumerate(predictions):
            for j, (keypoints, box) in enumerate(people):
                sim = self.similarity(track_kp, track_box, keypoints, box)
                cost[i, j] = 1.0 - sim if sim >= self.min_similarity else _FORBIDDEN
        pairs = Munkres().compute(cost.tolist())
        return {j: self._tracks[i] for i, j in pairs if cost[i, j] < _FORBIDDEN}

    def _observe(self, track: _Track, time_s: float, keypoints: np.ndarray,
                 box: np.ndarray) -> None:
        """Move a matched track to its new sighting and update its velocities."""
        dt = time_s - track.time
        if dt > 0:
            box_velocity = (box - track.box) / dt
            centre_velocity = box_velocity[:2] + box_velocity[2:] / 2
            both = ((track.keypoints[:, 2] >= self.visibility_threshold)
                    & (keypoints[:, 2] >= self.visibility_threshold))
            keypoint_velocity = np.where(both[:, None],
                                         (keypoints[:, :2] - track.keypoints[:, :2]) / dt,
                                         centre_velocity)
            a = 1.0 if track.sightings == 1 else self.velocity_smoothing
            track.keypoint_velocity = a * keypoint_velocity + (1 - a) * track.keypoint_velocity
            track.box_velocity = a * box_velocity + (1 - a) * track.box_velocity
        track.time, track.keypoints, track.box = time_s, keypoints, box
        track.sightings += 1
