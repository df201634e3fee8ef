"""Sign-in on, in a real browser (issue 11): an athlete sees only their own sessions, in
lists and by URL or query parameter; a coach sees their club's athletes; a wrong password
is one line.

The app runs on a server of its own with ``POSTURE_AUTH`` pointing to a users file made
with :mod:`dashboard.users`: a coach of the club Rooftop (Anna Lee and Ben Ode), the
athlete Anna Lee, and an admin. Cleo Park belongs to another club.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest

from analysis.store import Store
from dashboard import users as users_file
from dashboard.escape import JOINER
from tests.dashboard.server import start_streamlit, stop_streamlit

pytestmark = pytest.mark.browser

TIMEOUT_MS = 90_000
PASSWORDS = {"carla": "coach-pass-1", "anna": "anna-pass-12", "root": "admin-pass-1"}


def _clip(store: Store, folder: Path, athlete: str, title: str, file_name: str,
          shade: int) -> int:
    """An analysed synthetic squat clip of ``athlete`` in the session ``title``."""
    import numpy as np

    from analysis.filtering import CleanSettings
    from analysis.pipeline import file_sha256
    from analysis.store import TrackResult
    from analysis.track import analyse_track
    from dashboard.video_export import write_mp4
    from tests.dashboard.conftest import squat_poses

    n, fps = 45, 30.0
    video = folder / f"clip-{shade}.mp4"
    write_mp4(((np.full((240, 320, 3), shade + i, np.uint8), i / fps) for i in range(n)),
              video, fps)
    poses = squat_poses(n, fps)
    analysis = analyse_track(poses.keypoints, None, poses.times, fps, CleanSettings())
    athlete_id = store.get_or_create_athlete(athlete).id
    session = store.get_or_create_session(athlete_id, title, dt.date(2024, 5, 1))
    clip, _ = store.register_clip(
        session.id, file_name=file_name, stored_path=str(video), sha256=file_sha256(video),
        kind="video", fps=fps, width=320, height=240, frame_count=n, duration_s=n / fps,
        settings={},
    )
    store.write_clip_results(clip.id, [TrackResult(poses, analysis)])
    return clip.id


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("signin")
    users = root / "users.yaml"
    users_file.add_user(users, "carla", PASSWORDS["carla"], "coach", club="Rooftop",
                        name="Carla Diaz")
    users_file.add_user(users, "anna", PASSWORDS["anna"], "athlete", athlete="Anna Lee",
                        club="Rooftop")
    users_file.add_user(users, "root", PASSWORDS["root"], "admin")
    users_file.set_club(users, "Rooftop", add=["Ben Ode"])
    users_file.set_club(users, "Harbour", add=["Cleo Park"])

    db_url = f"sqlite:///{root / 'posture.db'}"
    store = Store(db_url)
    folder = root / "clips"
    folder.mkdir()
    ids = {
        "anna": _clip(store, folder, "Anna Lee", "Anna squats", "anna-squat.mp4", 60),
        "anna2": _clip(store, folder, "Anna Lee", "Anna squats", "anna-second.mp4", 90),
        "ben": _clip(store, folder, "Ben Ode", "Ben secret session", "ben-squat.mp4", 120),
        "cleo": _clip(store, folder, "Cleo Park", "Cleo harbour session", "cleo.mp4", 150),
    }
    athletes = {a.name: a.id for a in store.list_athletes()}
    store.close()
    process, url = start_streamlit(db_url, root / "streamlit.log", data_dir=root / "data",
                                   extra_env={"POSTURE_AUTH": str(users)})
    try:
        yield url, ids, athletes
    finally:
        stop_streamlit(process)


@pytest.fixture()
def page(chromium):
    context = chromium.new_context(viewport={"width": 1440, "height": 1000},
                                   accept_downloads=True)
    try:
        yield context.new_page()
    finally:
        context.close()


def text_of(page) -> str:
    return page.inner_text("body").replace(JOINER, "")


def sign_in(page, base: str, username: str, password: str | None = None) -> None:
    page.goto(base, wait_until="domcontentloaded")
    page.get_by_role("heading", name="Sign in").wait_for(timeout=TIMEOUT_MS)
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password", exact=True).fill(password or PASSWORDS[username])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Signed in as").wait_for(timeout=TIMEOUT_MS)
    page.get_by_role("link", name="Sessions").first.wait_for(timeout=TIMEOUT_MS)
    page.wait_for_timeout(500)


def visit(page, base: str, path: str, heading: str) -> str:
    page.goto(f"{base}/{path}", wait_until="domcontentloaded")
    try:
        page.get_by_role("heading", name=heading).wait_for(timeout=TIMEOUT_MS)
    except Exception:
        page.screenshot(path="/tmp/authdemo/visit_fail.png")
        raise
    page.wait_for_timeout(1500)
    assert page.locator("[data-testid='stException']").count() == 0, path
    return text_of(page)


def sessions_csv(page) -> list[list[str]]:
    with page.expect_download(timeout=TIMEOUT_MS) as download:
        page.get_by_role("button", name="Download the table (CSV)").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def options_of(page, selector: str) -> list[str]:
    page.locator(selector).click()
    page.get_by_role("option").first.wait_for(timeout=TIMEOUT_MS)
    options = page.get_by_role("option").all_inner_texts()
    page.keyboard.press("Escape")
    return options


def test_a_wrong_password_is_one_line(served, page, artifacts_dir: Path):
    base, _, _ = served
    page.goto(base, wait_until="domcontentloaded")
    page.get_by_role("heading", name="Sign in").wait_for(timeout=TIMEOUT_MS)
    page.screenshot(path=str(artifacts_dir / "signin.png"), full_page=True)
    page.get_by_label("User name").fill("anna")
    page.get_by_label("Password", exact=True).fill("not-her-password")
    page.get_by_role("button", name="Sign in").click()
    error = page.locator("[data-testid='stAlertContentError']")
    error.wait_for(timeout=TIMEOUT_MS)
    assert error.count() == 1
    assert error.inner_text().strip() == "Wrong user name or password."
    page.screenshot(path=str(artifacts_dir / "signin_wrong.png"), full_page=True)
    text = text_of(page)
    assert "Anna squats" not in text and "Signed in as" not in text
    # Nothing of the app without signing in, whatever the URL.
    for path in ("sessions", f"clip_view?clip={served[1]['anna']}", "progress"):
        page.goto(f"{base}/{path}", wait_until="domcontentloaded")
        page.get_by_role("heading", name="Sign in").wait_for(timeout=TIMEOUT_MS)
        page.wait_for_timeout(1000)
        assert "Anna" not in text_of(page)


def test_an_athlete_sees_only_their_own_sessions(served, page, artifacts_dir: Path):
    base, ids, athletes = served
    sign_in(page, base, "anna")
    nav = page.get_by_role("link").all_inner_texts()
    assert not any("Analyse" in n for n in nav) and not any("Users" in n for n in nav)

    # Lists: the Sessions table (its CSV) and its clip selector hold Anna's only.
    text = visit(page, base, "", "Sessions")  # her first page
    assert "1 athlete · 1 session · 2 clips" in text
    rows = sessions_csv(page)
    assert {r[0] for r in rows[1:]} == {"Anna Lee"}
    assert "Manage" not in text  # nothing to rename or delete
    assert all("Ben" not in o and "Cleo" not in o
               for o in options_of(page, ".st-key-open_clip_choice"))
    page.screenshot(path=str(artifacts_dir / "signin_athlete_sessions.png"), full_page=True)

    # The Clip view, Compare and Progress selectors.
    text = visit(page, base, "clip_view", "Clip view")
    assert "Anna Lee" in text
    assert all("Ben" not in o for o in options_of(page, ".st-key-clip_view_clip"))
    text = visit(page, base, "compare", "Compare")
    assert all("Ben" not in o for o in options_of(page, ".st-key-compare_athlete_A"))
    text = visit(page, base, "progress", "Progress")
    assert all("Ben" not in o for o in options_of(page, ".st-key-progress_athlete"))

    # By URL and query parameter: another athlete's clip and athlete do not exist for her.
    for path, heading, message in (
        (f"clip_view?clip={ids['ben']}", "Clip view", f"No clip {ids['ben']} in the database."),
        (f"progress?athlete={athletes['Ben Ode']}", "Progress",
         f"No athlete {athletes['Ben Ode']!r} in the database."),
        (f"?clip={ids['cleo']}", "Sessions", f"No clip {ids['cleo']} in the database."),
    ):
        text = visit(page, base, path, heading)
        assert message in text, (path, text[:500])
        assert "Ben" not in text and "Cleo" not in text and "secret" not in text, path
    page.screenshot(path=str(artifacts_dir / "signin_athlete_by_url.png"), full_page=True)
    # Her own clip opens by URL.
    text = visit(page, base, f"clip_view?clip={ids['anna2']}", "Clip view")
    assert "anna-second.mp4" in text

    # Signing out shows the sign-in page again.
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").wait_for(timeout=TIMEOUT_MS)


def test_a_coach_sees_the_athletes_of_their_club(served, page, artifacts_dir: Path):
    base, ids, athletes = served
    sign_in(page, base, "carla")
    nav = page.get_by_role("link").all_inner_texts()
    assert any("Analyse" in n for n in nav) and not any("Users" in n for n in nav)

    text = visit(page, base, "sessions", "Sessions")
    assert "2 athletes · 2 sessions · 3 clips" in text
    assert {r[0] for r in sessions_csv(page)[1:]} == {"Anna Lee", "Ben Ode"}
    assert "Manage" in text

    # Ben's session, by query parameter; Cleo's (another club) does not exist for Carla.
    text = visit(page, base, f"clip_view?clip={ids['ben']}", "Clip view")
    assert "Ben Ode" in text and "Ben secret session" in text
    page.screenshot(path=str(artifacts_dir / "signin_coach_clip.png"), full_page=True)
    text = visit(page, base, f"clip_view?clip={ids['cleo']}", "Clip view")
    assert f"No clip {ids['cleo']} in the database." in text and "Cleo" not in text

    # A reload keeps her signed in (the cookie).
    page.reload(wait_until="domcontentloaded")
    page.get_by_text("Signed in as").wait_for(timeout=TIMEOUT_MS)


def test_an_admin_sees_everyone_and_manages_users(served, page, artifacts_dir: Path):
    base, _, _ = served
    sign_in(page, base, "root")
    text = visit(page, base, "sessions", "Sessions")
    assert "3 athletes" in text
    text = visit(page, base, "users", "Users")
    assert "Clubs and their athletes" in text
    page.screenshot(path=str(artifacts_dir / "signin_admin_users.png"), full_page=True)
