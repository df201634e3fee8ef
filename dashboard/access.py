"""Who sees and changes what: the one place the dashboard enforces sign-in's roles.

:func:`access_for` turns the signed-in user (:mod:`dashboard.users`) into an
:class:`Access`: the athletes they may see (by name; None for every athlete), and
whether they may change anything. :class:`ScopedStore` is the store as that user may
use it, and every page gets the store through it (:func:`dashboard.state.get_store`),
so the rule holds for lists, selectors, query parameters and ids alike:

- lists (athletes, sessions, clips, corrections, the overview table) hold only what the
  user may see;
- a method given an athlete, session, clip or correction the user may not see answers
  exactly as for one that does not exist (``No clip 7 in the database.``);
- a read-only user (an athlete) cannot change anything; a method of the store this
  module does not know as a read is a change, and one that names no athlete, session,
  clip or correction is refused to anyone limited to some athletes.

With sign-in off (no ``POSTURE_AUTH``) everyone is :data:`OPEN`: every athlete, every
change, and the plain store.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analysis import AnalysisError, AthleteInfo, ClipInfo, SessionInfo
from dashboard import users as users_file
from dashboard.users import Users, name_key

log = logging.getLogger(__name__)

READ_ONLY_MESSAGE = "Your account can view and export its sessions, not change them."


@dataclass(frozen=True)
class Access:
    """What one signed-in user may do.

    ``role``: ``open`` (sign-in off), ``admin``, ``coach``, ``athlete`` or ``nobody``
    (signed out). ``athletes``: name keys (:func:`dashboard.users.name_key`) of the
    athletes they see, None for every athlete. ``club``: a coach's club, where the
    athletes they create go.
    """

    role: str
    username: str | None = None
    athletes: frozenset[str] | None = None
    club: str | None = None

    @property
    def signed_in(self) -> bool:
        return self.role in ("admin", "coach", "athlete")

    @property
    def can_edit(self) -> bool:
        """Create, analyse, rename, correct and delete (within what they see)."""
        return self.role in ("open", "admin", "coach")

    @property
    def manages_users(self) -> bool:
        return self.role == "admin"

    @property
    def limited(self) -> bool:
        """Sees only some athletes."""
        return self.athletes is not None

    def sees(self, athlete_name: str) -> bool:
        return self.athletes is None or name_key(athlete_name) in self.athletes


OPEN = Access("open")
NOBODY = Access("nobody", athletes=frozenset())


def access_for(users: Users | None, username: str | None) -> Access:
    """The access of ``username`` in ``users`` (:data:`OPEN` without a users file,
    :data:`NOBODY` for a user who is not, or no longer, in it)."""
    if users is None:
        return OPEN
    user = users.users.get((username or "").lower())
    if user is None:
        return NOBODY
    if user.role == "admin":
        return Access("admin", user.username)
    if user.role == "coach":
        athletes = frozenset(name_key(a) for a in users.club_athletes(user.club))
        return Access("coach", user.username, athletes, user.club)
    return Access("athlete", user.username, frozenset({name_key(user.athlete or "")}))


# ----------------------------------------------------------------------------- the store

#: Methods of the store that only read (everything else changes something).
READ_PREFIXES = ("get_", "list_", "find_", "read_")
READS = frozenset({"overview", "progress", "athlete_tables", "database_size_bytes"})
#: Attributes of the store that are not methods and may be read.
ATTRIBUTES = frozenset({"url"})
#: Parameters that name a record, and the kind of record.
SCOPES = {"athlete": "athlete", "athlete_id": "athlete", "session_id": "session",
          "clip_id": "clip", "correction_id": "correction", "note_id": "note"}


def is_read(method: str) -> bool:
    """Whether a store method only reads (``get_or_create_session`` creates)."""
    return (method.startswith(READ_PREFIXES) and "create" not in method) or method in READS


class ScopedStore:
    """The store (:class:`analysis.Store`) as one user may use it; same methods.

    ``users_path``: the users file, kept in step when an athlete is created by a coach
    (they join the coach's club), renamed or deleted. The athletes the user sees are
    looked up once per instance (one per page run; a background analysis keeps its own).
    """

    def __init__(self, store: Any, access: Access, users_path: str | None = None) -> None:
        self._store = store
        self._access = access
        self._users_path = users_path
        self._ids: set[int] | None = None
        self._allowed: set[tuple[str, Any]] = set()

    @property
    def access(self) -> Access:
        return self._access

    def __repr__(self) -> str:
        return f"ScopedStore({self._store!r}, {self._access.role})"

    # -- what the user sees

    def _athlete_ids(self) -> set[int]:
        if self._ids is None:
            self._ids = {a.id for a in self._store.list_athletes()
                         if self._access.sees(a.name)}
        return self._ids

    def _visible(self, item: Any) -> bool:
        if not self._access.limited:
            return True
        if isinstance(item, AthleteInfo):
            return self._access.sees(item.name)
        if isinstance(item, SessionInfo | ClipInfo):
            return item.athlete_id in self._athlete_ids()
        clip_id = getattr(item, "clip_id", None)
        if clip_id is not None and type(item).__name__ in ("CorrectionInfo", "NoteInfo"):
            return self._clip_allowed(int(clip_id))
        return True

    def _clip_allowed(self, clip_id: int) -> bool:
        try:
            self._check("clip", clip_id)
        except AnalysisError:
            return False
        return True

    def _check(self, kind: str, value: Any) -> None:
        """AnalysisError, as for a record that does not exist, unless the user sees it."""
        if not self._access.limited or (kind, value) in self._allowed:
            return
        if kind == "athlete":
            athlete = self._store.get_athlete(value)
            ok = self._access.sees(athlete.name)
            missing = f"No athlete {value!r} in the database."
        elif kind == "session":
            ok = self._store.get_session(int(value)).athlete_id in self._athlete_ids()
            missing = f"No session {value} in the database."
        elif kind == "clip":
            ok = self._store.get_clip(int(value)).athlete_id in self._athlete_ids()
            missing = f"No clip {value} in the database."
        elif kind == "note":  # one of a clip the user sees
            ok = any(n.id == int(value) for clip in self.list_clips()
                     for n in self._store.list_notes(clip.id))
            missing = f"No note {value} in the database."
        else:  # a correction: one of a clip the user sees
            ok = any(c.id == int(value) for clip in self.list_clips()
                     for c in self._store.list_corrections(clip.id))
            missing = f"No correction {value} in the database."
        if not ok:
            raise AnalysisError(missing)
        self._allowed.add((kind, value))

    def _filtered(self, result: Any) -> Any:
        if not self._access.limited:
            return result
        if isinstance(result, list):
            return [item for item in result if self._visible(item)]
        if isinstance(result, tuple):
            for item in result:
                if not self._visible(item):
                    raise AnalysisError("No such record in the database.")
            return result
        if isinstance(result, pd.DataFrame):
            if "athlete_id" in result.columns:
                keep = result["athlete_id"].isin(list(self._athlete_ids()))
                return result[keep.fillna(False).astype(bool)].reset_index(drop=True)
            if "athlete" in result.columns:
                keep = result["athlete"].map(lambda n: isinstance(n, str) and self._access.sees(n))
                return result[keep.astype(bool)].reset_index(drop=True)
            return result
        if not self._visible(result):
            raise AnalysisError("No such record in the database.")
        return result

    # -- every method of the store

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        value = getattr(self._store, name)
        if not callable(value):
            if name in ATTRIBUTES:
                return value
            raise AttributeError(f"{name} is not available to the dashboard's pages")
        return self._guarded(name, value)

    def _guarded(self, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            reads = is_read(name)
            if not reads and not self._access.can_edit:
                raise AnalysisError(READ_ONLY_MESSAGE)
            try:
                bound = inspect.signature(method).bind(*args, **kwargs)
            except TypeError:
                return method(*args, **kwargs)  # the store's own error for wrong arguments
            scoped = False
            for parameter, value in bound.arguments.items():
                kind = SCOPES.get(parameter)
                if kind is not None and value is not None:
                    self._check(kind, value)
                    scoped = True
            if not reads and not scoped and self._access.limited:
                log.warning("store method %s refused to %s", name, self._access.username)
                raise AnalysisError(f"Your account cannot do that ({name}).")
            return self._filtered(method(*args, **kwargs))

        call.__name__ = name
        call.__doc__ = method.__doc__
        return call

    # -- athletes: clubs follow them

    def create_athlete(self, name: str, height_m: float | None = None) -> AthleteInfo:
        """A new athlete; a coach's joins their club (or is not kept)."""
        if not self._access.can_edit:
            raise AnalysisError(READ_ONLY_MESSAGE)
        athlete = self._store.create_athlete(name, height_m)
        self._joined(athlete)
        return athlete

    def find_athlete(self, name: str) -> AthleteInfo | None:
        found = self._store.find_athlete(name)
        return found if found is not None and self._visible(found) else None

    def get_or_create_athlete(self, name: str, height_m: float | None = None) -> AthleteInfo:
        if not self._access.can_edit:
            raise AnalysisError(READ_ONLY_MESSAGE)
        existing = self._store.find_athlete(name)
        if existing is not None:
            if not self._access.sees(existing.name):
                raise AnalysisError(f"There is already an athlete named {existing.name!r} "
                                    "in another club.")
            return self._store.get_or_create_athlete(name, height_m)
        athlete = self._store.get_or_create_athlete(name, height_m)
        self._joined(athlete)
        return athlete

    def _joined(self, athlete: AthleteInfo) -> None:
        """A coach's new athlete joins their club; should that fail, it is not kept."""
        if self._access.club is None or self._users_path is None:
            return
        try:
            users_file.set_club(self._users_path, self._access.club, add=[athlete.name])
        except (users_file.UsersError, OSError) as error:
            self._store.delete_athlete(athlete.id)
            raise AnalysisError(f"Could not add {athlete.name!r} to the club "
                                f"{self._access.club}: {error}") from error
        self._access = Access(self._access.role, self._access.username,
                              (self._access.athletes or frozenset()) | {name_key(athlete.name)},
                              self._access.club)
        self._ids = None

    def update_athlete(self, athlete: int | str, *, name: str | None = None,
                       height_m: float | None = None) -> AthleteInfo:
        if not self._access.can_edit:
            raise AnalysisError(READ_ONLY_MESSAGE)
        self._check("athlete", athlete)
        before = self._store.get_athlete(athlete)
        after = self._store.update_athlete(athlete, name=name, height_m=height_m)
        if before.name != after.name and self._users_path is not None:
            try:
                users_file.rename_athlete(self._users_path, before.name, after.name)
            except (users_file.UsersError, OSError) as error:
                self._store.update_athlete(after.id, name=before.name)
                raise AnalysisError(f"Could not rename {before.name!r} in the users file: "
                                    f"{error}") from error
            if self._access.athletes is not None:
                self._access = Access(
                    self._access.role, self._access.username,
                    (self._access.athletes - {name_key(before.name)}) | {name_key(after.name)},
                    self._access.club)
        return after

    def rename_athlete(self, athlete: int | str, new_name: str) -> AthleteInfo:
        return self.update_athlete(athlete, name=new_name)

    def delete_athlete(self, athlete: int | str) -> None:
        if not self._access.can_edit:
            raise AnalysisError(READ_ONLY_MESSAGE)
        self._check("athlete", athlete)
        name = self._store.get_athlete(athlete).name
        self._store.delete_athlete(athlete)
        self._ids = None
        if self._users_path is not None:
            try:
                users_file.forget_athlete(self._users_path, name)
            except (users_file.UsersError, OSError) as error:
                log.warning("could not take %r out of the clubs: %s", name, error)
