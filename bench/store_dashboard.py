"""Dashboard queries on a 100,000-case read model: what the inbox and the dashboard cost.

Each query is timed twice in the same run, on the same data: with the store's indexes and with
them dropped (the baseline), so the printed ratio is what the indexes buy. The overdue list is
also timed against loading every case and filtering in Python (what a caller that "just reads the
table" pays). Both answers are compared, so a fast wrong query cannot pass for a speed-up.

SQLite in a temporary directory by default. Set FOIFLOW_BENCH_PG_URL to a PostgreSQL URL (e.g.
``postgresql+psycopg://postgres@127.0.0.1:5432/test``) to run on a scratch database created next
to it and dropped afterwards. Run with ``python -m bench store_dashboard``.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, bindparam, create_engine, select, text
from sqlalchemy.engine import make_url

from store.db import dispose_engine, get_engine, migrate
from store.models import CaseRow, TaskRow

CASES = 100_000
TASKS_PER_CASE = 3
UNITS = [f"unit-{n:02d}" for n in range(12)]
OPEN = ("triage", "in_progress", "cost_review", "sign_off", "response_review", "approved")
CLOSED = ("issued", "withdrawn", "lapsed")
TODAY = date(2025, 6, 2)
REPEAT = 7  # runs per query; the median is reported
SEED = 20_000_036
# The indexes under test, and how to put them back (names from store.models).
INDEXES = {
    "ix_cases_status_due_date_reference": (
        "CREATE INDEX ix_cases_status_due_date_reference ON cases (status, due_date, reference)"
    ),
    "ix_case_tasks_unit_status_due": (
        "CREATE INDEX ix_case_tasks_unit_status_due "
        "ON case_tasks (unit, status, internal_due, reference)"
    ),
}

QUERIES: dict[str, str] = {
    "cases by status": "SELECT status, count(*) FROM cases GROUP BY status ORDER BY status",
    "overdue list (50 oldest + count)": (
        "SELECT reference, due_date, count(*) OVER () FROM cases "
        "WHERE status IN :open AND due_date < :today ORDER BY due_date, reference LIMIT 50"
    ),
    "open tasks per unit": (
        "SELECT unit, count(*) FROM case_tasks WHERE status IN ('open', 'returned') "
        "GROUP BY unit ORDER BY unit"
    ),
    "one unit's inbox (50 soonest)": (
        "SELECT reference, question, internal_due FROM case_tasks "
        "WHERE unit = :unit AND status = 'open' ORDER BY internal_due, reference LIMIT 50"
    ),
}
PARAMS: dict[str, Any] = {"open": OPEN, "today": TODAY, "unit": UNITS[3]}


def _rows(rng: random.Random) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    start = datetime(2022, 1, 3, 9, tzinfo=UTC)
    span_days = (datetime(2025, 6, 1, tzinfo=UTC) - start).days
    now = datetime.now(UTC)
    for n in range(CASES):
        received = start + timedelta(days=rng.randrange(span_days), minutes=rng.randrange(600))
        due = received.date() + timedelta(days=28)
        # Mostly closed, as in a real authority; the open ones skew to recent receipts.
        recent = received.date() > TODAY - timedelta(days=60)
        status = rng.choice(OPEN) if recent or rng.random() < 0.03 else rng.choice(CLOSED)
        reference = f"01.FOI.{received.year % 100:02d}.{n + 1:06d}"
        units = rng.sample(UNITS, TASKS_PER_CASE)
        case = {
            "reference": reference,
            "version": 5,
            "regime": "foia",
            "status": status,
            "channel": "email",
            "received_at": received,
            "due_date": due,
            "statutory_due_date": due,
            "paused": False,
            "extended": False,
            "overdue": status in OPEN and due < TODAY,
            "calendar_version": 1,
            "cost_hours_total": 0.0,
            "outcome": None,
            "on_time": None,
            "on_time_with_extensions": None,
            "issued_at": None,
            "owning_units": sorted(units),
            "updated_at": now,
        }
        tasks = [
            {
                "reference": reference,
                "question": q,
                "text": f"Question {q}",
                "unit": unit,
                "status": "open" if status in OPEN and rng.random() < 0.6 else "settled",
                "routed_on": received.date(),
                "internal_due": received.date() + timedelta(days=14),
                "answer_kind": None,
                "answered_by": None,
                "returned_reason": None,
            }
            for q, unit in enumerate(units, start=1)
        ]
        yield case, tasks


def _load(engine: Engine) -> float:
    began = time.perf_counter()
    rng = random.Random(SEED)
    cases_table = CaseRow.__table__  # type: ignore[attr-defined]
    tasks_table = TaskRow.__table__  # type: ignore[attr-defined]
    batch_cases: list[dict[str, Any]] = []
    batch_tasks: list[dict[str, Any]] = []
    with engine.begin() as conn:
        for case, tasks in _rows(rng):
            batch_cases.append(case)
            batch_tasks.extend(tasks)
            if len(batch_cases) == 5_000:
                conn.execute(cases_table.insert(), batch_cases)
                conn.execute(tasks_table.insert(), batch_tasks)
                batch_cases, batch_tasks = [], []
        if batch_cases:
            conn.execute(cases_table.insert(), batch_cases)
            conn.execute(tasks_table.insert(), batch_tasks)
    _analyze(engine)
    return time.perf_counter() - began


def _analyze(engine: Engine) -> None:
    # Fresh statistics for the planner; on PostgreSQL VACUUM also sets the visibility map,
    # without which a freshly loaded table gets no index-only scans (as it would in production).
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def _run(engine: Engine, sql: str) -> tuple[list[tuple[Any, ...]], float]:
    stmt = text(sql)
    if ":open" in sql:
        stmt = stmt.bindparams(bindparam("open", expanding=True))
    params = {k: v for k, v in PARAMS.items() if f":{k}" in sql}
    timings: list[float] = []
    result: list[tuple[Any, ...]] = []
    with engine.connect() as conn:
        for _ in range(REPEAT):
            began = time.perf_counter()
            # As text: raw SQL on SQLite returns dates as strings, and only equality matters.
            result = [tuple(map(str, r)) for r in conn.execute(stmt, params)]
            timings.append(time.perf_counter() - began)
    return result, statistics.median(timings)


def _python_overdue(engine: Engine) -> tuple[list[tuple[Any, ...]], float]:
    """Baseline: read every case, filter and sort in Python."""
    cases = CaseRow.__table__  # type: ignore[attr-defined]
    timings: list[float] = []
    out: list[tuple[Any, ...]] = []
    with engine.connect() as conn:
        for _ in range(3):
            began = time.perf_counter()
            rows = conn.execute(select(cases.c.reference, cases.c.status, cases.c.due_date)).all()
            overdue = sorted(
                (r.due_date, r.reference)
                for r in rows
                if r.status in OPEN and r.due_date is not None and r.due_date < TODAY
            )
            out = [(ref, str(due), str(len(overdue))) for due, ref in overdue[:50]]
            timings.append(time.perf_counter() - began)
    return out, statistics.median(timings)


def _set_indexes(engine: Engine, present: bool) -> None:
    with engine.begin() as conn:
        for name, create in INDEXES.items():
            conn.execute(text(create if present else f"DROP INDEX {name}"))
    _analyze(engine)


@contextmanager
def _scratch_database() -> Iterator[tuple[str, str]]:
    admin = os.environ.get("FOIFLOW_BENCH_PG_URL")
    if not admin:
        with tempfile.TemporaryDirectory(prefix="foiflow-bench-") as tmp:
            url = f"sqlite:///{tmp}/bench.db"
            try:
                yield url, "SQLite (temporary file, WAL)"
            finally:
                dispose_engine(url)
        return
    name = f"foiflow_bench_{uuid.uuid4().hex[:8]}"
    admin_engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    try:
        yield url, f"PostgreSQL (scratch database {name})"
    finally:
        dispose_engine(url)
        with admin_engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin_engine.dispose()


def _line(label: str, seconds: float, baseline: float | None = None, note: str = "") -> str:
    line = f"  {label:<56} {seconds * 1000:8.2f} ms"
    if baseline is not None:
        line += f"   ({baseline / seconds:,.1f}× the baseline's speed)"
    return line + note


def main() -> None:
    with _scratch_database() as (url, label):
        migrate(url)
        engine = get_engine(url)
        load_s = _load(engine)
        print(
            f"{CASES:,} cases, {CASES * TASKS_PER_CASE:,} tasks on {label}; "
            f"loaded in {load_s:.1f} s; median of {REPEAT} runs"
        )
        indexed: dict[str, tuple[list[tuple[Any, ...]], float]] = {
            name: _run(engine, sql) for name, sql in QUERIES.items()
        }
        _set_indexes(engine, present=False)
        try:
            bare = {name: _run(engine, sql) for name, sql in QUERIES.items()}
        finally:
            _set_indexes(engine, present=True)
        for name in QUERIES:
            (rows, fast), (bare_rows, slow) = indexed[name], bare[name]
            if rows != bare_rows:
                raise SystemExit(f"{name}: results differ with and without indexes")
            print(_line(f"{name}, no index (baseline)", slow))
            print(_line(f"{name}, indexed", fast, slow, f"  [{len(rows)} rows]"))
        python_rows, python_s = _python_overdue(engine)
        sql_rows, sql_s = indexed["overdue list (50 oldest + count)"]
        if python_rows != sql_rows:
            raise SystemExit("overdue list: the query and the Python filter disagree")
        print(_line("overdue list, all rows filtered in Python", python_s))
        print(_line("overdue list, indexed query", sql_s, python_s))
        total = int(sql_rows[0][2]) if sql_rows else 0
        print(f"  ({total:,} cases overdue on {TODAY.isoformat()})")


if __name__ == "__main__":
    main()
