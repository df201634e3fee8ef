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
"""
