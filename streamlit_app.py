"""Entry point of the dashboard: ``streamlit run streamlit_app.py`` (``make run``)."""

from dashboard.app import run

run()
