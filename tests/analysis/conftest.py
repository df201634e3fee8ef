"""Fixtures of the analysis tests that need the real clip (skipped without ../shared)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis.pipeline import PipelineSettings, TrackCollector
from analysis.store import TrackPoses
from estimator.keypoints import KEYPOINT_INDEX as K


@pytest.fixture(scope="session")
def parkour_people(parkour_clip: Path) -> dict[str, TrackPoses]:
    """The two people of parkour_walk.mp4 as the pipeline collects them, the estimator
    run once: ``"man"`` (walking on the rooftop box, higher in the image) and
    ``"woman"`` (walking on the grass below). 30 fps."""
    from estimator import PoseEstimator

    collector = TrackCollector()
    for frame in PoseEstimator(max_people=PipelineSettings().max_people).process(parkour_clip):
        collector.add(frame)
    tracks = [collector.track(t) for t in collector.track_ids]
    tracks = sorted(tracks, key=lambda p: -p.present.sum())[:2]
    hips = [K["left_hip"], K["right_hip"]]
    high, low = sorted(tracks, key=lambda p: float(np.nanmean(p.keypoints[:, hips, 1])))
    return {"man": high, "woman": low}


# The store's tests run on SQLite and on a real PostgreSQL server (tests/postgres.py).
from tests.postgres import db_url, postgres_server  # noqa: E402, F401
