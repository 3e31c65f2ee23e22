"""Scale-out shown, not claimed: the parts run as separate processes on one PostgreSQL store —
the Temporal dev server, two workers, two web apps on their own ports and one dispatcher — and
twenty seed-shaped requests are driven through the API, spread over both web apps, while one
worker and one web app are killed part-way. Every case is still issued exactly once, no message
reaches the mail server twice, and the read model equals what a rebuild from Temporal gives.

The dispatcher sends only in working hours: outside them (a weekend run, say) its clock is moved
into the next ones (``scale_dispatcher.py``); inside them it is ``foiflow dispatch`` itself.
The client does what a load balancer would: a request to the dead web app goes to the other one
with the same ``Idempotency-Key``, so an action the dead one may have taken is not taken twice.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import yaml
from sqlalchemy import func, select
from sqlmodel import col

from delivery.hours import WorkingHours
from delivery.sink import Mailbox, MailSink, SinkHandler
from services.identity import DEMO_LOGINS_FILE, Identity, read_demo_logins
from services.temporal import case_state, connect
from settings import Settings, get_settings
from statute import calendar_for, packaged_calendar
from statute.regimes import get_regime
from store.db import dispose_engine, get_engine, migrate, session_scope
from store.models import CaseRow, DeliveryRow, DisclosureRow, OutboxRow
from store.seed import apply_seed, load_seed
from workflows.search_attributes import cli_flags

sys.path.insert(0, str(Path(__file__).resolve().parent / "store"))  # store_test_db
from store_test_db import drop_pg_database, ensure_postgres, new_pg_database

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "cli" / "demo"
BIN = Path(sys.executable).parent
CASES = 20
KILL_AFTER_STEPS = CASES * 12 // 4  # a quarter of the way through
READY_S = 120.0  # generous: a loaded 2-core machine starts six Python processes slowly
SETTLE_S = 60.0  # a killed worker's activities time out (30 s) before another runs them
REQUEST_S = 60.0
RUN_WINDOW = timedelta(minutes=15)  # the dispatcher sends for this long: within working hours
LONDON = ZoneInfo("Europe/London")

OFFICER = "aisha-rahman"
NOT_HELD = {"kind": "not_held", "searches": "VAWG panel files; the panel is being set up"}
EXEMPT: dict[str, Any] = yaml.safe_load((DEMO / "answer-exempt.yaml").read_text("utf-8"))
ANSWERS = {  # who answers which of the seed request's questions, and how
    **{q: ("tom-oduya", NOT_HELD) for q in (1, 2, 3)},
    **{q: ("priya-nair", EXEMPT) for q in (4, 5)},
    **{q: ("gareth-evans", EXEMPT) for q in (6, 7)},
}
SIGN_OFFS = {"31": "david-hughes", "40": "sarah-bennett"}
USERS = sorted({OFFICER, *SIGN_OFFS.values(), *(user for user, _ in ANSWERS.values())})


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _clock_shift(now: datetime, send_hour: int, until_hour: int) -> timedelta:
    """How far the dispatcher's clock must move so the run falls in working hours: none when it
    does already (the real `foiflow dispatch` runs), else to two hours into the next working
    day's hours (see scale_dispatcher.py)."""
    calendar = calendar_for(get_regime("foia"), packaged_calendar())
    hours = WorkingHours(calendar, LONDON, send_hour, until_hour)
    if hours.is_open(now) and hours.is_open(now + RUN_WINDOW):
        return timedelta(0)
    return hours.next_slot(now + RUN_WINDOW) + timedelta(hours=2) - now


class CountingHandler(SinkHandler):
    """Every arrival's Message-ID, repeats included (the mailbox keeps one file per id)."""

    def __init__(self, mailbox: Mailbox) -> None:
        super().__init__(mailbox)
        self.lock = threading.Lock()
        self.message_ids: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        raw = content if isinstance(content, bytes) else content.encode()
        with self.lock:
            self.message_ids.append(str(message_from_bytes(raw).get("Message-ID", "")))
        return await super().handle_DATA(server, session, envelope)


@dataclass
class Part:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text("utf-8", errors="replace")[-3000:]


