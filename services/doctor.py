"""Is this deployment able to run cases? The checks behind ``foiflow doctor``.

Each check answers with a typed :class:`Check` (what was looked at, what was found and, when it
is not fine, the fix in plain words), so the CLI prints them and a page could show them. Checks
only look: nothing is migrated, created or registered here.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from collections.abc import Awaitable
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from pydantic import BaseModel
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from temporalio.api.enums.v1 import IndexedValueType, TaskQueueType
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest, DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from services.db import calendar_versions
from services.errors import Unavailable
from services.temporal import connect
from settings import Settings, env_name
from statute import local_date
from statute.calendar import CalendarError
from store import refdata
from store.db import (
    alembic_config,
    create_store_engine,
    current_revision,
    head_revision,
    is_sqlite,
    session_scope,
)
from workflows.search_attributes import ALL_KEYS, cli_flags

T = TypeVar("T")

TIMEOUT_S = 5.0  # per network check: a doctor that hangs is no help
CALENDAR_WARNING = timedelta(days=365)  # a year: time to load the next year's holidays


def search_attribute_types() -> dict[str, str]:
    """foiflow's search attributes and their types, as the ``temporal`` CLI names them."""
    pairs = (flag.split("=", 1) for flag in cli_flags() if flag != "--search-attribute")
    return {name: kind for name, kind in pairs}


class Status(StrEnum):
    OK = "ok"
    WARNING = "warning"  # works today, will not for long
    PROBLEM = "problem"  # does not work: cases cannot run, or something they need fails
    NOT_CONFIGURED = "not configured"  # nothing to check in this deployment
    NOT_CHECKED = "not checked"  # an earlier problem makes the check meaningless


class Check(BaseModel, frozen=True):
    part: str  # Temporal, database, SMTP, calendar
    name: str  # what was checked, e.g. "search attributes"
    status: Status
    detail: str  # what was found, in plain words
    fix: str = ""  # what to do about it, when it is not ok


class Report(BaseModel, frozen=True):
    checks: list[Check]

    @property
    def problems(self) -> list[Check]:
        return [c for c in self.checks if c.status == Status.PROBLEM]

    @property
    def warnings(self) -> list[Check]:
        return [c for c in self.checks if c.status == Status.WARNING]

    @property
    def healthy(self) -> bool:
        return not self.problems


def _ok(part: str, name: str, detail: str) -> Check:
    return Check(part=part, name=name, status=Status.OK, detail=detail)


def _problem(part: str, name: str, detail: str, fix: str) -> Check:
    return Check(part=part, name=name, status=Status.PROBLEM, detail=detail, fix=fix)


def _not_checked(part: str, name: str, why: str) -> Check:
    return Check(part=part, name=name, status=Status.NOT_CHECKED, detail=why)


async def _within(work: Awaitable[T], timeout: float) -> T:
    return await asyncio.wait_for(work, timeout)


# --- Temporal -------------------------------------------------------------------------------

TEMPORAL = "Temporal"


def _why_unreachable(exc: BaseException, timeout: float) -> str:
    # The SDK's message is a transport error dump; the cause in a few words is what helps.
    said = str(exc)
    for needle, reason in (
        ("ConnectionRefused", "connection refused"),
        ("dns error", "no such host"),
        ("failed to lookup address", "no such host"),
        ("InvalidCertificate", "its TLS certificate is not trusted"),
        ("tls handshake", "the TLS handshake failed"),
        ("PermissionDenied", "permission denied (the API key or client certificate)"),
    ):
        if needle.lower() in said.lower():
            return reason
    if isinstance(exc, TimeoutError) or not said:
        return f"no answer within {timeout:g} s"
    return said.splitlines()[0][:200]


