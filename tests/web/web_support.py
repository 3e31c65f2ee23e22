"""The API in-process (httpx over ASGI) on a real store: a seeded SQLite file per test.

Per-role token fixtures, as in the FastAPI full-stack template: ``headers(Role.ADMIN)`` gives
an ``Authorization`` header for the demo user holding that role.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy import select
from sqlmodel import col
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.review import review_workflow_id
from services.context import ServiceContext
from services.identity import Identity, Principal
from services.runtime import Runtime, TemporalClient
from settings import Settings, get_settings
from statute.exemptions import Role
from store import refdata
from store.db import dispose_engine, get_engine, migrate, session_scope
from store.models import CaseRow
from store.seed import apply_seed, load_seed
from web.app import create_app

from case_api import CaseApi

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "store"))  # store_test_db

ROOT = Path(__file__).resolve().parents[2]
DEMO_SEED = ROOT / "cli" / "demo" / "seed.yaml"

# One demo user per role (cli/demo/seed.yaml).
ROLE_USERS: dict[Role, str] = {
    Role.FOI_OFFICER: "aisha-rahman",
    Role.UNIT_CONTACT: "tom-oduya",
    Role.UNIT_MANAGER: "helen-marsh",
    Role.SENIOR_OFFICER: "david-hughes",
    Role.DATA_PROTECTION_OFFICER: "sarah-bennett",
    Role.QUALIFIED_PERSON: "james-whitfield",
    Role.NATIONAL_SECURITY_LEAD: "neil-carter",
    Role.MANAGER: "olivia-grant",
    Role.ADMIN: "kevin-ashworth",
}
ADMIN = ROLE_USERS[Role.ADMIN]
# Real argon2 with small parameters: the tests log in hundreds of times.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
PASSWORD = "correct horse battery staple"

Headers = dict[str, str]


def seeded_store(url: str) -> None:
    migrate(url)
    with session_scope(get_engine(url)) as session:
        apply_seed(session, load_seed(DEMO_SEED), "seed")


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("web-template") / "foiflow.db"
    url = f"sqlite:///{path}"
    seeded_store(url)
    dispose_engine(url)  # checkpoints the WAL into the file before it is copied
    return path


@pytest.fixture
def settings(seeded_template: Path, tmp_path: Path) -> Iterator[Settings]:
    """A data directory and a demo-seeded SQLite store of the test's own."""
    db = tmp_path / "foiflow.db"
    shutil.copyfile(seeded_template, db)
    url = f"sqlite:///{db}"
    yield Settings(data_dir=tmp_path, database_url=url, temporal_address="127.0.0.1:1")
    dispose_engine(url)


def make_app(
    settings: Settings, *, temporal: TemporalClient | None = None, connect_temporal: bool = False
) -> FastAPI:
    identity = Identity(get_engine(settings.database_url), settings, hasher=FAST_HASHER)
    return create_app(
        settings, temporal=temporal, connect_temporal=connect_temporal, identity=identity
    )


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return make_app(settings)


@pytest.fixture
def runtime(app: FastAPI) -> Runtime:
    rt: Runtime = app.state.runtime
    return rt


def client_for(app: FastAPI, address: str = "203.0.113.7") -> AsyncClient:
    return AsyncClient(
        transport=ASGITransport(app=app, client=(address, 50000)), base_url="http://testserver"
    )


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[AsyncClient]:
    async with client_for(app) as c:
        yield c


@pytest.fixture
def tokens(runtime: Runtime) -> dict[Role, str]:
    """A bearer token for each role's demo user (issued directly: no password hashing)."""
    return {
        role: runtime.identity.issue_token(Principal(user, "password")).access_token
        for role, user in ROLE_USERS.items()
    }


@pytest.fixture
def headers(tokens: dict[Role, str]) -> Callable[[Role], Headers]:
    def for_role(role: Role) -> Headers:
        return {"Authorization": f"Bearer {tokens[role]}"}

    return for_role


