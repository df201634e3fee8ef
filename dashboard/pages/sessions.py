"""Sessions: athletes, their sessions and clips; search, open, rename, delete (confirmed)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analysis import files as datafiles
from dashboard import widgets
from dashboard.auth import current_access
from dashboard.escape import md
from dashboard.height import height_input, parse_height
from dashboard.state import CURRENT_CLIP, get_store, user_errors

CONFIRM = "sessions_confirm_delete"
SAVED = "sessions_saved"  # what was just saved, said once after the page is redrawn


def _saved(message: str, selector: str, item_id: int) -> None:
    """Say ``message`` once the page is redrawn, with ``selector`` still on ``item_id``
    (a renamed or re-dated session moves in the list; Streamlit would start it on the
    first)."""
    st.session_state[SAVED] = message
    st.session_state[f"{selector}_after_save"] = int(item_id)
    st.rerun()


def _keep(key: str, options: list) -> None:
    """Put the selector ``key`` back on what was just saved; drop a value that is gone."""
    kept = st.session_state.pop(f"{key}_after_save", None)
    if kept in options:
        st.session_state[key] = kept
    elif key in st.session_state and st.session_state[key] not in options:
        st.session_state.pop(key)


def _as_text(table: pd.DataFrame) -> pd.DataFrame:
    """The overview as shown: empty cells, not "None", where an athlete has no session
    or a session no clip yet; dates as YYYY-MM-DD, durations to a tenth of a second."""
    shown = table.copy()
    for column in shown.columns:
        values = shown[column]
        if column == "Date":
            shown[column] = values.map(
                lambda d: "" if pd.isna(d) else f"{pd.Timestamp(d):%Y-%m-%d}")
        elif pd.api.types.is_numeric_dtype(values):
            form = "{:.1f}" if column == "Duration (s)" else "{:.0f}"
            shown[column] = values.map(lambda v, f=form: "" if pd.isna(v) else f.format(v))
        else:
            shown[column] = values.fillna("")
    return shown


store = get_store()
st.title("Sessions")
st.caption("Every athlete, their training sessions and the clips analysed in them.")

search = st.text_input(
    "Search", placeholder="Athlete, session title, tag or file name", key="sessions_search"
)
with user_errors():
    overview = store.overview()
    table = widgets.overview_table(overview, search)
    if overview.empty:
        st.info("No athletes yet. Create one and analyse a clip on the **Analyse** page.")
    elif table.empty:
        st.info(f"Nothing matches “{md(search)}”.")
    else:
        n_athletes = table["Athlete"].nunique()
        n_sessions = table.dropna(subset=["Session"]).drop_duplicates(["Athlete", "Date",
                                                                       "Session"]).shape[0]
        n_clips = int(table["File"].notna().sum())
        st.caption(" · ".join([widgets.plural(n_athletes, "athlete"),
                               widgets.plural(n_sessions, "session"),
                               widgets.plural(n_clips, "clip")]))
        widgets.show_table(_as_text(table), download="sessions.csv")


def _ask(kind: str, item_id: int, label: str) -> None:
    st.session_state[CONFIRM] = (kind, int(item_id), label)


def _confirmation(kind: str, item_id: int, delete) -> None:
    """The confirm step of a delete: the warning and the two buttons, when it was asked for."""
    pending = st.session_state.get(CONFIRM)
    if not pending or pending[0] != kind or pending[1] != int(item_id):
        return
    st.warning(f"Delete {md(pending[2])} and everything in it? This cannot be undone.")
    yes, no = st.columns(2)
    # "Keep it" is the highlighted, safe choice; deleting is the plain, red-marked one.
    if yes.button("Delete for good", icon=":material/delete_forever:", key=f"confirm_{kind}"):
        with user_errors():
            removal = delete(int(item_id))
            st.session_state.pop(CONFIRM, None)
            if kind == "clip" and st.session_state.get(CURRENT_CLIP) == int(item_id):
                st.session_state.pop(CURRENT_CLIP, None)
            freed = (f" ({datafiles.format_bytes(removal.bytes)} of files freed)"
                     if removal.removed else "")
            st.toast(f"Deleted {md(pending[2])}{freed}.")
            st.rerun()
    if no.button("Keep it", type="primary", key=f"cancel_{kind}"):
        st.session_state.pop(CONFIRM, None)
        st.rerun()


def _with_files(delete):
    """A delete action that also deletes the rows' files (uploads, previews, exports)."""
    return lambda item_id: delete(store, item_id, datafiles.data_dir())


with user_errors():
    use = datafiles.usage(datafiles.data_dir())
    st.caption("Data folder: " + " · ".join(
        f"{kind} {datafiles.format_bytes(u.bytes)} ({widgets.plural(u.files, 'file')})"
        for kind, u in use.items()))

