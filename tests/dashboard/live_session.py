"""The Live page end to end in a real Chromium, every packet on loopback.

Run as a script inside a network namespace that has only loopback
(:func:`run_isolated`: ``unshare -rn``), so WebRTC cannot use any other address
of the machine: the app is served with ``POSTURE_ICE_ADDRESSES=127.0.0.1`` and
Chromium is started with ``--allow-loopback-in-peer-connection`` and a fake
camera fed from a ``.y4m`` file. Prints one JSON object on its last line.

``--mode test`` (the browser test): the Live page started, annotated frames
received, the angle readout changing, a recording of ``--record-s`` seconds saved
and opened analysed in the Clip view. ``--mode bench`` (``bench/live.py``): frames
received and end-to-end latency, measured in the page: each frame sent is stamped
(a 16-bit code, 12 bits of counter and 4 of check, in its top-left corner, drawn
on a canvas between the camera and the peer connection) with the time it left, and
the annotated frames coming back are read on arrival (``requestVideoFrameCallback``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from tests.dashboard.server import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    start_streamlit,
    stop_streamlit,
)

#: Stamp: 16 cells of CELL pixels along the top-left edge, white for 1.
STAMP_JS = r"""
(() => {
  const CELL = 16, BITS = 16, W = CELL * BITS + 8, H = CELL + 8;
  // top left and bottom right: the server's drawing (a label over a head near the top)
  // can cover one copy for a while; a frame counts when either reads with its check
  const CORNERS = [[0, 0], [640 - W, 480 - H]];
  // 12 bits of counter and 4 of check: a stamp blurred by the codec is not misread.
  const code = (n) => n | ((((n * 7) + 3) & 0xf) << 12);
  window.__live = {sent: {}, recv: [], counter: 0, pcs: []};
  // The page's peer connections, for the browser's own counts of the frames coming back.
  const OrigPC = window.RTCPeerConnection;
  window.RTCPeerConnection = function (...args) {
    const pc = new OrigPC(...args); window.__live.pcs.push(pc); return pc;
  };
  window.RTCPeerConnection.prototype = OrigPC.prototype;
  const orig = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    const cam = await orig(constraints);
    if (!constraints || !constraints.video) return cam;
    const video = document.createElement('video');
    video.muted = true; video.srcObject = cam; await video.play();
    const canvas = document.createElement('canvas');
    canvas.width = 640; canvas.height = 480;
    const ctx = canvas.getContext('2d');
    const draw = () => {
      ctx.drawImage(video, 0, 0, 640, 480);
      const n = (++window.__live.counter) & 0xfff, word = code(n);
      for (const [x0, y0] of CORNERS) {  // two copies: a drawing may cover one
        ctx.fillStyle = '#000'; ctx.fillRect(x0, y0, W, H);
        for (let b = 0; b < BITS; b++) {
          ctx.fillStyle = (word >> b) & 1 ? '#fff' : '#000';
          ctx.fillRect(x0 + 4 + b * CELL, y0 + 4, CELL, CELL);
        }
      }
      window.__live.sent[n] = performance.now();
      video.requestVideoFrameCallback(draw);
    };
    video.requestVideoFrameCallback(draw);
    const watch = () => {
      for (const v of document.querySelectorAll('video')) {
        if (v === video || v.__watched || !v.srcObject) continue;
        v.__watched = true;
        const c = document.createElement('canvas'); c.width = CELL * BITS + 8; c.height = CELL + 8;
        const cx = c.getContext('2d', {willReadFrequently: true});
        const read = (now, meta) => {
          window.__live.presented = (window.__live.presented || 0) + 1;
          window.__live.lastPresented = meta ? meta.presentedFrames : 0;
          if (v.videoWidth > 0) {  // the sender may scale the picture down under load
            const kx = v.videoWidth / 640, ky = v.videoHeight / 480;
            for (const [x0, y0] of CORNERS) {
              cx.drawImage(v, x0 * kx, y0 * ky, c.width * kx, c.height * ky,
                           0, 0, c.width, c.height);
              const px = cx.getImageData(0, 0, c.width, c.height).data;
              let n = 0;
              for (let b = 0; b < BITS; b++) {
                const x = 4 + b * CELL + CELL / 2, y = 4 + CELL / 2;
                if (px[(y * c.width + x) * 4] > 128) n |= 1 << b;
              }
              const sent = window.__live.sent[n & 0xfff];
              if (sent !== undefined && code(n & 0xfff) === n) {
                window.__live.recv.push([n, now, now - sent]);
                break;
              }
            }
          }
          v.requestVideoFrameCallback(read);
        };
        v.requestVideoFrameCallback(read);
      }
      setTimeout(watch, 200);
    };
    watch();
    return canvas.captureStream(30);
  };
})();
"""


#: The browser's counts for the video coming back (``inbound-rtp``), summed over the
#: page's peer connections: frames received, decoded, dropped before display.
INBOUND_STATS_JS = r"""
async () => {
  const out = {framesReceived: 0, framesDecoded: 0, framesDropped: 0, packetsLost: 0};
  for (const pc of window.__live.pcs) {
    const stats = await pc.getStats();
    stats.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video')
        for (const k of Object.keys(out)) out[k] += s[k] || 0;
    });
  }
  return out;
}
"""


def make_y4m(source: Path, target: Path, seconds: float = 8.0) -> Path:
    """``source`` as a 640x480 30 fps .y4m (Chromium's fake camera loops over it)."""
    import cv2
    import numpy as np

    from estimator import iter_frames

    with open(target, "wb") as out:
        out.write(b"YUV4MPEG2 W640 H480 F30:1 Ip A1:1 C420jpeg\n")
        for frame in iter_frames(source):
            if frame.time >= seconds:
                break
            image = cv2.resize(frame.image, (640, 480), interpolation=cv2.INTER_AREA)
            yuv = cv2.cvtColor(image, cv2.COLOR_BGR2YUV_I420)
            out.write(b"FRAME\n" + np.ascontiguousarray(yuv).tobytes())
    return target


def run_isolated(args: list[str], timeout_s: float) -> dict:
    """This script with ``args`` in a loopback-only network namespace; its JSON result.

    Raises ``RuntimeError`` (with the reason) when no such namespace can be made.
    """
    unshare = shutil.which("unshare")
    if unshare is None:
        raise RuntimeError("unshare (util-linux) is not installed")
    probe = subprocess.run([unshare, "-rn", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        raise RuntimeError(f"cannot make a network namespace: {probe.stderr.strip()}")
    done = subprocess.run([unshare, "-rn", sys.executable, str(Path(__file__)),
                           "--loopback-up", *args], capture_output=True,
                          text=True, timeout=timeout_s, cwd=PROJECT_ROOT)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise AssertionError(f"live session failed ({done.returncode}):\n"
                             f"{done.stdout[-4000:]}\n{done.stderr[-12000:]}")
    return json.loads(lines[-1])


def loopback_up() -> None:
    """Bring ``lo`` up in this (new) network namespace, as ``ip link set lo up`` does."""
    import fcntl
    import socket
    import struct

    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        flags = struct.unpack("16sh", fcntl.ioctl(sock, siocgifflags,
                                                  struct.pack("16sh", b"lo", 0)))[1]
        fcntl.ioctl(sock, siocsifflags, struct.pack("16sh", b"lo", flags | iff_up))


def _launch(playwright, y4m: Path):
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True,
        args=[*CHROMIUM_ARGS, "--allow-loopback-in-peer-connection",
              "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
              f"--use-file-for-fake-video-capture={y4m}",
              "--autoplay-policy=no-user-gesture-required"])


def _readout(page) -> str:
    return page.locator("[data-testid='stMetricValue']").first.inner_text(timeout=5_000)


def _start_recording(page) -> None:
    """Click Record and wait for the recording to run ("Stop recording" offered, the
    page's red "Recording" line). The button is enabled only while the camera plays, as
    the page last heard from the camera's component; a click that lands while a rerun
    redraws it is lost, as in any Streamlit page, so it is clicked once more if the
    recording has not started after 15 s."""
    stop = page.get_by_role("button", name="Stop recording")
    for attempt in range(2):
        record = page.get_by_role("button", name="Record", exact=True)
        record.wait_for(timeout=30_000)
        page.wait_for_function("() => [...document.querySelectorAll('button')].some("
                               "b => b.innerText.trim() === 'Record' && !b.disabled)",
                               timeout=30_000)
        record.click()
        try:
            stop.wait_for(timeout=15_000 if attempt == 0 else 30_000)
            break
        except Exception:
            if attempt == 1:
                raise
    page.get_by_text("● Recording").first.wait_for(timeout=30_000)


def session(mode: str, media: Path, people: str, seconds: float, record_s: float,
            artifacts: Path | None) -> dict:
    """One Live page session (see the module docstring); the figures seen."""
    from playwright.sync_api import sync_playwright

    from analysis.store import Store

    work = Path(tempfile.mkdtemp(prefix="live-"))
    y4m = make_y4m(media, work / "camera.y4m")
    db_url = f"sqlite:///{work / 'posture.db'}"
    store = Store(db_url)
    store.create_athlete("Live Athlete", 1.7)
    store.close()
    process, url = start_streamlit(db_url, work / "streamlit.log", data_dir=work / "data",
                                   extra_env={"POSTURE_ICE_ADDRESSES": "127.0.0.1"})
    result: dict = {"mode": mode, "people": people}
    try:
        with sync_playwright() as pw:
            browser = _launch(pw, y4m)
            page = browser.new_page(viewport={"width": 1440, "height": 1100})
            page.context.add_init_script(STAMP_JS if mode == "bench" else "")
            page.goto(f"{url}/live", wait_until="domcontentloaded")
            page.get_by_role("heading", name="Live").wait_for(timeout=60_000)
            page.get_by_label("Athlete").first.click()
            page.get_by_role("option", name="Live Athlete").click()
            if people != "one":
                page.get_by_text("Several people").click()
                page.wait_for_timeout(2_000)
            camera = page.frame_locator("iframe[title='streamlit_webrtc.component.webrtc_streamer']"
                                        ).first
            camera.get_by_role("button", name="Start").click(timeout=60_000)
            page.get_by_text("frames/s analysed").wait_for(timeout=90_000)
            if mode == "bench":
                page.wait_for_timeout(3_000)  # settle
                frames = [f for f in page.frames if f != page.main_frame]
                target = next(f for f in frames  # the camera's iframe (not the replay's)
                              if f.evaluate("window.__live ? window.__live.counter : 0") > 0)
                target.evaluate("window.__live.recv = []; window.__live.presented = 0")
                before = target.evaluate(INBOUND_STATS_JS)
                shown_before = target.evaluate("window.__live.lastPresented || 0")
                page.wait_for_timeout(int(seconds * 1000))
                recv = target.evaluate("window.__live.recv")
                after = target.evaluate(INBOUND_STATS_JS)
                result["callbacks"] = target.evaluate("window.__live.presented") / seconds
                result["presented"] = (target.evaluate("window.__live.lastPresented || 0")
                                       - shown_before) / seconds
                result["received"] = recv
                result["inbound"] = {k: (after.get(k, 0) - before.get(k, 0)) / seconds
                                     for k in after}
                result["page_rate"] = page.get_by_text("frames/s analysed").first.locator(
                    "xpath=..").inner_text()
            else:
                readings = set()
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline and len(readings) < 3:
                    readings.add(_readout(page))
                    page.wait_for_timeout(500)
                result["readings"] = sorted(readings)
                result["rate"] = page.get_by_text("frames/s analysed").first.inner_text()
                if artifacts is not None:
                    page.screenshot(path=str(artifacts / "live_page.png"), full_page=True)
                _start_recording(page)
                page.wait_for_timeout(int(record_s * 1000))
                page.get_by_role("button", name="Stop recording").click()
                try:
                    page.get_by_role("button", name="Open in the Clip view").wait_for(
                        timeout=300_000)
                except Exception:
                    if artifacts is not None:
                        page.screenshot(path=str(artifacts / "live_failed.png"),
                                        full_page=True)
                    raise
                page.get_by_role("button", name="Open in the Clip view").click()
                page.get_by_role("heading", name="Clip view").wait_for(timeout=60_000)
                page.get_by_text("live-").first.wait_for(timeout=60_000)
                # the recording itself, analysed: its player and its angle chart. The
                # player needs the clip's preview, built at a low CPU priority (nice 10)
                # behind whatever else runs: in a loaded full test run it once took over
                # 120 s (the frame and chart are shown meanwhile).
                page.locator("iframe[title='dashboard.player.clip_player']").wait_for(
                    timeout=360_000)
                page.locator(".st-key-clip_chart_fig .js-plotly-plot").first.wait_for(
                    timeout=120_000)
                page.wait_for_timeout(1_500)
                if artifacts is not None:
                    page.screenshot(path=str(artifacts / "live_clip_view.png"))
                store = Store(db_url)
                result["clips"] = [{"name": c.file_name, "status": c.status, "fps": c.fps,
                                    "frames": c.frame_count, "duration_s": c.duration_s,
                                    "tracks": len(c.tracks)} for c in store.list_clips()]
                store.close()
            browser.close()
    except BaseException:
        # the server's side of a failure, for the test's report
        print((work / "streamlit.log").read_text(errors="replace")[-6000:], file=sys.stderr)
        raise
    finally:
        stop_streamlit(process)
        result["log_tail"] = (work / "streamlit.log").read_text(errors="replace")[-1500:]
        shutil.rmtree(work, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["test", "bench"], default="test")
    parser.add_argument("--media", type=Path, required=True)
    parser.add_argument("--people", choices=["one", "several"], default="one")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--record-s", type=float, default=5.0)
    parser.add_argument("--artifacts", type=Path, default=None)
    parser.add_argument("--loopback-up", action="store_true")
    a = parser.parse_args()
    if a.loopback_up:
        loopback_up()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    print(json.dumps(session(a.mode, a.media, a.people, a.seconds, a.record_s, a.artifacts)))


if __name__ == "__main__":
    main()
