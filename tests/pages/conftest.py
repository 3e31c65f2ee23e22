"""Page tests in a real browser: the app served by uvicorn in the test's event loop, Debian's
chromium driven by Playwright's async API in that same loop, on the time-skipping Temporal
server with a worker of this module's own (its own store, so passwords and rate-limit counts
set here never meet other tests).

Every page a test visits goes through ``Tour.check``: a full-page PNG screenshot under
``test-artefacts/pages/``, the axe-core check (no serious or critical violation), no console
error (a missing asset or a CSP violation would be one), and — on every page, since no page in
this half may show it — no trace of the requester's identity in the HTML.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import uvicorn
import yaml
from argon2 import PasswordHasher
from fastapi import FastAPI
from playwright.async_api import (
    Browser,
    async_playwright,
)
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.store_adapters import store_activities
from domain.case import CLOSED_STATUSES
from services import actions, intake
from services.cases import case_view
from services.context import ServiceContext
from services.directory import resolve_actor
from services.identity import Identity
from services.schemas import RoutesIn, WithdrawIn
from settings import Settings
from store.db import dispose_engine, get_engine, migrate, session_scope
from store.seed import apply_seed, load_seed
from web.app import create_app
from worker import build_worker

from page_tour import (
    AXE,
    CHROMIUM,
    CHROMIUM_ARGS,
    DEMO_SEED,
    OFFICER,
    PASSWORD,
    Tour,
    TourFactory,
    seed_document,
)

# Real argon2 with small parameters: the tests sign in dozens of times.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(scope="module")
def pages_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """A store of this module's own, with the demo directory, and a task queue of its own."""
    data = tmp_path_factory.mktemp("pages")
    url = f"sqlite:///{data / 'foiflow.db'}"
    migrate(url)
    with session_scope(get_engine(url)) as session:
        apply_seed(session, load_seed(DEMO_SEED), "seed")
    yield Settings(
        data_dir=data,
        database_url=url,
        temporal_address="127.0.0.1:1",  # never dialled: the app is given the test client
        task_queue=f"pages-{uuid.uuid4()}",
    )
    dispose_engine(url)


@pytest.fixture(scope="module")
async def pages_worker(
    env: WorkflowEnvironment, executor: ThreadPoolExecutor, pages_settings: Settings
) -> AsyncIterator[Worker]:
    activities = store_activities(pages_settings)
    async with build_worker(env.client, pages_settings.task_queue, executor, activities) as w:
        yield w


@pytest.fixture(scope="module")
def system(env: WorkflowEnvironment, pages_settings: Settings) -> ServiceContext:
    """A system caller on this module's store and the time-skipping server."""
    return ServiceContext(
        settings=pages_settings, engine=get_engine(pages_settings.database_url), client=env.client
    )


@pytest.fixture(scope="module")
async def opened(pages_worker: Worker, system: ServiceContext) -> AsyncIterator[list[str]]:
    """References of the cases a module starts; withdrawn at the end (while the worker still
    runs), so later time skips never drag their reminders along."""
    references: list[str] = []
    yield references
    officer = system.acting_as(await resolve_actor(system.engine, OFFICER))
    for reference in references:
        view = await case_view(system, reference)
        if view.status not in CLOSED_STATUSES:
            await actions.withdraw_case(officer, reference, WithdrawIn(reason="test finished"))


@pytest.fixture(scope="module")
def pages_app(env: WorkflowEnvironment, pages_settings: Settings, pages_worker: Worker) -> FastAPI:
    identity = Identity(get_engine(pages_settings.database_url), pages_settings, hasher=FAST_HASHER)
    for user in yaml.safe_load(DEMO_SEED.read_text())["users"]:
        identity.set_password(user["id"], PASSWORD, "tests")
    return create_app(pages_settings, temporal=env.client, identity=identity)


@pytest.fixture(scope="module")
async def base_url(pages_app: FastAPI) -> AsyncIterator[str]:
    """The app on a free loopback port, served by uvicorn in this event loop."""
    config = uvicorn.Config(pages_app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started:
            break
        if serving.done():
            serving.result()  # raises what stopped it
        await asyncio.sleep(0.01)
    assert server.started, "uvicorn did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    async with async_playwright() as p:
        launched = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make test` installs the npm packages (npm ci)")
    return AXE.read_text("utf-8")


@pytest.fixture
async def tours(
    browser: Browser, base_url: str, axe_source: str, request: pytest.FixtureRequest
) -> AsyncIterator[TourFactory]:
    """``await tours("tom-oduya")``: a fresh browser context signed in through the sign-in page
    (``tours()``: nobody signed in; ``applicant_blind=False`` for roles that may see who asked;
    ``javascript=False`` for a browser without it)."""
    made: list[Tour] = []
    test_name = re.sub(r"^test_", "", request.node.name)[:40]

    async def make(
        user: str | None = None, *, applicant_blind: bool = True, javascript: bool = True
    ) -> Tour:
        context = await browser.new_context(base_url=base_url, java_script_enabled=javascript)
        page = await context.new_page()
        prefix = f"{test_name}-{user or 'anonymous'}" + ("" if javascript else "-no-js")
        tour = Tour(context, page, base_url, prefix, axe_source, applicant_blind, javascript)
        page.on("console", tour.on_console)
        page.on("response", tour.on_response)
        made.append(tour)
        if user is not None:
            await tour.goto("/sign-in", "sign-in")
            await page.get_by_label("Username").fill(user)
            await page.get_by_label("Password", exact=True).fill(PASSWORD)
            await tour.submit("Sign in", "signed-in")
        return tour

    yield make
    for tour in made:
        await tour.close()


@pytest.fixture
def start_seed_case(
    env: WorkflowEnvironment, system: ServiceContext, opened: list[str]
) -> Callable[[], Awaitable[str]]:
    """Start the seed case and route it by the routing rules, as the FOI officer would (the
    officer's pages come later): Q1–3 to vawg, Q4–5 to hate-crime, Q6–7 to
    community-engagement."""

    async def start() -> str:
        officer = system.acting_as(await resolve_actor(system.engine, OFFICER))
        started = await intake.start_case(officer, seed_document(await env.get_current_time()))
        opened.append(started.reference)
        await actions.route_questions(officer, started.reference, RoutesIn(accept_suggestions=True))
        return started.reference

    return start
