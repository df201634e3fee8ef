"""Track ids: stable through crossings and short gaps, new for newcomers and long absences."""

from __future__ import annotations

import numpy as np
import pytest

from estimator.keypoints import KEYPOINT_INDEX
from estimator.tracking import Tracker, box_iou

FPS = 30.0

# A standing person, in units of their height, centred on (0, 0), y down.
_TEMPLATE = {
    "nose": (0.0, -0.42), "left_eye_inner": (0.015, -0.44), "left_eye": (0.025, -0.44),
    "left_eye_outer": (0.035, -0.44), "right_eye_inner": (-0.015, -0.44),
    "right_eye": (-0.025, -0.44), "right_eye_outer": (-0.035, -0.44),
    "left_ear": (0.05, -0.43), "right_ear": (-0.05, -0.43),
    "mouth_left": (0.02, -0.39), "mouth_right": (-0.02, -0.39),
    "left_shoulder": (0.12, -0.30), "right_shoulder": (-0.12, -0.30),
    "left_elbow": (0.15, -0.12), "right_elbow": (-0.15, -0.12),
    "left_wrist": (0.16, 0.02), "right_wrist": (-0.16, 0.02),
    "left_pinky": (0.17, 0.06), "right_pinky": (-0.17, 0.06),
    "left_index": (0.16, 0.07), "right_index": (-0.16, 0.07),
    "left_thumb": (0.15, 0.05), "right_thumb": (-0.15, 0.05),
    "left_hip": (0.08, 0.02), "right_hip": (-0.08, 0.02),
    "left_knee": (0.08, 0.25), "right_knee": (-0.08, 0.25),
    "left_ankle": (0.08, 0.45), "right_ankle": (-0.08, 0.45),
    "left_heel": (0.07, 0.48), "right_heel": (-0.07, 0.48),
    "left_foot_index": (0.11, 0.5), "right_foot_index": (-0.11, 0.5),
}
_ARMS_UP = {"left_elbow": (0.16, -0.45), "right_elbow": (-0.16, -0.45),
            "left_wrist": (0.17, -0.6), "right_wrist": (-0.17, -0.6)}


def person(x: float, y: float, height: float = 200.0, arms_up: bool = False,
           jitter: float = 0.0, rng: np.random.Generator | None = None,
           ) -> tuple[np.ndarray, np.ndarray]:
    """Keypoints (33, 3) and box (4,) of a synthetic person centred on (x, y) pixels."""
    shape = {**_TEMPLATE, **(_ARMS_UP if arms_up else {})}
    keypoints = np.zeros((33, 3))
    for name, (u, v) in shape.items():
        keypoints[KEYPOINT_INDEX[name]] = (x + u * height, y + v * height, 0.9)
    if jitter:
        keypoints[:, :2] += (rng or np.random.default_rng(0)).normal(0, jitter, (33, 2))
    low, high = keypoints[:, :2].min(axis=0), keypoints[:, :2].max(axis=0)
    return keypoints, np.array([*low, *(high - low)])


def update(tracker: Tracker, t: float, people: list[tuple[np.ndarray, np.ndarray]]) -> list[int]:
    return tracker.update(t, [k for k, _ in people], [b for _, b in people])


@pytest.mark.parametrize(("look_alike", "jitter"), [(True, 0.0), (False, 0.0), (False, 2.0)])
def test_two_people_crossing_keep_their_ids(look_alike: bool, jitter: float) -> None:
    """A walks right, B walks left, at 200 px/s; they overlap fully around t = 1 s.

    They pass each other between two frames, so someone standing still in the tracker's
    eyes would swap ids: only the predicted motion keeps them apart.

    Look-alikes have the same size and pose and pass 4 px apart, so only their
    motion tells them apart. People are handed over in a shuffled order.
    """
    tracker = Tracker(max_age_s=1.0)
    rng = np.random.default_rng(7)
    ids_a, ids_b, overlap_at_crossing = [], [], 0.0
    for frame in range(61):
        t = frame / FPS
        a = person(100 + 200 * t, 300, 200, jitter=jitter, rng=rng)
        b = person(500 + 100 / FPS - 200 * t, 304 if look_alike else 315,
                   200 if look_alike else 185, arms_up=not look_alike, jitter=jitter, rng=rng)
        if frame == 30:
            overlap_at_crossing = box_iou(a[1], b[1])
        if rng.random() < 0.5:
            ids_a_frame, ids_b_frame = update(tracker, t, [a, b])
        else:
            ids_b_frame, ids_a_frame = update(tracker, t, [b, a])
        ids_a.append(ids_a_frame)
        ids_b.append(ids_b_frame)
    assert overlap_at_crossing > 0.7
    assert set(ids_a) == {ids_a[0]} and set(ids_b) == {ids_b[0]}
    assert {ids_a[0], ids_b[0]} == {0, 1}


