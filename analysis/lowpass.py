"""Zero-phase Butterworth low-pass along rows of signals, run by run of valid samples.

``scipy.signal.sosfiltfilt`` on each contiguous run of valid samples (never across
a gap), batched so that a track with thousands of short runs costs about as much as
a clean one. See :mod:`analysis.filtering` for where it sits in the clean-up.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

from analysis.errors import AnalysisError

_DIRECT_SAMPLES = 4_096  # runs sharing a block this big get their own sosfiltfilt call


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


def lowpass_rows(x: np.ndarray, sos: np.ndarray) -> np.ndarray:
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
