"""User text stays plain text in a real browser, on every page (issue 11, findings 2 and 3).

An athlete, a session title, tags and file names made of Markdown, Streamlit directives,
maths and HTML are created (the athlete, title, tags and a failed upload through the
Analyse page; analysed clips through the store), then every page is visited in headless
Chromium. No page may fetch or show an outside image, carry a ``javascript:`` link,
colour or typeset the payload's text, and the text must read as typed. The Sessions
table's CSV download must not let a spreadsheet run a name as a formula.

The app runs on a server of its own (its own database), so these athletes never show
up in other browser tests.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest

from analysis.store import Store
from dashboard.escape import JOINER
from tests.dashboard.server import start_streamlit, stop_streamlit

pytestmark = pytest.mark.browser

OUTSIDE = "http://127.0.0.1:9"  # nothing listens there: a fetch would only be attempted
ATHLETE = f":red[Anna] ![a]({OUTSIDE}/athlete.png) [js](javascript:alert(1)) <b>B</b>"
TITLE = f"![s]({OUTSIDE}/session.png) :green[Title] $x^2$ <i>i</i> www.example.org"
TAGS = ["@SUM(1+1)", ":orange[tag]", "x;=1+1"]
CLIP_FILE = f"![f]({OUTSIDE}/file.png) :violet[file] [j](javascript:alert(3)).mp4"
FAILED_FILE = ":blue[broken] [k](javascript:alert(4)).mp4"
UPLOAD = ":red[up] ![u](upload.png) [j](javascript:alert(5)) :smile:.mp4"
FORMULA = '=HYPERLINK("http://127.0.0.1:9/h","x")'
SEMICOLON = "x;=1+1"
SEARCH = f"![q]({OUTSIDE}/search.png) :red[nothing]"
PAYLOAD_WORDS = ("Anna", "Title", "tag", "file", "broken", "up", "nothing")
PAYLOAD_IMAGES = ("athlete.png", "session.png", "file.png", "upload.png", "search.png")
TIMEOUT_MS = 90_000


def _clip(store: Store, folder: Path, athlete: str, title: str, file_name: str,
          period_s: float, tags=()) -> int:
    """An analysed synthetic squat clip stored under ``file_name`` (any text)."""
    import numpy as np

    from analysis.filtering import CleanSettings
    from analysis.pipeline import file_sha256
    from analysis.store import TrackResult
    from analysis.track import analyse_track
    from dashboard.video_export import write_mp4
    from tests.dashboard.conftest import squat_poses

    n, fps = 60, 30.0
    video = folder / f"squat-{period_s}.mp4"
    shade = int(period_s * 40)  # other bytes for each clip
    write_mp4(((np.full((240, 320, 3), shade + i, np.uint8), i / fps) for i in range(n)),
              video, fps)
    poses = squat_poses(n, fps, period_s=period_s)
    analysis = analyse_track(poses.keypoints, None, poses.times, fps, CleanSettings())
    athlete_id = store.get_or_create_athlete(athlete).id
    session = store.get_or_create_session(athlete_id, title, dt.date.today(), list(tags))
    clip, _ = store.register_clip(
        session.id, file_name=file_name, stored_path=str(video), sha256=file_sha256(video),
        kind="video", fps=fps, width=320, height=240, frame_count=n, duration_s=n / fps,
        settings={},
    )
    store.write_clip_results(clip.id, [TrackResult(poses, analysis)])
    return clip.id


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("injection")
    db_url = f"sqlite:///{root / 'posture.db'}"
    process, url = start_streamlit(db_url, root / "streamlit.log", data_dir=root / "data")
    try:
        yield url, db_url, root
    finally:
        stop_streamlit(process)


@pytest.fixture(scope="module")
def page(served, chromium):
    context = chromium.new_context(viewport={"width": 1440, "height": 1100},
                                   accept_downloads=True)
    page = context.new_page()
    page.requested = []  # every URL the page asked for
    page.on("request", lambda request: page.requested.append(request.url))
    try:
        yield page
    finally:
        context.close()


def visible_text(page) -> str:
    """The page's text as a reader sees it (word joiners are invisible)."""
    return page.inner_text("body").replace(JOINER, "")


