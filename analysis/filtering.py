"""Clean-up of per-frame signals: outlier rejection, gap filling, zero-phase low-pass.

Three steps, each optional and recorded in :class:`CleanSettings` (which the
store keeps with the clip), applied in this order to every column on its own:

1. **Hampel filter** (outlier rejection). In a centred window of ``w`` frames,
   ``m`` is the median and ``MAD`` the median of ``|x_j - m|`` over the window;
   a sample with ``|x - m| > n_sigmas * 1.4826 * MAD`` is an outlier and is
   replaced by ``m`` (the classic Hampel identifier; 1.4826 makes the MAD a
   standard deviation for Gaussian noise). Missing samples are left out of the
   window; a sample is judged only when more than half the window is present
   (so the first and last frames of a run are judged on a truncated window).
2. **Gap filling.** Runs of missing samples lasting at most ``max_gap_s``
   (``round(max_gap_s * fps)`` frames) with a valid sample on both sides are
   filled by linear interpolation. Longer gaps stay missing, and nothing is
   extrapolated before the first or after the last valid sample.
3. **Low-pass filter.** Butterworth of ``order`` and ``cutoff_hz`` run forwards
   and backwards (``scipy.signal.sosfiltfilt``): no phase lag, the effective
   order doubles and the cut-off is the frequency of -6 dB (half amplitude) of
   the two-pass response. The clip's real frame rate sets the digital cut-off;
   a cut-off at or above half the frame rate (Nyquist) is an
   :class:`~analysis.errors.AnalysisError`. The filter runs on each contiguous
   run of valid samples separately (never across a gap); a run not longer than
   the filter's edge padding (``3 * (2 * n_sections + 1)`` frames, 15 for order
   4) is left unfiltered.

Signals that live on a circle (signed segment angles, which wrap at +-180) are
unwrapped before the three steps and wrapped back into (-180, 180] after, so a
segment swinging through the horizontal-left direction is not torn apart.

The raw values are the caller's to keep (the track analysis keeps both); the
masks of which samples were replaced as outliers and which were gap-filled come
with :func:`clean_signals_detailed`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from scipy import ndimage, signal

from analysis.angles import is_circular, unwrap_deg, wrap_deg
from analysis.errors import AnalysisError

_MAD_TO_SIGMA = 1.4826
_DIRECT_SAMPLES = 4_096  # runs sharing a block this big get their own sosfiltfilt call
_BLOCK_ELEMENTS = 32_768  # per array in the Hampel sorting network (~128 kB of float32)


@dataclass(frozen=True)
class CleanSettings:
    """How signals are cleaned; stored with the clip (:meth:`to_dict`).

    Attributes
    ----------
    visibility_threshold
        Keypoints with a lower visibility are not used (angles, positions).
    hampel
        Reject outliers with a Hampel filter.
    hampel_window_frames
        Hampel window length in frames (odd; an even value is rounded up).
    hampel_window_s
        Hampel window length in seconds; when set, it wins over
        ``hampel_window_frames`` (``round(s * fps)``, made odd, at least 3).
    hampel_n_sigmas
        Threshold in robust standard deviations.
    interpolate
        Fill gaps up to ``max_gap_s`` by linear interpolation.
    max_gap_s
        Longest gap filled, in seconds.
    lowpass
        Zero-phase Butterworth low-pass filter.
    cutoff_hz
        Low-pass cut-off in Hz; must be below half the clip's frame rate.
    order
        Butterworth order (per pass).
    """

    visibility_threshold: float = 0.5
    hampel: bool = True
    hampel_window_frames: int = 7
    hampel_window_s: float | None = None
    hampel_n_sigmas: float = 3.0
    interpolate: bool = True
    max_gap_s: float = 0.5
    lowpass: bool = True
    cutoff_hz: float = 6.0
    order: int = 4

    def __post_init__(self) -> None:
        if not 0.0 <= self.visibility_threshold <= 1.0:
            raise AnalysisError(
                f"visibility threshold must be between 0 and 1, got {self.visibility_threshold}"
            )
        if self.hampel_window_frames < 3:
            raise AnalysisError(
                f"Hampel window must be at least 3 frames, got {self.hampel_window_frames}"
            )
        if self.hampel_window_s is not None and not self.hampel_window_s > 0:
            raise AnalysisError(f"Hampel window must be positive, got {self.hampel_window_s} s")
        if not self.hampel_n_sigmas > 0:
            raise AnalysisError(f"Hampel threshold must be positive, got {self.hampel_n_sigmas}")
        if not self.max_gap_s >= 0:
            raise AnalysisError(f"longest gap to fill must be >= 0 s, got {self.max_gap_s}")
        if not self.cutoff_hz > 0:
            raise AnalysisError(f"low-pass cut-off must be positive, got {self.cutoff_hz} Hz")
        if not 1 <= self.order <= 10:
            raise AnalysisError(f"low-pass order must be between 1 and 10, got {self.order}")

    @classmethod
    def raw(cls, visibility_threshold: float = 0.5) -> CleanSettings:
        """Settings that change nothing (every step off)."""
        return cls(
            visibility_threshold=visibility_threshold,
            hampel=False,
            interpolate=False,
            lowpass=False,
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict of every field."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CleanSettings:
        """Inverse of :meth:`to_dict`; missing keys take their defaults.

        Raises :class:`AnalysisError` for an unknown key (a typo must not be
        silently ignored).
        """
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise AnalysisError(f"unknown clean-up settings: {', '.join(unknown)}")
        return cls(**dict(data))

    def hampel_window(self, fps: float) -> int:
        """Hampel window in frames for a clip at ``fps`` (odd, >= 3)."""
        if self.hampel_window_s is not None and fps > 0:
            n = int(round(self.hampel_window_s * fps))
        else:
            n = int(self.hampel_window_frames)
        return max(3, n + 1 - n % 2)

    def max_gap_frames(self, fps: float) -> int:
        """Longest gap filled, in frames, for a clip at ``fps``."""
        return int(round(self.max_gap_s * fps)) if fps > 0 else 0


@dataclass(frozen=True)
class CleanedSignals:
    """Result of :func:`clean_signals_detailed`.

    All three frames have the input's index and columns.

    Attributes
    ----------
    values
        Cleaned signals (float64, same units as the input).
    filled
        True where a missing sample was filled by gap interpolation.
    outliers
        True where the Hampel filter replaced a sample.
    """

    values: pd.DataFrame
    filled: pd.DataFrame
    outliers: pd.DataFrame


# Internals work on *rows*: (signals, frames) arrays, contiguous in time, which is
# what sliding windows, cumulative scans and scipy's IIR filters are fastest on.
# The public functions take and return (frames, columns) like the DataFrames.


def _rows(x: np.ndarray) -> tuple[np.ndarray, bool]:
    """(signals, frames) float64 copy of a (frames,) or (frames, columns) array."""
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        return x[None, :].copy(), True
    return np.ascontiguousarray(x.T), False


def _unrows(r: np.ndarray, squeeze: bool) -> np.ndarray:
    return r[0] if squeeze else r.T


# --------------------------------------------------------------------------- Hampel


@lru_cache(maxsize=16)
def _sorting_network(n: int) -> tuple[tuple[int, int], ...]:
    """Comparators (i, j), i < j, of Batcher's odd-even merge sort for n inputs.

    Built for the next power of two and pruned of comparators that touch the
    (virtual, +inf) inputs beyond n, which would never swap.
    """
    size = 1
    while size < n:
        size *= 2
    pairs: list[tuple[int, int]] = []

    def merge(lo: int, hi: int, r: int) -> None:
        step = 2 * r
        if step < hi - lo:
            merge(lo, hi, step)
            merge(lo + r, hi, step)
            pairs.extend((i, i + r) for i in range(lo + r, hi - r, step))
        else:
            pairs.append((lo, lo + r))

    def sort(lo: int, hi: int) -> None:
        if hi - lo >= 1:
            mid = lo + (hi - lo) // 2
            sort(lo, mid)
            sort(mid + 1, hi)
            merge(lo, hi, 1)

    sort(0, size - 1)
    return tuple((i, j) for i, j in pairs if j < n)


def _sorted_windows(padded: np.ndarray, a: int, b: int, window: int) -> list[np.ndarray]:
    """Order statistics of the centred windows of frames ``a:b``.

    ``padded`` is the (signals, F + window - 1) signal padded by ``window // 2``
    frames at each end. Returns ``window`` arrays shaped (signals, b - a), the
    k-th holding each window's k-th smallest value. A sorting network runs
    elementwise over whole arrays (two vectorised passes per comparator), which
    beats sorting millions of tiny windows one by one; callers work in blocks of
    frames small enough for the arrays to stay in cache.
    """
    s = [padded[:, a + i : b + i].copy() for i in range(window)]
    tmp = np.empty_like(s[0])
    for i, j in _sorting_network(window):
        np.minimum(s[i], s[j], out=tmp)
        np.maximum(s[i], s[j], out=s[j])
        s[i], tmp = tmp, s[i]
    return s


def _median_mad_full(s: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Median and MAD of complete windows from their sorted values ``s``.

    With the window sorted, the deviations below the median (``m - s[h-k]``) and
    above it (``s[h+1+k] - m``) are two sorted lists; the MAD is their merged
    middle element, the minimum over the ways of taking h+1 smallest elements
    from the two lists of the largest element taken.
    """
    h = len(s) // 2
    med = s[h]
    mad = med - s[0]
    for j in range(1, h + 1):
        mad = np.minimum(mad, np.maximum(med - s[h + 1 - j], s[2 * h + 1 - j] - med))
    return med, mad


