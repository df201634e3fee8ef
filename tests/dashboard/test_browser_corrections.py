"""The "Left and right" panel in a real browser: on the analysed parkour clip a coach swaps
left and right for frames 60-75, sees it listed and the metrics exchanged, and undoes it.

The app runs under ``streamlit run`` with a database of its own (the clip analysed
before the server starts); screenshots go to ``tests/artifacts/``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import expect

from tests.dashboard.server import show_clip_section

pytestmark = [pytest.mark.browser, pytest.mark.media]

TOL_DEG = 0.1  # angles recomputed from the stored (fixed-point) poses


def test_swap_left_and_right_for_frames_then_undo(analysed_parkour_app, browser_page,
                                                  artifacts_dir: Path) -> None:
    url, store, clip_id = analysed_parkour_app
    person = store.get_clip(clip_id).athlete_track
    before = store.read_angles(clip_id, person, cleaned=False).set_index("frame")
    page = browser_page
    page.goto(f"{url}/clip_view", wait_until="domcontentloaded")
    show_clip_section(page, "Correct joints")
    page.get_by_role("heading", name="Left and right").wait_for(timeout=120_000)
    page.locator(".st-key-clip_chart_fig .js-plotly-plot").first.wait_for(timeout=120_000)

    for label, value in (("First frame", "60"), ("Last frame", "75")):
        field = page.locator(".st-key-swap_panel").get_by_label(label)
        field.fill(value)
        field.press("Enter")
        page.wait_for_timeout(500)
    page.get_by_text("Whole body", exact=True).click()
    page.get_by_label("Your name (optional)").fill("Coach Kim")
    page.get_by_label("Your name (optional)").press("Enter")
    page.wait_for_timeout(500)
    page.get_by_role("button", name="Swap left and right").click()
    done = page.get_by_text(f"Left and right swapped (whole body) in frames 60–75 for "
                            f"Person {person}; the metrics are recomputed.")
    done.wait_for(timeout=120_000)
    page.get_by_text("Swapped by hand: whole body in frames 60–75.").wait_for(timeout=30_000)
    page.get_by_role("button", name="Undo").wait_for(timeout=30_000)
    page.get_by_role("heading", name="Left and right").scroll_into_view_if_needed()
    page.wait_for_timeout(1500)
    page.screenshot(path=str(artifacts_dir / "clip_view_corrections.png"), full_page=True)
    page.get_by_role("button", name="Undo").scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    page.screenshot(path=str(artifacts_dir / "clip_view_corrections_list.png"))
    assert page.locator("[data-testid='stException']").count() == 0

    (correction,) = store.list_corrections(clip_id)
    assert (correction.first_frame, correction.last_frame) == (60, 75)
    assert correction.created_by == "Coach Kim"
    after = store.read_angles(clip_id, person, cleaned=False).set_index("frame")
    inside = before.index[(before.index >= 60) & (before.index <= 75)]
    np.testing.assert_allclose(after.loc[inside, "left_knee"], before.loc[inside, "right_knee"],
                               atol=TOL_DEG)

    page.get_by_role("button", name="Undo").click()
    page.get_by_text(f"Undone for Person {person}: Left and right swapped (whole body) in "
                     "frames 60–75; the metrics are recomputed.").wait_for(timeout=120_000)
    # The rerun replaces the list; an element of the old run can linger a moment.
    expect(page.get_by_role("button", name="Undo")).to_have_count(0, timeout=30_000)
    restored = store.read_angles(clip_id, person, cleaned=False).set_index("frame")
    np.testing.assert_allclose(restored["left_knee"], before["left_knee"], atol=TOL_DEG)
