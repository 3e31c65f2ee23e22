"""Is the app up, and can it reach what it needs? For ``foiflow up`` and load balancers."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from web.api.deps import RuntimeDep

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    temporal: Literal["connected", "unreachable", "not configured"]


@router.get("/health", response_model=Health)
async def health(rt: RuntimeDep) -> Health:
    if not rt.connect_temporal and rt.temporal is None:
        return Health(temporal="not configured")
    client = await rt.try_connect()
    return Health(temporal="connected" if client is not None else "unreachable")
