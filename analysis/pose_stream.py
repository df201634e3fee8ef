"""The estimator's poses streamed into the analysis, one frame at a time.

- ``_estimate`` runs the estimator over a file, frame by frame, reporting progress (with an
  ETA, at most every :data:`PROGRESS_INTERVAL_S`) and honouring a cancel event;
- :class:`TrackCollector` keeps only each person's poses from that stream (never the
  frames), and gives one person's track as :class:`~analysis.store.TrackPoses`;
- :func:`analyse_poses` analyses one such track (:func:`analysis.track.analyse_track`);
- :func:`estimator_for` builds the estimator settings ask for (people limit, landmark
  model: a trained one is found and checked by :mod:`estimator.finetune.registry`).

Re-exported by :mod:`analysis.pipeline`.
"""

from __future__ import annotations

import inspect
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from analysis.errors import AnalysisError
from analysis.pipeline_settings import PipelineSettings
from analysis.store import TrackPoses, side_mask
from estimator.keypoints import NUM_KEYPOINTS

if TYPE_CHECKING:
    from estimator.types import FramePoses


#: ``progress(frames_done, frames_total, eta_s)``; ``eta_s`` is None until it can be told.
#: A callable taking two arguments is called with ``(frames_done, frames_total)``.
ProgressCallback = Callable[..., Any]

#: Seconds between two progress calls (the last frame is always reported).
PROGRESS_INTERVAL_S = 0.1


class _Reporter:
    """Calls the user's progress callback at most every PROGRESS_INTERVAL_S, with an ETA."""

    def __init__(self, callback: ProgressCallback | None, total: int) -> None:
        self.callback = callback
        self.total = max(int(total), 0)
        self.started = time.monotonic()
        self.last = -np.inf
        self.with_eta = callback is not None and _accepts_three(callback)

    def __call__(self, done: int, final: bool = False) -> None:
        if self.callback is None:
            return
        now = time.monotonic()
        if not final and now - self.last < PROGRESS_INTERVAL_S:
            return
        self.last = now
        total = max(self.total, done)
        if final:
            total = done
        elapsed = now - self.started
        eta = elapsed / done * (total - done) if done else None
        if self.with_eta:
            self.callback(done, total, eta)
        else:
            self.callback(done, total)


