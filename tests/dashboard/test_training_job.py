"""The dashboard's training job: ``python -m estimator.finetune`` run for real as a child
process on a handful of LSP-extended photos, followed line by line, cancelled, refused.

Each real training takes about 40-60 s on a 2-core machine (TensorFlow's import, the
model built twice, the TF Lite conversion), so only two run to their TensorFlow part here
(one to the end, one cancelled); the failing run stops at the labels, before TensorFlow.
"""

from __future__ import annotations

import importlib.util
import json
import time
from pathlib import Path

import pytest

from dashboard import training
from estimator.finetune.registry import ModelError, list_models, models_root
from tests.dashboard.server import PROJECT_ROOT

LSPET = PROJECT_ROOT.parent / "shared" / "datasets" / "lspet-dev"
RUN_TIMEOUT_S = 600.0  # a loaded 2-core machine; a run normally ends within a minute


@pytest.fixture(scope="module")
def lspet() -> dict:
    """``../shared/datasets/lspet-dev/labels.json``, read; skipped when absent."""
    if not (LSPET / "labels.json").is_file():
        pytest.skip(f"LSP-extended sample not found at {LSPET} (../shared beside the project)")
    if importlib.util.find_spec("tensorflow") is None:
        pytest.skip("TensorFlow (training only) is not installed")
    return json.loads((LSPET / "labels.json").read_text(encoding="utf-8"))


def write_labels(folder: Path, lspet: dict, train: int = 6, val: int = 2,
                 rename: dict[str, str] | None = None) -> Path:
    """A small labels file of ``train`` + ``val`` LSP records, images by absolute path;
    ``rename`` renames joints (to make a bad file)."""
    records = ([r for r in lspet["records"] if r["split"] == "train"][:train]
               + [r for r in lspet["records"] if r["split"] == "val"][:val])
    rename = rename or {}
    out = [{**r, "image": str(LSPET / r["image"]),
            "keypoints": {rename.get(k, k): v for k, v in r["keypoints"].items()}}
           for r in records]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "labels.json"
    path.write_text(json.dumps({"joints": lspet["joints"], "records": out}), encoding="utf-8")
    return path


def leftovers(data: Path) -> list[str]:
    """What is in the models folder (hidden partial folders included)."""
    root = models_root(data)
    return sorted(p.name for p in root.iterdir()) if root.is_dir() else []


def test_a_training_runs_to_a_registered_model_with_its_figures(tmp_path: Path, lspet: dict):
    data = tmp_path / "data"
    labels = write_labels(tmp_path / "labels", lspet)
    job = training.start("club-test", data, labels=labels, steps=4, eval_every=2)
    assert training.current() is job and job.running
    job.wait(RUN_TIMEOUT_S)
    assert not job.running, "the training did not end in time"

    assert job.status == "done", job.message
    (model,) = list_models(models_root(data))
    assert model.name == "club-test" and model.sha256 == job.sha256
    assert model.folder == job.folder and model.labels["frames"] == 8
    assert set(job.figures) == {"before", "after"}
    assert job.figures == model.figures
    assert job.figures["before"]["pck@0.2"] is not None
    assert (job.step, job.total) == (4, 4) and job.validation["frames"] == 2
    rows = training.figures_rows(job.figures)
    assert [r["Figure"] for r in rows][0].startswith("PCK@0.2")
    assert all(r["Before"] != "–" and r["After"] != "–" for r in rows)
    assert leftovers(data) == ["club-test"]  # no hidden partial or logs folder
    assert job.temp is not None and not job.temp.exists()

    # The name is now taken: refused at once, no new job.
    with pytest.raises(ModelError, match="already exists"):
        training.start("club-test", data, labels=labels, steps=4)
    assert training.current() is job


def test_a_cancelled_training_registers_nothing_and_leaves_nothing(tmp_path: Path,
                                                                    lspet: dict):
    data = tmp_path / "data"
    labels = write_labels(tmp_path / "labels", lspet)
    job = training.start("to-cancel", data, labels=labels, steps=200, eval_every=100)
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while job.running and job.step < 1 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert job.status == "training" and job.step >= 1, (job.status, job.message)
    assert training.progress_line(job).startswith(f"step {job.step} of 200 · loss ")

    # One training at a time per server: a second one is refused while this one runs.
    with pytest.raises(training.TrainingRefused, match="already being trained.*'to-cancel'"):
        training.start("another", data, labels=labels, steps=4)
    assert training.current() is job

    job.cancel()
    assert not job.running
    assert job.status == "cancelled" and job.message == "Cancelled: no model was registered."
    assert job.step < 200
    assert list_models(models_root(data)) == []
    assert leftovers(data) == []  # neither the model nor a hidden partial/logs folder
    assert job.temp is not None and not job.temp.exists()


def test_a_bad_or_taken_name_is_refused_before_anything_starts(tmp_path: Path):
    data = tmp_path / "data"
    before = training.current()
    (models_root(data) / "taken").mkdir(parents=True)
    labels = tmp_path / "never-read.json"  # not even written: nothing may start
    refusals = {"../escape": "not usable", "": "not usable", "default": "choose another",
                "pose_landmark_full": "built-in", "taken": "already exists"}
    for name, reason in refusals.items():
        with pytest.raises(ModelError, match=reason):
            training.start(name, data, labels=labels, steps=4)
    with pytest.raises(training.TrainingRefused, match="no labelled frames"):
        training.start("fine", data, steps=4)  # neither a labels file nor frames
    assert training.current() is before  # no job was made, so no process started
    assert leftovers(data) == ["taken"]


def test_a_failing_training_ends_failed_with_the_commands_one_line(tmp_path: Path,
                                                                    lspet: dict):
    data = tmp_path / "data"
    labels = write_labels(tmp_path / "labels", lspet, rename={"left_knee": "left_knees"})
    job = training.start("bad-labels", data, labels=labels, steps=4)
    job.wait(RUN_TIMEOUT_S)
    assert job.status == "failed"
    assert job.message == "labels.json, record 0: unknown joint 'left_knees'"
    assert list_models(models_root(data)) == [] and leftovers(data) == []
    assert job.temp is not None and not job.temp.exists()


def test_the_progress_line_reads_as_the_page_shows_it(tmp_path: Path):
    job = training.TrainingJob(name="x", data=tmp_path, status="training", step=12,
                               total=300, loss=0.8123, seconds_left=540.0,
                               validation={"pck@0.2": 0.781})
    assert training.progress_line(job) == (
        "step 12 of 300 · loss 0.812 · about 9 min left · validation PCK 0.781")
    assert training.fraction(job) == pytest.approx(0.04)
    job.step, job.seconds_left, job.validation = 300, 0.0, None
    assert training.progress_line(job) == "step 300 of 300 · loss 0.812 · writing the model…"
    job.seconds_left, job.step = 20.0, 299
    assert "less than a minute left" in training.progress_line(job)
    assert training.scores_lower({"before": {"pck@0.2": 0.8}, "after": {"pck@0.2": 0.7}})
    assert not training.scores_lower({"before": {"pck@0.2": 0.8}, "after": {"pck@0.2": None}})
