"""A coach moves a joint or marks it not visible in one frame: kept beside the poses with
who and when, applied to the metrics at once, undone, and the frame counted as labelled."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from analysis.correction_store import HIDE_JOINT, MOVE_JOINT, CorrectionInfo
from analysis.corrections import apply_corrections
from analysis.errors import AnalysisError
from analysis.store import Store
from estimator.keypoints import KEYPOINT_INDEX as K
from tests.analysis.store_fixtures import FPS, analysed, squat_poses

WIDTH, HEIGHT = 1920, 1080


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(f"sqlite:///{tmp_path / 'posture.db'}") as s:
        yield s


@pytest.fixture
def clip(store: Store) -> int:
    """Person 0 squatting in clip frames 0-99."""
    athlete = store.get_or_create_athlete("Anna Lee")
    session = store.get_or_create_session(athlete.id, "Squats", dt.date(2024, 5, 1))
    clip, _ = store.register_clip(
        session.id, file_name="squat.mp4", stored_path="/clips/squat.mp4", sha256="d" * 64,
        kind="video", fps=FPS, width=WIDTH, height=HEIGHT, frame_count=100, duration_s=100 / FPS,
        settings={},
    )
    store.write_clip_results(clip.id, [analysed(squat_poses(0, 100))], athlete_track=0)
    return clip.id


def knee_angle(store: Store, clip_id: int, frame: int, cleaned: bool = False) -> float:
    angles = store.read_angles(clip_id, 0, cleaned=cleaned).set_index("frame")
    return float(angles.loc[frame, "left_knee"])


def joint(kind: str, frame: int, name: str, x: float = 0.0, y: float = 0.0, *,
          undone: bool = False) -> CorrectionInfo:
    detail = {"joint": name} | ({"x": x, "y": y} if kind == MOVE_JOINT else {})
    return CorrectionInfo(1, 1, 0, kind, frame, frame, (), dt.datetime(2024, 5, 1), "",
                          dt.datetime(2024, 5, 2) if undone else None, detail)


def test_moving_a_joint_sets_it_where_clicked_in_that_frame_only() -> None:
    poses = squat_poses(0, 20)
    out = apply_corrections(poses, [joint(MOVE_JOINT, 7, "left_knee", 400.5, 300.25)])
    assert out.poses.keypoints[7, K["left_knee"]].tolist() == [400.5, 300.25, 1.0]
    assert np.isnan(out.poses.world[7, K["left_knee"]]).all()  # its depth is unknown now
    changed = np.any(out.poses.keypoints != poses.keypoints, axis=(1, 2))
    assert np.flatnonzero(changed).tolist() == [7]
    assert np.flatnonzero(out.joints).tolist() == [7]
    assert poses.keypoints[7, K["left_knee"], 0] != 400.5  # the input is not changed


def test_hiding_a_joint_zeroes_its_visibility_and_undone_ones_are_ignored() -> None:
    poses = squat_poses(0, 20)
    out = apply_corrections(poses, [joint(HIDE_JOINT, 3, "right_wrist"),
                                    joint(HIDE_JOINT, 4, "right_wrist", undone=True)])
    assert out.poses.keypoints[3, K["right_wrist"], 2] == 0.0
    assert out.poses.keypoints[4, K["right_wrist"], 2] == poses.keypoints[4, K["right_wrist"], 2]
    assert np.flatnonzero(out.joints).tolist() == [3]


def test_a_moved_knee_changes_that_frames_knee_angle_and_undo_restores_it(
        store: Store, clip: int) -> None:
    before, neighbour = knee_angle(store, clip, 50), knee_angle(store, clip, 49)
    hip, ankle = (store.read_poses(clip, 0).set_index("frame").loc[50, [f"{n}_{c}" for c in "xy"]]
                  .to_numpy(float) for n in ("left_hip", "left_ankle"))
    # The knee put on the straight line from hip to ankle: a straight leg, 0° of flexion.
    made = store.add_joint_correction(clip, 0, 50, "left_knee", tuple((hip + ankle) / 2),
                                      created_by="Coach Kim")
    assert made.kind == MOVE_JOINT and made.created_by == "Coach Kim"
    assert made.describe().startswith("left knee moved to (")
    assert knee_angle(store, clip, 50) == pytest.approx(0.0, abs=0.5)
    assert before > 5.0
    assert knee_angle(store, clip, 49) == pytest.approx(neighbour, abs=0.05)  # raw: as it was
    store.undo_correction(made.id)
    assert knee_angle(store, clip, 50) == pytest.approx(before, abs=0.05)


def test_a_hidden_knee_is_not_measured_in_that_frame(store: Store, clip: int) -> None:
    store.add_joint_correction(clip, 0, 30, "left_knee", None)
    assert np.isnan(knee_angle(store, clip, 30))
    assert not np.isnan(knee_angle(store, clip, 31))
    (kept,) = store.list_corrections(clip)
    assert kept.kind == HIDE_JOINT and kept.joint == "left_knee"
    assert kept.describe() == "left knee not visible in frame 30"


@pytest.mark.parametrize(("frame", "name", "position", "says"), [
    (30, "left_kneecap", (10, 10), "Unknown joint"),
    (130, "left_knee", (10, 10), "within frames 0–99"),
    (30, "left_knee", (WIDTH + 5, 10), "outside the picture"),
    (30, "left_knee", (float("nan"), 10), "outside the picture"),
    (30, "left_knee", ("left", 10), "number of pixels"),
])
def test_a_wrong_joint_correction_is_one_line_and_keeps_nothing(
        store: Store, clip: int, frame: int, name: str, position, says: str) -> None:
    before = store.read_angles(clip, 0)
    with pytest.raises(AnalysisError, match=says) as caught:
        store.add_joint_correction(clip, 0, frame, name, position)
    assert "\n" not in str(caught.value)
    assert store.list_corrections(clip) == []
    assert store.read_angles(clip, 0).equals(before)


def test_the_exports_name_the_joints_moved_or_hidden_in_each_frame(
        store: Store, clip: int) -> None:
    from analysis.export import angles_table, keypoints_table

    store.add_joint_correction(clip, 0, 12, "left_knee", (900.0, 700.0))
    store.add_joint_correction(clip, 0, 12, "right_wrist", None)
    store.add_joint_correction(clip, 0, 40, "left_ankle", None)
    expected = [""] * 100
    expected[12] = "hidden:right_wrist moved:left_knee"
    expected[40] = "hidden:left_ankle"
    for table in (angles_table(store, clip), keypoints_table(store, clip)):
        assert table.columns[-1] == "joints_corrected"
        assert table.set_index("frame")["joints_corrected"].tolist() == expected
    keypoints = keypoints_table(store, clip).set_index("frame")
    assert keypoints.loc[12, "left_knee_x_px"] == 900.0  # as the metrics read them
    assert keypoints.loc[12, "right_wrist_v"] == 0.0