async def check_temporal(settings: Settings, timeout: float = TIMEOUT_S) -> list[Check]:
    """Reachable, the namespace exists, foiflow's search attributes are registered with their
    types, and a worker polls the task queue."""
    address, namespace = settings.temporal_address, settings.temporal_namespace
    address_var, namespace_var = env_name("temporal_address"), env_name("temporal_namespace")
    try:
        client = await _within(connect(settings), timeout)
    except Unavailable as exc:  # a TLS file that cannot be read
        return [_problem(TEMPORAL, "reachable", exc.reason, f"check {exc.field}")]
    except (RuntimeError, OSError, TimeoutError) as exc:
        said = _why_unreachable(exc, timeout)
        return [
            _problem(
                TEMPORAL,
                "reachable",
                f"cannot reach Temporal at {address} ({said})",
                f"start the Temporal server, or set {address_var} to where it runs "
                "(with FOIFLOW_TEMPORAL_TLS_* or FOIFLOW_TEMPORAL_API_KEY if it needs TLS)",
            )
        ]
    checks = [_ok(TEMPORAL, "reachable", f"answers at {address}")]
    try:
        await _within(
            client.workflow_service.describe_namespace(
                DescribeNamespaceRequest(namespace=namespace)
            ),
            timeout,
        )
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
        checks.append(
            _problem(
                TEMPORAL,
                "namespace",
                f"namespace {namespace!r} does not exist",
                f"create it (`temporal operator namespace create --namespace {namespace}`; the "
                f"compose file's temporal-setup job does), or set {namespace_var} to an existing "
                "one",
            )
        )
        why = f"namespace {namespace!r} does not exist"
        checks += [_not_checked(TEMPORAL, n, why) for n in ("search attributes", "worker")]
        return checks
    checks.append(_ok(TEMPORAL, "namespace", f"{namespace!r} exists"))
    checks.append(await _search_attributes(client, namespace, timeout))
    checks.append(await _worker_polling(client, settings, timeout))
    return checks


async def _search_attributes(client: Client, namespace: str, timeout: float) -> Check:
    name = "search attributes"
    try:
        listed = await _within(
            client.operator_service.list_search_attributes(
                ListSearchAttributesRequest(namespace=namespace)
            ),
            timeout,
        )
    except RPCError as exc:
        if exc.status != RPCStatusCode.UNIMPLEMENTED:
            raise
        return _not_checked(TEMPORAL, name, "this server cannot list search attributes")
    registered = dict(listed.custom_attributes)
    wanted = search_attribute_types()
    wrong: list[str] = []
    for key in ALL_KEYS:
        kind = registered.get(key.name)
        if kind is None:
            wrong.append(f"{key.name} is missing")
        elif int(kind) != int(key.indexed_value_type):
            wrong.append(
                f"{key.name} is {IndexedValueType.Name(kind).removeprefix('INDEXED_VALUE_TYPE_')}"
                f" but foiflow needs {wanted[key.name]}"
            )
    if not wrong:
        return _ok(TEMPORAL, name, f"all {len(ALL_KEYS)} of foiflow's are registered")
    flags = " ".join(
        f"--name {name} --type {kind}" for name, kind in wanted.items() if name not in registered
    )
    fix = (
        f"register them: `temporal operator search-attribute create --namespace {namespace} "
        f"{flags}` (the compose file's temporal-setup job does this)"
        if flags
        else "a search attribute's type cannot change: use a new namespace, or remove and "
        "re-create the attribute (`temporal operator search-attribute remove`) while no case runs"
    )
    return _problem(TEMPORAL, name, "; ".join(wrong), fix)


