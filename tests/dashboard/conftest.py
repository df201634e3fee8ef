"""Fixtures of the dashboard's tests: the real app under ``streamlit run``, and headless Chromium.

``streamlit_server`` starts ``streamlit run streamlit_app.py`` on a free
localhost port with its own temporary database (``POSTURE_DB_URL``), waits
until the server answers its health check, yields the app's URL and stops it.
``browser_page`` opens a page in Debian's Chromium (``/usr/bin/chromium``,
installed by ``make system-deps``) driven by Playwright; browser tests skip
with a reason when that Chromium is absent. Screenshots go to
``tests/artifacts/`` (git-ignored).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dashboard.server import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PROJECT_ROOT,
    start_streamlit,
    stop_streamlit,
)

ARTIFACTS_DIR = PROJECT_ROOT / "tests" / "artifacts"


@pytest.fixture()
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A real SQLite store in ``tmp_path``, and the app under test (AppTest) pointed at it
    and at ``tmp_path/data`` as its data folder."""
    from analysis import Store

    url = f"sqlite:///{tmp_path / 'posture.db'}"
    monkeypatch.setenv("POSTURE_DB_URL", url)
    monkeypatch.setenv("POSTURE_DATA_DIR", str(tmp_path / "data"))
    return Store(url)


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """``tests/artifacts/``: screenshots and downloads of the browser tests (git-ignored)."""
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS_DIR


@pytest.fixture(scope="session")
def streamlit_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Folder of the served app's database, data and log."""
    return tmp_path_factory.mktemp("streamlit")


@pytest.fixture(scope="session")
def streamlit_db_url(streamlit_root: Path) -> str:
    """The database the served app uses (empty at start)."""
    return f"sqlite:///{streamlit_root / 'posture.db'}"


@pytest.fixture(scope="session")
def streamlit_server(streamlit_root: Path, streamlit_db_url: str) -> Iterator[str]:
    """The real app under ``streamlit run`` with an empty temporary database; yields its URL."""
    process, url = start_streamlit(
        streamlit_db_url, streamlit_root / "streamlit.log", data_dir=streamlit_root / "data"
    )
    try:
        yield url
    finally:
        stop_streamlit(process)


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    """Headless Debian Chromium driven by Playwright (never a downloaded browser)."""
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} not installed: run `make system-deps`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture()
def browser_page(chromium: object) -> Iterator[object]:
    """A fresh page (1440x1000, downloads accepted) in the shared Chromium."""
    context = chromium.new_context(  # type: ignore[attr-defined]
        viewport={"width": 1440, "height": 1000}, accept_downloads=True
    )
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture(scope="module")
def analysed_parkour_app(tmp_path_factory: pytest.TempPathFactory, parkour_clip: Path
                         ) -> Iterator[tuple[str, object, int]]:
    """(app URL, its store, the parkour clip's id): the shared clip analysed for two people
    into a database of its own, then the real app served on it (once per test module)."""
    from analysis.pipeline import PipelineSettings, analyse_file
    from analysis.store import Store

    root = tmp_path_factory.mktemp("analysed_app")
    store = Store(f"sqlite:///{root / 'posture.db'}")
    clip_id = analyse_file(store, parkour_clip, "Browser Athlete", "Rooftop",
                           PipelineSettings(max_people=2))
    process, url = start_streamlit(store.url, root / "streamlit.log", data_dir=root / "data")
    try:
        yield url, store, clip_id
    finally:
        stop_streamlit(process)
        store.close()


# --------------------------------------------------------------------------- synthetic clips

