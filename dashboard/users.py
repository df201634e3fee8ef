"""Who may sign in to the dashboard, and which athletes each club holds: the users file.

Sign-in is off on a laptop. On a server, ``POSTURE_AUTH`` names a YAML file that this
module reads and writes (``python -m dashboard.users`` manages it)::

    cookie: {name: posture_signin, key: <random>, expiry_days: 7}
    credentials:
      usernames:
        carla: {name: Carla Diaz, password: <bcrypt hash>, roles: [coach], club: Rooftop}
        anna: {name: Anna Lee, password: <bcrypt hash>, roles: [athlete],
               athlete: Anna Lee, club: Rooftop}
        root: {name: root, password: <bcrypt hash>, roles: [admin]}
    clubs:
      Rooftop: {athletes: [Anna Lee, Ben Ode]}

``cookie`` and ``credentials`` are the layout ``streamlit-authenticator`` reads (it checks
the bcrypt hashes and signs the "stay signed in" cookie with ``cookie.key``). Roles:

- ``admin``: every athlete; manages users and clubs (the Users page).
- ``coach`` of a club: the athletes the club lists, which they view and edit; an athlete
  they create joins their club.
- ``athlete``: their own athlete (``athlete``, a name in the database) only, to view and
  export. With ``club``, that athlete is listed in the club (its coaches see them).

Athletes belong to clubs by name (as the database keeps them: case and spacing
ignored), so the database schema knows nothing of clubs. The dashboard keeps the names
here in step when it renames or deletes an athlete.

Writes take a lock (``<file>.lock``) and replace the file whole (mode 0600).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import fcntl
import getpass
import os
import re
import secrets
import sys
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bcrypt
import yaml

AUTH_ENV = "POSTURE_AUTH"
ROLES = ("admin", "coach", "athlete")
COOKIE_NAME = "posture_signin"
COOKIE_EXPIRY_DAYS = 7
USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")
PASSWORD_MIN = 8
PASSWORD_MAX_BYTES = 72  # bcrypt reads no further
BCRYPT_ROUNDS = 12


class UsersError(Exception):
    """A mistake in the users file or in a request to change it (one line)."""


def name_key(name: str) -> str:
    """Identity of an athlete's name, as the store compares names: Unicode-normalised,
    casefolded, whitespace collapsed."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", str(name))).strip().casefold()


