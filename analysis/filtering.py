"""Clean-up of per-frame signals: outlier rejection, gap filling, bounded zero-phase low-pass.

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

   **Bounded** (angles; :func:`clean_signals` and :func:`clean_signals_detailed`
   by default): each filtered sample is then limited to the lowest and highest
   value the filter was given within half a cut-off period of it
   (:func:`analysis.bounds.limit_to_envelope`, +-3 frames at 30 fps and 6 Hz),
   and a joint angle to its definition range (:mod:`analysis.bounds`). Steps 1
   and 2 cannot leave that envelope (a window median, a straight line between
   two measured values), so a cleaned angle is never beyond what was measured
   around it: no "hip 188", no knee at -9.5 where the knee straightened.

Why the angle filter is bounded rather than the keypoints filtered
------------------------------------------------------------------
The alternative was to clean the keypoint coordinates and compute the angles
from the cleaned keypoints, which keeps every angle in its definition range by
construction. ``bench/angle_filter.py`` measures four ways: (A) the angle filter
unbounded, as it was; (B) bounded, as it is now; (C) keypoint filter; (D) keypoint
filter, bounded too. On synthetic poses with known angles (squats, rebound jumps,
walking, arm raises; 1.5 and 4 px of noise, 2 % of frames with a limb keypoint
off by ~40 px, 3 % hidden keypoints, a 5-frame misdetection of one knee):

- frames outside the definition range: A 4.7 per angle on average (18 on one
  jump), B, C, D none;
- overshoot past the measured +-3-frame envelope: A up to 4.8 deg, B 0, C up to
  4.4 deg, D 0. Filtering keypoints does not stop a joint overshooting where it
  moves fast (a jump's take-off), so it would need the bound as well;
- RMS error against the truth: A 3.23, B 3.18, C 3.19, D 3.15 deg; error at the
  peaks 1.56 / 1.50 / 1.73 / 1.68 deg, at the valleys 1.12 / 1.16 / 0.89 / 0.94
  deg; lag 0 frames for all (zero phase, symmetric window). The bound costs
  nothing in accuracy or timing.

On ``parkour_walk.mp4`` (both people, the 12 joint angles; figures of the
estimator at the time of writing): A leaves a knee at -0.1 and a hip at -0.3,
B, C, D nothing out of range; but C makes poses nobody was in (interpolating a
hidden knee on its own while the hip and ankle are seen gave the man a right
knee of 168 deg where at most 130 was measured, a left hip of 169 for 118, up
to 123 deg past the measured envelope), and its curves are rougher (median
frame-to-frame second difference 1.8 deg against 1.3 for A and B).

So angles are filtered as angles, and bounded: as accurate, never beyond what
was measured, no invented poses; the outlier and fill masks stay per angle, as
the coach reads them; and it filters 40 signals rather than 165 coordinates.

Signals that live on a circle (signed segment angles, which wrap at +-180) are
unwrapped before the three steps (so the envelope is taken on the continuous
signal) and wrapped back into (-180, 180] after, so a segment swinging through
the horizontal-left direction is not torn apart.

The raw values are the caller's to keep (the track analysis keeps both); the
masks of which samples were replaced as outliers and which were gap-filled come
with :func:`clean_signals_detailed`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from analysis.angles import is_circular, unwrap_deg, wrap_deg
from analysis.bounds import definition_ranges, envelope_half_window, limit_to_envelope
from analysis.errors import AnalysisError
from analysis.hampel import hampel_rows
from analysis.lowpass import (
    butterworth_sos,
    lowpass_rows,
    min_filter_length,
)


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
    # Always a copy: the clean-up works in place, and x.T of a DataFrame's values is
    # often already contiguous (ascontiguousarray would hand back a view of the caller's
    # data, which then got unwrapped and Hampel-filtered with it).
    return np.array(x.T, order="C", copy=True), False


def _unrows(r: np.ndarray, squeeze: bool) -> np.ndarray:
    return r[0] if squeeze else r.T


# --------------------------------------------------------------------------- Hampel


def hampel(x: np.ndarray, window: int, n_sigmas: float = 3.0) -> tuple[np.ndarray, np.ndarray]:
    """Hampel outlier rejection along axis 0 of ``x`` (frames,) or (frames, columns).

    Returns ``(cleaned, outliers)``: a copy with outliers replaced by their
    window median, and a bool mask of the replaced samples. NaN is never judged
    and never produced. See the module docstring for the rule
    (:mod:`analysis.hampel` for its implementation).
    """
    r, squeeze = _rows(x)
    y, out = hampel_rows(r, window, n_sigmas)
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


def lowpass(x: np.ndarray, fps: float, cutoff_hz: float = 6.0, order: int = 4) -> np.ndarray:
    """Zero-phase Butterworth low-pass along axis 0 of ``x`` (frames,) or (frames, columns).

    Filters each contiguous run of valid samples on its own, exactly as
    ``scipy.signal.sosfiltfilt(sos, run)`` would (odd extension of
    :func:`min_filter_length` samples at each end, steady-state initial
    conditions); runs not longer than that are returned unchanged; NaN stays
    NaN. All runs are filtered together (see :mod:`analysis.lowpass`), so a
    flickering track with thousands of runs costs about as much as a clean one.
    """
    sos = butterworth_sos(fps, cutoff_hz, order)
    r, squeeze = _rows(x)
    return _unrows(lowpass_rows(r, sos), squeeze)



# --------------------------------------------------------------------------- together


def clean_array(
    x: np.ndarray,
    fps: float,
    settings: CleanSettings,
    circular: np.ndarray | None = None,
    bounds: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The three clean-up steps on a (frames, columns) float array.

    ``circular`` is an optional (columns,) bool mask of columns in degrees that
    wrap at +-180. ``bounds``, (columns,) lower and upper limits (+-inf for
    none), bounds the low-pass (see the module docstring); None leaves it
    unbounded. Returns ``(values, filled, outliers)``, each (frames, columns)
    (transposed views of row-major work arrays).
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 2:
        raise ValueError(f"expected (frames, columns), got shape {x.shape}")
    r, _ = _rows(x)
    values, filled, outliers = clean_rows(r, fps, settings, circular, bounds)
    return values.T, filled.T, outliers.T


def clean_rows(
    rows: np.ndarray,
    fps: float,
    settings: CleanSettings,
    circular: np.ndarray | None = None,
    bounds: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`clean_array` for signals laid out as rows: (signals, frames) float64.

    ``rows`` may be overwritten. ``bounds``: (signals,) lower and upper limits,
    or None for an unbounded low-pass. Returns ``(values, filled, outliers)``,
    each (signals, frames).
    """
    r = rows
    f = r.shape[1]
    circ = np.zeros(r.shape[0], bool) if circular is None else np.asarray(circular, bool)
    if circ.any() and f:
        r[circ] = unwrap_deg(r[circ], axis=-1)
    outliers = np.zeros(r.shape, dtype=bool)
    filled = np.zeros(r.shape, dtype=bool)
    if settings.hampel and f > 0:
        r, outliers = hampel_rows(
            r, settings.hampel_window(fps), settings.hampel_n_sigmas, inplace=True
        )
    if settings.interpolate:
        r, filled = _interpolate_rows(r, settings.max_gap_frames(fps))
    # A track too short to be filtered at all needs no frame rate (a photo is one frame).
    if settings.lowpass and f > min_filter_length(settings.order):
        measured = r  # _lowpass_rows returns a new array
        r = lowpass_rows(r, butterworth_sos(fps, settings.cutoff_hz, settings.order))
        if bounds is not None:
            r = limit_to_envelope(r, measured, envelope_half_window(fps, settings.cutoff_hz))
            with np.errstate(invalid="ignore"):
                np.clip(r, np.asarray(bounds[0])[:, None], np.asarray(bounds[1])[:, None], out=r)
    if circ.any():
        r[circ] = wrap_deg(r[circ])
    return r, filled, outliers