@dataclass
class Stack:
    tmp: Path
    settings: Settings
    env: dict[str, str]
    web_ports: list[int]
    parts: dict[str, Part] = field(default_factory=dict)
    clock_shift: timedelta = timedelta(0)  # the dispatcher's, into working hours

    def start(self, name: str, command: list[str], env: dict[str, str] | None = None) -> Part:
        log = self.tmp / f"{name}.log"
        process = subprocess.Popen(
            command,
            cwd=self.tmp,  # no developer's .env takes part
            env=env or self.env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        self.parts[name] = part = Part(name, process, log)
        return part

    def outputs(self) -> str:
        return "\n".join(f"--- {p.name} ---\n{p.output()}" for p in self.parts.values())

    def check_running(self, *names: str) -> None:
        for name in names:
            part = self.parts[name]
            if part.process.poll() is not None:
                raise AssertionError(f"{name} exited {part.process.returncode}:\n{part.output()}")

    def stop_all(self) -> None:
        for part in reversed(self.parts.values()):
            if part.process.poll() is None:
                part.process.send_signal(signal.SIGTERM)
        for part in reversed(self.parts.values()):
            try:
                part.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                part.process.kill()
                part.process.wait()


def _wait(check: Callable[[], bool], seconds: float, what: str, stack: Stack) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {seconds:.0f} s\n{stack.outputs()}")
        time.sleep(0.2)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    error = ensure_postgres()
    if error is not None:
        pytest.skip(f"PostgreSQL is unreachable at 127.0.0.1:5432 (database test): {error}")
    url = new_pg_database("foiflow_scale")
    try:
        yield url
    finally:
        dispose_engine(url)
        drop_pg_database(url)


@pytest.fixture
def sink() -> Iterator[tuple[MailSink, CountingHandler]]:
    mailbox = Mailbox(Path(os.environ["FOIFLOW_DATA_DIR"]) / f"scale-mail-{uuid.uuid4().hex}")
    handler = CountingHandler(mailbox)
    server = MailSink(mailbox, handler=handler).start()
    try:
        yield server, handler
    finally:
        server.stop()


@pytest.fixture
def stack(
    tmp_path: Path, postgres_url: str, sink: tuple[MailSink, CountingHandler]
) -> Iterator[Stack]:
    temporal_port, web1, web2 = _free_ports(3)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("TEMPORAL_") and k != "FOIFLOW_DATABASE_URL"
    }
    env |= {
        "FOIFLOW_DATA_DIR": str(tmp_path),
        "FOIFLOW_DATABASE_URL": postgres_url,
        "FOIFLOW_TEMPORAL_ADDRESS": f"127.0.0.1:{temporal_port}",
        "FOIFLOW_DISPATCH_IN_WORKER": "false",  # the one dispatcher process drains the outbox
        "FOIFLOW_DISPATCH_INTERVAL_SECONDS": "1",
        "FOIFLOW_SMTP_PORT": str(sink[0].port),
        "FOIFLOW_LOG_LEVEL": "WARNING",
        # Shared by every replica, as in production (each would otherwise make its own).
        "FOIFLOW_SECRET_KEY": uuid.uuid4().hex * 2,
    }
    settings = get_settings().model_copy(
        update={
            "data_dir": tmp_path,
            "database_url": postgres_url,
            "temporal_address": env["FOIFLOW_TEMPORAL_ADDRESS"],
        }
    )
    stack = Stack(tmp_path, settings, env, [web1, web2])
    try:
        # The store: migrated, the demo directory with its passwords, sending at any hour.
        migrate(postgres_url)
        seed = load_seed(DEMO / "seed.yaml")
        with session_scope(get_engine(postgres_url)) as session:
            apply_seed(session, seed, actor="tests")
        Identity(get_engine(postgres_url), settings).ensure_demo_logins()

        stack.start(
            "temporal",
            [
                str(BIN / "temporal"), "server", "start-dev", "--headless",
                "--ip", "127.0.0.1", "--port", str(temporal_port),
                "--namespace", settings.temporal_namespace, "--log-level", "warn",
                *cli_flags(),
            ],
        )  # fmt: skip
        _wait(
            lambda: _answers(temporal_port),
            READY_S,
            "the Temporal dev server did not listen",
            stack,
        )
        for name in ("worker-1", "worker-2"):
            # At INFO, so its "worker polling" line says when it is up.
            stack.start(name, [sys.executable, "-m", "worker"], env | {"FOIFLOW_LOG_LEVEL": "INFO"})
        for name, port in (("web-1", web1), ("web-2", web2)):
            stack.start(
                name,
                [
                    str(BIN / "uvicorn"), "--factory", "web.app:app_from_env",
                    "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
                ],
            )  # fmt: skip
        send_hour = seed.authority.reminders.send_hour
        stack.clock_shift = _clock_shift(datetime.now(UTC), send_hour, settings.delivery_until_hour)
        if stack.clock_shift:
            shift = {"SCALE_DISPATCH_CLOCK_SHIFT_S": str(stack.clock_shift.total_seconds())}
            script = str(Path(__file__).resolve().parent / "scale_dispatcher.py")
            # Run from the data directory, not beside tests/ (whose folders shadow packages).
            run = f"import runpy; runpy.run_path({script!r}, run_name='__main__')"
            stack.start("dispatcher", [sys.executable, "-c", run], env | shift)
        else:
            stack.start("dispatcher", [str(BIN / "foiflow"), "dispatch"])
        yield stack
    finally:
        stack.stop_all()