def squat_poses(n_frames: int = 90, fps: float = 30.0, width: int = 320, height: int = 240,
                track_id: int = 0, period_s: float = 1.5):
    """A person seen from the front doing squats: TrackPoses with (n, 33, 3) keypoints.

    Knees bend from straight to about 90 degrees and back every ``period_s``.
    """
    import numpy as np

    from analysis.store import TrackPoses
    from estimator.keypoints import KEYPOINT_INDEX

    t = np.arange(n_frames) / fps
    depth = 0.5 * (1 - np.cos(2 * np.pi * t / period_s))  # 0 standing .. 1 deepest
    cx, ground = width / 2, height * 0.92
    shank, thigh, trunk = height * 0.22, height * 0.22, height * 0.28
    kp = np.zeros((n_frames, 33, 3), np.float32)
    kp[..., 2] = 0.95

    def put(name: str, x, y) -> None:
        kp[:, KEYPOINT_INDEX[name], 0] = x
        kp[:, KEYPOINT_INDEX[name], 1] = y

    bend = depth * np.pi / 2  # knee flexion, radians
    for side, dx in (("left", 18.0), ("right", -18.0)):
        ankle_y = ground - 6
        knee_x = cx + dx + np.sign(dx) * shank * np.sin(bend / 2)
        knee_y = ankle_y - shank * np.cos(bend / 2)
        hip_y = knee_y - thigh * np.cos(bend / 2)
        put(f"{side}_ankle", cx + dx, ankle_y)
        put(f"{side}_heel", cx + dx - 2, ground)
        put(f"{side}_foot_index", cx + dx + np.sign(dx) * 10, ground)
        put(f"{side}_knee", knee_x, knee_y)
        put(f"{side}_hip", cx + dx * 0.8, hip_y)
        shoulder_y = hip_y - trunk
        put(f"{side}_shoulder", cx + dx * 1.4, shoulder_y)
        put(f"{side}_elbow", cx + dx * 1.6, shoulder_y + 25)
        put(f"{side}_wrist", cx + dx * 1.6, shoulder_y + 50)
        for part in ("pinky", "index", "thumb"):
            put(f"{side}_{part}", cx + dx * 1.6, shoulder_y + 56)
        put(f"{side}_eye_inner", cx + dx * 0.15, shoulder_y - 30)
        put(f"{side}_eye", cx + dx * 0.25, shoulder_y - 30)
        put(f"{side}_eye_outer", cx + dx * 0.35, shoulder_y - 30)
        put(f"{side}_ear", cx + dx * 0.5, shoulder_y - 26)
        put(f"mouth_{side}", cx + dx * 0.2, shoulder_y - 18)
    put("nose", cx, kp[:, KEYPOINT_INDEX["left_eye"], 1] + 6)
    xs, ys = kp[..., 0], kp[..., 1]
    boxes = np.stack([xs.min(1), ys.min(1), xs.max(1) - xs.min(1), ys.max(1) - ys.min(1)], 1)
    return TrackPoses(
        track_id=track_id, frames=np.arange(n_frames), times=t, present=np.ones(n_frames, bool),
        keypoints=kp, world=np.full((n_frames, 33, 3), np.nan, np.float32),
        scores=np.full(n_frames, 0.9, np.float32), boxes=boxes.astype(np.float32),
    )


def make_synthetic_clip(store, folder: Path, athlete: str = "Anna Lee",
                        session: str = "Squats", date=None, n_frames: int = 90,
                        fps: float = 30.0, period_s: float = 1.5,
                        size: tuple[int, int] = (320, 240)) -> int:
    """A squat clip in the store, as the pipeline would leave it, without the estimator:
    an H.264 video of ``n_frames`` grey frames of ``size`` (width, height) and the
    analysis of synthetic poses. Returns the clip id."""
    import numpy as np

    from analysis.filtering import CleanSettings
    from analysis.pipeline import file_sha256
    from analysis.store import TrackResult
    from analysis.track import analyse_track
    from dashboard.video_export import write_mp4

    folder.mkdir(parents=True, exist_ok=True)
    width, height = size
    video = folder / (f"squat-{athlete}-{session}-{date}-{period_s}-{width}x{height}.mp4"
                      .replace(" ", "_"))
    shade = np.linspace(60, 140, n_frames).astype(np.uint8)
    write_mp4(((np.full((height, width, 3), s, np.uint8), i / fps) for i, s in enumerate(shade)),
              video, fps)
    poses = squat_poses(n_frames, fps, width, height, period_s=period_s)
    analysis = analyse_track(poses.keypoints, None, poses.times, fps, CleanSettings())
    athlete_info = store.get_or_create_athlete(athlete)
    session_info = store.get_or_create_session(athlete_info.id, session, date)
    clip, _ = store.register_clip(
        session_info.id, file_name=video.name, stored_path=str(video),
        sha256=file_sha256(video), kind="video", fps=fps, width=width, height=height,
        frame_count=n_frames, duration_s=n_frames / fps, settings={},
    )
    store.write_clip_results(clip.id, [TrackResult(poses, analysis)])
    return clip.id
