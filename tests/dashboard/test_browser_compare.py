"""Compare plays both clips in sync with the ghost on (issue 10, build 3), in a real
browser against the real app: two synthetic squat clips of different tempos; while A
plays, B shows the frame of the same phase (the mapping computed here independently from
the stored repetitions); at A's deepest squat B is at its deepest, side by side (B's video
seeked there) and as a ghost over A (drawn on A's canvas); the page's caption and the
curves' cursor follow when paused. Screenshots of both views go to ``tests/artifacts/``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from analysis.phase_sync import frame_map, repetition_anchors
from analysis.store import Store
from dashboard.frames import build_preview
from tests.dashboard.conftest import make_synthetic_clip
from tests.dashboard.server import start_streamlit, stop_streamlit

pytestmark = pytest.mark.browser
PLAYER = "iframe[title='dashboard.compare_player.compare_player']"
READY = """() => {
    const f = document.querySelector("iframe[title='dashboard.compare_player.compare_player']");
    const w = f && f.contentWindow;
    return w && w.comparePlayer && w.comparePlayer.ready
        && w.document.querySelector('#videoA').readyState >= 2;
}"""


@pytest.fixture(scope="module")
def compare_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database and data folder of this module's own: the Compare page opens on the
    athlete's clips, which other tests' clips in a shared database would change."""
    return tmp_path_factory.mktemp("compare_app")


@pytest.fixture(scope="module")
def compare_server(compare_root: Path) -> Iterator[str]:
    process, url = start_streamlit(f"sqlite:///{compare_root / 'posture.db'}",
                                   compare_root / "streamlit.log", data_dir=compare_root / "data")
    try:
        yield url
    finally:
        stop_streamlit(process)


@pytest.fixture(scope="module")
def pair(compare_server: str, compare_root: Path,
         tmp_path_factory: pytest.TempPathFactory) -> dict:
    store = Store(f"sqlite:///{compare_root / 'posture.db'}")
    folder = tmp_path_factory.mktemp("compare_clips")
    a = make_synthetic_clip(store, folder, athlete="Gus Ghost", date=dt.date(2026, 3, 1),
                            n_frames=90, period_s=1.5)
    b = make_synthetic_clip(store, folder, athlete="Gus Ghost", date=dt.date(2026, 4, 1),
                            n_frames=150, period_s=2.4, size=(480, 360))  # a larger B
    for clip_id in (a, b):
        clip = store.get_clip(clip_id)
        build_preview(clip.stored_path, compare_root / "data" / "previews", clip.sha256)
    ra, rb = store.read_analysis(a, 0), store.read_analysis(b, 0)
    frames_a, frames_b = np.arange(90), np.arange(150)
    sync = frame_map(90, 150, repetition_anchors(ra.repetitions, rb.repetitions, frames_a,
                                                 frames_b), by="repetition")
    return {"a": a, "b": b, "map": sync.b_of_a, "reps_a": ra.repetitions,
            "reps_b": rb.repetitions, "knee_b": rb.angles["left_knee"].to_numpy()}


def js(page, expr: str):
    return page.frame_locator(PLAYER).locator("body").evaluate(f"() => {expr}")


def open_compare(page, url: str):
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{url}/compare", wait_until="domcontentloaded")
    page.get_by_role("heading", name="Played together").wait_for(timeout=90_000)
    page.wait_for_function(READY, timeout=90_000)
    player = page.frame_locator(PLAYER)
    player.locator("#player").scroll_into_view_if_needed()
    return player


def ghost_pixels(page) -> int:
    """Pixels of A's canvas in the ghost's colour (#c026d3, drawn at 55 %)."""
    return js(page, """(() => {
        const c = document.getElementById('canvasA');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4)
            if (d[i + 3] > 60 && d[i] > 80 && d[i + 2] > 80 && d[i + 1] < 0.6 * d[i]) n++;
        return n; })()""")


