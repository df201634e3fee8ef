"""Fine-tuning the landmark network: what training must guarantee.

Issue 9: "a short fine-tune (a few steps) on a handful of labelled frames that
lowers the training loss and registers a model that then analyses a clip through
the normal pipeline"; "Training interrupted or cancelled: no half model
registered"; a labels file that cannot be used: one clear line, nothing written.

The frames are real labelled sports photos of ``../shared/datasets/lspet-dev``
(its ``train`` split), written into a small labels file at test time.
"""

from __future__ import annotations

import json
import subprocess
import sys
from itertools import islice
from pathlib import Path

import numpy as np
import pytest

from estimator.finetune.crops import NO_AUGMENTATION, batches
from estimator.finetune.labels import read_labels
from estimator.landmarks import refine_from_heatmap
from estimator.weights import model_path

tf = pytest.importorskip("tensorflow", reason="TensorFlow (training only) is not installed")

from estimator.finetune import registry  # noqa: E402
from estimator.finetune.adapters import ChannelAdapter, adapter_pairs, calibrate, fold  # noqa: E402
from estimator.finetune.keras_model import OUTPUT_NAMES, build_keras_model  # noqa: E402
from estimator.finetune.losses import refined_points  # noqa: E402
from estimator.finetune.train import (  # noqa: E402
    TrainingCancelled,
    TrainSettings,
    fine_tune,
    split_validation,
)

PROJECT = Path(__file__).resolve().parents[2]
LSP = PROJECT.parent / "shared" / "datasets" / "lspet-dev"


@pytest.fixture(scope="module")
def labels_file(tmp_path_factory) -> Path:
    """A labels file of 8 real LSP-extended train photos (2 marked ``val``), images by
    absolute path."""
    if not (LSP / "labels.json").is_file():
        pytest.skip(f"labelled photos not found at {LSP} (../shared/datasets/lspet-dev)")
    data = json.loads((LSP / "labels.json").read_text())
    records = [dict(r, image=str(LSP / r["image"])) for r in data["records"]
               if r["split"] == "train"][:8]
    for r in records[6:]:
        r["split"] = "val"
    path = tmp_path_factory.mktemp("labels") / "labels.json"
    path.write_text(json.dumps({"joints": data["joints"], "records": records}))
    return path


@pytest.fixture(scope="module")
def crops(labels_file) -> np.ndarray:
    frames = read_labels(labels_file, splits=None)
    images, _, _ = next(batches(frames, 8, np.random.default_rng(0), NO_AUGMENTATION, False))
    return images


def test_validation_frames_are_the_labels_val_records_and_never_trained_on(labels_file) -> None:
    frames = read_labels(labels_file, splits=None)
    train, val = split_validation(frames, 0.15, 0)
    assert len(train) == 6 and len(val) == 2
    assert all(f.split == "val" for f in val) and all(f.split == "train" for f in train)


def test_without_val_records_a_fixed_share_is_held_out(labels_file) -> None:
    frames = [f for f in read_labels(labels_file, splits=None) if f.split == "train"]
    train, val = split_validation(frames, 0.34, 0)
    assert len(val) == 2 and len(train) == 4
    assert {f.image for f in val}.isdisjoint({f.image for f in train})
    assert split_validation(frames, 0.34, 0)[1] == val  # same seed, same frames


def test_adapters_at_rest_change_nothing(crops) -> None:
    plain = build_keras_model(model_path("pose_landmark_full"), OUTPUT_NAMES)
    adapted = build_keras_model(model_path("pose_landmark_full"), OUTPUT_NAMES, adapters=True)
    calibrate(adapted, crops)
    a, b = plain(crops, training=False), adapted(crops, training=False)
    for name in ("landmarks", "heatmap", "world", "flag"):
        np.testing.assert_allclose(np.asarray(b[name]), np.asarray(a[name]), atol=1e-3)
    # Only the adapters train; every convolution's own weights are frozen.
    assert all(isinstance(layer, ChannelAdapter) or not layer.trainable_weights
               for layer in adapted.layers)


