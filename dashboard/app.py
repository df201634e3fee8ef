"""The dashboard's frame: page set-up, navigation between the five pages, the sidebar."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

import dashboard.theme  # noqa: F401 -- registers the "posture" Plotly template
from dashboard import widgets
from dashboard.state import get_store, user_errors, warm_up

PAGES_DIR = Path(__file__).resolve().parent / "pages"

PAGES = (
    ("analyse.py", "Analyse", ":material/upload_file:"),
    ("clip_view.py", "Clip view", ":material/play_circle:"),
    ("sessions.py", "Sessions", ":material/folder_open:"),
    ("compare.py", "Compare", ":material/compare_arrows:"),
    ("progress.py", "Progress", ":material/trending_up:"),
)


def run() -> None:
    """Entry point called by ``streamlit_app.py`` on every rerun."""
    st.set_page_config(
        page_title="Posture analytics",
        page_icon=":material/accessibility_new:",
        layout="wide",
    )
    pages = [
        st.Page(PAGES_DIR / file, title=title, icon=icon, default=i == 0)
        for i, (file, title, icon) in enumerate(PAGES)
    ]
    page = st.navigation(pages, position="top")
    st.html(widgets.HIDE_TABLE_DOWNLOAD)
    warm_up()
    # A user's mistake that reaches this far (an unusable POSTURE_DB_URL, a locked
    # database) is one st.error line, never a traceback.
    with user_errors():
        get_store()
        page.run()
