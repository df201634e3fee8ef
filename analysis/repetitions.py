"""Repetitions found in one angle signal: start, peak, end, ROM and tempo.

The signal
----------
By default the bilateral joint angle (knee, hip, ankle, elbow or shoulder, 2D)
whose left/right mean has the largest range of motion (5th to 95th percentile,
so a few wild frames cannot win): the mean of the left and right angles where
both are present, else the side that is. Wrists are not candidates: hand
keypoints are the least reliable and their jitter would win too often. Any
column (``left_knee``, ``hip_3d``...) or pair name (``knee``) can be asked for.

Detection (on the cleaned signal, NaN gaps bridged linearly for the search only)
-------------------------------------------------------------------------------
1. Peaks are maxima (for flexion angles: the deepest point of a squat, the top
   of a curl) found by ``scipy.signal.find_peaks`` with a prominence of at least
   ``max(min_prominence_deg, relative_prominence * range)`` (range: 2nd to 98th
   percentile) and at least ``min_period_s`` between peaks. A peak must be a
   real sample with real neighbours (not inside or at the edge of a gap).
2. Around each peak, the valley before is the minimum since the previous peak
   (or the start of the clip), the valley after the minimum until the next peak
   (or the end). The repetition *starts* at the last frame before the peak
   within ``onset_fraction`` (10 %) of the way from the valley to the peak, and
   *ends* at the first frame after it back within that band: pauses at the
   bottom of the movement (standing between squats, a rest between sets) are
   not counted in the repetition. The resting level of a valley is the median
   of its frames within the band (noise would bias a minimum), and the ROM is
   the peak minus the lower resting level of the two.
3. Like with like: a candidate's amplitude (peak minus the *higher* of its two
   valley minima, so a movement cut by the start or end of the clip is small)
   must reach the prominence threshold, and at most a third of its frames may
   be missing. When the amplitudes fall into two distinct groups (Otsu's split
   of log amplitude, classes 1 / ``consistency`` = 2x apart), the larger
   movements are tried first (a set of squats rather than the smaller knee
   bends of walking between sets), then all candidates.
4. Regularity: within a group, repetitions lasting within a factor
   1 / ``consistency`` (2x) of the median duration are kept. If fewer than
   ``min_repetitions`` (2) remain, or their durations vary by more than
   ``max_duration_cv`` (coefficient of variation 0.35), or the signal's
   autocorrelation at the repetitions' pace (lags of 0.75 to 1.33 times their
   median peak-to-peak time) stays below ``min_periodicity`` (0.5), the group
   is rejected. When every group is, there are no repetitions: noise, a
   constant signal, a single movement or an irregular wandering is not a
   repetitive exercise. (Two similar slow bumps in a row can still pass: two
   is the fewest repetitions there can be.)

Tempo: ``to_peak_s`` is start -> peak and ``from_peak_s`` peak -> end. With the
knee or hip angle of a squat that is the eccentric (lowering) and concentric
(rising) phase; with the elbow of a curl the other way round, so the columns are
named after the signal, not the muscle.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import numpy as np
import pandas as pd
from scipy.signal import find_peaks

from analysis.errors import AnalysisError

#: Bilateral angles that may drive repetition detection by default.
REP_CANDIDATES: tuple[str, ...] = ("knee", "hip", "ankle", "elbow", "shoulder")

REPETITION_COLUMNS: tuple[str, ...] = (
    "rep",
    "start_frame", "peak_frame", "end_frame", "valley_before_frame", "valley_after_frame",
    "start_s", "peak_s", "end_s",
    "duration_s", "to_peak_s", "from_peak_s",
    "valley", "peak", "rom",
    "rest_before_s", "cycle_s", "reps_per_min",
)
_INT_COLUMNS = (
    "rep", "start_frame", "peak_frame", "end_frame", "valley_before_frame", "valley_after_frame",
)


@dataclass(frozen=True)
class RepSettings:
    """Thresholds of repetition detection (see the module docstring)."""

    min_prominence_deg: float = 20.0
    relative_prominence: float = 0.35
    min_period_s: float = 0.5
    onset_fraction: float = 0.1
    consistency: float = 0.5
    max_duration_cv: float = 0.35
    min_periodicity: float = 0.5
    min_repetitions: int = 2

    def __post_init__(self) -> None:
        if not self.min_prominence_deg > 0:
            raise AnalysisError("minimum repetition depth must be positive")
        if not 0 <= self.relative_prominence < 1 or not 0 < self.consistency <= 1:
            raise AnalysisError("repetition thresholds must be fractions between 0 and 1")
        if not 0 <= self.onset_fraction < 0.5:
            raise AnalysisError("repetition onset fraction must be between 0 and 0.5")
        if not self.max_duration_cv > 0:
            raise AnalysisError("repetition regularity threshold must be positive")
        if not self.min_period_s > 0 or self.min_repetitions < 1:
            raise AnalysisError("repetition period and count must be positive")

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, float | int]) -> RepSettings:
        """Inverse of :meth:`to_dict`; an unknown key is an :class:`AnalysisError`."""
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise AnalysisError(f"unknown repetition settings: {', '.join(unknown)}")
        return cls(**dict(data))


def empty_repetitions() -> pd.DataFrame:
    """A repetitions table with no rows and the right columns and dtypes."""
    df = pd.DataFrame({c: pd.Series(dtype=float) for c in REPETITION_COLUMNS})
    return df.astype({c: np.int64 for c in _INT_COLUMNS})


def _mean_of_sides(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    both = np.stack([left, right])
    n = np.isfinite(both).sum(axis=0)
    with np.errstate(invalid="ignore"):
        return np.where(n > 0, np.nansum(both, axis=0) / np.maximum(n, 1), np.nan)


def _robust_range(x: np.ndarray) -> float:
    v = x[np.isfinite(x)]
    if v.size < 2:
        return 0.0
    lo, hi = np.percentile(v, [5, 95])
    return float(hi - lo)


def rep_signal(angles: pd.DataFrame, rep_angle: str | None = None) -> tuple[str | None, np.ndarray]:
    """The signal repetitions are found in: ``(name, values (frames,))``.

    ``rep_angle`` may be a column of ``angles`` or a pair name (``knee`` or
    ``knee_3d``: mean of its left and right columns). Default: the candidate
    pair (:data:`REP_CANDIDATES`, 2D) with the largest range of motion; ``None``
    and an all-NaN signal when no candidate was ever seen. An unknown name is an
    :class:`AnalysisError`.
    """
    cols = set(map(str, angles.columns))
    if rep_angle is not None:
        name = str(rep_angle)
        if name in cols:
            return name, angles[name].to_numpy(dtype=float)
        left, right = f"left_{name}", f"right_{name}"
        if left in cols and right in cols:
            return name, _mean_of_sides(
                angles[left].to_numpy(dtype=float), angles[right].to_numpy(dtype=float)
            )
        raise AnalysisError(
            f"unknown angle {name!r} for repetitions; use an angle name such as "
            f"'knee', 'left_elbow' or 'hip_3d'"
        )
    best: tuple[float, str, np.ndarray] | None = None
    for pair in REP_CANDIDATES:
        left, right = f"left_{pair}", f"right_{pair}"
        if left not in cols or right not in cols:
            continue
        sig = _mean_of_sides(
            angles[left].to_numpy(dtype=float), angles[right].to_numpy(dtype=float)
        )
        rom = _robust_range(sig)
        if np.isfinite(sig).any() and (best is None or rom > best[0]):
            best = (rom, pair, sig)
    if best is None:
        return None, np.full(len(angles), np.nan)
    return best[1], best[2]


def _periodicity(x: np.ndarray, lag_lo: int, lag_hi: int) -> float:
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


def _valley_frames(
    x: np.ndarray, start: np.ndarray, end: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Frames of the lowest point just before each start and just after each end,
    looking at most half the repetition's length away and never past ``lo``/``hi``
    (the neighbouring peaks)."""
    reach = (end - start) // 2
    a = np.maximum(start - reach, lo)
    b = np.minimum(end + reach, hi)
    return _argmin_spans(x, a, start), _argmin_spans(x, end, b)


