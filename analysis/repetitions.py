"""Repetitions found in one angle signal: start, peak, end, ROM and tempo.

Which signal (the angle the user chose, or the clearest cycle) is
:mod:`analysis.rep_signals`' business; this module finds the repetitions in it.

Detection (on the cleaned signal, NaN gaps bridged linearly for the search only)
-------------------------------------------------------------------------------
1. Peaks are maxima (for flexion angles: the deepest point of a squat, the top
   of a curl or of an arm raise, a knee's swing in a walking stride) found by
   ``scipy.signal.find_peaks`` with a prominence of at least
   ``max(min_range_deg, relative_prominence * range)`` (range: 2nd to 98th
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
   must reach the threshold of step 1 (``min_range_deg``: the smallest
   movement, rising and falling, counted as a repetition), and at most a third
   of its frames may be missing. When the amplitudes fall into two distinct
   groups (Otsu's split of log amplitude, classes 1 / ``consistency`` = 2x
   apart), the larger movements are tried first (a set of squats rather than
   the smaller knee bends of walking between sets), then all candidates.
4. Regularity: within a group, movements at least half as large as the group's
   median amplitude and whose width at half their height is within a factor
   1 / ``consistency`` (2x) of the median are kept (the width,
   not the start-to-end duration, which also takes in whatever lingers near the
   bottom, such as the small knee bend of a walking step's loading). If fewer
   than ``min_repetitions`` (2) remain, or their widths vary by more than
   ``max_duration_cv`` (coefficient of variation 0.35), or their resting levels
   (the valleys around them) vary by more than a fifth of their median
   amplitude (:data:`analysis.rep_regularity.MAX_REST_SPREAD`: an exercise
   comes back to one posture), or the signal does not repeat itself at the
   repetitions' pace, the group is rejected. "Repeats itself": the
   autocorrelation at lags of 0.75 to 1.33 times the repetitions' median
   peak-to-peak time reaches ``min_periodicity`` (0.5), either for the signal as
   it is (walking: no rests, the cycle runs on) or for the signal with its
   rests cut short (every stretch between one repetition's end and the next
   one's start cut to the shortest of them). So seven arm raises with rests of
   1 to 4 s between them count, as do two sets with a long rest between; noise,
   a constant signal, a single movement or an irregular wandering do not. (Two
   similar slow bumps in a row can still pass: two is the fewest repetitions
   there can be.)

Clarity (:func:`find_cycle`): the larger of those autocorrelations times ``n / (n + 1)`` for
``n`` repetitions, in [0, 1), 0 without repetitions: how clearly, and how many
times, the signal repeats one movement. :mod:`analysis.rep_signals` picks the
default angle by it.

Tempo: ``to_peak_s`` is start -> peak and ``from_peak_s`` peak -> end. With the
knee or hip angle of a squat that is the eccentric (lowering) and concentric
(rising) phase; with the elbow of a curl the other way round, so the columns are
named after the signal, not the muscle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy.signal import find_peaks, peak_widths

from analysis.errors import AnalysisError
from analysis.rep_regularity import amplitude_groups, regular_series

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
    """How repetitions are found; kept with each track's analysis.

    Attributes
    ----------
    angle
        The angle repetitions are counted in: a column (``left_knee``,
        ``elbow_3d``...) or a left/right pair (``knee``: the mean of both sides);
        None (default) for the angle with the clearest cycle (see
        :mod:`analysis.rep_signals`).
    min_range_deg
        The smallest movement counted as a repetition, in degrees: the angle must
        rise at least this much from the valley before the peak and fall at least
        this much after it (and at least ``relative_prominence`` of the signal's
        range).
    relative_prominence, min_period_s, onset_fraction, consistency,
    max_duration_cv, min_periodicity, min_repetitions
        The detection's other thresholds (see the module docstring).
    """

    angle: str | None = None
    min_range_deg: float = 20.0
    relative_prominence: float = 0.35
    min_period_s: float = 0.5
    onset_fraction: float = 0.1
    consistency: float = 0.5
    max_duration_cv: float = 0.35
    min_periodicity: float = 0.5
    min_repetitions: int = 2

    def __post_init__(self) -> None:
        if self.angle is not None and (not isinstance(self.angle, str) or not self.angle):
            raise AnalysisError("the angle for repetitions must be an angle name")
        if not self.min_range_deg > 0 or not np.isfinite(self.min_range_deg):
            raise AnalysisError(
                f"the minimum range of a repetition must be a positive number of degrees, "
                f"got {self.min_range_deg}"
            )
        if not 0 <= self.relative_prominence < 1 or not 0 < self.consistency <= 1:
            raise AnalysisError("repetition thresholds must be fractions between 0 and 1")
        if not 0 <= self.onset_fraction < 0.5:
            raise AnalysisError("repetition onset fraction must be between 0 and 0.5")
        if not self.max_duration_cv > 0:
            raise AnalysisError("repetition regularity threshold must be positive")
        if not self.min_period_s > 0 or self.min_repetitions < 1:
            raise AnalysisError("repetition period and count must be positive")

    def to_dict(self) -> dict[str, str | float | int | None]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RepSettings:
        """Inverse of :meth:`to_dict`; an unknown key is an :class:`AnalysisError`.

        ``min_prominence_deg``, the name ``min_range_deg`` had in analyses stored
        before, is read as it.
        """
        data = dict(data)
        if "min_prominence_deg" in data:
            data.setdefault("min_range_deg", data.pop("min_prominence_deg"))
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise AnalysisError(f"unknown repetition settings: {', '.join(unknown)}")
        return cls(**data)


def empty_repetitions() -> pd.DataFrame:
    """A repetitions table with no rows and the right columns and dtypes."""
    df = pd.DataFrame({c: pd.Series(dtype=float) for c in REPETITION_COLUMNS})
    return df.astype({c: np.int64 for c in _INT_COLUMNS})


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


class Cycle(NamedTuple):
    """What :func:`find_cycle` found: the repetitions (None when not asked for a
    table), how clearly they repeat, and their ROMs (degrees, one per repetition)."""

    repetitions: pd.DataFrame | None
    clarity: float
    rom: np.ndarray


def detect_repetitions(
    values: np.ndarray,
    times: np.ndarray,
    fps: float,
    settings: RepSettings | None = None,
) -> pd.DataFrame:
    """Repetitions in one angle signal: ``find_cycle(...).repetitions``."""
    return find_cycle(values, times, fps, settings).repetitions


def find_cycle(
    values: np.ndarray,
    times: np.ndarray,
    fps: float,
    settings: RepSettings | None = None,
    table: bool = True,
) -> Cycle:
    """Repetitions in one angle signal, and the clarity of their cycle.

    Parameters
    ----------
    values
        Shape (frames,): the (cleaned) angle in degrees, NaN where missing.
    times
        Shape (frames,): timestamps in seconds, increasing.
    fps
        Frame rate, for the minimum distance between peaks.
    table
        False: no repetitions table (None), only ``clarity`` and ``rom``; a
        cheaper way to compare many signals.

    Returns
    -------
    repetitions
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
    clarity
        In [0, 1): the autocorrelation at the repetitions' pace times ``n / (n +
        1)`` (see the module docstring); 0 without repetitions.
    rom
        (repetitions,) each repetition's ROM (the table's ``rom``).
    """
    none = Cycle(empty_repetitions() if table else None, 0.0, np.zeros(0))
    s = settings or RepSettings()
    x = np.asarray(values, dtype=float).reshape(-1)
    t = np.asarray(times, dtype=float).reshape(-1)
    f = x.shape[0]
    valid = np.isfinite(x)
    if f < 3 or valid.sum() < 3 or not fps > 0:
        return none
    idx = np.arange(f)
    xd = np.interp(idx, idx[valid], x[valid])  # gaps bridged, ends held, for the search only

    lo, hi = np.percentile(x[valid], [2, 98])
    threshold = max(s.min_range_deg, s.relative_prominence * float(hi - lo))
    distance = max(1, int(round(s.min_period_s * fps)))
    peaks, _ = find_peaks(xd, prominence=threshold, distance=distance)
    # A peak must be seen, with both neighbours: one at the edge of a gap is
    # only where the signal reappears, not the top of the movement.
    seen = valid[peaks] & valid[np.maximum(peaks - 1, 0)] & valid[np.minimum(peaks + 1, f - 1)]
    peaks = peaks[seen]
    if peaks.size < s.min_repetitions:
        return none

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
    # Like with like is judged on each movement's width at half its height: the
    # 10 % band that starts and ends a repetition also takes in whatever lingers
    # near the bottom (the small knee bend of a walking step's loading).
    width = peak_widths(xd, peaks, rel_height=0.5)[0] / fps
    missing = np.r_[0, np.cumsum(~valid)]
    seen_enough = 3 * (missing[end + 1] - missing[start]) <= end - start + 1
    candidate = (amplitude >= threshold) & seen_enough
    # Like with like: try the largest movements first (a set of squats before the
    # smaller knee bends of walking between sets), then larger groups.
    for group in amplitude_groups(amplitude, candidate, s):
        found = regular_series(group, width, peaks, start, end, xd, s,
                         valley_seg, amplitude)
        if found is not None:
            keep, periodicity = found
            break
    else:
        return none

    valley = np.minimum(valley_seg[:-1], valley_seg[1:])[keep]
    rom = peak_val[keep] - valley
    clarity = periodicity * rom.size / (rom.size + 1)
    if not table:
        return Cycle(None, clarity, rom)
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
            "rom": rom,
            "rest_before_s": np.r_[np.nan, t_start[1:] - t_end[:-1]],
            "cycle_s": cycle,
            "reps_per_min": rate,
        }
    )
    return Cycle(df.astype({c: np.int64 for c in _INT_COLUMNS}), clarity, rom)
