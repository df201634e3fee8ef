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


# ------------------------------------------------------------------ one transaction, up front


def test_a_session_title_the_store_refuses_leaves_no_new_athlete(store: Store) -> None:
    with pytest.raises(AnalysisError, match="session name is longer than 200 characters"):
        store.get_or_create_athlete_session("New Person", "x" * 201)
    with pytest.raises(AnalysisError, match="not a height in metres"):
        store.get_or_create_athlete_session("New Person", "Squats", height_m=17.0)
    assert store.list_athletes() == []
    athlete, session = store.get_or_create_athlete_session(
        "  new   PERSON ", "Squats", dt.date(2024, 5, 1), ["legs"], height_m=1.7)
    assert (athlete.name, athlete.height_m, session.title, session.tags) == (
        "new PERSON", 1.7, "Squats", ("legs",))
    # the same again, by name in another spelling: found, not created twice
    again = store.get_or_create_athlete_session("New Person", "Squats", dt.date(2024, 5, 1))
    assert (again[0].id, again[1].id) == (athlete.id, session.id)


def test_a_run_with_a_refused_title_leaves_no_new_athlete(store: Store, tmp_path: Path) -> None:
    import cv2

    from analysis.pipeline import run_file

    photo = tmp_path / "golf.png"
    cv2.imwrite(str(photo), np.full((120, 160, 3), 128, np.uint8))
    with pytest.raises(AnalysisError, match="longer than 200 characters"):
        run_file(store, photo, "Anna Lee", "t" * 201)
    assert store.list_athletes() == [] and store.overview().empty


# ------------------------------------------------------------------ what each database takes


def test_text_a_database_would_refuse_is_made_plain_on_every_database(
    store: Store, session_id: int
) -> None:
    nul = store.create_athlete("Zo\x00e\x1b[31m Smith")  # PostgreSQL refuses NUL in text
    assert nul.name == "Zoe[31m Smith"
    assert store.get_athlete("ZOE[31M SMITH").id == nul.id
    tagged = store.create_session(nul.id, "Jumps\x00", tags=["a\x00b", "new\nline"])
    assert (tagged.title, tagged.tags) == ("Jumps", ("ab", "new line"))
    long_name = "clip " * 150 + ".mp4"  # 754 characters; the column holds 500
    clip, _ = store.register_clip(
        session_id, file_name=long_name, stored_path="/clips/long.mp4", sha256="l" * 64,
        kind="video", fps=FPS, width=1280, height=720, frame_count=10, duration_s=1 / 3,
        settings={"cutoff_hz": float("nan"), "limits": [1.0, float("inf")], "n": np.int64(3)},
    )
    assert len(clip.file_name) == 500
    assert clip.file_name.startswith("clip clip") and clip.file_name.endswith(" .mp4")
    assert "…" in clip.file_name
    # JSON has no NaN (PostgreSQL's JSON refuses it): null, on every database alike
    assert store.get_clip(clip.id).settings == {"cutoff_hz": None, "limits": [1.0, None], "n": 3}
    store.mark_failed(clip.id, "bad\x00 frame\nat 3")
    assert store.get_clip(clip.id).error == "bad  frame at 3"


def test_an_id_too_large_for_the_database_is_simply_not_found(
    store: Store, session_id: int
) -> None:
    huge = 2**40  # beyond PostgreSQL's INTEGER: not an error of the database
    for call, message in (
        (lambda: store.get_clip(huge), f"No clip {huge} in the database."),
        (lambda: store.get_athlete(huge), f"No athlete {huge} in the database."),
        (lambda: store.get_session(huge), f"No session {huge} in the database."),
        (lambda: store.undo_correction(huge), f"No correction {huge} in the database."),
    ):
        with pytest.raises(AnalysisError, match=message):
            call()
    clip = new_clip(store, session_id)
    store.write_clip_results(clip.id, [analysed(squat_poses(0, 30))])
    with pytest.raises(AnalysisError, match=f"has no person with track id {huge}"):
        store.read_angles(clip.id, huge)
    assert store.list_clips(huge) == []


