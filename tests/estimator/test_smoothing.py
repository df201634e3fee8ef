"""The One Euro filter that steadies the auxiliary landmarks before the next ROI."""

from __future__ import annotations

import numpy as np

from estimator.smoothing import OneEuroFilter


def test_first_value_passes_unchanged_and_a_constant_stays_constant():
    f = OneEuroFilter()
    point = np.array([[100.0, 200.0], [100.0, 50.0]])
    for i in range(10):
        assert np.allclose(f(point, i / 30, scale=300.0), point)


def test_jitter_of_a_still_point_is_more_than_halved():
    rng = np.random.default_rng(0)
    f = OneEuroFilter()
    raw = 100.0 + rng.normal(0.0, 2.0, 300)  # 2 px jitter, 300 px object
    out = np.array([f(np.array([x]), i / 30, scale=300.0)[0] for i, x in enumerate(raw)])
    assert np.std(out[30:]) < 0.5 * np.std(raw[30:])


def test_fast_motion_is_followed_within_a_few_pixels():
    f = OneEuroFilter()
    # One object size per second (300 px/s, 10 px per frame): a walk across the picture.
    out = [f(np.array([10.0 * i]), i / 30, scale=300.0)[0] for i in range(60)]
    assert abs(out[-1] - 590.0) < 15.0


def test_time_going_backwards_restarts_the_filter():
    f = OneEuroFilter()
    f(np.array([0.0]), 1.0)
    assert f(np.array([50.0]), 0.5)[0] == 50.0
