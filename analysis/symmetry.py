"""Left/right symmetry of every bilateral angle.

A *pair* is named after its angle without the side: ``knee`` for
(``left_knee``, ``right_knee``), ``knee_3d`` for the 3D pair, ``thigh`` for the
segment pair. For each pair:

- the per-frame difference ``L - R`` (degrees; for segment angles wrapped into
  (-180, 180]);
- the range of motion (ROM, max - min) of each side (segment angles: of their
  continuous signal, see :mod:`analysis.angle_stats`);
- the symmetry index on ROM, ``SI = 100 * |L - R| / (0.5 * (|L| + |R|))`` in
  percent (0 = symmetric, at most 200), defined as 0 when both ROMs are 0 and
  missing when either side was never seen;
- the same per repetition, over each repetition's frames.

Segment angles are measured in the image, so their *per-frame* difference
compares the two limbs' orientations as the camera sees them: meaningful in a
side view; in a front view mirror-image limbs point in mirrored directions and
differ even when symmetric. Their ROMs and SI are meaningful in both.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from analysis.angle_stats import angle_stats, circular_mask, span_stats
from analysis.angles import is_circular, wrap_deg

SYMMETRY_COLUMNS: tuple[str, ...] = (
    "rom_left", "rom_right", "si", "mean_diff", "mean_abs_diff", "si_reps",
)
REP_SYMMETRY_COLUMNS: tuple[str, ...] = ("rep", "pair", "rom_left", "rom_right", "si")


def bilateral_pairs(columns: Iterable[str]) -> list[tuple[str, str, str]]:
    """``(pair, left_column, right_column)`` for every left column with a right twin,
    in the columns' order."""
    cols = [str(c) for c in columns]
    present = set(cols)
    pairs = []
    for name in cols:
        if name.startswith("left_") and f"right_{name[5:]}" in present:
            pairs.append((name[5:], name, f"right_{name[5:]}"))
    return pairs


def symmetry_index(left: np.ndarray | float, right: np.ndarray | float) -> np.ndarray:
    """SI in percent of two ranges of motion (elementwise); 0 when both are 0."""
    a = np.abs(np.asarray(left, dtype=float))
    b = np.abs(np.asarray(right, dtype=float))
    denom = 0.5 * (a + b)
    with np.errstate(invalid="ignore", divide="ignore"):
        si = np.where(denom > 0, 100.0 * np.abs(a - b) / denom, 0.0)
    return np.where(np.isnan(a) | np.isnan(b), np.nan, si)


def symmetry_per_frame(angles: pd.DataFrame) -> pd.DataFrame:
    """Per-frame ``L - R`` in degrees.

    Index: ``angles``' index (frames). Columns: pair names, in
    :func:`bilateral_pairs` order. NaN where either side is missing.
    """
    pairs = bilateral_pairs(angles.columns)
    if not pairs:
        return pd.DataFrame(index=angles.index)
    left = angles[[p[1] for p in pairs]].to_numpy(dtype=float)
    right = angles[[p[2] for p in pairs]].to_numpy(dtype=float)
    diff = left - right
    circ = np.array([is_circular(p[1]) for p in pairs])
    if circ.any():
        diff[:, circ] = wrap_deg(diff[:, circ])
    return pd.DataFrame(diff, index=angles.index, columns=[p[0] for p in pairs])


def _roms(values: np.ndarray, circ: np.ndarray) -> np.ndarray:
    """Range of motion of each column (segment angles: of their continuous signal)."""
    return angle_stats(values, circ)[:, 2]


def rep_spans(repetitions: pd.DataFrame) -> np.ndarray:
    """(R, 2) first and last frame (inclusive) over which a repetition's statistics
    are taken: valley to valley when the table has them, else start to end."""
    if {"valley_before_frame", "valley_after_frame"} <= set(repetitions.columns):
        cols = ["valley_before_frame", "valley_after_frame"]
    else:
        cols = ["start_frame", "end_frame"]
    return repetitions[cols].to_numpy(dtype=np.int64).reshape(-1, 2)


