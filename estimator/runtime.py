"""TensorFlow Lite models run with the LiteRT interpreter (XNNPACK on the CPU).

One :class:`TFLiteModel` per model file, loaded once and reused for every call.
Outputs are looked up by name (``Identity``, ``Identity_1``, ...) and checked
against the shapes the caller expects, so a model whose outputs come in another
order fails loudly instead of being decoded wrongly.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from estimator.errors import ModelWeightsError

#: Threads per interpreter. XNNPACK with 2 threads runs the landmark model about
#: 1.5x faster than with 1 on a 2-core machine; the decoder thread mostly waits
#: on I/O and the GIL-free OpenCV decode, so it rarely competes for long.
DEFAULT_NUM_THREADS = max(1, min(2, os.cpu_count() or 1))


def _output_sort_key(name: str) -> tuple[int, str]:
    """``Identity`` < ``Identity_1`` < ``Identity_2`` ... (the models' declared order)."""
    match = re.search(r"_(\d+)$", name)
    return (int(match.group(1)) if match else 0, name)


class TFLiteModel:
    """A float32 TF Lite model with one image input, run on the CPU.

    Parameters
    ----------
    path
        The ``.tflite`` file.
    output_shapes
        Expected shape of each output, in the model's declared order
        (``Identity``, ``Identity_1``, ...). Checked once at load time.
    num_threads
        XNNPACK threads; default :data:`DEFAULT_NUM_THREADS`.
    """

    def __init__(
        self,
        path: Path | str,
        output_shapes: Sequence[tuple[int, ...]],
        num_threads: int | None = None,
    ) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.path = Path(path)
        self.num_threads = int(num_threads or DEFAULT_NUM_THREADS)
        try:
            self._interpreter = Interpreter(model_path=str(self.path), num_threads=self.num_threads)
            self._interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            raise ModelWeightsError(f"cannot load model {self.path.name}: {exc}") from exc
        (inp,) = self._interpreter.get_input_details()
        self._input_index = int(inp["index"])
        self.input_shape: tuple[int, ...] = tuple(int(s) for s in inp["shape"])
        outputs = sorted(self._interpreter.get_output_details(),
                         key=lambda d: _output_sort_key(d["name"]))
        got = [tuple(int(s) for s in d["shape"]) for d in outputs]
        if got != [tuple(s) for s in output_shapes]:
            raise ModelWeightsError(
                f"model {self.path.name} has outputs {got}, expected {list(output_shapes)}"
            )
        self._output_indices = [int(d["index"]) for d in outputs]

    def __call__(
        self, tensor: np.ndarray, outputs: Sequence[int] | None = None
    ) -> list[np.ndarray]:
        """Run on one input of :attr:`input_shape` (float32).

        Returns the outputs in declared order, or only those whose positions
        are given in ``outputs`` (unread outputs cost no copy). The returned
        arrays are copies, safe to keep after the next call.
        """
        self._interpreter.set_tensor(self._input_index, tensor)
        self._interpreter.invoke()
        wanted = range(len(self._output_indices)) if outputs is None else outputs
        return [self._interpreter.get_tensor(self._output_indices[i]) for i in wanted]
