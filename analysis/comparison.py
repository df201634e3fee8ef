"""Two clips compared angle by angle, aligned by normalising time to 0-100 %.

Each repetition (or, without repetitions, the whole clip) is resampled to
``n_points`` (101) samples from 0 % (its start frame: the movement's onset) to
100 % (its end frame) by linear interpolation between frames; a sample next to
a missing frame is missing. The two clips are then compared on:

- the curves themselves and their mean and standard deviation across
  repetitions at every percent;
- ROM (max - min), peak (max), minimum and mean of every angle, per repetition
  (from the valley before it to the valley after it, so the ROM is the whole
  movement) averaged over the repetitions, or over the whole clip;
- the symmetry index of every left/right pair (mean per-repetition SI, or the
  clip's SI).

Every difference is ``b - a``: with ``a`` last month's session and ``b``
today's, a positive ``rom_diff`` means a larger range of motion today.

Signed segment angles: their curves are unwrapped in time (continuous through
+-180, see :func:`analysis.angle_stats.unwrapped_for_ranges`), so they may pass
180 by a few degrees rather than jump to -180; their statistics follow
:mod:`analysis.angle_stats` (ROM of the continuous signal; peak, minimum and
mean in (-180, 180]) and differences of peaks, minima and means are wrapped
into (-180, 180].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from analysis.angle_stats import span_stats, unwrapped_for_ranges
from analysis.angles import is_circular, wrap_deg
from analysis.errors import AnalysisError
from analysis.symmetry import bilateral_pairs, rep_spans, symmetry_index

if TYPE_CHECKING:
    from analysis.track import TrackAnalysis

DIFFERENCE_COLUMNS: tuple[str, ...] = (
    "rom_a", "rom_b", "rom_diff",
    "peak_a", "peak_b", "peak_diff",
    "min_a", "min_b", "min_diff",
    "mean_a", "mean_b", "mean_diff",
)
MEAN_CURVE_COLUMNS: tuple[str, ...] = ("a_mean", "a_std", "b_mean", "b_std", "diff")


@dataclass(frozen=True)
class Comparison:
    """Result of :func:`compare_clips`.

    Attributes
    ----------
    by
        ``"repetition"`` or ``"clip"``: what was normalised to 0-100 %.
    angles
        The angles compared (columns of both clips, in ``a``'s order).
    n_a, n_b
        Number of repetitions compared from each clip (1 when ``by="clip"``).
    curves
        Index MultiIndex (``clip`` "a"/"b", ``rep`` 1.. (1 for a whole clip),
        ``percent`` 0..100 in ``n_points`` steps); columns the angles; degrees.
    mean_curves
        Index MultiIndex (``angle``, ``percent``); columns ``a_mean``,
        ``a_std``, ``b_mean``, ``b_std`` (mean and standard deviation across
        repetitions, ddof 0; degrees) and ``diff`` (``b_mean - a_mean``).
    differences
        Index ``angle``; columns :data:`DIFFERENCE_COLUMNS` in degrees.
    symmetry
        Index ``pair``; columns ``si_a``, ``si_b``, ``si_diff`` (percent).
    """

    by: str
    angles: tuple[str, ...]
    n_a: int
    n_b: int
    curves: pd.DataFrame
    mean_curves: pd.DataFrame
    differences: pd.DataFrame
    symmetry: pd.DataFrame


def _bounds(
    n_frames: int, repetitions: pd.DataFrame | None, by: str
) -> tuple[np.ndarray, np.ndarray]:
    """(R, 2) inclusive first and last frames: of what is normalised, and of what
    statistics are taken over (repetitions: start to end, and valley to valley)."""
    if by == "repetition":
        span = repetitions[["start_frame", "end_frame"]].to_numpy(dtype=np.int64)
        return span, rep_spans(repetitions)
    whole = np.array([[0, max(n_frames - 1, 0)]], dtype=np.int64)
    return whole, whole


def time_normalise(values: np.ndarray, bounds: np.ndarray, n_points: int = 101) -> np.ndarray:
    """Resample spans of a (frames, columns) array to ``n_points`` samples each.

    ``bounds`` is (R, 2): inclusive start and end frame of each span. Returns
    (R, n_points, columns); sample ``k`` of a span sits at
    ``start + (end - start) * k / (n_points - 1)``, linearly interpolated
    between the two frames around it (missing if either is missing).
    """
    v = np.asarray(values, dtype=float)
    b = np.asarray(bounds, dtype=float).reshape(-1, 2)
    frac = np.linspace(0.0, 1.0, n_points)
    pos = b[:, :1] + (b[:, 1:] - b[:, :1]) * frac  # (R, n_points)
    i0 = np.clip(np.floor(pos).astype(np.int64), 0, max(v.shape[0] - 1, 0))
    i1 = np.minimum(i0 + 1, v.shape[0] - 1)
    w = (pos - i0)[..., None]
    lo, hi = v[i0], v[i1]
    return np.where(w == 0, lo, lo + w * (hi - lo))


def _nanmean0(x: np.ndarray) -> np.ndarray:
    """Mean over axis 0 ignoring NaN; NaN (no warning) where all are NaN."""
    n = np.isfinite(x).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, np.nansum(x, axis=0) / np.maximum(n, 1), np.nan)


def _nanstd0(x: np.ndarray) -> np.ndarray:
    m = _nanmean0(x)
    return np.sqrt(_nanmean0((x - m) ** 2))


def _unpack(clip: TrackAnalysis | pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    if isinstance(clip, pd.DataFrame):
        return clip, None
    try:
        return clip.angles, clip.repetitions
    except AttributeError:
        raise TypeError("compare_clips takes TrackAnalysis objects or angle DataFrames") from None


def compare_clips(
    a: TrackAnalysis | pd.DataFrame,
    b: TrackAnalysis | pd.DataFrame,
    *,
    by: str = "auto",
    angles: list[str] | tuple[str, ...] | None = None,
    repetitions_a: pd.DataFrame | None = None,
    repetitions_b: pd.DataFrame | None = None,
    n_points: int = 101,
) -> Comparison:
    """Compare clip ``b`` with clip ``a``, angle by angle (differences are b - a).

    Parameters
    ----------
    a, b
        :class:`~analysis.track.TrackAnalysis` (its cleaned ``angles`` and its
        ``repetitions`` are used) or an angles DataFrame (index frames,
        columns angle names, degrees).
    by
        ``"repetition"``: each repetition normalised to 0-100 %, statistics
        averaged over repetitions; ``"clip"``: the whole clip is one span;
        ``"auto"`` (default): by repetition when both clips have repetitions.
    angles
        Angles to compare (default every angle both clips have).
    repetitions_a, repetitions_b
        Repetition tables (``start_frame``, ``end_frame``) overriding those of
        ``a`` and ``b``.
    n_points
        Samples per normalised span (101: every whole percent).
    """
    angles_a, reps_a = _unpack(a)
    angles_b, reps_b = _unpack(b)
    reps_a = repetitions_a if repetitions_a is not None else reps_a
    reps_b = repetitions_b if repetitions_b is not None else reps_b
    has_a = reps_a is not None and not reps_a.empty
    has_b = reps_b is not None and not reps_b.empty
    if by == "auto":
        by = "repetition" if has_a and has_b else "clip"
    if by not in ("repetition", "clip"):
        raise AnalysisError(f"compare by 'repetition' or 'clip', not {by!r}")
    if by == "repetition" and not (has_a and has_b):
        which = "first" if not has_a else "second"
        raise AnalysisError(
            f"the {which} clip has no repetitions to compare; compare whole clips instead"
        )
    if n_points < 2:
        raise AnalysisError("a normalised curve needs at least 2 points")
    common = [c for c in map(str, angles_a.columns) if c in set(map(str, angles_b.columns))]
    names = list(common) if angles is None else [str(n) for n in angles]
    missing = [n for n in names if n not in common]
    if missing:
        raise AnalysisError(f"angles not in both clips: {', '.join(missing)}")
    if not names:
        raise AnalysisError("the two clips have no angle in common")
    if len(angles_a) == 0 or len(angles_b) == 0:
        raise AnalysisError("one of the clips has no frames to compare")

    percent = np.linspace(0.0, 100.0, n_points)
    circ = np.array([is_circular(n) for n in names], dtype=bool)
    curves, stats, spans = {}, {}, {}
    for key, df, reps in (("a", angles_a, reps_a), ("b", angles_b, reps_b)):
        values = unwrapped_for_ranges(df[names])
        bounds, stat_bounds = _bounds(len(df), reps, by)
        curves[key] = time_normalise(values, bounds, n_points)  # (R, P, C)
        stats[key] = span_stats(df[names].to_numpy(dtype=float), stat_bounds, circ)  # (R, C, 4)
        spans[key] = bounds

    # Curves, long by (clip, rep, percent).
    frames = []
    for key in ("a", "b"):
        r, p, _ = curves[key].shape
        idx = pd.MultiIndex.from_arrays(
            [np.full(r * p, key), np.repeat(np.arange(1, r + 1), p), np.tile(percent, r)],
            names=["clip", "rep", "percent"],
        )
        frames.append(pd.DataFrame(curves[key].reshape(r * p, -1), index=idx, columns=names))
    curves_df = pd.concat(frames)

    # Mean curves across repetitions.
    mean_a, std_a = _nanmean0(curves["a"]), _nanstd0(curves["a"])  # (P, C)
    mean_b, std_b = _nanmean0(curves["b"]), _nanstd0(curves["b"])
    diff = mean_b - mean_a
    diff[:, circ] = wrap_deg(diff[:, circ])
    mc_index = pd.MultiIndex.from_product([names, percent], names=["angle", "percent"])
    mean_curves = pd.DataFrame(
        {
            "a_mean": mean_a.T.reshape(-1),
            "a_std": std_a.T.reshape(-1),
            "b_mean": mean_b.T.reshape(-1),
            "b_std": std_b.T.reshape(-1),
            "diff": diff.T.reshape(-1),
        },
        index=mc_index,
    )

    # ROM, peak, min, mean: per span, averaged over spans.
    summary = {}
    for key in ("a", "b"):
        mn, mx, rom, me = (_nanmean0(stats[key][:, :, i]) for i in range(4))
        summary[key] = {"rom": rom, "peak": mx, "min": mn, "mean": me}
    data = {}
    for stat in ("rom", "peak", "min", "mean"):
        va, vb = summary["a"][stat], summary["b"][stat]
        d = vb - va
        if stat != "rom":
            d = np.where(circ, wrap_deg(d), d)
        data[f"{stat}_a"], data[f"{stat}_b"], data[f"{stat}_diff"] = va, vb, d
    differences = pd.DataFrame(data, index=pd.Index(names, name="angle"))[list(DIFFERENCE_COLUMNS)]

    # Symmetry index per pair: mean over spans of the SI of the span's ROMs.
    pairs = bilateral_pairs(names)
    pos = {n: i for i, n in enumerate(names)}
    si = {}
    for key in ("a", "b"):
        rom = stats[key][:, :, 2]  # (R, C)
        si[key] = np.array(
            [_nanmean0(symmetry_index(rom[:, pos[lft]], rom[:, pos[rgt]])) for _, lft, rgt in pairs]
        )
    symmetry = pd.DataFrame(
        {"si_a": si["a"], "si_b": si["b"], "si_diff": si["b"] - si["a"]},
        index=pd.Index([p[0] for p in pairs], name="pair"),
        dtype=float,
    )
    return Comparison(
        by=by,
        angles=tuple(names),
        n_a=len(spans["a"]),
        n_b=len(spans["b"]),
        curves=curves_df,
        mean_curves=mean_curves,
        differences=differences,
        symmetry=symmetry,
    )
