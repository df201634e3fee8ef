"""Compare's synced player: two clips played together on the movement's phase.

As in the Clip view (:mod:`dashboard.player`), playing happens in the browser, not by
Streamlit reruns: clip A's preview (H.264, :mod:`dashboard.frames`) plays in a
``<video>`` and is the clock. Which frame of B goes with each frame of A is decided here,
in Python (:mod:`analysis.phase_sync`), and sent as a lookup table (``map``: frame of A
-> frame of B), so the browser only looks up. Side by side, B's preview is seeked to
that frame; overlaid, B's skeleton is drawn over A as a semi-transparent ghost, scaled
and set on A's hips by :func:`analysis.phase_sync.ghost_keypoints` (also sent per frame
of A, in A's preview pixels). When playback stops the component sends back
``{"frame": frame of A, "ghost": frame of B, "seq": n}``; the page moves the charts'
cursor there.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st
import streamlit.components.v1 as components

from analysis.errors import AnalysisError
from analysis.phase_sync import (
    PhaseSync,
    frame_map,
    ghost_keypoints,
    key_frame_anchors,
    phase_percent,
    repetition_anchors,
)
from dashboard.clipdata import ClipData, TrackView, clip_stamp
from dashboard.frames import Preview
from dashboard.player import SPEEDS, media_url, overlay_data
from dashboard.theme import PALETTE

_COMPONENT = components.declare_component(
    "compare_player", path=str(Path(__file__).resolve().parent / "compare_player_component"))
MODES = ("side", "overlay")
GHOST_ALPHA = 0.55  # how strongly the ghost is drawn (the component's globalAlpha)


@dataclass(frozen=True)
class SyncSide:
    """One clip of the pair: its data, the athlete's track and its frames shown (0..n-1)."""

    data: ClipData
    track: TrackView
    n_frames: int


def dense_keypoints(track: TrackView, n_frames: int) -> np.ndarray:
    """(n_frames, 33, 3) the track's keypoints per clip frame (x, y pixels, visibility);
    NaN with visibility 0 where the person is absent."""
    out = np.full((n_frames, 33, 3), np.nan)
    out[..., 2] = 0.0
    frames = np.asarray(track.poses.frames, dtype=np.int64)
    present = np.asarray(track.poses.present, dtype=bool) & (frames < n_frames)
    out[frames[present]] = np.asarray(track.poses.keypoints, dtype=float)[present]
    return out


def rep_spans(track: TrackView) -> np.ndarray | None:
    """(R, 2) clip frames of each repetition's start and end, None without repetitions."""
    reps = track.analysis.repetitions if track.analysis is not None else None
    if reps is None or reps.empty:
        return None
    frames = np.asarray(track.poses.frames)
    pos = reps[["start_frame", "end_frame"]].to_numpy(dtype=np.int64).clip(0, len(frames) - 1)
    return frames[pos]


def plan_sync(a: SyncSide, b: SyncSide, by: str, keys_a: list[int], keys_b: list[int]
              ) -> PhaseSync:
    """A's frames mapped onto B's: by ``"repetition"`` (start, peak and end of each pair),
    ``"key_frames"`` (the coach's, paired in order) or ``"clip"`` (ends only)."""
    if by == "repetition":
        anchors = repetition_anchors(a.track.analysis.repetitions, b.track.analysis.repetitions,
                                     a.track.poses.frames, b.track.poses.frames)
    elif by == "key_frames":
        anchors = key_frame_anchors(keys_a, keys_b)
    else:
        anchors = np.empty((0, 2), dtype=np.int64)
    return frame_map(a.n_frames, b.n_frames, anchors, by=by)


def _xy_lists(kp: np.ndarray, scale: float) -> list[list[list[float] | None] | None]:
    """Per frame, 33 [x, y] (scaled, 0.1 px) or null where not visible; null frames."""
    seen = (kp[..., 2] >= 0.5) & np.isfinite(kp[..., :2]).all(axis=-1)
    xy = np.round(kp[..., :2] * scale, 1)
    out: list[list[list[float] | None] | None] = []
    for f in range(len(kp)):
        if seen[f].sum() < 2:
            out.append(None)
            continue
        out.append([[float(x), float(y)] if ok else None
                    for (x, y), ok in zip(xy[f], seen[f], strict=True)])
    return out


