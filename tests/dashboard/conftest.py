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

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS_DIR = PROJECT_ROOT / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STARTUP_TIMEOUT_S = 90.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200 and response.read().strip() == b"ok"
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


def start_streamlit(db_url: str, log_path: Path, data_dir: Path | None = None) -> tuple[
    subprocess.Popen[bytes], str
]:
    """Start the app with ``streamlit run`` on a free port; returns (process, base URL).

    Also used by ``bench/dashboard.py``. The caller stops the process.
    """
    port = free_port()
    env = dict(os.environ)
    env["POSTURE_DB_URL"] = db_url
    if data_dir is not None:
        env["POSTURE_DATA_DIR"] = str(data_dir)
    env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] = "false"
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p
    )
    log = open(log_path, "wb")  # noqa: SIM115 -- lives as long as the server
    process = subprocess.Popen(
        [
            sys.executable, "-m", "streamlit", "run", "streamlit_app.py",
            "--server.headless", "true",
            "--server.port", str(port),
            "--server.address", "127.0.0.1",
            "--server.fileWatcherType", "none",
            "--browser.gatherUsageStats", "false",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.close()
            raise RuntimeError(
                f"streamlit exited with {process.returncode}:\n{log_path.read_text()[-3000:]}"
            )
        if _healthy(url):
            return process, url
        time.sleep(0.25)
    stop_streamlit(process)
    log.close()
    raise RuntimeError(f"streamlit did not answer within {STARTUP_TIMEOUT_S:.0f} s")


def stop_streamlit(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """``tests/artifacts/``: screenshots and downloads of the browser tests (git-ignored)."""
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS_DIR


@pytest.fixture(scope="session")
def streamlit_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real app under ``streamlit run`` with an empty temporary database; yields its URL."""
    root = tmp_path_factory.mktemp("streamlit")
    process, url = start_streamlit(
        f"sqlite:///{root / 'posture.db'}", root / "streamlit.log", data_dir=root / "data"
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
