"""Notes and marks in a real browser: on the analysed parkour clip a coach writes a note
at a frame and measures an angle with three clicks; after a reload the note is listed
and marked on the angle chart's timeline; the athlete's report downloads as a PDF whose
first page renders."""

from __future__ import annotations

from pathlib import Path

import pypdfium2
import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.dashboard.server import show_clip_section

pytestmark = [pytest.mark.browser, pytest.mark.media]
NOTE = "Knees <out> & eyes up"


def _open(page, url: str) -> None:
    page.goto(f"{url}/clip_view", wait_until="domcontentloaded")
    show_clip_section(page, "Notes and marks")
    page.get_by_role("heading", name="Notes and marks").wait_for(timeout=120_000)
    page.locator(".st-key-clip_chart_fig .js-plotly-plot").first.wait_for(timeout=120_000)
    page.wait_for_timeout(3000)  # the player reports its first frame: the page settles


def _fill_when_settled(page, container: str, text: str, attempts: int = 5) -> None:
    """Fill the text area in `container` once the page shows exactly one live copy of it.

    While a rerun is under way (the player reports frames), Streamlit keeps the previous
    run's element beside the new one, marked stale; a fill can land on either or be
    replaced by the rerun, so it is checked and repeated.
    """
    live = f"{container}[data-stale='false'] textarea"
    for _ in range(attempts):
        page.wait_for_function(
            f"document.querySelectorAll({container + ' textarea'!r}).length === 1"
            f" && document.querySelectorAll({live!r}).length === 1", timeout=60_000)
        try:
            page.locator(live).fill(text, timeout=5_000)
            page.wait_for_timeout(500)
            if page.locator(live).input_value(timeout=5_000) == text:
                return
        except PlaywrightError:
            pass  # a rerun replaced the element between the check and the fill
    raise AssertionError(f"the text area {container} never held the text")


def test_a_note_and_a_measured_angle_stay_after_a_reload(analysed_parkour_app, browser_page,
                                                        artifacts_dir: Path) -> None:
    url, store, clip_id = analysed_parkour_app
    clip = store.get_clip(clip_id)
    page = browser_page
    _open(page, url)
    _fill_when_settled(page, f".st-key-notes_text_{clip_id}", NOTE)
    page.get_by_role("button", name="Add note").click()
    page.get_by_text(f"0.00 s · Note in frame 0: {NOTE}").wait_for(timeout=60_000)

    page.get_by_label("Draw on the frame").get_by_text("Angle", exact=True).click()
    page.get_by_text("Click 3 more points").wait_for(timeout=30_000)
    image = page.frame_locator(".st-key-notes_image iframe").locator("img")
    for x, y in ((0.30, 0.30), (0.30, 0.60), (0.60, 0.60)):  # a right angle at the vertex
        image.wait_for(timeout=60_000)
        box = image.bounding_box()
        image.click(position={"x": x * box["width"], "y": y * box["height"]})
        page.wait_for_timeout(1500)
    page.get_by_text("Angle 90° in frame 0").first.wait_for(timeout=60_000)

    page.reload(wait_until="domcontentloaded")
    _open(page, url)
    page.get_by_text(f"0.00 s · Note in frame 0: {NOTE}").wait_for(timeout=60_000)
    marks = page.locator(".st-key-clip_chart_fig .annotation-text", has_text="✎")
    assert marks.count() >= 1  # on the angle chart's timeline
    page.get_by_role("heading", name="Notes and marks").scroll_into_view_if_needed()
    page.wait_for_timeout(1000)
    page.screenshot(path=str(artifacts_dir / "clip_view_notes.png"), full_page=True)
    assert page.locator("[data-testid='stException']").count() == 0

    kinds = sorted(n.kind for n in store.list_notes(clip_id))
    assert kinds == ["angle", "note"]
    angle = next(n for n in store.list_notes(clip_id) if n.kind == "angle")
    assert angle.angle_deg == pytest.approx(90.0 * 1.0, abs=3.0 * clip.width / clip.height)

    show_clip_section(page, "Downloads and report")
    page.get_by_role("button", name="Make the report of this clip").click()
    with page.expect_download(timeout=180_000) as download:
        page.get_by_role("button", name="Download report_").click()
    pdf = Path(download.value.path()).read_bytes()
    document = pypdfium2.PdfDocument(pdf)
    text = " ".join(document[0].get_textpage().get_text_range().split())
    assert "Posture report: Browser Athlete" in text
    document[0].render(scale=1.2).to_pil().save(artifacts_dir / "report_from_browser.png")
