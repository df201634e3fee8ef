"""The Clip view's charts as Chromium draws them (issue 10, defect 9): Plotly's toolbar
never covers the legend, and on a phone-width screen (390x844) the legend, wrapped to
several rows, does not cover the panels' titles.

Boxes are measured in the page (Plotly's own elements: ``.legend``, ``.modebar``, the
subplot titles' ``.annotation``), not guessed. Screenshots go to ``tests/artifacts/``.
"""

from __future__ import annotations

from pathlib import Path

import plotly.io as pio
import pytest

from analysis.angles import compute_angles
from analysis.store import Store
from analysis.trajectories import compute_trajectories
from dashboard import charts
from tests.dashboard.conftest import make_synthetic_clip, squat_poses

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
PLAYER = "iframe[title='dashboard.player.clip_player']"
SIX = ["left_knee", "right_knee", "left_hip", "right_hip", "left_elbow", "right_elbow"]

BOXES = """(root) => {
    const box = (e) => { const r = e.getBoundingClientRect();
                         return [r.left, r.top, r.right, r.bottom]; };
    const plot = root.querySelector('.js-plotly-plot') || root;
    return {
        legend: box(plot.querySelector('.infolayer .legend .bg')),
        entries: [...plot.querySelectorAll('.infolayer .legend .traces')].map(box),
        modebar: box(plot.querySelector('.modebar')),
        titles: [...plot.querySelectorAll('.infolayer .annotation-text')]
                 .filter((t) => t.textContent.trim()).map(box),
    };
}"""


def overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def figures() -> dict[str, object]:
    poses = squat_poses(90)
    angles = compute_angles(poses.keypoints)
    paths = compute_trajectories(poses.keypoints, poses.times, 30.0).frames
    return {
        "angles": charts.angles_figure(poses.times, angles, SIX, raw=angles),
        "joint_path": charts.joint_path_figure(
            paths, ["left_knee", "right_knee", "left_ankle", "right_ankle"], "px", (320, 240)),
    }


def check(page) -> dict:
    page.locator(".js-plotly-plot").first.hover()  # the toolbar shows on hover
    page.locator(".modebar").first.wait_for(state="visible")
    boxes = page.locator(".js-plotly-plot").first.evaluate(BOXES)
    assert boxes["entries"] and boxes["titles"]
    for entry in boxes["entries"]:
        assert not overlap(entry, boxes["modebar"]), (entry, boxes["modebar"])
        for title in boxes["titles"]:
            assert not overlap(entry, title), (entry, title)
    return boxes


@pytest.mark.parametrize("width", [620, PHONE["width"]])
def test_the_toolbar_and_the_titles_stay_clear_of_the_legend(
    chromium, tmp_path: Path, artifacts_dir: Path, width: int
):
    page = chromium.new_page(viewport={"width": width, "height": 900})
    try:
        for name, fig in figures().items():
            html = tmp_path / f"{name}.html"
            html.write_text(pio.to_html(fig, include_plotlyjs=True, config=charts.GRAPH_CONFIG,
                                        default_width="100%"), encoding="utf-8")
            page.goto(html.as_uri())
            boxes = check(page)
            if width == PHONE["width"]:  # it did wrap: the case that covered the titles
                rows = {round(e[1]) for e in boxes["entries"]}
                assert len(rows) >= 2
            page.screenshot(path=str(artifacts_dir / f"chart_{name}_{width}.png"))
    finally:
        page.close()


def test_the_clip_view_on_a_phone(streamlit_server: str, streamlit_db_url: str,
                                  tmp_path: Path, artifacts_dir: Path, chromium):
    """The real page at 390x844: the frame, then the controls and the chart, one under
    the other; the chart's legend clear of its titles and toolbar."""
    clip_id = make_synthetic_clip(Store(streamlit_db_url), tmp_path, athlete="Phil Phone")
    page = chromium.new_page(viewport=PHONE)
    try:
        page.goto(f"{streamlit_server}/clip_view?clip={clip_id}", wait_until="domcontentloaded")
        page.get_by_role("heading", name="Clip view").wait_for(timeout=60_000)
        chart = page.locator(".st-key-clip_chart_fig .js-plotly-plot").first
        chart.wait_for(timeout=120_000)
        page.frame_locator(PLAYER).locator("#play").wait_for(timeout=60_000)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(artifacts_dir / "clip_view_phone_top.png"))
        # the player's buttons and speed on one row, the position slider the full
        # width under them, all inside the phone's width
        bar = page.frame_locator(PLAYER)
        buttons = [bar.locator(f"#{b}").bounding_box() for b in ("prev", "play", "next",
                                                                  "speed")]
        seek = bar.locator("#seek").bounding_box()
        page.locator(PLAYER).screenshot(path=str(artifacts_dir / "clip_view_phone_player.png"))
        assert len({round(b["y"]) for b in buttons}) == 1
        assert seek["y"] > buttons[0]["y"] + buttons[0]["height"] - 1
        assert seek["width"] > 0.8 * (PHONE["width"] - 40)
        assert max(b["x"] + b["width"] for b in [*buttons, seek]) <= PHONE["width"]
        chart.scroll_into_view_if_needed()
        chart.hover()
        page.wait_for_timeout(300)
        boxes = chart.evaluate(BOXES)
        for entry in boxes["entries"]:
            assert not overlap(entry, boxes["modebar"]), (entry, boxes["modebar"])
            for title in boxes["titles"]:
                assert not overlap(entry, title), (entry, title)
        # nothing wider than the phone: no sideways scrolling
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert page.locator("[data-testid='stException']").count() == 0
        page.mouse.move(5, 5)  # no hover label over the chart in the picture
        page.wait_for_timeout(300)
        page.screenshot(path=str(artifacts_dir / "clip_view_phone_chart.png"))
    finally:
        page.close()
