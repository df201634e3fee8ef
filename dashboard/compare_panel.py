"""Compare's "Played together" section: the synced player (side by side, or B as a ghost
over A), what it lines the clips up on, the frame the charts' cursor follows, and the
side-by-side MP4.

Used by ``dashboard/pages/compare.py`` only. Until both clips' previews exist (they are
built in the background, :mod:`dashboard.jobs`), the two frames are shown as still
images at a phase chosen with a slider, as before the player.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import streamlit as st

from analysis import Store
from analysis.phase_sync import PhaseSync, phase_percent
from dashboard import jobs
from dashboard.charts import CURSOR_COLOUR
from dashboard.clipdata import frame_image
from dashboard.compare_export import export_side_by_side, side_by_side_size
from dashboard.compare_player import SyncSide, compare_player, plan_sync, rep_spans
from dashboard.escape import md
from dashboard.frames import Preview, load_preview
from dashboard.player import fit_width, reported_frame
from dashboard.state import exports_dir, previews_dir, user_errors

PLAYER, SEEN, JUMP, FRAME = ("compare_player", "compare_player_seen", "compare_player_jump",
                             "compare_player_frame")
PAIR = "compare_player_pair"
VIEWS = {"side": "Side by side", "overlay": "Overlay: B as a ghost over A"}
ALIGN = {"repetition": "Repetitions (0-100 % of each)", "clip": "Whole clips (0-100 %)",
         "key_frames": "The coach's key frames"}


@dataclass(frozen=True)
class Synced:
    """Where the synced view stands: the mapping, the frame of A shown, and its phase (%,
    NaN outside a repetition), the x of the charts' cursor."""

    sync: PhaseSync
    frame: int
    phase: float


def _previews(sides: tuple[SyncSide, SyncSide]) -> tuple[Preview, Preview] | None:
    """Both clips' previews, or None while one is missing (its build is then started)."""
    found = []
    for side in sides:
        clip = side.data.clip
        preview = load_preview(previews_dir(), clip.sha256)
        if preview is None and Path(clip.stored_path).is_file():
            jobs.ensure_preview(Path(clip.stored_path), clip.sha256, previews_dir())
        found.append(preview)
    return (found[0], found[1]) if found[0] is not None and found[1] is not None else None


def _shown(side: SyncSide, preview: Preview | None) -> SyncSide:
    """The side limited to the frames decoded (a header may promise more)."""
    n = side.data.frame_count if preview is None else min(side.data.frame_count,
                                                          preview.frame_count)
    return SyncSide(side.data, side.track, max(n, 1))


def played_together(store: Store, a: SyncSide, b: SyncSide, by: str,
                    names: tuple[str, ...], labels: tuple[str, str],
                    athlete_names: tuple[str, str]) -> Synced | None:
    """The section's controls and player; returns where it stands (None when it cannot)."""
    keys_a = [n.frame for n in store.list_notes(a.data.clip.id, "key_frame")]
    keys_b = [n.frame for n in store.list_notes(b.data.clip.id, "key_frame")]
    controls = st.columns([1.2, 1.4])
    view = controls[0].radio("View", list(VIEWS), format_func=VIEWS.get, horizontal=True,
                             key="compare_view")
    choices = [by, "key_frames"] if keys_a and keys_b else [by]
    align = controls[1].radio(
        "Line up on", choices, format_func=ALIGN.get, horizontal=True, key="compare_align",
        help="Key frames: mark them in the Clip view (Notes and marks) of both clips; the "
        "first of A goes with the first of B, and so on.")
    if not (keys_a and keys_b):
        controls[1].caption("Mark key frames in both clips (Clip view) to line them up "
                            "on those instead.")
    previews = _previews((a, b))
    a, b = _shown(a, previews and previews[0]), _shown(b, previews and previews[1])
    sync = None
    with user_errors():
        sync = plan_sync(a, b, align, keys_a, keys_b)
    if sync is None:
        return None
    pair = (a.data.clip.id, b.data.clip.id, align, a.n_frames, b.n_frames)
    if st.session_state.get(PAIR) != pair:  # another pair: start at the beginning
        st.session_state[PAIR] = pair
        st.session_state[FRAME] = 0
        st.session_state[JUMP] = int(st.session_state.get(JUMP, 0)) + 1
    reported = reported_frame(PLAYER, SEEN, a.n_frames - 1)
    if reported is not None:
        st.session_state[FRAME] = reported
    frame = min(max(int(st.session_state.get(FRAME, 0)), 0), a.n_frames - 1)
    if previews is None:
        frame = _stills(a, b, sync, names, labels, athlete_names)
    else:
        compare_player(a, b, previews, sync, names, labels, athlete_names, view, frame,
                       int(st.session_state.get(JUMP, 0)), key=PLAYER)
        if view == "overlay":
            st.caption(f"B ({md(labels[1])}) drawn over A as a ghost, scaled to A's torso "
                       "and set on A's hips.")
    phase = phase_percent(a.n_frames, rep_spans(a.track) if sync.by == "repetition" else None)
    pct = float(phase[frame])
    st.caption(f"A frame {frame} · B frame {int(sync.b_of_a[frame])}"
               + (f" · {pct:.0f} % of the movement" if np.isfinite(pct) else ""))
    _export(a, b, sync, names, athlete_names, previews)
    return Synced(sync, frame, pct)


