"""The fine-tuning loss: labelled joints pulled to their labels, the rest kept as they were.

For a batch of crops, with the trained model's outputs ``student`` and the
original model's outputs ``teacher`` on the same crops (dicts of
:data:`estimator.finetune.keras_model.TRAINED_OUTPUTS`), and the labels
(crop pixels (B, 33, 2), labelled (B, 33)):

- **labelled joints**: inference takes the regression output's position, then
  moves it to the confidence-weighted mean of the heatmap's 7x7 cells around it
  (:func:`estimator.landmarks.refine_from_heatmap`). The regression is pulled to
  the label with a Huber loss (fractions of the crop, ``labelled_xy``) and the
  heatmap toward a Gaussian at the label, the shape of the model's own peaks
  (cross-entropy over the cells around it, ``labelled_heatmap``). Pulling the
  refined position itself (``labelled_refined``, computed as inference does but
  differentiably) was measured on LSP-extended to flatten the heatmaps and lose
  validation PCK (0.686 -> 0.665 in 300 steps); its weight is 0 by default.
  Crowd-sourced labels sometimes give a limb to the wrong side: for each
  left/right pair labelled on both sides, the assignment (as labelled, or the
  two exchanged) that costs less is the one trained on, so that a swapped
  label pulls a joint to its own place rather than across the body.
- **distillation**: everything not labelled stays close to the teacher: x, y
  of the other landmarks, z of all, visibility and presence (as
  probabilities), the other heatmap channels, the world landmarks (metres)
  and the pose flag, so that what was not labelled does not drift.

Shapes: landmarks (B, 195) = 39 x 5, heatmap (B, 64, 64, 39), world (B, 117),
flag (B, 1). Imports TensorFlow.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import tensorflow as tf

from estimator.landmarks import (
    HEATMAP_KERNEL,
    HEATMAP_SIZE,
    INPUT_SIZE,
    MIRRORED_ORDER,
    NUM_BODY,
    NUM_LANDMARKS,
)

#: Keypoint i's namesake on the other side (itself for the nose).
_OTHER_SIDE = MIRRORED_ORDER[:NUM_BODY].tolist()

#: Huber's transition, as a fraction of the crop (about 5 crop pixels): label noise and
#: misread limbs beyond it pull with a constant force, not a growing one.
HUBER_DELTA = 0.02
#: Departures from the original model that cost 1 in the distillation terms: crop pixels
#: (x, y, z) and metres (world landmarks).
DISTILL_SCALE_PX = 4.0
DISTILL_SCALE_M = 0.02
#: Labels farther than this fraction of the crop from the original model's reading are
#: left out of the labelled terms (None: none are).
OUTLIER_FRACTION: float | None = 0.08


@dataclass(frozen=True)
class LossWeights:
    """Weights of the loss terms (see the module's docstring)."""

    labelled_xy: float = 20.0
    labelled_refined: float = 0.0
    labelled_heatmap: float = 5.0
    distill_xy: float = 0.2
    distill_z: float = 0.01
    distill_scores: float = 0.2
    distill_heatmap: float = 0.2
    distill_world: float = 0.04
    distill_flag: float = 0.04

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def _huber(error: tf.Tensor) -> tf.Tensor:
    error = tf.abs(error)
    return tf.where(error <= HUBER_DELTA, 0.5 * error**2 / HUBER_DELTA, error - 0.5 * HUBER_DELTA)


def _masked_mean(values: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
    mask = tf.cast(mask, values.dtype)
    return tf.reduce_sum(values * mask) / tf.maximum(tf.reduce_sum(mask), 1.0)


def refined_points(landmarks: tf.Tensor, heatmap: tf.Tensor) -> tf.Tensor:
    """(B, 33, 2) crop pixels: the heatmap's confidence-weighted mean cell index in the
    7x7 window around each regression position, times the cell size (as inference
    refines, without its confidence threshold); differentiable in the heatmap.

    ``landmarks`` (B, 195) regression output; ``heatmap`` (B, 64, 64, 39) logits.
    """
    xy = tf.reshape(landmarks, (-1, NUM_LANDMARKS, 5))[:, :NUM_BODY, :2]
    centre = tf.floor(tf.stop_gradient(xy) / INPUT_SIZE * HEATMAP_SIZE)  # (B, 33, 2) cells
    grid = tf.range(HEATMAP_SIZE, dtype=tf.float32)
    cols, rows = grid[None, None, :, None], grid[None, :, None, None]
    half = (HEATMAP_KERNEL - 1) // 2
    window = tf.cast((tf.abs(cols - centre[:, None, None, :, 0]) <= half)
                     & (tf.abs(rows - centre[:, None, None, :, 1]) <= half), tf.float32)
    conf = tf.sigmoid(heatmap[..., :NUM_BODY]) * window  # (B, 64, 64, 33)
    total = tf.reduce_sum(conf, axis=(1, 2)) + 1e-6
    x = tf.reduce_sum(conf * cols, axis=(1, 2)) / total
    y = tf.reduce_sum(conf * rows, axis=(1, 2)) / total
    return tf.stack([x, y], axis=-1) * (INPUT_SIZE / HEATMAP_SIZE)


#: The heatmap target at a label: a Gaussian of this peak and width (cells), the shape of
#: the original model's own peaks; scored over the window of this half-width around it.
HEATMAP_PEAK, HEATMAP_SIGMA, HEATMAP_WINDOW = 0.75, 1.5, 6


def _heatmap_loss(logits: tf.Tensor, points: tf.Tensor) -> tf.Tensor:
    """(B, 33) cross-entropy of heatmap ``logits`` (B, 64, 64, 33) against a Gaussian at
    ``points`` (B, 33, 2 crop pixels), averaged over the window around each point."""
    cells = points / INPUT_SIZE * HEATMAP_SIZE
    grid = tf.range(HEATMAP_SIZE, dtype=tf.float32)
    dx = grid[None, None, :, None] - cells[:, None, None, :, 0]
    dy = grid[None, :, None, None] - cells[:, None, None, :, 1]
    target = HEATMAP_PEAK * tf.exp(-(dx**2 + dy**2) / (2 * HEATMAP_SIGMA**2))
    window = tf.cast((tf.abs(dx) <= HEATMAP_WINDOW) & (tf.abs(dy) <= HEATMAP_WINDOW), tf.float32)
    bce = tf.nn.sigmoid_cross_entropy_with_logits(labels=target, logits=logits)
    return tf.reduce_sum(bce * window, axis=(1, 2)) / tf.maximum(
        tf.reduce_sum(window, axis=(1, 2)), 1.0)


def finetune_loss(student: dict, teacher: dict, points: tf.Tensor, labelled: tf.Tensor,
                  weights: LossWeights = LossWeights()) -> dict[str, tf.Tensor]:  # noqa: B008
    """The loss terms and their weighted ``total`` (scalars)."""
    points = tf.cast(points, tf.float32)
    s = tf.reshape(student["landmarks"], (-1, NUM_LANDMARKS, 5))
    t = tf.reshape(teacher["landmarks"], (-1, NUM_LANDMARKS, 5))
    lab33 = tf.cast(labelled, tf.bool)  # (B, 33)
    if OUTLIER_FRACTION is not None:
        # A label far from where the original model reads the joint (on either side) is a
        # mislabel or a misread limb: trained on, it pulls every channel toward a place
        # across the body. Such joints are kept as the original model read them instead.
        near = tf.minimum(
            tf.norm(t[:, :NUM_BODY, :2] - points, axis=-1),
            tf.norm(t[:, :NUM_BODY, :2] - tf.gather(points, _OTHER_SIDE, axis=1), axis=-1))
        lab33 = tf.logical_and(lab33, near < OUTLIER_FRACTION * INPUT_SIZE)
    lab39 = tf.concat([lab33, tf.zeros_like(lab33[:, : NUM_LANDMARKS - NUM_BODY])], axis=1)
    regressed = s[:, :NUM_BODY, :2]
    refined = refined_points(student["landmarks"], student["heatmap"])

    def costs(target: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:  # (B, 33) each
        return (tf.reduce_sum(_huber((regressed - target) / INPUT_SIZE), axis=-1),
                tf.reduce_sum(_huber((refined - target) / INPUT_SIZE), axis=-1))

    xy_as, ref_as = costs(points)
    xy_sw, ref_sw = costs(tf.gather(points, _OTHER_SIDE, axis=1))
    both = tf.logical_and(lab33, tf.gather(lab33, _OTHER_SIDE, axis=1))
    pair_as, pair_sw = xy_as + ref_as, xy_sw + ref_sw
    swap = tf.stop_gradient(tf.logical_and(
        both, pair_sw + tf.gather(pair_sw, _OTHER_SIDE, axis=1)
        < pair_as + tf.gather(pair_as, _OTHER_SIDE, axis=1)))
    terms = {"labelled_xy": _masked_mean(tf.where(swap, xy_sw, xy_as), lab33),
             "labelled_refined": _masked_mean(tf.where(swap, ref_sw, ref_as), lab33)}
    target = tf.where(swap[..., None], tf.gather(points, _OTHER_SIDE, axis=1), points)
    terms["labelled_heatmap"] = _masked_mean(
        _heatmap_loss(student["heatmap"][..., :NUM_BODY], target), lab33)
    other = tf.logical_not(lab39)
    # Squared errors: small departures cost little, so the labelled joints can move the
    # shared layers (an absolute error would resist any first step at full strength).
    terms["distill_xy"] = _masked_mean(
        tf.reduce_sum(tf.square((s[..., :2] - t[..., :2]) / DISTILL_SCALE_PX), axis=-1), other)
    terms["distill_z"] = tf.reduce_mean(tf.square((s[..., 2] - t[..., 2]) / DISTILL_SCALE_PX))
    terms["distill_scores"] = tf.reduce_mean(
        tf.square(tf.sigmoid(s[..., 3:5]) - tf.sigmoid(t[..., 3:5])))
    bce = tf.nn.sigmoid_cross_entropy_with_logits
    heat_t = tf.sigmoid(teacher["heatmap"])
    # Cross-entropy less the teacher's own: zero when the heatmaps agree.
    heat_other = tf.reduce_mean(bce(labels=heat_t, logits=student["heatmap"])
                                - bce(labels=heat_t, logits=teacher["heatmap"]), axis=(1, 2))
    terms["distill_heatmap"] = _masked_mean(heat_other, other)
    terms["distill_world"] = tf.reduce_mean(
        tf.square((student["world"] - teacher["world"]) / DISTILL_SCALE_M))
    flag_s = tf.clip_by_value(student["flag"], 1e-6, 1 - 1e-6)
    flag_t = tf.clip_by_value(teacher["flag"], 1e-6, 1 - 1e-6)
    terms["distill_flag"] = tf.reduce_mean(
        flag_t * tf.math.log(flag_t / flag_s)
        + (1 - flag_t) * tf.math.log((1 - flag_t) / (1 - flag_s)))
    terms["total"] = tf.add_n([getattr(weights, k) * v for k, v in terms.items()])
    return terms
