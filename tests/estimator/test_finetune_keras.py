"""The landmark network rebuilt in Keras computes what the TF Lite file computes.

Issue 9: "show that it reproduces the TFLite outputs (landmarks, heatmap, world
landmarks, presence) on real crops to within 1e-3 of the ROI's size". The crops are
cut from the shared photos around each person the detector finds, as inference cuts
them (the detection's rotated ROI, one warp to 256x256).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from estimator.detector import PoseDetector
from estimator.landmarks import _OUTPUT_SHAPES, INPUT_SIZE, NUM_LANDMARKS
from estimator.roi import roi_from_detection
from estimator.runtime import TFLiteModel
from estimator.weights import model_path

pytest.importorskip("tensorflow", reason="TensorFlow (training only) is not installed")

from estimator.finetune.keras_model import OUTPUT_NAMES, build_keras_model  # noqa: E402
from estimator.finetune.tflite_graph import read_graph  # noqa: E402

MEDIA = Path(__file__).resolve().parents[2].parent / "shared" / "media"
TOLERANCE_PX = 1e-3 * INPUT_SIZE  # crop pixels: 1e-3 of the ROI's side


@pytest.fixture(scope="module")
def real_crops() -> np.ndarray:
    """(N, 256, 256, 3) RGB in [0, 1]: up to two people found in each of four shared photos."""
    photos = [MEDIA / "images" / n for n in ("dance.png", "golf.jpg", "ski.jpg", "soccer.jpg")]
    if not all(p.is_file() for p in photos):
        pytest.skip(f"shared photos not found in {MEDIA / 'images'}")
    detector = PoseDetector()
    crops = []
    for photo in photos:
        image = cv2.imread(str(photo))
        for detection in detector.detect_tiled(image)[:2]:
            crop = roi_from_detection(detection.keypoints).crop(image, INPUT_SIZE)
            crops.append(cv2.cvtColor(crop, cv2.COLOR_BGR2RGB).astype(np.float32) / 255)
    assert len(crops) >= 3
    return np.stack(crops)


def test_the_graph_has_only_the_nine_known_operators_and_float32_weights() -> None:
    graph = read_graph(model_path("pose_landmark_full"))
    kinds = {op.kind for op in graph.operators}
    assert kinds <= {"PAD", "CONV_2D", "DEPTHWISE_CONV_2D", "ADD", "MAX_POOL_2D",
                     "RESIZE_BILINEAR", "RESHAPE", "LOGISTIC"}  # DEQUANTIZE folded away
    conv = next(op for op in graph.operators if op.kind == "CONV_2D")
    assert graph.constants[conv.inputs[1]].dtype == np.float32
    assert [graph.names[i] for i in graph.outputs_in_declared_order()] == [
        "Identity", "Identity_1", "Identity_2", "Identity_3", "Identity_4"]


@pytest.mark.parametrize("model", ["pose_landmark_full", "pose_landmark_heavy"])
def test_keras_rebuild_reproduces_the_tflite_outputs_on_real_crops(
        model: str, real_crops: np.ndarray) -> None:
    keras_model = build_keras_model(model_path(model))
    tflite = TFLiteModel(model_path(model), _OUTPUT_SHAPES, num_threads=2)
    got = keras_model(real_crops)
    for n, crop in enumerate(real_crops):
        want = dict(zip(OUTPUT_NAMES, tflite(crop[None]), strict=True))
        mine = {k: np.asarray(v[n:n + 1]) for k, v in got.items()}
        xy = lambda out: out["landmarks"].reshape(NUM_LANDMARKS, 5)[:, :2]  # noqa: E731
        assert np.abs(xy(mine) - xy(want)).max() < TOLERANCE_PX
        assert np.abs(mine["flag"] - want["flag"]).max() < 1e-4
        assert np.abs(mine["world"] - want["world"]).max() < 1e-3  # metres
        # Heatmap logits: a hundredth of a logit is far below anything refinement notices.
        assert np.abs(mine["heatmap"] - want["heatmap"]).max() < 1e-2


def test_the_rebuilt_model_written_back_to_tflite_runs_in_the_runtime_as_the_original(
        real_crops: np.ndarray, tmp_path: Path) -> None:
    from estimator.finetune.export import DECLARED_NAMES, export_tflite

    written = export_tflite(build_keras_model(model_path("pose_landmark_full")),
                            tmp_path / "round_trip.tflite")
    assert [p.name for p in tmp_path.iterdir()] == ["round_trip.tflite"]  # no part file left
    from ai_edge_litert.interpreter import Interpreter

    outputs = Interpreter(model_path=str(written)).get_output_details()
    assert [o["name"] for o in outputs] == list(DECLARED_NAMES)  # BlazePose's order and names
    original = TFLiteModel(model_path("pose_landmark_full"), _OUTPUT_SHAPES, num_threads=2)
    exported = TFLiteModel(written, _OUTPUT_SHAPES, num_threads=2)  # its shape checks pass
    for crop in real_crops:
        want = dict(zip(OUTPUT_NAMES, original(crop[None]), strict=True))
        got = dict(zip(OUTPUT_NAMES, exported(crop[None]), strict=True))
        xy = lambda out: out["landmarks"].reshape(NUM_LANDMARKS, 5)[:, :2]  # noqa: E731
        assert np.abs(xy(got) - xy(want)).max() < TOLERANCE_PX
        assert np.abs(got["flag"] - want["flag"]).max() < 1e-3
        assert np.abs(got["world"] - want["world"]).max() < 1e-3  # metres
    # the segmentation mask is pruned as for BlazePose's file: what the estimator runs
    pruned = TFLiteModel(written, _OUTPUT_SHAPES, num_threads=2, keep=[0, 1, 3, 4])
    assert len(pruned(real_crops[0][None])) == 4
