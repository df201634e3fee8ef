"""The Clip view's player: the clip plays in the browser, not by Streamlit reruns.

A rerun per frame cannot play smoothly (each one is a round trip, a drawn JPEG and a
redraw), so the clip's preview (H.264, see :mod:`dashboard.frames`) plays in an HTML5
``<video>`` inside a small custom component (``player_component/``), with everyone's
skeleton and the chosen angle values drawn over it on a canvas from the stored poses.
Play, pause, speed, frame steps (buttons, ←/→, space), the position slider and a loop
between two frames (in and out points) all run in the browser; a trimmed clip shows
only its trim. When the video stops (pause, step, end, slider), the component sends
the frame back; the page then draws that frame exactly as an export would (the JPEG
from :func:`dashboard.clipdata.frame_image`) and moves the charts' cursor to it.

The preview and the overlay (poses and angles as JSON) are served as Streamlit media
files: their URLs stay the same while their content does, so the browser fetches each
once.
"""

from __future__ import annotations

import base64
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st
import streamlit.components.v1 as components
from streamlit import runtime

from dashboard.annotate import (
    MIN_LABELLED_PERSON_PX,
    angle_anchor,
    angle_short_name,
    track_label,
)
from dashboard.clipdata import ClipData, clip_stamp
from dashboard.frames import Preview
from dashboard.label_layout import label_directions
from dashboard.theme import PALETTE
from estimator.keypoints import KEYPOINT_INDEX, SKELETON, side_of

_COMPONENT = components.declare_component(
    "clip_player", path=str(Path(__file__).resolve().parent / "player_component"))
VISIBLE = 0.5
SPEEDS = (0.1, 0.25, 0.5, 1.0, 2.0)


def media_url(data: bytes | str, mimetype: str, where: str) -> str:
    """A URL the browser can fetch ``data`` (bytes or a file path) from, for this run."""
    return runtime.get_instance().media_file_mgr.add(data, mimetype, where)


def overlay_data(data: ClipData, scale: float, athlete_track: int | None, athlete_name: str,
                 names: tuple[str, ...], show_others: bool) -> dict[str, Any]:
    """Everything the canvas draws, per clip frame, in preview pixels.

    ``people``: one entry per track: ``first`` (its first clip frame) and ``xy`` (per
    frame of the track, 33 x [x, y] rounded to 0.1 px, null where not visible, or null
    for a frame where the person is absent). ``angles`` (the athlete only): label,
    colour and anchor keypoints of each chosen angle, and per frame its value (null
    where missing) and the side its label goes (``sides``: -1 left, 1 right, 0 not drawn;
    :func:`dashboard.label_layout.label_directions`, as the server's drawing). ``minTall``:
    the height in preview pixels below which a person gets no angle labels.
    """
    people = []
    for track in data.tracks.values():
        tid = track.info.track_id
        if not show_others and tid != athlete_track:
            continue
        kp = np.asarray(track.poses.keypoints, dtype=np.float64)
        xy = np.round(kp[..., :2] * scale, 1)
        seen = (kp[..., 2] >= VISIBLE) & np.isfinite(xy).all(axis=-1)
        frames = []
        for pos in range(len(track.poses.frames)):
            if not bool(track.poses.present[pos]):
                frames.append(None)
                continue
            frames.append([[float(x), float(y)] if ok else None
                           for (x, y), ok in zip(xy[pos], seen[pos], strict=True)])
        entry = {"id": int(tid), "athlete": tid == athlete_track,
                 "label": athlete_name if tid == athlete_track and athlete_name
                 else track_label(tid),
                 "colour": PALETTE.track(tid),
                 "first": int(track.poses.frames[0]) if len(track.poses.frames) else 0,
                 "xy": frames}
        if tid == athlete_track:
            chosen = [n for n in names if n in track.angles.columns]
            values = track.angles[chosen].to_numpy(dtype=float) if chosen else np.zeros((0, 0))
            entry["angles"] = {
                "labels": [angle_short_name(n) for n in chosen],
                "colours": [PALETTE.side(n) for n in chosen],
                "anchors": [[KEYPOINT_INDEX[k] for k in angle_anchor(n)] for n in chosen],
                "values": [[round(v) if math.isfinite(v) else None for v in row]
                           for row in values],
                "sides": _label_sides(kp, seen, track.poses.present, tuple(chosen)),
            }
        people.append(entry)
    colours = {"left": PALETTE.left, "right": PALETTE.right, "centre": PALETTE.centre}
    bones = [[KEYPOINT_INDEX[a], KEYPOINT_INDEX[b],
              colours[side_of(a) if side_of(a) == side_of(b) else "centre"]]
             for a, b in SKELETON]
    return {"bones": bones, "people": people, "outline": PALETTE.outline,
            "minTall": MIN_LABELLED_PERSON_PX}