def clean_signals_detailed(
    df: pd.DataFrame,
    fps: float,
    settings: CleanSettings | None = None,
    circular: Iterable[str] | None = None,
    bounded: bool = True,
) -> CleanedSignals:
    """Clean every column of ``df`` (index: frames; columns: signals).

    ``circular`` names the columns that wrap at +-180 degrees; by default the
    signed segment angles of :mod:`analysis.angles` among ``df``'s columns.
    ``bounded`` (default) keeps each low-passed column within the envelope of
    what it was given and a joint angle within its definition range (by its
    name, :func:`analysis.bounds.definition_range`); see the module docstring.
    """
    settings = settings or CleanSettings()
    names = [str(c) for c in df.columns]
    circ_names = {n for n in names if is_circular(n)} if circular is None else set(circular)
    mask = np.array([n in circ_names for n in names], dtype=bool)
    bounds = definition_ranges(names) if bounded else None
    values, filled, outliers = clean_array(
        df.to_numpy(dtype=float), fps, settings, mask, bounds
    )
    return CleanedSignals(
        values=pd.DataFrame(values, index=df.index, columns=df.columns),
        filled=pd.DataFrame(filled, index=df.index, columns=df.columns),
        outliers=pd.DataFrame(outliers, index=df.index, columns=df.columns),
    )


def clean_signals(
    df: pd.DataFrame, fps: float, settings: CleanSettings | None = None
) -> pd.DataFrame:
    """Cleaned copy of ``df`` (same index, columns and units); see the module doc.

    Segment-angle columns are treated as circular, and the low-pass is bounded
    (see the module docstring). Use :func:`clean_signals_detailed` for the masks
    of filled and replaced samples.
    """
    return clean_signals_detailed(df, fps, settings).values