def _argmin_spans(x: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Index of the minimum of ``x[first[k] : last[k] + 1]`` for every k, at once."""
    length = last - first + 1
    offsets = np.arange(max(int(length.max()), 1))
    idx = first[:, None] + offsets
    inside = offsets < length[:, None]
    vals = np.where(inside, x[np.clip(idx, 0, x.size - 1)], np.inf)
    return (first + np.argmin(vals, axis=1)).astype(np.int64)


def _amplitude_groups(
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


def _regular(
    keep: np.ndarray, duration: np.ndarray, peaks: np.ndarray, x: np.ndarray, s: RepSettings
) -> np.ndarray | None:
    """The candidates of ``keep`` that make a regular series of repetitions, or None.

    Keeps those lasting within 1 / ``consistency`` (2x) of their median duration;
    the series must hold ``min_repetitions``, vary in duration by at most
    ``max_duration_cv`` and the signal must repeat itself at their pace
    (autocorrelation at least ``min_periodicity``).
    """
    if keep.sum() < s.min_repetitions:
        return None
    med_dur = np.median(duration[keep])
    keep = keep & (duration >= med_dur * s.consistency) & (duration <= med_dur / s.consistency)
    if keep.sum() < s.min_repetitions:
        return None
    d = duration[keep]
    if np.std(d) > s.max_duration_cv * np.mean(d):
        return None  # irregular: movements, not repetitions
    cycle = float(np.median(np.diff(peaks[keep])))
    if _periodicity(x, int(cycle * 0.75), int(np.ceil(cycle / 0.75))) < s.min_periodicity:
        return None  # the signal does not repeat itself at that pace
    return keep


def _segment_medians(values: np.ndarray, seg: np.ndarray, n_seg: int) -> np.ndarray:
    """Median of the non-NaN ``values`` of each segment ``0..n_seg-1`` (NaN if none)."""
    ok = np.isfinite(values)
    v, g = values[ok], seg[ok]
    out = np.full(n_seg, np.nan)
    if v.size == 0:
        return out
    order = np.lexsort((v, g))
    v, g = v[order], g[order]
    first = np.searchsorted(g, np.arange(n_seg), side="left")
    last = np.searchsorted(g, np.arange(n_seg), side="right")
    count = last - first
    has = count > 0
    lo = first[has] + (count[has] - 1) // 2
    hi = first[has] + count[has] // 2
    out[has] = 0.5 * (v[lo] + v[hi])
    return out


def detect_repetitions(
    values: np.ndarray,
    times: np.ndarray,
    fps: float,
    settings: RepSettings | None = None,
) -> pd.DataFrame:
    """Repetitions in one angle signal.

    Parameters
    ----------
    values
        Shape (frames,): the (cleaned) angle in degrees, NaN where missing.
    times
        Shape (frames,): timestamps in seconds, increasing.
    fps
        Frame rate, for the minimum distance between peaks.

    Returns
    -------
    pandas.DataFrame
        One row per repetition, RangeIndex, columns :data:`REPETITION_COLUMNS`:
        ``rep`` (1, 2, ...), ``start_frame``, ``peak_frame``, ``end_frame``
        (positions in the track, inclusive), ``valley_before_frame``,
        ``valley_after_frame`` (the lowest points just outside the repetition,
        at most half its length away: statistics over a repetition, such as
        each angle's ROM, run from one to the other), ``start_s``, ``peak_s``,
        ``end_s`` (s), ``duration_s`` (end - start), ``to_peak_s``,
        ``from_peak_s`` (s), ``valley`` (the lower resting level of the two
        valleys around the repetition), ``peak`` (deg), ``rom`` (peak -
        valley, deg),
        ``rest_before_s`` (since the previous repetition's end; NaN for the
        first), ``cycle_s`` (start to the next start; NaN for the last),
        ``reps_per_min`` (60 / cycle_s). Empty when the motion is not
        repetitive.
    """
    s = settings or RepSettings()
    x = np.asarray(values, dtype=float).reshape(-1)
    t = np.asarray(times, dtype=float).reshape(-1)
    f = x.shape[0]
    valid = np.isfinite(x)
    if f < 3 or valid.sum() < 3 or not fps > 0:
        return empty_repetitions()
    idx = np.arange(f)
    xd = np.interp(idx, idx[valid], x[valid])  # gaps bridged, ends held, for the search only

    lo, hi = np.percentile(x[valid], [2, 98])
    threshold = max(s.min_prominence_deg, s.relative_prominence * float(hi - lo))
    distance = max(1, int(round(s.min_period_s * fps)))
    peaks, _ = find_peaks(xd, prominence=threshold, distance=distance)
    # A peak must be seen, with both neighbours: one at the edge of a gap is
    # only where the signal reappears, not the top of the movement.
    seen = valid[peaks] & valid[np.maximum(peaks - 1, 0)] & valid[np.minimum(peaks + 1, f - 1)]
    peaks = peaks[seen]
    if peaks.size < s.min_repetitions:
        return empty_repetitions()

    # Segments between consecutive peaks: segment k runs from peak k-1 (or 0) up
    # to peak k; the last one from the last peak to the end.
    n = peaks.size
    seg_start = np.r_[0, peaks]
    seg = np.searchsorted(peaks, idx, side="right")  # segment of each frame
    seg_min = np.minimum.reduceat(xd, seg_start)
    peak_val = xd[peaks]
    # Start of rep k: last frame of segment k within the onset band above its
    # valley; end of rep k: first frame of segment k+1 within its band. Frames
    # of a segment on the wrong side never qualify (level -inf / +inf).
    level_before = seg_min[:-1] + s.onset_fraction * (peak_val - seg_min[:-1])
    level_after = seg_min[1:] + s.onset_fraction * (peak_val - seg_min[1:])
    lvl_s = np.r_[level_before, -np.inf][seg]
    start = np.maximum.reduceat(np.where(xd <= lvl_s, idx, -1), seg_start)[:n]
    lvl_e = np.r_[np.inf, level_after][seg]
    end = np.minimum.reduceat(np.where(xd <= lvl_e, idx, f), seg_start)[1:]
    # Valley level: median of the segment's real samples within the band (the
    # resting posture), less biased by noise than the segment's minimum.
    band = np.maximum(np.r_[level_before, -np.inf], np.r_[-np.inf, level_after])[seg]
    in_band = valid & (x <= band)
    valley_seg = _segment_medians(np.where(in_band, x, np.nan), seg, n + 1)
    valley_seg = np.where(np.isnan(valley_seg), seg_min, valley_seg)

    amplitude = peak_val - np.maximum(seg_min[:-1], seg_min[1:])
    duration = t[end] - t[start]
    missing = np.r_[0, np.cumsum(~valid)]
    seen_enough = 3 * (missing[end + 1] - missing[start]) <= end - start + 1
    candidate = (amplitude >= threshold) & seen_enough
    # Like with like: try the largest movements first (a set of squats before the
    # smaller knee bends of walking between sets), then larger groups.
    for group in _amplitude_groups(amplitude, candidate, s):
        keep = _regular(group, duration, peaks, xd, s)
        if keep is not None:
            break
    else:
        return empty_repetitions()

    valley = np.minimum(valley_seg[:-1], valley_seg[1:])[keep]
    bounds = np.r_[seg_start[1:], f - 1]  # peaks, then the last frame
    lo_lim, hi_lim = np.r_[0, bounds[:-2]][keep], bounds[1:][keep]
    peaks, start, end, peak_val = peaks[keep], start[keep], end[keep], peak_val[keep]
    before, after = _valley_frames(xd, start, end, lo_lim, hi_lim)
    t_start, t_peak, t_end = t[start], t[peaks], t[end]
    cycle = np.r_[np.diff(t_start), np.nan]
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = 60.0 / cycle
    df = pd.DataFrame(
        {
            "rep": np.arange(1, peaks.size + 1),
            "start_frame": start,
            "peak_frame": peaks,
            "end_frame": end,
            "valley_before_frame": before,
            "valley_after_frame": after,
            "start_s": t_start,
            "peak_s": t_peak,
            "end_s": t_end,
            "duration_s": t_end - t_start,
            "to_peak_s": t_peak - t_start,
            "from_peak_s": t_end - t_peak,
            "valley": valley,
            "peak": peak_val,
            "rom": peak_val - valley,
            "rest_before_s": np.r_[np.nan, t_start[1:] - t_end[:-1]],
            "cycle_s": cycle,
            "reps_per_min": rate,
        }
    )
    return df.astype({c: np.int64 for c in _INT_COLUMNS})
