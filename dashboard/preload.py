"""Have the browser load the code of the result views before it needs it.

Streamlit's browser side loads the code of a chart or table type (Plotly's is 4.8
MB, served gzipped on the fly by the server) the first time an element of that
type is shown. Without this, the first analysis of a browser session pays for it while
the analysis runs, on the same cores (measured on 2 cores: the first upload after a
server start took 1.7x the estimator alone, later ones 1.2x). Drawn hidden on the
Analyse page, the code loads while the user chooses files.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

PRELOAD_KEY = "preload_result_views"
_HIDDEN = f"<style>.st-key-{PRELOAD_KEY}{{display:none !important}}</style>"


def preload_result_views() -> None:
    """Draw, hidden, one element of each kind the Clip view shows first (a Plotly chart
    and a table), so their code is in the browser before the first results arrive."""
    st.html(_HIDDEN)
    with st.container(key=PRELOAD_KEY):
        st.plotly_chart(go.Figure(), key=f"{PRELOAD_KEY}_chart", theme=None,
                        config={"displayModeBar": False, "staticPlot": True})
        st.dataframe(pd.DataFrame({"": []}), key=f"{PRELOAD_KEY}_table", hide_index=True)