def _answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


def _web_ready(port: int) -> bool:
    try:
        health = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2)
    except httpx.TransportError:
        return False
    return health.status_code == 200 and health.json().get("temporal") == "connected"


def _workers_polling(stack: Stack) -> bool:
    return all("worker polling" in stack.parts[n].output() for n in ("worker-1", "worker-2"))


@dataclass
class Driver:
    """The API over both web apps, as a load balancer spreads it; counts steps taken."""

    client: httpx.AsyncClient
    webs: list[str]
    tokens: dict[str, str] = field(default_factory=dict)
    steps: int = 0
    failovers: int = 0
    turn: Iterator[int] = field(default_factory=itertools.count)

    async def login(self, user: str, password: str) -> None:
        response = await self.client.post(
            f"{self.webs[0]}/api/token", data={"username": user, "password": password}
        )
        assert response.status_code == 200, response.text
        self.tokens[user] = response.json()["access_token"]

    async def post(self, user: str, path: str, body: Any = None) -> dict[str, Any]:
        key = uuid.uuid4().hex  # one action: every try carries the same key
        headers = {"Authorization": f"Bearer {self.tokens[user]}", "Idempotency-Key": key}
        first = next(self.turn)
        for attempt in range(6):
            web = self.webs[(first + attempt) % len(self.webs)]
            try:
                response = await self.client.post(f"{web}{path}", json=body, headers=headers)
            except httpx.TransportError:
                self.failovers += 1  # that web app is gone: the other one takes the request
                continue
            assert response.status_code in (200, 201), f"{path}: {response.text}"
            self.steps += 1
            result: dict[str, Any] = response.json()
            return result
        raise AssertionError(f"{path}: no web app answered")

    async def get(self, user: str, path: str) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.tokens[user]}"}
        for web in self.webs:
            try:
                response = await self.client.get(f"{web}{path}", headers=headers)
            except httpx.TransportError:
                continue
            assert response.status_code == 200, f"{path}: {response.text}"
            result: dict[str, Any] = response.json()
            return result
        raise AssertionError(f"{path}: no web app answered")


async def _case(driver: Driver, number: int) -> str:
    """One seed-shaped request from receipt to issue, every step through the API."""
    document: dict[str, Any] = yaml.safe_load((DEMO / "seed_case.yaml").read_text("utf-8"))
    document.pop("reference")
    received = datetime.now(UTC) - timedelta(minutes=number + 1)
    document["received_at"] = received.isoformat()
    reference: str = (await driver.post(OFFICER, "/api/cases", document))["reference"]
    case = f"/api/cases/{reference}"
    await driver.post(OFFICER, f"{case}/routes", {"accept_suggestions": True})
    for question, (user, answer) in ANSWERS.items():
        await driver.post(user, f"{case}/questions/{question}/answer", answer)
    for section, user in SIGN_OFFS.items():
        await driver.post(user, f"{case}/sign-offs/{section}", {"approve": True})
    await driver.post(OFFICER, f"{case}/approve")
    issued = await driver.post(OFFICER, f"{case}/issue")
    assert issued["status"] == "issued", issued["status"]
    return reference


async def _kill_midway(driver: Driver, stack: Stack) -> None:
    while driver.steps < KILL_AFTER_STEPS:
        await asyncio.sleep(0.05)
    for name in ("worker-1", "web-1"):
        os.kill(stack.parts[name].process.pid, signal.SIGKILL)
        stack.parts[name].process.wait()


async def _settled(settings: Settings, references: list[str]) -> dict[str, Any]:
    """Every case's view, once the read model holds its current version (bounded)."""
    client = await connect(settings)
    engine = get_engine(settings.database_url)
    deadline = time.monotonic() + SETTLE_S
    while True:
        views = {r: await case_state(client, r) for r in references}
        with session_scope(engine) as session:
            stored = dict(
                session.execute(
                    select(col(CaseRow.reference), col(CaseRow.version)).where(
                        col(CaseRow.reference).in_(references)
                    )
                ).all()
            )
        behind = [r for r, v in views.items() if stored.get(r, -1) < v.version]
        if not behind:
            return views
        if time.monotonic() > deadline:
            raise AssertionError(f"the read model never caught up with {behind}")
        await asyncio.sleep(0.5)


