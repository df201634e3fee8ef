"""Live: the browser's camera over WebRTC, annotated by the server, with live numbers,
a delayed replay and recordings kept as clips of the athlete's session."""

from __future__ import annotations

import datetime as dt

import streamlit as st
from streamlit_webrtc import WebRtcMode, webrtc_streamer

from analysis import PipelineSettings
from analysis import files as datafiles
from analysis.rep_signals import REP_CANDIDATES
from dashboard import jobs, widgets
from dashboard.escape import md
from dashboard.live import LiveProcessor, live_estimator
from dashboard.live_network import restrict_host_addresses, rtc_configuration
from dashboard.live_recording import NothingRecorded, Recorder, analyse_recording
from dashboard.live_replay import DelayedTrack
from dashboard.live_track import use_prompt_track
from dashboard.state import (
    CURRENT_ATHLETE,
    CURRENT_CLIP,
    DISPLAY_ANGLES,
    display_angles,
    get_estimator,
    get_store,
    one_line,
    previews_dir,
    user_errors,
)
from dashboard.widgets import angle_choices, angle_label

PROCESSOR = "live_processor"  # session state: {max_people: LiveProcessor}
JOB = "live_job"
RECORD_ERROR = "live_record_error"  # why the last recording was not kept
DELAY = "live_delay_s"
REFRESH_S = 0.5
CONSTRAINTS = {"video": {"width": {"ideal": 640}, "height": {"ideal": 480},
                         "frameRate": {"ideal": 30}}, "audio": False}

restrict_host_addresses()
use_prompt_track()  # each analysed frame sent as soon as it is ready
store = get_store()
st.title("Live")
st.caption(
    "The camera of this device, analysed as it films: skeleton and angles on the picture, "
    "a repetition counter, a delayed replay, and recordings kept as clips of the session."
)

# ---------------------------------------------------------------- choices
left, right = st.columns(2, gap="large")
with left:
    athletes = {a.id: a for a in store.list_athletes()}
    current = st.session_state.get(CURRENT_ATHLETE)
    athlete_id = st.selectbox(
        "Athlete", list(athletes), format_func=lambda i: widgets.athlete_label(athletes[i]),
        index=list(athletes).index(current) if current in athletes else None,
        placeholder="Choose an athlete" if athletes else "No athletes yet: create one on Analyse",
        key="live_athlete")
    if athlete_id is not None:
        st.session_state[CURRENT_ATHLETE] = athlete_id
    sessions = {s.id: s for s in store.list_sessions(athlete_id)} if athlete_id else {}
    session_choice = st.selectbox(
        "Recordings go to", [0, *sessions],
        format_func=lambda i: ("A new session: Live, today" if i == 0
                               else widgets.session_label(sessions[i])),
        key="live_session")
    people = st.radio("People", ["One athlete", "Several people"], horizontal=True,
                      key="live_people",
                      help="One athlete is faster; several follows up to 4 people and "
                      "draws them all. The numbers and the counter follow the largest "
                      "person in the picture (the one nearest the camera).")
with right:
    chosen = st.multiselect("Angles to show", angle_choices(), default=display_angles(),
                            format_func=angle_label, key="live_angles")
    st.session_state[DISPLAY_ANGLES] = chosen
    rep_angle = st.selectbox("Count repetitions of", list(REP_CANDIDATES),
                             format_func=lambda n: n.capitalize(), key="live_rep_angle")
    delay = st.slider("Replay delay (s)", 2, 30, 5, key="live_delay")
    st.session_state[DELAY] = float(delay)

max_people = 1 if people == "One athlete" else 4
processors: dict[int, LiveProcessor] = st.session_state.setdefault(PROCESSOR, {})
if max_people not in processors:
    with st.spinner("Loading the pose models…"):
        estimator, lock = live_estimator(max_people)
    processors[max_people] = LiveProcessor(estimator, lock)
processor = processors[max_people]
name = athletes[athlete_id].name if athlete_id in athletes else ""
processor.settings.angles = tuple(chosen)
processor.settings.athlete_name = name
processor.set_rep_angle(rep_angle)


async def _frames(frames: list) -> list:
    return processor.process(frames)


# ---------------------------------------------------------------- camera and numbers
camera_col, numbers_col = st.columns([3, 2], gap="large")
with camera_col:
    context = webrtc_streamer(
        key=f"live_camera_{max_people}", mode=WebRtcMode.SENDRECV,
        rtc_configuration=rtc_configuration(),
        server_rtc_configuration=rtc_configuration(),
        media_stream_constraints=CONSTRAINTS,
        queued_video_frames_callback=_frames, async_processing=True,
    )
    st.caption("On a phone the page must be served over HTTPS: browsers give the camera "
               "to secure pages only (see the README).")


