"""Labelled frames: the frames a coach corrected joint by joint, listed per athlete and
clip and exported as images plus labels.json in the LSP-extended format, which the
fine-tuning's labels reader takes back as they were written."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from analysis.errors import AnalysisError
from analysis.labelled_frames import export_labels, labelled_frames
from analysis.store import Store
from estimator.finetune.labels import read_labels
from estimator.keypoints import KEYPOINT_INDEX as K
from tests.analysis.store_fixtures import FPS, analysed, squat_poses

WIDTH, HEIGHT, FRAMES = 1920, 1080, 40


def grey_clip(path: Path) -> Path:
    """A real MP4 whose frame i is a flat grey of level 5 * i (so a frame is told by its
    brightness after decoding)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (WIDTH, HEIGHT))
    for i in range(FRAMES):
        writer.write(np.full((HEIGHT, WIDTH, 3), 5 * i, dtype=np.uint8))
    writer.release()
    return path


@pytest.fixture
def store(tmp_path: Path):
    with Store(f"sqlite:///{tmp_path / 'posture.db'}") as s:
        yield s


@pytest.fixture
def clip(store: Store, tmp_path: Path) -> int:
    video = grey_clip(tmp_path / "squat.mp4")
    athlete = store.get_or_create_athlete("Anna =Lee")  # a name a spreadsheet would run
    session = store.get_or_create_session(athlete.id, "Squats", dt.date(2024, 5, 1))
    clip, _ = store.register_clip(
        session.id, file_name="squat.mp4", stored_path=str(video), sha256="e" * 64,
        kind="video", fps=FPS, width=WIDTH, height=HEIGHT, frame_count=FRAMES,
        duration_s=FRAMES / FPS, settings={})
    store.write_clip_results(clip.id, [analysed(squat_poses(0, FRAMES))], athlete_track=0)
    store.set_clip_status(clip.id, "done")
    return clip.id


def test_only_frames_with_a_joint_corrected_are_labelled(store: Store, clip: int) -> None:
    assert labelled_frames(store, clip_id=clip) == []
    store.add_swap_correction(clip, 0, 0, 5, "legs")  # a swap alone labels nothing
    store.add_joint_correction(clip, 0, 12, "left_knee", (900.0, 700.0))
    store.add_joint_correction(clip, 0, 12, "right_wrist", None)
    undone = store.add_joint_correction(clip, 0, 30, "left_ankle", (800.0, 900.0))
    store.undo_correction(undone.id)
    (frame,) = labelled_frames(store, athlete="Anna =Lee")
    assert (frame.clip_id, frame.frame, frame.track_id) == (clip, 12, 0)
    assert frame.joints == ("left_knee", "right_wrist")


def test_the_export_holds_the_right_frame_and_the_corrected_keypoints(
        store: Store, clip: int, tmp_path: Path) -> None:
    store.add_joint_correction(clip, 0, 12, "left_knee", (900.5, 700.25))
    store.add_joint_correction(clip, 0, 12, "right_wrist", None)
    store.add_joint_correction(clip, 0, 33, "left_elbow", (1000.0, 500.0))
    out = tmp_path / "labels.zip"
    data = export_labels(store, labelled_frames(store, clip_id=clip), out)
    assert out.read_bytes() == data and not (tmp_path / "labels.zip.partial").exists()

    folder = tmp_path / "unzipped"
    zipfile.ZipFile(io.BytesIO(data)).extractall(folder)
    labels = json.loads((folder / "labels.json").read_text(encoding="utf-8"))
    assert [r["frame"] for r in labels["records"]] == [12, 33]
    assert labels["records"][0]["athlete"] == "Anna =Lee"  # data, never a file name
    for record in labels["records"]:
        image = cv2.imread(str(folder / record["image"]))
        assert image.shape == (HEIGHT, WIDTH, 3)
        assert abs(float(image.mean()) - 5 * record["frame"]) < 3  # that frame, decoded

    frames = read_labels(folder / "labels.json")  # what fine-tuning reads
    first = frames[0]
    assert first.points[K["left_knee"]].tolist() == [900.5, 700.25]
    assert first.labelled[K["left_knee"]] and not first.labelled[K["right_wrist"]]
    stored = squat_poses(0, FRAMES).keypoints[12]
    hip = K["left_hip"]
    assert first.points[hip] == pytest.approx(stored[hip, :2], abs=0.02)  # untouched: as read


def test_nothing_to_export_or_a_missing_file_is_one_line(
        store: Store, clip: int, tmp_path: Path) -> None:
    with pytest.raises(AnalysisError, match="no labelled frames"):
        export_labels(store, [], tmp_path / "x.zip")
    store.add_joint_correction(clip, 0, 12, "left_knee", (900.0, 700.0))
    Path(store.get_clip(clip).stored_path).unlink()
    with pytest.raises(AnalysisError, match="no longer stored"):
        export_labels(store, labelled_frames(store, clip_id=clip), tmp_path / "x.zip")
    assert not (tmp_path / "x.zip").exists()
