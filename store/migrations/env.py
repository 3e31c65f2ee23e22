"""Alembic environment: run by ``store.db.migrate``, or ``alembic -c store/alembic.ini`` by hand.

``migrate`` hands over an open connection (``config.attributes["connection"]``) so the upgrade runs
inside its transaction and lock; the command line gets a fresh engine from ``sqlalchemy.url``
(``FOIFLOW_DATABASE_URL`` wins when set, so ``alembic`` and the app agree on the database).
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel

import store.models  # noqa: F401  (registers the tables on SQLModel.metadata)

config = context.config
target_metadata = SQLModel.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: batch mode rebuilds the table, on SQLite only.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from store.db import create_store_engine

    url = os.environ.get("FOIFLOW_DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL: set FOIFLOW_DATABASE_URL or sqlalchemy.url")
    engine = create_store_engine(url)
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported; run them against a database")
run_migrations_online()
