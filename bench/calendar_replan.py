"""A new bank holiday re-plans every open case: how long, and does every case still answer?

On the in-memory dev server with one worker process and a SQLite store: N seed cases are started
through ``services.intake`` (C at a time; the start rate and the time until the read model holds
every one are measured), then an admin adds a bank holiday on a working day inside every case's
statutory period through ``services.admin.add_holiday`` (one batch signal to every running
case). Measured: the time until the read model shows every case on the new calendar version
with its due date a working day later; the latency of ``state`` queries to a sample of cases,
asked in a loop throughout; the worker's and the dev server's RSS.

Sizes: ``FOIFLOW_BENCH_REPLAN_CASES`` (1,000; 10,000 for the issue's figure),
``FOIFLOW_BENCH_CONCURRENCY`` (20 starts at once), ``FOIFLOW_BENCH_QUERY_SAMPLE`` (20 cases).
``FOIFLOW_BENCH_BATCH_RPS``: the dev server's batch-operation rate (``worker.batcherRPS``; the
server's default, 50 a second, when unset); ``FOIFLOW_CALENDAR_SIGNAL_RATE``: the rate foiflow
asks the batch for; ``FOIFLOW_BENCH_SERVER_FILE=1``: the dev server keeps its state in a SQLite
file, as ``foiflow up`` runs it (in memory otherwise). Run with ``python -m bench calendar_replan``.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlmodel import col
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from bench._support import (
    DATA_CONVERTER,
    ROOT,
    WorkerProcess,
    binary,
    cpu_of,
    dev_server_pid,
    distribution_ms,
    env_int,
    process_rss_mib,
    seeded_store,
    table,
    write_results,
)
from domain.case import CaseView
from services import admin, intake
from services.context import ServiceContext
from services.directory import resolve_actor
from settings import Settings
from statute import calendar_for, get_regime
from store.calendars import calendar_repository
from store.db import get_engine, session_scope
from store.models import CaseRow
from workflows.request import FoiRequestWorkflow
from workflows.search_attributes import ALL_KEYS

SEED_CASE = ROOT / "cli" / "demo" / "seed_case.yaml"
OFFICER, ADMIN = "aisha-rahman", "kevin-ashworth"
QUERY_TIMEOUT = timedelta(seconds=15)


@asynccontextmanager
async def dev_server(
    batch_rps: int | None, data_dir: Path | None = None
) -> AsyncIterator[WorkflowEnvironment]:
    """The dev server in memory, or with ``data_dir`` in a SQLite file as ``foiflow up`` runs it."""
    args = ["--headless", "--log-level", "error"]
    if data_dir is not None:
        args += ["--db-filename", str(data_dir / "temporal.db")]
        args += ["--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal"]
    if batch_rps:
        args += ["--dynamic-config-value", f"worker.batcherRPS={batch_rps}"]
    env = await WorkflowEnvironment.start_local(
        data_converter=DATA_CONVERTER,
        dev_server_existing_path=binary("temporal"),
        search_attributes=ALL_KEYS,
        dev_server_extra_args=args,
    )
    try:
        yield env
    finally:
        await env.shutdown()


def read_model(settings: Settings, version: int, due_after: date | None) -> tuple[int, int]:
    """(cases in the read model, cases on calendar ``version`` with a due date after
    ``due_after``)."""
    with session_scope(get_engine(settings.database_url)) as session:
        total = session.scalar(select(func.count()).select_from(CaseRow)) or 0
        moved = session.scalar(
            select(func.count())
            .select_from(CaseRow)
            .where(col(CaseRow.calendar_version) == version)
            .where(col(CaseRow.due_date) > (due_after or date.min))
        )
    return int(total), int(moved or 0)


async def start_cases(
    settings: Settings, client: Client, count: int, concurrency: int
) -> tuple[list[str], float]:
    engine = get_engine(settings.database_url)
    ctx = ServiceContext(
        settings=settings,
        engine=engine,
        client=client,
        actor=await resolve_actor(engine, OFFICER),
    )
    request = yaml.safe_load(SEED_CASE.read_text())
    request.pop("reference")
    received = datetime.now(UTC).replace(microsecond=0)
    gate = asyncio.Semaphore(concurrency)
    references: list[str] = []

    async def one(n: int) -> None:
        async with gate:
            at = received - timedelta(seconds=n)  # its own intake key
            references.append((await intake.start_case(ctx, request, at)).reference)

    began = time.perf_counter()
    await asyncio.gather(*(one(n) for n in range(count)))
    return references, time.perf_counter() - began


async def query_loop(
    client: Client, references: list[str], stop: asyncio.Event, samples: list[float]
) -> int:
    """Ask each sampled case for its state, round and round, until ``stop``; the failures."""
    failures = 0
    while not stop.is_set():
        for reference in references:
            began = time.perf_counter()
            try:
                await client.get_workflow_handle(reference).query(
                    FoiRequestWorkflow.state, rpc_timeout=QUERY_TIMEOUT
                )
            except RPCError:
                failures += 1
            samples.append(time.perf_counter() - began)
            if stop.is_set():
                break
        await asyncio.sleep(0.05)
    return failures


async def bench() -> dict[str, Any]:
    count = env_int("FOIFLOW_BENCH_REPLAN_CASES", 1000)
    concurrency = env_int("FOIFLOW_BENCH_CONCURRENCY", 20)
    sample_size = env_int("FOIFLOW_BENCH_QUERY_SAMPLE", 20)
    batch_rps = int(os.environ.get("FOIFLOW_BENCH_BATCH_RPS", "0") or 0)
    with seeded_store() as settings:
        on_file = os.environ.get("FOIFLOW_BENCH_SERVER_FILE", "") == "1"
        async with dev_server(batch_rps, settings.data_dir if on_file else None) as env:
            client = env.client
            queue = f"bench-replan-{uuid.uuid4().hex[:6]}"
            settings = settings.model_copy(update={"task_queue": queue})
            server_pid = dev_server_pid(env)
            worker = await WorkerProcess.start(env, settings, queue, "real")
            try:
                began, start_cpu = time.perf_counter(), worker.cpu_seconds()
                server_cpu, own_cpu = cpu_of(server_pid), time.process_time()
                references, start_s = await start_cases(settings, client, count, concurrency)
                while read_model(settings, 0, None)[0] < count:
                    await asyncio.sleep(0.2)
                projected_s = time.perf_counter() - began
                start_cpu = worker.cpu_seconds() - start_cpu
                server_cpu, own_cpu = cpu_of(server_pid) - server_cpu, time.process_time() - own_cpu
                rss_open = worker.rss_mib()
                server_open = process_rss_mib(server_pid) if server_pid else None

                first: CaseView = await client.get_workflow_handle(references[0]).query(
                    FoiRequestWorkflow.state
                )
                # A working day after every receipt and before every due date: every case moves.
                foia = calendar_for(get_regime("foia"), calendar_repository(settings).latest())
                holiday = foia.add_working_days(first.clock.start_date, 2)
                old_due = first.clock.due_date
                sample = references[:: max(1, len(references) // sample_size)][:sample_size]
                samples: list[float] = []
                stop = asyncio.Event()
                querying = asyncio.create_task(query_loop(client, sample, stop, samples))
                await asyncio.sleep(1.0)  # the queries' baseline, before the change
                idle = distribution_ms(samples)
                samples.clear()
                admin_actor = await resolve_actor(get_engine(settings.database_url), ADMIN)
                cpu, server_cpu = worker.cpu_seconds(), cpu_of(server_pid)
                changed = time.perf_counter()
                added = await admin.add_holiday(
                    settings,
                    client,
                    admin_actor,
                    admin.HolidayIn(date=holiday, division="all", reason="Bench holiday"),
                )
                peak_rss = worker.rss_mib()
                progress: list[tuple[float, int]] = []
                while True:
                    _, moved = read_model(settings, added.version, old_due)
                    elapsed = time.perf_counter() - changed
                    progress.append((round(elapsed, 1), moved))
                    peak_rss = max(peak_rss, worker.rss_mib())
                    if moved >= count:
                        break
                    await asyncio.sleep(0.5)
                replan_s = time.perf_counter() - changed
                replan_cpu = worker.cpu_seconds() - cpu
                replan_server_cpu = cpu_of(server_pid) - server_cpu
                stop.set()
                failures = await querying
                server_peak = process_rss_mib(server_pid) if server_pid else None
            finally:
                await worker.stop()
    half = next((t for t, moved in progress if moved >= count // 2), replan_s)
    return {
        "sizes": {"cases": count, "start_concurrency": concurrency, "query_sample": len(sample)},
        "batch_rps": batch_rps or "server default (50)",
        "dev_server_store": "SQLite file" if on_file else "memory",
        "calendar_signal_rate": settings.calendar_signal_rate or "server's",
        "start": {
            "started_per_s": round(count / start_s, 1),
            "started_and_projected_per_s": round(count / projected_s, 1),
            "worker_cpu_ms_per_case": round(1000 * start_cpu / count, 1),
            "dev_server_cpu_ms_per_case": round(1000 * server_cpu / count, 1),
            "intake_cpu_ms_per_case": round(1000 * own_cpu / count, 1),
        },
        "replan": {
            "seconds": round(replan_s, 1),
            "half_seconds": half,
            "worker_cpu_s": round(replan_cpu, 1),
            "dev_server_cpu_s": round(replan_server_cpu, 1),
            "cases_told": added.cases_signalled,
        },
        "queries_idle_ms": idle,
        "queries_during_replan_ms": distribution_ms(samples),
        "query_failures": failures,
        "rss_mib": {
            "worker_open": round(rss_open),
            "worker_peak": round(peak_rss),
            "dev_server_open": None if server_open is None else round(server_open),
            "dev_server_after": None if server_peak is None else round(server_peak),
        },
        "progress": progress[:: max(1, len(progress) // 20)],
    }


def report(figures: dict[str, Any]) -> str:
    s, r, q, idle = (
        figures["start"],
        figures["replan"],
        figures["queries_during_replan_ms"],
        figures["queries_idle_ms"],
    )
    rss, n = figures["rss_mib"], figures["sizes"]["cases"]
    rows: list[list[object]] = [
        ["figure", "value"],
        [
            f"starting {n:,} cases: started / started and projected",
            f"{s['started_per_s']} / {s['started_and_projected_per_s']} cases/s "
            f"(CPU a case: worker {s.get('worker_cpu_ms_per_case', '?')} ms, dev server "
            f"{s.get('dev_server_cpu_ms_per_case', '?')} ms, intake "
            f"{s.get('intake_cpu_ms_per_case', '?')} ms)",
        ],
        [
            f"a new bank holiday re-plans {n:,} open cases",
            f"{r['seconds']} s (half by {r['half_seconds']} s; CPU: worker {r['worker_cpu_s']} s, "
            f"dev server {r.get('dev_server_cpu_s', '?')} s)",
        ],
        ["state query, idle", f"p50 {idle['p50_ms']:.0f} / p95 {idle['p95_ms']:.0f} ms"],
        [
            "state query during the re-plan",
            f"p50 {q['p50_ms']:.0f} / p95 {q['p95_ms']:.0f} / max {q['max_ms']:.0f} ms "
            f"(n={q['n']}, {figures['query_failures']} failed)",
        ],
        ["worker RSS: open cases / peak", f"{rss['worker_open']} / {rss['worker_peak']} MiB"],
        [
            "dev server RSS: open cases / after",
            f"{rss['dev_server_open']} / {rss['dev_server_after']} MiB",
        ],
        [
            "batch signal rate: server limit / foiflow's",
            f"{figures['batch_rps']} / {figures.get('calendar_signal_rate', 'unset')}",
        ],
        ["dev server's state", figures.get("dev_server_store", "memory")],
    ]
    return table(rows)


def main() -> dict[str, Any]:
    figures = asyncio.run(bench())
    print(report(figures))
    path = write_results("calendar_replan", figures)
    print(f"written to {path.relative_to(ROOT)}")
    return figures


if __name__ == "__main__":
    main()
