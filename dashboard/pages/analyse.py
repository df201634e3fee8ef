"""Analyse: pick or create the athlete and session, upload photos or clips, run, follow progress."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from analysis import CleanSettings, PipelineSettings
from analysis import files as datafiles
from dashboard import charts, cluster, jobs, widgets
from dashboard.escape import md
from dashboard.height import height_input, parse_height
from dashboard.preload import preload_result_views
from dashboard.state import (
    CURRENT_ATHLETE,
    CURRENT_CLIP,
    DEFAULT_MAX_PEOPLE,
    DISPLAY_ANGLES,
    display_angles,
    get_estimator,
    get_store,
    previews_dir,
    upload_limit_mb,
    user_errors,
)
from dashboard.widgets import angle_choices, angle_label
from estimator.finetune import registry

JOB = "analyse_job"
JOB_SEEN = "analyse_job_seen"
#: A new uploader (key) once its files are saved, so Streamlit keeps none of them.
UPLOADER_ROUND = "analyse_uploader_round"
ATHLETE_WIDGET = "analyse_athlete"
MODEL_WIDGET = "analyse_model"
DEFAULT_MODEL_LABEL = "BlazePose (verified, default)"


def _pck(figures: dict) -> float | None:
    """The first PCK figure of a table of validation figures (names are free-form)."""
    for name, value in figures.items():
        if str(name).lower().startswith("pck") and isinstance(value, int | float):
            return float(value)
    return None


def _model_label(model: registry.UserModel | None) -> str:
    """``club-squats — trained on 120 frames, PCK 0.70→0.78`` (what its manifest tells),
    or the default's label. Plain text: selectbox options are not Markdown."""
    if model is None:
        return DEFAULT_MODEL_LABEL
    parts = []
    frames = model.labels.get("frames")
    if isinstance(frames, int):
        parts.append(f"trained on {frames} frame{'' if frames == 1 else 's'}")
    before = _pck(model.figures.get("before", {}))
    after = _pck(model.figures.get("after", {}))
    if before is not None and after is not None:
        parts.append(f"PCK {before:.2f}→{after:.2f}")
    return model.name + (" — " + ", ".join(parts) if parts else "")


store = get_store()
st.title("Analyse")
st.caption(
    "Choose the athlete and the session, add photos or clips, and run: each file is "
    "analysed in turn and kept with the session."
)

# ---------------------------------------------------------------- athlete and session
athlete_col, session_col = st.columns(2, gap="large")

with athlete_col:
    st.subheader("Athlete")
    athletes = {a.id: a for a in store.list_athletes()}
    current = st.session_state.get(CURRENT_ATHLETE)
    if st.session_state.get(ATHLETE_WIDGET) not in athletes:
        st.session_state.pop(ATHLETE_WIDGET, None)
    athlete_id = st.selectbox(
        "Athlete",
        list(athletes),
        format_func=lambda i: widgets.athlete_label(athletes[i]),
        index=list(athletes).index(current) if current in athletes else None,
        placeholder="Choose an athlete" if athletes else "No athletes yet: create one below",
        key=ATHLETE_WIDGET,
        label_visibility="collapsed",
    )
    st.session_state[CURRENT_ATHLETE] = athlete_id
    with st.expander("New athlete", expanded=not athletes), st.form(
        "new_athlete", clear_on_submit=True, border=False
    ):
        new_name = st.text_input("Name", placeholder="e.g. Anna Lee")
        new_height = height_input()
        if st.form_submit_button("Create athlete"):
            with user_errors():
                created = store.create_athlete(new_name, parse_height(new_height))
                st.session_state[CURRENT_ATHLETE] = created.id
                st.session_state.pop(ATHLETE_WIDGET, None)
                tall = f", {created.height_m:.2f} m" if created.height_m else ""
                st.toast(f"Athlete {md(created.name)} created{tall}.")
                st.rerun()

with session_col:
    st.subheader("Session")
    sessions = {s.id: s for s in store.list_sessions(athlete_id)} if athlete_id else {}
    mode = st.radio(
        "Session", ["New session", "Existing session"], horizontal=True,
        label_visibility="collapsed", key="analyse_session_mode",
        disabled=not sessions,
        index=0,
    )
    session_id: int | None = None
    if mode == "Existing session" and sessions:
        session_id = st.selectbox(
            "Existing session", list(sessions),
            format_func=lambda i: widgets.session_label(sessions[i]),
            key="analyse_session",
        )
    else:
        title = st.text_input("Title", value="Training", key="analyse_session_title")
        day = st.date_input("Date", value=dt.date.today(), key="analyse_session_date")
        tags = st.text_input("Tags", placeholder="squat, legs", help="Separated by commas.",
                             key="analyse_session_tags")