def sync_data(a: SyncSide, b: SyncSide, sync: PhaseSync, scale_a: float, scale_b: float,
              names: tuple[str, ...], athletes: tuple[str, str], by_rep: bool
              ) -> dict[str, Any]:
    """What the component draws: each athlete's overlay (:func:`dashboard.player.overlay_data`,
    in its preview's pixels), ``map`` (frame of A -> frame of B), ``phase`` (percent of the
    movement per frame of A, null outside repetitions), and ``ghost`` (per frame of A, B's
    33 keypoints placed over A in A's preview pixels; null when they cannot be placed)."""
    out: dict[str, Any] = {}
    for key, side, scale, label in (("a", a, scale_a, athletes[0]),
                                    ("b", b, scale_b, athletes[1])):
        layer = overlay_data(side.data, scale, side.track.info.track_id, label, names, False)
        out[key] = {"people": layer["people"]}
        out["bones"], out["outline"] = layer["bones"], layer["outline"]
    try:
        ghost = ghost_keypoints(dense_keypoints(a.track, a.n_frames),
                                dense_keypoints(b.track, b.n_frames), sync.b_of_a)
        out["ghost"] = _xy_lists(ghost, scale_a)
    except AnalysisError:  # hips or torso never seen in one clip: no ghost, the page says so
        out["ghost"] = None
    phase = phase_percent(a.n_frames, rep_spans(a.track) if by_rep else None)
    out["phase"] = [round(float(p), 1) if math.isfinite(p) else None for p in phase]
    out["map"] = [int(f) for f in sync.b_of_a]
    out["ghostColour"] = PALETTE.compare[1]
    return out


@st.cache_data(max_entries=8, show_spinner="Lining the clips up…")
def _sync_json(key: tuple, _a: SyncSide, _b: SyncSide, _sync: PhaseSync, scale_a: float,
               scale_b: float, names: tuple[str, ...], athletes: tuple[str, str],
               by_rep: bool) -> bytes:
    return json.dumps(sync_data(_a, _b, _sync, scale_a, scale_b, names, athletes, by_rep),
                      separators=(",", ":")).encode()


def compare_player(a: SyncSide, b: SyncSide, previews: tuple[Preview, Preview],
                   sync: PhaseSync, names: tuple[str, ...], labels: tuple[str, str],
                   athletes: tuple[str, str], mode: str, frame: int, jump: int, key: str
                   ) -> None:
    """Show the synced player at frame ``frame`` of A (moved there when ``jump`` changes).

    ``mode``: ``"side"`` (B's video beside A's) or ``"overlay"`` (B as a ghost over A).
    ``labels``: plain text naming A and B under the videos (shown with ``textContent``,
    never as HTML); ``athletes``: the names drawn over the skeletons.
    """
    pa, pb = previews
    by_rep = sync.by == "repetition"
    cache_key = (clip_stamp(a.data.clip), a.track.info.track_id, clip_stamp(b.data.clip),
                 b.track.info.track_id, tuple(int(f) for f in sync.anchors.reshape(-1)),
                 sync.by, a.n_frames, b.n_frames)
    body = _sync_json(cache_key, a, b, sync, pa.scale, pb.scale, tuple(names), athletes,
                      by_rep)
    where = f"compare_player.{a.data.clip.id}.{b.data.clip.id}"
    _COMPONENT(
        a={"video_url": media_url(str(pa.path), "video/mp4", f"{where}.a"),
           "times": [round(float(t), 4) for t in pa.times[:a.n_frames]],
           "width": pa.width, "height": pa.height, "label": labels[0]},
        b={"video_url": media_url(str(pb.path), "video/mp4", f"{where}.b"),
           "times": [round(float(t), 4) for t in pb.times[:b.n_frames]],
           "width": pb.width, "height": pb.height, "label": labels[1]},
        data_url=media_url(body, "application/json", f"{where}.data"),
        mode=mode if mode in MODES else "side", frame=int(frame), jump=int(jump),
        speeds=list(SPEEDS), max_height_share=0.6, key=key, default=None,
    )
