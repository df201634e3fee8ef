"""The Clip view's player in a real browser (issue 10, defects 1, 2 and 6): Play plays
(frames advance for seconds, at the chosen speed), pauses where asked and tells the page,
arrow keys step one frame, Play at the end starts again; a loop between two frames plays
over and over from its in point; a trimmed clip shows and plays its trim only; the page
does not go blank after it opens; a portrait frame and its controls fit the screen
together.

Synthetic clips (no media, no estimator): the store and the preview as the Analyse page
leaves them. Screenshots go to ``tests/artifacts/``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analysis.store import Store
from dashboard.frames import build_preview
from tests.dashboard.conftest import make_synthetic_clip

pytestmark = pytest.mark.browser
PLAYER = "iframe[title='dashboard.player.clip_player']"
VIEWPORT = {"width": 1440, "height": 900}


@pytest.fixture(scope="module")
def clips(streamlit_server: str, streamlit_db_url: str, streamlit_root: Path,
          tmp_path_factory: pytest.TempPathFactory) -> dict[str, int]:
    store = Store(streamlit_db_url)
    folder = tmp_path_factory.mktemp("player_clips")
    ids = {
        "landscape": make_synthetic_clip(store, folder, athlete="Lana Scape", n_frames=90),
        "portrait": make_synthetic_clip(store, folder, athlete="Pia Trait", n_frames=60,
                                        size=(540, 960)),
        "trimmed": make_synthetic_clip(store, folder, athlete="Tim Trim", n_frames=90),
    }
    for clip_id in ids.values():
        clip = store.get_clip(clip_id)
        build_preview(clip.stored_path, streamlit_root / "data" / "previews", clip.sha256)
    store.set_trim(ids["trimmed"], 20, 50)
    return ids


def open_clip(page, url: str, clip_id: int):
    page.set_viewport_size(VIEWPORT)
    page.goto(f"{url}/clip_view?clip={clip_id}", wait_until="domcontentloaded")
    page.get_by_role("heading", name="Clip view").wait_for(timeout=60_000)
    player = page.frame_locator(PLAYER)
    player.locator("#play").wait_for(timeout=60_000)
    page.wait_for_function(
        """() => {
            const f = document.querySelector("iframe[title='dashboard.player.clip_player']");
            const w = f && f.contentWindow;
            return w && w.clipPlayer && w.document.querySelector('video').readyState >= 2;
        }""",
        timeout=60_000)
    return player


def player_frame(page) -> int:
    return page.frame_locator(PLAYER).locator("body").evaluate("() => window.clipPlayer.frame")


def page_frame(page) -> int:
    text = page.get_by_text(re.compile(r"^Frame \d+ of 0–\d+")).last.inner_text()
    return int(re.search(r"Frame (\d+)", text).group(1))


def test_play_at_half_speed_advances_then_pauses_and_the_page_follows(
    streamlit_server: str, clips, browser_page, artifacts_dir: Path
):
    page = browser_page
    player = open_clip(page, streamlit_server, clips["landscape"])
    page.screenshot(path=str(artifacts_dir / "player_loaded.png"))
    player.locator("#speed").select_option("0.5")
    player.locator("#play").click()
    page.wait_for_timeout(3000)
    assert player.locator("#play").get_attribute("aria-label") == "Pause"
    page.screenshot(path=str(artifacts_dir / "player_playing.png"))
    player.locator("#play").click()
    stopped = player_frame(page)
    # 3 s at 0.5x of a 30 fps clip is 45 frames: well past a single step, short of the end.
    assert 25 <= stopped <= 70, stopped
    presented = page.frame_locator(PLAYER).locator("body").evaluate(
        "() => window.clipPlayer.presented")
    assert presented >= 20  # frames really shown, not one jump
    # The page hears where it stopped: its caption and the chart cursor follow.
    page.get_by_text(re.compile(rf"^Frame {stopped} of 0–89")).wait_for(timeout=30_000)
    page.wait_for_timeout(800)
    page.screenshot(path=str(artifacts_dir / "player_paused.png"))
    # Another control afterwards does not jump to the end.
    page.get_by_text("Show values as measured").click()
    page.wait_for_timeout(1500)
    assert page_frame(page) == stopped and player_frame(page) == stopped


def test_arrow_keys_step_one_frame_and_play_at_the_end_starts_again(
    streamlit_server: str, clips, browser_page
):
    page = browser_page
    player = open_clip(page, streamlit_server, clips["landscape"])
    player.locator("#player").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert player_frame(page) == 2
    page.keyboard.press("ArrowLeft")
    assert player_frame(page) == 1
    page.get_by_text(re.compile(r"^Frame 1 of 0–89")).wait_for(timeout=30_000)
    # To the last frame with the slider, then Play: it starts from the beginning.
    player.locator("#seek").fill("89")
    page.get_by_text(re.compile(r"^Frame 89 of 0–89")).wait_for(timeout=30_000)
    player.locator("#play").click()
    page.wait_for_timeout(600)
    assert 0 < player_frame(page) < 60
    player.locator("#play").click()


def test_the_clip_view_stays_drawn_after_it_opens(streamlit_server: str, clips, browser_page):
    page = browser_page
    open_clip(page, streamlit_server, clips["landscape"])
    for _ in range(8):  # the reported blank came about 1.5 s after the page was drawn
        page.wait_for_timeout(500)
        assert page.get_by_role("heading", name="Clip view").is_visible()
        assert page.locator(PLAYER).is_visible()


def test_a_portrait_frame_and_its_controls_fit_the_screen_together(
    streamlit_server: str, clips, browser_page, artifacts_dir: Path
):
    page = browser_page
    player = open_clip(page, streamlit_server, clips["portrait"])
    player.locator("#player").scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    stage = player.locator("#stage").bounding_box()
    bar = player.locator("#bar").bounding_box()
    page.screenshot(path=str(artifacts_dir / "player_portrait.png"))
    assert stage["height"] <= VIEWPORT["height"] * 0.65
    assert stage["height"] / stage["width"] == pytest.approx(960 / 540, rel=0.03)
    # The frame and the whole control bar are on screen at once.
    assert bar["y"] + bar["height"] - stage["y"] <= VIEWPORT["height"]


def player_value(page, expression: str):
    return page.frame_locator(PLAYER).locator("body").evaluate(f"() => {expression}")


def test_a_loop_between_two_frames_plays_over_from_its_in_point(
    streamlit_server: str, clips, browser_page, artifacts_dir: Path
):
    page = browser_page
    player = open_clip(page, streamlit_server, clips["landscape"])
    player.locator("#seek").fill("10")
    player.locator("#in").click()
    player.locator("#seek").fill("30")
    player.locator("#out").click()
    assert player_value(page, "window.clipPlayer.loop") == [10, 30, True]
    assert player.locator("#loopcap").inner_text() == "Loop 10–30"
    player.locator("#seek").fill("10")
    # The frame sampled every 5 ms inside the player's page (a round trip from the test
    # per sample is too slow on a loaded machine to see the wrap).
    player_value(page, "(window.seen = [], window.sampler = setInterval("
                       "() => window.seen.push(window.clipPlayer.frame), 5), 0)")
    player.locator("#play").click()
    page.wait_for_timeout(2500)  # at 1x the 20-frame loop (0.67 s) comes round 3 times
    page.screenshot(path=str(artifacts_dir / "player_loop.png"))
    player.locator("#play").click()
    seen = player_value(page, "(clearInterval(window.sampler), window.seen)")
    seen = [f for i, f in enumerate(seen) if i == 0 or f != seen[i - 1]]  # the changes
    assert player_value(page, "window.clipPlayer.loops") >= 2
    assert min(seen) >= 10 and max(seen) <= 30, seen
    wraps = [i for i in range(1, len(seen)) if seen[i] < seen[i - 1]]
    assert wraps, seen  # it went back ...
    # ... to the in point: sampled every 5 ms, but a loaded machine delays the sampler by
    # up to a few frames (at 1x, 0.2 s is 6 frames), so within 7 frames of it
    assert all(seen[i] <= 10 + 7 for i in wraps), seen
    # The arrow keys still step exactly one frame, and Esc clears the loop.
    player.locator("#player").focus()
    at = player_frame(page)
    page.keyboard.press("ArrowRight")
    assert player_frame(page) == at + 1
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    assert player_frame(page) == at - 1
    page.keyboard.press("Escape")
    assert player_value(page, "window.clipPlayer.loop") == [None, None, False]
    # I and O set the loop from the keyboard too.
    page.keyboard.press("i")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("o")
    assert player_value(page, "window.clipPlayer.loop") == [at - 1, at + 1, True]


def test_a_trimmed_clip_shows_and_plays_its_trim_only(
    streamlit_server: str, clips, browser_page, artifacts_dir: Path
):
    page = browser_page
    player = open_clip(page, streamlit_server, clips["trimmed"])
    assert player_value(page, "window.clipPlayer.range") == [20, 50]
    assert player_frame(page) == 20
    assert (player.locator("#seek").get_attribute("min"),
            player.locator("#seek").get_attribute("max")) == ("20", "50")
    page.get_by_text(re.compile(r"^Trimmed to frames 20–50")).wait_for(timeout=30_000)
    page.screenshot(path=str(artifacts_dir / "player_trimmed.png"), full_page=True)
    player.locator("#play").click()  # 30 frames at 1x: it stops at the trim's end
    page.wait_for_timeout(2500)
    assert player_value(page, "window.clipPlayer.playing") is False
    assert player_frame(page) == 50
    player.locator("#player").focus()
    page.keyboard.press("ArrowRight")
    assert player_frame(page) == 50  # no step past the trim
