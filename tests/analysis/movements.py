"""Angle signals of repeated movements, in degrees, for the repetition tests.

Each generator takes the frame times (s) and returns the angle (frames,) with
the times of its movements, so a test can say where each repetition must be.
The shapes are raised cosines (a smooth rise and fall), joined by holds and
rests; noise and missing frames are added by :func:`measured`.
"""

from __future__ import annotations

import numpy as np


def _bump(t: np.ndarray, start: float, up_s: float, hold_s: float, down_s: float,
          rest: float, top: float, out: np.ndarray) -> None:
    """Write into ``out`` one movement from ``rest`` up to ``top`` and back, starting
    at ``start``: ``up_s`` rising, ``hold_s`` at the top, ``down_s`` falling."""
    rise = (t >= start) & (t < start + up_s)
    out[rise] = rest + (top - rest) * 0.5 * (1 - np.cos(np.pi * (t[rise] - start) / up_s))
    held = (t >= start + up_s) & (t < start + up_s + hold_s)
    out[held] = top
    t_down = start + up_s + hold_s
    fall = (t >= t_down) & (t < t_down + down_s)
    out[fall] = top - (top - rest) * 0.5 * (1 - np.cos(np.pi * (t[fall] - t_down) / down_s))


def arm_raises(t: np.ndarray, starts: list[float], top: float = 165.0, rest: float = 12.0,
               up_s: float = 1.1, hold_s: float = 0.4, down_s: float = 1.3
               ) -> tuple[np.ndarray, np.ndarray]:
    """Shoulder angle of arm raises starting at ``starts`` (s): arms along the trunk
    (``rest``) raised nearly overhead (``top``). Returns (angle, peak times)."""
    x = np.full(t.shape, rest)
    for s in starts:
        _bump(t, s, up_s, hold_s, down_s, rest, top, x)
    return x, np.asarray(starts) + up_s + hold_s / 2


def squat_sets(t: np.ndarray, sets: list[list[float]], period_s: float = 2.4,
               set_starts: list[float] | None = None, rest: float = 6.0
               ) -> tuple[np.ndarray, np.ndarray]:
    """Knee flexion of sets of squats (depths in degrees per set), ``period_s`` apart
    within a set, sets starting at ``set_starts`` (s). Returns (angle, peak times)."""
    x = np.full(t.shape, rest)
    peaks = []
    set_starts = set_starts or [1.0 + 30.0 * i for i in range(len(sets))]
    for depths, s0 in zip(sets, set_starts, strict=True):
        for i, depth in enumerate(depths):
            start = s0 + i * period_s
            _bump(t, start, 0.9, 0.15, 0.9, rest, depth, x)
            peaks.append(start + 0.9 + 0.075)
    return x, np.asarray(peaks)


def jump_series(t: np.ndarray, n: int, start: float = 1.0, contact_s: float = 0.55,
                flight_s: float = 0.45, depth: float = 75.0, straight: float = 2.0
                ) -> tuple[np.ndarray, np.ndarray]:
    """Knee flexion of ``n`` rebound jumps: each ground contact a quick bend (land,
    absorb, push off) to ``depth``, each flight the knees nearly straight; the pace
    slows a little as the athlete tires. Returns (angle, peak times)."""
    x = np.full(t.shape, straight)
    peaks = []
    s = start
    for i in range(n):
        c = contact_s * (1 + 0.3 * i / max(n - 1, 1))
        _bump(t, s, c / 2, 0.0, c / 2, straight, depth, x)
        peaks.append(s + c / 2)
        s += c + flight_s
    return x, np.asarray(peaks)


def walking_knee(t: np.ndarray, stride_s: float = 1.1, start: float = 0.0,
                 swing: float = 60.0, loading: float = 16.0, offset: float = 0.0
                 ) -> tuple[np.ndarray, np.ndarray]:
    """One knee's flexion while walking: a small bend as the foot takes the weight
    (``loading``, 15 % of the stride) and a large one as the leg swings through
    (``swing``, at 72 %); nearly straight in between. ``offset`` is the stride
    fraction this leg is behind (0.5 for the other leg). Returns (angle, swing
    peak times)."""
    phase = ((t - start) / stride_s - offset) % 1.0
    x = (3.0 + loading * np.exp(-(((phase - 0.15) / 0.07) ** 2))
         + swing * np.exp(-(((phase - 0.72) / 0.11) ** 2)))
    first = start + ((0.72 + offset) % 1.0) * stride_s
    peaks = np.arange(first, t[-1] - 0.1 * stride_s, stride_s)
    return x, peaks


def measured(x: np.ndarray, seed: int, noise_deg: float = 3.0, gaps: int = 3,
             gap_frames: int = 4) -> np.ndarray:
    """``x`` as a camera would give it: Gaussian noise and a few short runs of missing
    frames (at seeded places)."""
    rng = np.random.default_rng(seed)
    y = x + rng.normal(0.0, noise_deg, x.shape)
    for start in rng.choice(np.arange(10, x.size - 10 - gap_frames), gaps, replace=False):
        y[start : start + gap_frames] = np.nan
    return y
