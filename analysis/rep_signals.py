"""Which angle repetitions are counted in: the one the user chooses, or the clearest cycle.

A repetition signal is named like an angle:

- a column of the angles table (``left_knee``, ``right_elbow_3d``, ``trunk``...):
  that angle;
- a left/right pair (``knee``, ``shoulder``, ``elbow_3d``, ``thigh``...): the mean
  of its two sides where both are seen, else the side that is.

The default is the angle with the *clearest cycle*. Every candidate, the 2D
bilateral joint angles of :data:`REP_CANDIDATES` as pairs and each of their
sides, is searched for repetitions (:func:`analysis.repetitions.find_cycle`) and
scored by its clarity: how strongly the signal repeats itself at the pace of the
repetitions found (rests left out), times ``n / (n + 1)`` for ``n``
repetitions, so a movement seen seven times beats two similar bumps. Wrists are
not candidates: hand keypoints are the least reliable and their jitter would win
too often. Ties (clarities within :data:`CLARITY_TIE` of the best) go to the
larger movement (median ROM of its repetitions), where a pair counts 1.25 times
its ROM: a pair is preferred to one of its sides unless that side moves clearly
more (a one-armed exercise), and the knee to the ankle when both show the same
squats no clearer. Without any repetitions anywhere, the default is the pair
with the largest range (5th to 95th percentile), so the chart shows what moved
most, with no repetitions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.angles import angle_names
from analysis.errors import AnalysisError
from analysis.repetitions import RepSettings, empty_repetitions, find_cycle

#: Bilateral joint angles that may drive repetition detection by default.
REP_CANDIDATES: tuple[str, ...] = ("knee", "hip", "ankle", "elbow", "shoulder")
#: Clarities this close to the best are a tie (see the module docstring).
CLARITY_TIE = 0.1
#: How much more a pair's ROM counts than a single side's in a tie.
PAIR_PREFERENCE = 1.25


@dataclass(frozen=True)
class RepetitionResult:
    """Repetitions and the signal they were found in.

    Attributes
    ----------
    signal_name
        The angle or pair (``knee`` means the mean of ``left_knee`` and
        ``right_knee``); None when no candidate angle was ever seen.
    signal
        (frames,) the signal, degrees, NaN where missing.
    repetitions
        One row per repetition (:func:`analysis.repetitions.detect_repetitions`).
    automatic
        True when the signal was chosen as the clearest cycle, False when asked for.
    clarity
        The cycle's clarity in [0, 1) (0 without repetitions).
    """

    signal_name: str | None
    signal: np.ndarray
    repetitions: pd.DataFrame
    automatic: bool
    clarity: float


def pair_names(columns: Iterable[object]) -> list[str]:
    """Pairs among ``columns``: ``knee`` for ``left_knee`` and ``right_knee``, in the
    columns' order."""
    cols = [str(c) for c in columns]
    present = set(cols)
    return [c[5:] for c in cols if c.startswith("left_") and f"right_{c[5:]}" in present]


def rep_angle_choices(columns: Iterable[object]) -> list[str]:
    """Every name repetitions can be counted in for a table with ``columns``: the
    candidate pairs first (:data:`REP_CANDIDATES`), then the other pairs, then
    each column."""
    cols = [str(c) for c in columns]
    pairs = pair_names(cols)
    first = [p for p in REP_CANDIDATES if p in pairs]
    return [*first, *(p for p in pairs if p not in first), *cols]


def check_rep_angle(name: str) -> str:
    """``name`` if it names an angle or a pair the analysis measures, else an
    :class:`AnalysisError` saying what can be asked for (checked before any work)."""
    if name not in rep_angle_choices(angle_names(with_3d=True)):
        raise AnalysisError(
            f"unknown angle {name!r} for repetitions; use an angle name such as "
            f"'knee', 'left_elbow' or 'hip_3d'"
        )
    return name


