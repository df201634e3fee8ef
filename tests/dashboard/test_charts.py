"""Charts: the product's colours and units, and the cursor that follows the frame."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from dashboard import charts
from dashboard.theme import PALETTE


def angles(n: int = 50) -> pd.DataFrame:
    t = np.linspace(0, 2 * np.pi, n)
    return pd.DataFrame({"left_knee": 45 + 40 * np.sin(t), "right_knee": 45 + 35 * np.sin(t),
                         "left_hip": 20 + 10 * np.sin(t), "right_hip": 20 + 12 * np.sin(t),
                         "trunk_lean": 5 + np.sin(t)})


def test_angle_curves_take_the_side_colours_and_raw_values_are_dotted():
    df = angles()
    fig = charts.angles_figure(np.arange(50) / 30, df, ["left_knee", "right_knee", "trunk_lean"],
                               raw=df)
    solid = {t.name: t.line.color for t in fig.data if t.line.dash is None}
    assert solid["Left"] == PALETTE.left and solid["Right"] == PALETTE.right
    assert any(t.line.color == PALETTE.centre_chart for t in fig.data)
    assert {t.line.dash for t in fig.data if "as measured" in t.name} == {"dot"}


def test_one_panel_per_joint_with_units_on_the_axes():
    fig = charts.angles_figure(np.arange(50) / 30, angles(),
                               ["left_knee", "right_knee", "left_hip", "right_hip"])
    layout = fig.to_dict()["layout"]
    titles = [a["text"] for a in layout["annotations"]]
    assert titles == ["Knee", "Hip"]
    assert layout["yaxis"]["title"]["text"] == "Angle (°)"
    assert layout["yaxis2"]["title"]["text"] == "Angle (°)"
    assert layout["xaxis2"]["title"]["text"] == "Time (s)"


def test_the_cursor_moves_without_touching_the_cached_figure():
    fig = charts.angles_figure(np.arange(50) / 30, angles(), ["left_knee"]).to_dict()
    at_1 = charts.with_cursor(fig, 1.0)
    at_2 = charts.with_cursor(at_1, 1.5)
    cursors = [s for s in at_2["layout"]["shapes"] if s["name"] == "cursor"]
    assert len(cursors) == 1 and cursors[0]["x0"] == 1.5
    assert "shapes" not in fig["layout"] or not fig["layout"]["shapes"]


def test_moving_the_cursor_keeps_the_repetition_spans_shaded():
    t = np.arange(60) / 30
    reps = pd.DataFrame({"rep": [1, 2], "start_s": [0.1, 1.1], "end_s": [0.9, 1.9],
                         "rom": [80.0, 78.0], "duration_s": [0.8, 0.8]})
    figure = charts.repetitions_figure(t, angles(60), "knee", reps).to_dict()
    spans = len(figure["layout"].get("shapes", ()))
    assert spans >= 2
    linked = charts.LinkedFigure(figure)
    linked.at(0.5)
    shapes = linked.at(1.2).layout.shapes
    assert len(shapes) == spans + 1
    assert [s.x0 for s in shapes if s.name == "cursor"] == [1.2]


def test_every_chart_has_units_on_its_axes():
    n = 60
    t = np.arange(n) / 30
    traj = pd.DataFrame({
        "frame": np.repeat(np.arange(n), 2), "time_s": np.repeat(t, 2),
        "keypoint": ["left_ankle", "right_ankle"] * n, "x": np.arange(2 * n, dtype=float),
        "y": np.arange(2 * n, dtype=float), "speed": np.ones(2 * n),
        "acceleration": np.zeros(2 * n),
    })
    sym = pd.DataFrame({"rom_left": [80.0], "rom_right": [70.0], "si": [13.3]},
                       index=pd.Index(["knee"], name="pair"))
    reps = pd.DataFrame({"rep": [1, 2], "start_s": [0.1, 1.1], "end_s": [0.9, 1.9],
                         "rom": [80.0, 78.0], "duration_s": [0.8, 0.8]})
    figures = [
        charts.joint_path_figure(traj, ["left_ankle", "right_ankle"], "px", (640, 480)),
        charts.symmetry_figure(t, pd.DataFrame({"knee": np.zeros(n)}), sym, ["knee"]),
        charts.repetitions_figure(t, angles(n), "knee", reps),
        charts.repetition_comparison_figure(reps, reps, ("A", "B")),
    ]
    for fig in figures:
        layout = fig.to_dict()["layout"]
        axes = [v for k, v in layout.items() if k.startswith(("xaxis", "yaxis"))]
        for axis in axes:
            text = axis.get("title", {}).get("text", "")
            assert text, f"an axis without a title in {layout.get('annotations')}"
            assert "(" in text or text in ("Joint", "Repetition"), text


def test_symmetry_bars_show_each_side_in_its_colour_with_the_index():
    sym = pd.DataFrame({"rom_left": [80.0, 40.0], "rom_right": [70.0, 41.0],
                        "si": [13.3, 2.5]}, index=pd.Index(["knee", "hip"], name="pair"))
    fig = charts.symmetry_figure(np.arange(3.0), pd.DataFrame({"knee": [0, 1, 2]}), sym,
                                 ["knee", "hip"])
    bars = [t for t in fig.data if t.type == "bar"]
    assert [b.marker.color for b in bars] == [PALETTE.left, PALETTE.right]
    assert [a.text for a in fig.layout.annotations if a.text.startswith("SI")] == [
        "SI 13 %", "SI 2 %"]


def test_without_repetitions_the_signal_fills_the_chart():
    empty = pd.DataFrame(columns=["rep", "start_s", "end_s", "rom", "duration_s"])
    fig = charts.repetitions_figure(np.arange(50) / 30, angles(), "knee", empty)
    layout = fig.to_dict()["layout"]
    assert "xaxis2" not in layout
    assert [a["text"] for a in layout["annotations"]] == ["Knee over time"]
    assert {t.line.color for t in fig.data} == {PALETTE.left, PALETTE.right}


def test_long_curves_are_thinned_for_display_keeping_peaks_and_gaps():
    n = 18_000  # ten minutes at 30 fps
    t = np.arange(n) / 30
    y = np.sin(t)
    y[5000] = 400.0  # a spike
    y[9000:9100] = np.nan  # a gap
    x2, y2 = charts.decimate(t, y)
    assert len(y2) <= charts.MAX_POINTS
    assert np.nanmax(y2) == 400.0 and np.nanmin(y2) == pytest.approx(-1, abs=1e-3)
    assert np.isnan(y2).any()
    assert np.all(np.diff(x2) > 0)
    short_x, short_y = charts.decimate(t[:100], y[:100])
    assert len(short_y) == 100


def test_a_ten_minute_clip_makes_a_figure_light_enough_to_resend():
    n = 18_000
    df = pd.DataFrame({name: np.sin(np.arange(n) / 30) * 40 + 60
                       for name in ("left_knee", "right_knee", "left_hip", "right_hip")})
    fig = charts.angles_figure(np.arange(n) / 30, df, list(df.columns), raw=df)
    assert len(fig.to_json()) < 1_500_000


def _of_class(root: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in root.iter() if e.get("class") == name]


def test_who_is_followed_is_one_row_per_person_in_their_label_colour():
    spans = {0: [(0.0, 2.0), (3.0, 5.0)], 3: [(1.5, 5.0)]}
    root = ET.fromstring(charts.followed_svg(spans, duration_s=8.0, analysed_until_s=5.0))

    people = _of_class(root, "person")
    assert [p.text for p in people] == ["Person 0", "Person 3"]
    assert float(people[0].get("y")) < float(people[1].get("y"))  # the first row on top
    bars = _of_class(root, "seen")
    colours = {b.get("data-person"): b.get("fill") for b in bars}
    assert colours == {"Person 0": PALETTE.track(0), "Person 3": PALETTE.track(3)}
    # a gap in the sighting is a gap between two bars, placed on one time axis
    first = [b for b in bars if b.get("data-person") == "Person 0"]
    assert [(float(b.get("data-start")), float(b.get("data-end"))) for b in first] == [
        (0.0, 2.0), (3.0, 5.0)]
    right_of_first = float(first[0].get("x")) + float(first[0].get("width"))
    assert right_of_first < float(first[1].get("x"))
    later = next(b for b in bars if b.get("data-person") == "Person 3")
    assert float(first[0].get("x")) < float(later.get("x")) < float(first[1].get("x"))
    (title,) = _of_class(root, "axis-title")
    assert title.text == "Time (s)"
    # what is not analysed yet is shaded, from 5 s to the clip's end at 8 s
    (shade,) = _of_class(root, "not-analysed")
    assert (float(shade.get("data-start")), float(shade.get("data-end"))) == (5.0, 8.0)
    assert float(shade.get("x")) == pytest.approx(float(first[1].get("x"))
                                                  + float(first[1].get("width")), abs=0.2)


def test_when_the_whole_clip_is_analysed_nothing_is_shaded():
    root = ET.fromstring(charts.followed_svg({1: [(0.0, 4.0)]}, duration_s=4.0,
                                             analysed_until_s=4.0))
    assert not _of_class(root, "not-analysed")
    assert root.get("aria-label") == "People followed so far"


def test_before_anyone_is_found_the_picture_says_so_and_draws_no_bar():
    root = ET.fromstring(charts.followed_svg({}, duration_s=None, analysed_until_s=1.0))
    assert root.get("aria-label") == "Nobody found so far"
    assert not _of_class(root, "seen")


def test_a_segment_turning_past_180_degrees_is_drawn_with_a_gap_not_a_line_across():
    times = np.arange(60) / 30.0
    turning = (150.0 + 2.0 * np.arange(60) + 180.0) % 360.0 - 180.0  # 150 ... 178, -180 ...
    knee = np.linspace(170.0, 90.0, 60)  # a joint angle: never broken
    angles = pd.DataFrame({"left_forearm": turning, "left_knee": knee})
    fig = charts.angles_figure(times, angles, ["left_forearm", "left_knee"])
    forearm = next(t for t in fig.data if "forearm" in t.hovertemplate)
    y = np.asarray(forearm.y, dtype=float)
    assert np.isnan(y).sum() == 1  # one gap, where it wraps
    finite_steps = np.abs(np.diff(y))
    assert np.nanmax(finite_steps) <= 2.0 + 1e-9  # no vertical line across the panel
    assert np.allclose(y[np.isfinite(y)], turning)  # every value still drawn
    knee_trace = next(t for t in fig.data if "knee" in t.hovertemplate)
    assert not np.isnan(np.asarray(knee_trace.y, dtype=float)).any()


def test_an_almost_constant_angle_is_shown_on_a_ten_degree_span_not_its_noise():
    times = np.arange(30) / 30.0
    still = 90.0 + 1e-5 * np.sin(np.arange(30))  # a joint held still
    moving = np.linspace(60.0, 150.0, 30)
    fig = charts.angles_figure(times, pd.DataFrame({"left_knee": still, "right_knee": still,
                                                    "left_elbow": moving}),
                               ["left_knee", "right_knee", "left_elbow"])
    layout = fig.to_dict()["layout"]
    knee_axis = next(v for k, v in layout.items() if k.startswith("yaxis")
                     and v.get("range") is not None)
    low, high = knee_axis["range"]
    assert high - low == pytest.approx(10.0) and low < 90.0 < high
    ranged = [k for k, v in layout.items() if k.startswith("yaxis") and v.get("range")]
    assert len(ranged) == 1  # the moving elbow keeps Plotly's own range
    noisy_raw = pd.DataFrame({"left_knee": still + 20.0 * (np.arange(30) % 2)})
    fig = charts.angles_figure(times, pd.DataFrame({"left_knee": still}), ["left_knee"],
                               raw=noisy_raw)
    assert fig.to_dict()["layout"]["yaxis"].get("range") is None  # raw values stay in view
