"""The Live page in a real Chromium with a fake camera, every packet on loopback.

The app and Chromium run in a network namespace with only loopback (``unshare -rn``,
see :mod:`tests.dashboard.live_session`), the camera fed from a ``.y4m`` made at test
time from ``../shared/media/parkour_walk.mp4`` (640x480). The Live page is started,
annotated frames come back, the angle readout changes, a 5 s recording is saved and
opened analysed in the Clip view. No timed asserts: rates are only printed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.dashboard.live_session import run_isolated
from tests.dashboard.server import CHROMIUM

pytestmark = [pytest.mark.browser, pytest.mark.media]

RECORD_S = 5.0


def test_live_camera_annotated_counted_recorded_and_analysed(parkour_clip: Path,
                                                              artifacts_dir: Path):
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (make system-deps installs it)")
    try:
        result = run_isolated(["--mode", "test", "--media", str(parkour_clip),
                               "--record-s", str(RECORD_S), "--artifacts", str(artifacts_dir)],
                              timeout_s=900)
    except RuntimeError as error:  # no network namespace here: nothing may leave loopback
        pytest.skip(f"no loopback-only network namespace: {error}")
    print("live:", result["rate"], "readings", result["readings"])
    # Annotated frames came back (the page counts them) and the readout moved.
    assert re.match(r"\d+ frames/s analysed", result["rate"])
    assert len(set(result["readings"])) >= 2
    # The recording: one clip, analysed, about 5 s long, the athlete found.
    (clip,) = result["clips"]
    assert clip["name"].startswith("live-") and clip["name"].endswith(".mp4")
    assert clip["status"] == "done"
    assert RECORD_S - 1.0 <= clip["duration_s"] <= RECORD_S + 3.0
    assert clip["frames"] >= 2 * RECORD_S and clip["tracks"] >= 1
