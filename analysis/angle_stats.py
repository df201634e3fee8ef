"""Minimum, maximum, range of motion and mean of angle signals, over frames or spans.

Joint angles and ``trunk_lean`` are plain numbers: ``min``, ``max``, ``rom = max
- min`` and ``mean`` over the frames with a value.

Signed segment angles live on a circle and are reported in (-180, 180]. Their
statistics come from the *continuous* signal (unwrapped in time: each step
between consecutive frames with a value taken as the shorter turn, see
:func:`analysis.angles.unwrap_deg`):

- ``rom`` is its maximum minus its minimum, so a shank swinging between 170
  and -170 through the horizontal-left direction has a ``rom`` of 20, not 340,
  and a forearm that turns all the way round (an arm circle) has a ``rom`` of
  at least 360: a full turn reads as a turn;
- ``min`` and ``max`` are the continuous signal's extremes wrapped back into
  (-180, 180] (for the shank above, ``min`` 170 and ``max`` -170: read them
  counter-clockwise, from ``min`` through ``rom`` degrees to ``max``). They are
  never past 180;
- ``mean`` is the circular mean (the direction of the mean unit vector), in
  (-180, 180].

:func:`summarise_angles` is the per-clip summary of a table of angles;
:func:`angle_stats` and :func:`span_stats` the same on arrays, for the whole
clip or for many spans (repetitions) at once; symmetry, comparison and the
exports all use them, so every ROM in the product follows one rule.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from analysis.angles import is_circular, unwrap_deg, wrap_deg

SUMMARY_STATS: tuple[str, ...] = ("min", "max", "rom", "mean", "count")


def circular_mask(columns: Iterable[object]) -> np.ndarray:
    """Bool mask of the circular (signed segment) angles among ``columns``."""
    return np.array([is_circular(str(c)) for c in columns], dtype=bool)


def unwrapped_for_ranges(df: pd.DataFrame) -> np.ndarray:
    """``df``'s values as (frames, columns) floats, circular columns unwrapped in time.

    Each unwrapped circular column is shifted by a whole number of turns so that
    its median lies in (-180, 180]: its values stay continuous from frame to
    frame (curves do not jump at +-180) and read like the wrapped ones.
    """
    values = df.to_numpy(dtype=float, copy=True)
    circ = circular_mask(df.columns)
    if circ.any() and values.shape[0]:
        u = unwrap_deg(values[:, circ])
        ok = np.isfinite(u).any(axis=0)
        med = np.zeros(u.shape[1])
        if ok.any():
            med[ok] = np.nanmedian(u[:, ok], axis=0)
        values[:, circ] = u + (wrap_deg(med) - med)
    return values


def _linear_stats(v: np.ndarray) -> np.ndarray:
    """(..., columns, 4) min, max, max - min, mean over the frames axis (-2) of
    (..., frames, columns), ignoring NaN; NaN where a column has no value."""
    ok = np.isfinite(v)
    n = ok.sum(axis=-2)
    total = np.where(ok, v, 0.0).sum(axis=-2)
    lo = np.where(ok, v, np.inf).min(axis=-2, initial=np.inf)
    hi = np.where(ok, v, -np.inf).max(axis=-2, initial=-np.inf)
    seen = n > 0
    lo, hi = np.where(seen, lo, np.nan), np.where(seen, hi, np.nan)
    mean = np.where(seen, total / np.maximum(n, 1), np.nan)
    return np.stack([lo, hi, hi - lo, mean], axis=-1)


def _circular_stats(v: np.ndarray) -> np.ndarray:
    """(..., columns, 4) of circular columns over the frames axis (-2): the
    continuous signal's min and max wrapped into (-180, 180], its max - min, and
    the circular mean (see the module docstring)."""
    u = unwrap_deg(v, axis=-2)
    lo, hi, rom, _ = np.moveaxis(_linear_stats(u), -1, 0)
    ok = np.isfinite(u)
    r = np.radians(u)
    s = np.where(ok, np.sin(r), 0.0).sum(axis=-2)
    c = np.where(ok, np.cos(r), 0.0).sum(axis=-2)
    mean = np.where(ok.any(axis=-2), wrap_deg(np.degrees(np.arctan2(s, c)) + 0.0), np.nan)
    return np.stack([wrap_deg(lo), wrap_deg(hi), rom, mean], axis=-1)


def angle_stats(values: np.ndarray, circular: np.ndarray) -> np.ndarray:
    """Min, max, range of motion and mean of every column, over the frames.

    ``values`` is (frames, columns) or (spans, frames, columns), degrees, with NaN
    for missing frames; returns (columns, 4) or (spans, columns, 4). Columns
    flagged in the bool ``circular`` mask follow the segment-angle rule of the
    module docstring; NaN for a column with no value.
    """
    v = np.asarray(values, dtype=float)
    circ = np.asarray(circular, dtype=bool)
    out = np.full((*v.shape[:-2], v.shape[-1], 4), np.nan)
    if v.shape[-2] == 0:
        return out
    if (~circ).any():
        out[..., ~circ, :] = _linear_stats(v[..., ~circ])
    if circ.any():
        out[..., circ, :] = _circular_stats(v[..., circ])
    return out


def span_stats(
    values: np.ndarray, spans: np.ndarray, circular: np.ndarray, chunk: int = 2_000_000
) -> np.ndarray:
    """:func:`angle_stats` of many spans of frames at once: (R, columns, 4).

    ``values`` is (frames, columns); ``spans`` (R, 2) first and last frame
    (inclusive) of each span, which may overlap. The spans are gathered side by
    side, padded with NaN to the longest, in chunks of about ``chunk`` values.
    """
    v = np.asarray(values, dtype=float)
    sp = np.asarray(spans, dtype=np.int64).reshape(-1, 2)
    out = np.full((len(sp), v.shape[1], 4), np.nan)
    if len(sp) == 0 or v.shape[0] == 0:
        return out
    length = sp[:, 1] - sp[:, 0] + 1
    longest = int(length.max())
    step = max(1, chunk // max(longest * v.shape[1], 1))
    offsets = np.arange(longest)
    for a in range(0, len(sp), step):
        idx = sp[a : a + step, :1] + offsets  # (r, longest)
        inside = offsets < length[a : a + step, None]
        block = v[np.clip(idx, 0, v.shape[0] - 1)]  # (r, longest, columns)
        block[~inside] = np.nan
        out[a : a + step] = angle_stats(block, circular)
    return out


def summarise_angles(df: pd.DataFrame) -> pd.DataFrame:
    """Per-angle statistics over the frames of ``df`` (index frames, columns angles).

    Returns a DataFrame indexed by angle name (``df``'s column order) with
    columns ``min``, ``max``, ``rom``, ``mean`` (degrees) and ``count`` (frames
    with a value); NaN statistics for an angle never seen. Joint angles: plain
    min, max, max - min and mean. Segment angles: see the module docstring
    (``min``, ``max`` and ``mean`` in (-180, 180], ``rom`` of the continuous
    signal, 360 or more for a full turn).
    """
    values = df.to_numpy(dtype=float)
    stats = angle_stats(values, circular_mask(df.columns))
    out = pd.DataFrame(stats, index=pd.Index(df.columns, name="angle"), columns=SUMMARY_STATS[:4])
    out["count"] = np.isfinite(values).sum(axis=0)
    return out