def assert_plain(page, where: str) -> None:
    """No payload image, javascript link, coloured or typeset payload text on the page,
    and no request to an outside host."""
    found = page.evaluate(
        """([words, images]) => {
          const out = [];
          for (const img of document.querySelectorAll('img')) {
            const src = img.getAttribute('src') || '';
            const url = new URL(src, location.href);
            if (!['data:', 'blob:'].includes(url.protocol) && url.origin !== location.origin)
              out.push('outside image ' + src);
            if (images.some(name => src.includes(name))) out.push('payload image ' + src);
          }
          for (const a of document.querySelectorAll('a[href]'))
            if (/^\\s*javascript:/i.test(a.getAttribute('href'))) out.push('link ' + a.href);
          for (const el of document.querySelectorAll(
              '.stMarkdownColoredText, .katex, [data-testid=stMarkdownContainer] b, '
              + '[data-testid=stMarkdownContainer] img'))
            if (words.some(w => el.textContent.includes(w)) || el.tagName === 'IMG')
              out.push('rendered ' + el.outerHTML.slice(0, 120));
          return out;
        }""",
        [list(PAYLOAD_WORDS), list(PAYLOAD_IMAGES)],
    )
    assert not found, (where, found)
    outside = [u for u in page.requested
               if u.startswith(OUTSIDE) or any(name in u for name in PAYLOAD_IMAGES)]
    assert not outside, (where, outside)
    assert page.locator("[data-testid='stException']").count() == 0, where


def goto(page, base: str, path: str, heading: str) -> None:
    page.goto(f"{base}/{path}", wait_until="domcontentloaded")
    page.get_by_role("heading", name=heading).wait_for(timeout=TIMEOUT_MS)
    page.wait_for_timeout(1500)


