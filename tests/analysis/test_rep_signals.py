"""The angle repetitions are counted in: the user's choice, or the clearest cycle."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import AnalysisError
from analysis.filtering import CleanSettings, clean_signals
from analysis.rep_signals import (
    check_rep_angle,
    clearest_cycle,
    find_repetitions,
    rep_angle_choices,
    rep_signal,
)
from analysis.repetitions import RepSettings
from tests.analysis.movements import arm_raises, measured, squat_sets, walking_knee

FPS = 30.0


def timeline(seconds: float) -> np.ndarray:
    return np.arange(int(seconds * FPS)) / FPS


def body(t: np.ndarray, seed: int = 0, **moving: np.ndarray) -> pd.DataFrame:
    """Cleaned angles of someone standing (knees, hips, elbows, shoulders, ankles near
    their resting values, 3 degrees of noise), with the given columns moving."""
    rest = {"knee": 5.0, "hip": 8.0, "ankle": -5.0, "elbow": 10.0, "shoulder": 12.0}
    columns = {}
    for i, (joint, level) in enumerate(rest.items()):
        for j, side in enumerate(("left", "right")):
            name = f"{side}_{joint}"
            x = moving.get(name, np.full(t.size, level))
            columns[name] = measured(x, seed + 10 * i + j)
    return clean_signals(pd.DataFrame(columns), FPS, CleanSettings())


def test_seven_arm_raises_are_found_though_the_legs_moved_further_once() -> None:
    """The athlete bends down once to pick up a band (knees to 130, hips to 140), then
    raises both arms seven times with rests between (shoulders 12 -> 100 degrees): the
    legs have the larger range, the arms the cycle."""
    t = timeline(30.0)
    once, _ = squat_sets(t, [[130.0]], set_starts=[0.5])
    bend_hip, _ = squat_sets(t, [[140.0]], set_starts=[0.5])
    arms, peaks = arm_raises(t, [3.5, 7.0, 11.5, 14.5, 19.0, 22.5, 26.0], top=100.0)
    angles = body(t, left_knee=once, right_knee=once, left_hip=bend_hip, right_hip=bend_hip,
                  left_shoulder=arms, right_shoulder=arms)
    found = find_repetitions(angles, t, FPS)
    assert found.automatic and found.signal_name == "shoulder"
    np.testing.assert_allclose(found.repetitions["peak_s"], peaks, atol=0.35)
    assert 0.7 < found.clarity < 1.0


@pytest.mark.parametrize("seed", range(4))
def test_walking_is_counted_in_the_knees_by_default(seed: int) -> None:
    """Steps of both legs in the knees' mean, or strides of one knee: equally clear
    cycles (which one wins depends on the noise), never anything else."""
    t = timeline(10.0)
    left, _ = walking_knee(t)
    right, _ = walking_knee(t, offset=0.5)
    found = clearest_cycle(body(t, seed, left_knee=left, right_knee=right), t, FPS)
    counts = {"knee": 18, "left_knee": 9, "right_knee": 9}
    assert len(found.repetitions) == counts[found.signal_name]


def test_a_one_armed_exercise_is_counted_in_that_arm() -> None:
    """Curls with the right arm only: the right elbow bends 10 -> 140; the pair's mean
    would halve the movement."""
    t = timeline(20.0)
    curls, peaks = arm_raises(t, list(np.arange(1.0, 18.0, 2.5)), top=140.0, rest=10.0,
                              up_s=0.8, hold_s=0.1, down_s=0.9)
    found = clearest_cycle(body(t, right_elbow=curls), t, FPS)
    assert found.signal_name == "right_elbow"
    np.testing.assert_allclose(found.repetitions["peak_s"], peaks, atol=0.2)


def test_when_knees_and_hips_show_the_same_squats_the_larger_movement_wins() -> None:
    t = timeline(20.0)
    knee, peaks = squat_sets(t, [[90.0] * 7])
    hip, _ = squat_sets(t, [[110.0] * 7])
    angles = body(t, left_knee=knee, right_knee=knee, left_hip=hip, right_hip=hip)
    found = clearest_cycle(angles, t, FPS)
    assert found.signal_name == "hip"
    np.testing.assert_allclose(found.repetitions["peak_s"], peaks, atol=0.25)


def test_nothing_repeating_shows_the_pair_that_moved_most_with_no_repetitions() -> None:
    t = timeline(10.0)
    once, _ = squat_sets(t, [[120.0]], set_starts=[3.0])
    found = clearest_cycle(body(t, left_knee=once, right_knee=once), t, FPS)
    assert found.signal_name == "knee" and found.repetitions.empty and found.clarity == 0.0


def test_an_angle_chosen_is_used_even_where_it_shows_no_repetitions() -> None:
    t = timeline(30.0)
    arms, _ = arm_raises(t, [3.5, 7.0, 11.5, 14.5, 19.0, 22.5, 26.0])
    angles = body(t, left_shoulder=arms, right_shoulder=arms)
    knee = find_repetitions(angles, t, FPS, RepSettings(angle="left_knee"))
    assert knee.signal_name == "left_knee" and not knee.automatic and knee.repetitions.empty
    np.testing.assert_array_equal(knee.signal, angles["left_knee"].to_numpy())
    shoulder = find_repetitions(angles, t, FPS, RepSettings(angle="shoulder"))
    assert len(shoulder.repetitions) == 7


def test_no_candidate_angle_seen_gives_no_signal() -> None:
    df = pd.DataFrame({"left_knee": [np.nan] * 3, "right_knee": [np.nan] * 3})
    found = clearest_cycle(df, timeline(0.1), FPS)
    assert found.signal_name is None and np.isnan(found.signal).all()


def test_a_signal_can_be_a_column_or_a_pair_and_unknown_names_are_refused() -> None:
    df = pd.DataFrame({"left_elbow": [1.0, 2.0], "right_elbow": [3.0, np.nan],
                       "trunk": [5.0, 6.0]})
    np.testing.assert_allclose(rep_signal(df, "left_elbow"), [1.0, 2.0])
    np.testing.assert_allclose(rep_signal(df, "elbow"), [2.0, 2.0])  # the side that is seen
    np.testing.assert_allclose(rep_signal(df, "trunk"), [5.0, 6.0])
    with pytest.raises(AnalysisError, match="unknown angle 'elbows' for repetitions"):
        rep_signal(df, "elbows")


def test_the_names_that_can_be_asked_for_are_checked_before_any_work() -> None:
    for name in ("knee", "left_knee", "shoulder_3d", "right_elbow_3d", "thigh", "trunk_lean"):
        assert check_rep_angle(name) == name
    for name in ("knees", "left knee", "trunk_3d"):
        with pytest.raises(AnalysisError, match="unknown angle"):
            check_rep_angle(name)


def test_the_choices_list_the_candidate_pairs_first_then_every_column() -> None:
    columns = ["left_knee", "right_knee", "left_wrist", "right_wrist", "left_hip",
               "right_hip", "trunk"]
    assert rep_angle_choices(columns) == ["knee", "hip", "wrist", *columns]
