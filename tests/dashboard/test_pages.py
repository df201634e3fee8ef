"""Each page's logic through Streamlit's AppTest: what a coach does and what they get.

The app runs in-process against a temporary database (``POSTURE_DB_URL``) and data
folder (``POSTURE_DATA_DIR``); clips are put in the store as the pipeline leaves them,
from synthetic squats (no estimator needed).
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from analysis.export import angles_table, csv_bytes, summary_table
from analysis.pipeline import PipelineSettings
from analysis.store import Store
from dashboard import jobs
from dashboard.escape import shown
from dashboard.state import get_estimator
from tests.dashboard.conftest import make_synthetic_clip
from tests.dashboard.server import PROJECT_ROOT

APP = str(PROJECT_ROOT / "streamlit_app.py")
TIMEOUT_S = 60


@pytest.fixture()
def media(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """Every file the app hands to the browser (downloads, images), by media id."""
    served: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def recording(self, path_or_data, mimetype, kind, filename=None):
        file_id = original(self, path_or_data, mimetype, kind, filename)
        served[file_id] = self._files_by_id[file_id].content
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", recording)
    return served


def open_page(page: str, section: str | None = None) -> AppTest:
    """The app on ``page``; for the Clip view, ``section`` is the one shown below the
    viewer (default: the page's own, the summary)."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S).run()
    if section is not None:
        at.session_state["clip_section"] = section
    if page != "analyse":
        at.switch_page(f"dashboard/pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def frames_drawn(at: AppTest) -> list:
    """The images of the page that are not SVG drawings (the frame, a photo)."""
    return [i for i in at.get("imgs")
            if not i.proto.imgs[0].url.startswith("data:image/svg+xml")]


def download(at: AppTest, label: str, media: dict[str, bytes]) -> bytes:
    buttons = [b for b in at.get("download_button") if b.proto.label == label]
    assert buttons, f"no download button {label!r}"
    file_id = Path(buttons[0].proto.url).stem
    return media[file_id]


# ------------------------------------------------------------------------------- Analyse


def test_a_coach_creates_an_athlete_and_it_is_selected(store: Store):
    at = open_page("analyse")
    name = next(t for t in at.text_input if t.label == "Name")
    height = next(t for t in at.text_input if t.label.startswith("Height"))
    name.input("Anna Lee")
    height.input("1.72")
    next(b for b in at.button if b.label == "Create athlete").click().run()
    assert not at.exception
    athletes = store.list_athletes()
    assert [(a.name, a.height_m) for a in athletes] == [("Anna Lee", pytest.approx(1.72))]
    chosen = next(s for s in at.selectbox if s.label == "Athlete")
    assert chosen.value == athletes[0].id


def test_a_taken_athlete_name_is_one_clear_error_line(store: Store):
    store.create_athlete("Anna Lee")
    at = open_page("analyse")
    next(t for t in at.text_input if t.label == "Name").input("anna  lee")
    next(b for b in at.button if b.label == "Create athlete").click().run()
    assert not at.exception
    assert len(at.error) == 1
    assert "already an athlete named" in at.error[0].value
    assert len(store.list_athletes()) == 1


def test_the_upload_limit_is_stated_and_analyse_waits_for_an_athlete_and_files(store: Store):
    at = open_page("analyse")
    assert any("Up to 1 GB per file" in c.value for c in at.caption)
    run = next(b for b in at.button if b.label == "Analyse")
    assert run.disabled


@pytest.mark.media
def test_while_a_clip_is_analysed_the_page_shows_its_progress_and_who_is_followed(
    store: Store, parkour_clip: Path
):
    athlete = store.create_athlete("Anna Lee")
    session = store.get_or_create_session(athlete.id, "Walk")
    job = jobs.AnalysisJob(
        store=store, estimator=get_estimator(2), athlete_id=athlete.id, session_id=session.id,
        settings=PipelineSettings(max_people=2), files=jobs.make_runs([("walk.mp4", parkour_clip)]),
    ).start()
    try:
        deadline = time.monotonic() + 120
        while job.files[0].done < 60 and job.running and time.monotonic() < deadline:
            time.sleep(0.05)
        at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
        at.session_state["analyse_job"] = job
        at.run()
        assert not at.exception, at.exception
        (bar,) = at.get("progress")
        assert re.fullmatch(r"walk\.mp4: frame \d+ of 230( · about \d+ s left)?",
                            shown(bar.proto.text))
        assert any(c.value == "People followed so far" for c in at.caption)
        (picture,) = [i.proto.imgs[0].url for i in at.get("imgs")
                      if i.proto.imgs[0].url.startswith("data:image/svg+xml")]
        svg = base64.b64decode(picture.split(",", 1)[1]).decode()
        assert ">Person 0</text>" in svg and ">Time (s)</text>" in svg
        assert any(b.label == "Cancel" for b in at.button)
    finally:
        job.cancel.set()
        job.wait(60)
    assert job.files[0].status == "cancelled"


# ------------------------------------------------------------------------------- Sessions


def test_sessions_lists_athletes_sessions_and_clips_and_searches(store: Store, tmp_path: Path):
    make_synthetic_clip(store, tmp_path / "clips", athlete="Anna Lee", session="Squats")
    bob = store.create_athlete("Bob Marsh")
    store.create_session(bob.id, "Sprint drills", dt.date(2026, 3, 1), tags=["speed"])
    at = open_page("sessions")
    table = at.dataframe[0].value
    assert set(table["Athlete"]) == {"Anna Lee", "Bob Marsh"}
    squat = table[table["Session"] == "Squats"].iloc[0]
    assert (squat["Status"], squat["People"], squat["Frames"]) == ("analysed", "1", "90")

    at.text_input(key="sessions_search").input("speed").run()
    found = at.dataframe[0].value
    assert list(found["Session"]) == ["Sprint drills"]
    at.text_input(key="sessions_search").input("nobody").run()
    assert any("Nothing matches" in i.value for i in at.info)


def test_deleting_a_session_asks_first_and_removes_only_it(store: Store, tmp_path: Path):
    make_synthetic_clip(store, tmp_path / "clips", athlete="Anna Lee", session="Squats")
    anna = store.find_athlete("Anna Lee")
    store.create_session(anna.id, "Lunges", dt.date(2026, 1, 5))
    at = open_page("sessions")
    lunges = next(s for s in store.list_sessions() if s.title == "Lunges")
    at.selectbox(key="manage_session").select(lunges.id).run()
    at.button(key="delete_session").click().run()
    assert any("cannot be undone" in w.value for w in at.warning)
    assert len(store.list_sessions()) == 2  # nothing deleted yet
    at.button(key="confirm_session").click().run()
    assert not at.exception
    assert [s.title for s in store.list_sessions()] == ["Squats"]
    assert len(store.list_clips()) == 1


def test_renaming_an_athlete(store: Store):
    store.create_athlete("Anna Le")
    at = open_page("sessions")
    next(t for t in at.text_input if t.label == "Name").input("Anna Lee")
    next(b for b in at.button if b.label == "Save athlete").click().run()
    assert not at.exception
    assert [a.name for a in store.list_athletes()] == ["Anna Lee"]


# ------------------------------------------------------------------------------- Clip view


def test_clip_view_shows_the_frame_a_chart_and_the_summary(store: Store, tmp_path: Path):
    make_synthetic_clip(store, tmp_path / "clips")
    at = open_page("clip_view")
    assert not at.exception
    assert len(frames_drawn(at)) == 1  # the annotated frame
    # the angle-convention drawing (SVG) in its expander
    assert len(at.get("imgs")) == 2
    assert len(at.get("plotly_chart")) == 1  # the linked angle chart
    guide = [e for e in at.expander if e.label.startswith("How angles are measured")]
    assert len(guide) == 1
    assert "flexion" in guide[0].markdown[0].value
    assert any(m.label == "Repetitions" and m.value == "2" for m in at.metric)
    summary = at.dataframe[0].value
    knee = summary[summary["Angle"] == "Left knee"].iloc[0]
    assert knee["ROM (°)"] == pytest.approx(88.6, abs=2)
    numbers = summary.drop(columns="Angle").to_numpy(dtype=float)
    shown = numbers[~np.isnan(numbers)]
    assert np.array_equal(shown, np.round(shown, 1))  # rounded as displayed
    assert not np.signbit(shown[shown == 0]).any()  # no "-0.0"


def test_the_angles_download_is_the_analysis_export(store: Store, tmp_path: Path, media):
    clip_id = make_synthetic_clip(store, tmp_path / "clips")
    at = open_page("clip_view", section="Downloads and report")
    # a new clip's first drawing: the CSVs come with the player (its preview being made)
    assert not at.get("download_button")
    assert "The CSV files come with the player, in a few seconds." in [
        c.value for c in at.caption]
    at.button(key="downloads_csv_now_button").click().run()  # or at once, when asked
    served = download(at, "Angles CSV", media)
    assert served == csv_bytes(angles_table(store, clip_id))
    header = served.decode("utf-8").splitlines()[0].split(",")
    assert header[:10] == ["athlete", "session", "date", "clip_id", "file", "frame", "time_s",
                           "track_id", "is_athlete", "left_knee_deg"]
    assert len(served.decode("utf-8").splitlines()) == 1 + 90
    summary = download(at, "Summary CSV", media)
    assert summary == csv_bytes(summary_table(store, clip_id))


def test_moving_the_frame_slider_draws_that_frame_and_keeps_the_analysis(
    store: Store, tmp_path: Path, media
):
    make_synthetic_clip(store, tmp_path / "clips")
    at = open_page("clip_view")
    at.slider(key="clip_frame").set_value(45).run()
    assert not at.exception
    assert any("Frame 45 of 0–89" in c.value for c in at.caption)


def test_choosing_the_athletes_track_is_kept(store: Store, tmp_path: Path):
    clip_id = make_synthetic_clip(store, tmp_path / "clips")
    at = open_page("clip_view")
    chooser = at.selectbox(key=f"athlete_track_{clip_id}")
    assert chooser.value == 0
    assert store.get_clip(clip_id).athlete_track == 0


def test_a_failed_clip_says_why(store: Store):
    anna = store.create_athlete("Anna Lee")
    session = store.create_session(anna.id, "Squats")
    clip, _ = store.register_clip(
        session.id, file_name="broken.mp4", stored_path="/nowhere/broken.mp4", sha256="0" * 64,
        kind="video", fps=30, width=10, height=10, frame_count=1, duration_s=0.1, settings={},
    )
    store.mark_failed(clip.id, "broken.mp4: truncated: the file has 10 bytes")
    at = open_page("clip_view")
    assert any("truncated" in e.value for e in at.error)


def test_clip_view_without_clips_points_to_analyse(store: Store):
    at = open_page("clip_view")
    assert any("Analyse" in i.value for i in at.info)



# ------------------------------------------------------------------------------- Compare


def two_sessions(store: Store, folder: Path) -> tuple[int, int]:
    a = make_synthetic_clip(store, folder, session="Squats", date=dt.date(2026, 1, 10),
                            period_s=1.5)
    b = make_synthetic_clip(store, folder, session="Squats", date=dt.date(2026, 2, 10),
                            n_frames=120, period_s=1.0)
    return a, b


def test_compare_overlays_two_clips_per_repetition_with_their_differences(
    store: Store, tmp_path: Path
):
    two_sessions(store, tmp_path / "clips")
    at = open_page("compare")
    assert not at.exception
    assert at.radio(key="compare_by").value == "repetition"
    assert len(at.get("plotly_chart")) == 2  # curves, repetitions
    differences = at.dataframe[0].value
    knee = differences[differences["Angle"] == "Left knee"].iloc[0]
    # The same squat depth on both dates: ROMs alike, the difference small.
    assert knee["ROM A (°)"] == pytest.approx(knee["ROM B (°)"], abs=5)
    assert abs(knee["ROM B − A (°)"]) < 5
    assert len(at.get("imgs")) == 2  # the two clips side by side


def test_compare_side_by_side_follows_the_phase(store: Store, tmp_path: Path):
    two_sessions(store, tmp_path / "clips")
    at = open_page("compare")
    at.slider(key="compare_phase").set_value(50).run()
    assert not at.exception
    captions = [c.value for c in at.caption if " · frame " in c.value]
    assert len(captions) == 2
    assert all("frame 0 " not in c for c in captions)


def test_compare_needs_two_clips(store: Store, tmp_path: Path):
    make_synthetic_clip(store, tmp_path / "clips")
    at = open_page("compare")
    assert any("two analysed clips" in i.value for i in at.info)


# ------------------------------------------------------------------------------- Progress


def test_progress_charts_an_athletes_rom_across_sessions(store: Store, tmp_path: Path):
    two_sessions(store, tmp_path / "clips")
    at = open_page("progress")
    assert not at.exception
    assert len(at.get("plotly_chart")) == 1
    table = at.dataframe[0].value
    assert list(pd.to_datetime(table["Date"]).dt.strftime("%Y-%m-%d")) == [
        "2026-01-10", "2026-02-10"]
    assert table["Left knee"].iloc[0] == pytest.approx(88.6, abs=3)


def test_progress_shows_repetition_counts(store: Store, tmp_path: Path):
    two_sessions(store, tmp_path / "clips")
    at = open_page("progress")
    at.selectbox(key="progress_metric").select("repetitions").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table.iloc[:, -1]) == [2.0, 4.0]


# ------------------------------------------------------------------------------- photos


def add_photo(store: Store, folder: Path, with_person: bool) -> int:
    import cv2
    import numpy as np

    from analysis.pipeline import PipelineSettings, analyse_poses, file_sha256
    from analysis.store import TrackResult
    from tests.dashboard.conftest import squat_poses

    folder.mkdir(parents=True, exist_ok=True)
    photo = folder / f"photo-{with_person}.png"
    cv2.imwrite(str(photo), np.full((240, 320, 3), 90 + 40 * with_person, np.uint8))
    athlete = store.get_or_create_athlete("Anna Lee")
    session = store.get_or_create_session(athlete.id, "Photos")
    clip, _ = store.register_clip(
        session.id, file_name=photo.name, stored_path=str(photo), sha256=file_sha256(photo),
        kind="photo", fps=0.0, width=320, height=240, frame_count=1, duration_s=0.0,
        settings={},
    )
    results = []
    if with_person:
        full = squat_poses(30)
        one = type(full)(0, full.frames[:1], full.times[:1] * 0, full.present[:1],
                         full.keypoints[15:16], full.world[:1], full.scores[:1], full.boxes[:1])
        results = [TrackResult(one, analyse_poses(one, "photo", 0.0, PipelineSettings()))]
    store.write_clip_results(clip.id, results)
    return clip.id


def test_a_photo_with_nobody_in_it_says_so_plainly(store: Store, tmp_path: Path):
    add_photo(store, tmp_path / "photos", with_person=False)
    at = open_page("clip_view")
    assert not at.exception
    assert [w.value for w in at.warning] == ["No person was found in this photo."]
    assert "nobody found" in " ".join(c.value for c in at.caption)


def test_a_photo_shows_the_athlete_drawn_and_their_angles(store: Store, tmp_path: Path):
    add_photo(store, tmp_path / "photos", with_person=True)
    at = open_page("clip_view", section="Downloads and report")
    assert not at.exception
    assert len(frames_drawn(at)) == 1
    table = at.dataframe[0].value
    knee = table[table["Angle"] == "Left knee"].iloc[0]
    assert 60 < float(knee["Angle (°)"].rstrip("°")) < 100  # the squat's mid-depth frame
    assert any(b.proto.label == "Angles CSV" for b in at.get("download_button"))


def test_an_unusable_database_url_is_one_error_line(monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path):
    monkeypatch.setenv("POSTURE_DB_URL", "nosuchdb://nowhere/posture")
    monkeypatch.setenv("POSTURE_DATA_DIR", str(tmp_path / "data"))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S).run()
    assert not at.exception
    assert len(at.error) == 1 and "database URL" in at.error[0].value