def _median_mad_partial(windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Median and MAD over the non-NaN values of (K, w) windows."""
    n = np.sum(~np.isnan(windows), axis=1)
    s = np.sort(windows, axis=1)  # NaN last
    med = _order_median(s, n)
    d = np.sort(np.abs(windows - med[:, None]), axis=1)
    return med, _order_median(d, n)


def _order_median(sorted_rows: np.ndarray, n: np.ndarray) -> np.ndarray:
    lo = np.maximum((n - 1) // 2, 0)[:, None]
    hi = np.maximum(n // 2, 0)[:, None]
    a = np.take_along_axis(sorted_rows, lo, axis=1)[:, 0]
    b = np.take_along_axis(sorted_rows, hi, axis=1)[:, 0]
    return np.where(n > 0, 0.5 * (a + b), np.nan)


def _hampel_rows(
    x: np.ndarray, window: int, n_sigmas: float, inplace: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Hampel filter along the rows of (signals, frames) ``x`` (see :func:`hampel`);
    ``inplace`` writes the replacements into ``x`` itself."""
    window = max(3, int(window) + 1 - int(window) % 2)
    c, f = x.shape
    h = window // 2
    finite = np.isfinite(x)
    # Statistics in float32 (plenty for degrees and pixels, half the memory
    # traffic), computed in blocks of frames that stay in the CPU cache.
    x32 = x.astype(np.float32)
    if not finite.all():
        x32[~finite] = np.inf
    padded = np.pad(x32, ((0, 0), (h, h)), constant_values=np.inf)
    med = np.empty_like(x32)
    out = np.empty(x.shape, dtype=bool)
    limit = np.float32(n_sigmas * _MAD_TO_SIGMA)
    block = max(16, _BLOCK_ELEMENTS // max(c, 1))
    with np.errstate(invalid="ignore"):  # inf - inf in windows that hold a gap
        for a in range(0, f, block):
            b = min(a + block, f)
            m, mad = _median_mad_full(_sorted_windows(padded, a, b, window))
            med[:, a:b] = m
            out[:, a:b] = np.abs(x32[:, a:b] - m) > limit * mad

    # A window is complete when no sample in it is missing and it stays inside
    # the track. The others are judged on their valid samples only (vectorised
    # over all such windows).
    complete = np.zeros(x.shape, dtype=bool)
    complete[:, h : f - h] = True
    gappy = np.flatnonzero(~finite.all(axis=1))
    if gappy.size:
        complete[gappy] = ~ndimage.maximum_filter1d(
            (~finite[gappy]).view(np.uint8), size=window, axis=-1, mode="constant", cval=1
        ).astype(bool)
    out &= finite & complete
    cleaned = x if inplace else x.copy()
    hit = np.nonzero(out)  # outliers are few: replace them one by one
    partial = np.nonzero(finite & ~complete)
    if partial[0].size:
        row, col = partial
        at = col[:, None] + np.arange(-h, h + 1)
        win = np.where((at >= 0) & (at < f), x[row[:, None], np.clip(at, 0, f - 1)], np.nan)
        enough = np.sum(~np.isnan(win), axis=1) > h
        row, col, win = row[enough], col[enough], win[enough]
        pm, pmad = _median_mad_partial(win)
        flagged = np.abs(x[row, col] - pm) > n_sigmas * _MAD_TO_SIGMA * pmad
        out[row[flagged], col[flagged]] = True
        cleaned[row[flagged], col[flagged]] = pm[flagged]
    cleaned[hit] = med[hit]
    return cleaned, out


def hampel(x: np.ndarray, window: int, n_sigmas: float = 3.0) -> tuple[np.ndarray, np.ndarray]:
    """Hampel outlier rejection along axis 0 of ``x`` (frames,) or (frames, columns).

    Returns ``(cleaned, outliers)``: a copy with outliers replaced by their
    window median, and a bool mask of the replaced samples. NaN is never judged
    and never produced. See the module docstring for the rule.
    """
    r, squeeze = _rows(x)
    y, out = _hampel_rows(r, window, n_sigmas)
    return _unrows(y, squeeze), _unrows(out, squeeze)


# --------------------------------------------------------------------------- gaps


def _interpolate_rows(x: np.ndarray, max_gap: int) -> tuple[np.ndarray, np.ndarray]:
    """Gap filling along the rows of (signals, frames) ``x`` (see :func:`interpolate_gaps`)."""
    out = x.copy()
    filled = np.zeros(x.shape, dtype=bool)
    valid = np.isfinite(x)
    f = x.shape[1]
    if max_gap <= 0 or f == 0 or valid.all():
        return out, filled
    rows_ = np.flatnonzero(~valid.all(axis=1))  # only signals with a gap
    xs, vs = x[rows_], valid[rows_]
    pos = np.arange(f, dtype=np.int32)
    prev = np.maximum.accumulate(np.where(vs, pos, np.int32(-1)), axis=1)
    nxt = np.minimum.accumulate(np.where(vs, pos, np.int32(f))[:, ::-1], axis=1)[:, ::-1]
    fill = ~vs & (prev >= 0) & (nxt < f) & (nxt - prev - 1 <= max_gap)
    k, i = np.nonzero(fill)
    p, q = prev[k, i], nxt[k, i]
    xp, xq = xs[k, p], xs[k, q]
    out[rows_[k], i] = xp + (i - p) / (q - p) * (xq - xp)
    filled[rows_[k], i] = True
    return out, filled


def interpolate_gaps(x: np.ndarray, max_gap_frames: int) -> tuple[np.ndarray, np.ndarray]:
    """Linear interpolation of interior gaps of at most ``max_gap_frames`` samples.

    ``x`` has shape (frames,) or (frames, columns); returns ``(filled_values,
    filled_mask)`` of the same shape. Gaps at the start or end (no valid sample
    on one side) are never filled.
    """
    r, squeeze = _rows(x)
    y, filled = _interpolate_rows(r, int(max_gap_frames))
    return _unrows(y, squeeze), _unrows(filled, squeeze)


# --------------------------------------------------------------------------- low-pass


def butterworth_sos(fps: float, cutoff_hz: float = 6.0, order: int = 4) -> np.ndarray:
    """Second-order sections of a digital Butterworth low-pass for a clip at ``fps``.

    Raises :class:`AnalysisError` when the cut-off is not below half the frame
    rate (the highest frequency the clip can show).
    """
    if not fps > 0:
        raise AnalysisError(
            "the clip's frame rate is unknown, so the low-pass filter cannot be set; "
            "turn the low-pass filter off"
        )
    nyquist = 0.5 * fps
    if cutoff_hz >= nyquist:
        raise AnalysisError(
            f"low-pass cut-off {cutoff_hz:g} Hz needs a clip above {2 * cutoff_hz:g} fps; "
            f"this one is {fps:g} fps: lower the cut-off below {nyquist:g} Hz "
            "or turn the low-pass filter off"
        )
    return signal.butter(order, cutoff_hz, btype="low", fs=fps, output="sos")


def _padlen(sos: np.ndarray) -> int:
    """Edge padding sosfiltfilt uses by default; a run must be longer than this."""
    zeros = min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum()))
    return 3 * (2 * len(sos) + 1 - zeros)


