"""What an athlete's report says about one clip: facts, key frames, curves, repetitions,
symmetry, the coach's notes, and the change since the athlete's previous session.

Everything is gathered from the stored results (:class:`dashboard.clipdata.ClipData`
and the store) into plain data (:class:`ClipReport`); :mod:`dashboard.report.pdf` lays
it out. Key frames are the coach's marked frames when there are any, else the frames
where the main angle is smallest and largest and the athlete's first and last frames.
The main angle is the one the repetitions were counted on, else the chosen angle with
the widest range of motion.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd

from dashboard.clipdata import ClipData, annotators, frame_reader, people
from dashboard.note_drawing import draw_notes

#: At most this many key frames per clip.
MAX_KEY_FRAMES = 4
#: At most this many angle curves drawn per clip.
MAX_CURVES = 4


@dataclasses.dataclass(frozen=True)
class KeyFrame:
    frame: int
    time_s: float
    image_rgb: np.ndarray  # (H, W, 3) uint8, skeleton and angle values drawn
    angles: dict[str, float]  # chosen angles in degrees (NaN where not measured)
    caption: str = ""


@dataclasses.dataclass(frozen=True)
class Note:
    frame: int
    time_s: float
    text: str  # typed by a coach: plain text


@dataclasses.dataclass(frozen=True)
class ClipReport:
    """One clip's part of a report. ``curves``: angle name -> (times s, degrees);
    ``summary``: per chosen angle min, max, ROM, mean (degrees); ``change``: per angle
    this clip's ROM, the previous session's and the difference, empty without one."""

    title: str
    facts: tuple[str, ...]
    key_frames: tuple[KeyFrame, ...]
    curves: dict[str, tuple[np.ndarray, np.ndarray]]
    summary: pd.DataFrame
    repetitions: pd.DataFrame
    rep_angle: str | None
    symmetry: pd.DataFrame
    notes: tuple[Note, ...]
    change: pd.DataFrame
    previous_label: str = ""


def main_angle(data: ClipData, track_id: int, names: Sequence[str]) -> str | None:
    """The angle the repetitions were found in (when any were), else the chosen angle
    with the widest range of motion."""
    view = data.tracks[track_id]
    signal = view.analysis.rep_signal if view.analysis is not None else None
    # A pair's signal ("knee") is the mean of its sides: the left one stands for it.
    for candidate in (signal, f"left_{signal}"):
        if candidate and candidate in view.angles.columns and len(view.analysis.repetitions):
            return candidate
    ranges = {n: float(np.nanmax(view.angles[n]) - np.nanmin(view.angles[n]))
              for n in names if n in view.angles.columns and view.angles[n].notna().any()}
    return max(ranges, key=ranges.get) if ranges else None


def choose_key_frames(data: ClipData, track_id: int, angle: str | None,
                      marked: Sequence[int] = ()) -> list[tuple[int, str]]:
    """(clip frame, why) of the key frames, in time order."""
    view = data.tracks[track_id]
    frames = view.poses.frames[view.poses.present]
    if marked:
        return [(int(f), "marked by the coach") for f in sorted(marked)[:MAX_KEY_FRAMES]]
    if not len(frames):
        return []
    chosen: dict[int, str] = {int(frames[0]): "first frame", int(frames[-1]): "last frame"}
    if angle is not None and view.angles[angle].notna().any():
        values = view.angles[angle].to_numpy(float)
        label = angle.replace("_", " ")
        chosen[int(view.poses.frames[int(np.nanargmin(values))])] = f"smallest {label}"
        chosen[int(view.poses.frames[int(np.nanargmax(values))])] = f"largest {label}"
    return sorted(chosen.items())[:MAX_KEY_FRAMES]


def draw_frame(data: ClipData, frame: int, track_id: int, athlete_name: str,
               names: tuple[str, ...], drawings: Sequence = ()) -> np.ndarray:
    """The frame (RGB) with the athlete's skeleton and angle values, as the Clip view
    draws it, and the coach's drawings of that frame (:class:`analysis.store.NoteInfo`)."""
    reader = frame_reader(data.clip)
    image = np.array(reader.frame(frame), copy=True)
    everyone = [p for p in people(data, frame, reader.scale, track_id, names)
                if p.track_id == track_id]
    for annotator in annotators(track_id, athlete_name, names):
        annotator.annotate(image, everyone)
    draw_notes(image, [n for n in drawings if n.frame == frame], reader.scale)
    return image[:, :, ::-1].copy()


