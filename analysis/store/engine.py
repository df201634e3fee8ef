"""Engine and connection settings: which database, how each connection is set up, and
how database failures become one-line :class:`~analysis.errors.AnalysisError` messages.

SQLite runs with foreign keys on, WAL journal and a busy timeout (30 s, or ``?timeout=S``
in the URL) so that two processes can write; writes take the write lock when they begin
(``BEGIN IMMEDIATE``) so they wait for each other instead of failing.
"""

from __future__ import annotations

import functools
import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

from analysis.errors import AnalysisError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DB_PATH = PROJECT_ROOT / "data" / "posture.db"
DB_URL_ENV = "POSTURE_DB_URL"
DEFAULT_TIMEOUT_S = 30.0
WAL_SIZE_LIMIT = 16 * 1024 * 1024

T = TypeVar("T")


def default_url() -> str:
    """``$POSTURE_DB_URL`` when set, else SQLite at ``data/posture.db`` in the project."""
    return os.environ.get(DB_URL_ENV) or f"sqlite:///{DEFAULT_DB_PATH}"


def _make_engine(url: str, timeout_s: float) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    database = parsed.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    connect_args: dict[str, Any] = {}
    if "timeout" not in parsed.query:
        connect_args["timeout"] = timeout_s
    else:
        timeout_s = float(parsed.query["timeout"])
    engine = create_engine(parsed, connect_args=connect_args)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take over transaction control from the sqlite3 module (we emit BEGIN below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            _enter_wal(cursor, timeout_s)
            cursor.execute("PRAGMA synchronous=NORMAL")
            # after a checkpoint, shrink the WAL file back (a clip's transaction can be 50 MB)
            cursor.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _enter_wal(cursor: Any, timeout_s: float) -> None:
    """Switch the file to WAL. The switch needs the file to itself and SQLite answers
    "locked" at once rather than waiting (no busy handler), e.g. when two programs open
    an old database at the same moment: retry until the busy timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _describe(url: str) -> str:
    """The database as shown to a user: the SQLite file, or the URL without its password."""
    try:
        parsed = make_url(url)
    except sa_exc.ArgumentError:
        return repr(url.split("@")[-1])
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or ":memory:"
    return parsed.render_as_string(hide_password=True)


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _database_error(url: str, error: BaseException) -> AnalysisError:
    where = _describe(url)
    reason = _first_line(error)
    if "locked" in reason or "busy" in reason:
        return AnalysisError(
            f"The database {where} is locked by another program; try again when it has finished."
        )
    if isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError):
        return AnalysisError(f"Cannot reach the database {where}: {reason}")
    return AnalysisError(f"Database error in {where}: {reason}")


def _guarded(method: Callable[..., T]) -> Callable[..., T]:
    """Turn database failures inside a Store method into one-line AnalysisErrors."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> T:
        try:
            return method(self, *args, **kwargs)
        except sa_exc.DBAPIError as error:
            raise _database_error(self.url, error) from error

    return wrapper
