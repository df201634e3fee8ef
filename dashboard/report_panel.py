"""The Clip view's "Report" section: one button makes the athlete's PDF of this clip or of
its whole session (:mod:`dashboard.report`), then offers it for download.

The report is made on request (a few seconds: key frames are drawn and the PDF laid
out), kept in the browser session under a key of what it covers, and made again when
the results changed.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from analysis import ClipInfo
from dashboard.clipdata import ClipData, clip_stamp, load_clip
from dashboard.report import clip_report, report_pdf
from dashboard.report.content import athlete_of, stored_notes
from dashboard.state import user_errors

KEPT = "report_pdf"  # (key, file name, bytes) of the last report made


def _file_name(athlete: str, label: str) -> str:
    stem = "".join(c if c.isalnum() else "_" for c in f"report_{athlete}_{label}")[:80]
    return f"{stem}.pdf"


def _session_reports(store, clip: ClipInfo, names: tuple[str, ...]) -> list:
    session = store.get_session(clip.session_id)
    out = []
    for other in store.list_clips(clip.session_id, status="done"):
        track = athlete_of(other)
        if track is None:
            continue
        data = load_clip(other)
        out.append(clip_report(store, data, track, session.athlete_name, names,
                               **stored_notes(store, data)))
    return out


def report_panel(store, clip: ClipInfo, data: ClipData, athlete_track: int | None,
                 athlete_name: str, names: tuple[str, ...]) -> None:
    st.subheader("Report")
    if athlete_track is None:
        st.info("Choose the athlete to make their report.")
        return
    session = store.get_session(clip.session_id)
    label = f"{session.date:%Y-%m-%d} {session.title}"
    st.caption("A PDF for the athlete: key frames with the skeleton and angles, the "
               "curves, repetitions and symmetry, the coach's notes, and the change since "
               "their previous session.")
    cols = st.columns(2)
    this_clip = ("clip", clip.id, clip_stamp(clip), athlete_track, names)
    this_session = ("session", clip.session_id, names)
    wanted = None
    if cols[0].button("Make the report of this clip", icon=":material/picture_as_pdf:"):
        wanted = this_clip
    if cols[1].button("Make the report of the session", icon=":material/description:"):
        wanted = this_session
    if wanted is not None:
        with user_errors(), st.spinner("Making the report…"):
            if wanted[0] == "clip":
                parts = [clip_report(store, data, athlete_track, athlete_name, names,
                                     **stored_notes(store, data))]
                name = _file_name(athlete_name, f"{label}_{clip.file_name}")
            else:
                parts = _session_reports(store, clip, names)
                name = _file_name(athlete_name, label)
            pdf = report_pdf(athlete_name, label, parts, dt.date.today())
            st.session_state[KEPT] = (wanted, name, pdf)
    kept = st.session_state.get(KEPT)
    if kept is not None and kept[0] in (this_clip, this_session):
        st.download_button(f"Download {kept[1]}", kept[2], file_name=kept[1],
                           mime="application/pdf", icon=":material/download:")