def _summary(view, names: Sequence[str]) -> pd.DataFrame:
    if view.analysis is None:
        return pd.DataFrame()
    summary = view.analysis.summary
    rows = [n for n in names if n in summary.index]
    return summary.loc[rows, ["min", "max", "rom", "mean"]]


def rom_change(current: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """Per angle in both: ROM now, ROM before and the difference (degrees)."""
    both = [n for n in current.index if n in previous.index]
    out = pd.DataFrame({"rom": current.loc[both, "rom"].astype(float),
                        "previous_rom": previous.loc[both, "rom"].astype(float)})
    out["change"] = out["rom"] - out["previous_rom"]
    return out


def athlete_of(clip) -> int | None:
    """The clip's athlete track: the one chosen, else its only person."""
    if clip.athlete_track is not None:
        return clip.athlete_track
    return clip.tracks[0].track_id if len(clip.tracks) == 1 else None


def previous_summary(store, data: ClipData) -> tuple[pd.DataFrame, str]:
    """The athlete's latest analysed clip of an earlier session: its athlete's summary
    and a label (session date and title); empty when there is none."""
    clip = data.clip
    this = store.get_session(clip.session_id)
    earlier = [s for s in store.list_sessions(clip.athlete_id)
               if (s.date, s.id) < (this.date, this.id)]
    for session in sorted(earlier, key=lambda s: (s.date, s.id), reverse=True):
        clips = [(c, athlete_of(c)) for c in store.list_clips(session.id, status="done")
                 if c.kind == clip.kind]
        clips = [(c, t) for c, t in clips if t is not None]
        if clips:
            last, track = clips[-1]
            summary = store.read_summary(last.id, track)
            summary = summary.drop(columns=["track_id"], errors="ignore").set_index("angle")
            return summary, f"{session.date:%Y-%m-%d} {session.title}"
    return pd.DataFrame(), ""


def clip_report(store, data: ClipData, track_id: int, athlete_name: str,
                names: tuple[str, ...], notes: Sequence[Note] = (),
                marked: Sequence[int] = (), drawings: Sequence = ()) -> ClipReport:
    """The report content of one clip for its athlete ``track_id``: ``notes`` listed,
    ``marked`` frames as the key frames, ``drawings`` (stored notes) drawn on them."""
    clip = data.clip
    view = data.tracks[track_id]
    angle = main_angle(data, track_id, names)
    key_frames = []
    for frame, why in choose_key_frames(data, track_id, angle, marked):
        pos = view.position(frame)
        values = {n: float(view.angles[n].iloc[pos]) for n in names
                  if pos is not None and n in view.angles.columns}
        key_frames.append(KeyFrame(frame, float(data.frame_times[frame]),
                                   draw_frame(data, frame, track_id, athlete_name, names,
                                              drawings),
                                   values, why))
    shown = [n for n in ([angle] if angle else []) + list(names)
             if n in view.angles.columns]
    curves = {n: (view.times, view.angles[n].to_numpy(float))
              for n in dict.fromkeys(shown)} if clip.kind == "video" else {}
    curves = dict(list(curves.items())[:MAX_CURVES])
    summary = _summary(view, names)
    previous, label = previous_summary(store, data)
    change = rom_change(summary, previous) if len(summary) and len(previous) else pd.DataFrame()
    analysis = view.analysis
    reps = analysis.repetitions if analysis is not None else pd.DataFrame()
    symmetry = analysis.symmetry if analysis is not None else pd.DataFrame()
    duration = "photo" if clip.kind != "video" else f"{clip.duration_s:.1f} s"
    facts = (duration, f"{clip.width}×{clip.height}",
             f"{int(view.poses.present.sum())} frames with {athlete_name}")
    return ClipReport(
        title=clip.file_name, facts=facts, key_frames=tuple(key_frames), curves=curves,
        summary=summary, repetitions=reps, rep_angle=angle, symmetry=symmetry,
        notes=tuple(sorted(notes, key=lambda n: n.frame)), change=change,
        previous_label=label)


def stored_notes(store, data: ClipData) -> dict:
    """``notes``, ``marked`` and ``drawings`` for :func:`clip_report` from the clip's
    stored notes (key frames marked by the coach become the report's key frames)."""
    stored = store.list_notes(data.clip.id)
    last = max(data.frame_count - 1, 0)
    notes = [Note(n.frame, float(data.frame_times[min(n.frame, last)]),
                  n.describe().replace(f" in frame {n.frame}", "")) for n in stored]
    return {"notes": notes, "marked": [n.frame for n in stored if n.kind == "key_frame"],
            "drawings": stored}
