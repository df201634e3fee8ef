"""Fine-tuning BlazePose's landmark model on labelled frames (TensorFlow, training only).

``python -m estimator.finetune --labels LABELS.json --out data/models/NAME`` rebuilds the
landmark network in Keras from its TF Lite file (:mod:`.keras_model`), trains it on crops
made as inference makes them (:mod:`.crops`, :mod:`.train`) and exports it back to TF
Lite with a manifest (:mod:`.export`). Importing this package imports no TensorFlow;
the modules that need it import it themselves.
"""
