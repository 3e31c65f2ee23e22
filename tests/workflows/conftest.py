"""A session-wide time-skipping Temporal test server with a real worker and real activities."""

from __future__ import annotations

import shutil
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.store_adapters import store_activities
from services.temporal import DATA_CONVERTER, register_search_attributes
from settings import get_settings
from store.db import migrate
from worker import build_worker

from case_driver import close_started_cases


def _binary(name: str) -> str:
    found = shutil.which(name) or str(Path(sys.executable).parent / name)
    if not Path(found).exists():
        pytest.fail(f"{name} not installed: run `make test` (it installs the dev extras)")
    return found


@pytest.fixture(scope="session")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=DATA_CONVERTER,
        test_server_existing_path=_binary("temporal-test-server"),
    )
    await register_search_attributes(env.client)
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture(scope="session")
def executor() -> Iterator[ThreadPoolExecutor]:
    migrate(get_settings().database_url)
    with ThreadPoolExecutor(max_workers=4) as pool:
        yield pool


@pytest.fixture(scope="session")
async def worker(env: WorkflowEnvironment, executor: ThreadPoolExecutor) -> AsyncIterator[Worker]:
    # One worker for the session: cases left open by a test keep a poller, so later time skips
    # never wait on workflow tasks nobody will run.
    task_queue = f"test-{uuid.uuid4()}"
    w = build_worker(env.client, task_queue, executor, store_activities(get_settings()))
    async with w:
        yield w


@pytest.fixture(autouse=True)
async def withdraw_open_cases() -> AsyncIterator[None]:
    """Close what a test left open, so later time skips don't drag its reminders along."""
    yield
    await close_started_cases()


@pytest.fixture
def client(env: WorkflowEnvironment) -> Client:
    return env.client
