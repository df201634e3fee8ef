"""A real PostgreSQL server for the store's tests, and the database URL of each backend.

:class:`PostgresServer` runs Debian's PostgreSQL (``/usr/lib/postgresql/*/bin``: ``initdb``,
``pg_ctl``) from a temporary data directory: listening on 127.0.0.1 only, on a free port,
its unix socket in that directory, no fsync (a test server), one database per test. As root
it runs as the ``postgres`` user (``initdb`` refuses root). ``make test`` installs the
package (``make system-deps``); without it the PostgreSQL variants skip, saying so.

Fixtures (exposed to ``tests/analysis`` by its ``conftest.py``):

- ``postgres_server``: the session's server (started once, stopped at the end);
- ``db_url``: a new empty database, one per test, for each backend in
  :data:`BACKENDS` (``sqlite``: a file in the test's folder; ``postgresql``: a database
  created on the server and dropped after the test).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

BACKENDS = ("sqlite", "postgresql")
PG_USER = "posture"
START_TIMEOUT_S = 60


def find_binaries() -> Path | None:
    """The ``bin`` folder of the newest Debian PostgreSQL with ``initdb`` and ``pg_ctl``."""
    found = [Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")]
    found = [b for b in found if (b / "pg_ctl").is_file()]
    if not found:
        return None
    return max(found, key=lambda b: int(b.parent.name) if b.parent.name.isdigit() else 0)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """A throw-away PostgreSQL server; :meth:`start`, :meth:`create_database`, :meth:`stop`."""

    def __init__(self, binaries: Path) -> None:
        self.binaries = binaries
        self.folder = Path(tempfile.mkdtemp(prefix="posture-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.port = 0
        # initdb refuses to run as root: the server runs as an unprivileged user.
        self.run_as = None
        if os.geteuid() == 0:
            self.run_as = next(
                (u for u in ("postgres", "nobody") if _user_exists(u)), None
            )
            if self.run_as is None:
                raise RuntimeError("running as root and there is no 'postgres' user")
            entry = pwd.getpwnam(self.run_as)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        options: dict = {}
        if self.run_as is not None:
            entry = pwd.getpwnam(self.run_as)
            options = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
        return subprocess.run(
            args, capture_output=True, text=True, timeout=START_TIMEOUT_S, check=False,
            cwd=self.folder, env={**os.environ, "LC_ALL": "C.UTF-8"}, **options,
        )

    def start(self) -> None:
        done = self._run(
            str(self.binaries / "initdb"), "-D", str(self.data), "-U", PG_USER,
            "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync",
        )
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stderr.strip() or done.stdout.strip()}")
        for _attempt in range(3):  # a port found free may be taken before the server binds it
            self.port = free_port()
            settings = (
                f"-c listen_addresses=127.0.0.1 -c port={self.port} "
                f"-c unix_socket_directories={self.folder} -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60"
            )
            done = self._run(
                str(self.binaries / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                "-o", settings, "-w", "-t", str(START_TIMEOUT_S), "start",
            )
            if done.returncode == 0:
                return
        log = self.log.read_text(errors="replace") if self.log.exists() else ""
        raise RuntimeError(f"PostgreSQL did not start: {log.strip().splitlines()[-1:]}")

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{PG_USER}@127.0.0.1:{self.port}/{database}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=PG_USER, dbname="postgres", autocommit=True
        ) as connection:
            connection.execute(sql)

    def create_database(self) -> str:
        """A new empty database; its SQLAlchemy URL."""
        name = f"test_{uuid.uuid4().hex[:12]}"
        self._admin(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[-1]
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self.port:
            self._run(str(self.binaries / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                      "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The session's PostgreSQL server; skips (saying why) without Debian's PostgreSQL."""
    binaries = find_binaries()
    if binaries is None:
        pytest.skip("PostgreSQL not installed (/usr/lib/postgresql/*/bin/initdb): "
                    "`make system-deps` installs Debian's postgresql")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed (requirements.txt)")
    server = PostgresServer(binaries)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database for one test, on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'posture.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.create_database()
    try:
        yield url
    finally:
        with contextlib.suppress(Exception):
            server.drop_database(url)
