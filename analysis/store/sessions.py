"""Sessions: an athlete's training on a date, with a title (unique per athlete and
date) and tags."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
from sqlalchemy import delete, func, select
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from analysis.errors import AnalysisError
from analysis.store.athletes import (
    _check_height,
    _clean_name,
    _clean_tags,
    athlete_info,
    athlete_row,
    find_or_add_athlete,
    name_key,
)
from analysis.store.base import StoreBase
from analysis.store.engine import _guarded
from analysis.store.models import Athlete, Clip, TrainingSession
from analysis.store.records import AthleteInfo, SessionInfo
from analysis.store.values import lookup_int


def session_info(row: TrainingSession, athlete_name: str, n_clips: int = 0) -> SessionInfo:
    return SessionInfo(
        row.id,
        row.athlete_id,
        athlete_name,
        row.date,
        row.title,
        tuple(row.tags or ()),
        row.created_at,
        n_clips,
    )


def session_row(session: Session, session_id: int) -> TrainingSession:
    row = session.get(TrainingSession, lookup_int(session_id))
    if row is None:
        raise AnalysisError(f"No session {session_id} in the database.")
    return row


def find_or_add_session(
    session: Session, owner: Athlete, title: str, day: dt.date, tags: Iterable[str]
) -> TrainingSession:
    """``owner``'s session titled ``title`` (already checked) on ``day``, added when
    missing; ``tags`` are added to it. Inside the caller's transaction."""
    row = session.scalar(
        select(TrainingSession)
        .where(TrainingSession.athlete_id == owner.id, TrainingSession.date == day,
               TrainingSession.title == title)
        .with_for_update()  # PostgreSQL: two programs adding tags both keep theirs
    )
    if row is None:
        row = TrainingSession(athlete_id=owner.id, date=day, title=title,
                              tags=_clean_tags(tags))
        session.add(row)
    elif tags:
        row.tags = _clean_tags([*row.tags, *tags])
    session.flush()
    return row


class SessionRecords(StoreBase):
    """Sessions: created (or found) for an athlete, listed, renamed, moved, deleted."""

    @staticmethod
    def _add_session(session: Session, owner: Athlete, title: str, day: dt.date,
                     tags: Iterable[str]) -> TrainingSession:
        """A new session row (title already cleaned), added to ``session``."""
        row = TrainingSession(athlete_id=owner.id, date=day, title=title,
                              tags=_clean_tags(tags))
        session.add(row)
        return row

    @_guarded
    def create_session(
        self,
        athlete: int | str,
        title: str,
        date: dt.date | None = None,
        tags: Iterable[str] = (),
    ) -> SessionInfo:
        """A new session of an athlete (today when no date); title unique per athlete and date."""
        cleaned = _clean_name(title, "session")
        day = date or dt.date.today()
        try:
            with self._writing() as session:
                owner = athlete_row(session, athlete)
                row = self._add_session(session, owner, cleaned, day, tags)
                session.flush()
                return session_info(row, owner.name)
        except sa_exc.IntegrityError as error:
            raise AnalysisError(
                f"There is already a session {cleaned!r} on {day.isoformat()} for this athlete."
            ) from error

    @_guarded
    def get_or_create_session(
        self,
        athlete: int | str,
        title: str,
        date: dt.date | None = None,
        tags: Iterable[str] = (),
    ) -> SessionInfo:
        """The athlete's session with this title on this date (today), created when missing."""
        cleaned = _clean_name(title, "session")
        day = date or dt.date.today()
        for _attempt in range(2):
            try:
                with self._writing() as session:
                    owner = athlete_row(session, athlete)
                    row = find_or_add_session(session, owner, cleaned, day, tags)
                    return session_info(row, owner.name)
            except sa_exc.IntegrityError:
                continue
        raise AnalysisError(f"Could not create the session {cleaned!r}; try again.")

    @_guarded
    def get_or_create_athlete_session(
        self,
        athlete: int | str,
        title: str,
        date: dt.date | None = None,
        tags: Iterable[str] = (),
        *,
        height_m: float | None = None,
    ) -> tuple[AthleteInfo, SessionInfo]:
        """The athlete (an id, or a name: created when missing) and their session with
        this title on this date (today), created when missing, in ONE transaction: the
        name, title and height are checked before anything is written, so a refused
        title leaves no new athlete behind. A given height updates the athlete's."""
        cleaned = _clean_name(title, "session")
        height = _check_height(height_m)
        name = None if isinstance(athlete, int | np.integer) else _clean_name(athlete, "athlete")
        day = date or dt.date.today()
        for _attempt in range(2):
            try:
                with self._writing() as session:
                    if name is None:
                        owner = athlete_row(session, athlete)
                        if height is not None:
                            owner.height_m = height
                    else:
                        owner = find_or_add_athlete(session, name, height)
                    row = find_or_add_session(session, owner, cleaned, day, tags)
                    return athlete_info(owner), session_info(row, owner.name)
            except sa_exc.IntegrityError:
                continue  # the athlete or session made by another program meanwhile
        raise AnalysisError(f"Could not create the session {cleaned!r}; try again.")

    @_guarded
    def get_session(self, session_id: int) -> SessionInfo:
        with self._reading() as session:
            row = session_row(session, session_id)
            count = session.scalar(select(func.count(Clip.id)).where(Clip.session_id == row.id))
            return session_info(row, row.athlete.name, count or 0)

    @_guarded
    def list_sessions(
        self,
        athlete: int | str | None = None,
        *,
        search: str | None = None,
        tag: str | None = None,
    ) -> list[SessionInfo]:
        """Sessions, newest first; of one athlete, with a title containing ``search``
        (any case), or carrying ``tag``."""
        with self._reading() as session:
            query = (
                select(TrainingSession, Athlete.name, func.count(Clip.id))
                .join(Athlete, Athlete.id == TrainingSession.athlete_id)
                .outerjoin(Clip, Clip.session_id == TrainingSession.id)
                .group_by(TrainingSession.id, Athlete.name)
                .order_by(TrainingSession.date.desc(), TrainingSession.id.desc())
            )
            if athlete is not None:
                query = query.where(
                    TrainingSession.athlete_id == athlete_row(session, athlete).id
                )
            rows = [session_info(s, name, n) for s, name, n in session.execute(query)]
        if search:
            rows = [r for r in rows if name_key(search) in name_key(r.title)]
        if tag:
            rows = [r for r in rows if name_key(tag) in {name_key(t) for t in r.tags}]
        return rows

    @_guarded
    def update_session(
        self,
        session_id: int,
        *,
        title: str | None = None,
        date: dt.date | None = None,
        tags: Iterable[str] | None = None,
    ) -> SessionInfo:
        """Rename a session, move it to another date and/or replace its tags."""
        try:
            with self._writing() as session:
                row = session_row(session, session_id)
                if title is not None:
                    row.title = _clean_name(title, "session")
                if date is not None:
                    row.date = date
                if tags is not None:
                    row.tags = _clean_tags(tags)
                session.flush()
                return session_info(row, row.athlete.name)
        except sa_exc.IntegrityError as error:
            raise AnalysisError(
                "The athlete already has a session with that title on that date."
            ) from error

    def rename_session(self, session_id: int, new_title: str) -> SessionInfo:
        return self.update_session(session_id, title=new_title)

    @_guarded
    def delete_session(self, session_id: int) -> None:
        """Delete a session with its clips, tracks, poses and metrics."""
        with self._writing() as session:
            row = session_row(session, session_id)
            session.execute(delete(TrainingSession).where(TrainingSession.id == row.id))
