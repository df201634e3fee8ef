"""The Clip view's "Train a landmark model" section through Streamlit's AppTest: without
enough labelled frames Start is off and says why; with them, a coach names a model,
starts it, and the frames they corrected in the store reach a real training that ends
with the model registered and its figures shown."""

from __future__ import annotations

import importlib.util
import io
import json
import zipfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analysis.labelled_frames import export_labels, labelled_frames
from analysis.store import Store
from dashboard import training
from dashboard.escape import md, shown
from estimator.finetune.labels import read_labels
from estimator.finetune.registry import list_models, models_root
from tests.dashboard.conftest import make_synthetic_clip
from tests.dashboard.test_pages import open_page

CORRECTED_FRAMES = (10, 20, 30, 40, 50)  # five: the fewest the dashboard trains on
RUN_TIMEOUT_S = 600.0


def correct_knees(store: Store, clip_id: int, frames=CORRECTED_FRAMES) -> None:
    """A coach moves the left knee in each of ``frames`` (a few pixels outwards)."""
    for frame in frames:
        knee = store.read_track_poses(clip_id, 0).keypoints[frame, 25, :2]
        store.add_joint_correction(clip_id, 0, frame, "left_knee",
                                   (float(knee[0]) + 4.0, float(knee[1])), created_by="Coach")


def infos(at: AppTest) -> list[str]:
    return [i.value for i in at.info]


def test_without_enough_labelled_frames_start_is_off_and_says_why(store: Store,
                                                                   tmp_path: Path):
    clip_id = make_synthetic_clip(store, tmp_path / "media")
    at = open_page("clip_view", section="Correct joints")
    start = at.button(key="training_start")
    assert start.disabled
    assert ("Training needs at least 5 labelled frames; there are 0. Correct joints on more "
            "frames first.") in infos(at)

    correct_knees(store, clip_id, frames=(10,))
    at.run()
    assert not at.exception, at.exception
    assert at.button(key="training_start").disabled
    assert any("there is 1." in i for i in infos(at))


def test_with_frames_the_controls_show_and_the_stores_frames_train_a_model(
        store: Store, tmp_path: Path):
    if importlib.util.find_spec("tensorflow") is None:
        pytest.skip("TensorFlow (training only) is not installed")
    clip_id = make_synthetic_clip(store, tmp_path / "media", athlete="Anna *Lee*")
    correct_knees(store, clip_id)

    # What the job will train on: the store's export, read back by fine-tuning's reader.
    frames = labelled_frames(store, athlete="Anna *Lee*")
    assert [f.frame for f in frames] == list(CORRECTED_FRAMES)
    (tmp_path / "zip").mkdir()
    zipfile.ZipFile(io.BytesIO(export_labels(store, frames))).extractall(
        tmp_path / "zip")
    assert len(read_labels(tmp_path / "zip" / "labels.json", splits=None)) == 5

    at = open_page("clip_view", section="Correct joints")
    radio = at.radio(key="training_frames")
    assert radio.options == [md("Anna *Lee*") + "'s labelled frames (5)",
                             "Every athlete's labelled frames"]  # the name as plain text
    assert at.selectbox(key="training_base").options == [
        "Full: fast, the clips' model", "Heavy: the photos' model"]
    steps = at.number_input(key="training_steps")
    assert steps.value == training.DEFAULT_STEPS and steps.min == 10
    assert not at.button(key="training_start").disabled
    assert not any("Training needs" in i for i in infos(at))

    radio.set_value("everyone").run()
    assert "5 labelled frames in all." in [c.value for c in at.caption]

    at.text_input(key="training_name").input("no good/name")
    at.button(key="training_start").click().run()
    assert [shown(e.value) for e in at.error] == [
        "Not started: model name 'no good/name' is not usable: 1 to 64 letters, digits, "
        "'_', '.' or '-', starting with a letter or digit"]
    assert training.current() is None or not training.current().running

    at.text_input(key="training_name").input("squats-1")
    at.number_input(key="training_steps").set_value(10)
    at.button(key="training_start").click().run()
    assert not at.exception, at.exception
    job = training.current()
    assert job is not None and job.name == "squats-1" and job.steps == 10
    data = tmp_path / "data"
    assert job.data == data
    # While it runs: its progress and Cancel, and Start is off (one at a time).
    assert at.button(key="training_cancel").label == "Cancel training"
    assert at.button(key="training_start").disabled
    assert any(c.value.startswith("One training at a time") for c in at.caption)
    job.wait(RUN_TIMEOUT_S)
    assert job.status == "done", job.message

    (model,) = list_models(models_root(data))
    assert model.name == "squats-1" and model.labels["frames"] == 5
    assert job.temp is not None and not job.temp.exists()
    at.run()
    assert not at.exception, at.exception
    assert [shown(s.value) for s in at.success] == [
        "Model squats-1 is trained and registered. Choose it in Analyse › Landmark model."]
    (table,) = [d for d in at.dataframe if "Figure" in d.value.columns]
    assert list(table.value["Figure"]) == [label for _, label, _ in training.FIGURES]
    assert (table.value["Before"] != "–").any()
    manifest = json.loads((model.folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["settings"]["steps"] == 10
