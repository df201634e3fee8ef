"""Left/right consistency along a track (estimator.sides), on synthetic walkers.

A misreading is simulated by exchanging left and right of some groups on some
frames, as the landmark model does; the correction must undo exactly that, and
leave alone everything a real body does (legs passing, a turn, a mirror image).
"""

from __future__ import annotations

import numpy as np
import pytest

from estimator.sides import (
    SIDE_GROUPS,
    SideConsistency,
    SideSettings,
    swap_groups,
    swapped_person,
)
from estimator.types import FramePoses
from tests.estimator.synthetic_body import walk


def misread(frames: list[FramePoses], frame_range: range,
            groups: tuple[str, ...]) -> list[FramePoses]:
    """``frames`` with ``groups`` read mirrored on ``frame_range`` (what the model does)."""
    out = []
    for f in frames:
        if f.index in frame_range:
            people = [swapped_person(p, groups) for p in f.people]
            # The model does not know it misread: no mark.
            people = [type(p)(p.track_id, p.score, p.bbox, p.keypoints, p.world)
                      for p in people]
            f = FramePoses(f.index, f.time, people)
        out.append(f)
    return out


def corrected(frames: list[FramePoses], **settings: float) -> dict[int, tuple[str, ...]]:
    """Frame index -> groups the correction swapped, for frames where it swapped any."""
    out = list(SideConsistency(SideSettings(**settings)).run(frames))
    assert [f.index for f in out] == [f.index for f in frames], "every frame, in order"
    return {f.index: f.people[0].sides_swapped for f in out if f.people[0].sides_swapped}


def test_swap_groups_exchanges_pairs_and_is_its_own_inverse():
    points = np.arange(33 * 2, dtype=float).reshape(33, 2)
    swapped = swap_groups(points, ["legs"])
    assert np.array_equal(swapped[25], points[26])  # left_knee <- right_knee
    assert np.array_equal(swapped[11], points[11])  # shoulders untouched
    assert np.array_equal(swap_groups(swapped, ["legs"]), points)


def test_side_view_walk_with_legs_passing_is_left_as_read():
    # Legs and arms pass each other twice per stride: continuous, so nothing swaps.
    assert corrected(walk(240, yaw_deg=lambda t: 90.0)) == {}


def test_front_view_walk_is_left_as_read():
    assert corrected(walk(240, yaw_deg=lambda t: 0.0)) == {}


def test_turn_to_face_the_camera_is_a_real_turn_not_a_swap():
    # From side view to facing the camera and on to the other side, in 1.5 s.
    frames = walk(150, yaw_deg=lambda t: float(np.clip(90.0 - 120.0 * (t - 1.0), -90, 90)))
    assert corrected(frames) == {}


def test_a_true_mirror_image_is_never_corrected_back():
    # A whole clip read mirrored from its first frame (filmed in a mirror): consistent.
    frames = misread(walk(150, yaw_deg=lambda t: 0.0), range(0, 150), SIDE_GROUPS)
    assert corrected(frames) == {}


@pytest.mark.parametrize("yaw", [0.0, 30.0])
def test_whole_body_read_mirrored_for_a_moment_is_put_back(yaw):
    frames = misread(walk(150, yaw_deg=lambda t: yaw), range(60, 68), SIDE_GROUPS)
    assert corrected(frames) == dict.fromkeys(range(60, 68), SIDE_GROUPS)


def test_a_single_mirrored_frame_is_put_back():
    frames = misread(walk(90, yaw_deg=lambda t: 0.0), range(37, 38), SIDE_GROUPS)
    assert corrected(frames) == {37: SIDE_GROUPS}


def test_whole_body_mirrored_for_a_second_is_put_back_within_the_lookahead():
    frames = misread(walk(150, yaw_deg=lambda t: 0.0), range(50, 80), SIDE_GROUPS)
    assert corrected(frames, lookahead_s=1.5) == dict.fromkeys(range(50, 80), SIDE_GROUPS)


def test_legs_swapped_in_a_side_view_are_put_back():
    frames = misread(walk(150, yaw_deg=lambda t: 90.0), range(40, 46), ("legs",))
    assert corrected(frames) == dict.fromkeys(range(40, 46), ("legs",))


def test_arms_swapped_in_a_front_view_are_put_back():
    frames = misread(walk(150, yaw_deg=lambda t: 0.0), range(70, 75), ("arms",))
    assert corrected(frames) == dict.fromkeys(range(70, 75), ("arms",))


def test_the_model_reading_is_kept_recoverable():
    frames = misread(walk(90, yaw_deg=lambda t: 0.0), range(37, 40), SIDE_GROUPS)
    out = list(SideConsistency().run(frames))
    for before, after in zip(frames, out, strict=True):
        p, q = before.people[0], after.people[0]
        back = swap_groups(q.keypoints, q.sides_swapped)
        assert np.array_equal(back, p.keypoints)


def test_frames_stream_with_a_bounded_delay_and_flat_memory():
    sides = SideConsistency(SideSettings(lookahead_s=0.5))
    frames = walk(3000, yaw_deg=lambda t: 90.0)  # 100 s at 30 fps
    waiting, held = [], []
    handed = 0
    for frame in frames:
        handed += len(sides.push(frame))
        waiting.append(frame.index + 1 - handed)
        held.append(sum(len(t.open) for t in sides._tracks.values()))
    handed += len(sides.flush())
    assert handed == len(frames)
    assert max(waiting) <= 16  # 0.5 s at 30 fps, plus the frame just pushed
    assert max(held) <= 16  # sightings kept: the look-ahead, never the clip


def test_two_people_are_decided_on_their_own():
    a = walk(120, yaw_deg=lambda t: 0.0, track_id=0)
    b = walk(120, yaw_deg=lambda t: 90.0, track_id=1, seed=1)
    b = misread(b, range(50, 55), ("legs",))
    frames = [FramePoses(fa.index, fa.time, [*fa.people, *fb.people])
              for fa, fb in zip(a, b, strict=True)]
    out = list(SideConsistency().run(frames))
    swapped = {(f.index, p.track_id): p.sides_swapped for f in out for p in f.people
               if p.sides_swapped}
    assert swapped == {(i, 1): ("legs",) for i in range(50, 55)}
