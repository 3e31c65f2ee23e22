"""Delivery fixtures: a store on each engine with the demo directory, a real SMTP sink on
loopback, and dispatchers with an injectable clock."""

from __future__ import annotations

import shutil
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete
from sqlmodel import col

from delivery.sink import Mailbox, MailSink
from store.db import dispose_engine, get_engine, migrate, session_scope
from store.models import (
    DeliveryPreferenceRow,
    DeliveryRouteRow,
    DeliveryRow,
    DispatcherLeaseRow,
    OutboxRow,
    UnitRow,
    UserRow,
)
from store.seed import apply_seed, load_seed

# The PostgreSQL helpers live beside the store tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "store"))
from store_test_db import drop_pg_database, ensure_postgres, new_pg_database

SEED = Path(__file__).resolve().parents[2] / "cli" / "demo" / "seed.yaml"


def _seeded(url: str) -> None:
    migrate(url)
    with session_scope(get_engine(url)) as session:
        apply_seed(session, load_seed(SEED), actor="tests")


@pytest.fixture(scope="session")
def delivery_pg_url() -> Iterator[str]:
    """A PostgreSQL store for the session, migrated and holding the demo directory."""
    error = ensure_postgres()
    if error is not None:
        warnings.warn(f"!!! POSTGRESQL UNREACHABLE — delivery tests SKIPPED: {error}", stacklevel=1)
        pytest.skip(f"PostgreSQL unreachable: {error}")
    url = new_pg_database("foiflow_delivery")
    try:
        _seeded(url)
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture(scope="session")
def delivery_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("delivery-template") / "foiflow.db"
    url = f"sqlite:///{path}"
    _seeded(url)
    dispose_engine(url)
    return path


def _reset(engine: Engine) -> None:
    """Back to the seeded directory with an empty outbox (faster than seeding per test)."""
    seed = load_seed(SEED)
    with engine.begin() as conn:
        for table in (
            DeliveryRow,
            OutboxRow,
            DeliveryRouteRow,
            DeliveryPreferenceRow,
            DispatcherLeaseRow,
        ):
            conn.execute(delete(table))
        conn.execute(delete(UserRow).where(col(UserRow.id).not_in([u.id for u in seed.users])))
        conn.execute(delete(UnitRow).where(col(UnitRow.id).not_in([u.id for u in seed.units])))


@pytest.fixture
def sqlite_engine(delivery_sqlite_template: Path, tmp_path: Path) -> Iterator[Engine]:
    """A SQLite store holding the demo directory and nothing else."""
    path = tmp_path / "foiflow.db"
    shutil.copyfile(delivery_sqlite_template, path)
    url = f"sqlite:///{path}"
    yield get_engine(url)
    dispose_engine(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Engine:
    """The same, on each engine."""
    if request.param == "sqlite":
        sqlite: Engine = request.getfixturevalue("sqlite_engine")
        return sqlite
    pg: Engine = request.getfixturevalue("pg_engine")
    return pg


@pytest.fixture
def pg_engine(delivery_pg_url: str) -> Engine:
    engine = get_engine(delivery_pg_url)
    _reset(engine)
    return engine


@pytest.fixture
def mailbox(tmp_path: Path) -> Mailbox:
    return Mailbox(tmp_path / "mail")


@pytest.fixture
def sink(mailbox: Mailbox) -> Iterator[MailSink]:
    with MailSink(mailbox) as running:
        yield running
