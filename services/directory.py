"""Who is acting: an ``Actor`` resolved from the store's directory of users.

Reads only; the directory is edited through ``store.refdata`` (``foiflow store users …``). Never
migrates: migration belongs to the entry points (worker, ``foiflow up``, ``store migrate``).
"""

from __future__ import annotations

from sqlalchemy import Engine

from domain.case import Actor
from services.db import in_store
from services.errors import Forbidden
from store import refdata
from store.schema import UserSpec


class UnknownUser(Forbidden):
    """No such user in the directory, or one no longer active."""

    def __init__(self, user_id: str, reason: str) -> None:
        super().__init__(reason, "user")
        self.user_id = user_id


def actor_from(user: UserSpec) -> Actor:
    return Actor(user_id=user.id, name=user.name, roles=list(user.roles), units=list(user.units))


async def resolve_actor(engine: Engine, user_id: str) -> Actor:
    """The directory's user ``user_id`` as an ``Actor``; ``UnknownUser`` if absent or inactive."""
    users = await in_store(engine, refdata.list_users)
    user = next((u for u in users if u.id == user_id), None)
    if user is None:
        raise UnknownUser(user_id, f"{user_id!r} is not in the directory")
    if not user.active:
        raise UnknownUser(user_id, f"{user_id!r} is no longer active in the directory")
    return actor_from(user)
