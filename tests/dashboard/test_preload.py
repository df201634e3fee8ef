"""The Analyse page has the browser load the result views' code while the user chooses
files: one element of each kind the first analysis and the Clip view show (an angles
chart, a table, an image, a progress bar, a download button, a text area, code text, the
clickable frame), drawn off the screen."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from analysis.store import Store
from dashboard.preload import PRELOAD_KEY
from tests.dashboard.server import PROJECT_ROOT


def _blocks_keyed(node, key: str) -> list:
    """The blocks under ``node`` made by ``st.container(key=key)`` (their id ends with
    the key)."""
    found = []
    for child in getattr(node, "children", {}).values():
        proto = getattr(child, "proto", None)
        if proto is not None and str(getattr(proto, "id", "")).endswith(f"-{key}"):
            found.append(child)
        found += _blocks_keyed(child, key)
    return found


def test_the_analyse_page_draws_the_result_views_elements_hidden(store: Store):
    at = AppTest.from_file(str(PROJECT_ROOT / "streamlit_app.py"), default_timeout=60).run()
    assert not at.exception
    preload = _blocks_keyed(at.main, PRELOAD_KEY)
    assert len(preload) == 1
    kinds = sorted(getattr(e, "type", "") for e in preload[0].children.values())
    assert kinds == ["arrow_data_frame", "component_instance", "download_button", "imgs",
                     "markdown", "plotly_chart", "progress", "text_area"]
    chart = json.loads(next(e for e in preload[0].children.values()
                            if getattr(e, "type", "") == "plotly_chart").proto.spec)
    assert len(chart["data"]) == 12  # the Clip view's default: 6 angles, raw and cleaned
    # laid out (so drawn, its code compiled) but off the screen and invisible
    styles = " ".join(h.proto.body for h in at.get("html"))
    rule = styles[styles.index(f".st-key-{PRELOAD_KEY}{{"):]
    rule = rule[:rule.index("}")]
    assert "visibility:hidden" in rule and "left:-10000px" in rule
    assert "display:none" not in rule
