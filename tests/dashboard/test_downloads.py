"""The Clip view's downloads (issue 10, defect 8): the annotated MP4 is drawn at the clip's
full size unless the coach picks the smaller one, and says which; a photo has an
annotated PNG at its own size."""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np

from analysis.store import Store
from tests.dashboard.conftest import make_synthetic_clip
from tests.dashboard.test_pages import (  # noqa: F401 -- the media fixture
    add_photo,
    download,
    media,
    open_page,
)


def _video_size(path: str) -> tuple[int, int]:
    with av.open(path) as container:
        stream = container.streams.video[0]
        return stream.width, stream.height


def test_the_annotated_video_is_full_size_unless_the_smaller_one_is_chosen(
    store: Store, tmp_path: Path  # noqa: F811
):
    make_synthetic_clip(store, tmp_path / "clips", n_frames=20, size=(1920, 1080))
    at = open_page("clip_view", section="Downloads and report")
    size = at.radio(key="clip_video_size")
    assert size.options == [
        "Full size, 1920×1080", "1280×720 (quicker to make and send)"]
    assert size.value == 0  # full size unless asked

    at.button(key="make_video").click().run()
    assert not at.exception, at.exception
    assert len(at.get("video")) == 1
    (made,) = store_dir(tmp_path).glob("*.mp4")
    assert _video_size(str(made)) == (1920, 1080)
    assert any("1920×1080 (at the clip's full size)" in c.value for c in at.caption)

    at.radio(key="clip_video_size").set_value(1280).run()
    at.button(key="make_video").click().run()
    assert not at.exception, at.exception
    sizes = sorted(_video_size(str(p)) for p in store_dir(tmp_path).glob("*.mp4"))
    assert sizes == [(1280, 720), (1920, 1080)]  # two files, one per size
    assert any("1280×720 (reduced from 1920×1080)" in c.value for c in at.caption)


def test_a_small_clip_has_no_size_choice_and_says_it_is_full_size(
    store: Store, tmp_path: Path  # noqa: F811
):
    make_synthetic_clip(store, tmp_path / "clips", n_frames=20)
    at = open_page("clip_view", section="Downloads and report")
    assert not [r for r in at.radio if r.key == "clip_video_size"]
    at.button(key="make_video").click().run()
    assert any("320×240 (at the clip's full size)" in c.value for c in at.caption)


def test_a_photo_downloads_as_an_annotated_png_at_its_own_size(
    store: Store, tmp_path: Path, media  # noqa: F811
):
    add_photo(store, tmp_path / "photos", with_person=True)
    at = open_page("clip_view", section="Downloads and report")
    assert not at.exception
    png = download(at, "Annotated photo (PNG)", media)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (240, 320, 3)  # the photo's own size
    # the photo is plain grey (130): the skeleton and labels are drawn on it
    drawn = np.abs(image.astype(int) - 130).sum(axis=2) > 60
    assert 0.01 < drawn.mean() < 0.5
    assert not [b for b in at.button if b.label == "Annotated video"]


def store_dir(tmp_path: Path) -> Path:
    """The exports folder of the app under test (``POSTURE_DATA_DIR`` is tmp_path/data)."""
    return tmp_path / "data" / "exports"
