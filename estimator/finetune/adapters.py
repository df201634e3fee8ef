"""Per-channel adapters: how the landmark network is fine-tuned without drifting.

BlazePose's landmark network comes with its batch normalisation folded into
the convolutions: channels carry activations of very different sizes, and a
plain optimiser step on the weights (the same size for every weight) changes
some channels by a hair and others by far too much (measured: Adam drifts the
world landmarks even at lr 1e-6; SGD explodes at 1e-5). The adapters put the
normalisation back in a form that trains well: after each convolution,

    y' = y * (1 + g) + b * s

with ``g`` and ``b`` trained per output channel (zero at the start: the
network is unchanged) and ``s`` the channel's measured scale (root mean
square of its output on real crops, :func:`calibrate`). A step on ``g`` or
``b`` is then a relative change of the channel, the same for every layer.
The convolutions' own weights stay frozen; :func:`fold` writes the trained
adapters back into them, so the exported network is exactly BlazePose's
architecture (same file layout, same speed).

Imports TensorFlow.
"""

from __future__ import annotations

import keras
import numpy as np

#: Smallest channel scale used (a channel that is always ~0 gets this, not 0).
MIN_SCALE = 1e-3


@keras.saving.register_keras_serializable(package="posture")
class ChannelAdapter(keras.layers.Layer):
    """``y * (1 + gain) + shift * scale`` per channel (last axis); ``scale`` is not trained."""

    def build(self, input_shape):
        channels = int(input_shape[-1])
        self.gain = self.add_weight(name="gain", shape=(channels,), initializer="zeros")
        self.shift = self.add_weight(name="shift", shape=(channels,), initializer="zeros")
        self.scale = self.add_weight(name="scale", shape=(channels,), initializer="ones",
                                     trainable=False)

    def call(self, x):
        return x * (1.0 + self.gain) + self.shift * self.scale


def adapter_pairs(model) -> list[tuple[keras.layers.Layer, ChannelAdapter]]:
    """(convolution, its adapter) for every adapted convolution of ``model``."""
    return [(model.get_layer(layer.name.removesuffix("_adapter")), layer)
            for layer in model.layers if isinstance(layer, ChannelAdapter)]


def calibrate(model, images: np.ndarray) -> None:
    """Set every adapter's ``scale`` to its convolution's output RMS per channel on
    ``images`` (N, 256, 256, 3) RGB in [0, 1] (adapters at identity)."""
    pairs = adapter_pairs(model)
    probe = keras.Model(model.input, [conv.output for conv, _ in pairs])
    outputs = probe(images, training=False)
    for (_, adapter), out in zip(pairs, outputs, strict=True):
        rms = np.sqrt(np.mean(np.square(np.asarray(out)), axis=(0, 1, 2)))
        adapter.scale.assign(np.maximum(rms, MIN_SCALE).astype(np.float32))


def fold(adapted, plain) -> None:
    """Write ``adapted``'s trained adapters into ``plain`` (the same network built
    without adapters), convolution by convolution."""
    for conv, adapter in adapter_pairs(adapted):
        gain = 1.0 + adapter.gain.numpy()
        shift = adapter.shift.numpy() * adapter.scale.numpy()
        kernel, bias = conv.get_weights()
        if isinstance(conv, keras.layers.DepthwiseConv2D):  # (kh, kw, in, multiplier)
            kernel = kernel * gain.reshape(kernel.shape[2], kernel.shape[3])
        else:  # (kh, kw, in, out)
            kernel = kernel * gain
        plain.get_layer(conv.name).set_weights([kernel, bias * gain + shift])
