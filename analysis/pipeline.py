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

This module keeps the run itself (:func:`run_file`, :func:`analyse_file`: the clip's row
and its lifecycle in the store) and re-exports the names the pipeline always offered,
each from the module of its concern:

- :mod:`analysis.pipeline_settings`: :class:`PipelineSettings`, :func:`check_frame_rate`;
- :mod:`analysis.pose_stream`: the estimator streamed into a :class:`TrackCollector`,
  progress reporting, :func:`analyse_poses`;
- :mod:`analysis.run_outcome`: :class:`FileOutcome`, :class:`AnalysisCancelled`;
- :mod:`analysis.clip_file`: :func:`file_sha256`, the kept copy, messages naming the file;
- :mod:`analysis.stored_comparison`: :func:`compare_stored_clips`.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analysis.clip_file import _keep_copy, _user_message, file_sha256
from analysis.errors import AnalysisError
from analysis.pipeline_settings import PipelineSettings, _recorded_settings, check_frame_rate
from analysis.pose_stream import (
    PROGRESS_INTERVAL_S,
    ProgressCallback,
    TrackCollector,
    _estimate,
    analyse_poses,
)
from analysis.run_outcome import AnalysisCancelled, FileOutcome
from analysis.store import Store, TrackResult
from analysis.stored_comparison import compare_stored_clips

if TYPE_CHECKING:
    from estimator.types import FramePoses

__all__ = [
    "PROGRESS_INTERVAL_S",
    "AnalysisCancelled",
    "FileOutcome",
    "PipelineSettings",
    "ProgressCallback",
    "TrackCollector",
    "analyse_file",
    "analyse_poses",
    "check_frame_rate",
    "compare_stored_clips",
    "file_sha256",
    "run_file",
]


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


def _with_heartbeat(
    on_frame: Callable[[FramePoses], Any] | None, beat: Callable[[], None]
) -> Callable[[FramePoses], Any]:
    """``on_frame`` that first renews the clip's lease (``beat``, see
    :meth:`Store.heartbeat`: at most every 10 s), so other programs see the run is alive."""

    def frame_seen(frame_poses: FramePoses) -> Any:
        beat()
        return None if on_frame is None else on_frame(frame_poses)

    return frame_seen
