"""The landmark model's graph read out of its TensorFlow Lite file, as plain numpy.

The BlazePose landmark models (full and heavy) use nine operators: PAD,
DEQUANTIZE (float16 weights stored, float32 computed), CONV_2D,
DEPTHWISE_CONV_2D, ADD, MAX_POOL_2D, RESIZE_BILINEAR, RESHAPE and LOGISTIC,
in topological order. :func:`read_graph` returns them with their options and
every constant (weights dequantized to float32), so that
:mod:`estimator.finetune.keras_model` can rebuild the network in Keras. Only
the flatbuffer schema shipped with ``ai-edge-litert`` is used: no TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

#: Operators the rebuild knows; any other makes :func:`read_graph` refuse the file.
SUPPORTED = frozenset({"PAD", "DEQUANTIZE", "CONV_2D", "DEPTHWISE_CONV_2D", "ADD",
                       "MAX_POOL_2D", "RESIZE_BILINEAR", "RESHAPE", "LOGISTIC"})
#: TF Lite tensor types: code -> numpy dtype.
_DTYPES = {0: np.float32, 1: np.float16, 2: np.int32, 3: np.uint8, 4: np.int64, 9: np.int8}
#: TF Lite fused activations: code -> name.
ACTIVATIONS = {0: None, 1: "relu", 3: "relu6"}


class UnsupportedModelError(ValueError):
    """The TF Lite file uses an operator or option the Keras rebuild does not handle."""


@dataclass(frozen=True)
class Operator:
    """One operator: its kind, input and output tensor indices, options (plain dict)."""

    index: int
    kind: str
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    options: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Graph:
    """A TF Lite subgraph: operators in order, tensor names and shapes, constants.

    ``constants`` maps a tensor index to its value (float32 for dequantized
    weights, the stored type otherwise); ``inputs`` and ``outputs`` are tensor
    indices in the file's declared order.
    """

    operators: tuple[Operator, ...]
    names: tuple[str, ...]
    shapes: tuple[tuple[int, ...], ...]
    constants: dict[int, np.ndarray]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]

    def outputs_in_declared_order(self) -> tuple[int, ...]:
        """Output tensor indices ordered ``Identity``, ``Identity_1``, ... (as the runtime)."""
        from estimator.runtime import _output_sort_key

        return tuple(sorted(self.outputs, key=lambda i: _output_sort_key(self.names[i])))


def read_graph(path: str | Path) -> Graph:
    """The first subgraph of a TF Lite model file (see the module's docstring)."""
    from ai_edge_litert import schema_py_generated as schema

    model = schema.ModelT.InitFromObj(
        schema.Model.GetRootAsModel(Path(path).read_bytes(), 0))
    graph = model.subgraphs[0]
    op_names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    codes = [max(c.builtinCode, c.deprecatedBuiltinCode) for c in model.operatorCodes]

    constants: dict[int, np.ndarray] = {}
    for i, tensor in enumerate(graph.tensors):
        data = model.buffers[tensor.buffer].data
        if data is not None and len(data):
            dtype = _DTYPES.get(tensor.type)
            if dtype is None:
                raise UnsupportedModelError(f"tensor {tensor.name!r} has type {tensor.type}")
            shape = tuple(int(s) for s in tensor.shape)
            constants[i] = np.frombuffer(bytes(data), dtype=dtype).reshape(shape)

    operators = []
    for n, op in enumerate(graph.operators):
        kind = op_names[codes[op.opcodeIndex]]
        if kind not in SUPPORTED:
            raise UnsupportedModelError(f"operator {kind} (#{n}) is not supported")
        options = dict(vars(op.builtinOptions)) if op.builtinOptions is not None else {}
        activation = options.get("fusedActivationFunction", 0)
        if activation not in ACTIVATIONS:
            raise UnsupportedModelError(f"fused activation {activation} of {kind} (#{n})")
        inputs, outputs = tuple(int(i) for i in op.inputs), tuple(int(i) for i in op.outputs)
        if kind == "DEQUANTIZE":  # a float16 constant to float32: fold it
            constants[outputs[0]] = constants[inputs[0]].astype(np.float32)
            continue
        operators.append(Operator(n, kind, inputs, outputs, options))

    return Graph(
        operators=tuple(operators),
        names=tuple(t.name.decode() for t in graph.tensors),
        shapes=tuple(tuple(int(s) for s in t.shape) for t in graph.tensors),
        constants=constants,
        inputs=tuple(int(i) for i in graph.inputs),
        outputs=tuple(int(i) for i in graph.outputs),
    )
