"""The product in a real browser: upload a clip, see it annotated beside a chart, take the
angles CSV and play the annotated MP4.

Runs the app with ``streamlit run`` (see conftest) and drives Debian's Chromium with
Playwright. Screenshots are saved in ``tests/artifacts/``.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from analysis.store import Store
from tests.dashboard.server import show_clip_section

pytestmark = [pytest.mark.browser, pytest.mark.media]

ANALYSIS_TIMEOUT_MS = 600_000  # a 2-core machine shared with other work: generous
CLIP_SECONDS = 230 / 30


@pytest.fixture()
def app(streamlit_server: str, browser_page):
    page = browser_page
    page.goto(streamlit_server, wait_until="domcontentloaded")
    page.get_by_role("heading", name="Analyse").wait_for(timeout=60_000)
    return page


def test_upload_analyse_view_download_and_play(
    app, parkour_clip: Path, artifacts_dir: Path, streamlit_db_url: str
):
    page = app
    # An athlete, created on the page.
    page.get_by_label("Name").fill("Browser Athlete")
    page.get_by_role("button", name="Create athlete").click()
    page.get_by_text("Browser Athlete").first.wait_for(timeout=30_000)

    # The clip, uploaded and analysed.
    page.locator("input[type='file']").set_input_files(str(parkour_clip))
    page.get_by_text("parkour_walk.mp4").first.wait_for(timeout=60_000)
    page.get_by_role("button", name="Analyse", exact=True).click()

    # While it runs: the progress, and who is being followed so far.
    page.get_by_text(re.compile(r"parkour_walk\.mp4: frame \d+ of 230")).wait_for(
        timeout=120_000)
    followed = page.locator(".st-key-analyse_followed img")
    followed.wait_for(timeout=120_000)
    followed.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "analyse_running.png"))

    # One clip with people in it: the app opens it in the Clip view.
    page.get_by_role("heading", name="Clip view").wait_for(timeout=ANALYSIS_TIMEOUT_MS)
    frame = page.locator("iframe[title='dashboard.player.clip_player'], "
                         "[data-testid='stImage'] img").first
    frame.wait_for(timeout=120_000)
    chart = page.locator(".st-key-clip_chart_fig .js-plotly-plot").first
    chart.wait_for(timeout=120_000)
    page.wait_for_timeout(1000)
    page.screenshot(path=str(artifacts_dir / "clip_view.png"), full_page=True)
    box = frame.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 150
    assert page.locator("[data-testid='stException']").count() == 0

    # The player plays through the frames in the browser, and the page follows when it
    # pauses (tests/dashboard/test_browser_player.py checks speed, steps and the end).
    page.get_by_text("Frame 0 of 0–229").wait_for(timeout=30_000)
    player = page.frame_locator("iframe[title='dashboard.player.clip_player']")
    player.locator("#play").click()
    page.wait_for_timeout(1500)
    player.locator("#play").click()
    page.get_by_text("Frame 0 of 0–229").wait_for(state="detached", timeout=60_000)
    shown = page.get_by_text(re.compile(r"Frame \d+ of 0–229")).first.inner_text()
    assert int(re.search(r"Frame (\d+)", shown).group(1)) > 0

    # The angles CSV: header as `python -m analysis export` writes it, one row per
    # frame and person.
    show_clip_section(page, "Downloads and report")
    with page.expect_download(timeout=60_000) as download_info:
        page.get_by_role("button", name="Angles CSV").click()
    saved = artifacts_dir / "angles.csv"
    download_info.value.save_as(saved)
    rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8"))))
    header, body = rows[0], rows[1:]
    assert header[:9] == ["athlete", "session", "date", "clip_id", "file", "frame", "time_s",
                          "track_id", "is_athlete"]
    assert {"left_knee_deg", "right_knee_deg", "left_hip_deg", "trunk_lean_deg"} <= set(header)
    store = Store(streamlit_db_url)
    clip = store.list_clips()[-1]
    assert len(body) == sum(t.n_frames for t in clip.tracks)
    frames = {int(r[header.index('frame')]) for r in body}
    assert min(frames) >= 0 and max(frames) <= 229  # the clip's 230 frames

    # The annotated clip: H.264 MP4 playing in a <video> element, as long as the source.
    page.get_by_role("button", name="Annotated video").click()
    video = page.locator("video").first
    video.wait_for(timeout=300_000)
    duration = page.evaluate(
        """async () => {
            const v = document.querySelector('video');
            if (v.readyState < 1) {
                await new Promise((ok, fail) => {
                    v.addEventListener('loadedmetadata', ok, {once: true});
                    v.addEventListener('error', () => fail(new Error('video error')), {once: true});
                });
            }
            return v.duration;
        }"""
    )
    assert duration == pytest.approx(CLIP_SECONDS, abs=0.1)
    played = page.evaluate(
        """async () => {
            const v = document.querySelector('video');
            v.muted = true;
            await v.play();
            await new Promise(ok => setTimeout(ok, 1500));
            v.pause();
            return {time: v.currentTime, width: v.videoWidth, height: v.videoHeight,
                    error: v.error ? v.error.code : null};
        }"""
    )
    assert played["error"] is None
    assert played["time"] > 0.5
    assert played["width"] > 0 and played["height"] > 0
    video.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "annotated_video.png"), full_page=True)


def test_a_running_analysis_shows_its_progress_and_can_be_cancelled(
    app, parkour_clip: Path, artifacts_dir: Path, streamlit_db_url: str
):
    page = app
    store = Store(streamlit_db_url)
    if not store.list_athletes():
        store.create_athlete("Browser Athlete")
        page.reload()
    athlete = page.locator("[data-testid='stSelectbox']").first
    athlete.click()
    page.get_by_role("option").first.click()
    page.get_by_label("Title").fill("Cancelled run")
    page.get_by_label("Title").press("Tab")
    page.locator("input[type='file']").set_input_files(str(parkour_clip))
    page.get_by_text("parkour_walk.mp4").first.wait_for(timeout=60_000)
    page.get_by_role("button", name="Analyse", exact=True).click()
    page.get_by_text(re.compile(r"parkour_walk\.mp4: frame \d+ of \d+")).first.wait_for(
        timeout=120_000)
    page.get_by_role("button", name="Cancel").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "analyse_progress.png"))
    page.get_by_role("button", name="Cancel").click()
    page.get_by_text("Cancelled: nothing was kept.").first.wait_for(timeout=120_000)
    titles = {s.title for s in store.list_sessions()}
    assert "Cancelled run" in titles
    cancelled = next(s for s in store.list_sessions() if s.title == "Cancelled run")
    assert store.list_clips(cancelled.id) == []
