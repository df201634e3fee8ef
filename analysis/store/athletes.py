"""Athletes: names that identify them (case and spacing ignored) and their height."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from sqlalchemy import delete, func, select
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from analysis.errors import AnalysisError
from analysis.store.base import StoreBase
from analysis.store.engine import _guarded
from analysis.store.models import Athlete, TrainingSession
from analysis.store.records import AthleteInfo
from analysis.store.values import lookup_int, plain_text


def name_key(name: str) -> str:
    """Identity of a typed name: Unicode-normalised, casefolded, whitespace collapsed,
    control characters dropped (:func:`~analysis.store.values.plain_text`)."""
    return plain_text(name).casefold()


def _clean_name(name: str, what: str) -> str:
    cleaned = plain_text(name)
    if not cleaned:
        raise AnalysisError(f"The {what} needs a name.")
    if len(cleaned) > 200:
        raise AnalysisError(f"The {what} name is longer than 200 characters.")
    return cleaned


def _clean_tags(tags: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for tag in tags:
        cleaned = plain_text(tag)
        if cleaned and name_key(cleaned) not in seen:
            seen[name_key(cleaned)] = cleaned
    return list(seen.values())


def _check_height(height_m: float | None) -> float | None:
    if height_m is None:
        return None
    height = float(height_m)
    if not 0.5 <= height <= 2.8:
        raise AnalysisError(f"Athlete height {height_m} is not a height in metres (0.5 to 2.8).")
    return height



def athlete_info(athlete: Athlete, n_sessions: int = 0) -> AthleteInfo:
    return AthleteInfo(
        athlete.id, athlete.name, athlete.height_m, athlete.created_at, n_sessions
    )


def athlete_row(session: Session, athlete: int | str) -> Athlete:
    if isinstance(athlete, int | np.integer):
        row = session.get(Athlete, lookup_int(athlete))
    else:
        row = session.scalar(select(Athlete).where(Athlete.name_key == name_key(athlete)))
    if row is None:
        raise AnalysisError(f"No athlete {athlete!r} in the database.")
    return row


def find_or_add_athlete(session: Session, cleaned: str, height: float | None) -> Athlete:
    """The athlete named ``cleaned`` (already checked), added when missing; a ``height``
    (already checked) updates theirs. Inside the caller's transaction."""
    row = session.scalar(
        select(Athlete).where(Athlete.name_key == name_key(cleaned)).with_for_update()
    )
    if row is None:
        row = Athlete(name=cleaned, name_key=name_key(cleaned), height_m=height)
        session.add(row)
    elif height is not None:
        row.height_m = height
    session.flush()
    return row


class AthleteRecords(StoreBase):
    """Athletes: created, found by id or name, renamed, deleted with all they have."""

    @_guarded
    def create_athlete(self, name: str, height_m: float | None = None) -> AthleteInfo:
        """A new athlete; the name must not be taken (case and spacing ignored)."""
        cleaned = _clean_name(name, "athlete")
        height = _check_height(height_m)
        try:
            with self._writing() as session:
                athlete = Athlete(name=cleaned, name_key=name_key(cleaned), height_m=height)
                session.add(athlete)
                session.flush()
                return athlete_info(athlete)
        except sa_exc.IntegrityError as error:
            raise AnalysisError(f"There is already an athlete named {cleaned!r}.") from error

    @_guarded
    def get_athlete(self, athlete: int | str) -> AthleteInfo:
        """The athlete with this id or name; AnalysisError when there is none."""
        with self._reading() as session:
            row = athlete_row(session, athlete)
            count = session.scalar(
                select(func.count(TrainingSession.id)).where(TrainingSession.athlete_id == row.id)
            )
            return athlete_info(row, count or 0)

    @_guarded
    def find_athlete(self, name: str) -> AthleteInfo | None:
        """The athlete with this name (case and spacing ignored), or None."""
        try:
            return self.get_athlete(str(name))
        except AnalysisError:
            return None

    @_guarded
    def get_or_create_athlete(self, name: str, height_m: float | None = None) -> AthleteInfo:
        """The athlete named so, created when missing; a given height updates the stored one."""
        cleaned = _clean_name(name, "athlete")
        height = _check_height(height_m)
        for _attempt in range(2):
            try:
                with self._writing() as session:
                    return athlete_info(find_or_add_athlete(session, cleaned, height))
            except sa_exc.IntegrityError:
                continue  # created by another process meanwhile: read it on the second pass
        return self.get_athlete(cleaned)

    @_guarded
    def list_athletes(self, search: str | None = None) -> list[AthleteInfo]:
        """Athletes by name; ``search`` keeps those whose name contains it (any case)."""
        with self._reading() as session:
            query = (
                select(Athlete, func.count(TrainingSession.id))
                .outerjoin(TrainingSession, TrainingSession.athlete_id == Athlete.id)
                .group_by(Athlete.id)
                .order_by(Athlete.name_key)
            )
            if search:
                pattern = "%" + name_key(search).replace("%", r"\%").replace("_", r"\_") + "%"
                query = query.where(Athlete.name_key.like(pattern, escape="\\"))
            return [athlete_info(a, n) for a, n in session.execute(query)]

    @_guarded
    def update_athlete(
        self, athlete: int | str, *, name: str | None = None, height_m: float | None = None
    ) -> AthleteInfo:
        """Rename an athlete and/or set their height (metres)."""
        try:
            with self._writing() as session:
                row = athlete_row(session, athlete)
                if name is not None:
                    row.name = _clean_name(name, "athlete")
                    row.name_key = name_key(row.name)
                if height_m is not None:
                    row.height_m = _check_height(height_m)
                session.flush()
                return athlete_info(row)
        except sa_exc.IntegrityError as error:
            raise AnalysisError(f"There is already an athlete named {name!r}.") from error

    def rename_athlete(self, athlete: int | str, new_name: str) -> AthleteInfo:
        return self.update_athlete(athlete, name=new_name)

    @_guarded
    def delete_athlete(self, athlete: int | str) -> None:
        """Delete an athlete with all their sessions, clips, tracks, poses and metrics."""
        with self._writing() as session:
            row = athlete_row(session, athlete)
            session.execute(delete(Athlete).where(Athlete.id == row.id))
