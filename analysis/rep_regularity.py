"""Whether candidate movements make a series of repetitions, and how clearly.

The like-with-like and regularity steps of :mod:`analysis.repetitions` (steps 3
and 4 of its docstring): amplitude groups, widths, resting levels, and whether
the signal repeats itself at the candidates' pace, as it is or with its rests
cut short. Arrays are per candidate (one entry per peak) unless said otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from analysis.repetitions import RepSettings

#: Most the resting levels between repetitions may vary (standard deviation), as a
#: share of the repetitions' median amplitude: an exercise comes back to one posture.
MAX_REST_SPREAD = 0.2


def autocorrelation_peak(x: np.ndarray, lag_lo: int, lag_hi: int) -> float:
    """Largest autocorrelation of ``x`` (mean removed, unbiased) for lags in
    ``lag_lo..lag_hi`` frames: about 1 for a signal that repeats itself at such a
    lag, about 0 for one that wanders at random."""
    n = x.size
    lag_lo, lag_hi = max(lag_lo, 1), min(lag_hi, n - 2)
    if lag_hi < lag_lo:
        return 0.0
    y = x - x.mean()
    var = float(np.square(y).sum()) / n  # not np.dot: no BLAS threads spinning
    if var <= 0:
        return 0.0
    size = 1 << int(np.ceil(np.log2(2 * n)))
    spec = np.fft.rfft(y, size)
    acov = np.fft.irfft(spec * np.conj(spec), size)[: lag_hi + 1]
    lags = np.arange(lag_lo, lag_hi + 1)
    return float(np.max(acov[lags] / (n - lags)) / var)


def amplitude_groups(
    amplitude: np.ndarray, candidate: np.ndarray, s: RepSettings
) -> list[np.ndarray]:
    """Candidate sets to try: the larger movements first when the amplitudes
    fall into two distinct groups, then all candidates.

    The split is Otsu's threshold on log amplitude (the one that best separates
    two classes); it counts when it explains most of the spread (at least 60 %
    of the variance), the classes' typical amplitudes differ by at least
    1 / ``consistency`` (2x), and the larger class holds ``min_repetitions``.
    """
    groups = [candidate]
    amps = np.sort(amplitude[candidate])
    if amps.size < 2 * s.min_repetitions or amps[0] <= 0:
        return groups
    a = np.log(amps)
    n = a.size
    k = np.arange(1, n)  # split before index k
    head = np.cumsum(a)[:-1]
    m0 = head / k
    m1 = (a.sum() - head) / (n - k)
    between = (k / n) * (1 - k / n) * (m1 - m0) ** 2
    best = int(np.argmax(between))
    total = a.var()
    if (
        total > 0
        and between[best] >= 0.6 * total
        and m1[best] - m0[best] >= np.log(1 / s.consistency)
        and n - k[best] >= s.min_repetitions
    ):
        groups.insert(0, candidate & (amplitude >= amps[k[best]]))
    return groups


def without_rests(
    x: np.ndarray, start: np.ndarray, end: np.ndarray, peaks: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``x`` (frames,) with the rests between repetitions cut to the shortest of them.

    Repetition ``k`` runs over frames ``start[k]..end[k]`` (in order, not
    overlapping). Every stretch between one's end and the next one's start keeps
    its first and last frames, as many as the shortest stretch has; as many are
    kept before the first and after the last. Returns the shortened signal and
    where the ``peaks`` (frames) lie in it.
    """
    rests = np.maximum(start[1:] - end[:-1] - 1, 0)
    keep = int(rests.min()) if rests.size else 0
    after, before = keep - keep // 2, keep // 2
    f = x.size
    # Kept: each repetition with ``after`` frames behind it and ``before`` ahead.
    first = np.clip(start - before, 0, f)
    last = np.clip(end + 1 + after, 0, f)
    edges = np.zeros(f + 1, dtype=np.int64)
    np.add.at(edges, first, 1)
    np.add.at(edges, last, -1)
    kept = np.cumsum(edges)[:f] > 0
    return x[kept], np.cumsum(kept)[peaks] - 1


def regular_series(
    keep: np.ndarray,
    width: np.ndarray,
    peaks: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    x: np.ndarray,
    s: RepSettings,
    rest_level: np.ndarray,
    amplitude: np.ndarray,
) -> tuple[np.ndarray, float] | None:
    """The candidates of ``keep`` that make a regular series of repetitions and how
    periodic the signal is at their pace, or None.

    Keeps those at least ``consistency`` (half) as large as the median amplitude
    and whose ``width`` (s, at half height) is within 1 / ``consistency`` (2x) of
    the median; the series must hold ``min_repetitions``, vary in width by
    at most
    ``max_duration_cv`` and the signal, as it is or with its rests cut short
    (:func:`_without_rests`), must repeat itself at their pace (autocorrelation
    at least ``min_periodicity``).
    """
    if keep.sum() < s.min_repetitions:
        return None
    keep = keep & (amplitude >= s.consistency * np.median(amplitude[keep]))
    med = np.median(width[keep])
    keep = keep & (width >= med * s.consistency) & (width <= med / s.consistency)
    if keep.sum() < s.min_repetitions:
        return None
    d = width[keep]
    if np.std(d) > s.max_duration_cv * np.mean(d):
        return None  # irregular: movements, not repetitions
    rests = np.r_[rest_level[:-1][keep], rest_level[1:][keep]]
    if np.std(rests) > MAX_REST_SPREAD * np.median(amplitude[keep]):
        return None  # no posture to come back to: wandering, not repeating
    periodicity = 0.0
    for signal, at in ((x, peaks[keep]), without_rests(x, start[keep], end[keep], peaks[keep])):
        cycle = float(np.median(np.diff(at)))
        lags = int(cycle * 0.75), int(np.ceil(cycle / 0.75))
        periodicity = max(periodicity, autocorrelation_peak(signal, *lags))
    if periodicity < s.min_periodicity:
        return None  # the signal does not repeat itself at that pace
    return keep, periodicity
