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
import streamlit as st

from dashboard import charts
from dashboard.clickable_frame import clickable_frame
from dashboard.state import DEFAULT_DISPLAY_ANGLES

PRELOAD_KEY = "preload_result_views"
#: Off the screen and invisible, but laid out: the browser draws the chart, compiles the
#: code it runs and loads the fonts (``display: none`` would skip all of that).
_HIDDEN = (f"<style>.st-key-{PRELOAD_KEY}{{position:fixed !important;"
           "left:-10000px !important;top:0 !important;width:800px !important;"
           "visibility:hidden !important;pointer-events:none !important}</style>")


def preload_result_views() -> None:
    """Draw, hidden, one element of each kind the first analysis and the Clip view show
    (an angles chart like the Clip view's, a table, an image, a progress bar, a download
    button, a text area, code text, the clickable frame), so their code is in the
    browser, compiled, before the first results arrive (measured: the first Clip view's
    frame showed 0.6-1.2 s after its heading before, 0.3-0.9 s with all of these
    preloaded; later uploads' 0.03-0.6 s)."""
    st.html(_HIDDEN)
    with st.container(key=PRELOAD_KEY):
        st.plotly_chart(charts.example_angles_figure(DEFAULT_DISPLAY_ANGLES),
                        key=f"{PRELOAD_KEY}_chart", theme=None, config=charts.GRAPH_CONFIG)
        st.dataframe(pd.DataFrame({"": []}), key=f"{PRELOAD_KEY}_table", hide_index=True)
        st.image(np.zeros((1, 1, 3), np.uint8), output_format="JPEG")
        st.progress(0.0)
        st.download_button("Download", b"", key=f"{PRELOAD_KEY}_download", on_click="ignore",
                           disabled=True)
        st.text_area("Text", key=f"{PRELOAD_KEY}_text", disabled=True,
                     label_visibility="collapsed")
        st.markdown("`code`")  # the monospace font
        # The frame the coach clicks on (the Clip view's joints and notes sections): a
        # component in its own frame, whose page and code the browser then has.
        clickable_frame(np.zeros((2, 2, 3), np.uint8), key=f"{PRELOAD_KEY}_clickable")
