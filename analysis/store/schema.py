"""The schema's version: what :class:`~analysis.store.Store` does with a database on open.

The schema is versioned with Alembic (revisions in ``analysis/store/migrations/versions``,
the current one in the table ``alembic_version``):

- ``0001``: the schema before migrations (athletes, sessions, clips, tracks, poses,
  metrics);
- ``0002``: the coach's corrections (table ``corrections``);
- ``0003``: the run that holds a clip (``clips.owner_host``, ``owner_pid``,
  ``owner_started``, ``heartbeat_at``);
- ``0004``: a coach's notes, key frames and drawings (table ``clip_notes``).

On open (:func:`prepare`):

- a database at :data:`HEAD` is used as it is (one read, nothing written; a table of
  :mod:`analysis.store.models` missing from it, dropped by hand, is created empty);
- an empty database gets every table and is stamped :data:`HEAD`;
- a database made before migrations (no ``alembic_version``) is recognised by its tables
  and columns (``0001`` to ``0004``, the last for one made by ``create_all``), stamped
  so, then upgraded;
- an older revision is upgraded, in ONE transaction (it completes or changes nothing),
  under a lock so that two programs opening it at once upgrade it once. When upgrading is
  turned off (``upgrade=False``, or ``$POSTURE_DB_AUTO_UPGRADE=0`` on a shared server) or
  not allowed (a read-only file, a database user without the right to change tables),
  opening refuses with one line naming the command: ``python -m analysis upgrade-db``;
- a revision this program does not know (a newer program's), or tables it does not
  recognise, are refused with one line; nothing is written.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

from analysis.errors import AnalysisError
from analysis.store.engine import _describe, _first_line, default_url
from analysis.store.models import Base

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
HEAD = "0004"
VERSION_TABLE = "alembic_version"
AUTO_UPGRADE_ENV = "POSTURE_DB_AUTO_UPGRADE"
UPGRADE_COMMAND = "python -m analysis upgrade-db"

#: Tables of the first revision: a database without any of them is empty for the store.
FIRST_TABLES = frozenset({"athletes", "sessions", "clips", "tracks", "poses", "metrics"})
#: Columns each later revision added to an existing table (to recognise an unversioned one).
ADDED_COLUMNS: Mapping[str, Mapping[str, frozenset[str]]] = {
    "0003": {"clips": frozenset({"owner_host", "owner_pid", "owner_started", "heartbeat_at"})},
}
#: Tables each later revision added.
ADDED_TABLES: Mapping[str, frozenset[str]] = {"0002": frozenset({"corrections"}),
                                              "0004": frozenset({"clip_notes"})}

# pg_advisory_xact_lock key held while the schema is created or upgraded ("posture").
PG_LOCK_KEY = 0x706F7374757265


def auto_upgrade_default() -> bool:
    """Whether opening upgrades an older database: yes unless ``$POSTURE_DB_AUTO_UPGRADE``
    is ``0``, ``no``, ``false`` or ``off``."""
    value = os.environ.get(AUTO_UPGRADE_ENV, "1").strip().lower()
    return value not in ("0", "no", "false", "off")


def upgrade_hint(url: str) -> str:
    """The command that upgrades the database at ``url`` (its password hidden)."""
    if url == default_url():
        return UPGRADE_COMMAND
    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except sa_exc.ArgumentError:
        shown = url
    return f"{UPGRADE_COMMAND} --db {shown}"


def stored_revision(connection: Connection) -> str | None:
    """The revision in ``alembic_version``, None when the table is not there (or empty)."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    return connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


def recognise(connection: Connection) -> str | None:
    """The revision of an unversioned database from its tables and columns: None when it
    has none of the store's tables. AnalysisError when it has some but not as any
    revision made them."""
    inspector = inspect(connection)
    tables = set(inspector.get_table_names())
    if not tables & FIRST_TABLES:
        return None
    missing = FIRST_TABLES - tables
    if missing:
        raise AnalysisError(f"it has some of the store's tables but not {sorted(missing)}")
    revision = "0001"
    if ADDED_TABLES["0002"] <= tables:
        revision = "0002"
        columns = {c["name"] for c in inspector.get_columns("clips")}
        if ADDED_COLUMNS["0003"]["clips"] <= columns:
            revision = "0003"
            if ADDED_TABLES["0004"] <= tables:
                revision = "0004"
    later = {c for rev, by_table in ADDED_COLUMNS.items() if rev > revision
             for c in by_table.get("clips", ())}
    for table in sorted(tables & set(Base.metadata.tables)):
        expected = {c.name for c in Base.metadata.tables[table].columns}
        if table == "clips":
            expected -= later
        have = {c["name"] for c in inspector.get_columns(table)}
        if not expected <= have:
            raise AnalysisError(
                f"its table {table} lacks the columns {sorted(expected - have)}"
            )
    return revision


