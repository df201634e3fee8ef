"""Alembic's environment for the store's migrations.

:mod:`analysis.store.schema` runs the revisions in ``versions/`` on a connection it has
already opened (and in whose transaction they run), handed over as
``config.attributes["connection"]``. Run by hand (``python -m alembic -c
analysis/store/migrations/alembic.ini ...``, e.g. ``revision --autogenerate -m "what"``
for a new revision after changing :mod:`analysis.store.models`), it uses
``$POSTURE_DB_URL`` or the default SQLite file.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from analysis.store.models import Base

config = context.config


def run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    from analysis.store.engine import default_url

    context.configure(url=default_url(), target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif config.attributes.get("connection") is not None:
    run(config.attributes["connection"])
else:
    from analysis.store.engine import DEFAULT_TIMEOUT_S, _make_engine, default_url

    engine = _make_engine(default_url(), DEFAULT_TIMEOUT_S)
    with engine.connect() as opened:
        run(opened)
        opened.commit()
    engine.dispose()