def test_short_gap_keeps_the_id_even_while_moving() -> None:
    """Walking at 150 px/s, hidden for 0.6 s (< max_age 1 s): found where it was heading."""
    tracker = Tracker(max_age_s=1.0)
    seen = [f for f in range(60) if not 20 <= f < 38]
    ids = [update(tracker, f / FPS, [person(100 + 150 * f / FPS, 300)]) for f in seen]
    assert ids == [[0]] * len(seen)


def test_long_gap_gives_a_new_id() -> None:
    tracker = Tracker(max_age_s=1.0)
    assert update(tracker, 0.0, [person(300, 300)]) == [0]
    assert update(tracker, 0.9, [person(300, 300)]) == [0]
    assert update(tracker, 2.0, [person(300, 300)]) == [1]  # unseen 1.1 s: a new track


def test_a_newcomer_gets_the_next_id_and_others_keep_theirs() -> None:
    tracker = Tracker()
    assert update(tracker, 0.0, [person(100, 300), person(400, 300)]) == [0, 1]
    assert update(tracker, 1 / FPS, [person(102, 300), person(398, 300)]) == [0, 1]
    newcomer = person(700, 280, 150, arms_up=True)
    assert update(tracker, 2 / FPS, [newcomer, person(396, 300), person(104, 300)]) == [2, 1, 0]


def test_ids_follow_first_appearance_within_a_frame() -> None:
    tracker = Tracker()
    assert update(tracker, 0.0, [person(500, 300), person(100, 300), person(900, 300)]) == [
        0, 1, 2]


def test_someone_too_different_starts_a_new_track() -> None:
    """Same time step, but far away: not the same person, whatever the assignment says."""
    tracker = Tracker()
    assert update(tracker, 0.0, [person(100, 300)]) == [0]
    assert update(tracker, 1 / FPS, [person(700, 300)]) == [1]
    assert tracker.active_ids == [0, 1]


def test_empty_frames() -> None:
    tracker = Tracker(max_age_s=1.0)
    assert update(tracker, 0.0, []) == []
    assert update(tracker, 0.1, [person(300, 300)]) == [0]
    for f in range(1, 10):  # 0.3 s with nobody: the track waits
        assert update(tracker, 0.1 + f / FPS, []) == []
    assert update(tracker, 0.5, [person(300, 300)]) == [0]
    assert update(tracker, 1.6, []) == []  # more than 1 s later: ended
    assert tracker.active_ids == []
    assert update(tracker, 1.7, [person(300, 300)]) == [1]


def test_ids_are_never_reused_and_reset_starts_again() -> None:
    tracker = Tracker(max_age_s=0.5)
    assert update(tracker, 0.0, [person(300, 300)]) == [0]
    assert update(tracker, 1.0, [person(300, 300)]) == [1]
    tracker.reset()
    assert update(tracker, 0.0, [person(300, 300)]) == [0]


def test_hidden_keypoints_do_not_count() -> None:
    """Only the box and the keypoints visible in both say who is who."""
    tracker = Tracker()
    keypoints, box = person(300, 300)
    assert tracker.update(0.0, [keypoints], [box]) == [0]
    wild = keypoints.copy()
    wild[15:23, :2] += 400  # hands far off, but not visible
    wild[15:23, 2] = 0.1
    assert tracker.update(1 / FPS, [wild], [box]) == [0]


def test_bad_calls() -> None:
    tracker = Tracker()
    with pytest.raises(ValueError, match="one entry per person"):
        tracker.update(0.0, [person(1, 1)[0]], [])
    tracker.update(1.0, [], [])
    with pytest.raises(ValueError, match="backwards"):
        tracker.update(0.5, [], [])
