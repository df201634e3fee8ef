"""The Clip view's "Train a landmark model" section, under the labelled-frames downloads.

A coach who has just corrected joints finds here the next step: teach the landmark model
from those corrections. They choose the frames (this athlete's labelled frames, or every
athlete's they can see), name the model, choose the base model and the number of steps,
and start; the training runs as ``python -m estimator.finetune`` in the background
(:mod:`dashboard.training`), one per server, with a progress bar, the time left, the
latest validation PCK and a Cancel button (a fragment redrawn every second, as the
Analyse page's progress). At the end: the validation figures before and after, and where
to choose the model (Analyse › Landmark model).

A running training is shown to every session (after a reload too), so it can always be
followed and cancelled; its result is shown in the session that started it.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analysis import Store
from analysis.labelled_frames import LabelledFrame, labelled_frames
from dashboard import training
from dashboard.escape import md
from dashboard.state import data_dir, user_errors
from estimator.finetune.train import BASES

STARTED = "training_started"  # the job this browser session started
BASE_LABELS = {"pose_landmark_full": "Full: fast, the clips' model",
               "pose_landmark_heavy": "Heavy: the photos' model"}
MIN_STEPS = 10
#: The progress is redrawn once a second (as the Analyse page's): on 2 cores a faster
#: redraw takes time from the training itself.
PROGRESS_EVERY_S = 1.0


def _everyones(store: Store) -> list[LabelledFrame]:
    """The labelled frames of every athlete this user can see."""
    frames: list[LabelledFrame] = []
    for athlete in store.list_athletes():
        frames += labelled_frames(store, athlete=athlete.id)
    return frames


def _outcome(job: training.TrainingJob) -> None:
    """How a training ended: the figures before and after, or why it did not."""
    if job.status == "done":
        st.success(f"Model {md(job.name)} is trained and registered. Choose it in "
                   "Analyse › Landmark model.", icon=":material/check_circle:")
        figures = job.figures or {}
        st.dataframe(pd.DataFrame(training.figures_rows(figures)), hide_index=True)
        scored = (figures.get("after") or {}).get("frames")
        if isinstance(scored, int):
            st.caption(f"Scored on {scored} validation frame{'' if scored == 1 else 's'} "
                       "held out from training, with the base model (before) and the "
                       "trained one (after).")
        if training.scores_lower(figures):
            st.warning("The trained model scores lower than the base model on the validation "
                       "frames: keep the default, or train again on more labelled frames.")
    elif job.status == "cancelled":
        st.info(md(job.message), icon=":material/cancel:")
    else:
        st.error(md(f"Training {job.name} failed: {job.message}"), icon=":material/error:")


def _follow(job: training.TrainingJob, was_running: bool) -> None:
    """The running training's progress and Cancel button, redrawn on a timer."""

    @st.fragment(run_every=PROGRESS_EVERY_S if was_running else None)
    def follow() -> None:
        if job.running:
            st.caption(f"Training {md(job.name)} from {BASE_LABELS.get(job.base, job.base)}.")
            st.progress(training.fraction(job), text=training.progress_line(job))
            if job.cancelling:
                st.caption("Stopping after the current step…")
            elif st.button("Cancel training", key="training_cancel",
                           icon=":material/stop_circle:"):
                job.cancel(wait=False)  # the job's own timer kills it if SIGINT is not enough
                st.caption("Stopping after the current step…")
        elif was_running:
            st.rerun()  # the whole page, once: the form comes back, the timer stops
        else:
            _outcome(job)

    follow()


def _form(store: Store, athlete_id: int, athlete_name: str, busy: bool) -> None:
    mine = labelled_frames(store, athlete=athlete_id)
    which = st.radio(
        "Frames to train on", ("athlete", "everyone"), key="training_frames",
        format_func=lambda k: (f"{md(athlete_name)}'s labelled frames ({len(mine)})"
                               if k == "athlete" else "Every athlete's labelled frames"))
    frames = mine if which == "athlete" else _everyones(store)
    if which == "everyone":
        st.caption(f"{len(frames)} labelled frame{'' if len(frames) == 1 else 's'} in all.")
    cols = st.columns(3)
    name = cols[0].text_input("Model name", key="training_name", placeholder="club-squats",
                              help="1 to 64 letters, digits, '_', '.' or '-'; how the model "
                                   "is listed in Analyse › Landmark model.")
    base = cols[1].selectbox("Start from", BASES, key="training_base",
                             format_func=lambda b: BASE_LABELS.get(b, b))
    steps = cols[2].number_input("Steps", min_value=MIN_STEPS, value=training.DEFAULT_STEPS,
                                 step=50, key="training_steps",
                                 help="Most optimiser steps; training stops earlier when "
                                      "the validation frames stop improving.")
    enough = len(frames) >= training.MIN_FRAMES
    if not enough:
        there = "there is 1" if len(frames) == 1 else f"there are {len(frames)}"
        st.info(f"Training needs at least {training.MIN_FRAMES} labelled frames; {there}. "
                "Correct joints on more frames first.", icon=":material/info:")
    elif busy:
        st.caption("One training at a time on this server: start another once it ends.")
    if st.button("Start training", key="training_start", disabled=not enough or busy,
                 icon=":material/model_training:"):
        with user_errors("Not started: "):
            job = training.start(name, data_dir(), base=base, steps=int(steps), store=store,
                                 frames=frames)
            st.session_state[STARTED] = job
            st.rerun()


def training_panel(store: Store, athlete_id: int, athlete_name: str) -> None:
    """The section for a clip of athlete ``athlete_id`` named ``athlete_name``."""
    job = training.current()
    running = job is not None and job.running
    mine = job is not None and st.session_state.get(STARTED) is job
    with st.expander("Train a landmark model on labelled frames", expanded=running or mine,
                     icon=":material/model_training:"):
        st.caption("Teach the landmark model from the joints corrected by hand; the new "
                   "model is offered in Analyse › Landmark model, the default stays "
                   "BlazePose's.")
        if job is not None and (running or mine):
            _follow(job, running)
        with user_errors():  # the form stays while training (what was typed is kept)
            _form(store, athlete_id, athlete_name, busy=running)