# ---------------------------------------------------------------- files and settings
st.subheader("Photos and clips")
uploads = st.file_uploader(
    "Photos or clips",
    accept_multiple_files=True,
    key=f"analyse_uploads_{st.session_state.get(UPLOADER_ROUND, 0)}",
    label_visibility="collapsed",
)
st.caption(
    f"Up to {widgets.format_megabytes(upload_limit_mb())} per file. Photos: JPEG, PNG, "
    "WebP or BMP. Clips: MP4, MOV, AVI, MKV or WebM. Files are recognised by their content, "
    "not their name."
)

with st.expander("Settings"):
    left, right = st.columns(2, gap="large")
    max_people = left.number_input(
        "People to analyse", min_value=1, max_value=10, value=DEFAULT_MAX_PEOPLE, step=1,
        help="Most people followed in a clip or found in a photo.",
    )
    smoothing = left.toggle(
        "Smooth the angle curves", value=True,
        help="Removes outliers, fills gaps up to half a second and applies a 6 Hz "
        "low-pass filter. The values as measured are always kept beside the smoothed ones.",
    )
    cutoff = left.slider("Low-pass cut-off (Hz)", 2.0, 12.0, 6.0, 0.5, disabled=not smoothing)
    # Trained models live in the data folder; the default is always the first choice.
    trained = {m.name: m for m in registry.list_models()}
    if st.session_state.get(MODEL_WIDGET) not in (None, registry.DEFAULT, *trained):
        st.session_state.pop(MODEL_WIDGET, None)  # a model removed since it was chosen
    # "default" cannot name a trained model (registry.valid_name), so it stands for the
    # verified weights (PipelineSettings records it as None).
    model_name = left.selectbox(
        "Landmark model", [registry.DEFAULT, *trained],
        format_func=lambda n: _model_label(trained.get(n)),
        key=MODEL_WIDGET,
        help="The network that places the joints. Models trained on your own labelled "
        "frames are listed here; the default is BlazePose's verified weights.",
    )
    chosen = right.multiselect(
        "Angles to show",
        angle_choices(),
        default=display_angles(),
        format_func=angle_label,
        key="analyse_angles",
        help="Drawn on the frames and charted in the Clip view.",
    )
    st.session_state[DISPLAY_ANGLES] = chosen


def _settings() -> PipelineSettings:
    clean = CleanSettings(cutoff_hz=float(cutoff)) if smoothing else CleanSettings.raw()
    return PipelineSettings(max_people=int(max_people), clean=clean, model=model_name)


# ---------------------------------------------------------------- run
job: jobs.AnalysisJob | None = st.session_state.get(JOB)
busy = job is not None and job.running
cluster_job: cluster.ClusterJob | None = st.session_state.get(cluster.JOB)
busy = busy or (cluster_job is not None and cluster_job.running)
ready = bool(uploads) and athlete_id is not None
scheduler = cluster.scheduler_address()  # POSTURE_DASK_SCHEDULER: large batches elsewhere
to_cluster = scheduler is not None and st.toggle(
    "Send to the cluster", key="analyse_to_cluster",
    help=f"Analysed by the Dask cluster at {scheduler}, not by this server: for large "
    "batches.")
run = st.button(
    "Analyse", type="primary", disabled=busy or not ready, key="analyse_run",
    help=None if ready else "Choose an athlete and add at least one file.",
)

if run and ready and not busy and to_cluster:
    with user_errors():
        st.session_state[cluster.JOB] = cluster.start(
            store, athlete_id,
            session_id if session_id is not None
            else jobs.NewSession(title, day, tuple(widgets.parse_tags(tags))),
            _settings(), uploads, datafiles.data_dir(), scheduler)
        st.session_state[UPLOADER_ROUND] = st.session_state.get(UPLOADER_ROUND, 0) + 1
elif run and ready and not busy:
    with user_errors():
        settings = _settings()
        # Shown only past half a second: while the models load (or finish warming up).
        with st.spinner("Loading the pose models…"):
            estimator = get_estimator(settings.max_people, settings.model)
        # Uploads streamed to disk, named by content, let go of by Streamlit; nothing
        # written (session or file) when the data folder cannot be; refused files said.
        job = jobs.start_batch(
            store, estimator, athlete_id,
            session_id if session_id is not None
            else jobs.NewSession(title, day, tuple(widgets.parse_tags(tags))),
            settings, uploads, datafiles.data_dir(), previews=previews_dir(),
        )
        st.session_state[JOB] = job
        st.session_state[JOB_SEEN] = False
        # A new, empty uploader: Streamlit keeps none of the files just saved (or refused).
        st.session_state[UPLOADER_ROUND] = st.session_state.get(UPLOADER_ROUND, 0) + 1


