"""Entry point of the dashboard: `streamlit run streamlit_app.py`."""

import streamlit as st

st.set_page_config(page_title="Posture analytics", layout="wide")
st.title("Posture analytics")
st.info("The dashboard is being built.")