def test_times_are_utc_whatever_the_database_servers_time_zone(db_url: str) -> None:
    if db_url.startswith("postgresql"):  # a server far from UTC
        engine = create_engine(db_url)
        with engine.begin() as connection:
            name = db_url.rsplit("/", 1)[1]
            connection.exec_driver_sql(f"ALTER DATABASE \"{name}\" SET timezone TO 'Etc/GMT-14'")
        engine.dispose()
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with Store(db_url) as store:
        athlete = store.create_athlete("Anna")
        session = store.create_session(athlete.id, "Squats")
        clip = new_clip(store, session.id)
        store.write_clip_results(clip.id, [analysed(squat_poses(0, 30))])
        done = store.get_clip(clip.id)
    after = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for moment in (athlete.created_at, done.created_at, done.finished_at):
        assert moment.tzinfo is None  # naive UTC, as on every backend
        assert before - dt.timedelta(seconds=1) <= moment <= after + dt.timedelta(seconds=1)


# ------------------------------------------------------------------ many writers


TAGS_PER_WRITER = 60


def _write_many(url: str, writer: int, n_sessions: int, barrier: multiprocessing.Barrier) -> int:
    """One program's share: the shared athlete and session (made by whoever comes first),
    a tag of its own on the shared session, and many sessions of its own, each with an
    analysed clip."""
    with Store(url) as store:
        barrier.wait()
        athlete, _shared = store.get_or_create_athlete_session(
            "Shared Athlete", "Shared", dt.date(2024, 6, 1))
        for i in range(TAGS_PER_WRITER):  # both at once, as fast as they can
            store.get_or_create_session(athlete.id, "Shared", dt.date(2024, 6, 1),
                                        [f"writer {writer} #{i}"])
        for i in range(n_sessions):
            athlete, _shared = store.get_or_create_athlete_session(
                "Shared Athlete", "Shared", dt.date(2024, 6, 1))
            session = store.create_session(athlete.id, f"Writer {writer} #{i}",
                                           dt.date(2024, 6, 2))
            clip = new_clip(store, session.id, sha=f"{writer:02d}{i:02d}".ljust(64, "0"),
                            n_frames=60)
            store.write_clip_results(clip.id, [analysed(squat_poses(0, 60, seed=i)),
                                               analysed(squat_poses(1, 30, seed=i))])
        return n_sessions


def test_concurrent_writers_from_two_processes_lose_nothing(db_url: str) -> None:
    n_sessions = 12
    Store(db_url).close()  # the schema, made once
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        barrier = manager.Barrier(2)
        with context.Pool(2) as pool:
            jobs = [pool.apply_async(_write_many, (db_url, w, n_sessions, barrier))
                    for w in (1, 2)]
            assert [job.get(timeout=600) for job in jobs] == [n_sessions, n_sessions]
    with Store(db_url) as store:
        [athlete] = store.list_athletes()
        sessions = store.list_sessions(athlete.id)
        assert len(sessions) == 2 * n_sessions + 1
        [shared] = [s for s in sessions if s.title == "Shared"]
        assert sorted(shared.tags) == sorted(
            f"writer {w} #{i}" for w in (1, 2) for i in range(TAGS_PER_WRITER))  # none lost
        clips = store.list_clips(athlete=athlete.id)
        assert len(clips) == 2 * n_sessions
        assert {c.status for c in clips} == {"done"}
        assert all([t.track_id for t in c.tracks] == [0, 1] for c in clips)
    assert counts(db_url) == {
        "athletes": 1, "sessions": 2 * n_sessions + 1, "clips": 2 * n_sessions,
        "tracks": 4 * n_sessions, "poses": 4 * n_sessions,
        "metrics": counts_of_one_clip(db_url) * 2 * n_sessions,
    }


def counts_of_one_clip(url: str) -> int:
    """Metric rows of one clip written by :func:`_write_many`."""
    engine = create_engine(url)
    with engine.connect() as connection:
        value = connection.execute(text(
            "SELECT count(*) FROM metrics JOIN tracks ON tracks.id = metrics.track_pk "
            "WHERE tracks.clip_id = (SELECT min(id) FROM clips)")).scalar_one()
    engine.dispose()
    return value
