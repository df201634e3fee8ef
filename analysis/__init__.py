"""Poses to numbers, and the database that keeps them.

The public surface of the analysis layer (see ``DESIGN.md``):

- metrics, pure functions on arrays: :func:`compute_angles`, :func:`clean_signals` with
  :class:`CleanSettings`, :func:`analyse_track` -> :class:`TrackAnalysis`,
  :func:`compare_clips` -> :class:`Comparison`;
- the store (:mod:`analysis.store`): :class:`Store` and the records it returns;
- the pipeline (:mod:`analysis.pipeline`): :func:`analyse_file` runs a photo or clip
  through the estimator and the analysis into the store;
- CSV exports (:mod:`analysis.export`).

Errors a user can cause raise :class:`AnalysisError` with a one-line message.
"""

from analysis.angles import compute_angles
from analysis.comparison import Comparison, compare_clips
from analysis.errors import AnalysisError
from analysis.export import (
    angles_table,
    comparison_table,
    csv_bytes,
    export_clip,
    keypoints_table,
    neutralise,
    summary_table,
    write_csv,
)
from analysis.filtering import CleanSettings, clean_signals
from analysis.pipeline import (
    AnalysisCancelled,
    FileOutcome,
    PipelineSettings,
    analyse_file,
    compare_stored_clips,
    run_file,
)
from analysis.store import (
    AthleteInfo,
    ClipInfo,
    SessionInfo,
    Store,
    TrackInfo,
    TrackPoses,
    TrackResult,
)
from analysis.track import TrackAnalysis, analyse_track

__all__ = [
    "AnalysisCancelled",
    "AnalysisError",
    "AthleteInfo",
    "CleanSettings",
    "ClipInfo",
    "Comparison",
    "FileOutcome",
    "PipelineSettings",
    "SessionInfo",
    "Store",
    "TrackAnalysis",
    "TrackInfo",
    "TrackPoses",
    "TrackResult",
    "analyse_file",
    "analyse_track",
    "angles_table",
    "clean_signals",
    "compare_clips",
    "compare_stored_clips",
    "comparison_table",
    "compute_angles",
    "csv_bytes",
    "export_clip",
    "keypoints_table",
    "neutralise",
    "run_file",
    "summary_table",
    "write_csv",
]
