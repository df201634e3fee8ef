"""Batches of uploads: saved by content, analysed one after the other, failures said plainly."""

from __future__ import annotations

import hashlib
import io
import os
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from analysis.errors import AnalysisError
from analysis.pipeline import PipelineSettings
from analysis.store import Store
from dashboard import jobs
from tests.conftest import SHORT_CLIP_FRAMES


def test_an_upload_is_saved_under_its_sha256_once(tmp_path: Path):
    png = cv2.imencode(".png", np.full((48, 64, 3), 90, np.uint8))[1].tobytes()
    data = png + b"x" * 3_000_000  # bytes after the image's end are allowed
    path, sha = jobs.save_upload(io.BytesIO(data), "Squat Clip.PNG", tmp_path)
    assert sha == hashlib.sha256(data).hexdigest()
    assert path == tmp_path / f"{sha}.png" and path.read_bytes() == data
    again, _ = jobs.save_upload(io.BytesIO(data), "copy.png", tmp_path)
    assert again == path
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no partial file left


def test_the_extension_comes_from_the_content_not_the_name(tmp_path: Path):
    jpeg = cv2.imencode(".jpg", np.full((48, 64, 3), 90, np.uint8))[1].tobytes()
    path, sha = jobs.save_upload(io.BytesIO(jpeg), "../../etc/passwd;rm -rf.png", tmp_path)
    assert path.parent == tmp_path and path.name == f"{sha}.jpg"


