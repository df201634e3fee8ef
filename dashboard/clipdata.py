"""One analysed clip as the pages use it: read from the store once, then drawn from memory.

:func:`load_clip` reads a clip's poses (one query for every track) and each
track's stored analysis, and is cached per clip *and* its finishing time, so
moving the frame slider or switching charts never reads the store again, and a
clip analysed anew is read anew. The cached object is shared, read-only.

:func:`frame_image` draws one frame: the preview's image, every person's
skeleton, their labels, and the chosen angles of the athlete (the values the
analysis stored for that frame). Drawn frames are cached as JPEG bytes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pandas as pd
import streamlit as st

from analysis import ClipInfo, TrackInfo, TrackPoses
from analysis.corrections import apply_corrections
from analysis.store import poses_from_frame
from dashboard.annotate import (
    AngleAnnotator,
    Pose,
    SkeletonAnnotator,
    TrackIdAnnotator,
)
from dashboard.frames import FrameReader, SourceReader, load_preview
from dashboard.state import get_store, previews_dir

JPEG_QUALITY = 88
# Labels a little larger than the annotators' defaults: on a 960-pixel preview shown about
# 830 pixels wide they read at about 14 px on screen, and as well in an exported clip.
LABEL_TEXT_PX = 21.0
ID_TEXT_PX = 23.0
LINE_PX = 3.5


def annotators(athlete_track: int | None, athlete_name: str, angle_names: tuple[str, ...]
               ) -> tuple[SkeletonAnnotator, AngleAnnotator, TrackIdAnnotator]:
    """The dashboard's drawing of a frame (viewer and exported clip alike)."""
    names = {athlete_track: athlete_name} if athlete_track is not None and athlete_name else {}
    ids = TrackIdAnnotator(names=names, text_size=ID_TEXT_PX)
    return (
        SkeletonAnnotator(thickness=LINE_PX),
        AngleAnnotator(names=angle_names, track_labels=ids, text_size=LABEL_TEXT_PX),
        ids,
    )


@dataclass(frozen=True)
class TrackView:
    """One person of a clip: poses and analysis, indexed by position in the track.

    ``angles`` / ``angles_raw``: (F, A) degrees, index position 0..F-1 (cleaned / as
    measured). ``analysis``: the stored ``TrackAnalysis`` of a clip (None for a photo).
    """

    info: TrackInfo
    poses: TrackPoses
    angles: pd.DataFrame
    angles_raw: pd.DataFrame
    analysis: Any = None

    @property
    def times(self) -> np.ndarray:
        return self.poses.times

    def position(self, frame: int) -> int | None:
        """Position in the track of clip frame ``frame``; None outside the track."""
        frames = self.poses.frames
        i = int(np.searchsorted(frames, frame))
        return i if i < len(frames) and frames[i] == frame else None


@dataclass(frozen=True)
class ClipData:
    clip: ClipInfo
    tracks: dict[int, TrackView]
    frame_times: np.ndarray  # (N,) seconds of every clip frame (from the poses, else index/fps)

    @property
    def frame_count(self) -> int:
        return int(len(self.frame_times))

    def people_at(self, frame: int) -> list[tuple[TrackView, int]]:
        """(track, position) of everyone present in clip frame ``frame``."""
        out = []
        for track in self.tracks.values():
            pos = track.position(frame)
            if pos is not None and bool(track.poses.present[pos]):
                out.append((track, pos))
        return out


def clip_stamp(clip: ClipInfo) -> str:
    """What changes when a clip's results change (the cache key beside its id)."""
    return f"{clip.sha256}:{clip.status}:{clip.finished_at}"


