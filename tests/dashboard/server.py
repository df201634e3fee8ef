"""Serving the real app for browser tests and the dashboard benchmark.

:func:`start_streamlit` runs ``streamlit run streamlit_app.py`` on a free
localhost port with its own database URL and data folder, and returns once the
server answers its health check; :func:`stop_streamlit` ends it. Chromium is
Debian's (``/usr/bin/chromium``), never a browser downloaded by Playwright.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
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


def start_streamlit(db_url: str, log_path: Path, data_dir: Path | None = None,
                    extra_env: dict[str, str] | None = None,
                    address: str | None = "127.0.0.1") -> tuple[
    subprocess.Popen[bytes], str
]:
    """Start the app with ``streamlit run`` on a free port; returns (process, base URL).

    ``address`` is passed as ``--server.address``; None leaves it to
    ``.streamlit/config.toml`` (the product's default). Also used by
    ``bench/dashboard.py``. The caller stops the process.
    """
    port = free_port()
    env = dict(os.environ)
    env["POSTURE_DB_URL"] = db_url
    if data_dir is not None:
        env["POSTURE_DATA_DIR"] = str(data_dir)
    env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] = "false"
    env.update(extra_env or {})
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p
    )
    log = open(log_path, "wb")  # noqa: SIM115 -- lives as long as the server
    bind = ["--server.address", address] if address is not None else []
    process = subprocess.Popen(
        [
            sys.executable, "-m", "streamlit", "run", "streamlit_app.py",
            "--server.headless", "true",
            "--server.port", str(port),
            *bind,
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


def show_clip_section(page, name: str) -> None:
    """In a browser page on the Clip view, choose the section shown below the viewer
    (``Summary``, ``Notes and marks``, ``Correct joints``, ``Downloads and report``)."""
    option = page.locator(".st-key-clip_section label").filter(has_text=name).first
    option.wait_for(timeout=120_000)
    option.click()
