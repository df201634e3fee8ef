"""Short real clips for the batch tests, cut at test time from ``parkour_walk.mp4``
(1768x994, 30 fps, two people walking), so that a batch runs in seconds."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2

FPS = 30.0


def cut_clip(source: Path, target: Path, start: int, frames: int, scale: float = 0.5) -> Path:
    """``frames`` frames of ``source`` from frame ``start``, resized by ``scale``, as MP4."""
    capture = cv2.VideoCapture(str(source))
    size = (int(capture.get(cv2.CAP_PROP_FRAME_WIDTH) * scale),
            int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT) * scale))
    capture.set(cv2.CAP_PROP_POS_FRAMES, start)
    target.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(target), cv2.VideoWriter_fourcc(*"mp4v"), FPS, size)
    try:
        for _ in range(frames):
            ok, frame = capture.read()
            assert ok, f"{source} ended before frame {start + frames}"
            writer.write(cv2.resize(frame, size, interpolation=cv2.INTER_AREA))
    finally:
        writer.release()
        capture.release()
    return target


def truncated(source: Path, target: Path, keep: int = 5000) -> Path:
    """The first ``keep`` bytes of ``source``: a copy that stopped part-way."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(source, "rb") as f:
        target.write_bytes(f.read(keep))
    return target


def season_archive(media: Path, folder: Path) -> dict[str, Path]:
    """An archive kept per athlete, as a club would: ``Anna Lee/`` with two 1 s clips,
    ``Ben Ode/`` with a 1 s clip, a photo and a clip truncated part-way (corrupt).

    Returns the files by short name: walk1, walk2, walk3, golf, broken.
    """
    clip = media / "parkour_walk.mp4"
    files = {
        "walk1": cut_clip(clip, folder / "Anna Lee" / "walk1.mp4", 0, 30),
        "walk2": cut_clip(clip, folder / "Anna Lee" / "walk2.mp4", 60, 30),
        "walk3": cut_clip(clip, folder / "Ben Ode" / "walk3.mp4", 120, 30),
        "golf": folder / "Ben Ode" / "golf.jpg",
        "broken": truncated(clip, folder / "Ben Ode" / "broken.mp4"),
    }
    shutil.copyfile(media / "images" / "golf.jpg", files["golf"])
    return files


def stored_clips(url: str) -> dict[tuple[str, str], object]:
    """Every clip in the store at ``url`` by (athlete name, file name), each checked to
    hold a complete analysis: status done, people found, and for a clip the angles of
    its athlete on every frame (0-29) within the flexion range, for a photo one frame."""
    import numpy as np

    from analysis.store import Store

    clips = {}
    with Store(url) as store:
        for athlete in store.list_athletes():
            for clip in store.list_clips(athlete=athlete.id):
                assert clip.status == "done", (clip.file_name, clip.status, clip.error)
                assert clip.tracks and clip.athlete_track is not None, clip.file_name
                angles = store.read_angles(clip.id, clip.athlete_track)
                frames = sorted(set(angles["frame"]))
                if clip.kind == "video":
                    assert clip.frame_count == 30 and clip.fps == FPS
                    assert frames[0] >= 0 and frames[-1] <= 29 and len(frames) >= 20
                else:
                    assert frames == [0]
                knees = angles[["left_knee", "right_knee"]].to_numpy(dtype=float)
                assert np.isfinite(knees).any(), clip.file_name
                assert np.nanmin(knees) > -10 and np.nanmax(knees) < 180
                clips[(athlete.name, clip.file_name)] = clip
    return clips


def active_rows(url: str) -> list[tuple[str, str]]:
    """(file name, status) of clips left pending or running: a batch must leave none."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT file_name, status FROM clips WHERE status IN ('pending', 'running')"))
            return [(r[0], r[1]) for r in rows]
    finally:
        engine.dispose()
