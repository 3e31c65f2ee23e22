"""The case lists and the manager's dashboard on a 100,000-case read model, through the real
service functions and the real CLI: p50 and p95 of each call, with the store's indexes and —
the baseline, in the same run on the same data — with every secondary index on the case tables
dropped. Each call's answer is compared between the two, so a fast wrong list cannot pass for a
speed-up.

What is timed:

- ``services.cases.find_cases`` as an FOI officer: the first page unfiltered, with each filter
  (status, unit, regime, overdue, not overdue, due before), and a deep page; and the first page
  as a unit contact (who may know only the cases with a task for their unit);
- ``services.cases.list_my_tasks`` for a unit contact and ``list_my_sign_offs`` for a senior
  officer;
- ``services.dashboard.dashboard``;
- ``foiflow cases`` (first page, as an FOI officer) run by typer's runner in this process
  against the real API served by uvicorn on 127.0.0.1. The API's Temporal client points at a
  port nothing listens on (connected lazily): a list that asked Temporal anything would fail.

Once set up, the bench freezes its start-up heap as the API process does
(``web.app.freeze_start_up_heap``); it prints what a full garbage collection costs before and
after, since at 100k cases one falls inside a list call every few calls
(``FOIFLOW_BENCH_GC_FREEZE=0`` leaves it unfrozen).

The cases are ``bench.dashboard``'s (same generator and seed), moved forward by whole weeks so
the newest are received in the last few weeks before today (``find_cases`` counts from the
real today), plus a pending sign-off on every case awaiting sign-off.

SQLite in a temporary directory by default; with FOIFLOW_BENCH_PG_URL set (e.g.
``postgresql+psycopg://postgres@127.0.0.1:5432/test``) PostgreSQL too, on a scratch database
created next to it and dropped afterwards. Run with ``python -m bench lists``.
"""

from __future__ import annotations

import asyncio
import gc
import os
import random
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import uvicorn
from argon2 import PasswordHasher
from sqlalchemy import Engine, Table
from temporalio.client import Client
from typer.testing import CliRunner

from bench import dashboard as dashboard_bench
from bench._support import (
    AUDIT_KEY,
    DATA_CONVERTER,
    DEMO_SEED,
    distribution_ms,
    percentile,
    write_results,
)
from bench.store_dashboard import UNITS, _analyze
from cli.main import app as foiflow_app
from domain.case import Actor
from services import cases as case_service
from services.context import ServiceContext
from services.dashboard import dashboard
from services.identity import Identity
from services.schemas import CaseQuery
from settings import Settings
from statute.exemptions import Role
from store.audit_keys import configure_audit
from store.db import get_engine, migrate, session_scope
from store.models import CaseRow, ExemptionClaimRow, SignOffRow, TaskRow
from store.seed import apply_seed, load_seed
from web.app import create_app, freeze_start_up_heap

