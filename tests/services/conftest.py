"""Services against the real time-skipping server, a real worker and the session's SQLite store
with the demo directory (``system``, ``settled`` and the servers are in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from services.context import ServiceContext
from services.directory import resolve_actor

from case_driver import close_started_cases, start_seed

AsUser = Callable[[str], Awaitable[ServiceContext]]
StartCase = Callable[..., Awaitable[str]]


@pytest.fixture(autouse=True)
async def withdraw_open_cases() -> AsyncIterator[None]:
    yield
    await close_started_cases()


@pytest.fixture
def as_user(system: ServiceContext) -> AsUser:
    """A context acting as a user of the demo directory."""

    async def acting(user_id: str) -> ServiceContext:
        return system.acting_as(await resolve_actor(system.engine, user_id))

    return acting


@pytest.fixture
def seed_case(env: WorkflowEnvironment, worker: Worker) -> StartCase:
    """Start the demo request (received now, in the test server's time); its reference."""

    async def start(**changes: Any) -> str:
        received = await env.get_current_time()
        handle = await start_seed(env.client, worker.task_queue, received, **changes)
        return handle.id

    return start
