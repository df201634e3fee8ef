"""Shared fixtures: the real media beside the project, skipped with a reason when absent."""

from __future__ import annotations

from pathlib import Path

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
