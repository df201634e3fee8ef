"""The Analyse page's "Landmark model" setting: BlazePose's verified weights first, then
each model trained under the data folder, described by its manifest; the dashboard's
estimators are kept per people limit and model.

Models are registered copies of the verified ``pose_landmark_full`` weights under the
test's own data folder (``POSTURE_DATA_DIR``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analysis.store import Store
from dashboard import live, state
from estimator.finetune import registry
from estimator.finetune.registry import ModelError
from tests.dashboard.server import PROJECT_ROOT
from tests.estimator.test_registry import register_copy

APP = str(PROJECT_ROOT / "streamlit_app.py")
TIMEOUT_S = 60
DEFAULT = "BlazePose (verified, default)"


@pytest.fixture()
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    url = f"sqlite:///{tmp_path / 'posture.db'}"
    monkeypatch.setenv("POSTURE_DB_URL", url)
    monkeypatch.setenv("POSTURE_DATA_DIR", str(tmp_path / "data"))
    Store(url).close()
    return tmp_path / "data"


def model_setting(at: AppTest):
    (chosen,) = [s for s in at.selectbox if s.label == "Landmark model"]
    return chosen


def open_analyse() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S).run()
    assert not at.exception, at.exception
    return at


def test_without_trained_models_only_the_verified_weights_are_offered(data_dir: Path):
    at = open_analyse()
    chosen = model_setting(at)
    assert chosen.options == [DEFAULT]
    assert chosen.value == registry.DEFAULT


def test_trained_models_are_offered_with_what_their_manifest_says(data_dir: Path):
    root = registry.models_root(data_dir)
    register_copy(root, "club-squats")  # 12 frames, PCK 0.70 -> 0.78
    register_copy(root, "a-first-try", labels={"frames": 1}, figures={})
    (root / ".half.1a2b3c4d.partial").mkdir()  # a model being written is not offered
    at = open_analyse()
    chosen = model_setting(at)
    assert chosen.options == [DEFAULT, "a-first-try — trained on 1 frame",
                              "club-squats — trained on 12 frames, PCK 0.70→0.78"]
    assert chosen.value == registry.DEFAULT  # the default stays the default

    chosen.set_value("club-squats").run()
    assert not at.exception, at.exception
    assert model_setting(at).value == "club-squats"
    assert not at.error


def test_a_chosen_model_removed_since_falls_back_to_the_default(data_dir: Path):
    model = register_copy(registry.models_root(data_dir), "club-squats")
    at = open_analyse()
    model_setting(at).set_value("club-squats").run()
    shutil.rmtree(model.folder)
    at.run()
    assert not at.exception, at.exception
    assert model_setting(at).options == [DEFAULT]
    assert model_setting(at).value == registry.DEFAULT


def test_the_dashboards_estimators_are_kept_per_people_limit_and_model(data_dir: Path):
    trained = register_copy(registry.models_root(data_dir), "club-squats")
    estimator = state.get_estimator(1, "club-squats")
    assert estimator.landmark_model.sha256 == trained.sha256
    assert state.get_estimator(1, "club-squats") is estimator
    assert state.get_estimator(1) is not estimator
    assert state.get_estimator(1).landmark_model is None
    live_estimator, lock = live.live_estimator(1, "club-squats")
    assert live_estimator.landmark_model.name == "club-squats"
    assert live.live_estimator(1, "club-squats")[0] is live_estimator
    assert live.live_estimator(1)[0] is not live_estimator
    with pytest.raises(ModelError, match="no trained model named 'nosuch'"):
        state.get_estimator(1, "nosuch")
