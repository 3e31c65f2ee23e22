"""Store access from async services: the synchronous store runs in a worker thread, so an event
loop serving many requests is never blocked by a query, and a store that cannot be read becomes
one typed error that names the setting to check."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    NoSuchModuleError,
    OperationalError,
    ProgrammingError,
)
from sqlalchemy.orm import Session

from services.errors import Unavailable
from settings import Settings
from store.calendar_versions import DbCalendarRepository
from store.calendars import CalendarRepository, calendar_repository
from store.db import get_engine, migrate, session_scope

T = TypeVar("T")


def _shown(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _read(engine: Engine, work: Callable[[Session], T]) -> T:
    try:
        with session_scope(engine) as session:
            return work(session)
    except (OperationalError, ProgrammingError) as exc:
        # Missing tables are the common case: services never migrate (entry points do).
        detail = str(exc.orig).splitlines()[0] if exc.orig else str(exc)
        raise Unavailable(
            f"cannot read the store at {_shown(engine)} ({detail}); is it migrated? "
            "(`foiflow store migrate`)",
            "FOIFLOW_DATABASE_URL",
        ) from None


async def in_store(engine: Engine, work: Callable[[Session], T]) -> T:
    """Run ``work`` in one store transaction, off the event loop."""
    return await asyncio.to_thread(_read, engine, work)


def calendar_versions(engine: Engine) -> CalendarRepository:
    """The stored calendar versions, read without migrating (entry points migrate)."""
    return DbCalendarRepository(engine)


class StoreUnavailable(Unavailable):
    """The store cannot be used; ``field`` is the setting to check, ``transient`` whether
    waiting may mend it (a database server still starting) or only a fix will (a bad URL)."""

    def __init__(self, reason: str, field: str, *, transient: bool) -> None:
        super().__init__(reason, field)
        self.transient = transient


def _derived_url(settings: Settings) -> bool:
    """Whether the database URL is the default one, in the data directory."""
    return settings.database_url == f"sqlite:///{settings.data_dir / 'foiflow.db'}"


def store_error(settings: Settings, exc: Exception) -> StoreUnavailable | None:
    """``exc`` (met opening, migrating or writing the store) as one line naming the setting to
    check; None when it is not a store problem."""
    url = settings.database_url
    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        shown = "(unparsable)"
    if isinstance(exc, ArgumentError | NoSuchModuleError):
        return StoreUnavailable(
            f"{shown} is not a database URL foiflow can use ({exc}); e.g. "
            "postgresql+psycopg://user@host/db, or unset it for SQLite in FOIFLOW_DATA_DIR",
            "FOIFLOW_DATABASE_URL",
            transient=False,
        )
    if isinstance(exc, OSError):
        where = exc.filename or settings.data_dir
        setting = "FOIFLOW_DATA_DIR" if _derived_url(settings) else "FOIFLOW_DATABASE_URL"
        return StoreUnavailable(
            f"cannot use {where} for the store ({exc.strerror or exc}); point {setting} at "
            "a directory foiflow may write to",
            setting,
            transient=False,
        )
    if isinstance(exc, DBAPIError):
        detail = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        return StoreUnavailable(
            f"cannot use the store at {shown} ({detail}); check the URL, that the database is "
            "up, and that foiflow may write to it",
            "FOIFLOW_DATA_DIR" if _derived_url(settings) else "FOIFLOW_DATABASE_URL",
            transient=isinstance(exc, OperationalError),
        )
    return None


def prepare_store(settings: Settings) -> Engine:
    """The store's engine with its schema brought up to date (entry points call this once);
    a store that cannot be used is ``StoreUnavailable`` naming the setting, never a traceback."""
    try:
        settings.ensure_data_dir()
    except OSError as exc:
        raise StoreUnavailable(
            f"cannot use {settings.data_dir} as the data directory ({exc.strerror or exc}); "
            "point FOIFLOW_DATA_DIR at a directory foiflow may write to",
            "FOIFLOW_DATA_DIR",
            transient=False,
        ) from None
    try:
        migrate(settings.database_url)
        return get_engine(settings.database_url)
    except (OSError, ArgumentError, NoSuchModuleError, DBAPIError) as exc:
        error = store_error(settings, exc)
        assert error is not None
        raise error from None


@contextmanager
def store_errors(settings: Settings) -> Iterator[None]:
    """Store failures inside (a write to a read-only database, a server gone away) as
    ``StoreUnavailable`` naming the setting to check."""
    try:
        yield
    except (ArgumentError, NoSuchModuleError, DBAPIError) as exc:
        error = store_error(settings, exc)
        assert error is not None
        raise error from None


def calendar_store(settings: Settings) -> CalendarRepository:
    """The stored calendar versions for an operator command, the store prepared first."""
    prepare_store(settings)
    with store_errors(settings):
        return calendar_repository(settings)
