"""A photo or clip goes through estimator -> analysis -> store in one call, or leaves nothing."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from analysis.errors import AnalysisError
from analysis.filtering import CleanSettings
from analysis.pipeline import (
    AnalysisCancelled,
    PipelineSettings,
    TrackCollector,
    analyse_file,
    run_file,
)
from analysis.store import Store
from estimator import FramePoses, Person, PoseEstimator
from estimator.keypoints import NUM_KEYPOINTS
from tests.conftest import SHORT_CLIP_FRAMES as CUT_FRAMES


@pytest.fixture(scope="module")
def estimator() -> PoseEstimator:
    return PoseEstimator(max_people=2)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(f"sqlite:///{tmp_path / 'posture.db'}") as s:
        yield s


def table_counts(store: Store) -> dict[str, int]:
    with store._engine.connect() as connection:
        return {
            t: connection.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar()
            for t in ("clips", "tracks", "poses", "metrics")
        }


def test_a_clip_is_analysed_into_the_store_with_progress(
    store: Store, short_clip: Path, estimator: PoseEstimator
) -> None:
    reports: list[tuple[int, int, float | None]] = []
    clip_id = analyse_file(
        store, short_clip, "Anna", "Walk", PipelineSettings(max_people=2),
        estimator=estimator, progress=lambda done, total, eta: reports.append((done, total, eta)),
    )

    clip = store.get_clip(clip_id)
    assert (clip.status, clip.kind, clip.frame_count, clip.fps) == ("done", "video", 60, 30.0)
    assert clip.settings["estimator"] == {"max_people": 2}
    assert clip.settings["clean"] == CleanSettings().to_dict()
    assert 1 <= len(clip.tracks) <= 4
    # the athlete by default: the person seen in the most frames
    assert clip.athlete_track == max(clip.tracks, key=lambda t: t.frames_seen).track_id
    angles = store.read_angles(clip_id)
    assert len(angles) == sum(t.n_frames for t in clip.tracks)
    assert angles["frame"].between(0, CUT_FRAMES - 1).all()
    assert angles["left_knee"].notna().any()
    # progress: increasing frame counts, the last one complete with nothing left to wait
    done = [r[0] for r in reports]
    assert done == sorted(done) and reports[-1] == (CUT_FRAMES, CUT_FRAMES, 0.0)


def test_each_frames_people_are_handed_over_as_they_are_found(
    store: Store, short_clip: Path, estimator: PoseEstimator
) -> None:
    frames: list[FramePoses] = []
    clip_id = analyse_file(store, short_clip, "Anna", "Walk", PipelineSettings(max_people=2),
                           estimator=estimator, on_frame=frames.append)

    assert [f.index for f in frames] == list(range(CUT_FRAMES))
    assert all(isinstance(f, FramePoses) for f in frames)
    # the stored people are exactly those handed over, seen in as many frames
    seen = Counter(p.track_id for f in frames for p in f.people)
    assert seen == {t.track_id: t.frames_seen for t in store.get_clip(clip_id).tracks}


def test_the_same_file_twice_in_a_session_is_analysed_once(
    store: Store, short_clip: Path, estimator: PoseEstimator, tmp_path: Path
) -> None:
    first = run_file(store, short_clip, "Anna", "Walk", estimator=estimator)
    renamed = tmp_path / "same bytes, other name.mp4"
    renamed.write_bytes(short_clip.read_bytes())
    reports: list[object] = []
    second = run_file(
        store, renamed, "Anna", "Walk", estimator=estimator, progress=lambda *a: reports.append(a)
    )
    assert (second.clip_id, second.reused, first.reused) == (first.clip_id, True, False)
    assert reports == []  # nothing estimated
    assert len(store.list_clips(athlete="Anna")) == 1


def test_a_photo_gives_angles_of_one_frame(
    store: Store, media_dir: Path, estimator: PoseEstimator
) -> None:
    clip_id = analyse_file(store, media_dir / "images" / "golf.jpg", "Anna", "Golf",
                           estimator=estimator)
    clip = store.get_clip(clip_id)
    assert (clip.kind, clip.status, clip.fps, len(clip.tracks)) == ("photo", "done", 0.0, 1)
    angles = store.read_angles(clip_id)
    assert angles[["frame", "time_s"]].values.tolist() == [[0, 0.0]]
    assert np.isfinite(angles[["left_knee", "right_knee", "left_hip"]].to_numpy()).all()
    assert store.read_repetitions(clip_id).empty


def test_cancelling_leaves_nothing(
    store: Store, short_clip: Path, estimator: PoseEstimator
) -> None:
    cancel = threading.Event()

    def progress(done: int, total: int, eta: float | None) -> None:
        if done >= 10:
            cancel.set()  # as the dashboard's cancel button does, from another thread

    with pytest.raises(AnalysisCancelled):
        analyse_file(store, short_clip, "Anna", "Walk", estimator=estimator,
                     progress=progress, cancel=cancel)
    assert table_counts(store) == {"clips": 0, "tracks": 0, "poses": 0, "metrics": 0}


def test_an_analysis_error_marks_the_clip_failed_and_keeps_no_results(
    store: Store, short_clip: Path, estimator: PoseEstimator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a 20 Hz low-pass cannot be run on a 30 fps clip (Nyquist is 15 Hz): refused up
    # front, before any row is written or any frame estimated (issue 11, finding 5)
    bad = PipelineSettings(clean=CleanSettings(cutoff_hz=20.0))
    with pytest.raises(AnalysisError, match="too slow for the 20 Hz smoothing"):
        analyse_file(store, short_clip, "Anna", "Walk", bad, estimator=estimator)
    assert store.list_athletes() == []

    # an error once the frames are read marks the clip failed, with nothing half-written
    import analysis.pipeline as pipeline

    def fail(*_args, **_kwargs):
        raise AnalysisError("the angles could not be computed")

    with monkeypatch.context() as patch:
        patch.setattr(pipeline, "analyse_poses", fail)
        with pytest.raises(AnalysisError) as raised:
            analyse_file(store, short_clip, "Anna", "Walk", estimator=estimator)
    [clip] = store.list_clips(athlete="Anna")
    assert (clip.status, clip.error) == ("failed", str(raised.value))
    assert table_counts(store) == {"clips": 1, "tracks": 0, "poses": 0, "metrics": 0}

    # uploading it again analyses the same clip
    again = run_file(store, short_clip, "Anna", "Walk", estimator=estimator)
    assert (again.clip_id, again.reused) == (clip.id, False)
    assert store.get_clip(clip.id).status == "done"


def test_an_unreadable_file_writes_nothing(store: Store, tmp_path: Path) -> None:
    text = tmp_path / "notes.mp4"
    text.write_text("not a video\n" * 50)
    with pytest.raises(AnalysisError, match="notes.mp4"):
        analyse_file(store, text, "Anna", "Walk")
    with pytest.raises(AnalysisError, match="missing.mp4"):
        analyse_file(store, tmp_path / "missing.mp4", "Anna", "Walk")
    assert store.list_athletes() == []


def test_settings_are_checked_and_round_trip() -> None:
    settings = PipelineSettings(max_people=3, clean=CleanSettings.raw(), height_m=1.8)
    assert PipelineSettings.from_dict(settings.to_dict()) == settings
    with pytest.raises(AnalysisError, match="People to analyse"):
        PipelineSettings(max_people=0)
    with pytest.raises(AnalysisError, match="not in metres"):
        PipelineSettings(height_m=175)


def person(track_id: int, x: float) -> Person:
    keypoints = np.zeros((NUM_KEYPOINTS, 3), dtype=np.float32)
    keypoints[:, 0], keypoints[:, 2] = x, 0.9
    return Person(track_id, 0.9, np.array([x, 0, 10, 10], np.float32), keypoints,
                  np.zeros((NUM_KEYPOINTS, 3), np.float32))


def test_tracks_are_dense_from_first_to_last_sighting() -> None:
    collector = TrackCollector()
    for index in range(6):
        people = [person(0, 100.0 + index)]
        if index in (2, 4):  # person 7 seen at frames 2 and 4, not 3
            people.append(person(7, 500.0))
        collector.add(FramePoses(index, index / 30, people))

    track = collector.track(7)
    assert track.frames.tolist() == [2, 3, 4]
    assert track.present.tolist() == [True, False, True]
    assert np.isnan(track.keypoints[1, :, :2]).all() and (track.keypoints[1, :, 2] == 0).all()
    assert track.times.tolist() == pytest.approx([2 / 30, 3 / 30, 4 / 30])
    assert collector.track(0).keypoints[:, 0, 0].tolist() == [100, 101, 102, 103, 104, 105]
    assert (collector.frames_read, collector.track_ids) == (6, [0, 7])


def test_a_stored_photo_reads_back_as_its_track_analysis(
    store: Store, media_dir: Path, estimator: PoseEstimator
) -> None:
    clip_id = analyse_file(store, media_dir / "images" / "golf.jpg", "Anna", "Golf",
                           estimator=estimator, copy_to=store.url.split("///")[1] + ".media")
    clip = store.get_clip(clip_id)
    assert Path(clip.stored_path).read_bytes() == (media_dir / "images" / "golf.jpg").read_bytes()
    analysis = store.read_analysis(clip_id, clip.athlete_track)
    assert analysis.fps == 0.0 and len(analysis.angles) == 1
    assert analysis.summary["rom"].dropna().eq(0).all()
