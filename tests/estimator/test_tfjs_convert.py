"""TensorFlow.js graph models converted to TF Lite at set-up: the fused operators
TensorFlow.js writes are undone exactly, float16 weights are widened, and a model file whose
sha256 is wrong is refused before any conversion."""

from __future__ import annotations

import base64
import hashlib
import json

import numpy as np
import pytest

from estimator.errors import ModelWeightsError
from estimator.tfjs_convert import read_weights, to_tflite
from estimator.weights import model_bytes


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _shape(*dims: int) -> dict:
    return {"dim": [{"size": str(d)} for d in dims]}


def _ints(*values: int) -> dict:
    return {"list": {"i": [str(v) for v in values]}}


def _tiny_model() -> tuple[dict, dict[str, np.ndarray]]:
    """A model.json as TensorFlow.js writes one: a fused convolution (bias, Relu6), a fused
    depthwise convolution (bias, Relu) and a slice that adds an axis; weights float16."""
    rng = np.random.default_rng(0)
    weights = {
        "w1": rng.normal(0, 0.5, (3, 3, 3, 4)).astype(np.float16).astype(np.float32),
        "b1": rng.normal(0, 0.5, (4,)).astype(np.float16).astype(np.float32),
        "w2": rng.normal(0, 0.5, (3, 3, 4, 1)).astype(np.float16).astype(np.float32),
        "b2": rng.normal(0, 0.5, (4,)).astype(np.float16).astype(np.float32),
        "begin": np.zeros(5, np.int32), "end": np.zeros(5, np.int32),
        "strides": np.ones(5, np.int32),
    }

    def const(name: str) -> dict:
        dtype = "DT_INT32" if weights[name].dtype == np.int32 else "DT_FLOAT"
        return {"name": name, "op": "Const", "attr": {"dtype": {"type": dtype}, "value": {
            "tensor": {"dtype": dtype, "tensorShape": _shape(*weights[name].shape)}}}}

    conv = {"strides": _ints(1, 1, 1, 1), "padding": {"s": _b64("SAME")},
            "data_format": {"s": _b64("NHWC")}, "dilations": _ints(1, 1, 1, 1),
            "T": {"type": "DT_FLOAT"}, "num_args": {"i": "1"}}
    nodes = [
        {"name": "input", "op": "Placeholder",
         "attr": {"dtype": {"type": "DT_FLOAT"}, "shape": {"shape": _shape(1, 8, 8, 3)}}},
        *(const(n) for n in weights),
        {"name": "conv1", "op": "_FusedConv2D", "input": ["input", "w1", "b1"],
         "attr": {**conv, "explicit_paddings": {"list": {}},
                  "fused_ops": {"list": {"s": [_b64("BiasAdd"), _b64("Relu6")]}}}},
        {"name": "conv2", "op": "FusedDepthwiseConv2dNative", "input": ["conv1", "w2", "b2"],
         "attr": {**conv, "fused_ops": {"list": {"s": [_b64("BiasAdd"), _b64("Relu")]}}}},
        {"name": "slice", "op": "StridedSlice", "input": ["conv2", "begin", "end", "strides"],
         "attr": {"T": {"type": "DT_FLOAT"}, "Index": {"type": "DT_INT32"},
                  "begin_mask": {"i": "15"}, "end_mask": {"i": "15"},
                  "new_axis_mask": {"i": "16"}, "ellipsis_mask": {"i": "0"},
                  "shrink_axis_mask": {"i": "0"}}},
        {"name": "Identity", "op": "Identity", "input": ["slice"],
         "attr": {"T": {"type": "DT_FLOAT"}}},
    ]
    manifest = [{"name": n, "shape": list(a.shape), "dtype": str(a.dtype),
                 **({"quantization": {"dtype": "float16", "original_dtype": "float32"}}
                    if a.dtype == np.float32 else {})} for n, a in weights.items()]
    model = {
        "format": "graph-model", "modelTopology": {"node": nodes},
        "signature": {
            "inputs": {"x": {"name": "input:0", "dtype": "DT_FLOAT",
                             "tensorShape": _shape(1, 8, 8, 3)}},
            "outputs": {"y": {"name": "Identity:0", "dtype": "DT_FLOAT"}}},
        "weightsManifest": [{"paths": ["shard.bin"], "weights": manifest}],
    }
    return model, weights


def _shard(weights: dict[str, np.ndarray]) -> bytes:
    return b"".join(a.astype(np.float16).tobytes() if a.dtype == np.float32 else a.tobytes()
                    for a in weights.values())


def _expected(x: np.ndarray, w: dict[str, np.ndarray]) -> np.ndarray:
    """The same computation written plainly in numpy."""
    def conv(image: np.ndarray, kernel: np.ndarray, depthwise: bool) -> np.ndarray:
        padded = np.pad(image, ((0, 0), (1, 1), (1, 1), (0, 0)))
        out = []
        for i in range(image.shape[1]):
            row = []
            for j in range(image.shape[2]):
                patch = padded[0, i:i + 3, j:j + 3, :]
                row.append((patch * kernel[..., 0]).sum((0, 1)) if depthwise
                           else np.tensordot(patch, kernel, axes=3))
            out.append(row)
        return np.array(out)[None]

    first = np.clip(conv(x, w["w1"], False) + w["b1"], 0, 6)
    return np.maximum(conv(first, w["w2"], True) + w["b2"], 0)[..., None]


def test_float16_weights_are_read_widened_and_a_short_shard_is_refused() -> None:
    model, weights = _tiny_model()
    read = read_weights(model, {"shard.bin": _shard(weights)})
    np.testing.assert_array_equal(read["w1"], weights["w1"])
    assert read["w1"].dtype == np.float32 and read["strides"].dtype == np.int32
    with pytest.raises(ValueError):
        read_weights(model, {"shard.bin": _shard(weights) + b"\0\0"})


def test_the_converted_model_computes_what_the_fused_tensorflow_js_graph_means() -> None:
    from ai_edge_litert.interpreter import Interpreter

    model, weights = _tiny_model()
    content = to_tflite(json.dumps(model).encode(), {"shard.bin": _shard(weights)})
    interpreter = Interpreter(model_content=content)
    interpreter.allocate_tensors()
    (inp,), (out,) = interpreter.get_input_details(), interpreter.get_output_details()
    assert tuple(inp["shape"]) == (1, 8, 8, 3)
    x = np.random.default_rng(1).uniform(-2, 2, (1, 8, 8, 3)).astype(np.float32)
    interpreter.set_tensor(inp["index"], x)
    interpreter.invoke()
    got = interpreter.get_tensor(out["index"])
    assert got.shape == (1, 8, 8, 4, 1)
    np.testing.assert_allclose(got, _expected(x, weights), atol=1e-4)


def test_a_model_file_with_a_wrong_sha256_is_refused_before_conversion() -> None:
    model, weights = _tiny_model()
    files = {"package/m.json": json.dumps(model).encode(), "package/shard.bin": _shard(weights)}
    entry = {"member": "package/m.json", "shards": ["package/shard.bin"],
             "convert": "tfjs_graph_model",
             "member_sha256": {name: hashlib.sha256(data).hexdigest()
                               for name, data in files.items()}}
    entry["member_sha256"]["package/shard.bin"] = "0" * 64
    with pytest.raises(ModelWeightsError, match="shard.bin has sha256"):
        model_bytes(entry, files.__getitem__)