def _mean_of_sides(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    both = np.stack([left, right])
    n = np.isfinite(both).sum(axis=0)
    with np.errstate(invalid="ignore"):
        return np.where(n > 0, np.nansum(both, axis=0) / np.maximum(n, 1), np.nan)


def rep_signal(angles: pd.DataFrame, name: str) -> np.ndarray:
    """(frames,) the signal named ``name`` (a column of ``angles`` or a pair, see the
    module docstring); an unknown name is an :class:`AnalysisError`."""
    name = str(name)
    cols = set(map(str, angles.columns))
    if name in cols:
        return angles[name].to_numpy(dtype=float)
    left, right = f"left_{name}", f"right_{name}"
    if left in cols and right in cols:
        return _mean_of_sides(
            angles[left].to_numpy(dtype=float), angles[right].to_numpy(dtype=float)
        )
    raise AnalysisError(
        f"unknown angle {name!r} for repetitions; use an angle name such as "
        f"'knee', 'left_elbow' or 'hip_3d'"
    )


def _robust_range(x: np.ndarray) -> float:
    v = x[np.isfinite(x)]
    if v.size < 2:
        return 0.0
    lo, hi = np.percentile(v, [5, 95])
    return float(hi - lo)


def clearest_cycle(
    angles: pd.DataFrame, times: np.ndarray, fps: float, settings: RepSettings | None = None
) -> RepetitionResult:
    """The candidate angle with the clearest cycle and its repetitions (see the
    module docstring); ``settings.angle`` is ignored."""
    s = settings or RepSettings()
    cols = set(map(str, angles.columns))
    pairs = [p for p in REP_CANDIDATES if f"left_{p}" in cols and f"right_{p}" in cols]
    scored = []  # (clarity, weighted rom, -order, name, signal)
    for order, name in enumerate([*pairs, *(f"{side}_{p}" for p in pairs
                                            for side in ("left", "right"))]):
        signal = rep_signal(angles, name)
        if not np.isfinite(signal).any():
            continue
        cycle = find_cycle(signal, times, fps, s, table=False)
        rom = float(np.median(cycle.rom)) if cycle.rom.size else 0.0
        weight = PAIR_PREFERENCE if name in pairs else 1.0
        scored.append((cycle.clarity, rom * weight, -order, name, signal))
    found = [c for c in scored if c[0] > 0]
    if found:
        best = max(c[0] for c in found)
        clarity, _, _, name, signal = max(
            (c for c in found if c[0] >= best - CLARITY_TIE), key=lambda c: (c[1], c[2])
        )
        reps = find_cycle(signal, times, fps, s).repetitions
        return RepetitionResult(name, signal, reps, True, clarity)
    widest = [c for c in scored if c[3] in pairs]
    if not widest:
        return RepetitionResult(None, np.full(len(angles), np.nan), empty_repetitions(), True, 0.0)
    _, _, _, name, signal = max(widest, key=lambda c: (_robust_range(c[4]), c[2]))
    return RepetitionResult(name, signal, empty_repetitions(), True, 0.0)


def find_repetitions(
    angles: pd.DataFrame, times: np.ndarray, fps: float, settings: RepSettings | None = None
) -> RepetitionResult:
    """Repetitions in the angle ``settings.angle`` (a column or a pair), or in the
    clearest cycle when it is None.

    Parameters
    ----------
    angles
        (F, A) angles in degrees, index frames (the cleaned angles of a track).
    times
        (F,) timestamps in seconds.
    fps
        The clip's frame rate.
    settings
        Which angle and the detection's thresholds (default :class:`RepSettings`).
    """
    s = settings or RepSettings()
    if s.angle is None:
        return clearest_cycle(angles, times, fps, s)
    signal = rep_signal(angles, s.angle)
    cycle = find_cycle(signal, times, fps, s)
    return RepetitionResult(s.angle, signal, cycle.repetitions, False, cycle.clarity)
