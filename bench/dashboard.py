"""The manager's dashboard (``services.dashboard``) on a 100,000-case read model: p50 and p95 of
the whole service call, against a baseline in the same run on the same data — every case and
task read into Python and counted there (what a dashboard that "just reads the tables" pays).
The two answers are compared, so a fast wrong dashboard cannot pass for a speed-up.

SQLite in a temporary directory by default; with FOIFLOW_BENCH_PG_URL set (e.g.
``postgresql+psycopg://postgres@127.0.0.1:5432/test``) PostgreSQL too, on a scratch database
created next to it and dropped afterwards. Run with ``python -m bench dashboard``.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select

from bench.store_dashboard import CLOSED, OPEN, UNITS, _analyze, _scratch_database
from services.dashboard import Dashboard, band, dashboard, working_days_left
from statute import calendar_for, get_regime, packaged_calendar
from store.db import get_engine, migrate
from store.models import CaseRow, ExemptionClaimRow, TaskRow

CASES = 100_000
TODAY = date(2025, 6, 2)
RUNS = 15  # service calls per engine; p50 and p95 over them
BASELINE_RUNS = 3
SEED = 20_251_125
OUTCOMES = ("granted_in_full", "partially_withheld", "withheld_in_full", "not_held", "refused_cost")
CALENDAR = calendar_for(get_regime("foia"), packaged_calendar())


def _rows(rng: random.Random) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]], list[str]]]:
    start = datetime(2022, 1, 3, 9, tzinfo=UTC)
    span_days = (datetime(2025, 6, 1, tzinfo=UTC) - start).days
    now = datetime.now(UTC)
    for n in range(CASES):
        received = start + timedelta(days=rng.randrange(span_days), minutes=rng.randrange(600))
        due = CALENDAR.add_working_days(received.date(), 20)
        recent = received.date() > TODAY - timedelta(days=45)
        status = rng.choice(OPEN) if recent or rng.random() < 0.02 else rng.choice(CLOSED)
        issued = status == "issued"
        issued_at = received + timedelta(days=rng.randrange(5, 40)) if issued else None
        on_time = bool(issued_at and issued_at.date() <= due)
        reference = f"01.FOI.{received.year % 100:02d}.{n + 1:06d}"
        units = rng.sample(UNITS, 3)
        outcome = rng.choice(OUTCOMES) if issued else (None if status in OPEN else status)
        case = {
            "reference": reference,
            "version": 5,
            "regime": "foia",
            "status": status,
            "channel": "email",
            "received_at": received,
            "due_date": None if status == "triage" and rng.random() < 0.1 else due,
            "statutory_due_date": due,
            "paused": False,
            "extended": False,
            "overdue": False,
            "calendar_version": 1,
            "cost_hours_total": 0.0,
            "outcome": outcome,
            "on_time": on_time if issued else None,
            "on_time_with_extensions": (on_time or rng.random() < 0.2) if issued else None,
            "issued_at": issued_at,
            "owning_units": sorted(units),
            "updated_at": now,
        }
        tasks = [
            {
                "reference": reference,
                "question": q,
                "text": f"Question {q}",
                "unit": unit,
                "status": rng.choice(("open", "returned", "answered"))
                if status in OPEN
                else "settled",
                "routed_on": received.date(),
                "internal_due": CALENDAR.add_working_days(received.date(), 10),
                "answer_kind": None,
                "answered_by": None,
                "returned_reason": None,
            }
            for q, unit in enumerate(units, start=1)
        ]
        claims = ["31", "40"] if outcome in ("partially_withheld", "withheld_in_full") else []
        yield case, tasks, claims


def _load(engine: Engine) -> float:
    began = time.perf_counter()
    rng = random.Random(SEED)
    tables = [
        CaseRow.__table__,  # type: ignore[attr-defined]
        TaskRow.__table__,  # type: ignore[attr-defined]
        ExemptionClaimRow.__table__,  # type: ignore[attr-defined]
    ]
    batches: tuple[list[dict[str, Any]], ...] = ([], [], [])
    with engine.begin() as conn:
        for case, tasks, claims in _rows(rng):
            batches[0].append(case)
            batches[1].extend(tasks)
            batches[2].extend(
                {"reference": case["reference"], "question": 1, "section": s} for s in claims
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
    return time.perf_counter() - began


def _baseline(engine: Engine) -> tuple[Counter[str], Counter[str]]:
    """Every open case and waiting task read into Python and counted there."""
    bands: Counter[str] = Counter()
    backlog: Counter[str] = Counter()
    with engine.connect() as conn:
        cases = conn.execute(
            select(CaseRow.__table__)  # type: ignore[attr-defined]
        ).all()
        open_refs = set()
        for row in cases:
            if row.status in CLOSED:
                continue
            open_refs.add(row.reference)
            if row.due_date is None:
                bands["clock_stopped"] += 1
            else:
                bands[band(working_days_left(CALENDAR, TODAY, row.due_date))] += 1
        for task in conn.execute(select(TaskRow.__table__)).all():  # type: ignore[attr-defined]
            if task.status in ("open", "returned") and task.reference in open_refs:
                backlog[task.unit] += 1
    return bands, backlog


def _service_answer(figures: Dashboard) -> tuple[Counter[str], Counter[str]]:
    t = figures.totals
    bands = Counter(
        {"red": t.red, "amber": t.amber, "green": t.green, "clock_stopped": t.clock_stopped}
    )
    return +bands, Counter({u.unit: u.open_tasks for u in figures.units})


def _percentile(timings: list[float], p: float) -> float:
    ordered = sorted(timings)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def _timed(label: str, timings: list[float], baseline: float | None = None) -> str:
    p50, p95 = statistics.median(timings), _percentile(timings, 0.95)
    line = f"  {label:<52} p50 {p50 * 1000:8.1f} ms   p95 {p95 * 1000:8.1f} ms"
    if baseline is not None:
        line += f"   ({baseline / p50:,.1f}× the baseline's speed)"
    return line


def _engines() -> Iterator[tuple[str, str]]:
    """SQLite always; PostgreSQL too when FOIFLOW_BENCH_PG_URL names a server."""
    pg = os.environ.pop("FOIFLOW_BENCH_PG_URL", None)
    try:
        with _scratch_database() as found:
            yield found
    finally:
        if pg:
            os.environ["FOIFLOW_BENCH_PG_URL"] = pg
    if pg:
        with _scratch_database() as found:
            yield found


async def _bench(url: str, label: str) -> None:
    migrate(url)
    engine = get_engine(url)
    load_s = _load(engine)
    print(f"{CASES:,} cases, {CASES * 3:,} tasks on {label}; loaded in {load_s:.1f} s")
    figures = await dashboard(engine, as_of=TODAY)  # warm: calendars built, plans cached
    service: list[float] = []
    for _ in range(RUNS):
        began = time.perf_counter()
        figures = await dashboard(engine, as_of=TODAY)
        service.append(time.perf_counter() - began)
    baseline: list[float] = []
    expected: tuple[Counter[str], Counter[str]] = (Counter(), Counter())
    for _ in range(BASELINE_RUNS):
        began = time.perf_counter()
        expected = _baseline(engine)
        baseline.append(time.perf_counter() - began)
    if _service_answer(figures) != (+expected[0], expected[1]):
        raise SystemExit(f"dashboard: the service and the baseline disagree on {label}")
    print(_timed("baseline: every case and task counted in Python", baseline))
    print(_timed("dashboard service (grouped in SQL)", service, statistics.median(baseline)))
    t = figures.totals
    print(
        f"  ({t.total:,} open: {t.red:,} red, {t.amber:,} amber, {t.green:,} green, "
        f"{t.clock_stopped:,} clock stopped; {t.breaching:,} breaching within five working "
        f"days; on {TODAY.isoformat()})"
    )


def main() -> None:
    for url, label in _engines():
        asyncio.run(_bench(url, label))


if __name__ == "__main__":
    main()
