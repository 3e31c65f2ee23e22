"""Migrations from an empty database on both engines match the models exactly."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

import store.models  # noqa: F401  (the tables on SQLModel.metadata)
from store.db import alembic_config, dispose_engine, get_engine, head_revision, migrate

from store_test_db import drop_pg_database, new_pg_database


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it, not even the migrations table."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'sub' / 'dir' / 'fresh.db'}"  # parents created on demand
        yield url
        dispose_engine(url)
    else:
        request.getfixturevalue("pg_available")
        url = new_pg_database("foiflow_migrate")
        try:
            yield url
        finally:
            drop_pg_database(url)


def _diff(url: str) -> list[object]:
    with get_engine(url).connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))


def test_migrate_from_empty_matches_the_models(empty_url: str) -> None:
    assert migrate(empty_url) == head_revision()
    assert _diff(empty_url) == []
    tables = set(inspect(get_engine(empty_url)).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables


def test_migrate_is_idempotent_and_reversible(empty_url: str) -> None:
    migrate(empty_url)
    assert migrate(empty_url) == head_revision()  # already at head: nothing to do
    engine = get_engine(empty_url)
    cfg = alembic_config(empty_url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate(empty_url)
    assert _diff(empty_url) == []


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'foiflow.db'}"
    migrate(url)
    with get_engine(url).connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    dispose_engine(url)


def test_concurrent_start_ups_migrate_once(empty_url: str) -> None:
    """The worker and the web app start together and both migrate: neither may fail."""
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def start_up() -> None:
        start.wait()
        try:
            migrate(empty_url)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=start_up) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _diff(empty_url) == []
