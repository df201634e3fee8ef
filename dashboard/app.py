"""The dashboard's frame: page set-up, sign-in, navigation between the pages, deep links."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

import dashboard.theme  # noqa: F401 -- registers the "posture" Plotly template
from analysis import AnalysisError
from dashboard import auth, widgets
from dashboard.access import Access
from dashboard.escape import md
from dashboard.state import (
    CURRENT_ATHLETE,
    CURRENT_CLIP,
    get_store,
    one_line,
    timed,
    user_errors,
)
from dashboard.warmup import warm_up

PAGES_DIR = Path(__file__).resolve().parent / "pages"

#: file, title, icon, who sees it: "edit" (may change data), "all", "admin".
PAGES = (
    ("analyse.py", "Analyse", ":material/upload_file:", "edit"),
    ("live.py", "Live", ":material/videocam:", "edit"),
    ("clip_view.py", "Clip view", ":material/play_circle:", "all"),
    ("sessions.py", "Sessions", ":material/folder_open:", "all"),
    ("compare.py", "Compare", ":material/compare_arrows:", "all"),
    ("progress.py", "Progress", ":material/trending_up:", "all"),
    ("users.py", "Users", ":material/group:", "admin"),
)


def pages_for(access: Access) -> list[tuple[str, str, str]]:
    """The pages ``access`` may open, in menu order. The first one opens by default (at
    ``/``: Streamlit serves the default page there only); a read-only user starts on
    Sessions."""
    allowed = {"all": True, "edit": access.can_edit, "admin": access.manages_users}
    pages = [(file, title, icon) for file, title, icon, who in PAGES if allowed[who]]
    if not access.can_edit:
        pages.sort(key=lambda page: page[0] != "sessions.py")
    return pages


def _sign_in_pages() -> list:
    """The sign-in page, under every page's address: a bookmarked page asks for sign-in,
    then opens (no "page not found")."""
    pages = []
    for i, (file, _title, _icon, _who) in enumerate(PAGES):
        def page() -> None:
            auth.sign_in_page()

        page.__name__ = f"sign_in_{Path(file).stem}"
        pages.append(st.Page(page, title="Sign in", icon=":material/login:",
                             url_path=Path(file).stem, default=i == 0))
    return pages


def run() -> None:
    """Entry point called by ``streamlit_app.py`` on every rerun."""
    st.set_page_config(
        page_title="Posture analytics",
        page_icon=":material/accessibility_new:",
        layout="wide",
    )
    access = auth.gate()
    if not access.can_edit and not access.signed_in:  # sign-in on, nobody signed in
        st.navigation(_sign_in_pages(), position="hidden").run()
        return
    pages = [
        st.Page(PAGES_DIR / file, title=title, icon=icon, default=i == 0)
        for i, (file, title, icon) in enumerate(pages_for(access))
    ]
    page = st.navigation(pages, position="top")
    st.html(widgets.HIDE_TABLE_DOWNLOAD)
    warm_up()
    # A user's mistake that reaches this far (an unusable POSTURE_DB_URL, a locked
    # database) is one st.error line, never a traceback.
    with user_errors():
        get_store()
        open_linked()
        with timed(f"page:{page.url_path or 'home'}"):  # read by bench/dashboard.py
            page.run()


LINKED = "posture_linked"  # session state: {parameter: (value, error or None)} followed


def open_linked() -> None:
    """Deep links: ``?clip=ID`` opens that clip (Clip view), ``?athlete=ID`` that athlete
    (Progress). Looked up through the user's store, so an id they may not see is
    answered as one that does not exist (one error line, for as long as the link is
    the page's address). Each value is followed once, so the page's own selectors
    work after it."""
    params = st.query_params
    followed: dict[str, tuple[str, str | None]] = st.session_state.setdefault(LINKED, {})
    for name, lookup, key, widget in (
        ("clip", lambda s, i: s.get_clip(i), CURRENT_CLIP, "clip_view_clip"),
        ("athlete", lambda s, i: s.get_athlete(i), CURRENT_ATHLETE, "progress_athlete"),
    ):
        value = params.get(name)
        if value is None:
            followed.pop(name, None)
            continue
        if name in followed and followed[name][0] == value:
            if followed[name][1]:
                st.error(md(followed[name][1]))
            continue
        try:
            try:
                record_id = int(value)
            except ValueError:
                raise AnalysisError(f"No {name} {value!r} in the database.") from None
            record = lookup(get_store(), record_id)
        except AnalysisError as error:
            followed[name] = (value, one_line(error))
            st.error(md(one_line(error)))
            continue
        followed[name] = (value, None)
        st.session_state[key] = record.id
        st.session_state.pop(widget, None)  # the page's selector starts on it