def _stills(a: SyncSide, b: SyncSide, sync: PhaseSync, names: tuple[str, ...],
            labels: tuple[str, str], athlete_names: tuple[str, str]) -> int:
    """Both clips as still frames at a phase of A chosen with a slider (while the previews
    are being built); returns the frame of A shown."""
    phase = st.slider("Phase (%)", 0, 100, 0, key="compare_phase")
    spans = rep_spans(a.track) if sync.by == "repetition" else None
    if spans is not None:
        start, end = spans[0]
    else:
        start, end = 0, a.n_frames - 1
    frame = int(round(start + phase / 100 * (end - start)))
    cols = st.columns(2, gap="medium")
    for col, side, f, name, label in (
        (cols[0], a, frame, athlete_names[0], labels[0]),
        (cols[1], b, int(sync.b_of_a[frame]), athlete_names[1], labels[1]),
    ):
        clip = side.data.clip
        col.image(frame_image(side.data, f, side.track.info.track_id, name, names, False),
                  width=fit_width(clip.width, clip.height), output_format="JPEG")
        col.caption(f"{md(label)} · frame {f} · {side.data.frame_times[f]:.2f} s")
    st.caption("The clips play together here once their previews are ready (a few "
               "seconds; reload the page).")
    return frame


def _export(a: SyncSide, b: SyncSide, sync: PhaseSync, names: tuple[str, ...],
            athlete_names: tuple[str, str], previews: tuple[Preview, Preview] | None) -> None:
    """The side-by-side MP4: made on request, then shown and offered for download."""
    wa, wb, height = side_by_side_size(a.data, b.data)
    key = f"compare_video_{a.data.clip.id}_{b.data.clip.id}_{sync.by}_{hash(names)}"
    if st.button("Side-by-side video (MP4)", icon=":material/movie:", key="compare_export",
                 help=f"A and B at the same phase, one frame of A after another, drawn "
                 f"as in the Clip view: {wa + wb}×{height}, H.264."):
        bar = st.progress(0.0, text="Drawing the frames…")

        def _progress(done: int, total: int) -> None:
            bar.progress(min(1.0, done / max(total, 1)),
                         text=f"Drawing the frames… {done} of {total}")

        sources = None if previews is None else (previews[0].path, previews[1].path)
        with user_errors():
            path = export_side_by_side(
                a.data, b.data, (a.track.info.track_id, b.track.info.track_id),
                athlete_names, sync.b_of_a, names, exports_dir(), sources=sources,
                progress=_progress)
            st.session_state[key] = str(path)
        bar.empty()
    path = st.session_state.get(key)
    if path and Path(path).is_file():
        video_col, side_col = st.columns([1.4, 1], gap="medium")
        video_col.video(path)
        with open(path, "rb") as f:
            side_col.download_button(
                "Download the side-by-side video (MP4)", f.read(),
                file_name=Path(path).name, mime="video/mp4", icon=":material/download:",
                key="compare_download", on_click="ignore")
        side_col.caption(f"H.264 MP4, {wa + wb}×{height}, {len(sync.b_of_a)} frames: "
                         "A's frames and timing, B at the same phase.")


def with_phase_cursor(figure: dict, percent: float) -> dict:
    """A copy of a comparison figure (as a dict) with a vertical line at ``percent`` in
    every panel (each panel has its own x axis)."""
    fig = dict(figure)
    layout = dict(fig.get("layout", {}))
    shapes = [s for s in layout.get("shapes", []) if s.get("name") != "cursor"]
    if np.isfinite(percent):
        for name in sorted(k for k in layout if k.startswith("xaxis")):
            suffix = name.removeprefix("xaxis")
            shapes.append({"name": "cursor", "type": "line", "xref": f"x{suffix}",
                           "yref": f"y{suffix} domain", "x0": percent, "x1": percent,
                           "y0": 0, "y1": 1, "line": {"color": CURSOR_COLOUR, "width": 1.5}})
    layout["shapes"] = shapes
    fig["layout"] = layout
    return fig
