"""Engines, sessions and migrations for the store: SQLite by default, PostgreSQL in production.

One engine per database URL per process (engines own connection pools; creating one per call would
open a new pool, and for SQLite re-run the PRAGMAs, every time). Migrations are Alembic's, applied
programmatically by :func:`migrate` so the worker, the CLI and ``make run`` need no ``alembic.ini``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, Table, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Seconds a SQLite writer waits for another writer before giving up. Writers are serialized (see
# _sqlite_begin), so this bounds how long the CLI can wait behind the worker's projection.
SQLITE_BUSY_TIMEOUT_S = 30

# Arbitrary constant key for the PostgreSQL advisory lock that serializes concurrent migrate() calls
# (the worker and the web app start together in production and both migrate).
_MIGRATE_LOCK_KEY = 7_362_019_451

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    # pysqlite's own transaction handling issues BEGIN lazily and not for DDL; switch it off and
    # let _sqlite_begin issue the BEGIN so every SQLAlchemy transaction is a real SQLite one.
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    try:
        # WAL: readers never block the writer and vice versa, and a crash leaves no torn pages.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable enough with WAL, much faster
    finally:
        cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # IMMEDIATE takes the write lock at BEGIN. With the default DEFERRED, two transactions that
    # read and then write (the projection's version check, the reference counter) deadlock-fail
    # with SQLITE_BUSY instead of queueing; IMMEDIATE makes them wait up to busy_timeout instead.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_store_engine(url: str, **kwargs: Any) -> Engine:
    """A new engine configured for the store. Prefer :func:`get_engine`, which caches it."""
    if is_sqlite(url):
        database = make_url(url).database
        # A "file:" URI (uri=true, e.g. mode=ro) names its file itself: no directory to make.
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
            **kwargs,
        )
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # pre_ping: the worker holds connections for days; a restarted PostgreSQL must not surface as
    # a failed activity on the first projection after it.
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def get_engine(url: str) -> Engine:
    """The process-wide engine for ``url`` (created on first use)."""
    engine = _engines.get(url)
    if engine is not None:
        return engine
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = create_store_engine(url)
            _engines[url] = engine
        return engine


def dispose_engine(url: str) -> None:
    """Close and forget the cached engine for ``url`` (a database about to be dropped)."""
    with _engines_lock:
        engine = _engines.pop(url, None)
    if engine is not None:
        engine.dispose()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on error."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session


def dialect_insert(session: Session | Connection) -> Callable[[Table], Any]:
    """The dialect's ``insert`` (with ``on_conflict_do_update``) for the session's (or the
    connection's) database.

    Both engines spell an atomic upsert ``INSERT … ON CONFLICT … DO UPDATE … WHERE``, which is
    how the store stays correct under concurrent writers without read-then-write races.
    """
    bind = session.get_bind() if isinstance(session, Session) else session
    name = bind.dialect.name
    if name == "postgresql":
        return postgresql.insert
    if name == "sqlite":
        return sqlite.insert
    raise NotImplementedError(f"the store supports SQLite and PostgreSQL, not {name}")


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation: a literal % in a password must be doubled.
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(url: str) -> str | None:
    """Upgrade the database at ``url`` to the newest schema (creating it if empty).

    Safe to call at every start-up: a database already at head is left alone. Returns the revision
    the database is at afterwards.
    """
    engine = get_engine(url)
    cfg = alembic_config(url)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Transaction-scoped: released at commit, also if this process dies half-way.
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATE_LOCK_KEY})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    return current_revision(engine)
