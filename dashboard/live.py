"""The Live page's work on each camera frame: poses, angles, drawing, counts, warnings.

streamlit-webrtc hands the frames the server received since the last call to
:meth:`LiveProcessor.process` (in its own worker thread). Only the newest is
analysed: when the server cannot keep up, frames are dropped rather than
queued, so the picture sent back stays current (latency does not build up).
Every received frame still goes to the recording, as received.

For the frame analysed: people (:class:`estimator.LiveTracker`: the clips'
tracking, no look-ahead), their angles (:func:`analysis.compute_angles`),
the drawing of the Clip view (:func:`dashboard.clipdata.annotators`), the
repetition counter on the chosen joint (:class:`analysis.live_repetitions.
LiveRepCounter`) and the checks (:mod:`analysis.live_checks`). The annotated
frame is also kept (JPEG) for the delayed replay.

The page reads :meth:`LiveProcessor.snapshot` (thread-safe) to show the numbers.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from analysis import compute_angles
from analysis.live_checks import parts_out_of_picture, too_dark
from analysis.live_repetitions import LiveRepCounter, LiveReps
from dashboard.clipdata import annotators
from dashboard.live_recording import Recorder
from estimator import Frame, LiveTracker

#: Seconds of annotated frames kept for the delayed replay (its longest delay, plus slack).
REPLAY_KEEP_S = 32.0
REPLAY_JPEG_QUALITY = 75
#: The achieved rate is measured over this many seconds.
RATE_WINDOW_S = 2.0

_ESTIMATORS: dict[tuple[int, str | None], tuple[Any, threading.Lock]] = {}
_ESTIMATORS_LOCK = threading.Lock()


def live_estimator(max_people: int, model: str | None = None) -> tuple[Any, threading.Lock]:
    """The live streams' estimator for up to ``max_people`` people reading with ``model``
    (a trained landmark model's name, checked by :func:`estimator.finetune.registry.load`;
    None: the verified BlazePose weights) and the lock its users hold; loaded once per
    process, apart from the uploads' (whose analyses hold theirs for a whole clip: a
    recording being analysed must not stop the live picture)."""
    key = (int(max_people), model or None)
    with _ESTIMATORS_LOCK:
        found = _ESTIMATORS.get(key)
        if found is None:
            from estimator import PoseEstimator
            from estimator.finetune.registry import resolve

            found = _ESTIMATORS[key] = (
                PoseEstimator(max_people=key[0], landmark_model=resolve(key[1])),
                threading.Lock())
        return found


@dataclass(frozen=True)
class LiveSnapshot:
    """What the page shows beside the picture.

    ``angles``: angle name -> degrees of the athlete followed (NaN: not seen);
    ``processed_fps`` frames analysed a second, ``received_fps`` frames received a
    second (both over the last 2 s); ``warnings`` short sentences; ``reps`` the
    counter; ``recording_s`` seconds recorded (None when not recording).
    """

    frames: int
    processed_fps: float
    received_fps: float
    people: int
    angles: dict[str, float]
    reps: LiveReps | None
    warnings: tuple[str, ...]
    recording_s: float | None
    latency_ms: float


@dataclass
class LiveSettings:
    """What the user chose on the page (read on every frame)."""

    angles: tuple[str, ...] = ("left_knee", "right_knee")
    rep_angle: str = "knee"
    athlete_name: str = ""


@dataclass
class _Rates:
    times: deque[float] = field(default_factory=deque)

    def tick(self, now: float) -> None:
        self.times.append(now)
        while self.times and self.times[0] < now - RATE_WINDOW_S:
            self.times.popleft()

    def rate(self, now: float) -> float:
        recent = [t for t in self.times if t >= now - RATE_WINDOW_S]
        if len(recent) < 2:
            return 0.0
        return (len(recent) - 1) / max(recent[-1] - recent[0], 1e-6)


class LiveProcessor:
    """One camera stream's processing (one per browser session and stream).

    ``estimator`` is shared between streams; ``lock`` serialises its use.
    """

    def __init__(self, estimator: Any, lock: threading.Lock,
                 settings: LiveSettings | None = None) -> None:
        self.settings = settings or LiveSettings()
        self._lock = lock
        self._tracker = LiveTracker(estimator)
        self._counter = LiveRepCounter(self.settings.rep_angle)
        self._state_lock = threading.Lock()
        self._received, self._processed = _Rates(), _Rates()
        self._replay_times: list[float] = []
        self._replay: list[bytes] = []
        self._recorder: Recorder | None = None
        self._frames = 0
        self._index = 0
        self._t0: float | None = None
        self._snapshot = LiveSnapshot(0, 0.0, 0.0, 0, {}, None, (), None, float("nan"))

    # ------------------------------------------------------------------ controls

    def set_rep_angle(self, name: str) -> None:
        """Count repetitions in ``name`` from now on (the count starts again)."""
        with self._state_lock:
            if name != self._counter.angle:
                self.settings.rep_angle = name
                self._counter = LiveRepCounter(name)

    def reset_count(self) -> None:
        with self._state_lock:
            self._counter.reset()

    def start_recording(self, recorder: Recorder) -> None:
        with self._state_lock:
            if self._recorder is not None:
                self._recorder.abandon()
            self._recorder = recorder

    def stop_recording(self) -> Recorder | None:
        """The recorder (the caller finishes it with ``stop()``), None when not recording."""
        with self._state_lock:
            recorder, self._recorder = self._recorder, None
        return recorder

    @property
    def recording(self) -> bool:
        return self._recorder is not None

    def snapshot(self) -> LiveSnapshot:
        with self._state_lock:
            return self._snapshot

    def replay_frame(self, delay_s: float) -> np.ndarray | None:
        """The annotated frame shown ``delay_s`` seconds ago (BGR), None if none yet."""
        now = time.monotonic()
        with self._state_lock:
            i = bisect.bisect_right(self._replay_times, now - delay_s) - 1
            data = self._replay[i] if i >= 0 else None
        if data is None:
            return None
        return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)

    # ------------------------------------------------------------------ frames

    def process(self, frames: list[Any]) -> list[Any]:
        """streamlit-webrtc's queued-frames callback: ``av.VideoFrame`` s in, the newest
        one annotated out (the others are recorded, not analysed)."""
        import av

        now = time.monotonic()
        recorder = self._recorder
        for frame in frames:
            self._received.tick(now)
            if recorder is not None:
                recorder.add(frame.to_ndarray(format="bgr24"), self._time_of(frame, now))
        newest = frames[-1]
        image = newest.to_ndarray(format="bgr24")
        annotated = self.annotate(image, self._time_of(newest, now))
        out = av.VideoFrame.from_ndarray(annotated, format="bgr24")
        out.pts, out.time_base = newest.pts, newest.time_base
        return [out]

    def _time_of(self, frame: Any, now: float) -> float:
        """Seconds on the browser's capture clock (RTP timestamps), else on ours."""
        t = frame.time
        if t is None:
            if self._t0 is None:
                self._t0 = now
            return now - self._t0
        return float(t)

    def annotate(self, image: np.ndarray, time_s: float) -> np.ndarray:
        """Analyse one BGR (H, W, 3) uint8 frame taken at ``time_s`` s; returns it drawn."""
        started = time.monotonic()
        height, width = image.shape[:2]
        with self._lock:
            poses = self._tracker.step(Frame(self._index, time_s, image))
        self._index += 1
        settings = self.settings
        athlete = max(poses.people, key=lambda p: p.bbox[2] * p.bbox[3], default=None)
        values: dict[int, dict[str, float]] = {}
        for person in poses.people:
            table = compute_angles(person.keypoints[None], person.world[None])
            values[person.track_id] = {k: float(v) for k, v in table.iloc[0].items()}
        warnings: list[str] = []
        if too_dark(image):
            warnings.append("Too dark for a confident reading: add light or face the light.")
        if athlete is None:
            warnings.append("Nobody in the picture.")
        else:
            missing = parts_out_of_picture(athlete.keypoints, width, height)
            if missing:
                warnings.append("Not fully in the picture (" + ", ".join(missing)
                                + " not seen): step back or move the camera.")
        skeleton, angle_drawer, ids = annotators(
            athlete.track_id if athlete is not None else None, settings.athlete_name,
            tuple(settings.angles))
        skeleton.annotate(image, poses.people)
        angle_drawer.annotate(image, poses.people, values)
        ids.annotate(image, poses.people)
        chosen = values.get(athlete.track_id, {}) if athlete is not None else {}
        with self._state_lock:
            reps = self._counter.push(time_s, chosen) if athlete is not None \
                else self._counter.state()
        ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, REPLAY_JPEG_QUALITY])
        now = time.monotonic()
        self._processed.tick(now)
        recorder = self._recorder
        with self._state_lock:
            if ok:
                self._replay_times.append(now)
                self._replay.append(jpeg.tobytes())
                cut = bisect.bisect_left(self._replay_times, now - REPLAY_KEEP_S)
                del self._replay_times[:cut], self._replay[:cut]
            self._frames += 1
            self._snapshot = LiveSnapshot(
                frames=self._frames,
                processed_fps=self._processed.rate(now),
                received_fps=self._received.rate(now),
                people=len(poses.people),
                angles={n: chosen.get(n, float("nan")) for n in settings.angles},
                reps=reps,
                warnings=tuple(warnings),
                recording_s=recorder.elapsed_s if recorder is not None else None,
                latency_ms=(now - started) * 1000.0,
            )
        return image