def _show(job: jobs.AnalysisJob) -> None:
    for item in job.files:
        line = md(jobs.summary_line(item))  # file names and messages: plain text
        if item.status == "running":
            st.progress(jobs.fraction(item), text=line)
            _followed(item)
        elif item.status == "waiting":
            st.progress(0.0, text=line)
        elif item.status == "done" and item.kind == "photo" and not item.people:
            st.warning(line, icon=":material/person_off:")
        elif item.status == "done":
            st.success(line, icon=":material/check_circle:")
        elif item.status == "cancelled":
            st.info(line, icon=":material/cancel:")
        else:
            st.error(line, icon=":material/error:")


def _followed(item: jobs.FileRun) -> None:
    """Who the estimator follows so far: a wrong or lost athlete shows before the end."""
    if item.followed.frames < 2:  # a photo, or a clip that has only just started
        return
    spans = item.followed.snapshot()
    st.caption("People followed so far" if spans else "Nobody found so far")
    picture = charts.followed_svg(spans, item.expected_duration_s(), item.followed.last_time)
    with st.container(key="analyse_followed"):
        st.image(picture, width="stretch")


def _open_the_clip(job: jobs.AnalysisJob) -> None:
    """The batch has just finished (seen now): one clip with people in it opens in the
    Clip view (this ends the run); otherwise nothing happens."""
    st.session_state[JOB_SEEN] = True
    done = [f for f in job.files if f.status == "done" and f.clip_id is not None]
    if len(job.files) == 1 and len(done) == 1 and done[0].people:
        st.session_state[CURRENT_CLIP] = done[0].clip_id
        st.switch_page("dashboard/pages/clip_view.py")


#: The progress is redrawn every 2 s: each redraw (bar, ETA, the chart of who is
#: followed) costs the browser about 0.2 s of CPU, taken from the analysis when both
#: share 2 cores (measured: every half second slowed the analysis by a quarter; from
#: upload to results of a 6 s analysis the browser used 1.6-1.8 s of CPU with a redraw
#: every second, 0.9-1.2 s with one every 2 s).
PROGRESS_EVERY_S = 2.0
#: After a redraw near the batch's end (:func:`jobs.may_end_within` the next redraw and a
#: half), the progress waits for the end, at most this long, so it is seen at once and the
#: results open (without waiting, the end was seen at the next redraw: 0.5 s later on
#: average with a redraw every second, measured). Only near the end: a fragment still
#: running kept the browser busy (traced: 1.0-1.3 s of its main thread during a 7 s
#: analysis when every redraw waited, 0.64-0.66 s when none did).
END_WAIT_S = 1.8
NEAR_END_S = PROGRESS_EVERY_S + 0.5


@st.fragment(run_every=PROGRESS_EVERY_S if busy or run else None)
def _progress() -> None:
    """Progress of the running batch, redrawn on a timer without the whole page."""
    job = st.session_state.get(JOB)
    if job is None:
        return
    _show(job)
    if job.running:
        if st.button("Cancel", key="analyse_cancel", icon=":material/stop_circle:"):
            job.cancel.set()
            st.caption("Stopping after the current frame…")
        # Drawn, then waiting for an end that is near: seen at once (a click meanwhile,
        # Cancel, is answered after the wait, within 2 s).
        if jobs.may_end_within(job.files, NEAR_END_S):
            job.wait(END_WAIT_S)
    if not job.running and not st.session_state.get(JOB_SEEN, True):
        _open_the_clip(job)  # one clip: straight to it, without another run of this page
        st.rerun()  # the whole page, once: the results below


job = st.session_state.get(JOB)
if job is not None and not job.running and not st.session_state.get(JOB_SEEN, True):
    _open_the_clip(job)

if job is not None:
    st.subheader("Progress" if job.running else "Last run")
    _progress()
    if not job.running:
        openable = [f for f in job.files
                    if f.status == "done" and f.clip_id is not None and f.people]
        for item in openable:
            if st.button(f"Open {md(item.name)}", key=f"open_{item.clip_id}",
                         icon=":material/play_circle:"):
                st.session_state[CURRENT_CLIP] = item.clip_id
                st.switch_page("dashboard/pages/clip_view.py")

cluster_job = st.session_state.get(cluster.JOB)
if cluster_job is not None:
    st.subheader("On the cluster" if cluster_job.running else "Last batch on the cluster")
    cluster.follow(cluster_job)

if not busy:  # hidden: the charts' code loads while the user chooses files
    preload_result_views()
