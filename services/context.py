"""The explicit context every service takes: settings, Temporal client, store engine, actor."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import Engine
from temporalio.client import Client

from domain.case import Actor
from settings import Settings


@dataclass(frozen=True)
class ServiceContext:
    settings: Settings
    engine: Engine
    client: Client
    actor: Actor | None = None  # None: a system caller (the starter, tests), not a person

    def acting_as(self, actor: Actor) -> ServiceContext:
        return replace(self, actor=actor)
