"""A photo in the Clip view (issue 10, defect 8): its angle table says "not visible" where
an angle cannot be measured (never "None"), and the person chooser does not count frames
("in 1 frames") for a photo."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from analysis.pipeline import PipelineSettings, analyse_poses, file_sha256
from analysis.store import Store, TrackResult
from estimator.keypoints import KEYPOINT_INDEX
from tests.dashboard.conftest import squat_poses
from tests.dashboard.test_pages import open_page


def photo_with_a_hidden_elbow(store: Store, folder: Path) -> int:  # noqa: F811
    folder.mkdir(parents=True, exist_ok=True)
    photo = folder / "squat.png"
    cv2.imwrite(str(photo), np.full((240, 320, 3), 120, np.uint8))
    session = store.get_or_create_session(store.get_or_create_athlete("Anna Lee").id, "Photos")
    clip, _ = store.register_clip(
        session.id, file_name=photo.name, stored_path=str(photo), sha256=file_sha256(photo),
        kind="photo", fps=0.0, width=320, height=240, frame_count=1, duration_s=0.0,
        settings={})
    full = squat_poses(30)
    keypoints = full.keypoints[15:16].copy()
    keypoints[0, KEYPOINT_INDEX["left_elbow"], 2] = 0.1  # hidden behind the body
    one = type(full)(0, full.frames[:1], full.times[:1] * 0, full.present[:1], keypoints,
                     full.world[:1], full.scores[:1], full.boxes[:1])
    store.write_clip_results(
        clip.id, [TrackResult(one, analyse_poses(one, "photo", 0.0, PipelineSettings()))])
    return clip.id


def test_an_angle_that_cannot_be_measured_reads_not_visible(store: Store, tmp_path: Path):  # noqa: F811
    photo_with_a_hidden_elbow(store, tmp_path / "photos")
    at = open_page("clip_view")
    assert not at.exception
    table = at.dataframe[0].value
    cells = dict(zip(table["Angle"], table["Angle (°)"], strict=True))
    assert cells["Left elbow"] == "not visible"
    assert cells["Left knee"].endswith("°") and cells["Left knee"][:-1].isdigit()
    assert "None" not in table.to_string()


def test_the_person_chooser_of_a_photo_counts_no_frames(store: Store, tmp_path: Path):  # noqa: F811
    photo_with_a_hidden_elbow(store, tmp_path / "photos")
    at = open_page("clip_view")
    chooser = next(s for s in at.selectbox if s.label == "Athlete is")
    assert chooser.options == ["Person 0"]
