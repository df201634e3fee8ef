"""CSV files a spreadsheet opens as they are: header row, dot decimal, comma, UTF-8.

- angles: one row per frame and track: who and what (``athlete, session, date, clip_id,
  file``), ``frame, time_s, track_id, is_athlete``, then one column per angle in degrees,
  named as in DESIGN.md with the unit (``left_knee_deg``, ..., ``trunk_lean_deg``, and
  ``<name>_3d_deg`` for angles from the world keypoints). Empty cell where not measured.
  Every value is in its definition range (:mod:`analysis.bounds`; segment angles in
  (-180, 180]).
- keypoints: ``frame, time_s, track_id``, then ``<keypoint>_x_px, <keypoint>_y_px,
  <keypoint>_v`` for the 33 keypoints (pixels, visibility 0-1), as the metrics read them
  (the coach's corrections applied); when the athlete's height is known, also
  ``<keypoint>_x_m, <keypoint>_y_m``: the same positions in metres (image axes, origin
  top-left, y down), with the scale measured on the athlete's body
  (:mod:`analysis.scale`), so empty for the other people.
- both end with ``sides_corrected``: how the frame's left and right were corrected,
  ``auto:legs`` (by the estimator), ``manual:body+arms+legs`` (by a coach), both, or empty;
  then ``joints_corrected``: the joints a coach moved or marked not visible in that frame
  (``moved:left_knee hidden:right_wrist``), or empty (:mod:`analysis.corrections`).
- summary: one row per track and angle: who and what (athlete, session, date, clip,
  file), ``min, max, rom, mean`` in degrees, and for an angle of a left/right pair the
  pair's ROM on each side and symmetry index (%). The statistics follow
  :mod:`analysis.angle_stats`: a segment angle's ``min``, ``max`` and ``mean`` in
  (-180, 180], its ``rom`` that of the continuous signal (360 or more for a full turn).

Both apply these rules to what they read, so a clip stored before they held (a
cleaned knee at -0.4, a forearm maximum of 456) is exported as the rules say.

Every text cell goes through :func:`neutralise`: a cell that a spreadsheet would run as
a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return: an athlete
named ``=HYPERLINK(...)``) gets a leading apostrophe, so it shows as typed. Numbers are
left alone (``-12.5`` stays a number).
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.angles import is_circular, wrap_deg
from analysis.bounds import clip_to_definition
from analysis.corrections import (
    JOINTS_COLUMN,
    SIDES_COLUMN,
    corrected_pose_table,
    with_side_marks,
)
from analysis.errors import AnalysisError
from analysis.store import POSE_COLUMNS, Store
from estimator.keypoints import KEYPOINT_NAMES

EXPORTS = ("angles", "keypoints", "summary")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

#: Decimals kept per kind of column (enough for the measurement, short for a spreadsheet).
ANGLE_DECIMALS = 3
TIME_DECIMALS = 6
PIXEL_DECIMALS = 2
METRE_DECIMALS = 4
VISIBILITY_DECIMALS = 4
#: The clip's identity in front of the angles CSV's rows (as in the summary).
IDENTITY_COLUMNS = ("athlete", "session", "date", "clip_id", "file")


def angle_column(name: str) -> str:
    """The CSV column of an angle: its DESIGN.md name with the unit, ``left_knee_deg``."""
    return f"{name}_deg"


def keypoint_columns(metres: bool = False) -> list[str]:
    """The keypoints CSV's position columns: ``<name>_x_px, <name>_y_px, <name>_v`` for the
    33 keypoints, then (``metres``) ``<name>_x_m, <name>_y_m``."""
    columns = [f"{n}_{c}" for n in KEYPOINT_NAMES for c in ("x_px", "y_px", "v")]
    if metres:
        columns += [f"{n}_{c}" for n in KEYPOINT_NAMES for c in ("x_m", "y_m")]
    return columns


def neutralise(value: object) -> object:
    """A text that a spreadsheet would read as a formula, made plain text with a ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell and column name neutralised; numbers untouched."""
    out = df.copy()
    out.columns = [neutralise(str(c)) for c in out.columns]
    for column in out.columns:
        series = out[column]
        if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            out[column] = series.map(neutralise)
    return out


def csv_text(df: pd.DataFrame) -> str:
    """The CSV text of a table: header, comma, dot decimal, no index, text neutralised."""
    buffer = io.StringIO()
    neutralise_frame(df).to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


def csv_bytes(df: pd.DataFrame) -> bytes:
    """:func:`csv_text` encoded UTF-8 (what a download button serves)."""
    return csv_text(df).encode("utf-8")


def write_csv(df: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write :func:`csv_text` to ``path`` (UTF-8), whole or not at all."""
    target = Path(path)
    text = csv_text(df)
    temporary = target.with_name(f".{target.name}.part")
    try:
        temporary.write_text(text, encoding="utf-8", newline="")
        temporary.replace(target)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise AnalysisError(f"Cannot write {target}: {error.strerror or error}") from error
    return target


