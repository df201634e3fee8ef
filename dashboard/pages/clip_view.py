"""Clip view: the annotated clip with its player, charts linked to the current frame, and
below them one section at a time: the summary metrics, notes and marks, joint corrections,
or the downloads and report."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import charts, jobs, widgets
from dashboard.angle_guide import show_angle_guide
from dashboard.annotate import track_label
from dashboard.auth import current_access
from dashboard.clipdata import ClipData, clip_stamp, frame_image, load_clip
from dashboard.corrections_panel import corrections_panel
from dashboard.downloads import downloads
from dashboard.escape import md
from dashboard.frames import load_preview
from dashboard.joints_panel import joints_panel
from dashboard.jumps_panel import jumps_section
from dashboard.note_marks import add_note_marks
from dashboard.notes_panel import notes_panel
from dashboard.player import clip_player, fit_width, reported_frame, reported_loop
from dashboard.repetitions_panel import (
    describe,
    repetition_controls,
    repetition_symmetry,
    repetitions_chart,
)
from dashboard.report_panel import report_panel
from dashboard.state import (
    CURRENT_ATHLETE,
    CURRENT_CLIP,
    DISPLAY_ANGLES,
    display_angles,
    get_store,
    previews_dir,
    timed,
    user_errors,
)
from dashboard.trim_panel import trim_panel

FRAME = "clip_frame"
LINKED = "clip_linked_figure"
#: The player's report ({"frame", "seq"}), the last report applied, and a counter the
#: page bumps when it moves the player itself (another clip).
PLAYER = "clip_player"
PLAYER_SEEN = "clip_player_seen"
JUMP = "clip_player_jump"
LOOP = "clip_player_loop"
CHARTS = ("Angles", "Joint path", "Symmetry", "Repetitions")
#: The sections below the viewer, one shown at a time (``SECTION``: the chosen one).
SECTION = "clip_section"
SUMMARY, NOTES, CORRECT, EXPORTS = ("Summary", "Notes and marks", "Correct joints",
                                    "Downloads and report")
SECTIONS = (SUMMARY, NOTES, CORRECT, EXPORTS)
PATH_KEYPOINTS = ("left_wrist", "right_wrist", "left_ankle", "right_ankle", "left_hip",
                  "right_hip", "left_knee", "right_knee", "left_elbow", "right_elbow",
                  "nose", "left_shoulder", "right_shoulder", "left_heel", "right_heel",
                  "left_foot_index", "right_foot_index")

store = get_store()
st.title("Clip view")

clips = [c for c in store.list_clips() if c.status in ("done", "failed")]
if not clips:
    st.info("No analysed clips yet: analyse one on the **Analyse** page.")
    st.stop()

labels = widgets.clip_labels(store.overview())
by_id = {c.id: c for c in clips}
wanted = st.session_state.get(CURRENT_CLIP)
if wanted not in by_id:
    wanted = clips[-1].id
clip_id = st.selectbox(
    "Clip", list(by_id), index=list(by_id).index(wanted),
    format_func=lambda i: labels.get(i, by_id[i].file_name), key="clip_view_clip",
)
if clip_id != st.session_state.get(CURRENT_CLIP) or JUMP not in st.session_state:
    st.session_state[CURRENT_CLIP] = clip_id
    st.session_state.pop(FRAME, None)
    st.session_state[JUMP] = st.session_state.get(JUMP, 0) + 1  # the player starts at 0
clip = store.get_clip(clip_id)
st.session_state[CURRENT_ATHLETE] = clip.athlete_id  # Progress and Compare open on them

if clip.status == "failed":
    st.error(md(f"The analysis of {clip.file_name} failed: {clip.error or 'no reason given'}"))
    st.stop()

data: ClipData = load_clip(clip)
session = store.get_session(clip.session_id)
facts = [session.athlete_name, f"{session.date:%Y-%m-%d}", session.title]
if clip.kind == "video":
    length = f"{clip.duration_s:.1f} s"
    if clip.trim is not None:
        first, last_frame = (data.frame_times[min(i, data.frame_count - 1)] for i in clip.trim)
        length = f"trimmed to {first:.2f}–{last_frame:.2f} s of {length}"
    facts += [length, f"{clip.fps:g} fps", f"{clip.width}×{clip.height}"]
else:
    facts += ["photo", f"{clip.width}×{clip.height}"]
facts.append({0: "nobody found", 1: "1 person"}.get(len(clip.tracks),
                                                    f"{len(clip.tracks)} people"))
st.caption(md(" · ".join(facts)))

if not clip.tracks:
    st.warning(
        "No person was found in this photo." if clip.kind == "photo"
        else "No person was found in this clip."
    )

# ---------------------------------------------------------------- choices
tracks = {t.track_id: t for t in clip.tracks}
athlete_track = clip.athlete_track
choice_cols = st.columns([1.2, 2.2, 1], gap="medium")
if tracks:
    chosen_track = choice_cols[0].selectbox(
        "Athlete is",
        list(tracks),
        index=list(tracks).index(athlete_track) if athlete_track in tracks else 0,
        format_func=lambda t: track_label(t) if clip.kind == "photo" else
        f"{track_label(t)} · in {widgets.plural(tracks[t].frames_seen, 'frame')}",
        key=f"athlete_track_{clip.id}",
        help="Which person the metrics, labels and exports are about.",
        disabled=not current_access().can_edit,
    )
    if chosen_track != athlete_track:
        with user_errors():
            store.set_athlete_track(clip.id, int(chosen_track))
            athlete_track = int(chosen_track)
            st.toast(md(f"{session.athlete_name} is now {track_label(athlete_track)}."))
available = [n for n in widgets.angle_choices() if any(
    n in t.angles.columns for t in data.tracks.values())] or widgets.angle_choices()
names = choice_cols[1].multiselect(
    "Angles",
    available,
    default=[n for n in display_angles() if n in available],
    format_func=widgets.angle_label,
    key=f"clip_angles_{clip.id}",
)
st.session_state[DISPLAY_ANGLES] = names
show_raw = choice_cols[2].toggle("Show values as measured", value=True, key="clip_raw",
                                 help="Thin dotted lines: the angles before smoothing.")
show_others = choice_cols[2].toggle("Show other people", value=True, key="clip_others")
track = data.tracks.get(athlete_track) if athlete_track is not None else None
athlete_name = session.athlete_name
# Repetitions: in the angle the coach picks (default: the clearest cycle), found anew
# from the stored cleaned angles; the chart and the summary show what was found.
reps_view = None
if track is not None and clip.kind == "video" and track.analysis is not None:
    reps_view = repetition_controls(clip, clip_stamp(clip), track)
rep_key = (None if reps_view is None else
           (reps_view.settings.angle, reps_view.settings.min_range_deg))


@st.cache_resource(max_entries=32, show_spinner=False)
def _figure(kind: str, clip_id: int, stamp: str, track_id: int, names: tuple[str, ...],
            show_raw: bool, rep_key: tuple | None, _data: ClipData, _reps=None) -> dict:
    """A chart of the clip, built once per choice; the frame cursor is added per frame."""
    view = _data.tracks[track_id]
    analysis = view.analysis
    times = view.times
    if kind == "Angles":
        fig = charts.angles_figure(times, view.angles, names,
                                   raw=view.angles_raw if show_raw else None)
    elif kind == "Joint path":
        fig = charts.joint_path_figure(
            analysis.trajectories, path_keypoints(names), analysis.trajectory_unit,
            (_data.clip.width, _data.clip.height),
        )
    elif kind == "Symmetry":
        pairs = list(dict.fromkeys(charts.joint_of(n) for n in names
                                   if n.startswith(("left_", "right_"))))
        fig = charts.symmetry_figure(times, analysis.symmetry_per_frame, analysis.symmetry,
                                     pairs or list(analysis.symmetry.index[:4]))
    else:
        fig = (repetitions_chart(times, view.angles, _reps) if _reps is not None else
               charts.repetitions_figure(times, view.angles, analysis.rep_signal,
                                         analysis.repetitions))
    return fig.to_dict()


def path_keypoints(names: Sequence[str]) -> list[str]:
    """Keypoints whose paths are drawn: the joints of the chosen angles (ankles by default)."""
    joints = {n.removesuffix("_3d") for n in names}
    chosen = [k for k in PATH_KEYPOINTS if k in joints]
    return chosen[:4] or ["left_ankle", "right_ankle"]


# ---------------------------------------------------------------- the viewer
def _preview():
    """The clip's preview (what the player plays), building it in the background when
    missing (a clip analysed from the command line has none yet); None until it exists."""
    if clip.kind != "video":
        return None
    preview = load_preview(previews_dir(), clip.sha256)
    if preview is None and Path(clip.stored_path).is_file():
        jobs.ensure_preview(Path(clip.stored_path), clip.sha256, previews_dir())
    return preview


# While the preview is being built the viewer looks again every second, and the whole
# page runs once when it is there (so the player replaces the still frame by itself).
waiting_for_preview = (clip.kind == "video" and bool(clip.tracks)
                       and load_preview(previews_dir(), clip.sha256) is None)


@st.fragment(run_every=1.0 if waiting_for_preview else None)
def viewer() -> None:
    """The frame, the player and the linked chart: re-run alone when the frame moves."""
    with timed("frame_move"):
        _viewer()


def _viewer() -> None:
    preview = _preview()
    if waiting_for_preview and preview is not None:
        st.rerun()
    last = data.frame_count - 1
    if preview is not None:  # the frames decoded (a header may have promised more)
        last = min(last, preview.frame_count - 1)
    lo, hi = clip.trim or (0, last)  # a trimmed clip is shown within its trim only
    hi = min(hi, last)
    reported = reported_frame(PLAYER, PLAYER_SEEN, last)
    if reported is not None:
        st.session_state[FRAME] = reported
        st.session_state[LOOP] = reported_loop(PLAYER)  # for the trim's "Use the loop"
    frame = min(max(int(st.session_state.get(FRAME, lo)), lo), hi)
    frame_col, chart_col = st.columns([1.25, 1], gap="medium")
    with frame_col:
        image = frame_image(data, frame, athlete_track, athlete_name, tuple(names),
                            show_others)
        t = float(data.frame_times[frame])
        if preview is not None:
            clip_player(data, preview, frame, image, athlete_track, athlete_name,
                        tuple(names), show_others, key=PLAYER,
                        jump=int(st.session_state.get(JUMP, 0)), trim=clip.trim)
            st.caption(f"Frame {frame} of {lo}–{hi} · {t:.2f} s")
        else:
            st.image(image, width=fit_width(clip.width, clip.height), output_format="JPEG")
            if clip.kind == "video":
                st.session_state[FRAME] = frame
                st.slider("Frame", lo, hi, key=FRAME, label_visibility="collapsed",
                          format="%d")
                st.caption(f"Frame {frame} of {lo}–{hi} · {t:.2f} s · the player starts "
                           "once the clip's preview is ready (a few seconds).")
    with chart_col:
        if track is None:
            st.info("Choose the athlete to see their charts.")
            return
        if clip.kind != "video":
            photo_angles(track)
            return
        kind = st.radio("Chart", CHARTS, horizontal=True, key="clip_chart",
                        label_visibility="collapsed")
        pos = track.position(frame)
        with user_errors():
            key = (kind, clip.id, clip_stamp(clip), track.info.track_id, tuple(names), show_raw,
                   rep_key)
            notes = store.list_notes(clip.id)
            key = (*key, tuple((n.id, n.frame, n.kind, n.text) for n in notes))
            linked = st.session_state.get(LINKED)
            if linked is None or linked[0] != key:
                xref, yref = {"Angles": ("x", "paper"), "Repetitions": ("x", "y domain")}.get(
                    kind, ("x2", "y2 domain"))
                linked = (key, charts.LinkedFigure(
                    _figure(*key[:-1], data, reps_view), xref, yref,
                    markers=("x", "y") if kind == "Joint path" else None,
                ))
                if kind in ("Angles", "Repetitions"):  # charts over time: the notes on them
                    add_note_marks(linked[1].figure, notes, data.frame_times, xref)
                st.session_state[LINKED] = linked
            points = []
            if kind == "Joint path" and pos is not None:
                points = charts.path_points(track.analysis.trajectories,
                                            path_keypoints(names), pos)
            fig = linked[1].at(float(data.frame_times[frame]), points)
            st.plotly_chart(fig, theme=None, config=charts.GRAPH_CONFIG, key="clip_chart_fig")
            if kind == "Repetitions" and reps_view is not None:
                st.caption(describe(reps_view, track.analysis.angles.columns))


def photo_angles(view) -> None:
    row = view.angles.iloc[0] if len(view.angles) else pd.Series(dtype=float)
    shown = [n for n in names if n in row.index]
    # Text, so an angle whose joints are not visible reads so (never "None").
    table = pd.DataFrame(
        {"Angle": [widgets.angle_label(n) for n in shown],
         "Angle (°)": [f"{row[n]:.0f}°" if np.isfinite(row[n]) else "not visible"
                       for n in shown]}
    )
    st.dataframe(table, hide_index=True, width="stretch")


def summary_section() -> None:
    """The athlete's numbers (a clip: ranges, symmetry, repetitions, jumps) and how angles
    are measured."""
    if track is not None and clip.kind == "video":
        _clip_summary(track)
    show_angle_guide()


def _clip_summary(view) -> None:
    st.subheader("Summary")
    summary = view.analysis.summary
    rows = [n for n in names if n in summary.index] or list(summary.index[:8])
    table = pd.DataFrame(
        {
            "Angle": [widgets.angle_label(n) for n in rows],
            "Min (°)": summary.loc[rows, "min"].to_numpy(),
            "Max (°)": summary.loc[rows, "max"].to_numpy(),
            "ROM (°)": summary.loc[rows, "rom"].to_numpy(),
            "Mean (°)": summary.loc[rows, "mean"].to_numpy(),
        }
    )
    sym = view.analysis.symmetry
    table["Symmetry index (%)"] = [
        sym.loc[charts.joint_of(n), "si"] if charts.joint_of(n) in sym.index else np.nan
        for n in rows
    ]
    reps = view.analysis.repetitions if reps_view is None else reps_view.found.repetitions
    metrics = st.columns(5)
    metrics[0].metric("Repetitions", len(reps))
    if not reps.empty:
        metrics[1].metric("Mean ROM per repetition", f"{reps['rom'].mean():.0f}°")
        metrics[2].metric("Mean duration", f"{reps['duration_s'].mean():.2f} s")
        if reps_view is not None and np.isfinite(si := repetition_symmetry(reps_view)):
            metrics[3].metric("Symmetry over repetitions", f"{si:.0f} %",
                              help="Left/right symmetry index of the counted angle's pair, "
                              "on each repetition's ROM, averaged (0 % = symmetric).")
    if view.analysis.scale_m_per_px:
        metrics[4].metric("Scale", f"{view.analysis.scale_m_per_px * 1000:.2f} mm/px")
    widgets.show_numbers(table)
    for note in view.analysis.notes:
        st.caption(note)
    jumps_section(view.analysis, view.poses.frames, clip.fps, frame_key=FRAME, jump_key=JUMP)


if clip.tracks:
    viewer()
    if clip.kind == "video" and trim_panel(
            store, clip, data.frame_times, data.frame_count - 1, FRAME, LOOP,
            current_access().can_edit):
        st.session_state[FRAME] = (store.get_clip(clip.id).trim or (0, 0))[0]
        st.session_state[JUMP] = st.session_state.get(JUMP, 0) + 1  # the player moves there
        st.session_state.pop(LINKED, None)
        st.rerun()
    current = min(max(int(st.session_state.get(FRAME, 0)), 0), max(data.frame_count - 1, 0))

# ---------------------------------------------------------------- sections below the viewer
# One at a time, like a video-analysis tool's panels: a coach works in one at a time, and
# drawn together they cost the browser 1.4 s of its main thread on opening a clip
# (measured by trace: 2.5 s against 1.5 s with the summary alone), which showed the frame
# and chart 0.3-0.6 s later on 2 cores shared with the server.
section = None
if clip.tracks:
    sections = [s for s in SECTIONS if s != CORRECT or current_access().can_edit]
    if st.session_state.setdefault(SECTION, SUMMARY) not in sections:
        st.session_state[SECTION] = SUMMARY
    # A radio, not a segmented control: AppTest (Streamlit 1.51) cannot run a page again
    # once a single-choice segmented control has a value.
    section = st.radio("Show below", sections, key=SECTION, horizontal=True)

if section == SUMMARY:
    summary_section()
elif section == NOTES:
    notes_panel(store, clip, data, athlete_track, athlete_name, tuple(names), frame=current,
                frame_key=FRAME, jump_key=JUMP, editable=current_access().can_edit)
elif section == CORRECT and current_access().can_edit:
    joints_panel(store, clip, data, athlete_track, athlete_name, frame=current)
    corrections_panel(store, clip, athlete_track, frame_key=FRAME)
elif section == EXPORTS:
    downloads(store, clip, data, athlete_track, athlete_name, tuple(names), show_others,
              csv_later=waiting_for_preview)
    report_panel(store, clip, data, athlete_track, athlete_name, tuple(names))