if not overview.empty and not current_access().can_edit:
    # A read-only account (an athlete): open their clips, change nothing.
    st.subheader("Open a clip")
    clips = {c.id: c for c in store.list_clips(status="done")}
    labels = widgets.clip_labels(overview)
    clip_id = st.selectbox("Clip", list(clips), key="open_clip_choice",
                           format_func=lambda i: labels.get(i, clips[i].file_name))
    if clip_id is not None and st.button("Open in Clip view", type="primary",
                                         key="open_clip"):
        st.session_state[CURRENT_CLIP] = clip_id
        st.switch_page("dashboard/pages/clip_view.py")
elif not overview.empty:
    st.subheader("Manage")
    if SAVED in st.session_state:
        st.success(md(st.session_state.pop(SAVED)), icon=":material/check_circle:")
    athlete_tab, session_tab, clip_tab = st.tabs(["Athlete", "Session", "Clip"])

    with athlete_tab:
        athletes = {a.id: a for a in store.list_athletes()}
        _keep("manage_athlete", list(athletes))
        athlete_id = st.selectbox(
            "Athlete", list(athletes), format_func=lambda i: widgets.athlete_label(athletes[i]),
            key="manage_athlete",
        )
        athlete = athletes.get(athlete_id)
        if athlete is not None:
            with st.form("rename_athlete", border=False):
                name = st.text_input("Name", value=athlete.name)
                height = height_input(value=athlete.height_m)
                if st.form_submit_button("Save athlete"):
                    with user_errors():
                        store.update_athlete(
                            athlete.id,
                            name=name if name != athlete.name else None,
                            height_m=parse_height(height),
                        )
                        _saved(f"Athlete {name} saved.", "manage_athlete", athlete.id)
            st.button(
                "Delete athlete…", key="delete_athlete", on_click=_ask,
                args=("athlete", athlete.id, f"the athlete {athlete.name}"),
            )
            _confirmation("athlete", athlete.id, _with_files(datafiles.delete_athlete))

    with session_tab:
        sessions = {s.id: s for s in store.list_sessions()}
        _keep("manage_session", list(sessions))
        session_id = st.selectbox(
            "Session", list(sessions), format_func=lambda i: widgets.session_label(sessions[i]),
            key="manage_session",
        )
        chosen = sessions.get(session_id)
        if chosen is not None:
            with st.form("edit_session", border=False):
                title = st.text_input("Title", value=chosen.title)
                day = st.date_input("Date", value=chosen.date)
                tags = st.text_input("Tags", value=", ".join(chosen.tags),
                                     help="Separated by commas.")
                if st.form_submit_button("Save session"):
                    with user_errors():
                        store.update_session(
                            chosen.id,
                            title=title if title != chosen.title else None,
                            date=day,
                            tags=widgets.parse_tags(tags),
                        )
                        _saved(f"Session {title} saved.", "manage_session", chosen.id)
            st.button(
                "Delete session…", key="delete_session", on_click=_ask,
                args=("session", chosen.id, f"the session {chosen.title} ({chosen.date})"),
            )
            _confirmation("session", chosen.id, _with_files(datafiles.delete_session))

    with clip_tab:
        clips = {c.id: c for c in store.list_clips()}
        labels = widgets.clip_labels(overview)
        _keep("manage_clip", list(clips))
        clip_id = st.selectbox(
            "Clip", list(clips), format_func=lambda i: labels.get(i, clips[i].file_name),
            key="manage_clip",
        )
        clip = clips.get(clip_id)
        if clip is not None:
            own = {s.id: s for s in store.list_sessions(clip.athlete_id)}
            with st.form("edit_clip", border=False):
                clip_name = st.text_input("Name", value=clip.file_name, key="clip_name")
                move_to = st.selectbox(
                    "Session", list(own), index=list(own).index(clip.session_id)
                    if clip.session_id in own else 0,
                    format_func=lambda i: widgets.session_label(own[i]), key="clip_session",
                    help="Move the clip to another session of the same athlete.")
                if st.form_submit_button("Save clip"):
                    with user_errors():
                        store.update_clip(
                            clip.id,
                            file_name=clip_name if clip_name != clip.file_name else None,
                            session_id=move_to)
                        _saved(f"Clip {clip_name} saved.", "manage_clip", clip.id)
            open_col, delete_col = st.columns(2)
            if open_col.button("Open in Clip view", type="primary", key="open_clip",
                               disabled=clip.status != "done"):
                st.session_state[CURRENT_CLIP] = clip.id
                st.switch_page("dashboard/pages/clip_view.py")
            delete_col.button(
                "Delete clip…", key="delete_clip", on_click=_ask,
                args=("clip", clip.id, f"the clip {clip.file_name}"),
            )
            if clip.status == "failed" and clip.error:
                st.error(f"Analysis failed: {md(clip.error)}")
            _confirmation("clip", clip.id, _with_files(datafiles.delete_clip))