def test_an_upload_that_is_not_a_photo_or_clip_is_refused_and_not_kept(tmp_path: Path):
    with pytest.raises(AnalysisError, match=r"^notes\.mp4: is a text file"):
        jobs.save_upload(io.BytesIO(b"training notes\n"), "notes.mp4", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_progress_lines_say_what_a_coach_needs():
    item = jobs.FileRun("squat.mp4", Path("x"), status="running")
    item.progress(120, 230, 4.4)
    assert jobs.summary_line(item) == "squat.mp4: frame 120 of 230 · about 4 s left"
    assert jobs.fraction(item) == pytest.approx(120 / 230)
    photo = jobs.FileRun("empty.jpg", Path("x"), status="done", kind="photo", people=0,
                         seconds=0.4)
    assert "no person found in this photo" in jobs.summary_line(photo)


def test_who_is_followed_is_kept_as_spans_of_consecutive_frames():
    followed = jobs.FollowedTimeline()
    for i in range(10):
        t = i / 30
        followed.add(t, [0] + ([1] if i < 3 or i >= 6 else []))
    spans = followed.snapshot()
    assert spans[0] == [(0.0, 9 / 30)]
    assert spans[1] == [(0.0, 2 / 30), (6 / 30, 9 / 30)]  # lost for frames 3 to 5
    assert (followed.frames, followed.last_time) == (10, 9 / 30)


def test_the_clip_length_is_told_from_the_frames_so_far():
    item = jobs.FileRun("walk.mp4", Path("x"), status="running")
    item.progress(1, 300)
    assert item.expected_duration_s() is None  # one frame tells nothing
    for i in range(31):
        item.followed.add(i / 30, [])
    item.progress(31, 300)
    assert item.expected_duration_s() == pytest.approx(299 / 30)


def test_the_progress_waits_for_the_end_only_when_it_is_near():
    first = jobs.FileRun("a.mp4", Path("a"), status="done")
    last = jobs.FileRun("b.mp4", Path("b"), status="running")
    last.progress(10, 300, eta_s=9.0)
    assert not jobs.may_end_within([first, last], 2.5)  # frames still to come
    last.progress(260, 300, eta_s=1.2)
    assert jobs.may_end_within([first, last], 2.5)
    last.progress(300, 300, eta_s=None)  # frames done, the metrics being stored
    assert jobs.may_end_within([first, last], 2.5)
    waiting = jobs.FileRun("c.jpg", Path("c"))  # another file after it
    assert not jobs.may_end_within([first, last, waiting], 2.5)


def test_previews_are_built_at_a_lower_cpu_priority():
    def niceness() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    here = niceness()
    assert jobs._PREVIEWS.submit(niceness).result(timeout=10) == min(
        19, here + jobs.PREVIEW_NICENESS)
    assert niceness() == here  # the page's own thread is untouched


def test_a_delayed_preview_starts_later_and_an_early_request_shares_it(tmp_path: Path):
    from dashboard.video_export import write_mp4

    clip = tmp_path / "shade.mp4"
    write_mp4(((np.full((48, 64, 3), 10 * i, np.uint8), i / 10) for i in range(10)), clip,
              fps=10.0)
    began = time.monotonic()
    future = jobs.ensure_preview(clip, "delayed-key", tmp_path / "previews", delay_s=1.0)
    # The Clip view asks for it meanwhile: the same build, not a second one at once.
    assert jobs.ensure_preview(clip, "delayed-key", tmp_path / "previews") is future
    assert not future.done()
    preview = future.result(timeout=60)
    assert time.monotonic() - began >= 1.0
    assert len(preview.times) == 10


@pytest.fixture(scope="module")
def estimator():
    from estimator import PoseEstimator

    return PoseEstimator(max_people=2)


def run(store: Store, estimator, files: list[tuple[str, Path]], cancel_after: int | None = None
        ) -> jobs.AnalysisJob:
    athlete = store.get_or_create_athlete("Anna Lee")
    session = store.get_or_create_session(athlete.id, "Batch")
    job = jobs.AnalysisJob(store=store, estimator=estimator, athlete_id=athlete.id,
                           session_id=session.id, settings=PipelineSettings(max_people=2),
                           files=jobs.make_runs(files)).start()
    if cancel_after is not None:
        deadline = time.monotonic() + 300
        while job.files[0].done < cancel_after and job.running and time.monotonic() < deadline:
            time.sleep(0.05)
        job.cancel.set()
    job.wait(600)
    assert not job.running
    return job


@pytest.mark.media
def test_a_bad_file_says_why_and_does_not_stop_the_others(
    tmp_path: Path, media_dir: Path, estimator
):
    store = Store(f"sqlite:///{tmp_path / 'p.db'}")
    fake = tmp_path / "notes.mp4"
    fake.write_text("training notes, not a clip\n")
    blank = tmp_path / "empty-field.png"
    cv2.imwrite(str(blank), np.full((480, 640, 3), (60, 140, 60), np.uint8))
    job = run(store, estimator, [("notes.mp4", fake), ("golf.jpg", media_dir / "images" /
                                                       "golf.jpg"), ("field.png", blank)])
    bad, golf, empty = job.files
    assert bad.status == "failed" and "text file" in bad.message
    assert golf.status == "done" and golf.people == 1
    assert empty.status == "done" and empty.people == 0
    assert "no person found in this photo" in jobs.summary_line(empty)
    assert {c.file_name for c in store.list_clips(status="done")} == {"golf.jpg", "field.png"}


@pytest.mark.media
def test_cancelling_stops_the_batch_and_keeps_nothing_of_the_clip(
    tmp_path: Path, parkour_clip: Path, estimator
):
    store = Store(f"sqlite:///{tmp_path / 'p.db'}")
    job = run(store, estimator, [("walk.mp4", parkour_clip), ("again.mp4", parkour_clip)],
              cancel_after=10)
    assert [f.status for f in job.files] == ["cancelled", "cancelled"]
    assert store.list_clips() == []




@pytest.mark.media
def test_while_a_clip_is_analysed_the_job_follows_who_is_found(
    tmp_path: Path, short_clip: Path, estimator
):
    store = Store(f"sqlite:///{tmp_path / 'p.db'}")
    item = run(store, estimator, [("walk.mp4", short_clip)]).files[0]
    assert item.status == "done" and item.followed.frames == SHORT_CLIP_FRAMES
    clip = store.get_clip(item.clip_id)
    spans = item.followed.snapshot()
    assert set(spans) == {t.track_id for t in clip.tracks}
    frame_s = 1 / clip.fps
    for track in clip.tracks:  # the frames the spans cover are the frames each was seen in
        covered = sum(round((end - start) / frame_s) + 1 for start, end in spans[track.track_id])
        assert covered == track.frames_seen


@pytest.mark.media
def test_the_same_file_twice_in_a_session_is_analysed_once(
    tmp_path: Path, media_dir: Path, estimator
):
    store = Store(f"sqlite:///{tmp_path / 'p.db'}")
    golf = media_dir / "images" / "golf.jpg"
    first = run(store, estimator, [("golf.jpg", golf)]).files[0]
    second = run(store, estimator, [("golf (copy).jpg", golf)]).files[0]
    assert second.status == "done" and second.clip_id == first.clip_id
    assert "Already analysed" in second.message
    assert len(store.list_clips()) == 1


def test_an_upload_the_analysis_did_not_keep_is_deleted_and_named_as_the_user_named_it(
        tmp_path: Path, estimator):
    from tests.estimator.test_video import write_clip

    store = Store(f"sqlite:///{tmp_path / 'p.db'}")
    data = tmp_path / "data"
    field = cv2.imencode(".png", np.full((240, 320, 3), (60, 140, 60), np.uint8))[1].tobytes()
    photo, _ = jobs.save_upload(io.BytesIO(field), "field.png", data / "uploads")
    slow = write_clip(tmp_path / "slow.mp4", n_frames=14, fps=7)
    with open(slow, "rb") as upload:
        clip, _ = jobs.save_upload(upload, "Slow Motion.MOV", data / "uploads")
    athlete = store.get_or_create_athlete("Anna Lee")
    session = store.get_or_create_session(athlete.id, "Batch")
    job = jobs.AnalysisJob(store=store, estimator=estimator, athlete_id=athlete.id,
                           session_id=session.id, settings=PipelineSettings(max_people=2),
                           files=jobs.make_runs([("field.png", photo),
                                                 ("Slow Motion.MOV", clip)]),
                           data=data).start()
    job.wait(600)
    done, refused = job.files
    assert done.status == "done" and photo.exists()
    assert refused.status == "failed" and not clip.exists()
    assert jobs.summary_line(refused).startswith("Slow Motion.MOV: at 7 fps the clip is too slow")
    assert str(tmp_path) not in refused.message
    assert sorted(p.name for p in (data / "uploads").iterdir()) == [photo.name]
