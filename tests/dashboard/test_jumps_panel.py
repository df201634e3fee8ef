"""The Clip view shows a "Jumps" section for a clip with a jump, and none for a squat."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from analysis.store import Store, TrackResult
from analysis.track import analyse_track
from tests.analysis.test_jump_store import jump_poses
from tests.dashboard.conftest import make_synthetic_clip
from tests.dashboard.test_pages import open_page


def jump_clip_in_store(store: Store, folder: Path) -> int:  # noqa: F811
    from analysis.pipeline import file_sha256
    from dashboard.video_export import write_mp4

    poses = jump_poses(60.0)
    folder.mkdir(parents=True, exist_ok=True)
    video = folder / "cmj.mp4"
    n = len(poses.frames)
    write_mp4(((np.full((250, 200, 3), 90, np.uint8), i / 60.0) for i in range(n)), video, 60.0)
    analysis = analyse_track(poses.keypoints, None, poses.times, 60.0, height_m=1.75)
    athlete = store.get_or_create_athlete("Anna Lee")
    session = store.get_or_create_session(athlete.id, "Jumps", dt.date(2026, 3, 2))
    clip, _ = store.register_clip(session.id, file_name=video.name, stored_path=str(video),
                                  sha256=file_sha256(video), kind="video", fps=60.0,
                                  width=200, height=250, frame_count=n, duration_s=n / 60.0,
                                  settings={})
    store.write_clip_results(clip.id, [TrackResult(poses, analysis)])
    return clip.id


def test_the_clip_view_shows_the_jump(store: Store, tmp_path: Path) -> None:  # noqa: F811
    squat = make_synthetic_clip(store, tmp_path / "clips")
    jump = jump_clip_in_store(store, tmp_path / "clips")
    at = open_page("clip_view")
    at.selectbox(key="clip_view_clip").select(jump).run()
    assert not at.exception, at.exception
    assert "Jumps" in [h.value for h in at.subheader]
    tables = [t.value for t in at.dataframe]
    jumps = next(t for t in tables if "Height by flight time (cm)" in t.columns)
    assert len(jumps) == 1 and jumps["Height by flight time (cm)"].iloc[0].startswith("30.")
    assert any("Take-off ROM (°)" in t.columns for t in tables)
    assert any("Resolution: one frame, 17 ms at 60 fps" in c.value for c in at.caption)
    at.button(key="jump_landing_1").click().run()
    assert not at.exception
    assert at.session_state["clip_frame"] == 120  # the first frame back on the ground
    at.selectbox(key="clip_view_clip").select(squat).run()
    assert "Jumps" not in [h.value for h in at.subheader]
