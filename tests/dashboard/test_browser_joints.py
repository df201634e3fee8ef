"""The "Correct joints" panel in a real browser: on the analysed parkour clip a coach
clicks the athlete's left knee on the frame, then its true place; the correction is kept
with that position, the frame counts as labelled, and its labels download."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from analysis.correction_store import MOVE_JOINT
from analysis.pipeline import PipelineSettings, analyse_file
from analysis.store import Store
from tests.dashboard.server import start_streamlit, stop_streamlit

pytestmark = [pytest.mark.browser, pytest.mark.media]


@pytest.fixture(scope="module")
def analysed_app(tmp_path_factory: pytest.TempPathFactory, parkour_clip: Path
                 ) -> Iterator[tuple[str, Store, int]]:
    root = tmp_path_factory.mktemp("joints_app")
    store = Store(f"sqlite:///{root / 'posture.db'}")
    clip_id = analyse_file(store, parkour_clip, "Browser Athlete", "Rooftop",
                           PipelineSettings(max_people=2))
    process, url = start_streamlit(store.url, root / "streamlit.log", data_dir=root / "data")
    try:
        yield url, store, clip_id
    finally:
        stop_streamlit(process)
        store.close()


def test_click_a_knee_then_its_true_place(analysed_app, browser_page, artifacts_dir: Path
                                          ) -> None:
    url, store, clip_id = analysed_app
    clip = store.get_clip(clip_id)
    person = clip.athlete_track
    poses = store.read_poses(clip_id, person).set_index("frame")
    knee = poses.loc[0, ["left_knee_x", "left_knee_y"]].to_numpy(float)
    page = browser_page
    page.goto(f"{url}/clip_view", wait_until="domcontentloaded")
    page.get_by_role("heading", name="Correct joints").wait_for(timeout=120_000)
    page.locator(".st-key-clip_chart_fig .js-plotly-plot").first.wait_for(timeout=120_000)
    page.wait_for_timeout(3000)  # the player reports its first frame: the page settles
    frame = page.frame_locator("iframe[title*='streamlit_image_coordinates']")
    image = frame.locator("img")
    image.wait_for(timeout=60_000)
    page.get_by_role("heading", name="Correct joints").scroll_into_view_if_needed()
    page.wait_for_timeout(1000)
    box = image.bounding_box()
    assert box is not None

    def click_at(x_px: float, y_px: float) -> None:
        image.click(position={"x": x_px * box["width"] / clip.width,
                              "y": y_px * box["height"] / clip.height})

    click_at(*knee)
    page.get_by_text("now click where it really is").wait_for(timeout=60_000)
    target = knee + (0.02 * clip.width, 0.01 * clip.height)
    image = frame.locator("img")
    click_at(*target)
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
    tolerance = 3 * clip.width / box["width"]
    assert abs(made.detail["x"] - target[0]) < tolerance
    assert abs(made.detail["y"] - target[1]) < tolerance

    page.get_by_role("button", name="Prepare this clip's labelled frames").click()
    with page.expect_download(timeout=120_000) as download:
        page.get_by_role("button", name="Download this clip's labelled frames (zip)").click()
    assert download.value.suggested_filename == f"labels_clip{clip_id}.zip"
