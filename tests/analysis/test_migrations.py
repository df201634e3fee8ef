"""The schema is versioned: an older database is upgraded on open with its data intact, or
refused in one line; the migrations build exactly the models' tables. On SQLite and on
PostgreSQL (``db_url``)."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, create_engine, inspect, select, text

from analysis.errors import AnalysisError
from analysis.store import Store
from analysis.store.models import Base
from analysis.store.schema import AUTO_UPGRADE_ENV, HEAD, MIGRATIONS_DIR
from tests.analysis import previous_schema
from tests.analysis.store_fixtures import FPS, analysed, squat_poses

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LEASE_COLUMNS = {"owner_host", "owner_pid", "owner_started", "heartbeat_at"}


# ------------------------------------------------------------------ helpers


def execute(url: str, statements: list[str]) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)
    engine.dispose()


def previous_ddl(url: str) -> list[str]:
    return previous_schema.POSTGRESQL if url.startswith("postgresql") else previous_schema.SQLITE


def corrections_ddl(url: str) -> list[str]:
    if url.startswith("postgresql"):
        return previous_schema.POSTGRESQL_CORRECTIONS
    return previous_schema.SQLITE_CORRECTIONS


def migrate(url: str, revision: str) -> None:
    """Alembic's own upgrade of an empty database to ``revision``."""
    engine = create_engine(url)
    with engine.begin() as connection:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    engine.dispose()


def signature(url: str) -> dict[str, Any]:
    """Every table's columns, keys, constraints and indexes as the database reports them
    (``alembic_version`` left out)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            inspector = inspect(connection)
            out: dict[str, Any] = {}
            for table in sorted(set(inspector.get_table_names()) - {"alembic_version"}):
                out[table] = {
                    "columns": sorted(
                        (c["name"], str(c["type"]), c["nullable"])
                        for c in inspector.get_columns(table)
                    ),
                    "primary key": inspector.get_pk_constraint(table)["constrained_columns"],
                    "foreign keys": sorted(
                        (tuple(f["constrained_columns"]), f["referred_table"],
                         tuple(f["referred_columns"]), f["options"].get("ondelete"))
                        for f in inspector.get_foreign_keys(table)
                    ),
                    "unique": sorted(
                        (str(u["name"]), tuple(u["column_names"]))
                        for u in inspector.get_unique_constraints(table)
                    ),
                    "checks": sorted(
                        (str(c["name"]), " ".join(c["sqltext"].split()))
                        for c in inspector.get_check_constraints(table)
                    ),
                    "indexes": sorted(
                        (str(i["name"]), tuple(i["column_names"]), bool(i["unique"]))
                        for i in inspector.get_indexes(table)
                    ),
                }
            return out
    finally:
        engine.dispose()


def revision_of(url: str) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()


def fill(store: Store) -> dict[str, int]:
    """What a coach had stored: an athlete with a session of two clips (one analysed, with
    two people; one that failed) and a second athlete without sessions."""
    anna = store.create_athlete("Anna Lee", height_m=1.68)
    store.create_athlete("Ben Okafor")
    session = store.create_session(anna.id, "Squats", dt.date(2024, 5, 1), ["legs", "strength"])
    ids = {"athlete": anna.id, "session": session.id}
    for name, sha in (("squat.mp4", "a"), ("broken.mp4", "b")):
        clip, _ = store.register_clip(
            session.id, file_name=name, stored_path=f"/clips/{name}", sha256=sha * 64,
            kind="video", fps=FPS, width=1280, height=720, frame_count=300, duration_s=10.0,
            settings={"clean": {"cutoff_hz": 6.0}, "height_m": 1.68},
        )
        ids[name] = clip.id
    store.write_clip_results(
        ids["squat.mp4"],
        [analysed(squat_poses(0, 300)), analysed(squat_poses(1, 100, first_frame=200))],
    )
    store.set_clip_status(ids["broken.mp4"], "failed", "The file ends after 12 frames.")
    return ids


def copy_rows(source_url: str, target_url: str) -> None:
    """Copy every row of the target's tables from the source, in the target's columns; on
    PostgreSQL the id sequences then continue after the copied ids, as the previous
    program's own inserts would have left them."""
    source, target = create_engine(source_url), create_engine(target_url)
    have, want = MetaData(), MetaData()
    have.reflect(source)
    want.reflect(target)
    with source.connect() as reading, target.begin() as writing:
        for table in want.sorted_tables:
            columns = [have.tables[table.name].c[c.name] for c in table.columns]
            rows = [dict(r._mapping) for r in reading.execute(select(*columns))]
            if rows:
                writing.execute(table.insert(), rows)
            if target.dialect.name == "postgresql":
                writing.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"(SELECT coalesce(max(id), 0) + 1 FROM {table.name}), false)"
                ))
    source.dispose()
    target.dispose()


