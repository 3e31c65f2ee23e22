"""``foiflow doctor``'s checks against real parts: the dev server with a real worker, real SQLite
stores (migrated, empty, behind, ahead), an address nothing listens on, a local SMTP server, and
a stored calendar that runs out soon."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SmtpServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from alembic import command
from google.protobuf.duration_pb2 import Duration
from pydantic import SecretStr
from sqlalchemy import inspect, text
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.api.workflowservice.v1 import RegisterNamespaceRequest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from typer.testing import CliRunner

from cli.main import app as foiflow_app
from services.delivery import start_mail_sink
from services.doctor import (
    Check,
    Report,
    Status,
    check_calendar,
    check_database,
    check_smtp,
    check_temporal,
    diagnose,
    search_attribute_types,
)
from settings import Settings
from statute.calendar import CalendarData, packaged_calendar
from store.calendar_versions import DbCalendarRepository
from store.db import alembic_config, dispose_engine, get_engine, migrate
from workflows.search_attributes import ALL_KEYS

PACKAGED = packaged_calendar()
# A day the packaged calendar covers with years to spare: the healthy checks do not depend on
# the day the suite runs.
WELL_COVERED = PACKAGED.coverage_end - timedelta(days=800)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def by_name(report: Report | list[Check]) -> dict[tuple[str, str], Check]:
    checks = report.checks if isinstance(report, Report) else report
    return {(c.part, c.name): c for c in checks}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Settings]:
    """Settings for a migrated SQLite store of this test's own, and a real SMTP server (the
    local sink) for the SMTP check to talk to."""
    port = closed_port()
    settings = Settings(data_dir=tmp_path, smtp_port=port, mail_sink_port=port)
    migrate(settings.database_url)
    sink = start_mail_sink(settings)
    yield settings
    sink.stop()
    dispose_engine(settings.database_url)


def on_dev_server(settings: Settings, dev_env: WorkflowEnvironment, **changes: str) -> Settings:
    address = dev_env.client.service_client.config.target_host
    return settings.model_copy(
        update={"temporal_address": address, "temporal_namespace": "default", **changes}
    )


async def polling(settings: Settings) -> None:
    """Until the module's worker has started polling (its pollers appear a moment after it
    starts): bounded, so a worker that never polls fails the test that needs it."""
    for _ in range(100):
        checks = by_name(await check_temporal(settings))
        if checks["Temporal", "worker"].status == Status.OK:
            return
        await asyncio.sleep(0.1)


# --- All good, and Temporal's problems ----------------------------------------------------------


async def test_a_deployment_with_a_polling_worker_and_a_current_store_is_all_good(
    dev_env: WorkflowEnvironment, dev_worker: Worker, store: Settings
) -> None:
    settings = on_dev_server(store, dev_env, task_queue=dev_worker.task_queue)
    await polling(settings)
    report = await diagnose(settings, today=WELL_COVERED)

    assert report.healthy and not report.warnings, report
    checks = by_name(report)
    assert [name for part, name in checks if part == "Temporal"] == [
        "reachable",
        "namespace",
        "search attributes",
        "worker",
    ]
    assert all(c.status == Status.OK for c in report.checks if c.part != "SMTP")
    assert checks["Temporal", "worker"].detail.startswith(
        f"a worker polls task queue '{dev_worker.task_queue}'"
    )
    assert checks["database", "migrations"].detail.startswith("at the newest revision")
    assert checks["SMTP", "server"].status == Status.OK
    assert checks["calendar", "coverage"].detail == (
        f"calendar v1 covers {PACKAGED.coverage_start} to {PACKAGED.coverage_end}"
    )


async def test_the_command_exits_0_when_nothing_is_wrong_and_1_when_anything_is(
    dev_env: WorkflowEnvironment, dev_worker: Worker, store: Settings
) -> None:
    env = {
        "FOIFLOW_DATA_DIR": str(store.data_dir),
        "FOIFLOW_SMTP_PORT": str(store.smtp_port),
        "FOIFLOW_DATABASE_URL": store.database_url,
        "FOIFLOW_TEMPORAL_ADDRESS": dev_env.client.service_client.config.target_host,
        "FOIFLOW_TEMPORAL_NAMESPACE": "default",
        "FOIFLOW_TASK_QUEUE": dev_worker.task_queue,
    }
    await polling(on_dev_server(store, dev_env, task_queue=dev_worker.task_queue))
    runner = CliRunner()
    good = await asyncio.to_thread(runner.invoke, foiflow_app, ["doctor"], env=env)
    assert good.exit_code == 0, good.output
    assert "PROBLEM" not in good.output
    assert "ok      Temporal: worker — a worker polls task queue" in good.output

    env["FOIFLOW_TASK_QUEUE"] = "nobody-polls-this"
    bad = await asyncio.to_thread(runner.invoke, foiflow_app, ["doctor", "--json"], env=env)
    assert bad.exit_code == 1, bad.output
    assert '"status": "problem"' in bad.output and "nobody-polls-this" in bad.output


async def test_no_worker_on_the_task_queue_is_a_problem_with_its_fix(
    dev_env: WorkflowEnvironment, store: Settings
) -> None:
    queue = f"nobody-{uuid.uuid4().hex[:8]}"
    checks = by_name(await diagnose(on_dev_server(store, dev_env, task_queue=queue)))
    worker = checks["Temporal", "worker"]
    assert worker.status == Status.PROBLEM
    assert worker.detail == (
        f"no worker polls task queue '{queue}' for workflow or activity tasks: cases wait and "
        "nothing happens"
    )
    assert f"FOIFLOW_TASK_QUEUE={queue}" in worker.fix and "python worker.py" in worker.fix


async def test_a_missing_namespace_is_a_problem_and_what_lives_in_it_is_not_checked(
    dev_env: WorkflowEnvironment, store: Settings
) -> None:
    settings = on_dev_server(store, dev_env, temporal_namespace="no-such-namespace")
    checks = by_name(await diagnose(settings))
    namespace = checks["Temporal", "namespace"]
    assert namespace.status == Status.PROBLEM
    assert namespace.detail == "namespace 'no-such-namespace' does not exist"
    assert "temporal operator namespace create --namespace no-such-namespace" in namespace.fix
    assert "FOIFLOW_TEMPORAL_NAMESPACE" in namespace.fix
    for name in ("search attributes", "worker"):
        assert checks["Temporal", name].status == Status.NOT_CHECKED


async def test_missing_or_mistyped_search_attributes_are_named_with_the_command_to_add_them(
    dev_env: WorkflowEnvironment, store: Settings
) -> None:
    namespace = f"bare-{uuid.uuid4().hex[:8]}"
    await dev_env.client.workflow_service.register_namespace(
        RegisterNamespaceRequest(
            namespace=namespace, workflow_execution_retention_period=Duration(seconds=86400)
        )
    )
    settings = on_dev_server(store, dev_env, temporal_namespace=namespace)

    missing = by_name(await diagnose(settings))["Temporal", "search attributes"]
    assert missing.status == Status.PROBLEM
    assert missing.detail == "; ".join(f"{key.name} is missing" for key in ALL_KEYS)
    flags = " ".join(f"--name {n} --type {t}" for n, t in search_attribute_types().items())
    assert missing.fix.startswith(
        f"register them: `temporal operator search-attribute create --namespace {namespace} "
        f"{flags}`"
    )

    # FoiStatus registered as a number: workflows would fail to upsert it.
    await dev_env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=namespace,
            search_attributes={"FoiStatus": IndexedValueType.INDEXED_VALUE_TYPE_INT},
        )
    )
    mistyped = by_name(await diagnose(settings))["Temporal", "search attributes"]
    assert mistyped.detail.startswith("FoiStatus is INT but foiflow needs Keyword; FoiRegime is")
    assert "--name FoiStatus" not in mistyped.fix  # it exists: only the missing ones are listed


async def test_an_unreachable_temporal_says_so_and_names_the_setting(store: Settings) -> None:
    settings = store.model_copy(update={"temporal_address": f"127.0.0.1:{closed_port()}"})
    report = await diagnose(settings, today=WELL_COVERED)
    temporal = [c for c in report.checks if c.part == "Temporal"]
    assert len(temporal) == 1
    assert temporal[0].status == Status.PROBLEM
    assert temporal[0].detail == (
        f"cannot reach Temporal at {settings.temporal_address} (connection refused)"
    )
    assert "set FOIFLOW_TEMPORAL_ADDRESS to where it runs" in temporal[0].fix
    # The store's checks still ran: one problem does not hide the others' state.
    assert by_name(report)["database", "migrations"].status == Status.OK
    assert not report.healthy


async def test_an_unreadable_tls_certificate_names_its_setting(
    store: Settings, tmp_path: Path
) -> None:
    settings = store.model_copy(
        update={
            "temporal_tls_cert": tmp_path / "missing.pem",
            "temporal_tls_key": tmp_path / "missing.key",
        }
    )
    checks = by_name(await diagnose(settings))
    reachable = checks["Temporal", "reachable"]
    assert reachable.status == Status.PROBLEM
    assert reachable.detail.startswith(f"cannot read {tmp_path / 'missing.pem'} (No such file")
    assert reachable.fix == "check FOIFLOW_TEMPORAL_TLS_CERT"


# --- The database ---------------------------------------------------------------------------


def test_a_store_never_migrated_is_a_problem_and_the_doctor_does_not_migrate_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "foiflow.db"
    sqlite3.connect(path).close()  # the file exists, with no tables
    settings = Settings(data_dir=tmp_path)

    checks, engine = check_database(settings)

    assert engine is None
    found = by_name(checks)
    assert found["database", "reachable"].status == Status.OK
    migrations = found["database", "migrations"]
    assert migrations.status == Status.PROBLEM
    assert migrations.detail.startswith("the store is empty: never migrated (foiflow needs ")
    assert migrations.fix.startswith("run `foiflow store migrate`")
    assert inspect(get_engine(settings.database_url)).get_table_names() == []
    dispose_engine(settings.database_url)


def test_a_missing_sqlite_file_is_not_created(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "nowhere")
    checks, _ = check_database(settings)
    reachable = by_name(checks)["database", "reachable"]
    assert reachable.detail == f"no store at {tmp_path / 'nowhere' / 'foiflow.db'}"
    assert not (tmp_path / "nowhere").exists()


def test_a_store_behind_this_release_is_told_to_migrate(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    engine = get_engine(settings.database_url)
    with engine.begin() as conn:
        cfg = alembic_config(settings.database_url)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    checks, _ = check_database(settings)
    migrations = by_name(checks)["database", "migrations"]
    assert migrations.status == Status.PROBLEM
    assert migrations.detail.startswith("the store is at revision 0001; this foiflow needs ")
    assert "`foiflow store migrate`" in migrations.fix
    dispose_engine(settings.database_url)


def test_a_store_migrated_by_a_newer_release_is_never_migrated_down(store: Settings) -> None:
    with get_engine(store.database_url).begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099_from_the_future'"))
    checks, _ = check_database(store)
    migrations = by_name(checks)["database", "migrations"]
    assert migrations.detail == (
        "the store is at revision 0099_from_the_future, which this foiflow does not know "
        "(a newer release migrated it)"
    )
    assert "never migrate it down" in migrations.fix


def test_an_unreachable_postgresql_is_a_problem(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://foiflow:secret@127.0.0.1:{closed_port()}/foiflow"
    checks, engine = check_database(Settings(data_dir=tmp_path, database_url=url))
    reachable = by_name(checks)["database", "reachable"]
    assert engine is None and reachable.status == Status.PROBLEM
    assert reachable.detail.startswith("cannot connect to postgresql+psycopg://foiflow:***@")
    assert "secret" not in reachable.detail  # the password is never printed
    assert reachable.fix.startswith("check FOIFLOW_DATABASE_URL")


# --- The calendar ---------------------------------------------------------------------------


def ending_on(end: date) -> CalendarData:
    return CalendarData(
        holidays=tuple(h for h in PACKAGED.holidays if h.date <= end),
        coverage_start=PACKAGED.coverage_start,
        coverage_end=end,
        source=f"test calendar ending {end}",
    )


def test_a_calendar_running_out_within_a_year_is_a_warning_and_past_its_end_a_problem(
    store: Settings,
) -> None:
    today = date(2026, 6, 1)
    engine = get_engine(store.database_url)
    DbCalendarRepository(engine).save_new(ending_on(date(2026, 12, 31)))

    (soon,) = check_calendar(engine, today)
    assert soon.status == Status.WARNING
    assert soon.detail.startswith(
        f"calendar v2 covers {PACKAGED.coverage_start} to 2026-12-31: it runs out within a year"
    )
    assert "`foiflow calendar refresh`" in soon.fix

    (ended,) = check_calendar(engine, date(2027, 1, 4))
    assert ended.status == Status.PROBLEM
    assert "new requests are refused" in ended.detail

    (fine,) = check_calendar(engine, date(2025, 12, 1))
    assert fine.status == Status.OK


async def test_a_warning_does_not_fail_the_command_unless_strict(
    dev_env: WorkflowEnvironment, dev_worker: Worker, store: Settings
) -> None:
    # Ends 200 days from the day the suite runs, whatever that day is.
    end = date.today() + timedelta(days=200)
    DbCalendarRepository(get_engine(store.database_url)).save_new(ending_on(end))
    env = {
        "FOIFLOW_DATA_DIR": str(store.data_dir),
        "FOIFLOW_SMTP_PORT": str(store.smtp_port),
        "FOIFLOW_TEMPORAL_ADDRESS": dev_env.client.service_client.config.target_host,
        "FOIFLOW_TEMPORAL_NAMESPACE": "default",
        "FOIFLOW_TASK_QUEUE": dev_worker.task_queue,
    }
    await polling(on_dev_server(store, dev_env, task_queue=dev_worker.task_queue))
    runner = CliRunner()
    lenient = await asyncio.to_thread(runner.invoke, foiflow_app, ["doctor"], env=env)
    assert lenient.exit_code == 0, lenient.output
    assert (
        f"warning calendar: coverage — calendar v2 covers {PACKAGED.coverage_start} to {end}"
        in (lenient.output)
    )
    assert "fix: run `foiflow calendar refresh`" in lenient.output
    assert lenient.output.rstrip().endswith("0 problems, 1 warning.")
    strict = await asyncio.to_thread(runner.invoke, foiflow_app, ["doctor", "--strict"], env=env)
    assert strict.exit_code == 1, strict.output


# --- SMTP -----------------------------------------------------------------------------------


class MailSettings(Settings):
    """The SMTP settings the delivery work adds, for checking a foiflow that has them."""

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_security: str = "none"
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")


class Authenticator:
    def __call__(
        self, server: SmtpServer, session: Session, envelope: Envelope, mechanism: str, data: object
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.password == b"right"
        # handled=False: aiosmtpd answers the refusal itself (535).
        return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp_server() -> Iterator[int]:
    port = closed_port()
    controller = Controller(
        object(),
        hostname="127.0.0.1",
        port=port,
        authenticator=Authenticator(),
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


async def test_smtp_answering_is_ok_and_a_refused_login_or_no_server_is_a_problem(
    smtp_server: int, tmp_path: Path
) -> None:
    base = MailSettings(data_dir=tmp_path, smtp_port=smtp_server)
    (answering,) = await check_smtp(base)
    assert answering.status == Status.OK
    assert answering.detail == f"answers at 127.0.0.1:{smtp_server}"

    wrong = base.model_copy(update={"smtp_username": "foi", "smtp_password": SecretStr("wrong")})
    (refused,) = await check_smtp(wrong)
    assert refused.detail == "the mail server refused the login (535)"
    assert refused.status == Status.PROBLEM
    assert refused.fix == "check FOIFLOW_SMTP_USERNAME and FOIFLOW_SMTP_PASSWORD"
    right = wrong.model_copy(update={"smtp_password": SecretStr("right")})
    assert (await check_smtp(right))[0].status == Status.OK

    (nobody,) = await check_smtp(base.model_copy(update={"smtp_port": closed_port()}))
    assert nobody.status == Status.PROBLEM
    assert nobody.detail.startswith("cannot talk to the mail server at 127.0.0.1:")
    assert "FOIFLOW_SMTP_HOST" in nobody.fix
