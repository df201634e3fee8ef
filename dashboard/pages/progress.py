"""Progress: one athlete's metrics across all their sessions over time."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts, widgets
from dashboard.escape import md
from dashboard.state import CURRENT_ATHLETE, display_angles, get_store, user_errors

METRICS = {
    "rom": ("Range of motion", "°", "angle"),
    "si": ("Symmetry index", "%", "pair"),
    "repetitions": ("Repetitions", "reps", "signal"),
    "rep_rom": ("Range of motion per repetition", "°", "signal"),
    "rep_duration_s": ("Repetition duration", "s", "signal"),
    "max": ("Peak angle", "°", "angle"),
    "jump_height_cm": ("Jump height (best)", "cm", "signal"),
    "jump_flight_s": ("Jump flight time (longest)", "s", "signal"),
    "jumps": ("Jumps", "jumps", "signal"),
}

store = get_store()
APPLIED = "progress_athlete_applied"  # the current athlete this page last followed

st.title("Progress")
st.caption("One athlete's metrics across all their sessions, from the person chosen as the "
           "athlete in each clip.")

athletes = {a.id: a for a in store.list_athletes()}
if not athletes:
    st.info("No athletes yet: create one and analyse a clip on the **Analyse** page.")
    st.stop()
current = st.session_state.get(CURRENT_ATHLETE)
# The athlete just worked on elsewhere (Analyse, Clip view, a link) is chosen once; a
# choice made here is never taken back by it (it is this page's own, from the last run).
if current in athletes and current != st.session_state.get(APPLIED):
    st.session_state["progress_athlete"] = current
top = st.columns([2, 2, 1.4])
athlete_id = top[0].selectbox(
    "Athlete", list(athletes), index=list(athletes).index(current) if current in athletes else 0,
    format_func=lambda i: widgets.athlete_label(athletes[i]), key="progress_athlete",
)
st.session_state[CURRENT_ATHLETE] = st.session_state[APPLIED] = athlete_id
metric = top[1].selectbox("Metric", list(METRICS), format_func=lambda m: METRICS[m][0],
                          key="progress_metric")
by = top[2].radio("One point per", ["session", "clip"], horizontal=True, key="progress_by")

table = pd.DataFrame()
with user_errors():
    table = store.progress(athlete_id, by=by)
if table.empty:
    st.info(f"{md(athletes[athlete_id].name)} has no analysed clips yet.")
    st.stop()

title, unit, kind = METRICS[metric]
rows = table[table["metric"] == metric]
if rows.empty:
    st.info(f"No {title.lower()} recorded for {md(athletes[athlete_id].name)} yet.")
    st.stop()
available = list(dict.fromkeys(rows["name"]))
if kind == "angle":
    wanted = [n for n in display_angles() if n in available] or available[:4]
    label = widgets.angle_label
elif kind == "pair":
    joints = list(dict.fromkeys(charts.joint_of(n) for n in display_angles()))
    wanted = [p for p in joints if p in available] or available[:4]
    label = charts.title_of
else:
    wanted, label = available, charts.title_of
names = st.multiselect("Show", available, default=wanted, format_func=label,
                       key=f"progress_names_{metric}")
shown = rows[rows["name"].isin(names)]
st.plotly_chart(charts.progress_figure(shown, "value", names, unit, title), theme=None,
                config=charts.GRAPH_CONFIG, key="progress_chart")
n_sessions = rows["session_id"].nunique()
st.caption(f"{n_sessions} session{'s' if n_sessions != 1 else ''} with analysed clips.")

pivot = shown.pivot_table(index=["date", "session"], columns="name", values="value",
                          aggfunc="mean").reset_index()
pivot.columns = [label(c) if c not in ("date", "session") else c.capitalize()
                 for c in pivot.columns]
widgets.show_numbers(pivot, download="progress.csv")
