"""Shared fixtures: the real media beside the project, skipped with a reason when absent."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MEDIA_DIR = PROJECT_ROOT.parent / "shared" / "media"


@pytest.fixture(scope="session")
def media_dir() -> Path:
    """``../shared/media``; tests that use it skip when it is not there."""
    if not (MEDIA_DIR / "parkour_walk.mp4").is_file():
        pytest.skip(f"real media not found at {MEDIA_DIR} (../shared/media beside the project)")
    return MEDIA_DIR


@pytest.fixture(scope="session")
def parkour_clip(media_dir: Path) -> Path:
    return media_dir / "parkour_walk.mp4"


SHORT_CLIP_FRAMES = 60


@pytest.fixture(scope="session")
def short_clip(parkour_clip: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 2 s (60 frames) of parkour_walk.mp4 at half size; both people are in it."""
    path = tmp_path_factory.mktemp("media") / "parkour_2s.mp4"
    capture = cv2.VideoCapture(str(parkour_clip))
    fps = capture.get(cv2.CAP_PROP_FPS)
    size = (int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)) // 2,
            int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)) // 2)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    for _ in range(SHORT_CLIP_FRAMES):
        ok, frame = capture.read()
        assert ok
        writer.write(cv2.resize(frame, size))
    writer.release()
    capture.release()
    return path