def test_user_text_is_plain_text_on_every_page(served, page, artifacts_dir: Path):
    base, db_url, root = served

    # Analyse: the athlete, the session title and tags typed in the page, and an upload
    # that fails (its file name quoted in the error line).
    goto(page, base, "", "Analyse")
    page.get_by_label("Name").fill(ATHLETE)
    page.get_by_role("button", name="Create athlete").click()
    page.locator(".st-key-analyse_athlete").get_by_text(":red[Anna]").wait_for(
        timeout=TIMEOUT_MS)
    toast = page.locator("[data-testid='stToast']")  # "Athlete … created.", for 4 s
    if toast.count():
        assert visible_text(page).count(f"Athlete {ATHLETE.split(' [js]')[0]}") <= 1
    assert_plain(page, "toast")
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Tags").fill(", ".join(TAGS))
    page.locator("input[type='file']").set_input_files(
        {"name": UPLOAD, "mimeType": "video/mp4", "buffer": b"not a clip at all " * 64})
    page.get_by_role("button", name="Analyse", exact=True).click()
    failed = page.locator("[data-testid='stAlertContentError']").filter(has_text="upload.png")
    failed.first.wait_for(timeout=TIMEOUT_MS)
    assert visible_text(page).count(UPLOAD) >= 1
    page.screenshot(path=str(artifacts_dir / "injection_analyse.png"), full_page=True)
    assert_plain(page, "Analyse")

    # Analysed clips, a failed one, and athletes named like formulas: in the store.
    store = Store(db_url)
    folder = root / "clips"
    folder.mkdir()
    clip_a = _clip(store, folder, ATHLETE, TITLE, CLIP_FILE, 1.5, TAGS)
    _clip(store, folder, ATHLETE, TITLE, "second.mp4", 1.2)
    session_id = store.get_clip(clip_a).session_id
    broken, _ = store.register_clip(
        session_id, file_name=FAILED_FILE, stored_path=str(folder / "none.mp4"),
        sha256="0" * 64, kind="video", fps=30.0, width=320, height=240, frame_count=1,
        duration_s=0.1, settings={},
    )
    store.mark_failed(broken.id, f"{FAILED_FILE} could not be read")
    store.create_athlete(FORMULA)
    store.create_athlete(SEMICOLON)
    store.close()

    # Clip view: the newest clip is the failed one (its name and error quoted); then the
    # analysed one, whose caption names the athlete and the session.
    goto(page, base, "clip_view", "Clip view")
    page.get_by_text("failed:").wait_for(timeout=TIMEOUT_MS)
    assert (f"The analysis of {FAILED_FILE} failed: {FAILED_FILE} could not be read"
            in visible_text(page))
    assert_plain(page, "Clip view, failed clip")
    page.locator(".st-key-clip_view_clip").click()
    page.get_by_role("option", name=CLIP_FILE).click()
    page.locator("[data-testid='stImage'] img").first.wait_for(timeout=TIMEOUT_MS)
    text = visible_text(page)
    assert ATHLETE in text and TITLE in text
    page.screenshot(path=str(artifacts_dir / "injection_clip_view.png"), full_page=True)
    assert_plain(page, "Clip view")

    # Sessions: search with nothing found, the delete confirmation, a failed clip's error.
    goto(page, base, "sessions", "Sessions")
    assert_plain(page, "Sessions")
    with page.expect_download(timeout=TIMEOUT_MS) as download_info:
        page.get_by_role("button", name="Download the table (CSV)").click()
    rows = list(csv.reader(io.StringIO(
        Path(download_info.value.path()).read_text(encoding="utf-8-sig"))))
    cells = {cell for row in rows for cell in row}
    assert "'" + FORMULA in cells and SEMICOLON in cells and FORMULA not in cells
    assert "'" + ", ".join(TAGS) in cells
    raw = Path(download_info.value.path()).read_text(encoding="utf-8-sig")
    assert f'"{SEMICOLON}"' in raw  # quoted: a spreadsheet splitting on ";" keeps it whole
    # Streamlit's own table download (which writes text raw) is not offered.
    grid = page.locator("[data-testid='stDataFrame']").first
    grid.hover()
    page.wait_for_timeout(500)
    builtin = page.locator("[data-testid='stElementToolbar'] button[aria-label='Download as CSV']")
    assert builtin.count() >= 1 and not builtin.first.is_visible()

    page.get_by_role("textbox", name="Search").fill(SEARCH)
    page.get_by_role("textbox", name="Search").press("Enter")
    page.get_by_text("Nothing matches").wait_for(timeout=TIMEOUT_MS)
    assert f"Nothing matches “{SEARCH}”." in visible_text(page)
    assert_plain(page, "Sessions search")
    page.get_by_role("textbox", name="Search").fill("")
    page.get_by_role("textbox", name="Search").press("Enter")
    page.get_by_role("tab", name="Athlete").wait_for(timeout=TIMEOUT_MS)
    page.get_by_role("button", name="Delete athlete…").click()
    page.get_by_text("and everything in it?").wait_for(timeout=TIMEOUT_MS)
    assert f"Delete the athlete {ATHLETE} and everything in it?" in visible_text(page)
    page.screenshot(path=str(artifacts_dir / "injection_sessions.png"), full_page=True)
    assert_plain(page, "delete confirmation")
    page.get_by_role("button", name="Keep it").click()
    page.get_by_role("tab", name="Clip").click()
    clip_box = page.locator(".st-key-manage_clip")
    clip_box.click()
    page.get_by_role("option", name=FAILED_FILE, exact=False).first.click()
    page.get_by_text("Analysis failed").wait_for(timeout=TIMEOUT_MS)
    assert f"Analysis failed: {FAILED_FILE} could not be read" in visible_text(page)
    assert_plain(page, "failed clip")

    # Compare: the two clips' labels in captions and legends.
    goto(page, base, "compare", "Compare")
    page.locator(".js-plotly-plot").first.wait_for(timeout=TIMEOUT_MS)
    page.wait_for_timeout(1500)
    text = visible_text(page)
    assert CLIP_FILE in text and ATHLETE in text
    legend = page.evaluate(
        "() => [...document.querySelectorAll('.js-plotly-plot .legendtext')]"
        ".map(e => e.textContent)")
    assert any(CLIP_FILE in name for name in legend), legend
    page.screenshot(path=str(artifacts_dir / "injection_compare.png"), full_page=True)
    assert_plain(page, "Compare")

    # Progress: the athlete's sessions (titles in the session axis's labels, which Plotly
    # reads as HTML), and an athlete without clips named in a message.
    goto(page, base, "progress", "Progress")
    page.locator(".js-plotly-plot").first.wait_for(timeout=TIMEOUT_MS)
    labels = page.evaluate("() => document.querySelector('.js-plotly-plot').data[0].x")
    assert any("$x^2$ &lt;i&gt;i&lt;/i&gt;" in h for h in labels), labels
    assert_plain(page, "Progress")
    page.locator(".st-key-progress_athlete").click()
    page.get_by_role("option", name=SEMICOLON).click()
    page.get_by_text("has no analysed clips yet").wait_for(timeout=TIMEOUT_MS)
    assert f"{SEMICOLON} has no analysed clips yet." in visible_text(page)
    page.screenshot(path=str(artifacts_dir / "injection_progress.png"), full_page=True)
    assert_plain(page, "Progress, no clips")