def _clip_done(job: jobs.AnalysisJob) -> None:
    item = job.files[0]
    line = md(jobs.summary_line(item))
    if item.status == "running":
        st.progress(jobs.fraction(item), text=line)
    elif item.status == "waiting":
        st.progress(0.0, text=line)
    elif item.status == "done" and item.clip_id is not None:
        st.success(line, icon=":material/check_circle:")
        if st.button("Open in the Clip view", key="live_open_clip"):
            st.session_state[CURRENT_CLIP] = item.clip_id
            st.switch_page("dashboard/pages/clip_view.py")
    else:
        st.error(line, icon=":material/error:")


with numbers_col:
    @st.fragment(run_every=REFRESH_S)
    def numbers() -> None:
        snap = processor.snapshot()
        playing = context.state.playing
        if playing and snap.frames:
            st.markdown(f"**{snap.processed_fps:.0f} frames/s analysed** of "
                        f"{snap.received_fps:.0f} received"
                        + (" (the others dropped: the picture stays current)"
                           if snap.received_fps - snap.processed_fps > 1.5 else ""),
                        help="Frames the server could not analyse in time are dropped "
                        "rather than queued.")
        elif not playing:
            st.info("Press **Start** under the picture to turn the camera on.")
        for warning in snap.warnings if playing else ():
            st.warning(warning, icon=":material/warning:")
        cols = st.columns(3)
        for i, angle in enumerate(chosen):
            value = snap.angles.get(angle, float("nan"))
            cols[i % 3].metric(angle_label(angle),
                               f"{value:.0f}°" if value == value else "–")
        reps = snap.reps
        count = reps.count if reps is not None else 0
        rom = f"last {reps.last_rom:.0f}° ROM" if reps is not None and reps.count else None
        st.metric(f"Repetitions ({rep_angle})", count, delta=rom, delta_color="off")
        job: jobs.AnalysisJob | None = st.session_state.get(JOB)
        if job is not None:
            _clip_done(job)
        if st.session_state.get(RECORD_ERROR):
            st.error(md(st.session_state[RECORD_ERROR]), icon=":material/error:")
        if snap.recording_s is not None:
            st.markdown(f":red[● Recording] {snap.recording_s:.1f} s")

    numbers()
    buttons = st.columns(2)
    if buttons[0].button("Count from zero", key="live_reset"):
        processor.reset_count()
    recording = processor.recording
    label = "Stop recording" if recording else "Record"
    if buttons[1].button(label, key="live_record", type="primary",
                         disabled=athlete_id is None or not (recording or context.state.playing),
                         help=None if athlete_id is not None else "Choose an athlete first."):
        if not recording:
            processor.start_recording(Recorder(datafiles.folder(datafiles.UPLOADS)))
            st.rerun()
        recorder = processor.stop_recording()
        st.session_state.pop(RECORD_ERROR, None)
        try:
            done = recorder.stop() if recorder is not None else None
        except NothingRecorded:
            # kept for the next run: st.rerun() below would wipe an st.error shown now
            st.session_state[RECORD_ERROR] = "Nothing was recorded: start the camera first."
            done = None
        except ValueError as error:
            st.session_state[RECORD_ERROR] = (
                f"The recording could not be saved: {one_line(error)}")
            done = None
        with user_errors():
            if done is not None:
                session = (session_choice if session_choice else
                           jobs.NewSession("Live", dt.date.today(), ("live",)))
                st.session_state[JOB] = analyse_recording(
                    store, get_estimator(max_people), athlete_id, session, done,
                    PipelineSettings(max_people=max_people), datafiles.data_dir(),
                    previews=previews_dir())
        st.rerun()

# ---------------------------------------------------------------- replay
st.subheader("Delayed replay")
st.caption("The annotated picture, late by the delay chosen above: perform, turn round, watch.")
webrtc_streamer(
    key="live_replay", mode=WebRtcMode.RECVONLY,
    rtc_configuration=rtc_configuration(), server_rtc_configuration=rtc_configuration(),
    media_stream_constraints={"video": True, "audio": False},
    source_video_track=DelayedTrack(
        lambda: st.session_state.get(PROCESSOR, {}).get(max_people),
        lambda: st.session_state.get(DELAY, 5.0)),
)