def test_compare_plays_both_clips_in_sync_with_the_ghost_on(
    compare_server: str, pair, browser_page, artifacts_dir: Path
):
    page = browser_page
    player = open_compare(page, compare_server)
    # While A plays (at 0.5x: 6 s for A's 90 frames), every frame has B at the same phase;
    # sampled inside the page, both at once.
    player.locator("#speed").select_option("0.5")
    js(page, """(window.samples = [], window.sampler = setInterval(() => window.samples.push(
        [window.comparePlayer.frame, window.comparePlayer.ghostFrame]), 100), 0)""")
    player.locator("#play").click()
    page.wait_for_timeout(2500)
    page.screenshot(path=str(artifacts_dir / "compare_side_by_side_playing.png"))
    player.locator("#play").click()
    seen = js(page, "(clearInterval(window.sampler), window.samples)")
    assert js(page, "window.comparePlayer.presented") >= 10
    frames = sorted({f for f, _ in seen})
    assert len(frames) >= 10 and frames[-1] < 89, frames  # it played, not to the end
    # A sample can fall between the player's two updates (A's frame, then B's) on a busy
    # machine: B is never more than one frame off, and almost always exact.
    assert all(abs(g - pair["map"][f]) <= 1 for f, g in seen), seen
    exact = sum(g == pair["map"][f] for f, g in seen)
    assert exact >= 0.9 * len(seen), seen
    # Paused: B's own video is seeked to its frame, and the page follows.
    stopped = js(page, "window.comparePlayer.frame")
    page.wait_for_function(
        f"() => document.querySelector(\"{PLAYER}\").contentWindow.comparePlayer.shownB"
        f" === {int(pair['map'][stopped])}", timeout=15_000)
    page.get_by_text(re.compile(rf"^A frame {stopped} · B frame {pair['map'][stopped]}\b")
                     ).wait_for(timeout=30_000)

    # At A's deepest squat, B is at its deepest: side by side...
    peak_a = int(pair["reps_a"]["peak_frame"].iloc[0])
    peak_b = int(pair["reps_b"]["peak_frame"].iloc[0])
    player.locator("#seek").fill(str(peak_a))
    assert js(page, "window.comparePlayer.ghostFrame") == peak_b
    assert pair["knee_b"][peak_b] == pytest.approx(np.nanmax(pair["knee_b"]), abs=1.5)
    page.wait_for_function(
        f"() => document.querySelector(\"{PLAYER}\").contentWindow.comparePlayer.shownB"
        f" === {peak_b}", timeout=15_000)
    page.get_by_text(re.compile(rf"^A frame {peak_a} · B frame {peak_b} · \d+ % of")
                     ).wait_for(timeout=30_000)
    page.wait_for_timeout(600)
    page.screenshot(path=str(artifacts_dir / "compare_side_by_side.png"), full_page=True)
    assert ghost_pixels(page) == 0  # no ghost side by side
    # The curves' cursor has followed: one line per angle's panel at A's phase.
    chart = page.locator(".stPlotlyChart").first
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    assert chart.locator(".shapelayer path").count() >= 2
    chart.screenshot(path=str(artifacts_dir / "compare_curves_cursor.png"))

    # ... and as a ghost over A.
    page.get_by_text("Overlay: B as a ghost over A").click()
    page.wait_for_function(
        f"() => document.querySelector(\"{PLAYER}\").contentWindow.comparePlayer.mode"
        " === 'overlay'", timeout=30_000)
    page.wait_for_function(READY, timeout=30_000)
    page.wait_for_timeout(800)
    assert js(page, "window.comparePlayer.frame") == peak_a  # the mode kept the frame
    assert js(page, "window.comparePlayer.ghostFrame") == peak_b
    assert not page.frame_locator(PLAYER).locator("#sideB").is_visible()
    assert ghost_pixels(page) > 200
    player.locator("#player").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "compare_overlay.png"))
    page.screenshot(path=str(artifacts_dir / "compare_overlay_page.png"), full_page=True)
    # Playing with the ghost on keeps B on A's phase too.
    player.locator("#play").click()
    page.wait_for_timeout(900)
    player.locator("#play").click()
    f, g = js(page, "window.comparePlayer.frame"), js(page, "window.comparePlayer.ghostFrame")
    assert f != peak_a and g == pair["map"][f]
