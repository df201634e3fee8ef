"""A coach's manual left/right swaps: kept in the store beside the poses, applied to the
metrics, undone, and marked in the exports."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from analysis.correction_store import CorrectionInfo
from analysis.corrections import apply_corrections, side_mark
from analysis.errors import AnalysisError
from analysis.export import angles_table, csv_text, export_clip, keypoints_table
from analysis.pipeline import PipelineSettings
from analysis.repetitions import RepSettings
from analysis.store import Store, TrackPoses, TrackResult
from analysis.track import analyse_track
from estimator.keypoints import KEYPOINT_INDEX as K
from estimator.keypoints import KEYPOINT_NAMES
from tests.analysis.store_fixtures import FPS, analysed, squat_poses

RIGHT = [i for n, i in K.items() if n.startswith("right_") or n == "mouth_right"]
LEFT = [K[n.replace("right", "left")] for n in K if n.startswith("right_") or n == "mouth_right"]
LEG_PARTS = ("knee", "ankle", "heel", "foot_index")
ARM_PARTS = ("elbow", "wrist", "pinky", "index", "thumb")
BODY_PARTS = ("eye_inner", "eye", "eye_outer", "ear", "shoulder", "hip")
TOL_DEG = 0.1  # stored poses are in fixed point (0.01 px): angles agree to 0.02° or so


def lopsided_poses(track_id: int, n_frames: int, first_frame: int = 0) -> TrackPoses:
    """A squatter whose left side goes down to 90° of knee flexion, the right to 40°,
    so that left and right angles are told apart at a glance."""
    deep = squat_poses(track_id, n_frames, first_frame=first_frame, seed=track_id,
                       depth_deg=90.0)
    shallow = squat_poses(track_id, n_frames, first_frame=first_frame, seed=track_id,
                          depth_deg=40.0)
    keypoints, world = deep.keypoints.copy(), deep.world.copy()
    keypoints[:, RIGHT] = shallow.keypoints[:, RIGHT]
    world[:, RIGHT] = shallow.world[:, RIGHT]
    return dataclasses.replace(deep, keypoints=keypoints, world=world)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(f"sqlite:///{tmp_path / 'posture.db'}") as s:
        yield s


def add_clip(store: Store, *results: TrackResult, settings: dict | None = None,
             sha: str = "c") -> int:
    athlete = store.get_or_create_athlete("Anna Lee")
    session = store.get_or_create_session(athlete.id, "Squats", dt.date(2024, 5, 1))
    clip, _ = store.register_clip(
        session.id, file_name="squat.mp4", stored_path="/clips/squat.mp4", sha256=sha * 64,
        kind="video", fps=FPS, width=1280, height=720, frame_count=300, duration_s=10.0,
        settings=settings if settings is not None else {},
    )
    store.write_clip_results(clip.id, list(results), athlete_track=0)
    return clip.id


def late_person() -> TrackResult:
    """Person 1, squatting in clip frames 200-299."""
    return analysed(squat_poses(1, 100, first_frame=200))


@pytest.fixture
def clip(store: Store) -> int:
    """Person 0 in clip frames 0-299 (lopsided squats), person 1 in frames 200-299."""
    return add_clip(store, analysed(lopsided_poses(0, 300)), late_person())


def raw_angles(store: Store, clip_id: int, track_id: int = 0):
    return store.read_angles(clip_id, track_id, cleaned=False).set_index("frame")


def swap(track_id: int, first: int, last: int, groups: tuple[str, ...], *, cid: int = 1,
         undone: bool = False) -> CorrectionInfo:
    return CorrectionInfo(
        id=cid, clip_id=1, track_id=track_id, kind="swap_sides", first_frame=first,
        last_frame=last, groups=groups, created_at=dt.datetime(2024, 5, 1),
        undone_at=dt.datetime(2024, 5, 2) if undone else None,
    )


def pair(side: str, part: str) -> int:
    return K[f"{side}_{part}"]


# ------------------------------------------------------------------------------- the store


def test_a_correction_is_kept_with_who_and_when_and_read_back_after_reopening(
    store: Store, clip: int
) -> None:
    made = store.add_swap_correction(clip, 0, 100, 150, ["legs"], created_by="  Coach \n Kim ")
    assert (made.clip_id, made.track_id, made.kind) == (clip, 0, "swap_sides")
    assert (made.first_frame, made.last_frame, made.groups, made.mask) == (100, 150, ("legs",), 4)
    assert made.created_by == "Coach Kim" and made.active and made.undone_at is None
    assert made.describe() == "Left and right swapped (legs) in frames 100–150"
    second = store.add_swap_correction(clip, 1, 250, 250, ("body", "arms", "legs"))
    assert second.created_by == "" and second.describe().endswith("(whole body) in frame 250")

    with Store(store.url) as reopened:
        assert reopened.list_corrections(clip) == [made, second]
        assert reopened.list_corrections(clip, 1) == [second]
        reopened.undo_correction(made.id)
        assert reopened.list_corrections(clip, active_only=True) == [second]
        kept = reopened.list_corrections(clip)[0]
        assert kept.id == made.id and kept.undone_at is not None and not kept.active


def test_the_stored_poses_are_never_rewritten(store: Store, clip: int) -> None:
    before = store.read_poses(clip)
    store.add_swap_correction(clip, 0, 100, 150, ["legs"])
    store.undo_correction(store.add_swap_correction(clip, 1, 210, 220, ["arms"]).id)
    after = store.read_poses(clip)
    assert after.equals(before)


def test_an_existing_database_gets_the_corrections_table_on_open(
    tmp_path: Path, store: Store, clip: int
) -> None:
    path = tmp_path / "posture.db"
    store.close()
    with sqlite3.connect(path) as db:  # a database made before corrections existed
        db.execute("DROP TABLE corrections")
    with Store(f"sqlite:///{path}") as reopened:
        assert reopened.list_corrections(clip) == []
        assert reopened.add_swap_correction(clip, 0, 1, 2, "legs").id == 1


def test_deleting_a_clip_deletes_its_corrections(tmp_path: Path, store: Store, clip: int) -> None:
    store.add_swap_correction(clip, 0, 100, 150, "legs")
    other = add_clip(store, analysed(squat_poses(0, 60)), sha="d")
    store.add_swap_correction(other, 0, 1, 2, "arms")
    store.delete_clip(clip)
    with sqlite3.connect(tmp_path / "posture.db") as db:
        assert db.execute("SELECT clip_id FROM corrections").fetchall() == [(other,)]


@pytest.mark.parametrize(
    ("clip_id", "track_id", "first", "last", "groups", "message"),
    [
        (99, 0, 1, 2, ["legs"], "No clip 99 in the database."),
        (None, 7, 1, 2, ["legs"], "has no person with track id 7."),
        (None, 0, 20, 10, ["legs"], r"The first frame \(20\) comes after the last one \(10\)."),
        (None, 1, 150, 210, ["legs"], "Frames 150–210 are not all within frames 200–299, "),
        (None, 0, 290, 300, ["legs"], "Frames 290–300 are not all within frames 0–299, "),
        (None, 0, 1, 2, [], "Choose what to swap: the whole body, the arms or the legs."),
        (None, 0, 1, 2, ["head"], "Unknown part 'head' to swap; choose body, arms or legs."),
        (None, 0, 10.5, 20, ["legs"], "The first frame must be a whole number, not 10.5."),
    ],
)
def test_a_wrong_correction_is_one_line_and_changes_nothing(
    store: Store, clip: int, clip_id, track_id, first, last, groups, message
) -> None:
    before = raw_angles(store, clip)
    finished = store.get_clip(clip).finished_at
    with pytest.raises(AnalysisError, match=message) as caught:
        store.add_swap_correction(clip_id or clip, track_id, first, last, groups)
    assert "\n" not in str(caught.value)
    assert store.list_corrections(clip) == []
    assert raw_angles(store, clip).equals(before)
    assert store.get_clip(clip).finished_at == finished


def test_a_name_of_more_than_200_characters_is_refused(store: Store, clip: int) -> None:
    with pytest.raises(AnalysisError, match="longer than 200 characters"):
        store.add_swap_correction(clip, 0, 1, 2, "legs", created_by="x" * 201)


def test_undoing_twice_changes_nothing_the_second_time(store: Store, clip: int) -> None:
    made = store.add_swap_correction(clip, 0, 100, 150, "legs")
    first = store.undo_correction(made.id)
    angles = raw_angles(store, clip)
    finished = store.get_clip(clip).finished_at
    second = store.undo_correction(made.id)
    assert second == first and second.undone_at is not None
    assert raw_angles(store, clip).equals(angles)
    assert store.get_clip(clip).finished_at == finished
    with pytest.raises(AnalysisError, match="No correction 42 in the database."):
        store.undo_correction(42)


# ------------------------------------------------------------------- applying, pure function


def test_apply_exchanges_exactly_the_frames_and_groups_asked() -> None:
    poses = lopsided_poses(0, 40, first_frame=100)
    out = apply_corrections(poses, [swap(0, 110, 119, ("legs",))])
    inside = (poses.frames >= 110) & (poses.frames <= 119)
    assert out.manual.tolist() == [4 if i else 0 for i in inside]
    for coords in ("keypoints", "world"):
        got, was = getattr(out.poses, coords), getattr(poses, coords)
        np.testing.assert_array_equal(got[~inside], was[~inside])
        for part in LEG_PARTS:
            np.testing.assert_array_equal(got[inside, pair("left", part)],
                                          was[inside, pair("right", part)])
            np.testing.assert_array_equal(got[inside, pair("right", part)],
                                          was[inside, pair("left", part)])
        for part in ARM_PARTS + BODY_PARTS:
            for side in ("left", "right"):
                np.testing.assert_array_equal(got[:, pair(side, part)], was[:, pair(side, part)])
    # the input is left as it was; times, presence and the estimator's marks too
    assert not np.shares_memory(out.poses.keypoints, poses.keypoints)
    np.testing.assert_array_equal(out.poses.sides_swapped, poses.sides_swapped)
    np.testing.assert_array_equal(out.poses.frames, poses.frames)


def test_whole_body_exchanges_every_left_right_pair_and_keeps_the_nose() -> None:
    poses = lopsided_poses(0, 10)
    out = apply_corrections(poses, [swap(0, 3, 3, ("body", "arms", "legs"))])
    assert out.manual.tolist() == [0, 0, 0, 7, 0, 0, 0, 0, 0, 0]
    np.testing.assert_array_equal(out.poses.keypoints[3, LEFT], poses.keypoints[3, RIGHT])
    np.testing.assert_array_equal(out.poses.keypoints[3, RIGHT], poses.keypoints[3, LEFT])
    np.testing.assert_array_equal(out.poses.keypoints[3, K["nose"]], poses.keypoints[3, K["nose"]])


def test_a_double_swap_is_the_identity_and_overlaps_toggle() -> None:
    poses = lopsided_poses(0, 30)
    same = apply_corrections(poses, [swap(0, 5, 9, ("arms",)), swap(0, 5, 9, ("arms",), cid=2)])
    assert not same.manual.any()
    np.testing.assert_array_equal(same.poses.keypoints, poses.keypoints)
    np.testing.assert_array_equal(same.poses.world, poses.world)

    overlap = apply_corrections(poses, [swap(0, 10, 20, ("legs",)),
                                        swap(0, 15, 25, ("legs", "arms"), cid=2)])
    expected = np.zeros(30, dtype=int)
    expected[10:15], expected[15:21], expected[21:26] = 4, 2, 6
    assert overlap.manual.tolist() == expected.tolist()
    knee = overlap.poses.keypoints[:, pair("left", "knee")]
    np.testing.assert_array_equal(knee[10:15], poses.keypoints[10:15, pair("right", "knee")])
    np.testing.assert_array_equal(knee[15:21], poses.keypoints[15:21, pair("left", "knee")])
    np.testing.assert_array_equal(knee[21:26], poses.keypoints[21:26, pair("right", "knee")])


def test_undone_corrections_and_other_peoples_are_ignored() -> None:
    poses = lopsided_poses(3, 20)
    out = apply_corrections(poses, [swap(3, 0, 19, ("legs",), undone=True),
                                    swap(4, 0, 19, ("arms",), cid=2)])
    assert out.poses is poses and not out.manual.any()


# ------------------------------------------------------------------------ recomputed metrics


def test_a_swap_exchanges_the_left_and_right_metrics_on_those_frames_and_undo_restores(
    store: Store, clip: int
) -> None:
    raw0 = raw_angles(store, clip)
    clean0 = store.read_angles(clip, 0).set_index("frame")
    sym0 = store.read_symmetry_per_frame(clip, 0).set_index("frame")
    person1 = store.read_angles(clip, 1)
    finished0 = store.get_clip(clip).finished_at

    made = store.add_swap_correction(clip, 0, 100, 150, ("body", "arms", "legs"))
    raw1 = raw_angles(store, clip)
    inside = raw0.index[(raw0.index >= 100) & (raw0.index <= 150)]
    outside = raw0.index.difference(inside)
    # as measured: left and right exchanged exactly on frames 100-150, untouched elsewhere
    for joint in ("knee", "hip", "elbow", "knee_3d"):
        left, right = f"left_{joint}", f"right_{joint}"
        np.testing.assert_allclose(raw1.loc[inside, left], raw0.loc[inside, right], atol=TOL_DEG)
        np.testing.assert_allclose(raw1.loc[inside, right], raw0.loc[inside, left], atol=TOL_DEG)
        np.testing.assert_allclose(raw1.loc[outside, left], raw0.loc[outside, left], atol=TOL_DEG)
    assert np.nanmax(np.abs(raw0.loc[inside, "left_knee"] - raw0.loc[inside, "right_knee"])) > 20
    # what has no side stays
    np.testing.assert_allclose(raw1["trunk_lean"], raw0["trunk_lean"], atol=TOL_DEG)
    # cleaned angles and the per-frame symmetry follow, away from the range's edges
    middle = inside[10:-10]
    clean1 = store.read_angles(clip, 0).set_index("frame")
    np.testing.assert_allclose(clean1.loc[middle, "left_knee"], clean0.loc[middle, "right_knee"],
                               atol=0.5)
    sym1 = store.read_symmetry_per_frame(clip, 0).set_index("frame")
    np.testing.assert_allclose(sym1.loc[middle, "knee"], -sym0.loc[middle, "knee"], atol=0.5)
    assert (np.sign(sym1.loc[middle, "knee"]) == -np.sign(sym0.loc[middle, "knee"])).all()
    # the other person is not recomputed; the clip says its results changed
    assert store.read_angles(clip, 1).equals(person1)
    assert store.get_clip(clip).finished_at > finished0

    store.undo_correction(made.id)
    np.testing.assert_allclose(raw_angles(store, clip)["left_knee"], raw0["left_knee"],
                               atol=TOL_DEG)
    clean2 = store.read_angles(clip, 0).set_index("frame")
    np.testing.assert_allclose(clean2["right_knee"], clean0["right_knee"], atol=TOL_DEG)
    sym2 = store.read_symmetry_per_frame(clip, 0).set_index("frame")
    np.testing.assert_allclose(sym2["knee"], sym0["knee"], atol=TOL_DEG)


def test_the_recompute_uses_the_clips_stored_settings(store: Store) -> None:
    settings = PipelineSettings(height_m=1.75).to_dict()
    settings["clean"]["cutoff_hz"] = 3.0
    clip = add_clip(store, analysed(lopsided_poses(0, 300)), late_person(), settings=settings)
    assert store.read_analysis(clip, 0).trajectory_unit == "px"  # analysed without them
    store.add_swap_correction(clip, 0, 100, 150, "arms")
    analysis = store.read_analysis(clip, 0)
    assert analysis.settings["cutoff_hz"] == 3.0
    assert analysis.trajectory_unit == "m"  # the athlete's height, on the athlete's track
    store.add_swap_correction(clip, 1, 220, 230, "arms")
    assert store.read_analysis(clip, 1).trajectory_unit == "px"


def test_the_repetition_angle_the_track_was_analysed_with_is_kept(store: Store) -> None:
    poses = lopsided_poses(0, 300)
    chosen = RepSettings(angle="left_elbow", min_range_deg=5.0)
    analysis = analyse_track(poses.keypoints, poses.world, poses.times, FPS,
                             rep_settings=chosen)
    clip = add_clip(store, TrackResult(poses, analysis))
    store.add_swap_correction(clip, 0, 100, 150, "legs")
    again = store.read_analysis(clip, 0)
    assert again.rep_signal == "left_elbow"
    assert RepSettings.from_dict(again.rep_settings) == chosen


def test_a_failed_recompute_keeps_the_old_metrics_and_no_correction(store: Store) -> None:
    settings = PipelineSettings().to_dict()
    settings["clean"]["cutoff_hz"] = 20.0  # more than half of 30 fps: the filter refuses
    clip = add_clip(store, analysed(lopsided_poses(0, 300)), settings=settings)
    before = store.read_angles(clip, 0)
    with pytest.raises(AnalysisError):
        store.add_swap_correction(clip, 0, 100, 150, "legs")
    assert store.list_corrections(clip) == []
    assert store.read_angles(clip, 0).equals(before)


def test_replacing_a_tracks_metrics_with_the_wrong_length_keeps_the_old_ones(
    store: Store, clip: int
) -> None:
    before = store.read_angles(clip, 0)
    poses = lopsided_poses(0, 120)
    short = analyse_track(poses.keypoints, poses.world, poses.times, FPS)
    with pytest.raises(AnalysisError, match="120 frames, the person's poses 300"):
        store.replace_track_analysis(clip, 0, short)
    assert store.read_angles(clip, 0).equals(before)


# ------------------------------------------------------------------------------- exports


def test_side_marks_name_who_corrected_what() -> None:
    assert side_mark(0, 0) == ""
    assert side_mark(4, 0) == "auto:legs"
    assert side_mark(0, 7) == "manual:body+arms+legs"
    assert side_mark(6, 1) == "auto:arms+legs manual:body"


def test_the_exports_say_which_frames_were_corrected_and_how(
    store: Store, tmp_path: Path
) -> None:
    poses = lopsided_poses(0, 30)
    auto = np.zeros(30, dtype=np.uint8)
    auto[5:10] = 4  # the estimator exchanged the legs on frames 5-9
    poses = dataclasses.replace(poses, sides_swapped=auto)
    clip = add_clip(store, analysed(poses))
    store.add_swap_correction(clip, 0, 8, 12, ("body", "arms", "legs"))
    store.undo_correction(store.add_swap_correction(clip, 0, 20, 22, "arms").id)
    expected = [""] * 30
    expected[5:8] = ["auto:legs"] * 3
    expected[8:10] = ["auto:legs manual:body+arms+legs"] * 2
    expected[10:13] = ["manual:body+arms+legs"] * 3

    angles = angles_table(store, clip)
    assert list(angles.columns[-2:]) == ["sides_corrected", "joints_corrected"]
    assert angles["sides_corrected"].tolist() == expected
    keypoints = keypoints_table(store, clip)
    assert keypoints["sides_corrected"].tolist() == expected
    # the keypoints exported are those the metrics read: frame 10 with sides exchanged
    stored = store.read_poses(clip, 0).set_index("frame")
    assert keypoints.loc[10, "left_knee_x_px"] == pytest.approx(stored.loc[10, "right_knee_x"])
    assert keypoints.loc[10, "right_wrist_y_px"] == pytest.approx(stored.loc[10, "left_wrist_y"])
    assert keypoints.loc[20, "left_wrist_x_px"] == pytest.approx(stored.loc[20, "left_wrist_x"])

    rows = list(csv.reader(export_clip(store, clip, tmp_path / "k.csv", "keypoints").open()))
    expected_header = [f"{n}_{c}" for n in KEYPOINT_NAMES for c in ("x_px", "y_px", "v")]
    assert rows[0] == ["frame", "time_s", "track_id", *expected_header, "sides_corrected",
                       "joints_corrected"]
    assert [r[-2] for r in rows[6:12]] == expected[5:11]
    assert csv_text(angles).splitlines()[9].endswith(",auto:legs manual:body+arms+legs,")
