"""The store keeps what the analysis computed, and only that, whatever happens meanwhile.

Every test that is not about SQLite's own file runs on SQLite and on PostgreSQL
(``db_url``, tests/postgres.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import multiprocessing
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import create_engine, text

from analysis.errors import AnalysisError
from analysis.filtering import CleanSettings
from analysis.store import ClipInfo, Store, TrackResult, side_groups, side_mask
from analysis.track import analyse_track
from tests.analysis.store_fixtures import FPS, analysed, squat_poses

TABLES = ("athletes", "sessions", "clips", "tracks", "poses", "metrics")


def new_clip(store: Store, session_id: int, sha: str = "a", n_frames: int = 300) -> ClipInfo:
    clip, created = store.register_clip(
        session_id,
        file_name=f"{sha}.mp4",
        stored_path=f"/clips/{sha}.mp4",
        sha256=sha * 64 if len(sha) == 1 else sha,
        kind="video",
        fps=FPS,
        width=1280,
        height=720,
        frame_count=n_frames,
        duration_s=n_frames / FPS,
        settings={"clean": CleanSettings().to_dict()},
    )
    assert created
    return clip


def counts(url: str) -> dict[str, int]:
    """Rows in each table, read by a connection of its own."""
    engine = create_engine(url)
    try:
        with engine.connect() as con:
            return {t: con.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                    for t in TABLES}
    finally:
        engine.dispose()


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store(db_url) as s:
        yield s


@pytest.fixture
def session_id(store: Store) -> int:
    athlete = store.create_athlete("Anna Lee", height_m=1.68)
    return store.create_session(athlete.id, "Squats", dt.date(2024, 5, 1), ["legs"]).id


# ------------------------------------------------------------------ round trip


def test_a_track_analysis_reads_back_equal(store: Store, session_id: int) -> None:
    clip = new_clip(store, session_id, n_frames=5000)
    # 5000 frames: several stored chunks; the second person appears at frame 40
    results = [analysed(squat_poses(0, 5000)), analysed(squat_poses(1, 900, first_frame=40))]
    store.write_clip_results(clip.id, results)

    for result in results:
        tid = result.poses.track_id
        back = store.read_analysis(clip.id, tid)
        for field in dataclasses.fields(back):
            want, got = getattr(result.analysis, field.name), getattr(back, field.name)
            if isinstance(want, pd.DataFrame):
                # per-frame tables are kept in float32, 15-bit mantissa: 0.003 deg at 180 deg
                pd.testing.assert_frame_equal(got, want, rtol=2e-5, atol=1e-9)
            elif isinstance(want, pd.Series):
                pd.testing.assert_series_equal(got, want, check_index_type="equiv")
            elif isinstance(want, np.ndarray):
                np.testing.assert_array_equal(got, want)
            elif isinstance(want, float):
                assert got == pytest.approx(want)
            else:  # names, units, settings objects, notes
                assert got == want

        poses = store.read_track_poses(clip.id, tid)
        np.testing.assert_array_equal(poses.frames, result.poses.frames)
        np.testing.assert_array_equal(poses.times, result.poses.times)
        # kept in fixed point: 0.01 px, visibility 0.001, 0.1 mm
        np.testing.assert_allclose(poses.keypoints, result.poses.keypoints, atol=0.0051)
        np.testing.assert_allclose(poses.world, result.poses.world, atol=0.000051)
        np.testing.assert_array_equal(poses.present, result.poses.present)


def test_frames_the_estimator_corrected_left_right_come_back_marked(
    store: Store, session_id: int
) -> None:
    clip = new_clip(store, session_id)
    poses = squat_poses(0, 300)
    marks = np.zeros(300, dtype=np.uint8)
    marks[37] = side_mask(["body", "arms", "legs"])
    marks[67:74] = side_mask(["legs"])
    poses = dataclasses.replace(poses, sides_swapped=marks)
    store.write_clip_results(clip.id, [analysed(poses)])
    back = store.read_track_poses(clip.id, 0)
    np.testing.assert_array_equal(back.sides_swapped, marks)
    assert side_groups(back.sides_swapped[37]) == ("body", "arms", "legs")
    assert side_groups(back.sides_swapped[70]) == ("legs",)
    assert int(store.read_poses(clip.id)["sides_swapped"].astype(int).sum()) == 7 + 4 * 7


def test_angles_come_back_with_frame_and_time_of_the_clip(store: Store, session_id: int) -> None:
    clip = new_clip(store, session_id)
    late = analysed(squat_poses(3, 100, first_frame=200))
    store.write_clip_results(clip.id, [analysed(squat_poses(0, 300)), late])

    angles = store.read_angles(clip.id)
    assert list(angles.columns[:3]) == ["track_id", "frame", "time_s"]
    assert list(angles.columns[3:]) == list(late.analysis.angles.columns)
    assert len(angles) == 400
    track3 = angles[angles["track_id"] == 3]
    assert track3["frame"].tolist() == list(range(200, 300))
    assert track3["time_s"].iloc[0] == pytest.approx(200 / FPS)
    np.testing.assert_allclose(
        track3["left_knee"].to_numpy(), late.analysis.angles["left_knee"].to_numpy(), atol=3e-3
    )
    raw = store.read_angles(clip.id, 3, cleaned=False)
    np.testing.assert_allclose(
        raw["left_knee"].to_numpy(), late.analysis.angles_raw["left_knee"].to_numpy(), atol=3e-3
    )


def test_a_frame_range_reads_only_those_frames(store: Store, session_id: int) -> None:
    clip = new_clip(store, session_id, n_frames=5000)
    store.write_clip_results(clip.id, [analysed(squat_poses(0, 5000))])
    part = store.read_angles(clip.id, 0, frames=(2040, 2060))
    assert part["frame"].tolist() == list(range(2040, 2060))
    poses = store.read_poses(clip.id, 0, frames=(4990, 6000))
    assert poses["frame"].tolist() == list(range(4990, 5000))


def test_the_person_seen_longest_is_the_athlete_until_the_user_chooses(
    store: Store, session_id: int
) -> None:
    clip = new_clip(store, session_id)
    store.write_clip_results(
        clip.id, [analysed(squat_poses(0, 120)), analysed(squat_poses(1, 300))]
    )
    assert store.get_clip(clip.id).athlete_track == 1
    store.set_athlete_track(clip.id, 0)
    assert [t.is_athlete for t in store.get_clip(clip.id).tracks] == [True, False]
    with pytest.raises(AnalysisError, match="no person with track id 7"):
        store.set_athlete_track(clip.id, 7)


# ------------------------------------------------------------------ dedup


def test_the_same_bytes_in_a_session_are_one_clip(store: Store, session_id: int) -> None:
    clip = new_clip(store, session_id, sha="b")
    store.write_clip_results(clip.id, [analysed(squat_poses(0, 60))])
    again, created = store.register_clip(
        session_id, file_name="copy of b.mp4", stored_path="/elsewhere/b.mp4", sha256="b" * 64,
        kind="video", fps=FPS, width=1280, height=720, frame_count=60, duration_s=2.0,
        settings={},
    )
    assert (again.id, created) == (clip.id, False)
    assert again.file_name == "b.mp4"  # the analysed clip, untouched
    # the same bytes in another session are another clip
    other = store.create_session(store.get_athlete("anna lee").id, "Other day")
    assert new_clip(store, other.id, sha="b").id != clip.id


def test_a_failed_clip_is_analysed_again_when_uploaded_again(
    store: Store, session_id: int
) -> None:
    clip = new_clip(store, session_id, sha="c")
    store.set_clip_status(clip.id, "failed", "estimator crashed")
    again = new_clip(store, session_id, sha="c")
    assert again.id == clip.id
    assert (again.status, again.error) == ("pending", None)


# ------------------------------------------------------------------ one transaction per clip


def test_an_error_mid_clip_leaves_no_rows_and_marks_the_clip_failed(
    store: Store, session_id: int, db_url: str
) -> None:
    clip = new_clip(store, session_id)
    before = counts(db_url)

    def results() -> Iterator[TrackResult]:
        yield analysed(squat_poses(0, 300))  # written into the transaction first
        # the second person's analysis fails: a cut-off above Nyquist at this frame rate
        poses = squat_poses(1, 300)
        bad = CleanSettings(cutoff_hz=20.0)
        yield TrackResult(poses, analyse_track(poses.keypoints, poses.world, poses.times, FPS, bad))

    with pytest.raises(AnalysisError) as raised:
        store.write_clip_results(clip.id, results())

    assert counts(db_url) == before
    failed = store.get_clip(clip.id)
    assert failed.status == "failed"
    assert failed.error == str(raised.value)
    assert failed.tracks == ()


def test_results_written_again_replace_the_previous_ones(store: Store, session_id: int) -> None:
    clip = new_clip(store, session_id)
    store.write_clip_results(clip.id, [analysed(squat_poses(0, 100)), analysed(squat_poses(1, 50))])
    store.write_clip_results(clip.id, [analysed(squat_poses(5, 80))])
    assert [t.track_id for t in store.get_clip(clip.id).tracks] == [5]
    assert store.read_angles(clip.id)["track_id"].unique().tolist() == [5]


# ------------------------------------------------------------------ foreign keys, cascades


def test_deleting_a_session_removes_its_clips_and_leaves_the_other_session(
    store: Store, session_id: int, db_url: str
) -> None:
    athlete = store.get_athlete("Anna Lee")
    kept = store.create_session(athlete.id, "Lunges", dt.date(2024, 5, 2))
    doomed_clip = new_clip(store, session_id, sha="d")
    kept_clip = new_clip(store, kept.id, sha="e")
    for clip in (doomed_clip, kept_clip):
        store.write_clip_results(
            clip.id, [analysed(squat_poses(0, 90)), analysed(squat_poses(1, 90))]
        )
    one_clip = {t: n // 2 for t, n in counts(db_url).items() if t in ("tracks", "poses", "metrics")}

    store.delete_session(session_id)

    after = counts(db_url)
    assert after["athletes"] == 1 and after["sessions"] == 1 and after["clips"] == 1
    assert {t: after[t] for t in one_clip} == one_clip
    assert [s.id for s in store.list_sessions(athlete.id)] == [kept.id]
    assert len(store.read_angles(kept_clip.id)) == 180
    with pytest.raises(AnalysisError, match=f"No clip {doomed_clip.id}"):
        store.read_angles(doomed_clip.id)


def test_deleting_a_clip_or_an_athlete_removes_everything_below_it(
    store: Store, session_id: int, db_url: str
) -> None:
    clip = new_clip(store, session_id, sha="f")
    store.write_clip_results(clip.id, [analysed(squat_poses(0, 90))])
    other = store.create_athlete("Ben")
    other_clip = new_clip(store, store.create_session(other.id, "Jumps").id, sha="g")
    store.write_clip_results(other_clip.id, [analysed(squat_poses(0, 90))])
    both = counts(db_url)

    store.delete_clip(clip.id)
    assert store.list_clips(session_id) == []
    store.delete_athlete("anna lee")

    after = counts(db_url)
    assert {t: after[t] for t in ("athletes", "sessions", "clips", "tracks")} == {
        "athletes": 1, "sessions": 1, "clips": 1, "tracks": 1
    }
    # the two clips had the same shape: exactly half the poses and metrics are left
    assert (after["poses"], after["metrics"]) == (both["poses"] // 2, both["metrics"] // 2)
    assert store.list_clips(athlete="Ben")[0].id == other_clip.id


def test_foreign_keys_are_enforced_on_every_connection(store: Store, db_url: str) -> None:
    if db_url.startswith("sqlite"):
        with store._engine.connect() as connection:  # a connection from the store's own pool
            fk = connection.exec_driver_sql("PRAGMA foreign_keys").scalar()
            mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
        assert (fk, mode) == (1, "wal")
    with pytest.raises(AnalysisError, match="No session 999"):
        new_clip(store, 999)


# ------------------------------------------------------------------ athletes and sessions


def test_athlete_names_are_unique_whatever_the_case_and_spacing(store: Store) -> None:
    store.create_athlete("Anna  Lee")
    with pytest.raises(AnalysisError, match="already an athlete named 'anna lee'"):
        store.create_athlete("anna lee")
    assert store.get_or_create_athlete(" ANNA lee ").name == "Anna Lee"
    store.create_athlete("Bob Marsh")
    assert [a.name for a in store.list_athletes(search="MARSH")] == ["Bob Marsh"]
    store.rename_athlete("Bob Marsh", "Robert Marsh")
    assert store.find_athlete("bob marsh") is None
    with pytest.raises(AnalysisError, match="not a height in metres"):
        store.create_athlete("Tall", height_m=180)


def test_sessions_are_listed_newest_first_and_found_by_title_or_tag(store: Store) -> None:
    anna = store.create_athlete("Anna")
    store.create_session(anna.id, "Squats", dt.date(2024, 1, 5), ["legs", "Strength"])
    store.create_session(anna.id, "Sprints", dt.date(2024, 3, 1), ["speed"])
    assert [s.title for s in store.list_sessions("Anna")] == ["Sprints", "Squats"]
    assert [s.title for s in store.list_sessions(search="squ")] == ["Squats"]
    assert [s.title for s in store.list_sessions(tag="strength")] == ["Squats"]
    with pytest.raises(AnalysisError, match="already a session 'Squats' on 2024-01-05"):
        store.create_session(anna.id, "Squats", dt.date(2024, 1, 5))


# ------------------------------------------------------------------ two processes, locks


def _write_clip_in_another_process(url: str, sha: str, barrier: multiprocessing.Barrier) -> int:
    with Store(url) as store:
        session = store.get_or_create_session(
            store.get_or_create_athlete("Anna").id, "Shared", dt.date(2024, 6, 1)
        )
        barrier.wait()  # both processes write at the same moment
        clip = new_clip(store, session.id, sha=sha, n_frames=3000)
        # analysed lazily, inside the write transaction: the two writers surely overlap
        results = (analysed(squat_poses(i, 3000)) for i in range(2))
        return store.write_clip_results(clip.id, results).id


def test_two_processes_write_at_once_and_both_succeed(db_url: str) -> None:
    url = db_url
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        barrier = manager.Barrier(2)
        with context.Pool(2) as pool:
            jobs = [
                pool.apply_async(_write_clip_in_another_process, (url, sha, barrier))
                for sha in ("1", "2")
            ]
            ids = [job.get(timeout=300) for job in jobs]
    with Store(url) as store:
        clips = store.list_clips(athlete="Anna")
        assert sorted(c.id for c in clips) == sorted(ids)
        assert [c.status for c in clips] == ["done", "done"]
        assert all(len(store.read_angles(c.id)) == 6000 for c in clips)


def test_a_locked_database_is_one_clear_error(tmp_path: Path) -> None:
    db = tmp_path / "posture.db"
    Store(f"sqlite:///{db}").close()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    try:
        store = Store(f"sqlite:///{db}?timeout=0.2")
        with pytest.raises(AnalysisError) as raised:
            store.create_athlete("Anna")
        assert "is locked by another program" in str(raised.value)
        assert "\n" not in str(raised.value)
        assert store.list_athletes() == []  # readers are not blocked (WAL)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_an_unreachable_database_is_one_clear_error(tmp_path: Path) -> None:
    not_a_db = tmp_path / "notes.db"
    not_a_db.write_text("shopping list\n" * 100)
    with pytest.raises(AnalysisError, match="notes.db"):
        Store(f"sqlite:///{not_a_db}")
    with pytest.raises(AnalysisError, match="Cannot use the database URL"):
        Store("nosuchdialect://server/db")


# ------------------------------------------------------------------ progress across sessions


def test_progress_follows_the_athlete_track_across_sessions(store: Store) -> None:
    anna = store.create_athlete("Anna")
    dates_depths = [(dt.date(2024, 3, 1), 60.0), (dt.date(2024, 4, 1), 75.0),
                    (dt.date(2024, 5, 1), 90.0)]
    for i, (day, depth) in enumerate(dates_depths):
        session = store.create_session(anna.id, f"Squats {i}", day)
        clip = new_clip(store, session.id, sha=str(i))
        athlete = analysed(squat_poses(0, 300, depth_deg=depth))
        passer_by = analysed(squat_poses(1, 60, depth_deg=20.0))
        store.write_clip_results(clip.id, [athlete, passer_by])

    progress = store.progress("Anna")
    knee = progress[(progress["metric"] == "rom") & (progress["name"] == "left_knee")]
    assert knee["date"].tolist() == [d for d, _ in dates_depths]
    assert knee["value"].to_numpy() == pytest.approx([60, 75, 90], abs=3)
    reps = progress[progress["metric"] == "repetitions"]
    assert reps["value"].tolist() == [5, 5, 5] and set(reps["name"]) == {"knee"}
    si = progress[(progress["metric"] == "si") & (progress["name"] == "knee")]
    assert (si["value"] < 5).all()  # a symmetric squat

    # a second clip in the last session: by session, repetitions add up, ROMs average
    second = new_clip(store, session.id, sha="x")
    store.write_clip_results(second.id, [analysed(squat_poses(0, 300, depth_deg=80.0))])
    by_session = store.progress("Anna", by="session")
    assert "clip_id" not in by_session.columns
    reps = by_session[by_session["metric"] == "repetitions"]
    assert reps["value"].tolist() == [5, 5, 10]
    knee = by_session[(by_session["metric"] == "rom") & (by_session["name"] == "left_knee")]
    assert knee["value"].to_numpy() == pytest.approx([60, 75, 85], abs=3)
