"""A user's trained landmark model read through the normal estimator, and ``--model NAME``
on ``python -m estimator``.

The trained model is a registered copy of the verified ``pose_landmark_full`` weights:
the same weights through the user-model path must give exactly the poses of the
default path, so any difference is the path's doing (a model not loaded, the wrong one
used, photos still read with "heavy").
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from itertools import islice
from pathlib import Path

import cv2
import numpy as np
import pytest

from estimator import FramePoses, PoseEstimator, iter_frames
from estimator.finetune import registry
from estimator.finetune.registry import UserModel
from tests.conftest import PROJECT_ROOT
from tests.estimator.test_registry import register_copy

#: Frames of parkour_walk.mp4 read (both people are in view from frame 37).
FRAMES = 12
START = 40


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="module")
def trained(data_dir: Path) -> UserModel:
    register_copy(registry.models_root(data_dir), "club-squats")
    return registry.load("club-squats", registry.models_root(data_dir))


@pytest.fixture(scope="module")
def few_frames(parkour_clip: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Frames 40-51 of parkour_walk.mp4 as a clip of their own (both people in view)."""
    path = tmp_path_factory.mktemp("media") / "parkour_12.mp4"
    capture = cv2.VideoCapture(str(parkour_clip))
    fps = capture.get(cv2.CAP_PROP_FPS)
    size = (int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)) // 2,
            int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)) // 2)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    for index in range(START + FRAMES):
        ok, frame = capture.read()
        assert ok
        if index >= START:
            writer.write(cv2.resize(frame, size))
    writer.release()
    capture.release()
    return path


def _estimator(landmark_model: UserModel | None = None, **options: object) -> PoseEstimator:
    # One stream, one thread: the comparison does not depend on which stream read what.
    return PoseEstimator(max_people=2, num_threads=1, parallel=False,
                         landmark_model=landmark_model, **options)


def _poses(frames: list[FramePoses]) -> list[tuple[int, int, np.ndarray]]:
    return [(fp.index, p.track_id, np.asarray(p.keypoints))
            for fp in frames for p in fp.people]


def test_the_estimator_reads_clips_and_photos_with_the_trained_model(trained: UserModel):
    estimator = _estimator(trained)
    assert estimator.landmark_model == trained
    assert estimator.landmarker.model.path == trained.path
    photo_main, photo_worker = estimator._photo_models()
    assert photo_main is estimator.landmarker and photo_worker is None
    default = _estimator()
    assert default.landmark_model is None
    assert default.landmarker.model.path.name == "pose_landmark_full.tflite"
    assert default._photo_models()[0].model.path.name == "pose_landmark_heavy.tflite"


def test_the_trained_models_worker_stream_reads_with_it_too(trained: UserModel):
    estimator = PoseEstimator(max_people=2, num_threads=1, parallel=True,
                              landmark_model=trained)
    if estimator._worker is None:
        pytest.skip("one core: no worker stream")
    assert estimator._worker[1].model.path == trained.path
    assert estimator._photo_models() == (estimator.landmarker, estimator._worker[1])


def test_the_model_description_names_the_trained_model(trained: UserModel):
    described = _estimator(trained).description
    assert "club-squats" in described and trained.sha256[:12] in described
    assert "from pose_landmark_full" in described and "pose_landmark_heavy" not in described
    assert "pose_landmark_heavy for photos" in _estimator().description


@pytest.mark.media
def test_a_clip_read_with_a_copy_of_the_full_weights_gives_the_default_poses(
    trained: UserModel, parkour_clip: Path
):
    def read(estimator: PoseEstimator) -> list[FramePoses]:
        return list(estimator.track(islice(iter_frames(parkour_clip), START, START + FRAMES)))

    theirs, ours = read(_estimator()), read(_estimator(trained))
    assert sum(len(fp.people) for fp in ours) >= FRAMES  # somebody was read
    assert len(_poses(theirs)) == len(_poses(ours))
    for (i, tid, a), (j, uid, b) in zip(_poses(theirs), _poses(ours), strict=True):
        assert (i, tid) == (j, uid)
        np.testing.assert_array_equal(a, b)


@pytest.mark.media
def test_a_photo_read_with_a_copy_of_the_full_weights_gives_the_full_models_poses(
    trained: UserModel, media_dir: Path
):
    """Photos too go through the trained model (not "heavy"): the same people as the
    default estimator told to read photos with "full"."""
    image = cv2.imread(str(media_dir / "images" / "golf.jpg"))
    ours = _estimator(trained).estimate_image(image)
    theirs = _estimator(photo_model="pose_landmark_full").estimate_image(image)
    assert ours and len(ours) == len(theirs)
    for a, b in zip(theirs, ours, strict=True):
        np.testing.assert_array_equal(a.keypoints, b.keypoints)


# ---------------------------------------------------------------- python -m estimator


def run_cli(data_dir: Path, *args: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "POSTURE_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "estimator", *map(str, args)],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          timeout=600)


@pytest.mark.parametrize("name", ["nosuch", "../x", "pose_landmark_heavy"])
def test_cli_an_unknown_or_bad_model_is_one_line_exit_2_and_nothing_written(
    trained: UserModel, data_dir: Path, tmp_path: Path, name: str
):
    photo = PROJECT_ROOT / "tests" / "nothing.jpg"  # never read: the model comes first
    result = run_cli(data_dir, photo, "--out", tmp_path / "out" / "x.json", "--model", name)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    (line,) = [line for line in result.stderr.splitlines() if line.strip()]
    assert line.startswith("error: ") and repr(name) in line
    if name == "nosuch":
        assert line == "error: no trained model named 'nosuch' (trained models: club-squats)"
    assert not (tmp_path / "out").exists()


def test_cli_a_tampered_model_is_refused(trained: UserModel, tmp_path: Path):
    data = tmp_path / "data"
    model = register_copy(registry.models_root(data), "tampered")
    content = bytearray(model.path.read_bytes())
    content[-1] ^= 0xFF
    model.path.write_bytes(bytes(content))
    result = run_cli(data, tmp_path / "x.jpg", "--out", tmp_path / "x.json",
                     "--model", "tampered")
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: model 'tampered'") and "sha256" in line
    assert not (tmp_path / "x.json").exists()


@pytest.mark.media
def test_cli_reads_a_clip_with_the_trained_model_and_says_so(
    trained: UserModel, data_dir: Path, few_frames: Path, tmp_path: Path
):
    out = tmp_path / "poses.json"
    result = run_cli(data_dir, few_frames, "--out", out, "--model", "club-squats",
                     "--max-people", "2")
    assert result.returncode == 0, result.stderr
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written["frame_count"] == FRAMES
    assert "trained landmark model club-squats" in written["model"]
    assert trained.sha256[:12] in written["model"]
    assert sum(len(f["people"]) for f in written["frames"]) >= FRAMES