def _alembic_config(connection: Connection) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS_DIR))
    return {r.revision for r in script.walk_revisions()}


def _stamp(connection: Connection, revision: str) -> None:
    from alembic import command

    command.stamp(_alembic_config(connection), revision)


def _upgrade(connection: Connection) -> None:
    from alembic import command

    command.upgrade(_alembic_config(connection), HEAD)


def _lock(connection: Connection) -> None:
    """Serialise schema changes: SQLite's BEGIN IMMEDIATE already holds the write lock;
    on PostgreSQL a transaction-level advisory lock."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})


def _is_current(connection: Connection) -> bool:
    return stored_revision(connection) == HEAD and set(Base.metadata.tables) <= set(
        inspect(connection).get_table_names()
    )


def prepare(engine: Engine, write_engine: Engine, url: str, *, upgrade: bool) -> None:
    """Bring the database at ``url`` to :data:`HEAD` as the module docstring says, or raise
    a one-line AnalysisError. ``engine`` reads; ``write_engine`` writes (on SQLite it takes
    the write lock when its transaction begins)."""
    with engine.connect() as connection:
        if _is_current(connection):
            return
    where = _describe(url)
    with write_engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Foreign keys off while tables change (a table rebuilt by a later revision
            # must not cascade); checked before committing, back on afterwards.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                _lock(connection)
                _apply(connection, where, url, upgrade=upgrade)
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").first()
                    if broken is not None:
                        raise AnalysisError(
                            f"The upgrade of the database {where} would leave rows of "
                            f"{broken[0]} without their parent; nothing was changed."
                        )
        except sa_exc.DBAPIError as error:
            if _denied(error):
                raise AnalysisError(
                    f"Cannot upgrade the database {where} ({_first_line(error)}); run "
                    f"`{upgrade_hint(url)}` as a user who may change it."
                ) from error
            raise
        finally:
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


def _denied(error: sa_exc.DBAPIError) -> bool:
    reason = _first_line(error).lower()
    return "readonly" in reason or "read-only" in reason or "permission denied" in reason


def _apply(connection: Connection, where: str, url: str, *, upgrade: bool) -> None:
    """Inside the locked transaction: create, recognise, stamp and upgrade."""
    revision = stored_revision(connection)
    if revision is None:
        try:
            revision = recognise(connection)
        except AnalysisError as error:
            raise AnalysisError(
                f"The database {where} is not one this program made ({error}); "
                "give it a database of its own."
            ) from None
        if revision is None:  # empty (for the store): today's tables, stamped
            Base.metadata.create_all(connection)
            _stamp(connection, HEAD)
            return
        _stamp(connection, revision)
    if revision == HEAD:
        # A table dropped by hand comes back empty (create_all adds only missing ones).
        Base.metadata.create_all(connection)
        return
    if revision not in _known_revisions():
        raise AnalysisError(
            f"The database {where} has schema {revision}, made by a newer version of this "
            f"program (this one knows up to {HEAD}); update the program."
        )
    if not upgrade:
        raise AnalysisError(
            f"The database {where} has the older schema {revision} (this program needs "
            f"{HEAD}); run `{upgrade_hint(url)}`."
        )
    _upgrade(connection)


def upgrade_database(url: str, *, timeout_s: float = 30.0) -> tuple[str | None, str]:
    """Bring the database at ``url`` to :data:`HEAD`, whatever ``$POSTURE_DB_AUTO_UPGRADE``
    says; returns (revision before, revision after). The revision before of a database
    made before migrations is the one recognised; None for an empty database."""
    from analysis.store.engine import _database_error, _make_engine

    try:
        engine = _make_engine(url, timeout_s)
    except (sa_exc.ArgumentError, sa_exc.NoSuchModuleError, ImportError) as error:
        raise AnalysisError(
            f"Cannot use the database URL {_describe(url)}: {_first_line(error)}"
        ) from error
    try:
        with engine.connect() as connection:
            before = stored_revision(connection)
            if before is None:
                with contextlib.suppress(AnalysisError):  # prepare() says what is wrong
                    before = recognise(connection)
        prepare(engine, engine.execution_options(sqlite_immediate=True), url, upgrade=True)
        with engine.connect() as connection:
            return before, stored_revision(connection) or HEAD
    except sa_exc.DBAPIError as error:
        raise _database_error(url, error) from error
    finally:
        engine.dispose()