def _accepts_three(callback: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(callback).parameters.values()
    except (TypeError, ValueError):
        return True
    positional = [
        p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    return any(p.kind == p.VAR_POSITIONAL for p in parameters) or len(positional) >= 3


class TrackCollector:
    """Gathers each person's poses from a stream of ``FramePoses``; keeps no images.

    Memory: about 0.9 kB per person per frame (keypoints and world points as float32),
    plus 16 bytes per frame for the timeline.
    """

    def __init__(self) -> None:
        self._frames: list[int] = []
        self._times: list[float] = []
        # track id -> lists of (position in the timeline, person)
        self._positions: dict[int, list[int]] = {}
        self._keypoints: dict[int, list[np.ndarray]] = {}
        self._world: dict[int, list[np.ndarray]] = {}
        self._scores: dict[int, list[float]] = {}
        self._boxes: dict[int, list[np.ndarray]] = {}
        self._sides: dict[int, list[int]] = {}

    def add(self, frame_poses: Any) -> None:
        """Record one ``estimator.FramePoses``."""
        position = len(self._frames)
        self._frames.append(int(frame_poses.index))
        self._times.append(float(frame_poses.time))
        for person in frame_poses.people:
            tid = int(person.track_id)
            self._positions.setdefault(tid, []).append(position)
            # copies: a person's arrays may be views into the model's larger buffers
            self._keypoints.setdefault(tid, []).append(
                np.array(person.keypoints, dtype=np.float32)
            )
            world = person.world
            if world is None:
                world = np.full((NUM_KEYPOINTS, 3), np.nan)
            self._world.setdefault(tid, []).append(np.array(world, dtype=np.float32))
            self._scores.setdefault(tid, []).append(float(person.score))
            self._boxes.setdefault(tid, []).append(np.array(person.bbox, dtype=np.float32))
            self._sides.setdefault(tid, []).append(
                side_mask(getattr(person, "sides_swapped", ())))

    @property
    def frames_read(self) -> int:
        return len(self._frames)

    @property
    def track_ids(self) -> list[int]:
        return sorted(self._positions)

    def frames_seen(self, track_id: int) -> int:
        return len(self._positions[track_id])

    def track(self, track_id: int) -> TrackPoses:
        """One person's poses, dense from their first to their last frame (see TrackPoses)."""
        positions = np.asarray(self._positions[track_id])
        first, last = int(positions[0]), int(positions[-1])
        n = last - first + 1
        rows = positions - first
        keypoints = np.full((n, NUM_KEYPOINTS, 3), np.nan, dtype=np.float32)
        keypoints[:, :, 2] = 0.0
        world = np.full((n, NUM_KEYPOINTS, 3), np.nan, dtype=np.float32)
        boxes = np.full((n, 4), np.nan, dtype=np.float32)
        scores = np.zeros(n, dtype=np.float32)
        present = np.zeros(n, dtype=bool)
        sides = np.zeros(n, dtype=np.uint8)
        sides[rows] = self._sides[track_id]
        keypoints[rows] = np.stack(self._keypoints[track_id])
        world[rows] = np.stack(self._world[track_id])
        boxes[rows] = np.stack(self._boxes[track_id])
        scores[rows] = self._scores[track_id]
        present[rows] = True
        return TrackPoses(
            track_id=track_id,
            frames=np.asarray(self._frames[first : last + 1], dtype=np.int64),
            times=np.asarray(self._times[first : last + 1], dtype=np.float64),
            present=present,
            keypoints=keypoints,
            world=world,
            scores=scores,
            boxes=boxes,
            sides_swapped=sides,
        )


def analyse_poses(
    poses: TrackPoses,
    kind: str,
    fps: float,
    settings: PipelineSettings,
    height_m: float | None = None,
) -> Any:
    """:func:`analysis.track.analyse_track` of one track. A photo is one frame at time 0
    with frame rate 0: its angles, with ROMs of 0 and no repetitions."""
    from analysis.track import analyse_track

    return analyse_track(
        poses.keypoints,
        poses.world,
        poses.times,
        fps if kind == "video" else 0.0,
        settings.clean,
        height_m=height_m,
        rep_settings=settings.repetitions,
    )


def landmark_model_for(name: str | None) -> Any:
    """The trained landmark model ``name`` (an ``estimator.finetune.registry.UserModel``),
    checked (sha256, inputs and outputs); None for None or ``"default"``: the verified
    BlazePose weights. Raises AnalysisError, one line naming the model, when it is unknown
    or fails its checks."""
    from estimator.finetune.registry import ModelError, resolve

    try:
        return resolve(name)
    except ModelError as error:
        raise AnalysisError(str(error)) from error


def estimator_for(settings: PipelineSettings, landmark_model: Any = None,
                  **options: Any) -> Any:
    """A new ``estimator.PoseEstimator`` for ``settings``: its people limit and landmark
    model (``landmark_model`` when already loaded by :func:`landmark_model_for`, else
    ``settings.model``'s); ``options`` go to the estimator (threads...). Estimator errors
    (missing weights, a model that fails its checks) are raised as they are."""
    from estimator import PoseEstimator
    from estimator.finetune.registry import resolve

    if landmark_model is None:
        landmark_model = resolve(settings.model)
    return PoseEstimator(max_people=settings.max_people, landmark_model=landmark_model,
                         **options)


def _estimate(
    source: Path,
    settings: PipelineSettings,
    estimator: Any,
    frame_total: int,
    progress: ProgressCallback | None,
    on_frame: Callable[[FramePoses], Any] | None,
    cancel: threading.Event | None,
) -> TrackCollector:
    if estimator is None:
        estimator = estimator_for(settings)
    collector = TrackCollector()
    report = _Reporter(progress, frame_total)
    frames = estimator.process(source)
    try:
        for frame_poses in frames:
            collector.add(frame_poses)
            if on_frame is not None:
                on_frame(frame_poses)
            report(collector.frames_read)
            if cancel is not None and cancel.is_set():
                break
    finally:
        close = getattr(frames, "close", None)
        if close is not None:
            close()
    if cancel is None or not cancel.is_set():
        report(collector.frames_read, final=True)
    return collector