def _label_sides(kp: np.ndarray, seen: np.ndarray, present: np.ndarray,
                 names: tuple[str, ...]) -> list[list[int] | None]:
    """Per frame of a track, the side of each angle label (-1, 1, or 0 where its joint is
    not visible); ``kp`` (F, 33, 3), ``seen`` (F, 33) bool. Sides do not depend on scale."""
    out: list[list[int] | None] = []
    for pos in range(len(kp)):
        if not bool(present[pos]) or seen[pos].sum() < 2:
            out.append(None)
            continue
        ys = kp[pos, seen[pos], 1]
        sides = label_directions(kp[pos], seen[pos], names, float(ys.max() - ys.min()))
        out.append([int(sides.get(n, 0)) for n in names])
    return out


@st.cache_data(max_entries=8, show_spinner=False)
def _overlay_json(clip_id: int, stamp: str, scale: float, athlete_track: int | None,
                  athlete_name: str, names: tuple[str, ...], show_others: bool,
                  _data: ClipData) -> bytes:
    return json.dumps(overlay_data(_data, scale, athlete_track, athlete_name, names,
                                   show_others), separators=(",", ":")).encode()


def clip_player(data: ClipData, preview: Preview, frame: int, still_jpeg: bytes,
                athlete_track: int | None, athlete_name: str, names: tuple[str, ...],
                show_others: bool, key: str, jump: int = 0,
                trim: tuple[int, int] | None = None) -> None:
    """Show the player at ``frame`` (``still_jpeg``: that frame drawn by the server).

    ``trim``: the clip's trim (first, last frame): the player shows and plays those frames
    only. Loops (in and out points, I / O / L / Esc) live in the browser; the loop set is
    reported with the frame (``"loop": [in, out]`` or null, :func:`reported_loop`).

    What the browser sends back (``{"frame": i, "seq": n}`` when the video stops) is the
    component's value in ``st.session_state[key]``; :func:`reported_frame` reads it.
    ``jump``: the player moves to ``frame`` only when this differs from the last call's
    (the page moving it on purpose), never to a frame it reported itself.
    """
    overlay = _overlay_json(data.clip.id, clip_stamp(data.clip), preview.scale,
                            athlete_track, athlete_name, tuple(names), show_others, data)
    where = f"clip_player.{data.clip.id}"
    _COMPONENT(
        video_url=media_url(str(preview.path), "video/mp4", f"{where}.video"),
        overlay_url=media_url(overlay, "application/json", f"{where}.overlay"),
        times=[round(float(t), 4) for t in preview.times],
        width=preview.width, height=preview.height,
        frame=int(frame), jump=int(jump), max_height_share=0.62,
        trim=None if trim is None else [int(trim[0]), int(trim[1])],
        still="data:image/jpeg;base64," + base64.b64encode(still_jpeg).decode(),
        speeds=list(SPEEDS),
        key=key, default=None,
    )


def reported_frame(key: str, seen_key: str, last: int) -> int | None:
    """The frame the browser's player stopped at, once per report (None when nothing new)."""
    value = st.session_state.get(key)
    if not isinstance(value, dict) or "frame" not in value:
        return None
    seq = value.get("seq")
    if seq == st.session_state.get(seen_key):
        return None
    st.session_state[seen_key] = seq
    return int(min(max(int(value["frame"]), 0), last))


def reported_loop(key: str) -> tuple[int, int] | None:
    """The in and out frames of the loop set in the browser's player, or None."""
    value = st.session_state.get(key)
    loop = value.get("loop") if isinstance(value, dict) else None
    if not isinstance(loop, list) or len(loop) != 2 or None in loop:
        return None
    return int(loop[0]), int(loop[1])


#: Tallest a frame is shown, in CSS pixels, where the player cannot measure the screen
#: (a still image): a portrait frame and its controls then fit a laptop screen together.
MAX_FRAME_HEIGHT_PX = 560


def fit_width(width: int, height: int, max_height: int = MAX_FRAME_HEIGHT_PX) -> str | int:
    """``st.image`` width for a frame of ``width`` x ``height``: the column's width, or
    narrower for a portrait frame so that it is at most ``max_height`` tall."""
    if height <= width:
        return "stretch"
    return max(160, int(max_height * width / max(height, 1)))
