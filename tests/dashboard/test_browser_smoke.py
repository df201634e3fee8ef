"""The app starts under `streamlit run` and renders in headless Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.mark.browser
def test_the_app_loads_with_its_five_pages(streamlit_server: str, browser_page,
                                           artifacts_dir: Path):
    page = browser_page
    page.goto(streamlit_server, wait_until="domcontentloaded")
    page.get_by_role("heading", name="Analyse").wait_for(timeout=60_000)
    for name in ("Analyse", "Clip view", "Sessions", "Compare", "Progress"):
        page.get_by_role("link", name=name).first.wait_for(timeout=10_000)
    page.screenshot(path=str(artifacts_dir / "home.png"), full_page=True)
    assert page.locator("[data-testid='stException']").count() == 0
