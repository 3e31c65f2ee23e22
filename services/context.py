"""The explicit context every service takes: settings, Temporal client, store engine, actor."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import Engine
from temporalio.client import Client

from domain.case import Actor
from services.directory import resolve_actor
from services.errors import Forbidden
from services.temporal import connect_client
from settings import Settings
from store.db import get_engine


@dataclass(frozen=True)
class ServiceContext:
    settings: Settings
    engine: Engine
    client: Client
    actor: Actor | None = None  # None: a system caller (the starter, tests), not a person

    def acting_as(self, actor: Actor) -> ServiceContext:
        return replace(self, actor=actor)

    def person(self) -> Actor:
        """The acting user, for what only a person may do (act on a case, "my" lists)."""
        if self.actor is None:
            raise Forbidden("this needs a user: say who is acting", "actor")
        return self.actor


async def open_context(settings: Settings, user_id: str | None = None) -> ServiceContext:
    """A context for one front-end call: the directory's user (when given), then Temporal.

    The user is resolved first: a misspelt user id is reported without waiting on a network.
    """
    engine = get_engine(settings.database_url)
    actor = await resolve_actor(engine, user_id) if user_id else None
    client = await connect_client(settings)
    return ServiceContext(settings=settings, engine=engine, client=client, actor=actor)