def clean_name(name: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", str(name))).strip()


@dataclass(frozen=True)
class User:
    username: str
    name: str
    role: str
    club: str | None = None
    athlete: str | None = None

    def describe(self) -> str:
        """``coach of Rooftop``, ``athlete (Anna Lee)``, ``admin``."""
        if self.role == "coach":
            return f"coach of {self.club}"
        if self.role == "athlete":
            return f"athlete ({self.athlete})"
        return self.role


@dataclass(frozen=True)
class Users:
    """The users file as read: users by user name, clubs' athletes, the cookie settings."""

    users: dict[str, User]
    clubs: dict[str, tuple[str, ...]]
    cookie_name: str
    cookie_key: str
    cookie_expiry_days: float
    raw: dict[str, Any]

    def credentials(self) -> dict[str, Any]:
        """A fresh copy of ``credentials`` for ``streamlit_authenticator.Authenticate``
        (which changes what it is given)."""
        return copy.deepcopy(self.raw.get("credentials") or {"usernames": {}})

    def club_athletes(self, club: str | None) -> tuple[str, ...]:
        for name, athletes in self.clubs.items():
            if club is not None and name_key(name) == name_key(club):
                return athletes
        return ()


# ----------------------------------------------------------------------------- reading

def _role_of(entry: dict[str, Any]) -> str:
    roles = entry.get("roles") or []
    if isinstance(roles, str):
        roles = [roles]
    for role in ROLES:  # the most powerful one named
        if role in roles:
            return role
    return ""


def parse(raw: dict[str, Any], where: str = "the users file") -> Users:
    """The users of a parsed file; UsersError (one line) for one that cannot be used."""
    if not isinstance(raw, dict):
        raise UsersError(f"{where} is not a YAML mapping")
    cookie = raw.get("cookie") or {}
    key = str(cookie.get("key") or "")
    if len(key) < 32:
        raise UsersError(f"{where}: cookie.key is missing or shorter than 32 characters")
    entries = ((raw.get("credentials") or {}).get("usernames")) or {}
    users: dict[str, User] = {}
    for username, entry in entries.items():
        entry = entry or {}
        role = _role_of(entry)
        if not role:
            raise UsersError(f"{where}: user {username!r} has no role ({', '.join(ROLES)})")
        if not str(entry.get("password") or "").startswith("$2"):
            raise UsersError(f"{where}: user {username!r} has no bcrypt password hash")
        user = User(str(username).lower(), str(entry.get("name") or username), role,
                    entry.get("club") or None, entry.get("athlete") or None)
        if role == "coach" and not user.club:
            raise UsersError(f"{where}: coach {username!r} has no club")
        if role == "athlete" and not user.athlete:
            raise UsersError(f"{where}: athlete user {username!r} names no athlete")
        users[user.username] = user
    clubs: dict[str, tuple[str, ...]] = {}
    for club, entry in (raw.get("clubs") or {}).items():
        athletes = (entry or {}).get("athletes") or []
        clubs[str(club)] = tuple(clean_name(a) for a in athletes if str(a).strip())
    return Users(users, clubs, str(cookie.get("name") or COOKIE_NAME), key,
                 float(cookie.get("expiry_days", COOKIE_EXPIRY_DAYS)), raw)


def _read_raw(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsersError(f"No users file at {path}: add a user with "
                         "`python -m dashboard.users add NAME --role admin`") from None
    except OSError as error:
        raise UsersError(f"Cannot read the users file {path}: {error.strerror}") from error
    try:
        return yaml.safe_load(text) or {}
    except yaml.YAMLError as error:
        raise UsersError(f"The users file {path} is not valid YAML: "
                         f"{str(error).splitlines()[0]}") from error


_CACHE: dict[Path, tuple[tuple[int, int], Users]] = {}


def load(path: str | os.PathLike[str]) -> Users:
    """The users file at ``path``, read again only when it changed (mtime and size)."""
    target = Path(path)
    try:
        stat = target.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        stamp = (0, 0)
    cached = _CACHE.get(target)
    if cached is not None and cached[0] == stamp and stamp != (0, 0):
        return cached[1]
    users = parse(_read_raw(target), str(target))
    _CACHE[target] = (stamp, users)
    return users


# ----------------------------------------------------------------------------- writing

def _new_file() -> dict[str, Any]:
    return {
        "cookie": {"name": COOKIE_NAME, "key": secrets.token_hex(32),
                   "expiry_days": COOKIE_EXPIRY_DAYS},
        "credentials": {"usernames": {}},
        "clubs": {},
    }


@contextlib.contextmanager
def editing(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """Read-modify-write of the users file under its lock; created when missing. The
    changed file is checked (:func:`parse`) before it replaces the old one, whole."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{target}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        raw = _read_raw(target) if target.exists() else _new_file()
        raw.setdefault("credentials", {}).setdefault("usernames", {})
        if raw["credentials"]["usernames"] is None:
            raw["credentials"]["usernames"] = {}
        raw.setdefault("clubs", {})
        if raw["clubs"] is None:
            raw["clubs"] = {}
        yield raw
        parse(raw, str(target))
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write("# Users of the posture dashboard (POSTURE_AUTH); change it with\n"
                          "# `python -m dashboard.users`. Passwords are bcrypt hashes.\n")
                yaml.safe_dump(raw, out, sort_keys=False, allow_unicode=True)
            os.chmod(temp, 0o600)
            os.replace(temp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise


def hash_password(password: str) -> str:
    """A bcrypt hash of ``password``; UsersError for one too short, too long or padded."""
    if password != password.strip():
        raise UsersError("The password must not start or end with a space.")
    if len(password) < PASSWORD_MIN:
        raise UsersError(f"The password needs at least {PASSWORD_MIN} characters.")
    if len(password.encode("utf-8")) > PASSWORD_MAX_BYTES:
        raise UsersError(f"The password is longer than {PASSWORD_MAX_BYTES} bytes.")
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(BCRYPT_ROUNDS)).decode()


def _club_entry(raw: dict[str, Any], club: str) -> dict[str, Any]:
    for name, entry in raw["clubs"].items():
        if name_key(name) == name_key(club):
            if entry is None:
                entry = raw["clubs"][name] = {}
            entry.setdefault("athletes", [])
            if entry["athletes"] is None:
                entry["athletes"] = []
            return entry
    entry = raw["clubs"][clean_name(club)] = {"athletes": []}
    return entry


def _add_to_club(raw: dict[str, Any], club: str, athlete: str) -> None:
    athletes = _club_entry(raw, club)["athletes"]
    if name_key(athlete) not in {name_key(a) for a in athletes}:
        athletes.append(clean_name(athlete))


def add_user(path: str | os.PathLike[str], username: str, password: str, role: str, *,
             athlete: str | None = None, club: str | None = None,
             name: str | None = None) -> User:
    """Add a user (or replace one of that name); an athlete user's athlete joins ``club``."""
    username = username.strip().lower()
    if not USERNAME.fullmatch(username):
        raise UsersError("A user name is 1-64 lower-case letters, digits, '.', '_', '@' or "
                         "'-', starting with a letter or digit.")
    if role not in ROLES:
        raise UsersError(f"Unknown role {role!r}: one of {', '.join(ROLES)}.")
    athlete = clean_name(athlete) if athlete else None
    club = clean_name(club) if club else None
    if role == "coach" and not club:
        raise UsersError("A coach needs a club (--club NAME).")
    if role == "athlete" and not athlete:
        raise UsersError("An athlete user needs the athlete's name (--athlete NAME).")
    if role == "admin" and (club or athlete):
        raise UsersError("An admin sees every athlete: no --club or --athlete.")
    if role == "coach" and athlete:
        raise UsersError("A coach has a club, not an athlete (--club NAME).")
    entry: dict[str, Any] = {"name": clean_name(name or athlete or username),
                             "password": hash_password(password), "roles": [role]}
    if club:
        entry["club"] = club
    if athlete:
        entry["athlete"] = athlete
    with editing(path) as raw:
        raw["credentials"]["usernames"][username] = entry
        if club:
            _club_entry(raw, club)  # the club exists from now on, maybe without athletes
            if role == "athlete":
                _add_to_club(raw, club, athlete or "")
    return User(username, entry["name"], role, club, athlete)


def remove_user(path: str | os.PathLike[str], username: str) -> None:
    """Remove a user (their athlete stays in the club and in the database)."""
    username = username.strip().lower()
    with editing(path) as raw:
        if raw["credentials"]["usernames"].pop(username, None) is None:
            raise UsersError(f"No user {username!r}.")


def set_club(path: str | os.PathLike[str], club: str, add: Iterable[str] = (),
             remove: Iterable[str] = ()) -> tuple[str, ...]:
    """Add athletes to a club (created when new) and take others out; its athletes."""
    gone = {name_key(a) for a in remove}
    with editing(path) as raw:
        entry = _club_entry(raw, club)
        entry["athletes"] = [a for a in entry["athletes"] if name_key(a) not in gone]
        for athlete in add:
            if clean_name(athlete):
                _add_to_club(raw, club, athlete)
        return tuple(entry["athletes"])


def rename_athlete(path: str | os.PathLike[str], old: str, new: str) -> None:
    """Follow an athlete's rename in every club and athlete user that names them."""
    if name_key(old) == name_key(new) and clean_name(old) == clean_name(new):
        return
    with editing(path) as raw:
        for entry in raw["clubs"].values():
            if entry and entry.get("athletes"):
                entry["athletes"] = [clean_name(new) if name_key(a) == name_key(old) else a
                                     for a in entry["athletes"]]
        for entry in raw["credentials"]["usernames"].values():
            if entry and entry.get("athlete") and name_key(entry["athlete"]) == name_key(old):
                entry["athlete"] = clean_name(new)


def forget_athlete(path: str | os.PathLike[str], name: str) -> None:
    """A deleted athlete leaves every club (a new athlete of that name joins none)."""
    with editing(path) as raw:
        for entry in raw["clubs"].values():
            if entry and entry.get("athletes"):
                entry["athletes"] = [a for a in entry["athletes"]
                                     if name_key(a) != name_key(name)]


# ----------------------------------------------------------------------------- command line

def _read_password(from_stdin: bool) -> str:
    if from_stdin or not sys.stdin.isatty():
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise UsersError("The two passwords differ.")
    return first


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dashboard.users",
        description="Users who may sign in to the dashboard when POSTURE_AUTH names this "
                    "file, and the athletes of each club.",
    )
    parser.add_argument("--file", help=f"the users file (default: ${AUTH_ENV})")
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="add a user (asks for the password, or reads "
                                          "one line from standard input)")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--athlete", help="an athlete user's athlete, as named in the database")
    add.add_argument("--club", help="a coach's club; for an athlete user, the club the "
                                    "athlete joins")
    add.add_argument("--name", help="the name shown when signed in")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from standard input even on a terminal")
    commands.add_parser("list", help="the users and the clubs' athletes")
    remove = commands.add_parser("remove", help="remove a user")
    remove.add_argument("username")
    club = commands.add_parser("club", help="list a club's athletes, or add/remove some")
    club.add_argument("club")
    club.add_argument("--add", action="append", default=[], metavar="ATHLETE")
    club.add_argument("--remove", action="append", default=[], metavar="ATHLETE")
    args = parser.parse_args(argv)

    path = args.file or os.environ.get(AUTH_ENV)
    try:
        if not path:
            raise UsersError(f"Name the users file with --file or ${AUTH_ENV}.")
        if args.command == "add":
            user = add_user(path, args.username, _read_password(args.password_stdin),
                            args.role, athlete=args.athlete, club=args.club, name=args.name)
            print(f"{user.username}: {user.describe()}")
        elif args.command == "remove":
            remove_user(path, args.username)
            print(f"{args.username.strip().lower()}: removed")
        elif args.command == "club":
            athletes = (set_club(path, args.club, args.add, args.remove)
                        if args.add or args.remove else load(path).club_athletes(args.club))
            print(f"{args.club}: {', '.join(athletes) if athletes else 'no athletes'}")
        else:
            users = load(path)
            for user in users.users.values():
                print(f"{user.username}\t{user.role}\t{user.club or ''}\t{user.athlete or ''}"
                      f"\t{user.name}")
            for name, athletes in users.clubs.items():
                print(f"club {name}: {', '.join(athletes) if athletes else 'no athletes'}")
    except UsersError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
