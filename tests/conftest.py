"""Shared test set-up: every test run gets its own data directory and SQLite store, and the
Temporal servers (time-skipping, and the dev server for visibility) with real workers."""

from __future__ import annotations

import asyncio
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
    from collections.abc import Awaitable, Callable

    from temporalio.client import Client
    from temporalio.testing import WorkflowEnvironment
    from temporalio.worker import Worker

    from services.context import ServiceContext
    from settings import Settings

# Before anything reads settings: tests never touch a developer's .data directory, and each test
# process has its own (pytest-xdist's workers inherit the environment of the process that
# started them, so a directory set only when missing would be shared by all of them, store and
# sign-ins included). foiflow's modules are imported inside the fixtures below, after this.
_DATA_DIR = Path(tempfile.mkdtemp(prefix="foiflow-test-"))
os.environ["FOIFLOW_DATA_DIR"] = str(_DATA_DIR)
os.environ.pop("FOIFLOW_DATABASE_URL", None)
# One audit key for every store the tests make, whichever entry point (CLI, worker, web app)
# opens it: rows one writes, the others verify.
os.environ.setdefault("FOIFLOW_AUDIT_KEY", "tests-audit-key-" + "k" * 32)
# Likewise one payload key: every client and worker the tests make encrypt as production does,
# and any of them reads what another wrote. (base64 of 32 bytes "tests-payload-key-0123456789abcd")
os.environ.setdefault("FOIFLOW_PAYLOAD_KEYS", "tests:dGVzdHMtcGF5bG9hZC1rZXktMDEyMzQ1Njc4OWFiY2Q=")


@pytest.fixture(autouse=True)
def logging_as_it_was() -> Iterator[None]:
    """Entry points under test (the web app's factory, ``foiflow up``) configure logging for the
    whole process; put it back, so later tests' captured output holds only what they print."""
    import logging

    loggers = [
        logging.getLogger(),
        *(logging.getLogger(n) for n in ("uvicorn", "uvicorn.error", "uvicorn.access")),
    ]
    kept = [(lg, list(lg.handlers), lg.level, lg.propagate) for lg in loggers]
    yield
    for logger, handlers, level, propagate in kept:
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate


def binary(name: str) -> str:
    """A server binary installed with the dev extras (nothing is downloaded at run time)."""
    found = shutil.which(name) or str(Path(sys.executable).parent / name)
    if not Path(found).exists():
        pytest.fail(f"{name} not installed: run `make test` (it installs the dev extras)")
    return found


@pytest.fixture(scope="session", autouse=True)
def audit_keys() -> None:
    """The audit key every test signs with, as an entry point would set it."""
    from settings import get_settings
    from store.audit_keys import configure_audit

    configure_audit(get_settings())


