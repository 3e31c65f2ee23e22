"""Shared test set-up: every test run gets its own data directory and SQLite store, and the
Temporal servers (time-skipping, and the dev server for visibility) with real workers."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from temporalio.client import Client
    from temporalio.testing import WorkflowEnvironment
    from temporalio.worker import Worker

# Before anything reads settings: tests never touch a developer's .data directory. (foiflow's
# modules are imported inside the fixtures below, after this.)
_DATA_DIR = Path(tempfile.mkdtemp(prefix="foiflow-test-"))
os.environ.setdefault("FOIFLOW_DATA_DIR", str(_DATA_DIR))
os.environ.pop("FOIFLOW_DATABASE_URL", None)


def binary(name: str) -> str:
    """A server binary installed with the dev extras (nothing is downloaded at run time)."""
    found = shutil.which(name) or str(Path(sys.executable).parent / name)
    if not Path(found).exists():
        pytest.fail(f"{name} not installed: run `make test` (it installs the dev extras)")
    return found


@pytest.fixture(scope="session")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping test server (it has no visibility: listing needs ``dev_env``)."""
    from temporalio.testing import WorkflowEnvironment

    from services.temporal import DATA_CONVERTER, register_search_attributes

    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=DATA_CONVERTER,
        test_server_existing_path=binary("temporal-test-server"),
    )
    await register_search_attributes(env.client)
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture(scope="session")
def executor() -> Iterator[ThreadPoolExecutor]:
    from settings import get_settings
    from store.db import migrate

    migrate(get_settings().database_url)
    with ThreadPoolExecutor(max_workers=4) as pool:
        yield pool


@pytest.fixture(scope="session")
async def worker(env: WorkflowEnvironment, executor: ThreadPoolExecutor) -> AsyncIterator[Worker]:
    # One worker for the session: cases left open by a test keep a poller, so later time skips
    # never wait on workflow tasks nobody will run.
    from worker import build_worker

    task_queue = f"test-{uuid.uuid4()}"
    w = build_worker(env.client, task_queue, executor)
    async with w:
        yield w


@pytest.fixture
def client(env: WorkflowEnvironment) -> Client:
    return env.client


@pytest.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """The real dev server (visibility, batch operations), started once for the session."""
    from temporalio.testing import WorkflowEnvironment

    from services.temporal import DATA_CONVERTER
    from workflows.search_attributes import ALL_KEYS

    env = await WorkflowEnvironment.start_local(
        data_converter=DATA_CONVERTER,
        dev_server_existing_path=binary("temporal"),
        search_attributes=ALL_KEYS,
        dev_server_extra_args=["--headless"],
    )
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture(scope="session")
async def dev_worker(
    dev_env: WorkflowEnvironment, executor: ThreadPoolExecutor
) -> AsyncIterator[Worker]:
    from worker import build_worker

    async with build_worker(dev_env.client, f"dev-{uuid.uuid4()}", executor) as w:
        yield w


_exit_status = 0


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    global _exit_status
    _exit_status = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    # The report is printed by now. Interpreter finalisation can abort ("PyGILState_Release")
    # while the Temporal core runtime's threads are alive; exit with pytest's own status instead.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_exit_status)
