"""The CLI against the real API: the app served by uvicorn on a free 127.0.0.1 port, in the
session's event loop (with the time-skipping server's client and the session's worker and
store), and ``foiflow`` run by typer's runner in a thread with a config directory of its own."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import uvicorn
from argon2 import PasswordHasher
from click.testing import Result
from fastapi import FastAPI
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from typer.testing import CliRunner

from cli.main import app as foiflow_app
from services.identity import Identity
from services.runtime import TemporalClient
from settings import Settings, get_settings
from store.db import get_engine
from web.app import create_app

# Real argon2 with small parameters: the tests log in dozens of times.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
PASSWORD = "correct horse battery staple"
# The demo users the tests log in as (cli/demo/seed.yaml).
USERS = (
    "aisha-rahman",
    "tom-oduya",
    "priya-nair",
    "gareth-evans",
    "david-hughes",
    "sarah-bennett",
    "kevin-ashworth",
    "olivia-grant",  # a manager: reviews what others decided
)

Foiflow = Callable[..., Awaitable[Result]]


def api_app(
    settings: Settings, temporal: TemporalClient | None = None, *, set_passwords: bool = True
) -> FastAPI:
    """The real app; ``set_passwords`` gives ``USERS`` the password ``PASSWORD`` (which also
    ends their tokens, so an app added later on the same store passes False)."""
    identity = Identity(get_engine(settings.database_url), settings, hasher=FAST_HASHER)
    if set_passwords:
        for user in USERS:
            identity.set_password(user, PASSWORD, "tests")
    return create_app(settings, temporal=temporal, identity=identity)


def closed_port() -> int:
    """A port nothing listens on (bound for a moment, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    """``app`` on a real socket in this event loop; yields its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))  # bound before uvicorn starts: no race for the port
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        for _ in range(500):
            if server.started or task.done():
                break
            await asyncio.sleep(0.01)
        assert server.started, "the API never started"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@pytest.fixture(scope="module")
def api_settings(worker: Worker, directory: None) -> Settings:
    """The session's store (the worker's activities project into it) and task queue."""
    return get_settings().model_copy(update={"task_queue": worker.task_queue})


@pytest.fixture(scope="module")
async def api_url(env: WorkflowEnvironment, api_settings: Settings) -> AsyncIterator[str]:
    async with serving(api_app(api_settings, env.client)) as url:
        yield url


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    return tmp_path / "config"


@pytest.fixture
def foiflow(config_dir: Path) -> Foiflow:
    """Run ``foiflow ARGS`` off the event loop the API and the worker run on."""
    runner = CliRunner()
    environment = {
        "FOIFLOW_CONFIG_DIR": str(config_dir),
        "COLUMNS": "250",  # one table row per line
    }

    async def run(*args: str, input: str | None = None, **extra: str) -> Result:
        return await asyncio.to_thread(
            runner.invoke, foiflow_app, list(args), input=input, env={**environment, **extra}
        )

    return run


@pytest.fixture
def login_as(foiflow: Foiflow, api_url: str) -> Callable[[str], Awaitable[Result]]:
    """``foiflow login`` as a demo user (the password on standard input)."""

    async def login(user: str) -> Result:
        result = await foiflow(
            "login",
            "--api",
            api_url,
            "--username",
            user,
            "--password-stdin",
            input=PASSWORD + "\n",
        )
        assert result.exit_code == 0, result.output
        return result

    return login
