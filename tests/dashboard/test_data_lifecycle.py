"""Uploads and deletes in the dashboard (issue 11, findings 5 and 7): a batch starts only
when the data folder can be written, refused uploads are not kept, Streamlit's copy of an
upload is let go, deletes on the Sessions page take the files with the rows, and the page
says how much the data folder holds."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import cv2
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from analysis import files
from analysis.errors import AnalysisError
from analysis.pipeline import PipelineSettings
from analysis.store import Store
from dashboard import jobs
from tests.dashboard.conftest import make_synthetic_clip
from tests.dashboard.server import PROJECT_ROOT

APP = str(PROJECT_ROOT / "streamlit_app.py")


class Upload(io.BytesIO):
    """Stands in for Streamlit's UploadedFile (a BytesIO with a name and an id)."""

    def __init__(self, name: str, data: bytes) -> None:
        super().__init__(data)
        self.name, self.file_id = name, f"id-{name}"


def png(shade: int = 90) -> bytes:
    return cv2.imencode(".png", np.full((240, 320, 3), shade, np.uint8))[1].tobytes()


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'posture.db'}")


class NoEstimator:
    max_people = 1

    def process(self, _path):
        raise AssertionError("nothing should be estimated")


def test_an_unwritable_data_folder_starts_nothing_and_writes_nothing(store: Store,
                                                                     tmp_path: Path):
    anna = store.create_athlete("Anna Lee")
    data = tmp_path / "data"
    data.write_text("a file where the data folder should be")  # as unwritable as it gets
    upload = Upload("squat.png", png())
    with pytest.raises(AnalysisError) as caught:
        jobs.start_batch(store, NoEstimator(), anna.id,
                         jobs.NewSession("Squats", dt.date(2026, 5, 1)), PipelineSettings(),
                         [upload], data)
    assert "cannot be written to" in str(caught.value) and str(tmp_path) not in str(
        caught.value)
    assert store.list_sessions() == []  # no empty session, try after try
    assert not upload.closed  # still in the uploader, for when the folder is fixed


def test_refused_uploads_are_said_not_kept_and_make_no_session(store: Store, tmp_path: Path):
    anna = store.create_athlete("Anna Lee")
    data = tmp_path / "data"
    uploads = [Upload("notes.mp4", b"training notes\n"), Upload("empty.jpg", b"")]
    job = jobs.start_batch(store, NoEstimator(), anna.id,
                           jobs.NewSession("Squats", dt.date(2026, 5, 1)), PipelineSettings(),
                           uploads, data)
    job.wait(60)
    assert [(f.name, f.status) for f in job.files] == [("notes.mp4", "failed"),
                                                       ("empty.jpg", "failed")]
    assert jobs.summary_line(job.files[0]) == (
        "notes.mp4: is a text file, not a JPEG, PNG, WebP or BMP photo, or MP4, MOV, AVI, "
        "MKV or WebM clip")
    assert list((data / "uploads").iterdir()) == []
    assert store.list_sessions() == []
    assert all(u.closed for u in uploads)  # Streamlit's copy let go


def test_streamlits_copy_of_an_upload_is_let_go_once_saved(monkeypatch, tmp_path: Path):
    import streamlit.runtime as runtime
    import streamlit.runtime.scriptrunner as scriptrunner

    removed = []

    class Manager:
        def remove_file(self, session_id: str, file_id: str) -> None:
            removed.append((session_id, file_id))

    class Runtime:
        uploaded_file_mgr = Manager()

    class Context:
        session_id = "browser-1"

    monkeypatch.setattr(runtime, "exists", lambda: True)
    monkeypatch.setattr(runtime, "get_instance", lambda: Runtime())
    monkeypatch.setattr(scriptrunner, "get_script_run_ctx", lambda: Context())
    upload = Upload("squat.png", png())
    (run,) = jobs.save_uploads([upload], tmp_path / "uploads")
    assert run.status == "waiting" and run.path.read_bytes() == png()
    assert removed == [("browser-1", "id-squat.png")] and upload.closed


def test_a_new_session_that_the_store_refuses_keeps_no_upload(store: Store, tmp_path: Path,
                                                              monkeypatch):
    anna = store.create_athlete("Anna Lee")
    data = tmp_path / "data"

    def refuse(*_args, **_kwargs):
        raise AnalysisError("Session titles are at most 200 characters.")

    monkeypatch.setattr(store, "get_or_create_session", refuse)
    with pytest.raises(AnalysisError, match="at most 200"):
        jobs.start_batch(store, NoEstimator(), anna.id,
                         jobs.NewSession("x" * 300, dt.date.today()), PipelineSettings(),
                         [Upload("squat.png", png())], data)
    assert list((data / "uploads").iterdir()) == []


# --------------------------------------------------------------------------- Sessions page


@pytest.fixture
def app_env(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("POSTURE_DB_URL", store.url)
    monkeypatch.setenv("POSTURE_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def test_the_sessions_page_says_how_much_the_data_folder_holds(store: Store, app_env: Path):
    for kind, sizes in (("uploads", [1000, 2000]), ("previews", [500]), ("exports", [])):
        (app_env / kind).mkdir(parents=True)
        for i, size in enumerate(sizes):
            (app_env / kind / f"f{i}").write_bytes(b"x" * size)
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("dashboard/pages/sessions.py").run()
    assert not at.exception
    assert any(c.value == "Data folder: uploads 3.0 kB (2 files) · previews 500 B (1 file) · "
                          "exports 0 B (0 files)" for c in at.caption)


def _owned_files(store: Store, data: Path, clip_id: int) -> list[Path]:
    """A clip's upload (made in uploads/), with a preview and an annotated export, as the
    dashboard leaves them."""
    clip = store.get_clip(clip_id)
    preview = data / "previews" / f"{clip.sha256}.json"
    export = data / "exports" / f"squat-annotated-{files.export_key(clip)}-0123456789ab.mp4"
    for path in (preview, export):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * 10)
    return [Path(clip.stored_path), preview, export]


@pytest.mark.parametrize("kind", ["clip", "session", "athlete"])
def test_deleting_on_the_sessions_page_deletes_the_files_too(store: Store, app_env: Path,
                                                             tmp_path: Path, kind: str):
    own_id = make_synthetic_clip(store, app_env / "uploads", athlete="Anna Lee",
                                 session="Squats")
    other_id = make_synthetic_clip(store, app_env / "uploads", athlete="Bob Marsh",
                                   session="Sprints", n_frames=80)  # other bytes
    own = _owned_files(store, app_env, own_id)
    others = _owned_files(store, app_env, other_id)
    clip = store.get_clip(own_id)
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("dashboard/pages/sessions.py").run()
    target = {"clip": own_id, "session": clip.session_id, "athlete": clip.athlete_id}[kind]
    at.selectbox(key=f"manage_{kind}").select(target).run()
    at.button(key=f"delete_{kind}").click().run()
    at.button(key=f"confirm_{kind}").click().run()
    assert not at.exception
    assert [c.id for c in store.list_clips()] == [other_id]
    assert not any(p.exists() for p in own) and all(p.exists() for p in others)
    assert any("files freed" in t.value for t in at.toast)
