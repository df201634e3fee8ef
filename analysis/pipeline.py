"""One photo or clip end to end: estimator -> analysis -> store.

:func:`analyse_file` is what the command line and the dashboard call::

    store = Store()
    clip_id = analyse_file(store, "squat.mp4", athlete="Anna Lee", session="Squats",
                           settings=PipelineSettings(max_people=2), progress=bar_update,
                           cancel=stop_event)

Steps: probe the file (type by content, clear error for a bad file) -> sha256 of its
bytes (a file already analysed in the session is not analysed again: its clip id is
returned) -> estimator, frames streamed, only the poses kept (memory grows with the
number of poses, never with frames) -> each track analysed
(:func:`analysis.track.analyse_track`; a photo is one frame: angles, no time series) ->
everything written in one transaction (:meth:`Store.write_clip_results`), each track
analysed as it is written so that only one track's metrics are in memory at a time.

The clip row is created first (status ``running``), so the dashboard can show it. An
error marks it ``failed`` with the reason and is raised as
:class:`~analysis.errors.AnalysisError`; cancelling deletes it (nothing is left) and raises
:class:`AnalysisCancelled`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import inspect
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from analysis.errors import AnalysisError
from analysis.filtering import CleanSettings
from analysis.repetitions import RepSettings
from analysis.store import Store, TrackPoses, TrackResult, side_mask
from estimator.keypoints import NUM_KEYPOINTS

if TYPE_CHECKING:
    from estimator.types import FramePoses

#: ``progress(frames_done, frames_total, eta_s)``; ``eta_s`` is None until it can be told.
#: A callable taking two arguments is called with ``(frames_done, frames_total)``.
ProgressCallback = Callable[..., Any]

#: Seconds between two progress calls (the last frame is always reported).
PROGRESS_INTERVAL_S = 0.1


class AnalysisCancelled(AnalysisError):
    """The user cancelled the analysis of a clip; nothing of it was kept."""


@dataclass(frozen=True)
class PipelineSettings:
    """How a file is analysed; recorded with the clip (``Clip.settings``).

    Attributes
    ----------
    max_people
        Most people the estimator follows in a clip (or finds in a photo). When a
        ready ``estimator`` is passed to :func:`run_file`, its own limit applies (and is
        what the clip records).
    clean
        Clean-up of the angle signals (outliers, gaps, low-pass), see
        :class:`analysis.filtering.CleanSettings`.
    height_m
        The athlete's height in metres, for trajectories in metres; None uses the height
        stored with the athlete, if any. Applied to the athlete's track only (by default
        the person seen in the most frames).
    repetitions
        Which angle repetitions are counted in (None: the clearest cycle) and the
        smallest range counted, see :class:`analysis.repetitions.RepSettings`.
    """

    max_people: int = 4
    clean: CleanSettings = field(default_factory=CleanSettings)
    height_m: float | None = None
    repetitions: RepSettings = field(default_factory=RepSettings)

    def __post_init__(self) -> None:
        if not 1 <= int(self.max_people) <= 20:
            raise AnalysisError(f"People to analyse must be 1 to 20, got {self.max_people}.")
        if self.height_m is not None and not 0.5 <= float(self.height_m) <= 2.8:
            raise AnalysisError(f"Athlete height {self.height_m} is not in metres (0.5 to 2.8).")

    def to_dict(self) -> dict[str, Any]:
        return {
            "estimator": {"max_people": int(self.max_people)},
            "clean": self.clean.to_dict(),
            "height_m": self.height_m,
            "repetitions": self.repetitions.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PipelineSettings:
        return cls(
            max_people=int(data.get("estimator", {}).get("max_people", 4)),
            clean=CleanSettings.from_dict(data.get("clean", {})),
            height_m=data.get("height_m"),
            repetitions=RepSettings.from_dict(data.get("repetitions", {})),
        )


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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


def _resolve_session(
    store: Store, athlete: int | str, session: int | str, date: dt.date | None
) -> tuple[int, int, float | None]:
    """(athlete id, session id, athlete's height) — a name or title is created when missing
    (both in one transaction: a refused title leaves no new athlete)."""
    if isinstance(session, str):
        athlete_info, session_info = store.get_or_create_athlete_session(athlete, session, date)
        return athlete_info.id, session_info.id, athlete_info.height_m
    if isinstance(athlete, str):
        athlete_info = store.get_or_create_athlete(athlete)
    else:
        athlete_info = store.get_athlete(athlete)
    session_info = store.get_session(session)
    if session_info.athlete_id != athlete_info.id:
        raise AnalysisError(
            f"Session {session_info.id} belongs to {session_info.athlete_name}, "
            f"not to {athlete_info.name}."
        )
    return athlete_info.id, session_info.id, athlete_info.height_m


@dataclass(frozen=True)
class FileOutcome:
    """What :func:`run_file` did: the clip id, and whether the clip was already there."""

    clip_id: int
    reused: bool


def analyse_file(
    store: Store,
    path: str | os.PathLike[str],
    athlete: int | str,
    session: int | str,
    settings: PipelineSettings | None = None,
    **options: Any,
) -> int:
    """Analyse a photo or clip into the store; return its clip id.

    The same as :func:`run_file` (which documents the parameters and the keyword-only
    ``options``), for callers that do not need to know whether the clip was already in
    the session.
    """
    return run_file(store, path, athlete, session, settings, **options).clip_id


def run_file(
    store: Store,
    path: str | os.PathLike[str],
    athlete: int | str,
    session: int | str,
    settings: PipelineSettings | None = None,
    *,
    estimator: Any = None,
    progress: ProgressCallback | None = None,
    on_frame: Callable[[FramePoses], Any] | None = None,
    cancel: threading.Event | None = None,
    date: dt.date | None = None,
    copy_to: str | os.PathLike[str] | None = None,
    file_name: str | None = None,
) -> FileOutcome:
    """Analyse a photo or clip into the store: its clip id, and whether it was reused.

    Parameters
    ----------
    store
        Where the results go.
    path
        The photo or clip.
    athlete
        Athlete id, or name (created when missing).
    session
        Session id (must be the athlete's), or title (created when missing, on ``date``,
        default today).
    settings
        Estimator and clean-up settings (defaults: :class:`PipelineSettings`).
    estimator
        An ``estimator.PoseEstimator`` to reuse (its models stay loaded across files);
        one with ``settings.max_people`` is made when None.
    progress
        Called as ``progress(frames_done, frames_total, eta_s)`` while frames are
        estimated, at most every 0.1 s and once at the end.
    on_frame
        Called with each frame's people (``estimator.FramePoses``) as soon as the
        estimator has them, from the analysing thread: keep it quick. The dashboard
        shows who is being followed while a clip is analysed.
    cancel
        Set it (from another thread) to stop: the clip is then removed from the store and
        :class:`AnalysisCancelled` is raised.
    copy_to
        Folder in which to keep a copy of the file (named by its sha256 and the extension
        of its detected type), recorded as the clip's ``stored_path``; by default the clip
        points at ``path`` itself. Checked writable before any row is written.
    file_name
        The name to show for the file (an upload's original name); default ``path``'s.
        Error messages (raised, and kept with a failed clip) name the file so, never the
        path it is kept at.

    Raises
    ------
    AnalysisError
        Unreadable file, a clip too slow for the low-pass cut-off (refused before anything
        is written or estimated, see :func:`check_frame_rate`), estimator failure, bad
        settings, database trouble (the clip, if already registered, is then marked failed
        with the reason).
    AnalysisCancelled
        ``cancel`` was set.
    """
    from estimator import EstimatorError, content_suffix, probe

    settings = settings or PipelineSettings()
    source = Path(path)
    shown = file_name or str(path)  # messages name the user's file, never a server path
    try:
        info = probe(source)
    except EstimatorError as error:
        raise AnalysisError(_user_message(error, source, shown)) from error
    kind = "photo" if info.kind == "image" else "video"
    # Everything that would refuse the file is checked before a row is written.
    check_frame_rate(kind, info.fps, settings, shown)
    if copy_to is not None:
        from analysis.files import check_writable

        check_writable(Path(copy_to))
    sha256 = file_sha256(source)

    athlete_id, session_id, stored_height = _resolve_session(store, athlete, session, date)
    height_m = settings.height_m if settings.height_m is not None else stored_height
    stored_path = source.resolve()
    if copy_to is not None:  # named by content: sha256, and the extension of its type
        stored_path = Path(copy_to).resolve() / f"{sha256}{content_suffix(source)}"
    fps = float(info.fps) if kind == "video" else 0.0
    duration = info.frame_count / fps if fps > 0 else 0.0
    clip, created = store.register_clip(
        session_id,
        file_name=file_name or source.name,
        stored_path=str(stored_path),
        sha256=sha256,
        kind=kind,
        fps=fps,
        width=info.width,
        height=info.height,
        frame_count=info.frame_count,
        duration_s=duration,
        settings=_recorded_settings(settings, estimator, height_m),
    )
    if not created:
        return FileOutcome(clip.id, reused=True)

    try:
        if copy_to is not None and not stored_path.exists():
            _keep_copy(source, stored_path)
        store.set_clip_status(clip.id, "running")
        on_frame = _with_heartbeat(on_frame, store.heartbeat(clip.id))  # the run's lease
        collector = _estimate(source, settings, estimator, info.frame_count, progress,
                              on_frame, cancel)
        if cancel is not None and cancel.is_set():
            raise AnalysisCancelled("Analysis cancelled.")
        athlete_track = (
            max(collector.track_ids, key=lambda t: (collector.frames_seen(t), -t))
            if collector.track_ids
            else None
        )

        def results() -> Iterator[TrackResult]:
            for track_id in collector.track_ids:
                if cancel is not None and cancel.is_set():
                    raise AnalysisCancelled("Analysis cancelled.")
                poses = collector.track(track_id)
                height = height_m if track_id == athlete_track else None
                yield TrackResult(poses, analyse_poses(poses, kind, fps, settings, height))

        # The frames decoded, not the header's count: a container may overstate it.
        store.write_clip_results(clip.id, results(), athlete_track=athlete_track,
                                 frame_count=collector.frames_read)
    except AnalysisCancelled:
        store.delete_clip(clip.id)
        raise
    except EstimatorError as error:
        message = _user_message(error, source, shown)
        store.mark_failed(clip.id, message)
        raise AnalysisError(message) from error
    except AnalysisError as error:
        store.mark_failed(clip.id, _user_message(error, source, shown))
        raise
    except BaseException as error:
        store.mark_failed(clip.id, f"{type(error).__name__}: {_user_message(error, source, shown)}")
        raise
    return FileOutcome(clip.id, reused=False)


def check_frame_rate(kind: str, fps: float, settings: PipelineSettings, name: str) -> None:
    """Refuse, before anything is estimated, a clip whose frame rate the low-pass cannot
    use (a cut-off at or above half the frame rate, or no frame rate at all).

    The cut-off is the user's setting and is stored with the clip: it is never changed
    behind their back, so the clip is refused with what to do instead.
    """
    clean = settings.clean
    if kind != "video" or not clean.lowpass:
        return
    if not fps > 0:
        raise AnalysisError(
            f"{name}: the clip states no frame rate, so its angle curves cannot be smoothed: "
            "turn the smoothing off")
    if clean.cutoff_hz >= fps / 2:
        raise AnalysisError(
            f"{name}: at {fps:.3g} fps the clip is too slow for the {clean.cutoff_hz:g} Hz "
            f"smoothing (it needs more than {2 * clean.cutoff_hz:g} fps): lower the cut-off "
            f"below {fps / 2:.3g} Hz, or turn the smoothing off")


def _user_message(error: BaseException, source: Path, shown: str) -> str:
    """``error``'s message, naming the file as the user knows it (an upload's own name)
    wherever it named the path the server keeps it at."""
    reason = getattr(error, "reason", None)
    if reason is not None and getattr(error, "path", None) == str(source):
        return f"{shown}: {reason}"
    text = str(error)
    for where in sorted({str(source.resolve()), str(source)}, key=len, reverse=True):
        if where != shown:
            text = text.replace(where, shown)
    return text


def _keep_copy(source: Path, target: Path) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.part")
        shutil.copyfile(source, partial)
        partial.replace(target)
    except OSError as error:
        raise AnalysisError(
            f"Cannot keep a copy of {source.name} on the server: {error.strerror or error}"
        ) from error


def _recorded_settings(
    settings: PipelineSettings, estimator: Any, height_m: float | None
) -> dict[str, Any]:
    """What the clip is analysed with: a reused estimator's own people limit wins."""
    recorded = settings.to_dict()
    max_people = getattr(estimator, "max_people", None)
    if max_people is not None:
        recorded["estimator"]["max_people"] = int(max_people)
    recorded["height_m"] = height_m
    return recorded


def _with_heartbeat(
    on_frame: Callable[[FramePoses], Any] | None, beat: Callable[[], None]
) -> Callable[[FramePoses], Any]:
    """``on_frame`` that first renews the clip's lease (``beat``, see
    :meth:`Store.heartbeat`: at most every 10 s), so other programs see the run is alive."""

    def frame_seen(frame_poses: FramePoses) -> Any:
        beat()
        return None if on_frame is None else on_frame(frame_poses)

    return frame_seen


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
        from estimator import PoseEstimator

        estimator = PoseEstimator(max_people=settings.max_people)
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


def compare_stored_clips(
    store: Store,
    clip_a: int,
    clip_b: int,
    *,
    track_a: int | None = None,
    track_b: int | None = None,
    by: str = "auto",
) -> Any:
    """:func:`analysis.comparison.compare_clips` on two stored clips (differences b - a).

    Each clip contributes one person: ``track_a`` / ``track_b``, by default the clip's
    athlete track. Raises AnalysisError for an unknown clip, a clip not analysed (yet), a
    photo (no time to normalise), or a clip with nobody in it.
    """
    from analysis.comparison import compare_clips

    tables = []
    for clip_id, track_id in ((clip_a, track_a), (clip_b, track_b)):
        clip = store.get_clip(clip_id)
        if clip.status != "done":
            raise AnalysisError(f"Clip {clip_id} is not analysed ({clip.status}).")
        if clip.kind == "photo":
            raise AnalysisError(f"Clip {clip_id} is a photo: only clips can be compared.")
        chosen = track_id if track_id is not None else clip.athlete_track
        if chosen is None:
            raise AnalysisError(f"Clip {clip_id} has nobody in it to compare.")
        tables.append(store.read_tables(clip_id, chosen, ("angles", "repetitions")))
    a, b = tables
    return compare_clips(
        a["angles"],
        b["angles"],
        by=by,
        repetitions_a=a.get("repetitions"),
        repetitions_b=b.get("repetitions"),
    )