@pytest.fixture
def admin_headers(headers: Callable[[Role], Headers]) -> Headers:
    return headers(Role.ADMIN)


@pytest.fixture
def with_passwords(runtime: Runtime) -> Callable[..., None]:
    """Give the named users ``PASSWORD`` (as an admin would)."""

    def give(*users: str) -> None:
        for user in users:
            runtime.identity.set_password(user, PASSWORD, "test")

    return give


# --- Case routes: the app on the time-skipping server, with a store and a worker of its own ------


@pytest.fixture(scope="module")
def case_store(seeded_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A demo-seeded SQLite store for one test module: its lists hold only its own cases.

    Its references have a force code of their own: every module's cases run on the session's
    time-skipping server, where a reference (the workflow id) is never used twice.
    """
    db = tmp_path_factory.mktemp("cases") / "foiflow.db"
    shutil.copyfile(seeded_template, db)
    url = f"sqlite:///{db}"
    with session_scope(get_engine(url)) as session:
        authority = refdata.get_authority(session)
        force = f"T{uuid.uuid4().hex[:6].upper()}"
        refdata.save_authority(session, authority.model_copy(update={"force_code": force}), "tests")
    yield url
    dispose_engine(url)


@pytest.fixture(scope="module")
async def case_worker(
    env: WorkflowEnvironment, executor: ThreadPoolExecutor, case_store: str
) -> AsyncIterator[Worker]:
    """A worker projecting into the module's store. Cases it runs are ended before it stops
    (``case_api``), so no later time skip waits on a task queue nobody polls."""
    from activities.store_adapters import store_activities
    from worker import build_worker

    settings = Settings(database_url=case_store)
    queue = f"web-cases-{uuid.uuid4()}"
    async with build_worker(env.client, queue, executor, store_activities(settings)) as w:
        yield w


@pytest.fixture(scope="module")
def case_settings(
    case_store: str, case_worker: Worker, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    return Settings(
        data_dir=tmp_path_factory.mktemp("case-data"),
        database_url=case_store,
        task_queue=case_worker.task_queue,
    )


@pytest.fixture(scope="module")
def cases_app(env: WorkflowEnvironment, case_settings: Settings) -> FastAPI:
    return make_app(case_settings, temporal=env.client)


@pytest.fixture(scope="module")
async def case_api(
    env: WorkflowEnvironment, cases_app: FastAPI, case_settings: Settings
) -> AsyncIterator[CaseApi]:
    """Every user's calls to the module's app, and cases in a given state (``case_api.py``)."""
    runtime: Runtime = cases_app.state.runtime
    system = ServiceContext(
        settings=case_settings, engine=get_engine(case_settings.database_url), client=env.client
    )
    async with client_for(cases_app) as api:
        cases = CaseApi(api, env, runtime.identity, system)
        yield cases
    # Every case the module started (those its read model holds, too) ends with it.
    with session_scope(system.engine) as session:
        projected = session.scalars(select(col(CaseRow.reference))).all()
    for reference in {*cases.started, *projected}:
        for workflow_id in (reference, review_workflow_id(reference)):
            with contextlib.suppress(RPCError):  # closed already, or never started
                await env.client.get_workflow_handle(workflow_id).terminate("test module over")


# --- The app on the session's store, for tests driving cases on the module's server ----------


@pytest.fixture
def session_settings(worker: Worker, directory: None) -> Settings:
    """The session's store (the worker's activities project into it) and the worker's queue."""
    return get_settings().model_copy(update={"task_queue": worker.task_queue})


@pytest.fixture
def case_app(env: WorkflowEnvironment, session_settings: Settings) -> FastAPI:
    return make_app(session_settings, temporal=env.client)


@pytest.fixture
async def api(case_app: FastAPI) -> AsyncIterator[AsyncClient]:
    async with client_for(case_app) as c:
        yield c
