"""Trained landmark models kept under the data folder: registered whole or not at all,
listed, and checked each time one is chosen; every refusal is one line naming the model.

The models are real files: a copy of the verified ``pose_landmark_full.tflite`` stands for
a trained model (same inputs and outputs), ``pose_detection.tflite`` for a file that is
not a landmark model.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from estimator.finetune import registry
from estimator.finetune.registry import ModelError, UserModel
from estimator.weights import model_path
from tests.conftest import PROJECT_ROOT

FULL = model_path("pose_landmark_full")
DETECTOR = model_path("pose_detection")


def manifest(**changes: object) -> dict:
    """What training hands to :func:`registry.register` (the sha256 is computed there)."""
    entry = {
        "base": "pose_landmark_full",
        "labels": {"file": "labels.json", "sha256": "ab" * 32, "frames": 12, "joints": 14},
        "figures": {"before": {"pck@0.2": 0.70, "knee_median_deg": 10.2},
                    "after": {"pck@0.2": 0.78, "knee_median_deg": 8.1}},
        "settings": {"steps": 5, "learning_rate": 1e-4},
    }
    return {**entry, **changes}


def register_copy(root: Path, name: str = "club-squats", **changes: object) -> UserModel:
    """A copy of the verified full landmark model registered as ``name`` under ``root``."""
    return registry.register(root / name, FULL.read_bytes(), manifest(**changes))


def assert_one_line(error: pytest.ExceptionInfo[ModelError], *parts: str) -> str:
    message = str(error.value)
    assert "\n" not in message and "Traceback" not in message
    for part in parts:
        assert part in message, message
    return message


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return registry.models_root(tmp_path / "data")


# ------------------------------------------------------------------------------ where


def test_models_live_under_the_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    assert registry.models_root(tmp_path) == tmp_path / "models"
    monkeypatch.setenv("POSTURE_DATA_DIR", str(tmp_path / "club"))
    assert registry.models_root() == tmp_path / "club" / "models"
    monkeypatch.delenv("POSTURE_DATA_DIR")
    assert registry.models_root() == PROJECT_ROOT / "data" / "models"


# ------------------------------------------------------------------------------ register


def test_a_registered_model_is_its_file_and_manifest_and_is_listed_and_loaded(root: Path):
    content = FULL.read_bytes()
    model = registry.register(root / "club-squats", content,
                              manifest(created="2025-01-31T12:00:00Z"))

    assert model.name == "club-squats" and model.folder == root / "club-squats"
    assert model.path.read_bytes() == content
    assert model.sha256 == hashlib.sha256(content).hexdigest()
    assert model.base == "pose_landmark_full" and model.created == "2025-01-31T12:00:00Z"
    assert model.labels["frames"] == 12
    assert model.figures["after"]["pck@0.2"] == 0.78
    written = json.loads((model.folder / "manifest.json").read_text(encoding="utf-8"))
    assert written == model.to_manifest()
    assert UserModel.from_manifest(model.folder, written) == model
    assert sorted(p.name for p in root.iterdir()) == ["club-squats"]  # no temporary left

    assert registry.list_models(root) == [model]
    assert registry.load("club-squats", root) == model


def test_created_defaults_to_now_in_utc(root: Path):
    model = register_copy(root)
    assert model.created.endswith("Z") and model.created[:2] == "20"


def test_models_are_listed_by_name_and_incomplete_folders_are_left_out(root: Path):
    second = register_copy(root, "b-model")
    first = register_copy(root, "a-model")
    (root / ".c-model.1a2b3c4d.partial").mkdir()  # one being written
    (root / ".c-model.1a2b3c4d.partial" / "manifest.json").write_text(
        json.dumps(first.to_manifest()), encoding="utf-8")
    (root / "no-manifest").mkdir()
    (root / "no-manifest" / "model.tflite").write_bytes(FULL.read_bytes())
    (root / "bad-manifest").mkdir()
    (root / "bad-manifest" / "model.tflite").write_bytes(FULL.read_bytes())
    (root / "bad-manifest" / "manifest.json").write_text("{not json", encoding="utf-8")
    (root / "notes.txt").write_text("a stray file", encoding="utf-8")

    assert [m.name for m in registry.list_models(root)] == ["a-model", "b-model"]
    assert registry.list_models(root)[1] == second
    assert registry.list_models(root.parent / "nowhere") == []


def test_register_refuses_a_name_already_taken_and_keeps_the_first(root: Path):
    first = register_copy(root)
    with pytest.raises(ModelError) as error:
        registry.register(root / "club-squats", DETECTOR.read_bytes(), manifest())
    assert_one_line(error, "'club-squats'", "already exists")
    assert registry.load("club-squats", root) == first
    assert sorted(p.name for p in root.iterdir()) == ["club-squats"]


@pytest.mark.parametrize("content", ["detector", "text", "empty"])
def test_register_refuses_a_file_that_is_not_a_landmark_model_and_writes_nothing(
    root: Path, content: str
):
    data = {"detector": DETECTOR.read_bytes(), "text": b"not a model", "empty": b""}[content]
    with pytest.raises(ModelError) as error:
        registry.register(root / "detector", data, manifest())
    assert_one_line(error, "'detector'", "not a BlazePose landmark model")
    assert list(root.iterdir()) == []


def test_register_refuses_a_base_that_is_not_a_built_in_model(root: Path):
    with pytest.raises(ModelError) as error:
        register_copy(root, base="resnet50")
    assert_one_line(error, "'club-squats'", "'resnet50'", "not a built-in model")
    assert not (root / "club-squats").exists()


@pytest.mark.parametrize("interruption", [KeyboardInterrupt, OSError])
def test_an_interrupted_register_leaves_neither_the_model_nor_its_temporary_folder(
    root: Path, monkeypatch: pytest.MonkeyPatch, interruption: type[BaseException]
):
    """The model file is half written (its flush to disk fails, or Ctrl-C comes) when
    the registration stops: nothing of it stays, not even hidden."""

    def fails(_fd: int) -> None:
        raise interruption()

    monkeypatch.setattr(os, "fsync", fails)
    with pytest.raises(interruption):
        register_copy(root)
    monkeypatch.undo()
    assert list(root.iterdir()) == []
    assert registry.list_models(root) == []
    register_copy(root)  # and the name is still free
    assert [m.name for m in registry.list_models(root)] == ["club-squats"]


# ------------------------------------------------------------------------------ names


@pytest.mark.parametrize("name", ["../x", "pose_landmark_full", "pose_detection", "default",
                                  "", ".hidden", "a/b", "line\nbreak", "x" * 65])
def test_names_that_cannot_name_a_trained_model_are_refused(root: Path, name: str):
    with pytest.raises(ModelError) as error:
        registry.valid_name(name)
    assert_one_line(error, repr(name))
    with pytest.raises(ModelError):
        registry.load(name, root)
    if name and "/" not in name:  # register is given a folder: its last part is the name
        with pytest.raises(ModelError):
            registry.register(root / name, FULL.read_bytes(), manifest())
    assert not root.exists() or list(root.iterdir()) == []


def test_usable_names():
    for name in ("club-squats", "v2.1", "A_b", "x" * 64):
        assert registry.valid_name(name) == name


# ------------------------------------------------------------------------------ load


def test_an_unknown_name_lists_the_trained_models(root: Path):
    with pytest.raises(ModelError) as error:
        registry.load("nosuch", root)
    assert assert_one_line(error) == "no trained model named 'nosuch' (none trained yet)"
    register_copy(root, "club-squats")
    register_copy(root, "aa")
    with pytest.raises(ModelError) as error:
        registry.load("nosuch", root)
    assert (assert_one_line(error)
            == "no trained model named 'nosuch' (trained models: aa, club-squats)")


def test_a_tampered_model_file_is_refused(root: Path):
    model = register_copy(root)
    content = bytearray(model.path.read_bytes())
    content[len(content) // 2] ^= 0xFF
    model.path.write_bytes(bytes(content))
    with pytest.raises(ModelError) as error:
        registry.load("club-squats", root)
    assert_one_line(error, "'club-squats'", "does not match the sha256")


def test_another_models_file_with_a_matching_manifest_is_refused_by_its_outputs(root: Path):
    """The sha256 checks out (the manifest was edited too), but the file is the person
    detector: its outputs are not the landmark model's."""
    model = register_copy(root)
    content = DETECTOR.read_bytes()
    model.path.write_bytes(content)
    edited = {**model.to_manifest(), "sha256": hashlib.sha256(content).hexdigest()}
    (model.folder / "manifest.json").write_text(json.dumps(edited), encoding="utf-8")
    with pytest.raises(ModelError) as error:
        registry.load("club-squats", root)
    message = assert_one_line(error, "'club-squats'", "not a BlazePose landmark model")
    assert "outputs" in message


