"""The frame slider's preview: any frame, quickly, and the right one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dashboard.frames import FrameReader, SourceReader, build_preview, load_preview, preview_size
from dashboard.video_export import write_mp4


def numbered_clip(path: Path, n: int = 75, fps: float = 25.0, size=(400, 300)) -> list[np.ndarray]:
    """A clip whose frame i shows a bright bar at a position unique to i."""
    width, height = size
    frames = []
    for i in range(n):
        image = np.full((height, width, 3), 30, np.uint8)
        x = int(i * (width - 8) / (n - 1))
        image[:, x:x + 8] = (255, 255, 255)
        frames.append(image)
    write_mp4(((f, i / fps) for i, f in enumerate(frames)), path, fps, crf=16)
    return frames


def bar_position(image: np.ndarray) -> float:
    column = image.mean(axis=(0, 2))
    return float(np.argmax(column))


def test_preview_size_keeps_the_aspect_and_even_sides():
    assert preview_size(3840, 2160, 1280) == (1280, 720, pytest.approx(1 / 3))
    assert preview_size(1080, 1920, 1280)[:2] == (720, 1280)
    assert preview_size(640, 360, 1280) == (640, 360, 1.0)


def test_every_frame_of_the_preview_is_the_right_one_in_any_order(tmp_path: Path):
    source = tmp_path / "clip.mp4"
    frames = numbered_clip(source)
    preview = build_preview(source, tmp_path / "previews", "key", max_side=200, gop=10)
    assert preview is not None and preview.frame_count == len(frames)
    assert (preview.width, preview.height) == (200, 150)
    assert preview.times == pytest.approx(np.arange(len(frames)) / 25.0, abs=1e-3)
    reader = FrameReader(preview)
    order = [40, 3, 74, 0, 41, 42, 43, 10, 9, 60]
    for i in order:
        got = bar_position(reader.frame(i)) / preview.scale
        assert got == pytest.approx(bar_position(frames[i]), abs=6), i


def test_a_built_preview_is_found_again_and_a_missing_one_is_not(tmp_path: Path):
    source = tmp_path / "clip.mp4"
    numbered_clip(source, n=20)
    assert load_preview(tmp_path / "previews", "key") is None
    build_preview(source, tmp_path / "previews", "key", max_side=200)
    again = load_preview(tmp_path / "previews", "key")
    assert again is not None and again.frame_count == 20


def test_a_cancelled_preview_leaves_nothing(tmp_path: Path):
    import threading

    source = tmp_path / "clip.mp4"
    numbered_clip(source, n=20)
    cancel = threading.Event()
    cancel.set()
    assert build_preview(source, tmp_path / "previews", "key", cancel=cancel) is None
    assert list((tmp_path / "previews").iterdir()) == []


def test_the_source_reader_gives_the_same_frames_until_the_preview_exists(tmp_path: Path):
    source = tmp_path / "clip.mp4"
    frames = numbered_clip(source)
    reader = SourceReader(source, "video", 400, 300, 25.0, len(frames), max_side=200)
    for i in (5, 6, 50, 2):
        got = bar_position(reader.frame(i)) / reader.scale
        assert got == pytest.approx(bar_position(frames[i]), abs=6), i


def test_the_source_reader_reads_a_frame_asked_twice_in_a_row_once(tmp_path: Path):
    source = tmp_path / "clip.mp4"
    frames = numbered_clip(source)
    reader = SourceReader(source, "video", 400, 300, 25.0, len(frames), max_side=200)
    first = reader.frame(7)
    reader._cap.release()  # a second decode would now fail: the frame must come from memory
    again = reader.frame(7)
    assert again is first
    assert bar_position(again) / reader.scale == pytest.approx(bar_position(frames[7]), abs=6)


def test_a_photo_preview_is_the_photo(tmp_path: Path):
    import cv2

    photo = tmp_path / "photo.png"
    image = np.zeros((300, 500, 3), np.uint8)
    image[100:200, 200:300] = (0, 0, 255)
    cv2.imwrite(str(photo), image)
    preview = build_preview(photo, tmp_path / "previews", "p", max_side=250)
    assert preview.is_photo and preview.frame_count == 1
    shown = FrameReader(preview).frame(0)
    assert shown.shape == (150, 250, 3)
    assert tuple(shown[75, 125]) == (0, 0, 255)
