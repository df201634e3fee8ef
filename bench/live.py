"""Live page: frames analysed per second and end-to-end latency through the real WebRTC path.

Chromium's fake camera plays ``../shared/media/parkour_walk.mp4`` (640x480, 30 fps) to
the Live page of the real app; everything runs in a network namespace with only
loopback (``unshare -rn``; :mod:`tests.dashboard.live_session`). In the page, each
frame sent carries a 16-bit stamp drawn in its corner with the time it left
(``performance.now()``); the annotated frames coming back are read as they are
presented (``requestVideoFrameCallback``). So:

- **analysed fps**: distinct stamps received per second (a frame the server
  dropped never comes back; the frame repeated while the next one is analysed is
  counted once);
- **latency**: for each distinct stamp, its first arrival minus its departure
  (canvas -> encoder -> loopback -> server decode -> pose, angles, drawing ->
  encode -> browser decode -> presented).

The stamp is drawn twice, top left and bottom right, and a frame counts when either
copy reads with its check bits: the server's drawing (the athlete's label over a head
near the top) covered the single top-left stamp for runs of frames, which until then
were counted as never received (18-19 frames/s measured where the browser presented 26).
Beside the figures, the browser's own counts for the video coming back (WebRTC
``inbound-rtp`` statistics: frames received, decoded, dropped; packets lost; frames
presented), so a shortfall shows where it happens.

One athlete ("One athlete": single-person mode) and two people ("Several
people", the clip's two). Peer, in the same run: the estimator alone
(:class:`estimator.LiveTracker`, single-person) on the same 640x480 frames.
Figures only, never asserts. Targets: >= 20 fps analysed, median latency <= 150 ms.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from tests.dashboard.live_session import run_isolated  # noqa: E402

MEDIA = PROJECT_ROOT.parent / "shared" / "media" / "parkour_walk.mp4"
SECONDS = 20.0
TARGET_FPS, TARGET_LATENCY_MS = 20.0, 150.0


def _figures(received: list[list[float]]) -> tuple[float, float, float, int]:
    """(fps, median latency ms, 90th percentile ms, frames) of distinct stamps."""
    first: dict[int, tuple[float, float]] = {}
    for n, now, latency in received:
        if n not in first:
            first[int(n)] = (now, latency)
    if len(first) < 2:
        return 0.0, float("nan"), float("nan"), len(first)
    times = sorted(t for t, _ in first.values())
    lat = sorted(v for _, v in first.values())
    fps = (len(times) - 1) / ((times[-1] - times[0]) / 1000.0)
    return fps, statistics.median(lat), lat[int(0.9 * (len(lat) - 1))], len(first)


def estimator_alone(seconds: float = 8.0) -> float:
    """Frames per second of :class:`estimator.LiveTracker` (one person) on the same frames."""
    import cv2

    from estimator import Frame, LiveTracker, PoseEstimator, iter_frames

    images = [cv2.resize(f.image, (640, 480), interpolation=cv2.INTER_AREA)
              for f in iter_frames(MEDIA) if f.time < seconds]
    tracker = LiveTracker(PoseEstimator(max_people=1))
    tracker.step(Frame(0, 0.0, images[0]))  # warm-up
    start = time.perf_counter()
    for i, image in enumerate(images[1:], 1):
        tracker.step(Frame(i, i / 30.0, image))
    return (len(images) - 1) / (time.perf_counter() - start)


def main() -> None:
    if not MEDIA.exists():
        print(f"skipped: {MEDIA} not found (../shared/media beside the project)")
        return
    cores = len(os.sched_getaffinity(0))
    print(f"Live page, 640x480 fake camera at 30 fps, {SECONDS:.0f} s each, WebRTC on loopback; "
          f"{cores} cores, load average {os.getloadavg()[0]:.2f} at start "
          "(the machine is shared with other work: figures vary between runs)")
    for people in ("one", "several"):
        try:
            result = run_isolated(["--mode", "bench", "--media", str(MEDIA), "--people", people,
                                   "--seconds", str(SECONDS)], timeout_s=600)
        except (RuntimeError, AssertionError) as error:
            print(f"  {people}: not measured ({str(error)[:500]})")
            continue
        fps, median, p90, frames = _figures(result["received"])
        label = "one athlete " if people == "one" else "two people  "
        target = (f"  [targets: >= {TARGET_FPS:.0f} fps, median <= {TARGET_LATENCY_MS:.0f} ms]"
                  if people == "one" else "")
        print(f"  {label}: {fps:5.1f} fps analysed end to end, latency median {median:5.0f} ms, "
              f"p90 {p90:5.0f} ms ({frames} frames); page said: {result['page_rate']}{target}")
        inbound = result.get("inbound", {})
        if inbound:
            print(f"      browser, per second of video coming back: "
                  f"{inbound['framesReceived']:.1f} frames received, "
                  f"{inbound['framesDecoded']:.1f} decoded, {inbound['framesDropped']:.1f} "
                  f"dropped, {inbound['packetsLost']:.1f} packets lost; "
                  f"{result.get('presented', 0):.1f} presented "
                  f"({result.get('callbacks', 0):.1f} frame callbacks)")
    alone = estimator_alone()
    print(f"  peer, estimator alone (LiveTracker, one person, same frames, no WebRTC): "
          f"{alone:5.1f} fps; load average now {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
