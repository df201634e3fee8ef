"""Towards fine-tuning BlazePose's landmark model on labelled frames (TensorFlow, training
only).

What exists: the labels file read and checked (:mod:`.labels`, the format of the LSP
export and of the dashboard's labelled frames), the landmark network rebuilt in Keras from
its TF Lite file (:mod:`.keras_model`, read by :mod:`.tflite_graph`), and a Keras model
written back as a TF Lite file the runtime loads like BlazePose's, at the same speed
(:mod:`.export`). Training itself is not part of the product yet: no approach tried so far
raised the hold-out accuracy (see the project's closing notes). Importing this package
imports no TensorFlow; the modules that need it import it themselves.
"""
