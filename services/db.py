"""Store access from async services: the synchronous store runs in a worker thread, so an event
loop serving many requests is never blocked by a query, and a store that cannot be read becomes
one typed error that names the setting to check."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from services.errors import Unavailable
from store.calendar_versions import DbCalendarRepository
from store.calendars import CalendarRepository
from store.db import session_scope

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