def _round(df: pd.DataFrame, columns: list[str], decimals: int) -> None:
    if columns:
        df[columns] = df[columns].round(decimals)


def angles_table(
    store: Store, clip_id: int, track_id: int | None = None, *, cleaned: bool = True
) -> pd.DataFrame:
    """The angles export: the clip's identity, ``frame, time_s, track_id, is_athlete``,
    then one ``<angle>_deg`` column per angle (degrees), rows by frame then track."""
    df = store.read_angles(clip_id, track_id, cleaned=cleaned)
    angle_columns = [c for c in df.columns if c not in ("track_id", "frame", "time_s")]
    out = df[["frame", "time_s", "track_id", *angle_columns]].copy()
    out = out.sort_values(["frame", "track_id"], kind="stable").reset_index(drop=True)
    if angle_columns:
        out[angle_columns] = _in_range(out[angle_columns].to_numpy(dtype=float), angle_columns)
    _round(out, ["time_s"], TIME_DECIMALS)
    _round(out, angle_columns, ANGLE_DECIMALS)
    clip = store.get_clip(clip_id)
    out.insert(3, "is_athlete", out["track_id"] == clip.athlete_track)
    # Who and what on every row, so files of several clips can be stacked in one sheet.
    for position, (name, value) in enumerate(_identity(store, clip).items()):
        out.insert(position, name, value)
    out = out.rename(columns={c: angle_column(c) for c in angle_columns})
    return with_side_marks(out, store, clip_id, track_id)


def _identity(store: Store, clip: Any) -> dict[str, object]:
    session = store.get_session(clip.session_id)
    values = (session.athlete_name, session.title, session.date.isoformat(), clip.id,
              clip.file_name)
    return dict(zip(IDENTITY_COLUMNS, values, strict=True))


def _in_range(values: np.ndarray, names: list[str]) -> np.ndarray:
    """(rows, columns) angles, column ``j`` named ``names[j]``, in their definition
    ranges: joint angles clipped, segment angles wrapped into (-180, 180] (a no-op for
    what the analysis writes now)."""
    out = clip_to_definition(values, names)
    circular = np.array([is_circular(n) for n in names], dtype=bool)
    if circular.any():
        out[:, circular] = wrap_deg(out[:, circular])
    return out


def keypoints_table(store: Store, clip_id: int, track_id: int | None = None) -> pd.DataFrame:
    """The keypoints export: ``frame, time_s, track_id``, then ``<name>_x_px, _y_px, _v`` for
    the 33 keypoints (pixels and visibility) and, when a track has a scale (the athlete's
    height is known), ``<name>_x_m, _y_m`` (metres); rows by frame then track."""
    df = corrected_pose_table(store, clip_id, track_id)
    trim = store.get_clip(clip_id).trim
    if trim is not None:  # the coach's trim (analysis.store.trims): its frames only
        df = df[df["frame"].between(*trim)]
    marks = [SIDES_COLUMN, JOINTS_COLUMN]
    out = df[["frame", "time_s", "track_id", *POSE_COLUMNS, *marks]].copy()
    out = out.sort_values(["frame", "track_id"], kind="stable").reset_index(drop=True)
    _round(out, ["time_s"], TIME_DECIMALS)
    pixels = [c for c in POSE_COLUMNS if not c.endswith("_v")]
    _round(out, [c for c in POSE_COLUMNS if c.endswith("_v")], VISIBILITY_DECIMALS)
    scales = {t.track_id: t.scale_m_per_px for t in store.get_clip(clip_id).tracks
              if t.scale_m_per_px}
    if track_id is not None:
        scales = {t: s for t, s in scales.items() if t == track_id}
    if scales:
        # Metres from the unrounded pixels; a track without a scale (not the athlete,
        # or no height) has empty cells, never a guess.
        per_row = out["track_id"].map(scales).to_numpy(dtype=float)
        metres = out[pixels].to_numpy(dtype=float) * per_row[:, None]
        names = [c[:-2] + ("_x_m" if c.endswith("_x") else "_y_m") for c in pixels]
        block = pd.DataFrame(np.round(metres, METRE_DECIMALS), columns=names, index=out.index)
        out = pd.concat([out.drop(columns=marks), block, out[marks]], axis=1)
    _round(out, pixels, PIXEL_DECIMALS)
    return out.rename(columns={c: c + "_px" for c in pixels})


def _pair_of(angle: str) -> str | None:
    for side in ("left_", "right_"):
        if angle.startswith(side):
            return angle[len(side) :]
    return None


