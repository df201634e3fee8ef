"""Clip view: the coach picks the angle repetitions are counted in and the smallest
range counted, and the chart, caption and metrics follow (through Streamlit's AppTest)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from analysis.repetitions import RepSettings
from analysis.store import Store
from analysis.track import repetitions_of
from tests.dashboard.conftest import make_synthetic_clip
from tests.dashboard.server import PROJECT_ROOT

APP = str(PROJECT_ROOT / "streamlit_app.py")


def clip_view(store: Store, tmp_path: Path) -> tuple[AppTest, int]:
    """Ten seconds of squats (knees 0 -> 90 degrees every 1.5 s), on the Clip view with
    the Repetitions chart shown."""
    clip_id = make_synthetic_clip(store, tmp_path / "clips", n_frames=300, period_s=1.5)
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("dashboard/pages/clip_view.py").run()
    at.radio(key="clip_chart").set_value("Repetitions").run()
    assert not at.exception, at.exception
    return at, clip_id


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def chart_title(at: AppTest) -> str:
    fig = at.get("plotly_chart")[0].proto.spec
    return fig


def test_by_default_the_clearest_cycle_is_used_and_named(store: Store, tmp_path: Path) -> None:
    at, clip_id = clip_view(store, tmp_path)
    analysis = store.read_analysis(clip_id, 0)
    expected = repetitions_of(analysis, RepSettings())
    chooser = at.selectbox(key=f"rep_angle_{clip_id}_0")
    assert chooser.value is None
    name = expected.found.signal_name
    label = {"knee": "Knee (both sides)", "hip": "Hip (both sides)"}[name]
    assert chooser.format_func(None) == f"Automatic (clearest cycle: {label})"
    assert metric(at, "Repetitions") == str(len(expected.found.repetitions)) == "6"
    assert any(f"in **{label}** (the clearest cycle)" in c.value for c in at.caption)
    assert f"{label.split(' (')[0]} over time" in chart_title(at)


def test_choosing_an_angle_and_a_minimum_range_recounts_in_that_angle(
    store: Store, tmp_path: Path
) -> None:
    at, clip_id = clip_view(store, tmp_path)
    analysis = store.read_analysis(clip_id, 0)
    at.selectbox(key=f"rep_angle_{clip_id}_0").set_value("left_knee").run()
    assert not at.exception, at.exception
    left = repetitions_of(analysis, RepSettings(angle="left_knee"))
    assert metric(at, "Repetitions") == str(len(left.found.repetitions)) == "6"
    assert any("6 repetitions of at least 20° in **Left knee** (chosen)" in c.value
               for c in at.caption)
    assert "Left knee over time" in chart_title(at)

    at.number_input(key=f"rep_min_range_{clip_id}_0").set_value(100.0).run()
    assert metric(at, "Repetitions") == "0"  # the knees bend 90 degrees: none that deep
    assert any("No repetitions of at least 100° in **Left knee** (chosen)" in c.value
               for c in at.caption)

    at.selectbox(key=f"rep_angle_{clip_id}_0").set_value("left_elbow").run()
    at.number_input(key=f"rep_min_range_{clip_id}_0").set_value(20.0).run()
    assert metric(at, "Repetitions") == "0"  # the arms hang still
    assert "Left elbow over time" in chart_title(at)
    assert store.read_analysis(clip_id, 0).repetitions.equals(analysis.repetitions)  # kept
