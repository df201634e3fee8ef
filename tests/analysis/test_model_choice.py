"""Choosing the landmark model an analysis reads with: ``--model NAME`` on ``python -m
analysis run`` and ``batch``, recorded with each clip; the batch workers' estimators.

A trained model here is a registered copy of the verified ``pose_landmark_full``
weights under a temporary data folder (``POSTURE_DATA_DIR``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.batch.task import BatchTask, load_models, models_loaded, run_task
from analysis.errors import AnalysisError
from analysis.pipeline import PipelineSettings
from analysis.store import Store
from estimator.finetune import registry
from estimator.finetune.registry import UserModel
from tests.conftest import PROJECT_ROOT
from tests.estimator.test_registry import register_copy


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("data")
    register_copy(registry.models_root(folder), "club-squats")
    return folder


@pytest.fixture(scope="module")
def trained(data_dir: Path) -> UserModel:
    return registry.load("club-squats", registry.models_root(data_dir))


def cli(data_dir: Path, *args: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "POSTURE_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "analysis", *map(str, args)],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          timeout=900)


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: ")
    return line


# ------------------------------------------------------------------------------ settings


def test_the_settings_record_the_model_only_when_it_is_not_the_default():
    assert PipelineSettings().model is None
    assert PipelineSettings().to_dict()["estimator"] == {"max_people": 4}
    chosen = PipelineSettings(max_people=2, model="club-squats")
    assert chosen.to_dict()["estimator"] == {"max_people": 2, "model": "club-squats"}
    assert PipelineSettings.from_dict(chosen.to_dict()) == chosen
    assert PipelineSettings.from_dict({"estimator": {"max_people": 3}}).model is None
    assert PipelineSettings(model="default").model is None  # the verified weights
    with pytest.raises(AnalysisError):
        PipelineSettings(model=3)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ run


@pytest.mark.parametrize("name", ["nosuch", "../x"])
def test_run_with_an_unknown_or_bad_model_is_one_line_and_writes_nothing(
    data_dir: Path, tmp_path: Path, name: str
):
    db = tmp_path / "posture.db"
    result = cli(data_dir, "run", tmp_path / "never-read.mp4", "--athlete", "Anna",
                 "--session", "Walk", "--db", f"sqlite:///{db}", "--model", name)
    line = one_error_line(result)
    assert repr(name) in line
    if name == "nosuch":
        assert line == "error: no trained model named 'nosuch' (trained models: club-squats)"
    assert not db.exists()


def test_run_with_a_model_that_fails_its_checks_is_one_line(tmp_path: Path):
    data = tmp_path / "data"
    model = register_copy(registry.models_root(data), "tampered")
    content = bytearray(model.path.read_bytes())
    content[len(content) // 3] ^= 0xFF
    model.path.write_bytes(bytes(content))
    db = tmp_path / "posture.db"
    result = cli(data, "run", tmp_path / "never-read.mp4", "--athlete", "Anna",
                 "--session", "Walk", "--db", f"sqlite:///{db}", "--model", "tampered")
    assert "model 'tampered'" in one_error_line(result) and "sha256" in result.stderr
    assert not db.exists()


@pytest.mark.media
def test_run_reads_the_clip_with_the_trained_model_and_the_clip_records_it(
    data_dir: Path, trained: UserModel, short_clip: Path, tmp_path: Path
):
    url = f"sqlite:///{tmp_path / 'posture.db'}"
    result = cli(data_dir, "run", short_clip, "--athlete", "Anna", "--session", "Walk",
                 "--max-people", "1", "--db", url, "--model", "club-squats")
    assert result.returncode == 0, result.stderr
    assert "stored clip 1: parkour_2s.mp4 (60 frames, 1 person" in result.stdout
    with Store(url) as store:
        (clip,) = store.list_clips()
        assert clip.status == "done"
        assert clip.settings["estimator"] == {
            "max_people": 1, "model": "club-squats", "model_sha256": trained.sha256}
        assert PipelineSettings.from_dict(clip.settings).model == "club-squats"
        assert store.read_angles(clip.id)["left_knee"].notna().any()


# ------------------------------------------------------------------------------ batch


def test_batch_with_an_unknown_model_is_refused_before_any_file(data_dir: Path,
                                                                tmp_path: Path):
    db = tmp_path / "posture.db"
    result = cli(data_dir, "batch", tmp_path, "--session", "Season",
                 "--db", f"sqlite:///{db}", "--model", "nosuch")
    assert "no trained model named 'nosuch'" in one_error_line(result)
    assert not db.exists()


def test_a_batch_worker_keeps_one_estimator_per_people_limit_and_model(
    data_dir: Path, trained: UserModel, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("POSTURE_DATA_DIR", str(data_dir))
    estimator = load_models(1, "club-squats")
    assert estimator.landmark_model == trained and estimator.max_people == 1
    assert load_models(1, "club-squats") is estimator
    assert 1 in models_loaded()
    with pytest.raises(AnalysisError, match="no trained model named 'nosuch'"):
        load_models(1, "nosuch")


def test_a_batch_file_asking_for_an_unknown_model_fails_in_one_line(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("POSTURE_DATA_DIR", str(data_dir))
    url = f"sqlite:///{tmp_path / 'posture.db'}"
    with Store(url) as store:
        athlete = store.create_athlete("Anna")
        session = store.get_or_create_session(athlete.id, "Season")
    task = BatchTask(0, str(tmp_path / "walk.mp4"), athlete.id, session.id,
                     PipelineSettings(model="nosuch").to_dict(), url, "batch-1")
    result = run_task(task)
    assert result.status == "failed"
    assert "no trained model named 'nosuch' (trained models: club-squats)" in result.message
    assert "\n" not in result.message
