"""In a real browser (issue 11, finding 7): what an athlete uploaded is kept on disk while
they are, refused uploads never are, and deleting the athlete "and everything in it" on the
Sessions page leaves no file of theirs.

Runs the app under ``streamlit run`` (see conftest) and drives Debian's Chromium with
Playwright. The photo and clip are made at run time; no real media is needed.
"""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from analysis.pipeline import file_sha256
from analysis.store import Store
from tests.estimator.test_video import write_clip

pytestmark = [pytest.mark.browser]

TIMEOUT_MS = 180_000
ATHLETE = "Leaving Athlete"


def choose(page, key: str, name: str) -> None:
    """Pick ``name`` in the selectbox of widget ``key`` by typing it (the served app is
    shared by the browser tests: its athlete list is long and drawn only in part)."""
    field = page.locator(f".st-key-{key} input")
    field.click()
    field.fill(name)
    page.get_by_role("option", name=name).first.click()


def files_named(data: Path, digests: set[str]) -> list[Path]:
    """Files under the data folder whose name holds one of these sha256 digests."""
    return sorted(p for p in data.rglob("*") if p.is_file()
                  and any(d in p.name for d in digests))


def test_a_deleted_athlete_leaves_no_file_of_theirs_on_disk(
        streamlit_server: str, streamlit_root: Path, streamlit_db_url: str, browser_page,
        tmp_path: Path, artifacts_dir: Path):
    page = browser_page
    data = streamlit_root / "data"
    store = Store(streamlit_db_url)
    store.create_athlete(ATHLETE)

    clip = write_clip(tmp_path / "drill.mp4", n_frames=12, width=160, height=120)
    photo = tmp_path / "wall.png"
    cv2.imwrite(str(photo), np.full((240, 320, 3), (60, 140, 60), np.uint8))
    notes = tmp_path / "notes.mp4"
    notes.write_text("not a clip: the coach's notes\n")
    kept = {file_sha256(clip), file_sha256(photo)}
    refused = file_sha256(notes)

    # Upload the three files for the athlete, in a new session, and analyse them.
    page.goto(streamlit_server, wait_until="domcontentloaded")
    page.get_by_role("heading", name="Analyse").wait_for(timeout=60_000)
    choose(page, "analyse_athlete", ATHLETE)
    page.get_by_label("Title").fill("Last session")
    page.get_by_label("Title").press("Tab")
    page.locator("input[type='file']").set_input_files([str(clip), str(photo), str(notes)])
    page.get_by_text("notes.mp4").first.wait_for(timeout=60_000)
    page.get_by_role("button", name="Analyse", exact=True).click()
    page.get_by_text("notes.mp4: is a text file").first.wait_for(timeout=TIMEOUT_MS)
    page.get_by_text("wall.png: analysed").first.wait_for(timeout=TIMEOUT_MS)
    page.get_by_text("drill.mp4: analysed").first.wait_for(timeout=TIMEOUT_MS)
    page.screenshot(path=str(artifacts_dir / "lifecycle_analysed.png"), full_page=True)

    # On disk: the two uploads (named by content) and the clip's preview; the refused
    # upload not at all, and no partial file.
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    clip_sha = file_sha256(clip)
    while not (data / "previews" / f"{clip_sha}.json").exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    theirs = files_named(data, kept)
    assert {p.relative_to(data).as_posix() for p in theirs} >= {
        f"uploads/{clip_sha}.mp4", f"uploads/{file_sha256(photo)}.png",
        f"previews/{clip_sha}.json", f"previews/{clip_sha}.mp4"}
    assert files_named(data, {refused}) == []
    assert not [p for p in (data / "uploads").iterdir() if p.name.endswith(".part")]

    # Delete the athlete and everything in it, on the Sessions page.
    page.goto(f"{streamlit_server}/sessions", wait_until="domcontentloaded")
    page.get_by_role("heading", name="Sessions").wait_for(timeout=60_000)
    page.get_by_text("Data folder: uploads").first.wait_for(timeout=60_000)
    page.get_by_role("tab", name="Athlete").click()
    choose(page, "manage_athlete", ATHLETE)
    page.get_by_role("button", name="Delete athlete…").click()
    page.get_by_text(f"Delete the athlete {ATHLETE} and everything in it?").wait_for(
        timeout=60_000)
    page.get_by_role("button", name="Delete for good").click()
    page.get_by_text("and everything in it?").wait_for(state="detached", timeout=60_000)
    page.screenshot(path=str(artifacts_dir / "lifecycle_deleted.png"), full_page=True)

    assert store.find_athlete(ATHLETE) is None
    assert files_named(data, kept | {refused}) == []
    assert page.locator("[data-testid='stException']").count() == 0