def min_filter_length(order: int = 4) -> int:
    """Runs of at most this many frames are left unfiltered by :func:`lowpass`."""
    return _padlen(signal.butter(order, 0.5, btype="low", output="sos"))


def contiguous_runs(valid: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of True along the rows of a (signals, frames) bool array.

    Returns ``(row, start, stop)`` arrays, one entry per run, ``stop`` exclusive.
    """
    c = valid.shape[0]
    edges = np.diff(
        np.concatenate([np.zeros((c, 1), bool), valid, np.zeros((c, 1), bool)], axis=1).view(
            np.int8
        ),
        axis=1,
    )
    row, start = np.nonzero(edges == 1)
    _, stop = np.nonzero(edges == -1)
    return row, start, stop


def _lowpass_rows(x: np.ndarray, sos: np.ndarray) -> np.ndarray:
    """Zero-phase low-pass along the rows of (signals, frames) ``x``, run by run."""
    out = x.copy()
    pad = _padlen(sos)
    zi = signal.sosfilt_zi(sos)  # (sections, 2): steady state for a unit step
    finite = np.isfinite(x)
    whole = finite.all(axis=1)  # signals with no gap: one block, one pass
    if whole.any() and x.shape[1] > pad:
        out[whole] = _filtfilt_block(x[whole], sos, zi)
    gappy = np.flatnonzero(~whole)
    if gappy.size == 0:
        return out
    row, start, stop = contiguous_runs(finite[gappy])
    row = gappy[row]
    keep = stop - start > pad
    row, start, stop = row[keep], start[keep], stop[keep]
    # Signals sharing a run (same start and stop: x and y of a keypoint, angles
    # of keypoints seen together) are filtered together as one block when that
    # is big enough; the many small leftovers are batched.
    key = start.astype(np.int64) * (x.shape[1] + 1) + stop
    _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    big = counts[inverse] * (stop - start) >= _DIRECT_SAMPLES
    if big.any():
        order_ = np.argsort(key[big], kind="stable")
        br, bs, be, bkey = row[big][order_], start[big][order_], stop[big][order_], key[big][order_]
        bounds = np.flatnonzero(np.diff(bkey)) + 1
        for rows_, a, b in zip(
            np.split(br, bounds), bs[np.r_[0, bounds]], be[np.r_[0, bounds]], strict=True
        ):
            out[rows_, a:b] = _filtfilt_block(x[rows_, a:b], sos, zi)
    if (~big).any():
        _filtfilt_runs(x, out, sos, zi, row[~big], start[~big], stop[~big])
    return out


def lowpass(x: np.ndarray, fps: float, cutoff_hz: float = 6.0, order: int = 4) -> np.ndarray:
    """Zero-phase Butterworth low-pass along axis 0 of ``x`` (frames,) or (frames, columns).

    Filters each contiguous run of valid samples on its own, exactly as
    ``scipy.signal.sosfiltfilt(sos, run)`` would (odd extension of
    :func:`min_filter_length` samples at each end, steady-state initial
    conditions); runs not longer than that are returned unchanged; NaN stays
    NaN. All runs are filtered together (see :func:`_filtfilt_runs`), so a
    flickering track with thousands of runs costs about as much as a clean one.
    """
    sos = butterworth_sos(fps, cutoff_hz, order)
    r, squeeze = _rows(x)
    return _unrows(_lowpass_rows(r, sos), squeeze)


def _filtfilt_block(x: np.ndarray, sos: np.ndarray, zi: np.ndarray) -> np.ndarray:
    """``scipy.signal.sosfiltfilt(sos, x, axis=-1)`` (odd padding, default length)
    for a (signals, frames) block, with the steady-state ``zi`` computed once."""
    pad = _padlen(sos)
    ext = np.concatenate(
        [2 * x[:, :1] - x[:, pad:0:-1], x, 2 * x[:, -1:] - x[:, -2 : -pad - 2 : -1]], axis=1
    )
    y, _ = signal.sosfilt(sos, ext, axis=-1, zi=zi[:, None, :] * ext[None, :, :1])
    y = np.ascontiguousarray(y[:, ::-1])
    y, _ = signal.sosfilt(sos, y, axis=-1, zi=zi[:, None, :] * y[None, :, :1])
    return y[:, ::-1][:, pad:-pad]


def _filtfilt_runs(
    x: np.ndarray,
    out: np.ndarray,
    sos: np.ndarray,
    zi: np.ndarray,
    row: np.ndarray,
    start: np.ndarray,
    stop: np.ndarray,
) -> None:
    """Forward-backward filter many runs of ``x`` at once, writing into ``out``.

    Runs (signal ``row[k]``, frames ``start[k]:stop[k]``) are laid one under the
    other as the rows of one matrix, each from column 0, after odd extension by
    ``padlen`` samples at both ends. The forward pass is causal, so whatever
    follows a short run in its row cannot reach it; for the backward pass each
    row is reversed from its own end. Runs are bucketed by length (powers of
    two) so the matrix wastes at most half its columns.
    """
    pad = _padlen(sos)
    length = stop - start
    bucket = np.ceil(np.log2(length)).astype(int)
    for bk in np.unique(bucket):
        sel = bucket == bk
        r, s0, n = row[sel, None], start[sel, None], length[sel, None]
        ext_len = n + 2 * pad
        e = np.arange(int(ext_len.max()))[None, :]  # position in the extended run
        i = e - pad  # matching position in the run (outside 0..n-1 for the extension)
        first = x[r, s0]
        last = x[r, s0 + n - 1]
        src = np.clip(np.where(i < 0, -i, np.where(i >= n, 2 * (n - 1) - i, i)), 0, n - 1)
        vals = x[r, s0 + src]
        ext = np.where(i < 0, 2 * first - vals, np.where(i >= n, 2 * last - vals, vals))
        fwd, _ = signal.sosfilt(sos, ext, axis=-1, zi=zi[:, None, :] * ext[None, :, :1])
        back_idx = np.clip(ext_len - 1 - e, 0, None)  # column k holds position len-1-k
        rev = np.take_along_axis(fwd, back_idx, axis=1)
        bwd, _ = signal.sosfilt(sos, rev, axis=-1, zi=zi[:, None, :] * rev[None, :, :1])
        # Run sample j sits at extended position pad + j, i.e. column ext_len - 1 - pad - j.
        j = np.arange(int(n.max()))[None, :]
        res = np.take_along_axis(bwd, np.clip(ext_len - 1 - pad - j, 0, None), axis=1)
        kk, jj = np.nonzero(j < n)
        out[row[sel][kk], start[sel][kk] + jj] = res[kk, jj]


# --------------------------------------------------------------------------- together


def clean_array(
    x: np.ndarray,
    fps: float,
    settings: CleanSettings,
    circular: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The three clean-up steps on a (frames, columns) float array.

    ``circular`` is an optional (columns,) bool mask of columns in degrees that
    wrap at +-180. Returns ``(values, filled, outliers)``, each (frames,
    columns) (transposed views of row-major work arrays).
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 2:
        raise ValueError(f"expected (frames, columns), got shape {x.shape}")
    r, _ = _rows(x)
    values, filled, outliers = clean_rows(r, fps, settings, circular)
    return values.T, filled.T, outliers.T


def clean_rows(
    rows: np.ndarray,
    fps: float,
    settings: CleanSettings,
    circular: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`clean_array` for signals laid out as rows: (signals, frames) float64.

    ``rows`` may be overwritten. Returns ``(values, filled, outliers)``, each
    (signals, frames).
    """
    r = rows
    f = r.shape[1]
    circ = np.zeros(r.shape[0], bool) if circular is None else np.asarray(circular, bool)
    if circ.any() and f:
        r[circ] = unwrap_deg(r[circ], axis=-1)
    outliers = np.zeros(r.shape, dtype=bool)
    filled = np.zeros(r.shape, dtype=bool)
    if settings.hampel and f > 0:
        r, outliers = _hampel_rows(
            r, settings.hampel_window(fps), settings.hampel_n_sigmas, inplace=True
        )
    if settings.interpolate:
        r, filled = _interpolate_rows(r, settings.max_gap_frames(fps))
    # A track too short to be filtered at all needs no frame rate (a photo is one frame).
    if settings.lowpass and f > min_filter_length(settings.order):
        r = _lowpass_rows(r, butterworth_sos(fps, settings.cutoff_hz, settings.order))
    if circ.any():
        r[circ] = wrap_deg(r[circ])
    return r, filled, outliers


def clean_signals_detailed(
    df: pd.DataFrame,
    fps: float,
    settings: CleanSettings | None = None,
    circular: Iterable[str] | None = None,
) -> CleanedSignals:
    """Clean every column of ``df`` (index: frames; columns: signals).

    ``circular`` names the columns that wrap at +-180 degrees; by default the
    signed segment angles of :mod:`analysis.angles` among ``df``'s columns.
    """
    settings = settings or CleanSettings()
    names = [str(c) for c in df.columns]
    circ_names = {n for n in names if is_circular(n)} if circular is None else set(circular)
    mask = np.array([n in circ_names for n in names], dtype=bool)
    values, filled, outliers = clean_array(df.to_numpy(dtype=float), fps, settings, mask)
    return CleanedSignals(
        values=pd.DataFrame(values, index=df.index, columns=df.columns),
        filled=pd.DataFrame(filled, index=df.index, columns=df.columns),
        outliers=pd.DataFrame(outliers, index=df.index, columns=df.columns),
    )


def clean_signals(
    df: pd.DataFrame, fps: float, settings: CleanSettings | None = None
) -> pd.DataFrame:
    """Cleaned copy of ``df`` (same index, columns and units); see the module doc.

    Segment-angle columns are treated as circular. Use
    :func:`clean_signals_detailed` for the masks of filled and replaced samples.
    """
    return clean_signals_detailed(df, fps, settings).values
