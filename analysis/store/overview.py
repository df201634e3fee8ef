"""Overviews across clips and sessions: every clip in one table, an athlete's tables and
progress over dates, the database's size."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from analysis.errors import AnalysisError
from analysis.store.athletes import athlete_row
from analysis.store.base import StoreBase
from analysis.store.encoding import _frame_from_parquet
from analysis.store.engine import _guarded
from analysis.store.models import Athlete, Clip, MetricChunk, Track, TrainingSession

SUMMED = frozenset({"repetitions", "jumps"})  # per session: the sum of its clips'
BEST = frozenset({"jump_height_cm", "jump_flight_s"})  # per session: the best clip's


def _jump_rows(head: tuple, jumps: pd.DataFrame | None) -> list[tuple[Any, ...]]:
    """Progress rows of one clip's jumps table: how many were measured, the best height by
    each method (cm) and the longest flight (s); none for a clip without a measured jump
    (or analysed before jumps were looked for)."""
    if jumps is None or "status" not in jumps.columns:
        return []
    ok = jumps[jumps["status"] == "ok"]
    if ok.empty:  # a squat or a walk: no jump rows, rather than zeros
        return []
    rows: list[tuple[Any, ...]] = [(*head, "jumps", "jumps", float(len(ok)))]
    for column, name in (("height_m", "flight_time"), ("hip_rise_m", "hip_rise")):
        best = ok[column].max()
        if pd.notna(best):
            rows.append((*head, "jump_height_cm", name, float(best) * 100.0))
    rows.append((*head, "jump_flight_s", "flight_time", float(ok["flight_s"].max())))
    return rows


class Overviews(StoreBase):
    """Lists and progress across clips, sessions and athletes."""

    @_guarded
    def overview(self) -> pd.DataFrame:
        """Every clip with its athlete and session, one row each (for lists and search):
        athlete_id, athlete, session_id, date, session, tags, clip_id, file_name, kind,
        status, error, frame_count, duration_s, n_tracks, athlete_track."""
        with self._reading() as session:
            n_tracks = (
                select(func.count(Track.id)).where(Track.clip_id == Clip.id).scalar_subquery()
            )
            athlete_track = (
                select(Track.track_id)
                .where(Track.clip_id == Clip.id, Track.is_athlete.is_(True))
                .limit(1)
                .scalar_subquery()
            )
            rows = session.execute(
                select(
                    Athlete.id,
                    Athlete.name,
                    TrainingSession.id,
                    TrainingSession.date,
                    TrainingSession.title,
                    TrainingSession.tags,
                    Clip.id,
                    Clip.file_name,
                    Clip.kind,
                    Clip.status,
                    Clip.error,
                    Clip.frame_count,
                    Clip.duration_s,
                    n_tracks,
                    athlete_track,
                )
                .select_from(Athlete)
                .outerjoin(TrainingSession, TrainingSession.athlete_id == Athlete.id)
                .outerjoin(Clip, Clip.session_id == TrainingSession.id)
                .order_by(Athlete.name_key, TrainingSession.date, TrainingSession.id, Clip.id)
            ).all()
        columns = [
            "athlete_id", "athlete", "session_id", "date", "session", "tags", "clip_id",
            "file_name", "kind", "status", "error", "frame_count", "duration_s", "n_tracks",
            "athlete_track",
        ]
        out = pd.DataFrame([tuple(r) for r in rows], columns=columns)
        for column in ("session_id", "clip_id", "frame_count", "n_tracks", "athlete_track"):
            out[column] = out[column].astype("Int64")
        out.loc[out["clip_id"].isna(), "n_tracks"] = pd.NA
        return out

    @_guarded
    def athlete_tables(
        self, athlete: int | str,
        kinds: Sequence[str] = ("summary", "symmetry", "repetitions", "jumps"),
    ) -> pd.DataFrame:
        """Per-track tables of every finished clip's athlete track, in ONE query.

        Columns: session_id, date, session, clip_id, file_name, track_id, rep_signal, kind,
        table (the stored DataFrame). The building block of :meth:`progress`.
        """
        with self._reading() as session:
            owner = athlete_row(session, athlete)
            rows = session.execute(
                select(
                    TrainingSession.id,
                    TrainingSession.date,
                    TrainingSession.title,
                    Clip.id,
                    Clip.file_name,
                    Track.track_id,
                    Track.rep_signal,
                    MetricChunk.kind,
                    MetricChunk.payload,
                )
                .join(Clip, Clip.session_id == TrainingSession.id)
                .join(Track, Track.clip_id == Clip.id)
                .join(MetricChunk, MetricChunk.track_pk == Track.id)
                .where(
                    TrainingSession.athlete_id == owner.id,
                    Clip.status == "done",
                    Track.is_athlete.is_(True),
                    MetricChunk.kind.in_(list(kinds)),
                )
                .order_by(TrainingSession.date, TrainingSession.id, Clip.id, MetricChunk.kind)
            ).all()
        columns = [
            "session_id", "date", "session", "clip_id", "file_name", "track_id", "rep_signal",
            "kind", "table",
        ]
        return pd.DataFrame(
            [(*r[:-1], _frame_from_parquet(r[-1])) for r in rows], columns=columns
        )

    def progress(self, athlete: int | str, *, by: str = "clip") -> pd.DataFrame:
        """An athlete's metrics across their sessions, oldest first, from the athlete track
        of every analysed clip: a long table for charts over dates.

        Columns: ``date, session_id, session, clip_id, file_name, metric, name, value``
        where ``metric`` is ``rom``, ``min``, ``max``, ``mean`` (per angle ``name``,
        degrees, cleaned), ``si`` (per left/right pair ``name``, %), ``repetitions`` (count;
        ``name`` the signal they were found in), ``rep_duration_s`` and ``rep_rom`` (mean
        over the clip's repetitions), ``jumps`` (count of measured jumps), ``jump_height_cm``
        (the clip's best jump; ``name`` ``flight_time`` or ``hip_rise``) and
        ``jump_flight_s`` (its longest flight). With ``by="session"`` the clips of a
        session are combined (mean of each metric, sum of repetitions and jumps, best of
        jump heights and flights; clip columns dropped).
        """
        if by not in ("clip", "session"):
            raise AnalysisError(f"progress by 'clip' or 'session', not {by!r}")
        tables = self.athlete_tables(athlete)
        rows: list[tuple[Any, ...]] = []
        for (session_id, day, title, clip_id, file_name), group in tables.groupby(
            ["session_id", "date", "session", "clip_id", "file_name"], sort=False
        ):
            head = (day, session_id, title, clip_id, file_name)
            by_kind = dict(zip(group["kind"], group["table"], strict=True))
            summary = by_kind.get("summary")
            if summary is not None:
                for stat in ("rom", "min", "max", "mean"):
                    if stat in summary.columns:
                        for name, value in summary[stat].items():
                            rows.append((*head, stat, str(name), float(value)))
            symmetry = by_kind.get("symmetry")
            if symmetry is not None and "si" in symmetry.columns:
                for name, value in symmetry["si"].items():
                    rows.append((*head, "si", str(name), float(value)))
            reps = by_kind.get("repetitions")
            if reps is not None:
                signal = next(iter(group["rep_signal"]), None) or ""
                rows.append((*head, "repetitions", signal, float(len(reps))))
                for column, metric in (("duration_s", "rep_duration_s"), ("rom", "rep_rom")):
                    if column in reps.columns and len(reps):
                        rows.append((*head, metric, signal, float(reps[column].mean())))
            rows += _jump_rows(head, by_kind.get("jumps"))
        columns = [
            "date", "session_id", "session", "clip_id", "file_name", "metric", "name", "value",
        ]
        out = pd.DataFrame(rows, columns=columns)
        if by == "session" and not out.empty:
            keys = ["date", "session_id", "session", "metric", "name"]
            how = out["metric"].map(lambda m: "sum" if m in SUMMED else
                                    "max" if m in BEST else "mean")
            out = pd.concat([out[how == h].groupby(keys, sort=False)["value"].agg(h)
                             for h in ("mean", "sum", "max") if (how == h).any()]).reset_index()
            out = out.sort_values(["date", "session_id"], kind="stable").reset_index(drop=True)
        return out


    @_guarded
    def database_size_bytes(self) -> int | None:
        """Size of the SQLite file (with its WAL), None for a server database."""
        parsed = make_url(self.url)
        if parsed.get_backend_name() != "sqlite" or not parsed.database:
            return None
        path = Path(parsed.database)
        return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