def test_trained_adapters_fold_into_the_plain_network_exactly(crops) -> None:
    adapted = build_keras_model(model_path("pose_landmark_full"), OUTPUT_NAMES, adapters=True)
    calibrate(adapted, crops)
    rng = np.random.default_rng(1)
    for _, adapter in adapter_pairs(adapted):
        n = adapter.gain.shape[0]
        adapter.gain.assign(rng.normal(0, 0.02, n).astype(np.float32))
        adapter.shift.assign(rng.normal(0, 0.02, n).astype(np.float32))
    plain = build_keras_model(model_path("pose_landmark_full"), OUTPUT_NAMES)
    before = np.asarray(plain(crops, training=False)["landmarks"])
    fold(adapted, plain)
    want = adapted(crops, training=False)
    got = plain(crops, training=False)
    # Crop pixels: the folded network computes what the adapted one computes ...
    np.testing.assert_allclose(np.asarray(got["landmarks"]), np.asarray(want["landmarks"]),
                               atol=0.05)
    np.testing.assert_allclose(np.asarray(got["world"]), np.asarray(want["world"]), atol=1e-3)
    # ... and the adapters did change it (the test would pass vacuously otherwise).
    assert np.abs(np.asarray(got["landmarks"]) - before).max() > 0.5


def test_the_refined_position_trained_on_is_the_one_inference_reads(crops) -> None:
    out = build_keras_model(model_path("pose_landmark_full"), OUTPUT_NAMES)(crops)
    landmarks, heatmap = np.asarray(out["landmarks"]), np.asarray(out["heatmap"])
    got = np.asarray(refined_points(tf.constant(landmarks), tf.constant(heatmap)))
    moved_count = 0
    for b in range(len(crops)):
        uv = landmarks[b].reshape(39, 5)[:, :2] / 256
        want = refine_from_heatmap(uv, heatmap[b])[:33] * 256
        # Joints the heatmap is confident about are moved to the weighted mean, as here.
        moved = np.hypot(*(want - uv[:33] * 256).T) > 1e-6
        moved_count += int(moved.sum())
        np.testing.assert_allclose(got[b][moved], want[moved], atol=1e-2)
    assert moved_count >= 0.3 * 33 * len(crops)


def test_a_short_fine_tune_lowers_the_loss_and_registers_a_model_the_pipeline_uses(
        labels_file, tmp_path, short_clip) -> None:
    fits = []
    settings = TrainSettings(steps=40, batch_size=6, learning_rate=1e-3, warmup_steps=8,
                             eval_every=20, patience=5, augmentation=NO_AUGMENTATION)
    model = fine_tune(labels_file, tmp_path / "models" / "club-test", settings,
                      progress=lambda p: fits.append(p.label_loss))
    # The same 6 crops every step: the loss on their labels must come down.
    assert len(fits) == 40
    assert np.mean(fits[-4:]) < 0.75 * np.mean(fits[:4])  # measured: 0.049 vs 0.081
    assert model.name == "club-test" and model.base == "pose_landmark_full"
    assert model.labels["frames"] == 8
    assert {"pck@0.2", "knee_deg_median"} <= set(model.figures["before"])
    assert model.figures["after"]["frames"] == 2
    assert (model.folder / "logs").is_dir() and any((model.folder / "logs").iterdir())

    loaded = registry.load("club-test", tmp_path / "models")
    assert loaded.sha256 == model.sha256
    from estimator import PoseEstimator
    from estimator.video import iter_frames

    estimator = PoseEstimator(max_people=2, landmark_model=loaded)
    results = list(estimator.track(islice(iter_frames(short_clip), 10)))
    estimator.close()
    assert sum(len(r.people) for r in results) >= 10


def test_a_cancelled_training_registers_nothing(labels_file, tmp_path) -> None:
    calls = []

    def stop() -> bool:
        calls.append(1)
        return len(calls) > 2

    with pytest.raises(TrainingCancelled):
        fine_tune(labels_file, tmp_path / "models" / "never", TrainSettings(steps=50),
                  should_stop=stop)
    assert not (tmp_path / "models" / "never").exists()
    assert list((tmp_path / "models").iterdir()) == []  # no hidden partial folder or logs


def test_bad_labels_are_one_line_and_nothing_is_written(tmp_path) -> None:
    bad = tmp_path / "labels.json"
    bad.write_text(json.dumps({"records": [{"image": "x.jpg", "keypoints": {"tail": [1, 2, 1]}}]}))
    out = tmp_path / "models" / "m"
    run = subprocess.run([sys.executable, "-m", "estimator.finetune", "--labels", str(bad),
                          "--out", str(out)], capture_output=True, text=True, cwd=PROJECT,
                         timeout=300)
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == ["error: labels.json, record 0: unknown joint 'tail'"]
    assert not out.exists() and not (tmp_path / "models").exists()