RUNS = 15  # calls per query and engine, indexed
BASELINE_RUNS = 5  # the same calls without the indexes
TARGET_MS = 150.0  # p95, the target for list and dashboard queries
CLI_TARGET_MS = 200.0
OFFICER = "aisha-rahman"  # an FOI officer in the demo directory: knows every case
PASSWORD = "correct horse battery staple"
UNIT = UNITS[3]
# Today's weekday kept: the cases move by whole weeks.
SHIFT = timedelta(weeks=(date.today() - dashboard_bench.TODAY).days // 7)
AS_OF = dashboard_bench.TODAY + SHIFT
# FOIFLOW_BENCH_GC_FREEZE=0: leave the start-up heap in the collector's sight, to see what
# freezing it moves.
FREEZE = os.environ.get("FOIFLOW_BENCH_GC_FREEZE", "1").strip() != "0"
CASE_TABLES = ("cases", "case_tasks", "sign_offs", "exemption_claims")

Answer = Callable[[], Awaitable[Any]]


def _shifted(row: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    for name in fields:
        if row.get(name) is not None:
            row[name] = row[name] + SHIFT
    return row


def _load(engine: Engine) -> tuple[float, int]:
    began = time.perf_counter()
    rng = random.Random(dashboard_bench.SEED)
    tables: list[Table] = [
        CaseRow.__table__,  # type: ignore[attr-defined]
        TaskRow.__table__,  # type: ignore[attr-defined]
        ExemptionClaimRow.__table__,  # type: ignore[attr-defined]
        SignOffRow.__table__,  # type: ignore[attr-defined]
    ]
    batches: tuple[list[dict[str, Any]], ...] = ([], [], [], [])
    sign_offs = 0
    with engine.begin() as conn:
        for case, tasks, claims in dashboard_bench._rows(rng):
            batches[0].append(
                _shifted(case, ("received_at", "due_date", "statutory_due_date", "issued_at"))
            )
            batches[1].extend(_shifted(t, ("routed_on", "internal_due")) for t in tasks)
            batches[2].extend(
                {"reference": case["reference"], "question": 1, "section": s} for s in claims
            )
            if case["status"] == "sign_off":
                sign_offs += 1
                batches[3].append(
                    {
                        "reference": case["reference"],
                        "section": "31",
                        "required_role": str(Role.SENIOR_OFFICER),
                        "questions": [1],
                        "status": "pending",
                    }
                )
            if len(batches[0]) == 5_000:
                for table, rows in zip(tables, batches, strict=True):
                    if rows:
                        conn.execute(table.insert(), rows)
                    rows.clear()
        for table, rows in zip(tables, batches, strict=True):
            if rows:
                conn.execute(table.insert(), rows)
    _analyze(engine)
    return time.perf_counter() - began, sign_offs


@contextmanager
def _indexes_dropped(engine: Engine) -> Iterator[int]:
    """Every secondary index on the case tables dropped (primary keys stay), then put back."""
    metadata = CaseRow.metadata
    indexes = [i for name in CASE_TABLES for i in metadata.tables[name].indexes]
    with engine.begin() as conn:
        for index in indexes:
            index.drop(conn)
    _analyze(engine)
    try:
        yield len(indexes)
    finally:
        with engine.begin() as conn:
            for index in indexes:
                index.create(conn)
        _analyze(engine)


# --- the API and the CLI ---------------------------------------------------------------------


@contextmanager
def _serving(settings: Settings) -> Iterator[str]:
    """The real app on a free 127.0.0.1 port, in a thread with its own event loop."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    with socket.socket() as probe:  # a port nothing listens on, for Temporal
        probe.bind(("127.0.0.1", 0))
        nowhere = f"127.0.0.1:{probe.getsockname()[1]}"
    ready = threading.Event()
    holder: dict[str, uvicorn.Server] = {}

    async def serve() -> None:
        temporal = await Client.connect(nowhere, lazy=True, data_converter=DATA_CONVERTER)
        identity = Identity(
            get_engine(settings.database_url),
            settings,
            hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1),
        )
        identity.set_password(OFFICER, PASSWORD, "bench")
        app = create_app(settings, temporal=temporal, identity=identity)
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        server = holder["server"] = uvicorn.Server(config)
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started and not task.done():
            await asyncio.sleep(0.01)
        ready.set()
        await task

    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    if not ready.wait(60) or "server" not in holder or not holder["server"].started:
        raise SystemExit("lists: the API never started")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        holder["server"].should_exit = True
        thread.join(30)
        sock.close()


class Cli:
    """``foiflow`` in this process, logged in as the FOI officer."""

    def __init__(self, api: str, config_dir: Path) -> None:
        self.runner = CliRunner()
        self.env = {"FOIFLOW_CONFIG_DIR": str(config_dir), "COLUMNS": "250"}
        result = self.runner.invoke(
            foiflow_app,
            ["login", "--api", api, "--username", OFFICER, "--password-stdin"],
            input=PASSWORD + "\n",
            env=self.env,
        )
        if result.exit_code != 0:
            raise SystemExit(f"lists: foiflow login failed: {result.output}")

    async def cases(self) -> str:
        result = await asyncio.to_thread(self.runner.invoke, foiflow_app, ["cases"], env=self.env)
        if result.exit_code != 0:
            raise SystemExit(f"lists: foiflow cases failed: {result.output}")
        return result.output


# --- the queries -----------------------------------------------------------------------------


def _queries(ctx: ServiceContext, cli: Cli) -> dict[str, Answer]:
    officer = ctx.acting_as(Actor(user_id=OFFICER, roles=[Role.FOI_OFFICER], units=["foi"]))
    contact = ctx.acting_as(Actor(user_id="bench-contact", roles=[Role.UNIT_CONTACT], units=[UNIT]))
    approver = ctx.acting_as(Actor(user_id="bench-approver", roles=[Role.SENIOR_OFFICER]))
    today = date.today()

    def page(actor_ctx: ServiceContext, **filters: Any) -> Answer:
        query = CaseQuery.model_validate(filters)
        return lambda: _dumped(case_service.find_cases(actor_ctx, query))

    return {
        "find_cases: first page": page(officer),
        "find_cases: status=in_progress": page(officer, status="in_progress"),
        f"find_cases: unit={UNIT}": page(officer, unit=UNIT),
        "find_cases: regime=foia": page(officer, regime="foia"),
        "find_cases: overdue": page(officer, overdue=True),
        "find_cases: not overdue": page(officer, overdue=False),
        "find_cases: due before today+10": page(officer, due_before=today + timedelta(days=10)),
        "find_cases: page 1,000": page(officer, page=1000),
        "find_cases: a unit contact's first page": page(contact),
        "list_my_tasks: a unit contact": lambda: _dumped(
            case_service.list_my_tasks(contact, as_of=AS_OF)
        ),
        "list_my_sign_offs: a senior officer": lambda: _dumped(
            case_service.list_my_sign_offs(approver, as_of=AS_OF)
        ),
        "dashboard": lambda: _dumped(dashboard(ctx.engine, as_of=AS_OF)),
        "foiflow cases (CLI, first page)": cli.cases,
    }


async def _dumped(call: Awaitable[Any]) -> Any:
    found = await call
    if isinstance(found, list):
        return [item.model_dump(mode="json") for item in found]
    return found.model_dump(mode="json")


async def _time(answer: Answer, runs: int) -> tuple[Any, list[float]]:
    result = await answer()  # warm: calendars built, statements prepared
    timings: list[float] = []
    for _ in range(runs):
        began = time.perf_counter()
        result = await answer()
        timings.append(time.perf_counter() - began)
    return result, timings


def _full_collection_ms() -> float:
    began = time.perf_counter()
    gc.collect()
    return (time.perf_counter() - began) * 1000


def _size(result: Any) -> str:
    if isinstance(result, list):
        return f"{len(result):,} rows"
    if isinstance(result, dict) and "total" in result and "items" in result:
        return f"{len(result['items'])} of {result['total']:,}"
    return ""


async def _measure(queries: dict[str, Answer], runs: int) -> dict[str, tuple[Any, list[float]]]:
    return {name: await _time(answer, runs) for name, answer in queries.items()}


def _bench(url: str, label: str) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix="foiflow-bench-lists-"))
    os.environ.setdefault("FOIFLOW_AUDIT_KEY", AUDIT_KEY)
    settings = Settings(data_dir=data_dir, database_url=url, audit_key=AUDIT_KEY)
    migrate(url)
    configure_audit(settings)
    engine = get_engine(url)
    with session_scope(engine) as session:
        apply_seed(session, load_seed(DEMO_SEED), "bench")
    load_s, sign_offs = _load(engine)
    print(
        f"{dashboard_bench.CASES:,} cases, {dashboard_bench.CASES * 3:,} tasks, "
        f"{sign_offs:,} pending sign-offs on {label}; loaded in {load_s:.1f} s; "
        f"dates moved {SHIFT.days} days (dashboard as of {AS_OF})"
    )
    with _serving(settings) as api:
        cli = Cli(api, data_dir / "config")
        ctx = ServiceContext(
            settings=settings,
            engine=engine,
            client=None,  # type: ignore[arg-type]  # lists never ask Temporal
        )
        queries = _queries(ctx, cli)
        # As the API process does once started (web.app.app_from_env): full collections then
        # walk what requests made, not the ~200,000 objects start-up made.
        before = _full_collection_ms()
        if FREEZE:
            freeze_start_up_heap()
        print(
            f"  a full garbage collection: {before:.0f} ms before freezing the start-up heap, "
            f"{_full_collection_ms():.1f} ms after"
        )
        indexed = asyncio.run(_measure(queries, RUNS))
        with _indexes_dropped(engine) as dropped:
            bare = asyncio.run(_measure(queries, BASELINE_RUNS))
    figures: dict[str, Any] = {}
    print(f"  baseline: the same calls with the case tables' {dropped} secondary indexes dropped")
    print(f"  {'query':<44} {'p50':>9} {'p95':>9}   {'baseline p50':>12} {'p95':>9}  speed  answer")
    for name in queries:
        (answer, timings), (bare_answer, bare_timings) = indexed[name], bare[name]
        if answer != bare_answer:
            raise SystemExit(f"lists: {name}: the answers differ with and without indexes")
        p50, p95 = statistics.median(timings) * 1000, percentile(timings, 95) * 1000
        b50 = statistics.median(bare_timings) * 1000
        b95 = percentile(bare_timings, 95) * 1000
        target = CLI_TARGET_MS if name.startswith("foiflow") else TARGET_MS
        flag = "" if p95 <= target else f"  (over {target:.0f} ms)"
        print(
            f"  {name:<44} {p50:7.1f}ms {p95:7.1f}ms   {b50:10.1f}ms {b95:7.1f}ms "
            f"{b50 / p50:5.1f}×  {_size(answer)}{flag}"
        )
        figures[name] = {
            "indexed": distribution_ms(timings),
            "baseline_no_indexes": distribution_ms(bare_timings),
            "target_p95_ms": target,
            "answer": _size(answer),
        }
    return {"label": label, "load_s": round(load_s, 1), "queries": figures}


def main() -> None:
    results = [dict(_bench(url, label)) for url, label in dashboard_bench._engines()]
    load = os.getloadavg()
    print(f"  (load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f})")
    path = write_results(
        "lists",
        {
            "cases": dashboard_bench.CASES,
            "as_of": AS_OF.isoformat(),
            "load_average": load,
            "gc_frozen": FREEZE,
            "engines": results,
        },
    )
    print(f"  wrote {path}")


if __name__ == "__main__":
    main()
