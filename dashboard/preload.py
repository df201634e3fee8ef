"""Have the browser load the code of the result views before it needs it.

Streamlit's browser side loads the code of an element type the first time an element
of that type is shown: Plotly's is 4.8 MB (served gzipped on the fly by the server);
an image's, a progress bar's, a download button's and a text area's are a few kB each,
but each is fetched, compiled and drawn only once one is on the page. Without this,
the first analysis of a browser session pays for it while the analysis runs, on the
same cores (measured on 2 cores: the first upload after a server start took 1.7x the
estimator alone, later ones 1.2x). Drawn hidden on the Analyse page, the code loads
while the user chooses files.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

PRELOAD_KEY = "preload_result_views"
_HIDDEN = f"<style>.st-key-{PRELOAD_KEY}{{display:none !important}}</style>"


def preload_result_views() -> None:
    """Draw, hidden, one element of each kind the first analysis and the Clip view show
    (a Plotly chart, a table, an image, a progress bar, a download button, a text area),
    so their code is in the browser before the first results arrive (measured: the
    first Clip view's frame showed 0.2-0.4 s later than on later uploads while the
    image's code was fetched)."""
    st.html(_HIDDEN)
    with st.container(key=PRELOAD_KEY):
        st.plotly_chart(go.Figure(), key=f"{PRELOAD_KEY}_chart", theme=None,
                        config={"displayModeBar": False, "staticPlot": True})
        st.dataframe(pd.DataFrame({"": []}), key=f"{PRELOAD_KEY}_table", hide_index=True)
        st.image(np.zeros((1, 1, 3), np.uint8), output_format="JPEG")
        st.progress(0.0)
        st.download_button("Download", b"", key=f"{PRELOAD_KEY}_download", on_click="ignore",
                           disabled=True)
        st.text_area("Text", key=f"{PRELOAD_KEY}_text", disabled=True,
                     label_visibility="collapsed")