async def _worker_polling(client: Client, settings: Settings, timeout: float) -> Check:
    name = "worker"
    queue = settings.task_queue
    missing: list[str] = []
    seen: list[datetime] = []
    for kind, label in (
        (TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, "workflow"),
        (TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY, "activity"),
    ):
        described = await _within(
            client.workflow_service.describe_task_queue(
                DescribeTaskQueueRequest(
                    namespace=settings.temporal_namespace,
                    task_queue=TaskQueue(name=queue),
                    task_queue_type=kind,
                )
            ),
            timeout,
        )
        if not described.pollers:
            missing.append(label)
        seen += [p.last_access_time.ToDatetime(UTC) for p in described.pollers]
    if missing:
        return _problem(
            TEMPORAL,
            name,
            f"no worker polls task queue {queue!r} for {' or '.join(missing)} tasks: cases wait "
            "and nothing happens",
            f"start a worker (`python worker.py`, or the compose file's foiflow-worker) with "
            f"FOIFLOW_TASK_QUEUE={queue} against this server and namespace",
        )
    latest = max(seen).strftime("%Y-%m-%d %H:%M:%S UTC")
    return _ok(TEMPORAL, name, f"a worker polls task queue {queue!r} (last poll {latest})")


# --- The database ---------------------------------------------------------------------------

DATABASE = "database"


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _known_revision(revision: str) -> bool:
    try:
        return (
            ScriptDirectory.from_config(alembic_config("sqlite://")).get_revision(revision)
            is not None
        )
    except CommandError:
        return False


def check_database(settings: Settings) -> tuple[list[Check], Engine | None]:
    """Reachable, and migrated to this foiflow's newest revision. Returns the engine when the
    store is current (the calendar check reads it)."""
    url, var = settings.database_url, env_name("database_url")
    if is_sqlite(url):
        path = make_url(url).database
        if path and path != ":memory:" and not Path(path).exists():
            return [
                _problem(
                    DATABASE,
                    "reachable",
                    f"no store at {path}",
                    f"run `foiflow store migrate` to create it, or set {var} to the store",
                ),
                _not_checked(DATABASE, "migrations", "there is no store"),
            ], None
    # An engine of its own, disposed of afterwards: the doctor leaves no pool behind.
    engine = create_store_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        engine.dispose()
        detail = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        return [
            _problem(
                DATABASE,
                "reachable",
                f"cannot connect to {_shown(url)} ({detail})",
                f"check {var} and that the database server is running and accepts foiflow's user",
            ),
            _not_checked(DATABASE, "migrations", "the store cannot be reached"),
        ], None
    checks = [_ok(DATABASE, "reachable", f"connected to {_shown(url)}")]
    head, current = head_revision(), current_revision(engine)
    if current == head:
        checks.append(_ok(DATABASE, "migrations", f"at the newest revision ({head})"))
        return checks, engine
    migrate = (
        "run `foiflow store migrate` (the worker and the web app also migrate when they start)"
    )
    if current is None:
        found = "empty: never migrated" if not inspect(engine).get_table_names() else "not"
        detail = f"the store is {found} (foiflow needs {head})"
        checks.append(_problem(DATABASE, "migrations", detail, migrate))
    elif _known_revision(current):
        checks.append(
            _problem(
                DATABASE,
                "migrations",
                f"the store is at revision {current}; this foiflow needs {head}",
                migrate,
            )
        )
    else:
        checks.append(
            _problem(
                DATABASE,
                "migrations",
                f"the store is at revision {current}, which this foiflow does not know (a newer "
                "release migrated it)",
                "run the foiflow release that migrated it (or newer); never migrate it down",
            )
        )
    engine.dispose()
    return checks, None


# --- SMTP -----------------------------------------------------------------------------------

SMTP = "SMTP"


def _smtp_session(settings: Settings, timeout: float) -> str:
    # Read by name: the SMTP settings arrive with the delivery work, and this check must run on
    # a foiflow that has them and one that does not.
    values: dict[str, Any] = settings.model_dump()
    host, port = str(values["smtp_host"]), int(values["smtp_port"])
    security = str(values.get("smtp_security", "none"))
    username = str(values.get("smtp_username", ""))
    secret = values.get("smtp_password", "")
    password = str(secret.get_secret_value() if hasattr(secret, "get_secret_value") else secret)
    context = ssl.create_default_context()
    server: smtplib.SMTP = (
        smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
        if security == "tls"
        else smtplib.SMTP(host, port, timeout=timeout)
    )
    try:
        server.ehlo()
        if security == "starttls":
            server.starttls(context=context)
            server.ehlo()
        if username:
            server.login(username, password)
    finally:
        try:
            server.quit()
        except smtplib.SMTPException:
            server.close()
    return f"{host}:{port}" + (f" ({security})" if security != "none" else "")


