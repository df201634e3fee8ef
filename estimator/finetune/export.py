"""A Keras landmark model written back as a TF Lite file the product's runtime loads.

TensorFlow's converter (``TFLiteConverter.from_keras_model``, weights stored as
float16 like BlazePose's own files) writes the model; its outputs then carry the
converter's names (``StatefulPartitionedCall_1:N``) in an order of its own.
The runtime (:class:`estimator.runtime.TFLiteModel`) reads outputs in BlazePose's
declared order (``Identity``, ``Identity_1``, ...), so the written file's output
tensors are renamed to that order, each recognised by its shape (every output of
the landmark model has a shape of its own). Nothing else in the file changes.

Imports TensorFlow: used for training only, never on the inference path.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from pathlib import Path

from estimator.finetune.keras_model import OUTPUT_NAMES
from estimator.finetune.tflite_graph import UnsupportedModelError

#: The runtime's names of the outputs, in the order of :data:`OUTPUT_NAMES`.
DECLARED_NAMES = ("Identity", "Identity_1", "Identity_2", "Identity_3", "Identity_4")


def convert(model) -> bytes:
    """The TF Lite file of a ``keras.Model`` of :func:`build_keras_model` (every output of
    :data:`OUTPUT_NAMES`), float16 weights, outputs as converted."""
    import tensorflow as tf

    if set(model.output) != set(OUTPUT_NAMES):
        raise UnsupportedModelError(f"the model must give {', '.join(OUTPUT_NAMES)}")
    # The converter saves the model first and prints its whole signature (hundreds of
    # lines) to stdout: not for the user's terminal.
    with contextlib.redirect_stdout(io.StringIO()):
        converter = tf.lite.TFLiteConverter.from_keras_model(model)
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
        return converter.convert()


def name_outputs(content: bytes, shapes: dict[str, tuple[int, ...]]) -> bytes:
    """``content`` (a TF Lite file) with its outputs named and ordered as BlazePose's:
    the output of shape ``shapes[OUTPUT_NAMES[k]]`` becomes ``DECLARED_NAMES[k]``."""
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(content, 0))
    graph = model.subgraphs[0]
    by_shape = {tuple(int(s) for s in graph.tensors[int(i)].shape): int(i)
                for i in graph.outputs}
    ordered = []
    for name, declared in zip(OUTPUT_NAMES, DECLARED_NAMES, strict=True):
        index = by_shape.get(tuple(shapes[name]))
        if index is None:
            raise UnsupportedModelError(
                f"no output of shape {shapes[name]} ({name}) in the converted model")
        graph.tensors[index].name = declared.encode()
        ordered.append(index)
    graph.outputs = ordered
    builder = flatbuffers.Builder(len(content) + 4096)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def export_tflite(model, path: str | os.PathLike[str]) -> Path:
    """Write ``model`` (Keras, see :func:`convert`) to ``path`` as a TF Lite file the
    runtime loads like BlazePose's; written whole or not at all. Returns ``path``."""
    shapes = {name: (1, *tuple(int(d) for d in model.output[name].shape[1:]))
              for name in OUTPUT_NAMES}
    content = name_outputs(convert(model), shapes)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
