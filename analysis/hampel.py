"""Hampel outlier rejection along rows of signals, fast on whole tracks.

In a centred window of ``w`` frames, ``m`` is the median and ``MAD`` the median
of ``|x_j - m|`` over the window; a sample with ``|x - m| > n_sigmas * 1.4826 *
MAD`` is an outlier and is replaced by ``m``. Missing samples are left out of
the window; a sample is judged only when more than half the window is present.
See :mod:`analysis.filtering` for where it sits in the clean-up; this module
holds the vectorised implementation on (signals, frames) rows.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import ndimage

_MAD_TO_SIGMA = 1.4826
_BLOCK_ELEMENTS = 32_768  # per array in the Hampel sorting network (~128 kB of float32)


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


def hampel_rows(
    x: np.ndarray, window: int, n_sigmas: float, inplace: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Hampel filter along the rows of (signals, frames) ``x``: ``(cleaned,
    outliers)``, a copy with outliers replaced by their window median and the bool
    mask of replaced samples; ``inplace`` writes the replacements into ``x`` itself.
    NaN is never judged and never produced."""
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
