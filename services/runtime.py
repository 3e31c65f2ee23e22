"""What a long-running front end (the web app) holds for its lifetime: settings, the store's
engine, the identity service and — when reachable — a Temporal client.

Temporal may be down when the app starts, or go away later; the app keeps serving what needs
only the store (login, reference data, deadlines) and answers case actions with ``Unavailable``
until it is back.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session
from temporalio.client import Client

from domain.case import Actor
from services.context import ServiceContext
from services.errors import Unavailable
from services.identity import Identity
from services.temporal import connect
from settings import Settings
from store.audit_keys import configure_audit
from store.db import get_engine, migrate, session_scope

TemporalClient = Client  # for front ends' annotations: they reach Temporal only through here
StoreSession = Session  # likewise for the store: an effect run in a store transaction
# Values that passed validation but that the database cannot hold (a NUL in PostgreSQL text, an
# integer wider than the column): bad input, so front ends answer 422, never 500.
STORE_VALUE_ERRORS: tuple[type[Exception], ...] = (DataError, OverflowError)
CONNECT_TIMEOUT_S = 5.0
RECONNECT_AFTER_S = 5.0  # after a failed connect, requests fail fast this long before a retry


def open_store(settings: Settings) -> Engine:
    """The store's engine, its schema brought up to date (a no-op at head), and the audit key
    its edits are logged with."""
    migrate(settings.database_url)
    configure_audit(settings)
    return get_engine(settings.database_url)


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    identity: Identity
    temporal: TemporalClient | None = None
    connect_temporal: bool = True  # False: never dial Temporal (tests of store-only routes)
    _last_failure: float = field(default=-RECONNECT_AFTER_S, repr=False)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    @classmethod
    def open(
        cls,
        settings: Settings,
        *,
        temporal: TemporalClient | None = None,
        connect_temporal: bool = True,
        identity: Identity | None = None,
    ) -> Runtime:
        engine = open_store(settings)
        return cls(
            settings=settings,
            engine=engine,
            identity=identity or Identity(engine, settings),
            temporal=temporal,
            connect_temporal=connect_temporal,
        )

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with session_scope(self.engine) as session:
            yield session

    async def try_connect(self) -> TemporalClient | None:
        """Connect to Temporal if not connected; None (and no error) when it is unreachable."""
        if self.temporal is not None or not self.connect_temporal:
            return self.temporal
        async with self._lock:
            if self.temporal is not None:
                return self.temporal
            if time.monotonic() - self._last_failure < RECONNECT_AFTER_S:
                return None
            try:
                self.temporal = await asyncio.wait_for(
                    connect(self.settings), timeout=CONNECT_TIMEOUT_S
                )
            except (RuntimeError, OSError, TimeoutError):
                self._last_failure = time.monotonic()
                return None
            return self.temporal

    async def temporal_client(self) -> TemporalClient:
        client = await self.try_connect()
        if client is None:
            where = self.settings.temporal_address
            raise Unavailable(
                f"Temporal at {where} is unreachable; case actions are unavailable until it is "
                "back (reference data and deadlines still work)"
            )
        return client

    async def service_context(self, actor: Actor) -> ServiceContext:
        """The context case services take, acting as ``actor``; ``Unavailable`` without Temporal."""
        client = await self.temporal_client()
        return ServiceContext(
            settings=self.settings, engine=self.engine, client=client, actor=actor
        )