def everything(store: Store, ids: dict[str, int]) -> dict[str, Any]:
    """All a user can read of what :func:`fill` stored."""
    clip = ids["squat.mp4"]
    return {
        "athletes": store.list_athletes(),
        "sessions": store.list_sessions(),
        "clips": store.list_clips(),
        "overview": store.overview(),
        "poses": store.read_poses(clip),
        "angles": store.read_angles(clip),
        "summary": store.read_summary(clip),
        "repetitions": store.read_repetitions(clip),
    }


def assert_same(got: dict[str, Any], want: dict[str, Any]) -> None:
    assert got.keys() == want.keys()
    for key, value in want.items():
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(got[key], value, obj=key)
        else:
            assert got[key] == value, key


@pytest.fixture
def stored(tmp_path: Path) -> tuple[dict[str, Any], dict[str, int], str]:
    """A coach's data written by today's store into a scratch SQLite file: (what reads
    back, ids, its URL)."""
    url = f"sqlite:///{tmp_path / 'scratch.db'}"
    with Store(url) as store:
        ids = fill(store)
        return everything(store, ids), ids, url


# ------------------------------------------------------------------ the revisions


@pytest.fixture
def reference_url(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A second empty database on the same backend as ``db_url``."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'reference.db'}"
        return
    server = request.getfixturevalue("postgres_server")
    url = server.create_database()
    yield url
    server.drop_database(url)


def test_the_first_revision_is_the_schema_before_migrations(
    db_url: str, reference_url: str
) -> None:
    migrate(db_url, "0001")
    execute(reference_url, previous_ddl(reference_url))
    assert signature(db_url) == signature(reference_url)


def test_the_migrations_build_exactly_the_models_tables(
    db_url: str, reference_url: str
) -> None:
    migrate(db_url, "head")
    assert revision_of(db_url) == HEAD
    engine = create_engine(reference_url)
    Base.metadata.create_all(engine)
    engine.dispose()
    assert signature(db_url) == signature(reference_url)


def test_a_new_database_gets_todays_tables_at_the_latest_revision(db_url: str) -> None:
    with Store(db_url) as store:
        assert store.list_athletes() == []
    assert revision_of(db_url) == HEAD
    assert set(signature(db_url)) == set(Base.metadata.tables)


# ------------------------------------------------------------------ older databases


def test_a_database_of_the_previous_schema_is_upgraded_with_its_data_intact(
    db_url: str, stored: tuple[dict[str, Any], dict[str, int], str]
) -> None:
    want, ids, scratch = stored
    execute(db_url, previous_ddl(db_url))  # the previous program's create_all
    copy_rows(scratch, db_url)
    before = signature(db_url)
    assert "corrections" not in before and revision_of(db_url) is None

    with Store(db_url) as store:
        assert_same(everything(store, ids), want)
        # what the new revisions added is there and works
        swap = store.add_swap_correction(ids["squat.mp4"], 0, 10, 20, ["legs"])
        assert [c.id for c in store.list_corrections(ids["squat.mp4"])] == [swap.id]
        ben = store.create_athlete("Carla Diaz")  # ids continue after the copied ones
        assert ben.id == max(a.id for a in want["athletes"]) + 1

    assert revision_of(db_url) == HEAD
    after = signature(db_url)
    assert {c[0] for c in after["clips"]["columns"]} == (
        {c[0] for c in before["clips"]["columns"]} | LEASE_COLUMNS)
    assert {"corrections", "clip_notes"} <= set(after)
    assert {t: v for t, v in after.items() if t not in ("clips", "corrections", "clip_notes")
            } == {t: v for t, v in before.items() if t != "clips"}


def test_a_database_made_by_create_all_before_versions_is_recognised_and_stamped(
    db_url: str, stored: tuple[dict[str, Any], dict[str, int], str]
) -> None:
    want, ids, scratch = stored
    execute(db_url, previous_ddl(db_url) + corrections_ddl(db_url))
    copy_rows(scratch, db_url)
    with Store(db_url) as store:
        assert_same(everything(store, ids), want)
        assert store.list_corrections(ids["squat.mp4"]) == []
    assert revision_of(db_url) == HEAD
    clip_columns = {c[0] for c in signature(db_url)["clips"]["columns"]}
    assert clip_columns >= LEASE_COLUMNS


def test_with_upgrades_turned_off_an_older_database_is_refused_in_one_line_then_upgraded_by_the_command(  # noqa: E501
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    execute(db_url, previous_ddl(db_url))
    before = signature(db_url)
    monkeypatch.setenv(AUTO_UPGRADE_ENV, "0")
    with pytest.raises(AnalysisError) as refused:
        Store(db_url)
    message = str(refused.value)
    assert "\n" not in message
    assert "older schema 0001" in message
    assert f"run `python -m analysis upgrade-db --db {db_url}`" in message
    assert signature(db_url) == before and revision_of(db_url) is None  # nothing written

    done = subprocess.run(
        [sys.executable, "-m", "analysis", "upgrade-db", "--db", db_url],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith(f"was upgraded from schema 0001 to {HEAD}.")
    with Store(db_url) as store:  # upgrades still off: nothing left to do
        assert store.list_athletes() == []


def test_a_database_of_a_newer_program_is_refused_and_left_alone(db_url: str) -> None:
    Store(db_url).close()
    execute(db_url, ["UPDATE alembic_version SET version_num = '0999'"])
    with pytest.raises(AnalysisError, match="schema 0999, made by a newer version"):
        Store(db_url)
    assert revision_of(db_url) == "0999"


def test_another_programs_tables_are_refused(db_url: str) -> None:
    execute(db_url, ["CREATE TABLE athletes (id INTEGER PRIMARY KEY, nickname TEXT)"])
    with pytest.raises(AnalysisError, match="is not one this program made"):
        Store(db_url)
    assert set(signature(db_url)) == {"athletes"}


def _open_and_count(url: str, barrier: Any) -> int:
    barrier.wait()  # both open the old database at the same moment
    with Store(url) as store:
        return len(store.list_athletes())


def test_two_programs_opening_an_old_database_at_once_upgrade_it_once(
    db_url: str, stored: tuple[dict[str, Any], dict[str, int], str]
) -> None:
    _want, _ids, scratch = stored
    execute(db_url, previous_ddl(db_url))
    copy_rows(scratch, db_url)
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        barrier = manager.Barrier(2)
        with context.Pool(2) as pool:
            jobs = [pool.apply_async(_open_and_count, (db_url, barrier)) for _ in range(2)]
            assert [job.get(timeout=120) for job in jobs] == [2, 2]
    assert revision_of(db_url) == HEAD


def test_a_correction_table_dropped_by_hand_comes_back_empty(db_url: str) -> None:
    Store(db_url).close()
    execute(db_url, ["DROP TABLE corrections"])
    with Store(db_url) as store:
        assert "corrections" in signature(db_url)
        assert store.list_athletes() == []

