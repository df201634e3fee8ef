"""Jumps and phases go through the store (kept as per-track tables of the analysis: no
schema change) and show on Progress; tracks stored before jumps existed read as none."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import delete

from analysis.jumps import JUMP_COLUMNS
from analysis.store import Store, TrackPoses, TrackResult
from analysis.store.models import MetricChunk
from analysis.track import analyse_track
from tests.analysis.synthetic_jumps import jump_clip


def jump_poses(fps: float = 60.0) -> TrackPoses:
    kp, t = jump_clip(fps, 0.5, noise_px=1.0)
    n = len(t)
    return TrackPoses(track_id=0, frames=np.arange(n), times=t, present=np.ones(n, bool),
                      keypoints=kp.astype(np.float32),
                      world=np.full((n, 33, 3), np.nan, np.float32),
                      scores=np.full(n, 0.9, np.float32),
                      boxes=np.zeros((n, 4), np.float32))


def stored_jump(store: Store, session_title: str = "Jumps", day=dt.date(2026, 3, 2)) -> int:
    poses = jump_poses()
    analysis = analyse_track(poses.keypoints, None, poses.times, 60.0, height_m=1.75)
    athlete = store.get_or_create_athlete("Anna Lee")
    session = store.get_or_create_session(athlete.id, session_title, day)
    clip, _ = store.register_clip(session.id, file_name=f"{session_title}.mp4",
                                  stored_path="/x.mp4", sha256=session_title[0] * 64,
                                  kind="video", fps=60.0, width=800, height=1000,
                                  frame_count=len(poses.frames), duration_s=3.5, settings={})
    store.write_clip_results(clip.id, [TrackResult(poses, analysis)])
    return clip.id


def test_jumps_and_phases_round_trip(tmp_path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'p.db'}")
    clip_id = stored_jump(store)
    jumps = store.read_jumps(clip_id)
    assert list(jumps.columns) == ["track_id", *JUMP_COLUMNS]
    assert list(jumps["status"]) == ["ok"]
    analysis = store.read_analysis(clip_id, 0)
    pd.testing.assert_frame_equal(analysis.jumps, jumps.drop(columns="track_id"))
    assert analysis.jump_note == ""
    phases = store.read_phases(clip_id)
    assert set(phases["phase"]) >= {"take-off", "flight", "landing"}
    progress = store.progress("Anna Lee")
    height = progress[progress["metric"] == "jump_height_cm"].set_index("name")["value"]
    assert abs(height["flight_time"] - 30.7) < 2.1 and abs(height["hip_rise"] - 30.7) < 3


def test_a_track_stored_before_jumps_reads_as_none(tmp_path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'p.db'}")
    clip_id = stored_jump(store)
    with store._writing() as session:  # what an older version wrote: no such tables
        session.execute(delete(MetricChunk).where(MetricChunk.kind.in_(["jumps", "phases"])))
    assert store.read_jumps(clip_id).empty
    analysis = store.read_analysis(clip_id, 0)
    assert analysis.jumps.empty and list(analysis.jumps.columns) == list(JUMP_COLUMNS)
    assert analysis.phases.empty
    assert store.progress("Anna Lee").query("metric == 'jump_height_cm'").empty
