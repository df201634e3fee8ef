"""BlazePose's landmark network rebuilt as a Keras model from its TF Lite file.

Every operator of :func:`estimator.finetune.tflite_graph.read_graph` becomes a
Keras layer holding the same weights (TF Lite's filter layouts transposed to
Keras's), in the same order, so the Keras model computes what the TF Lite
interpreter computes (checked to within 1e-3 of the crop's size on real crops
by ``tests/estimator/test_finetune_keras.py``), and can be written back to TF
Lite (:mod:`estimator.finetune.export`).

Outputs, by name: ``landmarks`` (N, 195) = 39 x (x, y, z, visibility logit,
presence logit) in crop pixels of the 256x256 input; ``flag`` (N, 1) the
pose-presence probability; ``segmentation`` (N, 256, 256, 1) logits;
``heatmap`` (N, 64, 64, 39) logits; ``world`` (N, 117) = 39 x (x, y, z)
metres. Input: (N, 256, 256, 3) RGB in [0, 1].

Imports TensorFlow: used for training only, never on the inference path.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from estimator.finetune.tflite_graph import ACTIVATIONS, Graph, UnsupportedModelError, read_graph

#: Output names in the TF Lite file's declared order (``Identity``, ``Identity_1``, ...).
OUTPUT_NAMES = ("landmarks", "flag", "segmentation", "heatmap", "world")
#: Outputs training uses (the segmentation mask is never used by the product).
TRAINED_OUTPUTS = ("landmarks", "flag", "heatmap", "world")


def _resize_layer(size: tuple[int, int], align_corners: bool, half_pixel: bool, name: str):
    import keras
    import tensorflow as tf

    class ResizeBilinear(keras.layers.Layer):
        """TF Lite's RESIZE_BILINEAR with its corner and half-pixel flags."""

        def call(self, x):
            return tf.raw_ops.ResizeBilinear(images=x, size=size, align_corners=align_corners,
                                             half_pixel_centers=half_pixel)

    return ResizeBilinear(name=name)


def _pad_layer(pads: list[list[int]], name: str):
    import keras
    import tensorflow as tf

    class Pad(keras.layers.Layer):
        """TF Lite's PAD with zeros: height and width, or channels (a residual widened)."""

        def call(self, x):
            return tf.pad(x, pads)

    return Pad(name=name)


def _padding(mode: int) -> str:
    return {0: "same", 1: "valid"}[mode]


def build_keras_model(source: str | Path | Graph, outputs: tuple[str, ...] = OUTPUT_NAMES,
                      adapters: bool = False):
    """A ``keras.Model`` computing ``outputs`` (names of :data:`OUTPUT_NAMES`) as a dict.

    ``source`` is a TF Lite file of the BlazePose landmark model (full or
    heavy) or its already read :class:`Graph`. With ``adapters``, every
    convolution is followed by a :class:`~estimator.finetune.adapters.ChannelAdapter`
    (identity until trained) before its activation, and the convolutions'
    own weights are frozen: see :mod:`estimator.finetune.adapters`.
    """
    import keras

    from estimator.finetune.adapters import ChannelAdapter

    graph = source if isinstance(source, Graph) else read_graph(source)
    (input_index,) = graph.inputs
    inputs = keras.Input(shape=graph.shapes[input_index][1:], name="image")
    values = {input_index: inputs}
    weights: list[tuple[keras.layers.Layer, list[np.ndarray]]] = []

    def const(i: int) -> np.ndarray:
        return graph.constants[i]

    for op in graph.operators:
        o, name = op.options, f"op{op.index}_{op.kind.lower()}"
        act = ACTIVATIONS[o.get("fusedActivationFunction", 0)]
        x = values.get(op.inputs[0])
        if op.kind == "CONV_2D":
            kernel = const(op.inputs[1])  # (out, kh, kw, in)
            layer = keras.layers.Conv2D(
                kernel.shape[0], kernel.shape[1:3], strides=(o["strideH"], o["strideW"]),
                padding=_padding(o["padding"]),
                dilation_rate=(o["dilationHFactor"], o["dilationWFactor"]),
                activation=None if adapters else act, name=name)
            weights.append((layer, [kernel.transpose(1, 2, 3, 0), const(op.inputs[2])]))
        elif op.kind == "DEPTHWISE_CONV_2D":
            kernel = const(op.inputs[1])  # (1, kh, kw, in * multiplier)
            mult = o["depthMultiplier"]
            channels = kernel.shape[3] // mult
            layer = keras.layers.DepthwiseConv2D(
                kernel.shape[1:3], strides=(o["strideH"], o["strideW"]),
                padding=_padding(o["padding"]), depth_multiplier=mult,
                dilation_rate=(o["dilationHFactor"], o["dilationWFactor"]),
                activation=None if adapters else act, name=name)
            weights.append((layer, [kernel[0].reshape(*kernel.shape[1:3], channels, mult),
                                    const(op.inputs[2])]))
        elif op.kind == "ADD":
            if any(i in graph.constants for i in op.inputs):
                raise UnsupportedModelError(f"ADD of a constant (#{op.index})")
            y = keras.layers.Add(name=name)([x, values[op.inputs[1]]])
            values[op.outputs[0]] = keras.layers.Activation(act, name=name + "_act")(y) \
                if act else y
            continue
        elif op.kind == "PAD":
            pads = const(op.inputs[1])
            if pads[0].any():
                raise UnsupportedModelError(f"PAD of the batch dimension (#{op.index})")
            layer = _pad_layer(pads.tolist(), name)
        elif op.kind == "MAX_POOL_2D":
            layer = keras.layers.MaxPooling2D(
                (o["filterHeight"], o["filterWidth"]), strides=(o["strideH"], o["strideW"]),
                padding=_padding(o["padding"]), name=name)
        elif op.kind == "RESIZE_BILINEAR":
            layer = _resize_layer(tuple(int(v) for v in const(op.inputs[1])),
                                  bool(o.get("alignCorners")), bool(o.get("halfPixelCenters")),
                                  name)
        elif op.kind == "RESHAPE":
            layer = keras.layers.Reshape(graph.shapes[op.outputs[0]][1:], name=name)
        elif op.kind == "LOGISTIC":
            layer = keras.layers.Activation("sigmoid", name=name)
        else:  # read_graph refuses anything else
            raise UnsupportedModelError(op.kind)
        y = layer(x)
        if adapters and op.kind in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            layer.trainable = False
            y = ChannelAdapter(name=name + "_adapter")(y)
            if act:
                y = keras.layers.Activation(act, name=name + "_act")(y)
        values[op.outputs[0]] = y

    for layer, arrays in weights:
        layer.set_weights([np.asarray(a, dtype=np.float32) for a in arrays])
    by_name = dict(zip(OUTPUT_NAMES, graph.outputs_in_declared_order(), strict=True))
    name = "blazepose" if isinstance(source, Graph) else Path(source).stem
    return keras.Model(inputs, {n: values[by_name[n]] for n in outputs}, name=name)
