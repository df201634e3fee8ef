"""TensorFlow Lite models run with the LiteRT interpreter (XNNPACK on the CPU).

One :class:`TFLiteModel` per model file, loaded once and reused for every call.
Outputs are looked up by name (``Identity``, ``Identity_1``, ...) and checked
against the shapes the caller expects, so a model whose outputs come in another
order fails loudly instead of being decoded wrongly.

The runtime is kept quiet, so that a user sees only the project's own lines on
stderr: its TensorFlow logging (absl's "All log messages before
absl::InitializeLog()", oneDNN's notice) is limited to errors by
``TF_CPP_MIN_LOG_LEVEL=2``, set before the runtime's library loads (a value the
user set wins), and the "Created TensorFlow Lite XNNPACK delegate" note, which
TF Lite's own logger writes straight to fd 2 whatever that setting, is kept off
stderr while an interpreter is created (:func:`estimator.video.quiet_native_stderr`).
A model that cannot load still raises :class:`ModelWeightsError` with the reason.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

# Before ai_edge_litert's native library is loaded (it is imported lazily, below).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from estimator.errors import ModelWeightsError  # noqa: E402
from estimator.video import quiet_native_stderr  # noqa: E402

#: Threads per interpreter. XNNPACK with 2 threads runs the landmark model about
#: 1.5x faster than with 1 on a 2-core machine; the decoder thread mostly waits
#: on I/O and the GIL-free OpenCV decode, so it rarely competes for long.
DEFAULT_NUM_THREADS = max(1, min(2, os.cpu_count() or 1))


def _output_sort_key(name: str) -> tuple[int, str]:
    """``Identity`` < ``Identity_1`` < ``Identity_2`` ... (the models' declared order)."""
    match = re.search(r"_(\d+)$", name)
    return (int(match.group(1)) if match else 0, name)


def prune_outputs(content: bytes, keep: Sequence[int]) -> bytes:
    """A TF Lite model computing only some of its outputs.

    ``keep`` gives output positions in the declared order (``Identity``,
    ``Identity_1``, ...). Operators that feed none of the kept outputs are
    removed; weights and every kept computation are unchanged, so kept
    outputs are bit-identical. (The landmark model spends a third of its time
    on a 256x256 segmentation mask the estimator does not use.)
    """
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(content, 0))
    graph = model.subgraphs[0]

    def name(index: int) -> str:
        raw = graph.tensors[index].name
        return raw.decode() if isinstance(raw, bytes) else str(raw)

    declared = sorted((int(i) for i in graph.outputs), key=lambda i: _output_sort_key(name(i)))
    kept_outputs = [declared[i] for i in keep]
    producer = {int(o): k for k, op in enumerate(graph.operators) for o in op.outputs}
    needed: set[int] = set()
    stack = list(kept_outputs)
    while stack:
        op_index = producer.get(stack.pop())
        if op_index is not None and op_index not in needed:
            needed.add(op_index)
            stack.extend(int(i) for i in graph.operators[op_index].inputs if i >= 0)
    graph.operators = [op for k, op in enumerate(graph.operators) if k in needed]
    graph.outputs = np.array(kept_outputs, dtype=np.int32)
    builder = flatbuffers.Builder(len(content) + 4096)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


class TFLiteModel:
    """A float32 TF Lite model with one image input, run on the CPU.

    Parameters
    ----------
    path
        The ``.tflite`` file.
    output_shapes
        Expected shape of each output of the file, in the model's declared
        order (``Identity``, ``Identity_1``, ...). Checked once at load time.
    num_threads
        XNNPACK threads; default :data:`DEFAULT_NUM_THREADS`.
    keep
        Positions of the outputs to compute (see :func:`prune_outputs`); all
        when None. Calls return the kept outputs, in declared order.
    """

    def __init__(
        self,
        path: Path | str,
        output_shapes: Sequence[tuple[int, ...]],
        num_threads: int | None = None,
        keep: Sequence[int] | None = None,
    ) -> None:
        with quiet_native_stderr():
            from ai_edge_litert.interpreter import Interpreter

        self.path = Path(path)
        self.num_threads = int(num_threads or DEFAULT_NUM_THREADS)
        expected = [tuple(s) for s in output_shapes]
        if keep is not None:
            expected = [expected[i] for i in keep]
        try:
            content = None if keep is None else prune_outputs(self.path.read_bytes(), keep)
            with quiet_native_stderr():  # the XNNPACK note comes with allocate_tensors
                if content is None:
                    self._interpreter = Interpreter(model_path=str(self.path),
                                                    num_threads=self.num_threads)
                else:
                    self._interpreter = Interpreter(model_content=content,
                                                    num_threads=self.num_threads)
                self._interpreter.allocate_tensors()
        except (ValueError, RuntimeError, IndexError) as exc:
            raise ModelWeightsError(f"cannot load model {self.path.name}: {exc}") from exc
        (inp,) = self._interpreter.get_input_details()
        self._input_index = int(inp["index"])
        self.input_shape: tuple[int, ...] = tuple(int(s) for s in inp["shape"])
        outputs = sorted(self._interpreter.get_output_details(),
                         key=lambda d: _output_sort_key(d["name"]))
        got = [tuple(int(s) for s in d["shape"]) for d in outputs]
        if got != expected:
            raise ModelWeightsError(
                f"model {self.path.name} has outputs {got}, expected {expected}"
            )
        self._output_indices = [int(d["index"]) for d in outputs]

    def __call__(self, tensor: np.ndarray) -> list[np.ndarray]:
        """Run on one input of :attr:`input_shape` (float32); the outputs in declared order.

        The returned arrays are copies, safe to keep after the next call.
        """
        self._interpreter.set_tensor(self._input_index, tensor)
        self._interpreter.invoke()
        return [self._interpreter.get_tensor(i) for i in self._output_indices]