def summary_table(store: Store, clip_id: int, track_id: int | None = None) -> pd.DataFrame:
    """The summary export: per track and angle, min, max, ROM and mean (degrees, of the
    cleaned signal), with the left/right pair's ROMs and symmetry index."""
    clip = store.get_clip(clip_id)
    session = store.get_session(clip.session_id)
    summary = store.read_summary(clip_id, track_id)
    symmetry = store.read_symmetry(clip_id, track_id)
    stats = ["min", "max", "rom", "mean"]
    columns = [
        "athlete", "session", "date", "clip_id", "file", "track_id", "is_athlete", "angle",
        *stats, "pair", "rom_left", "rom_right", "si",
    ]
    if summary.empty or "angle" not in summary.columns:
        return pd.DataFrame(columns=columns)
    out = summary[["track_id", "angle"]].copy()
    for stat in stats:
        out[stat] = _cleaned_stat(summary, stat)
    names = [str(a) for a in out["angle"]]
    for stat in ("min", "max", "mean"):  # the rom of a segment angle may pass 360
        out[stat] = _in_range(out[stat].to_numpy(dtype=float)[None, :], names)[0]
    out["pair"] = out["angle"].map(_pair_of)
    if not symmetry.empty and "pair" in symmetry.columns:
        keep = [c for c in ("rom_left", "rom_right", "si") if c in symmetry.columns]
        out = out.merge(symmetry[["track_id", "pair", *keep]], on=["track_id", "pair"], how="left")
    for column in ("rom_left", "rom_right", "si"):
        if column not in out.columns:
            out[column] = np.nan
    athlete_track = clip.athlete_track
    out.insert(0, "athlete", session.athlete_name)
    out.insert(1, "session", session.title)
    out.insert(2, "date", session.date.isoformat())
    out.insert(3, "clip_id", clip.id)
    out.insert(4, "file", clip.file_name)
    out.insert(6, "is_athlete", out["track_id"] == athlete_track)
    out = out[columns]
    _round(out, [*stats, "rom_left", "rom_right"], ANGLE_DECIMALS)
    _round(out, ["si"], 2)
    return out


def _cleaned_stat(summary: pd.DataFrame, stat: str) -> pd.Series:
    """A statistic of the cleaned signal from the stored summary, whatever its layout."""
    for column in (stat, f"{stat}_cleaned", f"cleaned_{stat}", ("cleaned", stat)):
        if column in summary.columns:
            return summary[column].astype(float)
    return pd.Series(np.nan, index=summary.index)


def comparison_table(
    comparison: Any, clip_a: Any = None, clip_b: Any = None
) -> pd.DataFrame:
    """The comparison export: one row per angle, ``rom``, ``peak``, ``min``, ``mean`` of
    each clip and their difference (b - a, degrees), and the symmetry index of the angle's
    left/right pair (%). ``clip_a``/``clip_b`` (:class:`~analysis.store.ClipInfo`) add the
    clips' ids and file names in front."""
    out = comparison.differences.rename_axis("angle").reset_index()
    out["pair"] = out["angle"].map(_pair_of)
    symmetry = comparison.symmetry.rename_axis("pair").reset_index()
    keep = [c for c in ("si_a", "si_b", "si_diff") if c in symmetry.columns]
    out = out.merge(symmetry[["pair", *keep]], on="pair", how="left").drop(columns="pair")
    numbers = [c for c in out.columns if c != "angle"]
    _round(out, numbers, ANGLE_DECIMALS)
    front = {"by": comparison.by, "reps_a": comparison.n_a, "reps_b": comparison.n_b}
    if clip_a is not None and clip_b is not None:
        front = {
            "clip_a": clip_a.id, "file_a": clip_a.file_name,
            "clip_b": clip_b.id, "file_b": clip_b.file_name, **front,
        }
    for position, (name, value) in enumerate(front.items()):
        out.insert(position, name, value)
    return out


TABLES: dict[str, Callable[..., pd.DataFrame]] = {
    "angles": angles_table,
    "keypoints": keypoints_table,
    "summary": summary_table,
}


def export_clip(
    store: Store,
    clip_id: int,
    path: str | os.PathLike[str],
    what: str = "angles",
    *,
    track_id: int | None = None,
) -> Path:
    """Write one of the clip's CSV exports (``angles``, ``keypoints`` or ``summary``)."""
    if what not in TABLES:
        raise AnalysisError(f"Unknown export {what!r}; choose one of {', '.join(EXPORTS)}.")
    clip = store.get_clip(clip_id)
    if clip.status != "done":
        reason = f": {clip.error}" if clip.error else ""
        raise AnalysisError(f"Clip {clip_id} has no results to export ({clip.status}{reason}).")
    table = TABLES[what](store, clip_id, track_id)
    return write_csv(table, path)
