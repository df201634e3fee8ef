"""The Clip view's trim (issue 10, What to build 1): the coach saves a first and last
frame; the player, the summary, the repetitions and the annotated MP4 then cover those
frames only; undoing the trim brings every frame back."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import av
import numpy as np

from analysis.store import Store
from dashboard.escape import md
from tests.dashboard.test_clip_player import frame_caption, player_args, with_preview
from tests.dashboard.test_pages import media, open_page  # noqa: F401 -- the media fixture


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def trim_to(at, first: int, last: int):
    at.number_input(key=f"trim_first_{1}").set_value(first)
    at.number_input(key=f"trim_last_{1}").set_value(last)
    return at.button(key="trim_save_1").click().run()


def _values(x) -> np.ndarray:
    """A Plotly spec's array: a list, or a typed array ({"dtype", "bdata"})."""
    if isinstance(x, dict):
        return np.frombuffer(base64.b64decode(x["bdata"]), dtype=x["dtype"]).astype(float)
    return np.asarray([v for v in x if isinstance(v, int | float)], dtype=float)


def _frames(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def test_a_saved_trim_limits_the_player_metrics_and_annotated_clip_and_undo_restores(
    store: Store, tmp_path: Path  # noqa: F811
):
    clip_id = with_preview(store, tmp_path, n_frames=150, period_s=1.5)
    assert clip_id == 1
    at = open_page("clip_view")
    assert metric(at, "Repetitions") == "3"
    assert "trim" not in player_args(at) or player_args(at)["trim"] is None

    at = trim_to(at, 40, 135)  # the 2nd and 3rd squats; the 1st (frames 4-41) left out
    assert not at.exception, at.exception
    assert store.get_clip(clip_id).trim == (40, 135)
    assert any(c.value.startswith("Trimmed to frames 40–135 (1.33–4.50 s)") for c in at.caption)
    assert player_args(at)["trim"] == [40, 135]
    assert frame_caption(at).startswith("Frame 40 of 40–135")
    assert metric(at, "Repetitions") == "2"
    angles = store.read_angles(clip_id, 0)
    assert (angles["frame"].min(), angles["frame"].max(), len(angles)) == (40, 135, 96)
    at.run()  # AppTest keeps the charts of the run before st.rerun until the next run
    facts = md("trimmed to 1.33–4.50 s of 5.0 s")  # the facts line, as Markdown shows it
    assert any(facts in c.value for c in at.caption)
    chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    xs = np.concatenate([_values(trace["x"]) for trace in chart["data"] if "x" in trace])
    assert min(xs) >= 40 / 30 - 1e-6 and max(xs) <= 135 / 30 + 1e-6  # the charts follow

    # a frame reported outside the trim is brought back into it
    at.session_state["clip_player"] = {"frame": 140, "seq": 7, "loop": None}
    at.run()
    assert frame_caption(at).startswith("Frame 135 of 40–135")

    at.radio(key="clip_section").set_value("Downloads and report").run()
    at.button(key="make_video").click().run()
    assert not at.exception, at.exception
    (made,) = (tmp_path / "data" / "exports").rglob("*.mp4")
    assert _frames(made) == 96

    at.button(key="trim_undo_1").click().run()
    assert not at.exception, at.exception
    assert store.get_clip(clip_id).trim is None
    at.radio(key="clip_section").set_value("Summary").run()
    assert metric(at, "Repetitions") == "3"
    assert frame_caption(at).startswith("Frame 0 of 0–149")
    assert len(store.read_angles(clip_id, 0)) == 150
    assert not any("trimmed to" in c.value for c in at.caption)


def test_the_loop_set_in_the_player_fills_the_trim(store: Store, tmp_path: Path):  # noqa: F811
    with_preview(store, tmp_path, n_frames=90)
    at = open_page("clip_view")
    at.button(key="trim_loop_1").click().run()
    assert any("Set a loop in the player first" in i.value for i in at.info)
    at.session_state["clip_player"] = {"frame": 50, "seq": 3, "loop": [12, 50]}
    at.run()
    at.button(key="trim_loop_1").click().run()
    assert (at.number_input(key="trim_first_1").value,
            at.number_input(key="trim_last_1").value) == (12, 50)
    at.button(key="trim_here_a_1").click().run()  # the player's frame, 50
    assert at.number_input(key="trim_first_1").value == 50


def test_a_wrong_trim_is_one_line_and_keeps_everything(store: Store, tmp_path: Path):  # noqa: F811
    with_preview(store, tmp_path, n_frames=90)
    at = trim_to(open_page("clip_view"), 60, 20)
    assert [e.value.replace("\\", "") for e in at.error] == [
        "A trim runs from a frame to a later one within 0–89, not 60–20."]
    assert store.get_clip(1).trim is None
