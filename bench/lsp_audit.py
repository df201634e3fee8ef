"""Knee and elbow angles judged as a measuring instrument is, with ``poseaudit``.

For each angle (knee: hip-knee-ankle, elbow: shoulder-elbow-wrist, interior,
degrees) and each model, ``poseaudit.audit`` gives the bias (mean error,
predicted minus labelled), the 95 % limits of agreement (bias +/- 1.96 SD),
ICC(A,1), the share of readings off by :data:`BIG_ERROR_DEG` or more, each
with a 95 % interval from a bootstrap that resamples whole photos, and that
share by the size of the limb in the picture (the mean length of its two
segments in the labels, px, cut at :data:`SEGMENT_EDGES_PX`).

The athletes are paired with our own matching (``lsp_scoring.score_photo``),
not poseaudit's box matching, so these figures describe exactly the athletes
the PCK and the median errors do: a labelled limb of an athlete not found is
"missed" (not read). The left and right limbs of one photo are two readings of
one cluster (the photo), so their errors are not taken as independent.
Predicted points are used whatever their visibility, as for the PCK.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import lsp_scoring as lsp
import numpy as np
import poseaudit as pa

BIG_ERROR_DEG = 15.0
#: Limb size bands: mean segment length of the limb in the labels, px.
SEGMENT_EDGES_PX: tuple[float, ...] = (25.0, 40.0)
JOINTS = ("knee", "elbow")


def _instance(points: np.ndarray) -> pa.Instance:
    return pa.Instance.from_keypoints(points, np.ones(len(points), dtype=bool))


def angle_pairing(
    labels: Sequence[lsp.Label],
    scores: Sequence[lsp.PhotoScore | None],
    people: Sequence[Sequence[np.ndarray]],
    joint: str,
) -> pa.Pairing:
    """poseaudit pairs of (proximal, vertex, distal) points (3, 2) px for ``joint``
    (``"knee"`` or ``"elbow"``), one instance per side named ``IMAGE#side``."""
    pairing = pa.Pairing()
    for label, score, found in zip(labels, scores, people, strict=True):
        if score is None:
            continue
        for side in ("left", "right"):
            idx = [lsp.JOINT[name] for name in lsp.ANGLES[f"{side}_{joint}"]]
            if not label.labelled[idx].all():
                continue
            name = f"{label.image}#{side}"
            truth = _instance(label.points[idx])
            if score.matched is None:
                pairing.missed.append((name, truth))
                continue
            predicted = lsp.limb_points(found[score.matched])[idx]
            pairing.pairs.append(pa.Pair(name, truth, _instance(predicted)))
    return pairing


def audit_joint(
    labels: Sequence[lsp.Label],
    scores: Sequence[lsp.PhotoScore | None],
    people: Sequence[Sequence[np.ndarray]],
    joint: str,
) -> pa.AuditResult:
    """poseaudit's audit of one interior angle, left and right pooled, clustered by photo."""
    return pa.audit(
        angle_pairing(labels, scores, people, joint), pa.angle(0, 1, 2),
        big_error=BIG_ERROR_DEG, size_bands=list(SEGMENT_EDGES_PX),
        cluster=lambda name: name.split("#")[0], jitter_repeats=0,
    )


def figures(result: pa.AuditResult) -> dict:
    """The judged figures of one audit, as plain numbers (intervals as [low, high])."""
    def pair(values) -> list[float]:
        return [float(v) for v in values]

    return {
        "n": result.n,
        "missed": result.not_read.missed,
        "bias_deg": float(result.bias), "bias_ci": pair(result.bias_ci),
        "limits_deg": pair(result.limits),
        "lower_limit_ci": pair(result.lower_limit_ci),
        "upper_limit_ci": pair(result.upper_limit_ci),
        "icc": float(result.icc), "icc_ci": pair(result.icc_ci),
        "big_error_rate": float(result.big_error_rate),
        "big_error_rate_ci": pair(result.big_error_rate_ci),
        "mean_abs_error_deg": float(result.mean_abs_error),
        "by_limb_size": [
            {"low_px": b.low, "high_px": b.high, "n": b.n,
             "big_error_rate": b.big_error_rate, "big_error_rate_ci": pair(b.big_error_rate_ci),
             "mean_abs_error_deg": b.mean_abs_error}
            for b in result.size_bands
        ],
        "warnings": list(result.warnings),
    }


def _ci(values: Sequence[float], fmt: str = "{:+.1f}") -> str:
    if any(math.isnan(v) for v in values):
        return "[n/a]"
    return "[" + " to ".join(fmt.format(v) for v in values) + "]"


def format_figures(name: str, f: dict) -> list[str]:
    """Lines of text for one model's audit of one angle."""
    low, high = f["limits_deg"]
    lines = [
        f"  {name}: {f['n']} readings ({f['missed']} labelled limbs of athletes not found)",
        f"    bias {f['bias_deg']:+.1f} deg {_ci(f['bias_ci'])}; 95% limits of agreement "
        f"{low:+.1f} {_ci(f['lower_limit_ci'])} to {high:+.1f} {_ci(f['upper_limit_ci'])} deg",
        f"    ICC(A,1) {f['icc']:.3f} {_ci(f['icc_ci'], '{:.3f}')}; off by >= "
        f"{BIG_ERROR_DEG:g} deg: {100 * f['big_error_rate']:.1f}% "
        f"{_ci([100 * v for v in f['big_error_rate_ci']], '{:.1f}%')}",
    ]
    bands = []
    for b in f["by_limb_size"]:
        span = (f"<{b['high_px']:g}" if b["low_px"] == 0 else
                f">={b['low_px']:g}" if math.isinf(b["high_px"])
                else f"{b['low_px']:g}-{b['high_px']:g}")
        bands.append(f"{span} px {100 * b['big_error_rate']:.0f}% "
                     f"{_ci([100 * v for v in b['big_error_rate_ci']], '{:.0f}%')} (n {b['n']})")
    lines.append(f"    >= {BIG_ERROR_DEG:g} deg by limb size: " + "; ".join(bands))
    return lines
