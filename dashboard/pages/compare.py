"""Compare: two clips (the same athlete on two dates, or two athletes) on a 0-100 % time axis,
repetition by repetition, with the differences of ROM, peaks and symmetry, and the two clips
played together on the movement's phase, side by side or B as a ghost over A (the charts'
cursor follows), exported as one side-by-side MP4 (:mod:`dashboard.compare_panel`)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analysis import ClipInfo, compare_clips
from dashboard import charts, widgets
from dashboard.clipdata import ClipData, clip_stamp, load_clip
from dashboard.compare_panel import played_together, with_phase_cursor
from dashboard.compare_player import SyncSide
from dashboard.state import (
    CURRENT_ATHLETE,
    CURRENT_CLIP,
    display_angles,
    get_store,
    user_errors,
)

store = get_store()
st.title("Compare")
st.caption(
    "Two clips side by side: last month's session against today's, or two athletes. "
    "Time runs from 0 to 100 % of each repetition (or of the whole clip), so movements of "
    "different speeds line up. Differences are B − A."
)

clips = [c for c in store.list_clips(status="done") if c.kind == "video" and c.tracks]
if len(clips) < 2:
    st.info("Compare needs two analysed clips with people in them: analyse another one on "
            "the **Analyse** page.")
    st.stop()

overview = store.overview()
labels = widgets.clip_labels(overview)
sessions = {s.id: s for s in store.list_sessions()}


def pick(side: str, default: ClipInfo, column) -> ClipInfo:
    """Athlete, session and clip of one side of the comparison."""
    with column:
        st.markdown(f"**Clip {side}**")
        athletes = sorted({c.athlete_id for c in clips})
        names = {a.id: a.name for a in store.list_athletes()}
        athlete = st.selectbox(
            "Athlete", athletes, index=athletes.index(default.athlete_id),
            format_func=lambda i: names.get(i, str(i)), key=f"compare_athlete_{side}",
        )
        own = [c for c in clips if c.athlete_id == athlete]
        session_ids = list(dict.fromkeys(c.session_id for c in own))
        start = session_ids.index(default.session_id) if default.session_id in session_ids else 0
        session_id = st.selectbox(
            "Session", session_ids, index=start,
            format_func=lambda i: f"{sessions[i].date:%Y-%m-%d} · {sessions[i].title}",
            key=f"compare_session_{side}",
        )
        in_session = {c.id: c for c in own if c.session_id == session_id}
        ids = list(in_session)
        clip_id = st.selectbox(
            "Clip", ids, index=ids.index(default.id) if default.id in ids else 0,
            format_func=lambda i: in_session[i].file_name, key=f"compare_clip_{side}",
        )
        return in_session[clip_id]


def defaults() -> tuple[ClipInfo, ClipInfo]:
    """A and B to open on: the clip just viewed (else the latest) as B, and the same
    athlete's clip before it as A (another athlete's only when they have no other)."""
    wanted = st.session_state.get(CURRENT_CLIP)
    b = next((c for c in clips if c.id == wanted), None)
    if b is None:
        athlete = st.session_state.get(CURRENT_ATHLETE)
        b = next((c for c in reversed(clips) if c.athlete_id == athlete), clips[-1])
    own = [c for c in clips if c.athlete_id == b.athlete_id and c.id != b.id]
    earlier = [c for c in own if c.id < b.id]
    a = (earlier or own or [c for c in clips if c.id != b.id])[-1]
    return a, b


left, right = st.columns(2, gap="large")
default_a, default_b = defaults()
clip_a = pick("A", default_a, left)
clip_b = pick("B", default_b, right)
data_a, data_b = load_clip(clip_a), load_clip(clip_b)
track_a, track_b = data_a.tracks[clip_a.athlete_track], data_b.tracks[clip_b.athlete_track]
label_a = f"A: {labels.get(clip_a.id, clip_a.file_name)}"
label_b = f"B: {labels.get(clip_b.id, clip_b.file_name)}"

common = [n for n in widgets.angle_choices()
          if n in track_a.angles.columns and n in track_b.angles.columns]
options = st.columns([3, 1.2])
names = options[0].multiselect(
    "Angles", common, default=[n for n in display_angles() if n in common] or common[:2],
    format_func=widgets.angle_label, key="compare_angles",
)
has_reps = not track_a.analysis.repetitions.empty and not track_b.analysis.repetitions.empty
by = options[1].radio(
    "Time axis", ["repetition", "clip"], index=0 if has_reps else 1, horizontal=True,
    format_func=lambda b: {"repetition": "Per repetition", "clip": "Whole clip"}[b],
    key="compare_by", disabled=not has_reps,
    help=None if has_reps else "Both clips need repetitions to compare them one by one.",
)
if not names:
    st.info("Choose at least one angle.")
    st.stop()


@st.cache_resource(max_entries=16, show_spinner="Comparing…")
def _compare(stamp_a: str, stamp_b: str, id_a: int, id_b: int, names: tuple[str, ...],
             by: str, _a: ClipData, _b: ClipData):
    a = _a.tracks[_a.clip.athlete_track].analysis
    b = _b.tracks[_b.clip.athlete_track].analysis
    return compare_clips(a, b, by=by, angles=list(names))


comparison = None
with user_errors():
    comparison = _compare(f"{clip_stamp(clip_a)}:{clip_a.athlete_track}",
                          f"{clip_stamp(clip_b)}:{clip_b.athlete_track}", clip_a.id, clip_b.id,
                          tuple(names), by, data_a, data_b)
if comparison is None:
    st.stop()

chart_slot = st.empty()  # drawn below, once the player says where its cursor goes
if comparison.by == "repetition":
    st.caption(f"Mean (line) and spread (band, ± one standard deviation) over "
               f"{comparison.n_a} repetitions of A and {comparison.n_b} of B.")

# ---------------------------------------------------------------- played together
st.subheader("Played together")
athlete_names = (sessions[clip_a.session_id].athlete_name,
                 sessions[clip_b.session_id].athlete_name)
synced = played_together(
    store, SyncSide(data_a, track_a, data_a.frame_count),
    SyncSide(data_b, track_b, data_b.frame_count), comparison.by, tuple(names),
    (label_a, label_b), athlete_names)
curves = charts.comparison_figure(comparison.mean_curves, names, (label_a, label_b),
                                  comparison.by).to_dict()
if synced is not None:
    curves = with_phase_cursor(curves, synced.phase)
chart_slot.plotly_chart(curves, theme=None, config=charts.GRAPH_CONFIG, key="compare_curves")

st.subheader("Differences")
diff = comparison.differences.loc[[n for n in names if n in comparison.differences.index]]
table = pd.DataFrame(
    {
        "Angle": [widgets.angle_label(n) for n in diff.index],
        "ROM A (°)": diff["rom_a"].to_numpy(), "ROM B (°)": diff["rom_b"].to_numpy(),
        "ROM B − A (°)": diff["rom_diff"].to_numpy(),
        "Peak A (°)": diff["peak_a"].to_numpy(), "Peak B (°)": diff["peak_b"].to_numpy(),
        "Peak B − A (°)": diff["peak_diff"].to_numpy(),
    }
)
widgets.show_numbers(table)
pairs = [p for p in dict.fromkeys(charts.joint_of(n) for n in names)
         if p in comparison.symmetry.index]
if pairs:
    sym = comparison.symmetry.loc[pairs]
    widgets.show_numbers(
        pd.DataFrame({
            "Pair": [charts.title_of(p) for p in pairs],
            "Symmetry index A (%)": sym["si_a"].to_numpy(),
            "Symmetry index B (%)": sym["si_b"].to_numpy(),
            "B − A (points)": sym["si_diff"].to_numpy(),
        }),
    )

reps_a, reps_b = track_a.analysis.repetitions, track_b.analysis.repetitions
if not reps_a.empty or not reps_b.empty:
    st.subheader("Repetition by repetition")
    st.plotly_chart(charts.repetition_comparison_figure(reps_a, reps_b, (label_a, label_b)),
                    theme=None, config=charts.GRAPH_CONFIG, key="compare_reps")
