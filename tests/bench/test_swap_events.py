"""The left/right swap-event detector (bench/swap_events.py) on synthetic tracks.

A stick person is built in 3D (metres, hip-centred, y down), turned about the
vertical, and projected orthographically into a 1000 x 1000 image at 200 px
per metre, so the image and the world landmarks agree as a real model's do.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from bench import swap_events as se

PX_PER_M = 200.0
CENTRE = np.array([500.0, 500.0])

# Body frame: (lateral, height, forward) in metres; lateral > 0 is the person's own
# left, height grows downwards (image convention), forward is where they face.
# Left/right pairs by keypoint index; the centre keypoints (nose) stand alone.
_BODY: dict[int, tuple[float, float, float]] = {
    0: (0.0, -0.75, 0.10),  # nose
    11: (0.20, -0.50, 0.0), 13: (0.24, -0.22, 0.0), 15: (0.25, 0.05, 0.05),  # l sh, elb, wri
    23: (0.10, 0.0, 0.0), 25: (0.10, 0.45, 0.0), 27: (0.10, 0.90, 0.0),  # l hip, knee, ankle
    29: (0.10, 0.95, -0.05), 31: (0.10, 0.95, 0.15),  # l heel, foot index
}
# Stride amplitudes (forward offset at full swing) for walking, per leg / arm keypoint.
_SWING = {25: 0.20, 27: 0.40, 29: 0.40, 31: 0.40, 13: -0.10, 15: -0.20}


def _mirror_pairs() -> list[tuple[int, int]]:
    return [(i, i + 1) for i in _BODY if i != 0]


def body(turn_deg: float, stride: float = 0.0, feet_apart: float = 0.0) -> np.ndarray:
    """World landmarks (33, 3) of a person turned ``turn_deg`` from facing the camera
    (90: facing image right), legs and arms swung by ``stride`` in [-1, 1], the left leg
    ``feet_apart`` metres forward of the right (a split stance)."""
    th = math.radians(turn_deg)
    left = np.array([math.cos(th), 0.0, math.sin(th)])  # the person's left, world axes
    fwd = np.array([math.sin(th), 0.0, -math.cos(th)])  # where they face
    down = np.array([0.0, 1.0, 0.0])
    w = np.zeros((33, 3))
    for i, (lat, h, f) in _BODY.items():
        for k, side in ((i, 1.0), (i + 1, -1.0)) if i else ((0, 0.0),):
            swing = side * stride * _SWING.get(i, 0.0)
            split = side * 0.5 * feet_apart if i >= 25 else 0.0
            w[k] = side * lat * left + h * down + (f + swing + split) * fwd if i else (
                h * down + f * fwd)
    return w


def project(world: np.ndarray, shift_px: float = 0.0) -> np.ndarray:
    """Keypoints (33, 3): orthographic image x, y in pixels and visibility 1."""
    kp = np.ones((33, 3))
    kp[:, :2] = CENTRE + PX_PER_M * world[:, :2] + [shift_px, 0.0]
    return kp


def swap_sides(a: np.ndarray) -> np.ndarray:
    """The same reading with left and right labels exchanged (whole body)."""
    b = a.copy()
    for l_, r_ in _mirror_pairs():
        b[[l_, r_]] = a[[r_, l_]]
    return b


def swap_group(a: np.ndarray, group: str) -> np.ndarray:
    b = a.copy()
    for l_, r_ in se.GROUPS[group]:
        b[[l_, r_]] = a[[r_, l_]]
    return b


def make_track(worlds: list[np.ndarray], kps: list[np.ndarray] | None = None,
               frames: list[int] | None = None) -> se.Track:
    kps = kps if kps is not None else [project(w) for w in worlds]
    return se.Track(
        frames=np.array(frames if frames is not None else range(len(worlds))),
        keypoints=np.stack(kps),
        size=np.array([se.box_height(k) for k in kps]),
        world=np.stack(worlds),
    )


def kinds(events: list[se.SwapEvent]) -> list[tuple[int, str]]:
    return [(e.frame, e.kind) for e in events]


def walking(turn_deg: float, n: int = 60, period: int = 30) -> list[np.ndarray]:
    return [body(turn_deg, math.sin(2 * math.pi * t / period)) for t in range(n)]


# --------------------------------------------------------------------------- no event


def test_legs_crossing_smoothly_in_side_view_is_no_event():
    worlds = walking(90.0, n=90)
    track = make_track(worlds)
    assert se.find_events(track) == []
    # The legs were judged, not just waved through: apart in the image mid-stride,
    # and (side view) apart in depth while they pass each other.
    cues = [se.judge_transition(track, i)["legs"].cue for i in se.transitions(track)
            if se.judge_transition(track, i)["legs"].swap is not None]
    assert cues.count("2d") >= 30
    assert cues.count("3d") >= 10


def test_fast_sprint_crossing_is_no_event():
    # A stride every 8 frames (a sprint at 30 fps): the legs cross in about one frame.
    worlds = [body(90.0, math.sin(2 * math.pi * t / 16)) for t in range(64)]
    assert se.find_events(make_track(worlds)) == []


@pytest.mark.parametrize("deg_per_frame", [3.0, 12.0, 30.0])
def test_real_turn_to_face_the_camera_is_no_event(deg_per_frame: float):
    # From side-on (facing right) through facing the camera to side-on facing left.
    steps = int(180 / deg_per_frame) + 1
    worlds = [body(90.0 - deg_per_frame * t, 0.3) for t in range(steps)]
    track = make_track(worlds)
    assert se.find_events(track) == []
    judged = [se.judge_transition(track, i)["torso"] for i in se.transitions(track)]
    assert any(j.swap is False for j in judged)  # the torso was judged, and found continuous


def test_person_mirrored_throughout_is_no_event():
    # A true mirror image (a mirrored video, or a model reading the whole clip mirrored)
    # is consistent from frame to frame: no transition, nothing to report.
    kps = [swap_sides(project(w)) for w in walking(0.0)]
    assert se.find_events(make_track(walking(0.0), kps)) == []


def test_noise_is_no_event_and_sets_the_jitter():
    rng = np.random.default_rng(8)
    worlds = [body(0.0, 0.0, 0.0)] * 300
    clean = [project(w) for w in worlds]
    sigma = 0.01 * se.box_height(clean[0])  # 1 % of the box height per coordinate
    noisy = []
    for k in clean:
        k = k.copy()
        k[:, :2] += rng.normal(0.0, sigma, (33, 2))
        noisy.append(k)
    track = make_track(worlds, noisy)
    assert se.find_events(track) == []
    # Acceleration p(t+1) - 2 p(t) + p(t-1) of white noise: each coordinate N(0, 6 sigma^2),
    # so its length is Rayleigh with scale sigma sqrt(6), median sigma sqrt(12 ln 2) ~ 2.88.
    med = float(np.median(se.jitter(track)))
    assert med == pytest.approx(0.01 * math.sqrt(12 * math.log(2)), rel=0.1)


def test_smooth_motion_has_no_jitter():
    worlds = [body(0.0)] * 20
    kps = [project(w, shift_px=7.0 * t) for t, w in enumerate(worlds)]  # constant velocity
    assert float(np.max(se.jitter(make_track(worlds, kps)))) == pytest.approx(0.0, abs=1e-9)


def feet_together(world: np.ndarray) -> np.ndarray:
    """Legs drawn in to 6 cm apart (knees, ankles, heels, feet); hips unchanged."""
    w = world.copy()
    for l_, r_ in se.GROUPS["legs"]:
        mid = 0.5 * (w[l_] + w[r_])
        w[l_], w[r_] = mid + 0.3 * (w[l_] - mid), mid + 0.3 * (w[r_] - mid)
    return w


def test_legs_flipping_while_together_are_not_judged():
    # Feet together, facing the camera: the legs' sides are 6 cm apart, 3.5 % of the box
    # height, under the 10 % gate; without world landmarks nothing else can judge them.
    worlds = [feet_together(body(0.0))] * 20
    kps = [project(w) for w in worlds]
    kps = [swap_group(k, "legs") if 5 <= t < 10 else k for t, k in enumerate(kps)]
    track = make_track(worlds, kps)
    track.world = None
    assert se.find_events(track) == []
    assert se.judge_transition(track, 5)["legs"].swap is None


# --------------------------------------------------------------------------- events


def test_whole_body_flip_for_five_frames_is_two_transitions():
    worlds = walking(0.0)
    kps = [swap_sides(project(w)) if 20 <= t < 25 else project(w) for t, w in enumerate(worlds)]
    wls = [swap_sides(w) if 20 <= t < 25 else w for t, w in enumerate(worlds)]
    events = se.find_events(make_track(wls, kps))
    assert kinds(events) == [(20, "whole_body"), (25, "whole_body")]
    assert all(e.cue == "2d" and e.ratio < se.RATIO for e in events)


def test_whole_body_flip_while_moving_fast_across_the_picture():
    # 60 px per frame of travel (a sprint across a wide shot): the group's own centre is
    # taken out, so the flip is found and the travel alone is no event.
    worlds = walking(0.0)
    kps = [project(w, shift_px=60.0 * t) for t, w in enumerate(worlds)]
    assert se.find_events(make_track(worlds, kps)) == []
    kps = [swap_sides(k) if 30 <= t < 35 else k for t, k in enumerate(kps)]
    assert kinds(se.find_events(make_track(worlds, kps))) == [(30, "whole_body"),
                                                              (35, "whole_body")]


def test_legs_flip_in_a_split_stance_side_view():
    worlds = [body(90.0, 0.0, feet_apart=0.6)] * 30
    kps = [swap_group(project(w), "legs") if 10 <= t < 15 else project(w)
           for t, w in enumerate(worlds)]
    events = se.find_events(make_track(worlds, kps))
    assert kinds(events) == [(10, "legs"), (15, "legs")]


def test_arms_flip_facing_the_camera():
    worlds = [body(0.0)] * 30
    kps = [swap_group(project(w), "arms") if 10 <= t < 12 else project(w)
           for t, w in enumerate(worlds)]
    assert kinds(se.find_events(make_track(worlds, kps))) == [(10, "arms"), (12, "arms")]


def test_side_view_flip_found_by_the_world_landmarks():
    # Side-on, standing: left and right coincide in the image (2D cannot judge), but the
    # model's depth order flips for 5 frames: the world landmarks show the teleport.
    worlds = [body(90.0)] * 30
    kps = [project(w) for w in worlds]
    kps = [swap_sides(k) if 10 <= t < 15 else k for t, k in enumerate(kps)]
    wls = [swap_sides(w) if 10 <= t < 15 else w for t, w in enumerate(worlds)]
    events = se.find_events(make_track(wls, kps))
    assert kinds(events) == [(10, "whole_body"), (15, "whole_body")]
    assert {e.cue for e in events} == {"3d"}


def test_no_judging_across_a_gap():
    # The person is lost for frames 10-14 and comes back mirrored: the labels cannot be
    # compared across the gap, so nothing is reported.
    worlds = walking(0.0, n=25)
    kps = [swap_sides(project(w)) if t >= 15 else project(w) for t, w in enumerate(worlds)]
    keep = [t for t in range(25) if not 10 <= t < 15]
    track = make_track([worlds[t] for t in keep], [kps[t] for t in keep], keep)
    assert se.find_events(track) == []
    assert 10 not in se.transitions(track)


def test_hidden_keypoints_are_left_out():
    # The legs flip, but the right leg is invisible: no pair to judge, no event.
    worlds = [body(90.0, 0.0, feet_apart=0.6)] * 20
    kps = []
    for t, w in enumerate(worlds):
        k = swap_group(project(w), "legs") if 5 <= t < 10 else project(w)
        k[[26, 28, 30, 32], 2] = 0.1
        kps.append(k)
    assert se.find_events(make_track(worlds, kps)) == []


def test_judge_ratio_for_one_pair():
    # One pair, left-right vector turned by 180 degrees with no other motion: D_cross = 0.
    prev = np.zeros((33, 2))
    prev[25], prev[26] = (0.0, 0.0), (100.0, 0.0)
    cur = prev.copy()
    cur[25], cur[26] = prev[26], prev[25]
    vis = np.ones(33, bool)
    j = se.judge(prev, cur, vis, ((25, 26),), size=400.0)
    assert j.swap is True and j.ratio == pytest.approx(0.0) and j.separation == 0.25
    # Turned by 90 degrees: D_cross / D_same = cot(45) = 1: no swap.
    cur[25], cur[26] = (50.0, -50.0), (50.0, 50.0)
    j = se.judge(prev, cur, vis, ((25, 26),), size=400.0)
    assert j.swap is False and j.ratio == pytest.approx(1.0)
