"""The store's base: opening a database (engine, schema version) and its transactions.

Each kind of record adds its methods to :class:`StoreBase` in its own module
(:mod:`analysis.store.athletes`, ``sessions``, ``clips``, ``results``, ``reading``,
``overview``, ``corrections``); :class:`analysis.store.Store` puts them together.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Self

from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from analysis.errors import AnalysisError
from analysis.store.engine import (
    DEFAULT_TIMEOUT_S,
    _database_error,
    _describe,
    _first_line,
    _make_engine,
    default_url,
)
from analysis.store.schema import auto_upgrade_default, prepare


class StoreBase:
    """An open database: its engine, its schema, its reading and writing transactions.

    Parameters
    ----------
    url
        Any SQLAlchemy URL. Default: ``$POSTURE_DB_URL`` or SQLite at ``data/posture.db``.
    timeout_s
        How long SQLite waits for another process's write lock before giving up.
    upgrade
        Whether a database with an older schema is upgraded on open (see
        :mod:`analysis.store.schema`); refused with one line when False. Default: yes,
        unless ``$POSTURE_DB_AUTO_UPGRADE`` is ``0``.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        upgrade: bool | None = None,
    ) -> None:
        self.url = url or default_url()
        try:
            self._engine = _make_engine(self.url, timeout_s)
        except (sa_exc.ArgumentError, sa_exc.NoSuchModuleError, ImportError) as error:
            raise AnalysisError(
                f"Cannot use the database URL {_describe(self.url)}: {_first_line(error)}"
            ) from error
        except OSError as error:
            raise AnalysisError(
                f"Cannot create the database folder for {self.url}: {error.strerror}"
            ) from error
        self._write_engine = self._engine.execution_options(sqlite_immediate=True)
        try:
            prepare(self._engine, self._write_engine, self.url,
                    upgrade=auto_upgrade_default() if upgrade is None else upgrade)
        except AnalysisError:
            self._engine.dispose()
            raise
        except sa_exc.DBAPIError as error:
            self._engine.dispose()
            raise _database_error(self.url, error) from error

    # -- plumbing

    def close(self) -> None:
        """Release the connections (the store can no longer be used)."""
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({_describe(self.url)!r})"

    @contextlib.contextmanager
    def _reading(self) -> Iterator[Session]:
        with Session(self._engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextlib.contextmanager
    def _writing(self) -> Iterator[Session]:
        with Session(self._write_engine, expire_on_commit=False) as session, session.begin():
            yield session