async def check_smtp(settings: Settings, timeout: float = TIMEOUT_S) -> list[Check]:
    """The mail server answers (and accepts the login, when one is set)."""
    if "smtp_host" not in type(settings).model_fields:
        return [
            Check(
                part=SMTP,
                name="server",
                status=Status.NOT_CONFIGURED,
                detail="this foiflow sends no email (no SMTP settings)",
            )
        ]
    try:
        where = await asyncio.to_thread(_smtp_session, settings, timeout)
    except smtplib.SMTPAuthenticationError as exc:
        return [
            _problem(
                SMTP,
                "server",
                f"the mail server refused the login ({exc.smtp_code})",
                "check FOIFLOW_SMTP_USERNAME and FOIFLOW_SMTP_PASSWORD",
            )
        ]
    except (OSError, smtplib.SMTPException) as exc:
        values = settings.model_dump()
        host, port = values["smtp_host"], values["smtp_port"]
        return [
            _problem(
                SMTP,
                "server",
                f"cannot talk to the mail server at {host}:{port} ({exc})",
                "check FOIFLOW_SMTP_HOST, FOIFLOW_SMTP_PORT and FOIFLOW_SMTP_SECURITY (none, "
                "starttls or tls) and that the server accepts connections from here",
            )
        ]
    return [_ok(SMTP, "server", f"answers at {where}")]


# --- The calendar ---------------------------------------------------------------------------

CALENDAR = "calendar"


def check_calendar(engine: Engine | None, today: date | None = None) -> list[Check]:
    """The newest stored calendar covers today and the next year."""
    name = "coverage"
    if engine is None:
        return [_not_checked(CALENDAR, name, "the store cannot be read (see the database)")]
    try:
        latest = calendar_versions(engine).latest()
        if today is None:
            with session_scope(engine) as session:
                zone = refdata.get_authority(session).time_zone
            today = local_date(datetime.now(UTC), zone)
    except (CalendarError, SQLAlchemyError) as exc:
        return [
            _problem(
                CALENDAR,
                name,
                f"the stored calendar cannot be read ({exc})",
                "`foiflow calendar show` says more; `foiflow calendar refresh` stores a fresh one",
            )
        ]
    covered = f"calendar v{latest.version} covers {latest.coverage_start} to {latest.coverage_end}"
    refresh = (
        "run `foiflow calendar refresh` (GOV.UK publishes bank holidays about a year ahead) or "
        "add proclaimed ones with `foiflow calendar add`"
    )
    if latest.coverage_end < today:
        return [
            _problem(
                CALENDAR,
                name,
                f"{covered}: deadlines after it cannot be counted, so new requests are refused",
                refresh,
            )
        ]
    if latest.coverage_end - today < CALENDAR_WARNING:
        return [
            Check(
                part=CALENDAR,
                name=name,
                status=Status.WARNING,
                detail=f"{covered}: it runs out within a year, and requests due after it "
                "will be refused",
                fix=refresh,
            )
        ]
    return [_ok(CALENDAR, name, covered)]


# --- All of it ------------------------------------------------------------------------------


async def diagnose(
    settings: Settings, *, today: date | None = None, timeout: float = TIMEOUT_S
) -> Report:
    """Every check, Temporal and SMTP concurrently with the store's."""
    temporal, smtp, (database, engine) = await asyncio.gather(
        check_temporal(settings, timeout),
        check_smtp(settings, timeout),
        asyncio.to_thread(check_database, settings),
    )
    try:
        calendar = await asyncio.to_thread(check_calendar, engine, today)
    finally:
        if engine is not None:
            engine.dispose()
    return Report(checks=[*temporal, *database, *smtp, *calendar])
