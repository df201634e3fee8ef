"""Fine-tuning BlazePose's landmark model on labelled frames (TensorFlow, training only).

- :mod:`.labels`: the labels file read and checked (the format of the LSP export and of
  the dashboard's labelled frames);
- :mod:`.tflite_graph`, :mod:`.keras_model`: the landmark network rebuilt in Keras from
  its TF Lite file; :mod:`.adapters`: per-channel adapters that make it trainable;
- :mod:`.crops`, :mod:`.losses`, :mod:`.evaluate`, :mod:`.train`: crops made as inference
  makes them, the loss, validation figures, the training loop (:func:`.train.fine_tune`,
  ``python -m estimator.finetune``);
- :mod:`.export`: a Keras model written back as a TF Lite file the runtime loads like
  BlazePose's, at the same speed; :mod:`.registry`: trained models under the data folder,
  chosen by name (``--model NAME``).

Importing this package imports no TensorFlow; the modules that need it import it
themselves, and inference never does.

Importing this package turns TensorFlow's oneDNN graph rewrites off (``TF_ENABLE_ONEDNN_OPTS=0``
unless the user set it): with them, training the heavy network crashes TensorFlow 2.21
(a general protection fault in a fused convolution, measured here); set before TensorFlow
is imported, so import this package first.
"""

import os

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
