"""Every metric of one tracked person in one clip, computed together.

:func:`analyse_track` runs, on whole arrays:
angles (:mod:`analysis.angles`) -> clean-up (:mod:`analysis.filtering`) ->
summary -> repetitions (:mod:`analysis.repetitions`) -> symmetry
(:mod:`analysis.symmetry`) -> scale (:mod:`analysis.scale`) -> trajectories
(:mod:`analysis.trajectories`) -> jumps (:mod:`analysis.jumps`) -> phases
(:mod:`analysis.phases`).

The track's arrays are expected to hold one row per frame of the clip (a NaN
row where the person was not found), so that frames are evenly spaced at the
clip's frame rate, which the filters assume; the real timestamps are used for
times, durations and derivatives.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.angle_stats import summarise_angles
from analysis.angles import compute_angles
from analysis.errors import AnalysisError
from analysis.filtering import CleanSettings, clean_signals_detailed
from analysis.jumps import empty_jumps, find_jumps
from analysis.phases import empty_phases, phase_metrics
from analysis.rep_signals import RepetitionResult, find_repetitions
from analysis.repetitions import RepSettings
from analysis.scale import check_height, estimate_scale
from analysis.symmetry import symmetry_per_frame, symmetry_per_repetition, symmetry_summary
from analysis.trajectories import check_times, compute_trajectories

SUMMARY_COLUMNS: tuple[str, ...] = (
    "min", "max", "rom", "mean", "count",
    "raw_min", "raw_max", "raw_rom", "raw_mean", "raw_count",
    "filled", "outliers",
)


@dataclass(frozen=True)
class TrackAnalysis:
    """All metrics of one track. Angles in degrees, times in seconds.

    Every field is a DataFrame, a Series or a JSON-able value (str, float,
    dict, list), so the store can keep it as it is and rebuild it.

    Frame-indexed tables have index ``frame`` = 0..F-1, the position in the
    track's arrays (``times[frame]`` is its timestamp).

    Attributes
    ----------
    angles_raw
        (F, A): every angle of :func:`analysis.angles.compute_angles`, NaN
        where not visible enough; columns ``ANGLE_NAMES_2D`` then, with world
        keypoints, ``ANGLE_NAMES_3D``.
    angles
        (F, A): the same, cleaned with ``settings``.
    filled
        (F, A) bool: True where a gap was filled by interpolation.
    outliers
        (F, A) bool: True where the Hampel filter replaced a raw value.
    summary
        Index ``angle`` (A rows); columns :data:`SUMMARY_COLUMNS`: ``min``,
        ``max``, ``rom``, ``mean``, ``count`` of the cleaned angles, the same
        prefixed ``raw_`` for the raw ones, and ``filled``, ``outliers``
        (number of frames). Segment angles follow :mod:`analysis.angle_stats`:
        ``min``, ``max`` and ``mean`` in (-180, 180], ``rom`` of the continuous
        signal (360 or more for a full turn).
    symmetry
        Index ``pair`` (``knee``, ``knee_3d``, ``thigh``...); columns
        ``rom_left``, ``rom_right``, ``si``, ``mean_diff``, ``mean_abs_diff``,
        ``si_reps`` (see :func:`analysis.symmetry.symmetry_summary`).
    symmetry_per_frame
        (F, pairs): ``L - R`` per frame, degrees.
    symmetry_per_repetition
        Long table: ``rep``, ``pair``, ``rom_left``, ``rom_right``, ``si``.
    repetitions
        One row per repetition (see
        :func:`analysis.repetitions.detect_repetitions`); empty when the
        motion is not repetitive.
    rep_signal
        Name of the angle or pair the repetitions were found in (``knee``
        means the mean of ``left_knee`` and ``right_knee``): the one asked for
        (``rep_settings["angle"]``), or else the clearest cycle (see
        :mod:`analysis.rep_signals`); None when no candidate angle was ever seen.
    trajectories
        Long table, one row per frame and keypoint: ``frame``, ``time_s``,
        ``keypoint``, ``x``, ``y``, ``speed``, ``acceleration`` in
        ``trajectory_unit`` (see :class:`analysis.trajectories.Trajectories`).
    trajectory_summary
        Index ``keypoint``: ``path_length``, ``mean_speed``, ``max_speed``,
        ``max_acceleration``, ``coverage``.
    trajectory_unit
        ``"px"``, or ``"m"`` when the athlete's height gave a scale.
    scale_m_per_px
        Metres per pixel, or None.
    times
        Series ``time_s`` indexed by ``frame``: timestamps in seconds.
    fps
        The clip's frame rate.
    settings
        The clean-up settings used, as :meth:`CleanSettings.to_dict` (plain
        JSON, so the store keeps it as it is; :attr:`clean_settings` gives the
        dataclass back).
    rep_settings
        How repetitions were found, as :meth:`RepSettings.to_dict`: ``angle``
        (None: the clearest cycle), ``min_range_deg`` and the other thresholds.
    notes
        Plain sentences about what could not be done as asked (e.g. a height
        given but no frame showing the whole body), for the coach to read.
    jumps
        One row per flight found from the feet (:data:`analysis.jumps.JUMP_COLUMNS`):
        take-off and landing (positions and seconds), flight time, height by flight
        time, resolution, the hip's rise in metres when scaled; refused ones with the
        reason. Empty when there was none (and in tracks stored before jumps existed).
    phases
        Per phase of each jump and repetition, per joint angle: ROM and peak angular
        velocity (:data:`analysis.phases.PHASE_COLUMNS`).
    jump_note
        Why jumps were not looked for ("" when they were), e.g. feet out of the frame.
    """

    angles_raw: pd.DataFrame
    angles: pd.DataFrame
    filled: pd.DataFrame
    outliers: pd.DataFrame
    summary: pd.DataFrame
    symmetry: pd.DataFrame
    symmetry_per_frame: pd.DataFrame
    symmetry_per_repetition: pd.DataFrame
    repetitions: pd.DataFrame
    rep_signal: str | None
    trajectories: pd.DataFrame
    trajectory_summary: pd.DataFrame
    trajectory_unit: str
    scale_m_per_px: float | None
    times: pd.Series
    fps: float
    settings: dict
    rep_settings: dict
    notes: list[str] = field(default_factory=list)
    jumps: pd.DataFrame = field(default_factory=empty_jumps)
    phases: pd.DataFrame = field(default_factory=empty_phases)
    jump_note: str = ""

    @property
    def clean_settings(self) -> CleanSettings:
        """:attr:`settings` as a :class:`CleanSettings`."""
        return CleanSettings.from_dict(self.settings)


def _summary(
    raw: pd.DataFrame, cleaned: pd.DataFrame, filled: pd.DataFrame, outliers: pd.DataFrame
) -> pd.DataFrame:
    s = summarise_angles(cleaned)
    r = summarise_angles(raw).add_prefix("raw_")
    out = pd.concat([s, r], axis=1)
    out["filled"] = filled.to_numpy().sum(axis=0)
    out["outliers"] = outliers.to_numpy().sum(axis=0)
    return out[list(SUMMARY_COLUMNS)]


def analyse_track(
    keypoints: np.ndarray,
    world: np.ndarray | None,
    times: np.ndarray | None,
    fps: float,
    settings: CleanSettings | None = None,
    height_m: float | None = None,
    rep_angle: str | None = None,
    rep_settings: RepSettings | None = None,
) -> TrackAnalysis:
    """Every metric of one track.

    Parameters
    ----------
    keypoints
        (F, 33, 3): x_px, y_px, visibility per frame, NaN rows where the person
        is absent.
    world
        (F, 33, 3) world keypoints in metres, or None (then no ``_3d`` angles).
    times
        (F,) timestamps in seconds, strictly increasing (None:
        ``arange(F) / fps``).
    fps
        The clip's frame rate (0 for a photo).
    settings
        Clean-up settings (default :class:`CleanSettings`).
    height_m
        The athlete's standing height in metres, for trajectories in metres.
    rep_angle
        Angle or pair repetitions are found in; when given, it wins over
        ``rep_settings.angle`` (default: the clearest cycle, see
        :mod:`analysis.rep_signals`).
    rep_settings
        How repetitions are found (default :class:`RepSettings`).

    Raises
    ------
    AnalysisError
        Wrong array shapes, broken timestamps, a low-pass cut-off the frame
        rate cannot carry, an implausible height, an unknown ``rep_angle``.
    """
    settings = settings or CleanSettings()
    rep_settings = rep_settings or RepSettings()
    if rep_angle is not None:
        rep_settings = dataclasses.replace(rep_settings, angle=str(rep_angle))
    fps = float(fps or 0.0)
    if fps < 0 or not np.isfinite(fps):
        raise AnalysisError(f"frame rate must be positive, got {fps}")
    if height_m is not None:
        height_m = check_height(height_m)
    notes: list[str] = []

    angles_raw = compute_angles(keypoints, world, settings.visibility_threshold)
    n = len(angles_raw)
    t = check_times(times, n, fps)
    if n > 1 and fps > 0:
        longest = float(np.max(np.diff(t)))
        if longest > 2.5 / fps:
            notes.append(
                f"frame timestamps jump by up to {longest:.2f} s at {fps:g} fps; "
                "filters assume evenly spaced frames"
            )

    cleaned = clean_signals_detailed(angles_raw, fps, settings)
    angles = cleaned.values
    summary = _summary(angles_raw, angles, cleaned.filled, cleaned.outliers)

    found = find_repetitions(angles, t, fps, rep_settings)
    repetitions = found.repetitions
    per_rep = symmetry_per_repetition(angles, repetitions)
    sym_frames = symmetry_per_frame(angles)
    sym = symmetry_summary(angles, repetitions, per_rep, sym_frames, summary["rom"])

    scale = None
    if height_m is not None:
        scale = estimate_scale(keypoints, height_m, settings.visibility_threshold)
        if scale is None:
            notes.append(
                "athlete height given, but no frame shows the legs, trunk and head together: "
                "trajectories stay in pixels"
            )
    traj = compute_trajectories(keypoints, t, fps, settings, scale)
    jumps = find_jumps(keypoints, t, fps, scale, settings.visibility_threshold)
    phases = phase_metrics(angles, t, keypoints, jumps.table, repetitions,
                           settings.visibility_threshold)

    return TrackAnalysis(
        angles_raw=angles_raw,
        angles=angles,
        filled=cleaned.filled,
        outliers=cleaned.outliers,
        summary=summary,
        symmetry=sym,
        symmetry_per_frame=sym_frames,
        symmetry_per_repetition=per_rep,
        repetitions=repetitions,
        rep_signal=found.signal_name,
        trajectories=traj.frames,
        trajectory_summary=traj.summary,
        trajectory_unit=traj.unit,
        scale_m_per_px=scale,
        times=pd.Series(t, index=angles.index, name="time_s"),
        fps=fps,
        settings=settings.to_dict(),
        rep_settings=rep_settings.to_dict(),
        notes=notes,
        jumps=jumps.table,
        phases=phases,
        jump_note=jumps.note,
    )


@dataclass(frozen=True)
class RepetitionView:
    """Repetitions of a track found anew with other settings (see
    :func:`repetitions_of`): what the page shows, without storing anything.

    Attributes
    ----------
    found
        The signal, its name, the repetitions, whether the signal was chosen
        automatically, the clarity (:class:`analysis.rep_signals.RepetitionResult`).
    symmetry_per_repetition
        As :attr:`TrackAnalysis.symmetry_per_repetition`, for these repetitions.
    symmetry
        As :attr:`TrackAnalysis.symmetry`, ``si_reps`` from these repetitions.
    settings
        The settings used.
    """

    found: RepetitionResult
    symmetry_per_repetition: pd.DataFrame
    symmetry: pd.DataFrame
    settings: RepSettings


def repetitions_of(analysis: TrackAnalysis, settings: RepSettings) -> RepetitionView:
    """Repetitions and repetition symmetry of an analysed track, found in its
    cleaned angles with ``settings`` (an angle chosen, or None for the clearest
    cycle; a minimum range). Nothing is stored: the dashboard calls this when the
    coach picks another angle or threshold.

    Raises :class:`AnalysisError` for an angle the track does not have.
    """
    angles = analysis.angles
    times = analysis.times.to_numpy(dtype=float)
    found = find_repetitions(angles, times, analysis.fps, settings)
    per_rep = symmetry_per_repetition(angles, found.repetitions)
    sym = symmetry_summary(angles, found.repetitions, per_rep, analysis.symmetry_per_frame,
                           analysis.summary["rom"])
    return RepetitionView(found, per_rep, sym, settings)