def test_a_model_whose_file_or_manifest_is_broken_is_refused(root: Path):
    model = register_copy(root)
    model.path.unlink()
    with pytest.raises(ModelError) as error:
        registry.load("club-squats", root)
    assert_one_line(error, "'club-squats'", "model.tflite is missing")
    (model.folder / "manifest.json").write_text("{", encoding="utf-8")
    with pytest.raises(ModelError) as error:
        registry.load("club-squats", root)
    assert_one_line(error, "'club-squats'", "manifest cannot be read")
    (model.folder / "manifest.json").write_text('{"sha256": "xyz"}', encoding="utf-8")
    with pytest.raises(ModelError) as error:
        registry.load("club-squats", root)
    assert_one_line(error, "'club-squats'", "sha256")


def test_resolve_gives_none_for_the_verified_weights(root: Path):
    assert registry.resolve(None, root) is None
    assert registry.resolve("default", root) is None
    assert registry.resolve("", root) is None
    model = register_copy(root)
    assert registry.resolve("club-squats", root) == model


def test_the_registry_imports_no_tensorflow(root: Path):
    """Choosing and checking a model stays on the inference runtime."""
    register_copy(root)
    code = ("import sys; from estimator.finetune import registry; "
            f"registry.load('club-squats', __import__('pathlib').Path({str(root)!r})); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('tensorflow', 'keras')))")
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