# One time-skipping server per test module: a module that skips months of time, or leaves
# cases with timers, never slows or skews another module's clock.
@pytest.fixture(scope="module")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping test server (it has no visibility: listing needs ``dev_env``)."""
    from temporalio.testing import WorkflowEnvironment

    from services.payload_codec import data_converter
    from services.temporal import register_search_attributes
    from settings import get_settings

    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=data_converter(get_settings()),
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


@pytest.fixture(scope="module")
async def worker(env: WorkflowEnvironment, executor: ThreadPoolExecutor) -> AsyncIterator[Worker]:
    # One worker for the session: cases left open by a test keep a poller, so later time skips
    # never wait on workflow tasks nobody will run.
    from activities.store_adapters import store_activities
    from settings import get_settings
    from worker import build_worker

    task_queue = f"test-{uuid.uuid4()}"
    w = build_worker(env.client, task_queue, executor, store_activities(get_settings()))
    async with w:
        yield w


@pytest.fixture
def client(env: WorkflowEnvironment) -> Client:
    return env.client


DEMO_DIRECTORY = Path(__file__).resolve().parents[1] / "cli" / "demo" / "seed.yaml"


@pytest.fixture(scope="session")
def directory(executor: ThreadPoolExecutor) -> None:
    """The demo directory (users, units, routing rules) in the session's store, plus a user
    who is both a unit contact and a senior officer (to show no one signs off their own claim)
    and one who has left."""
    from settings import get_settings
    from statute.exemptions import Role
    from store import refdata
    from store.db import get_engine, session_scope
    from store.schema import UserSpec
    from store.seed import apply_seed, load_seed

    with session_scope(get_engine(get_settings().database_url)) as session:
        apply_seed(session, load_seed(DEMO_DIRECTORY), actor="tests")
        for spec in (
            UserSpec(
                id="dual-role",
                name="Dual Role",
                email="dual.role@example.org",
                roles=[Role.UNIT_CONTACT, Role.SENIOR_OFFICER],
                units=["hate-crime"],
            ),
            UserSpec(
                id="left-the-force",
                name="Former Contact",
                email="former@example.org",
                roles=[Role.UNIT_CONTACT],
                units=["vawg"],
                active=False,
            ),
        ):
            refdata.save_user(session, spec, actor="tests")


@pytest.fixture(scope="module")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """The real dev server (visibility, batch operations), in memory: one per test module, so
    modules with their own stores never meet each other's references."""
    from temporalio.testing import WorkflowEnvironment

    from services.payload_codec import data_converter
    from settings import get_settings
    from workflows.search_attributes import ALL_KEYS

    env = await WorkflowEnvironment.start_local(
        data_converter=data_converter(get_settings()),
        dev_server_existing_path=binary("temporal"),
        search_attributes=ALL_KEYS,
        dev_server_extra_args=["--headless"],
    )
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture(scope="module")
def dev_settings() -> Settings:
    """The store the dev server's worker writes to: the session's. A module that changes what
    every case shares (a calendar version) overrides this with a store of its own."""
    from settings import get_settings

    return get_settings()


@pytest.fixture(scope="module")
async def dev_worker(
    dev_env: WorkflowEnvironment, executor: ThreadPoolExecutor, dev_settings: Settings
) -> AsyncIterator[Worker]:
    from activities.store_adapters import store_activities
    from worker import build_worker

    activities = store_activities(dev_settings)
    async with build_worker(dev_env.client, f"dev-{uuid.uuid4()}", executor, activities) as w:
        yield w


@pytest.fixture
def system(env: WorkflowEnvironment, directory: None) -> ServiceContext:
    """A service context for a system caller (no person) on the time-skipping server."""
    from services.context import ServiceContext
    from settings import get_settings
    from store.db import get_engine

    settings = get_settings()
    return ServiceContext(
        settings=settings, engine=get_engine(settings.database_url), client=env.client
    )


@pytest.fixture
def settled() -> Callable[[ServiceContext, str], Awaitable[None]]:
    """Wait until the case is idle (waiting on its timer) with its current version in the read
    model. Polls, bounded.

    Tests that read the read model call this after every update, not only the last: the
    workflow's main loop takes the version to wait on after its projection activity returns, so
    an update handled in that same activation is not projected until the case next wakes (see
    the report on issue 7). Waiting for idleness between updates keeps the tests off that race.
    """
    from sqlalchemy import select
    from sqlmodel import col
    from temporalio.api.enums.v1 import EventType

    from services.cases import case_view
    from store.db import session_scope
    from store.models import CaseRow

    timer_started = EventType.EVENT_TYPE_TIMER_STARTED
    task_completed = EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    workflow_task_events = (
        EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
        EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
        task_completed,
    )

    async def wait(ctx: ServiceContext, reference: str) -> None:
        handle = ctx.client.get_workflow_handle(reference)
        version, stored = -1, None
        for _ in range(400):
            version = (await case_view(ctx, reference)).version
            history = await handle.fetch_history()
            kinds = [e.event_type for e in history.events]
            # Waiting on its timer, maybe after empty workflow tasks (the server runs some).
            idle = kinds[-1] in (timer_started, task_completed) and timer_started == next(
                k for k in reversed(kinds) if k not in workflow_task_events
            )
            with session_scope(ctx.engine) as session:
                stored = session.scalar(
                    select(col(CaseRow.version)).where(col(CaseRow.reference) == reference)
                )
            if idle and stored is not None and stored >= version:
                return
            await asyncio.sleep(0.02)
        history = await handle.fetch_history()
        tail = "\n".join(
            f"{e.event_id} {EventType.Name(e.event_type)}" for e in history.events[-12:]
        )
        raise AssertionError(f"{reference} v{version} never settled (stored {stored})\n{tail}")

    return wait


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