def symmetry_per_repetition(angles: pd.DataFrame, repetitions: pd.DataFrame) -> pd.DataFrame:
    """Left and right ROM and SI of every pair within every repetition.

    ``repetitions`` needs ``rep`` and the repetition's frames: from
    ``valley_before_frame`` to ``valley_after_frame`` when present (so the
    ROM spans the whole movement, valleys included), else ``start_frame`` to
    ``end_frame`` (positions in ``angles``, inclusive). Returns a long table, RangeIndex, columns
    :data:`REP_SYMMETRY_COLUMNS`: ``rep``, ``pair``, ``rom_left``,
    ``rom_right`` (degrees), ``si`` (percent); reps in order, pairs in
    :func:`bilateral_pairs` order.
    """
    pairs = bilateral_pairs(angles.columns)
    if not pairs or repetitions is None or repetitions.empty:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in REP_SYMMETRY_COLUMNS}).astype(
            {"rep": int, "pair": object}
        )
    cols = [p[1] for p in pairs] + [p[2] for p in pairs]
    values = angles[cols].to_numpy(dtype=float)
    circ = circular_mask(cols)
    n = len(pairs)
    roms = span_stats(values, rep_spans(repetitions), circ)[:, :, 2]  # (reps, 2 * pairs)
    rom_l, rom_r = roms[:, :n], roms[:, n:]
    return pd.DataFrame(
        {
            "rep": np.repeat(repetitions["rep"].to_numpy(dtype=int), n),
            "pair": np.tile([p[0] for p in pairs], len(repetitions)),
            "rom_left": rom_l.reshape(-1),
            "rom_right": rom_r.reshape(-1),
            "si": symmetry_index(rom_l, rom_r).reshape(-1),
        }
    )


def symmetry_summary(
    angles: pd.DataFrame,
    repetitions: pd.DataFrame | None = None,
    per_repetition: pd.DataFrame | None = None,
    per_frame: pd.DataFrame | None = None,
    roms: pd.Series | None = None,
) -> pd.DataFrame:
    """Symmetry of every pair over the clip.

    Index ``pair`` (:func:`bilateral_pairs` order). Columns
    :data:`SYMMETRY_COLUMNS`: ``rom_left``, ``rom_right`` (degrees, over the
    clip), ``si`` (percent, on those ROMs), ``mean_diff`` and ``mean_abs_diff``
    (mean of the per-frame ``L - R`` and of its magnitude, degrees, over frames
    where both sides are present), ``si_reps`` (mean of the per-repetition SI;
    NaN without repetitions). ``per_repetition`` (from
    :func:`symmetry_per_repetition`), ``per_frame`` (from
    :func:`symmetry_per_frame`) and ``roms`` (each angle's ROM over the clip,
    e.g. the ``rom`` column of :func:`analysis.angle_stats.summarise_angles`) save
    recomputing them.
    """
    pairs = bilateral_pairs(angles.columns)
    index = pd.Index([p[0] for p in pairs], name="pair")
    if not pairs:
        return pd.DataFrame(columns=list(SYMMETRY_COLUMNS), index=index, dtype=float)
    cols = [p[1] for p in pairs] + [p[2] for p in pairs]
    if roms is None:
        rom = _roms(angles[cols].to_numpy(dtype=float), circular_mask(cols))
    else:
        rom = roms.reindex(cols).to_numpy(dtype=float)
    n = len(pairs)
    if per_frame is None:
        per_frame = symmetry_per_frame(angles)
    diff = per_frame[[p[0] for p in pairs]].to_numpy(dtype=float)
    has = np.isfinite(diff).any(axis=0)
    mean_diff = np.full(n, np.nan)
    mean_abs = np.full(n, np.nan)
    if has.any():
        mean_diff[has] = np.nanmean(diff[:, has], axis=0)
        mean_abs[has] = np.nanmean(np.abs(diff[:, has]), axis=0)
    si_reps = np.full(n, np.nan)
    if repetitions is not None and not repetitions.empty:
        per_rep = per_repetition
        if per_rep is None:
            per_rep = symmetry_per_repetition(angles, repetitions)
        si_reps = per_rep.groupby("pair", sort=False)["si"].mean().reindex(index).to_numpy()
    return pd.DataFrame(
        {
            "rom_left": rom[:n],
            "rom_right": rom[n:],
            "si": symmetry_index(rom[:n], rom[n:]),
            "mean_diff": mean_diff,
            "mean_abs_diff": mean_abs,
            "si_reps": si_reps,
        },
        index=index,
    )
