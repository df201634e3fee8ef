"""The data folder's lifecycle (issue 11, finding 7): uploads streamed to disk and named by
content, rejected ones deleted at once, files deleted with their rows, prune and use."""

from __future__ import annotations

import hashlib
import io
import os
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from analysis import files
from analysis.errors import AnalysisError
from analysis.store import Store


def png_bytes(shade: int = 90) -> bytes:
    return cv2.imencode(".png", np.full((48, 64, 3), shade, np.uint8))[1].tobytes()


def jpeg_bytes(shade: int = 90) -> bytes:
    return cv2.imencode(".jpg", np.full((48, 64, 3), shade, np.uint8))[1].tobytes()


class CountingReader(io.BytesIO):
    """An upload that records how much is asked of it at a time."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.asked: list[int] = []

    def read(self, size: int | None = -1) -> bytes:
        self.asked.append(-1 if size is None else size)
        return super().read(size)


# --------------------------------------------------------------------------- uploads


def test_an_upload_is_streamed_and_named_by_its_content(tmp_path: Path):
    uploads = tmp_path / "uploads"
    data = jpeg_bytes() + b"\x00" * (3 << 20)  # padding after the image: 4 reads of 1 MiB
    upload = CountingReader(data)
    stored = files.save_upload(upload, "Squat photo.PNG", uploads)  # named PNG, is a JPEG
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.path == uploads / f"{stored.sha256}.jpg"
    assert stored.path.read_bytes() == data
    assert max(upload.asked) == files.BLOCK_BYTES and -1 not in upload.asked  # never whole
    again = files.save_upload(io.BytesIO(data), "copy.jpg", uploads)
    assert again == stored
    assert [p.name for p in uploads.iterdir()] == [stored.path.name]  # no partial left


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "empty file"),
    (b"training notes, not a clip\n", "is a text file"),
    (png_bytes()[:-30], "truncated"),
])
def test_a_rejected_upload_is_deleted_at_once_and_named_by_the_users_file_name(
        tmp_path: Path, content: bytes, reason: str):
    uploads = tmp_path / "uploads"
    with pytest.raises(AnalysisError) as caught:
        files.save_upload(io.BytesIO(content), "Rücken\nlinks.mp4", uploads)
    message = str(caught.value)
    assert message.startswith("Rücken\nlinks.mp4: ") and reason in message
    assert str(tmp_path) not in message and ".part" not in message
    assert list(uploads.iterdir()) == []


def test_an_unwritable_data_folder_is_one_line_without_the_servers_path(tmp_path: Path):
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data folder should be")
    with pytest.raises(AnalysisError) as caught:
        files.save_upload(io.BytesIO(png_bytes()), "a.png", blocker / "uploads")
    message = str(caught.value)
    assert "cannot be written to" in message and "\n" not in message
    assert str(tmp_path) not in message


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_data_folder_is_one_line(tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o555)
    try:
        with pytest.raises(AnalysisError, match="cannot be written to"):
            files.check_writable(data / "uploads")
    finally:
        data.chmod(0o755)


# --------------------------------------------------------------------------- rows and files


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'posture.db'}")


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    for kind in files.FOLDERS:
        (folder / kind).mkdir(parents=True)
    return folder


def add_clip(store: Store, data: Path, athlete: str, session: str, content: bytes,
             name: str = "squat.png") -> tuple[int, list[Path]]:
    """A clip row whose upload, preview and annotated export are in ``data``, as the
    dashboard leaves them; returns its id and its files."""
    stored = files.save_upload(io.BytesIO(content), name, data / "uploads")
    a = store.get_or_create_athlete(athlete)
    s = store.get_or_create_session(a.id, session)
    clip, _ = store.register_clip(
        s.id, file_name=name, stored_path=str(stored.path), sha256=stored.sha256,
        kind="photo", fps=0.0, width=64, height=48, frame_count=1, duration_s=0.0,
        settings={})
    preview = [data / "previews" / f"{stored.sha256}.png",
               data / "previews" / f"{stored.sha256}.json"]
    export = data / "exports" / f"squat-annotated-{files.export_key(clip)}-0123456789ab.mp4"
    for path in [*preview, export]:
        path.write_bytes(b"x" * 100)
    return clip.id, [stored.path, *preview, export]


def test_deleting_a_clip_deletes_its_upload_previews_and_exports(store: Store, data: Path):
    clip_id, owned = add_clip(store, data, "Anna", "Squats", png_bytes(1))
    other_id, others = add_clip(store, data, "Anna", "Squats", png_bytes(2), "other.png")
    removal = files.delete_clip(store, clip_id, data)
    assert not any(p.exists() for p in owned)
    assert all(p.exists() for p in others)
    assert sorted(removal.removed) == sorted(p.relative_to(data) for p in owned)
    assert removal.bytes == sum(len(b) for b in [png_bytes(1)]) + 300
    assert [c.id for c in store.list_clips()] == [other_id]


def test_the_same_bytes_in_two_sessions_keep_their_upload_until_the_last_goes(
        store: Store, data: Path):
    first, owned = add_clip(store, data, "Anna", "Monday", png_bytes())
    second, _ = add_clip(store, data, "Anna", "Tuesday", png_bytes())
    upload, *previews, first_export = owned
    files.delete_clip(store, first, data)
    assert upload.exists() and all(p.exists() for p in previews)
    assert not first_export.exists()  # an export belongs to one clip row
    files.delete_clip(store, second, data)
    assert not upload.exists() and not any(p.exists() for p in previews)


def test_a_file_analysed_from_the_command_line_stays_the_users(store: Store, data: Path,
                                                               tmp_path: Path):
    own = tmp_path / "my_photo.png"
    own.write_bytes(png_bytes())
    a = store.get_or_create_athlete("Anna")
    s = store.get_or_create_session(a.id, "Squats")
    clip, _ = store.register_clip(
        s.id, file_name="my_photo.png", stored_path=str(own.resolve()), sha256="0" * 64,
        kind="photo", fps=0.0, width=64, height=48, frame_count=1, duration_s=0.0, settings={})
    files.delete_clip(store, clip.id, data)
    assert own.exists()


def test_deleting_a_session_or_an_athlete_deletes_all_their_files(store: Store, data: Path):
    _, monday = add_clip(store, data, "Anna", "Monday", png_bytes(1))
    _, tuesday = add_clip(store, data, "Anna", "Tuesday", png_bytes(2))
    _, bens = add_clip(store, data, "Ben", "Monday", png_bytes(3))
    monday_session = store.list_sessions(store.get_athlete("Anna").id)
    session_id = next(s.id for s in monday_session if s.title == "Monday")
    files.delete_session(store, session_id, data)
    assert not any(p.exists() for p in monday) and all(p.exists() for p in tuesday + bens)
    files.delete_athlete(store, "Anna", data)
    assert not any(p.exists() for p in tuesday) and all(p.exists() for p in bens)
    assert {p.relative_to(data) for p in data.rglob("*") if p.is_file()} == {
        p.relative_to(data) for p in bens}


def test_a_held_upload_is_not_deleted_under_a_running_analysis(store: Store, data: Path):
    clip_id, (upload, *_rest) = add_clip(store, data, "Anna", "Squats", png_bytes())
    with files.hold(upload):  # the same bytes, uploaded again, waiting in a batch
        files.delete_clip(store, clip_id, data)
        assert upload.exists()
        assert files.release_upload(store, upload, data).removed == []
    assert files.release_upload(store, upload, data).removed == [upload.relative_to(data)]


def test_a_failed_analysis_releases_its_upload(store: Store, data: Path):
    clip_id, (upload, *_rest) = add_clip(store, data, "Anna", "Squats", png_bytes())
    assert files.release_upload(store, upload, data).removed == []  # its clip is pending
    store.mark_failed(clip_id, "nobody could be read")
    assert files.release_upload(store, upload, data).removed == [upload.relative_to(data)]


def test_prune_removes_what_no_row_points_to(store: Store, data: Path, tmp_path: Path):
    _, kept = add_clip(store, data, "Anna", "Squats", png_bytes())
    orphans = [data / "uploads" / f"{'a' * 64}.mp4", data / "previews" / f"{'b' * 64}.mp4",
               data / "exports" / "old-annotated-0123456789ab.mp4",
               data / "exports" / "x-annotated-ffffffffffff-0123456789ab.mp4",
               data / "uploads" / ".upload-1-2-3.part"]
    for path in orphans:
        path.write_bytes(b"y" * 1000)
    recent = data / "uploads" / f"{'c' * 64}.jpg"  # an upload waiting for its analysis
    recent.write_bytes(b"z" * 10)
    old = time.time() - 2 * files.KEEP_RECENT_S
    for path in orphans:
        os.utime(path, (old, old))
    (data / "posture.db").write_bytes(b"not ours to prune")

    dry = files.prune(store, data, dry_run=True)
    assert sorted(dry.removed) == sorted(p.relative_to(data) for p in orphans)
    assert dry.bytes == 5000 and dry.kept_recent == 1
    assert all(p.exists() for p in orphans)

    done = files.prune(store, data)
    assert sorted(done.removed) == sorted(dry.removed) and done.bytes == 5000
    assert not any(p.exists() for p in orphans)
    assert all(p.exists() for p in [*kept, recent, data / "posture.db"])
    assert files.prune(store, data, keep_recent_s=0).removed == [recent.relative_to(data)]


def test_the_data_folders_use(store: Store, data: Path):
    add_clip(store, data, "Anna", "Squats", png_bytes())
    (data / "exports" / "sub").mkdir()
    (data / "exports" / "sub" / "x.mp4").write_bytes(b"x" * 50)
    use = files.usage(data)
    assert use["uploads"] == files.FolderUse(1, len(png_bytes()))
    assert use["previews"] == files.FolderUse(2, 200)
    assert use["exports"] == files.FolderUse(2, 150)
    assert files.usage(data / "missing")["uploads"] == files.FolderUse(0, 0)


def test_sizes_read_as_a_coach_reads_them():
    assert [files.format_bytes(n) for n in (0, 999, 1500, 23_400_000, 1_234_000_000,
                                            5e12)] == [
        "0 B", "999 B", "1.5 kB", "23 MB", "1.2 GB", "5000 GB"]
