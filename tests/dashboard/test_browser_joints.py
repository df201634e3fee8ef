"""The "Correct joints" panel in a real browser: on the analysed parkour clip a coach
clicks the athlete's left knee on the frame, then its true place; the correction is kept
with that position, the frame counts as labelled, and its labels download."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

from analysis.correction_store import MOVE_JOINT
from tests.dashboard.server import show_clip_section

pytestmark = [pytest.mark.browser, pytest.mark.media]


def test_click_a_knee_then_its_true_place(analysed_parkour_app, browser_page, artifacts_dir: Path
                                          ) -> None:
    url, store, clip_id = analysed_parkour_app
    clip = store.get_clip(clip_id)
    person = clip.athlete_track
    poses = store.read_poses(clip_id, person).set_index("frame")
    knee = poses.loc[0, ["left_knee_x", "left_knee_y"]].to_numpy(float)
    page = browser_page
    page.goto(f"{url}/clip_view", wait_until="domcontentloaded")
    show_clip_section(page, "Correct joints")
    page.get_by_role("heading", name="Correct joints").wait_for(timeout=120_000)
    page.locator(".st-key-clip_chart_fig .js-plotly-plot").first.wait_for(timeout=120_000)
    page.wait_for_timeout(3000)  # the player reports its first frame: the page settles
    image = page.frame_locator(".st-key-joints_image iframe").locator("img")

    def click_at(x_px: float, y_px: float) -> float:
        """Click the frame at clip pixels; the shown width. Retried: a rerun (the player's
        report, a busy machine) can replace the image between finding and clicking it."""
        for attempt in range(4):
            try:
                image.wait_for(timeout=60_000)
                image.scroll_into_view_if_needed(timeout=10_000)
                box = image.bounding_box(timeout=10_000)
                image.click(position={"x": x_px * box["width"] / clip.width,
                                      "y": y_px * box["height"] / clip.height}, timeout=10_000)
                return box["width"]
            except PlaywrightError:
                if attempt == 3:
                    raise
                page.wait_for_timeout(2000)
        raise AssertionError("unreachable")

    click_at(*knee)
    page.get_by_text("now click where it really is").wait_for(timeout=60_000)
    target = knee + (0.02 * clip.width, 0.01 * clip.height)
    shown_width = click_at(*target)
    page.get_by_test_id("stAlertContentSuccess").get_by_text("left knee moved to").wait_for(
        timeout=120_000)
    page.get_by_text("1 in this clip").wait_for(timeout=60_000)
    page.get_by_role("heading", name="Correct joints").scroll_into_view_if_needed()
    page.wait_for_timeout(1000)
    page.screenshot(path=str(artifacts_dir / "clip_view_joints.png"), full_page=True)
    assert page.locator("[data-testid='stException']").count() == 0

    (made,) = [c for c in store.list_corrections(clip_id) if c.kind == MOVE_JOINT]
    assert (made.track_id, made.first_frame, made.joint) == (person, 0, "left_knee")
    # Where it was clicked, to a few pixels of the shown (reduced) frame.
    tolerance = 3 * clip.width / shown_width
    assert abs(made.detail["x"] - target[0]) < tolerance
    assert abs(made.detail["y"] - target[1]) < tolerance

    page.get_by_role("button", name="Prepare this clip's labelled frames").click()
    with page.expect_download(timeout=120_000) as download:
        page.get_by_role("button", name="Download this clip's labelled frames (zip)").click()
    assert download.value.suggested_filename == f"labels_clip{clip_id}.zip"
