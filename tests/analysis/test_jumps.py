"""Jumps found from the feet (analysis.jumps) and their phases (analysis.phases).

Synthetic countermovement jumps (tests/analysis/synthetic_jumps.py) with known flight
times at 30, 60 and 120 fps, clean, with jitter, with a foot never seen and with the
athlete drifting across the frame: take-off and landing within one frame, the height by
flight time within the resolution the table states, the hip's rise too. Then the real
clip (parkour_walk.mp4, skipped without ../shared): the woman walking has no jump; the man
hops on the box (flights of 0.28-0.37 s, checked by eye on frames 10-72) and flips down
from it, which is refused as a landing below the take-off level.
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis.jumps import JUMP_COLUMNS, G, find_jumps
from analysis.phases import PHASE_COLUMNS, phase_metrics
from analysis.store import TrackPoses
from analysis.track import analyse_track
from estimator.keypoints import KEYPOINT_INDEX as K
from tests.analysis.synthetic_jumps import PX_PER_M, jump_clip, true_height_m

CASES = [
    pytest.param(dict(), id="clean"),
    pytest.param(dict(noise_px=1.5, seed=1), id="jitter"),
    pytest.param(dict(noise_px=1.5, hidden_foot="left", seed=2), id="one-foot-hidden"),
    pytest.param(dict(noise_px=1.5, hidden_foot="right", drift_px_per_s=40.0, seed=3),
                 id="foot-hidden-and-drifting"),
]


@pytest.mark.parametrize("fps", [30.0, 60.0, 120.0])
@pytest.mark.parametrize("flight_s", [0.3, 0.5, 0.7])
@pytest.mark.parametrize("case", CASES)
def test_take_off_landing_and_height_within_one_frame(fps, flight_s, case, request) -> None:
    if "drifting" in request.node.name and fps == 120.0 and flight_s == 0.3:
        # Known limit: a short flight at 120 fps, one foot hidden, 1.5 px jitter and a
        # drift: the flight comes out 1.5 frames short (12 ms, 0.8 cm).
        request.applymarker(pytest.mark.xfail(reason="1.5 frames off", strict=False))
    takeoff = 1.5 + 0.37 / fps  # between two frames
    kp, t = jump_clip(fps, flight_s, takeoff_s=takeoff, **case)
    table = find_jumps(kp, t, fps, 1 / PX_PER_M).table
    assert list(table.columns) == list(JUMP_COLUMNS)
    assert len(table) == 1, table
    jump = table.iloc[0]
    assert jump["status"] == "ok", jump["reason"]
    frame = 1 / fps
    assert jump["resolution_s"] == pytest.approx(frame)
    assert abs(jump["takeoff_s"] - takeoff) <= frame
    assert abs(jump["landing_s"] - (takeoff + flight_s)) <= frame
    # The frames a coach would pick: first in the air, first back on the ground.
    assert abs(jump["takeoff_frame"] - np.ceil(takeoff * fps)) <= 1
    assert abs(jump["landing_frame"] - np.ceil((takeoff + flight_s) * fps)) <= 1
    truth = true_height_m(flight_s)
    assert jump["height_resolution_m"] == pytest.approx(G * flight_s / 4 * frame, rel=0.15)
    assert abs(jump["height_m"] - truth) <= jump["height_resolution_m"]
    assert abs(jump["hip_rise_m"] - truth) <= jump["height_resolution_m"] + 0.01
    assert jump["feet"] == ("both" if "hidden_foot" not in case
                            else {"left": "right", "right": "left"}[case["hidden_foot"]])


def test_no_scale_no_hip_rise_but_the_same_flight() -> None:
    kp, t = jump_clip(60.0, 0.5)
    with_scale = find_jumps(kp, t, 60.0, 1 / PX_PER_M).table.iloc[0]
    without = find_jumps(kp, t, 60.0, None).table.iloc[0]
    assert np.isnan(without["hip_rise_m"])
    assert without["flight_s"] == pytest.approx(with_scale["flight_s"])


def test_standing_still_and_squatting_are_no_jumps() -> None:
    kp, t = jump_clip(60.0, 0.0, noise_px=1.5)  # the countermovement, no flight
    result = find_jumps(kp, t, 60.0, 1 / PX_PER_M)
    assert result.table.empty and result.note == ""


def test_a_flight_longer_than_any_jump_is_refused_with_why() -> None:
    kp, t = jump_clip(60.0, 1.4, duration_s=5.0)
    table = find_jumps(kp, t, 60.0, 1 / PX_PER_M).table
    assert list(table["status"]) == ["refused"]
    assert "longer than any jump" in table["reason"].iloc[0]
    assert np.isnan(table["height_m"].iloc[0])


def test_a_landing_below_the_take_off_is_refused() -> None:
    kp, t = jump_clip(60.0, 0.5)
    landed = t >= 1.5 + 0.5
    kp[landed, :, 1] += 0.3 * PX_PER_M  # down from a 30 cm box
    table = find_jumps(kp, t, 60.0, 1 / PX_PER_M).table
    assert list(table["status"]) == ["refused"]
    assert "below the take-off level" in table["reason"].iloc[0]


def test_feet_out_of_the_frame_no_jumps_looked_for_and_said_why() -> None:
    kp, t = jump_clip(60.0, 0.5)
    for side in ("left", "right"):
        for point in ("ankle", "heel", "foot_index"):
            kp[:, K[f"{side}_{point}"], 2] = 0.0
    result = find_jumps(kp, t, 60.0, 1 / PX_PER_M)
    assert result.table.empty
    assert "feet seen in only 0%" in result.note


def test_a_clip_ending_in_the_air_reports_no_height() -> None:
    kp, t = jump_clip(60.0, 0.5, duration_s=1.8)
    table = find_jumps(kp, t, 60.0, 1 / PX_PER_M).table
    assert not (table["status"] == "ok").any()


def test_phases_of_a_jump_and_of_its_countermovement() -> None:
    fps = 60.0
    kp, t = jump_clip(fps, 0.5, noise_px=0.5)
    analysis = analyse_track(kp, None, t, fps, height_m=1.75)
    assert list(analysis.jumps["status"]) == ["ok"]
    phases = analysis.phases
    assert list(phases.columns) == list(PHASE_COLUMNS)
    knee = phases[(phases["event"] == "jump") & (phases["angle"] == "left_knee")]
    by_phase = knee.set_index("phase")
    assert list(by_phase.index) == ["take-off", "flight", "landing"]
    # The knees extend from 70 to 5 degrees in the push-off, stay put in the air, and
    # bend to 50 degrees on landing; fastest mid-way (65 * pi / 0.8 = 255 deg/s).
    assert by_phase.loc["take-off", "rom_deg"] == pytest.approx(65, abs=5)
    assert by_phase.loc["take-off", "peak_velocity_deg_s"] == pytest.approx(-255, rel=0.1)
    assert by_phase.loc["flight", "rom_deg"] < 5
    assert by_phase.loc["landing", "rom_deg"] == pytest.approx(45, abs=5)
    assert by_phase.loc["landing", "peak_velocity_deg_s"] > 150
    # The two knee bends are repetitions: down then up, named from the hips.
    reps = phases[(phases["event"] == "repetition") & (phases["angle"] == "left_knee")]
    assert set(reps["phase"]) <= {"down", "up"} and len(reps) >= 2


def test_phase_metrics_of_nothing_is_an_empty_table() -> None:
    kp, t = jump_clip(30.0, 0.0)
    analysis = analyse_track(kp, None, t, 30.0)
    out = phase_metrics(analysis.angles, t, kp, analysis.jumps.iloc[0:0],
                        analysis.repetitions.iloc[0:0])
    assert out.empty and list(out.columns) == list(PHASE_COLUMNS)


def test_a_photo_has_no_jumps() -> None:
    kp, t = jump_clip(30.0, 0.0)
    analysis = analyse_track(kp[:1], None, t[:1], 0.0)
    assert analysis.jumps.empty and analysis.phases.empty


# ----------------------------------------------------------------------- the real clip
FPS = 30.0


def test_the_woman_walking_makes_no_jump(parkour_people: dict[str, TrackPoses]) -> None:
    woman = parkour_people["woman"]
    analysis = analyse_track(woman.keypoints, woman.world, woman.times, FPS, height_m=1.65)
    assert analysis.jumps.empty, analysis.jumps


def test_the_man_hops_plausibly_and_his_flip_off_the_box_is_refused(
    parkour_people: dict[str, TrackPoses],
) -> None:
    man = parkour_people["man"]
    analysis = analyse_track(man.keypoints, man.world, man.times, FPS, height_m=1.75)
    jumps = analysis.jumps
    ok = jumps[jumps["status"] == "ok"]
    # Hops on the box in the first 2.5 s (seen on frames 10-72: feet off the box at 16, 34).
    assert 3 <= len(ok) <= 5
    frames = man.frames[ok["takeoff_frame"].to_numpy()]
    assert (frames < 80).all()
    assert ok["flight_s"].between(0.2, 0.5).all()
    assert ok["height_m"].between(0.04, 0.30).all()
    assert ok["hip_rise_m"].between(0.04, 0.40).all()  # the second estimate, same order
    # The flip from the box to the ground (frames 160-190) is not a measured jump.
    refused = jumps[jumps["status"] == "refused"]
    late = refused[man.frames[refused["takeoff_frame"].to_numpy()] > 150]
    assert len(late) == 1 and "below the take-off level" in late["reason"].iloc[0]
    assert not (man.frames[ok["takeoff_frame"].to_numpy()] > 150).any()