@st.cache_resource(max_entries=6, show_spinner="Reading the results…")
def _load(url: str, clip_id: int, stamp: str) -> ClipData:
    store = get_store()
    clip = store.get_clip(clip_id)
    # A trimmed clip's metrics cover its trim only (analysis.store.trims): so do its poses.
    trim = clip.trim
    poses_df = store.read_poses(clip_id, frames=None if trim is None else (trim[0], trim[1] + 1))
    corrections = store.list_corrections(clip_id, active_only=True)
    tracks: dict[int, TrackView] = {}
    for info in clip.tracks:
        rows = poses_df[poses_df["track_id"] == info.track_id]
        poses = poses_from_frame(info.track_id, rows.drop(columns=["track_id"]))
        poses = apply_corrections(poses, corrections).poses  # as the metrics read them
        if clip.kind == "video":
            analysis = store.read_analysis(clip_id, info.track_id)
            angles, raw = analysis.angles, analysis.angles_raw
        else:
            analysis = None
            angles = _angles_only(store.read_angles(clip_id, info.track_id))
            raw = _angles_only(store.read_angles(clip_id, info.track_id, cleaned=False))
        tracks[info.track_id] = TrackView(info, poses, angles, raw, analysis)
    count = max(int(clip.frame_count), 1)
    for view in tracks.values():
        if len(view.poses.frames):
            count = max(count, int(view.poses.frames[-1]) + 1)
    times = np.arange(count, dtype=float) / (clip.fps or 30.0) if clip.kind == "video" else (
        np.zeros(1))
    for view in tracks.values():
        times[view.poses.frames] = view.poses.times
    return ClipData(clip, tracks, times)


def _angles_only(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns=[c for c in ("track_id", "frame", "time_s") if c in df.columns]
                   ).reset_index(drop=True)


def load_clip(clip: ClipInfo) -> ClipData:
    """The clip's poses and analyses, read once per clip result (cached, shared, read-only)."""
    return _load(get_store().url, clip.id, clip_stamp(clip))


_READERS: dict[str, Any] = {}
_READERS_LOCK = threading.Lock()


def frame_reader(clip: ClipInfo) -> FrameReader | SourceReader:
    """The fastest reader available for the clip's frames: its preview once built, else
    the original file. Readers are kept (a few clips) so stepping frames stays sequential."""
    with _READERS_LOCK:
        reader = _READERS.get(clip.sha256)
        if isinstance(reader, FrameReader):
            return reader
        preview = load_preview(previews_dir(), clip.sha256)
        if preview is not None:
            if reader is not None:
                reader.close()
            reader = FrameReader(preview)
        elif reader is None:
            reader = SourceReader(
                Path(clip.stored_path), clip.kind, clip.width, clip.height, clip.fps,
                clip.frame_count,
            )
        _READERS[clip.sha256] = reader
        if len(_READERS) > 8:
            oldest = next(iter(_READERS))
            _READERS.pop(oldest).close()
        return reader


def people(data: ClipData, frame: int, scale: float, athlete_track: int | None,
           angle_names: tuple[str, ...]) -> list[Pose]:
    """Everyone in ``frame`` as :class:`Pose` scaled to the shown image; the athlete's
    pose carries its angle values (cleaned) for ``angle_names``."""
    out = []
    for track, pos in data.people_at(frame):
        kp = track.poses.keypoints[pos].astype(np.float32, copy=True)
        kp[:, :2] *= scale
        angles = {}
        if track.info.track_id == athlete_track:
            row = track.angles.iloc[pos]
            angles = {n: float(row[n]) for n in angle_names if n in row.index}
        out.append(Pose(track.info.track_id, kp, angles))
    return out


@st.cache_data(max_entries=256, show_spinner=False)
def _frame_jpeg(
    clip_id: int, stamp: str, frame: int, athlete_track: int | None, athlete_name: str,
    angle_names: tuple[str, ...], show_others: bool, _data: ClipData, _reader: Any,
) -> bytes:
    image = np.array(_reader.frame(frame), copy=True)
    everyone = people(_data, frame, _reader.scale, athlete_track, angle_names)
    if not show_others:
        everyone = [p for p in everyone if p.track_id == athlete_track]
    for annotator in annotators(athlete_track, athlete_name, angle_names):
        annotator.annotate(image, everyone)
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise RuntimeError("could not encode the frame")
    return encoded.tobytes()


def frame_image(data: ClipData, frame: int, athlete_track: int | None, athlete_name: str,
                angle_names: tuple[str, ...], show_others: bool = True) -> bytes:
    """The annotated frame ``frame`` of the clip as JPEG bytes (cached)."""
    reader = frame_reader(data.clip)
    kind = "preview" if isinstance(reader, FrameReader) else "source"
    return _frame_jpeg(
        data.clip.id, f"{clip_stamp(data.clip)}:{kind}", int(frame), athlete_track,
        athlete_name, tuple(angle_names), bool(show_others), data, reader,
    )