def _mail_settled(stack: Stack) -> bool:
    """Nothing in the outbox is waiting to go now (by the dispatcher's clock)."""
    now = datetime.now(UTC) + stack.clock_shift
    with session_scope(get_engine(stack.settings.database_url)) as session:
        waiting = session.scalar(
            select(func.count())
            .select_from(OutboxRow)
            .where(col(OutboxRow.status) == "pending")
            .where((col(OutboxRow.not_before).is_(None)) | (col(OutboxRow.not_before) <= now))
        )
    return waiting == 0


async def test_two_workers_two_web_apps_and_a_dispatcher_survive_a_kill(
    stack: Stack, sink: tuple[MailSink, CountingHandler]
) -> None:
    began = time.monotonic()
    ports = stack.web_ports
    for port in ports:
        _wait(lambda port=port: _web_ready(port), READY_S, f"web app on {port} not ready", stack)
    _wait(lambda: _workers_polling(stack), READY_S, "the workers did not poll", stack)
    stack.check_running("temporal", "worker-1", "worker-2", "web-1", "web-2", "dispatcher")
    passwords = read_demo_logins(stack.tmp / DEMO_LOGINS_FILE)
    ready = time.monotonic() - began

    async with httpx.AsyncClient(timeout=REQUEST_S) as client:
        driver = Driver(client, [f"http://127.0.0.1:{port}" for port in ports])
        for user in USERS:
            await driver.login(user, passwords[user])
        killing = asyncio.create_task(_kill_midway(driver, stack))
        references = await asyncio.gather(*(_case(driver, n) for n in range(CASES)))
        await killing
        driven = time.monotonic() - began

        # Killed part-way, and the cases were spread over both web apps before that.
        assert stack.parts["worker-1"].process.returncode == -signal.SIGKILL
        assert stack.parts["web-1"].process.returncode == -signal.SIGKILL
        stack.check_running("temporal", "worker-2", "web-2", "dispatcher")
        assert driver.failovers > 0  # some requests met the dead web app and went on
        assert len(set(references)) == CASES

        # Every case issued, exactly once.
        views = await _settled(stack.settings, references)
        settled = time.monotonic() - began
        for reference, view in views.items():
            assert view.status == "issued", (reference, view.status)
            issued = [e for e in view.timeline if e.kind == "issued"]
            assert len(issued) == 1, (reference, [e.text for e in issued])
            seen = await driver.get(OFFICER, f"/api/cases/{reference}")
            assert seen["status"] == "issued"

    engine = get_engine(stack.settings.database_url)
    with session_scope(engine) as session:
        statuses = Counter(
            session.scalars(
                select(col(CaseRow.status)).where(col(CaseRow.reference).in_(references))
            )
        )
        published = Counter(
            session.scalars(
                select(col(DisclosureRow.reference)).where(
                    col(DisclosureRow.reference).in_(references)
                )
            )
        )
    assert statuses == {"issued": CASES}
    assert published == dict.fromkeys(references, 1)

    # No message reached the mail server twice; every email the outbox says went, arrived.
    _wait(lambda: _mail_settled(stack), SETTLE_S, "the outbox was not drained", stack)
    drained = time.monotonic() - began
    handler = sink[1]
    with session_scope(engine) as session:
        sent = set(
            session.scalars(
                select(col(DeliveryRow.message_id))
                .where(col(DeliveryRow.status) == "sent")
                .where(col(DeliveryRow.channel) == "email")
            )
        )
    with handler.lock:
        arrivals = Counter(handler.message_ids)
    assert len(sent) >= CASES * 5  # acknowledgements, tasks, sign-offs, responses
    assert [m for m, n in arrivals.items() if n > 1] == []
    assert set(arrivals) == sent

    # The read model is what a rebuild from Temporal would write.
    rebuild = subprocess.run(
        [str(BIN / "foiflow"), "store", "rebuild", "--dry-run"],
        cwd=stack.tmp,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert rebuild.returncode == 0, rebuild.stdout + rebuild.stderr
    assert rebuild.stdout.splitlines()[0] == (
        f"{CASES} unchanged, 0 added, 0 corrected, 0 not in Temporal"
    ), rebuild.stdout
    print(
        f"\nscale-out, seconds after the processes started: ready {ready:.1f}, {CASES} cases "
        f"driven {driven:.1f} ({driver.failovers} failovers), read model caught up "
        f"{settled:.1f}, outbox drained {drained:.1f} ({len(sent)} emails), rebuild checked "
        f"{time.monotonic() - began:.1f}; the dispatcher's clock moved {stack.clock_shift}"
    )
