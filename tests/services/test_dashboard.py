"""The manager's dashboard (``services.dashboard``) on a portfolio built in the read model so
every figure is known, on SQLite and PostgreSQL: RAG by working days left counted on the case's
calendar (the spring bank holiday on Monday 26 May 2025 is not a working day), cases breaching
within five working days, each unit's backlog and overdue tasks, on-time responses by month of
issue in London, this quarter's outcomes and exemptions (``services.statistics``' figures), and
delivery failures; and the CSV."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from domain.case import CaseStatus
from services.dashboard import Dashboard, dashboard, dashboard_csv
from store.db import dispose_engine, get_engine, migrate, session_scope
from store.models import CaseRow, ExemptionClaimRow, OutboxRow, TaskRow, UnitRow

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "store"))
from store_test_db import drop_pg_database, ensure_postgres, new_pg_database

# Friday 23 May 2025; Monday 26 May is a bank holiday. Working days left: Tue 27 May = 1,
# Wed 28 = 2, Thu 29 = 3, Fri 30 = 4, Mon 2 June = 5, Tue 3 June = 6.
TODAY = date(2025, 5, 23)


def received(day: int, month: int = 5) -> datetime:
    return datetime(2025, month, day, 10, tzinfo=UTC)


# (reference, status, due date, received, issued at, on time, with extensions, outcome)
CASES = [
    ("O1", "in_progress", date(2025, 5, 20), received(1), None, None, None, None),
    ("O2", "in_progress", TODAY, received(2), None, None, None, None),
    ("O3", "in_progress", date(2025, 5, 28), received(6), None, None, None, None),
    ("O4", "sign_off", date(2025, 5, 29), received(7), None, None, None, None),
    ("O5", "in_progress", date(2025, 6, 2), received(8), None, None, None, None),
    ("O6", "in_progress", date(2025, 6, 3), received(9), None, None, None, None),
    ("O7", "triage", date(2025, 6, 20), received(20), None, None, None, None),
    ("O8", "awaiting_clarification", None, received(12), None, None, None, None),
    # Closed cases are never on the RAG, however late their due date was.
    (
        "C1",
        "issued",
        date(2025, 5, 1),
        received(2, 4),
        datetime(2025, 5, 1, 15, tzinfo=UTC),
        True,
        True,
        "granted_in_full",
    ),
    (
        "C2",
        "issued",
        date(2025, 4, 7),
        received(10, 3),
        datetime(2025, 4, 10, 15, tzinfo=UTC),
        False,
        True,
        "granted_in_full",
    ),
    (
        "C3",
        "issued",
        date(2025, 4, 14),
        received(1, 4),
        datetime(2025, 4, 15, 15, tzinfo=UTC),
        False,
        False,
        "partially_withheld",
    ),
    # Issued in May 2024: thirteen months ago, not shown.
    (
        "C4",
        "issued",
        date(2024, 5, 10),
        datetime(2024, 4, 10, tzinfo=UTC),
        datetime(2024, 5, 10, 12, tzinfo=UTC),
        True,
        True,
        "not_held",
    ),
    # 23:30 UTC on 31 May 2024 is 00:30 on 1 June in London: June 2024, the first month shown.
    (
        "C5",
        "issued",
        date(2024, 6, 1),
        datetime(2024, 5, 3, tzinfo=UTC),
        datetime(2024, 5, 31, 23, 30, tzinfo=UTC),
        True,
        True,
        "not_held",
    ),
    ("C6", "withdrawn", date(2025, 5, 29), received(1), None, None, None, "withdrawn"),
]
# (reference, question, unit, status, internal due date)
TASKS = [
    ("O1", 1, "vawg", "open", date(2025, 5, 13)),  # overdue
    ("O1", 2, "hate-crime", "answered", date(2025, 5, 13)),  # answered: not backlog
    ("O2", 1, "vawg", "returned", date(2025, 5, 30)),
    ("O2", 2, "hate-crime", "open", date(2025, 5, 22)),  # overdue
    ("O5", 1, "vawg", "open", TODAY),  # due today: not overdue
    ("C1", 1, "vawg", "open", date(2025, 4, 20)),  # on a closed case: not backlog
]


def add_portfolio(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.add(UnitRow(id="vawg", name="Violence against women and girls"))
        session.add(UnitRow(id="hate-crime", name="Hate crime"))
        for ref, status, due, at, issued, on_time, with_ext, outcome in CASES:
            session.add(
                CaseRow(
                    reference=ref,
                    version=1,
                    regime="foia",
                    status=status,
                    received_at=at,
                    due_date=due,
                    statutory_due_date=due,
                    calendar_version=1,
                    issued_at=issued,
                    on_time=on_time,
                    on_time_with_extensions=with_ext,
                    outcome=outcome,
                )
            )
        session.flush()
        for ref, question, unit, status, internal_due in TASKS:
            session.add(
                TaskRow(
                    reference=ref,
                    question=question,
                    text=f"Question {question}",
                    unit=unit,
                    status=status,
                    routed_on=date(2025, 5, 1),
                    internal_due=internal_due,
                )
            )
        session.add(ExemptionClaimRow(reference="C3", question=1, section="31"))
        for n, status in enumerate(("failed", "failed", "sent", "pending")):
            session.add(
                OutboxRow(
                    key=f"O1:kind:{n}",
                    audience="unit:vawg",
                    subject="s",
                    body="b",
                    reference="O1",
                    kind="task_reminder",
                    status=status,
                )
            )


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'foiflow.db'}"
    else:
        error = ensure_postgres()
        if error is not None:
            pytest.skip(f"!!! PostgreSQL unreachable: {error}")
        url = new_pg_database()
    migrate(url)
    try:
        yield get_engine(url)
    finally:
        if request.param == "sqlite":
            dispose_engine(url)
        else:
            drop_pg_database(url)


@pytest.fixture
async def figures(engine: Engine) -> Dashboard:
    add_portfolio(engine)
    return await dashboard(engine, as_of=TODAY)


def rag(figures: Dashboard) -> dict[str, tuple[int, int, int, int, int, int]]:
    return {
        str(s.status): (s.red, s.amber, s.green, s.clock_stopped, s.overdue, s.breaching)
        for s in figures.by_status
    }


async def test_open_cases_by_rag_on_the_cases_calendar(figures: Dashboard) -> None:
    # (red, amber, green, clock stopped, overdue, breaching within five working days)
    assert rag(figures) == {
        "triage": (0, 0, 1, 0, 0, 0),
        "awaiting_clarification": (0, 0, 0, 1, 0, 0),
        # O1 overdue, O2 due today, O3 two working days (the bank holiday skipped): red;
        # O5 five working days: amber; O6 six: green.
        "in_progress": (3, 1, 1, 0, 1, 3),
        "sign_off": (0, 1, 0, 0, 0, 1),
    }
    totals = figures.totals
    assert (totals.red, totals.amber, totals.green, totals.clock_stopped) == (3, 2, 2, 1)
    assert (totals.overdue, totals.breaching, totals.total) == (1, 4, 8)
    # The bands' first days on the FOIA calendar: red before Thu 29 May, amber before Tue 3 June.
    assert (figures.thresholds.red_before, figures.thresholds.amber_before) == (
        date(2025, 5, 29),
        date(2025, 6, 3),
    )
    assert figures.uncounted == 0


async def test_each_units_backlog_and_overdue_tasks(figures: Dashboard) -> None:
    assert [(u.unit, u.name, u.open_tasks, u.overdue_tasks, u.cases) for u in figures.units] == [
        ("vawg", "Violence against women and girls", 3, 1, 3),
        ("hate-crime", "Hate crime", 1, 1, 1),
    ]


async def test_on_time_rate_by_month_of_issue_in_london(figures: Dashboard) -> None:
    months = figures.on_time
    assert [m.month for m in months][:2] == ["2024-06", "2024-07"]
    assert months[-1].month == "2025-05" and len(months) == 12
    shown = {m.month: (m.issued, m.in_time, m.in_time_with_extension, m.late) for m in months}
    assert shown["2024-06"] == (1, 1, 0, 0)
    assert shown["2025-04"] == (2, 0, 1, 1)
    assert shown["2025-05"] == (1, 1, 0, 0)
    assert sum(m.issued for m in months) == 4  # C4 (May 2024) is not shown
    april = next(m for m in months if m.month == "2025-04")
    assert april.rate == 0.5
    assert next(m for m in months if m.month == "2025-01").rate is None


async def test_this_quarters_outcomes_exemptions_and_delivery_failures(
    figures: Dashboard,
) -> None:
    assert (figures.quarter, figures.quarter_start) == ("2025-Q2", date(2025, 4, 1))
    # Received this quarter and resolved: C1 granted, C3 partially withheld on s31, C6
    # withdrawn (other). C2 was received in Q1.
    outcomes = figures.outcomes
    assert (outcomes.granted_in_full, outcomes.partially_withheld, outcomes.other) == (1, 1, 1)
    assert [(u.citation, u.requests) for u in figures.exemptions] == [("s31", 1)]
    assert figures.delivery_failures == 2


async def test_the_csv_has_a_row_per_figure(figures: Dashboard) -> None:
    rows = list(csv.reader(io.StringIO(dashboard_csv(figures))))
    assert rows[0] == ["section", "item", "count", "of"]
    found = {(r[0], r[1]): (r[2], r[3]) for r in rows[1:]}
    assert found["as_of", "2025-05-23"] == ("", "")
    assert found["open_cases", "red"] == ("3", "8")
    assert found["open_cases", "amber"] == ("2", "8")
    assert found["open_cases", "green"] == ("2", "8")
    assert found["open_cases", "clock_stopped"] == ("1", "8")
    assert found["open_cases:in_progress", "red"] == ("3", "5")
    assert found["breaching_within_5_wd", "all"] == ("4", "")
    assert found["unit_overdue_tasks", "vawg"] == ("1", "3")
    assert found["on_time", "2025-04"] == ("1", "2")
    assert found["outcomes:2025-Q2", "partially_withheld"] == ("1", "")
    assert found["exemptions:2025-Q2", "foia s31"] == ("1", "")
    assert found["delivery_failures", "all"] == ("2", "")


async def test_an_empty_store_has_zero_figures(engine: Engine) -> None:
    figures = await dashboard(engine, as_of=TODAY)
    assert figures.by_status == [] and figures.units == []
    assert figures.totals.total == 0 and figures.delivery_failures == 0
    assert all(m.issued == 0 for m in figures.on_time)
    assert CaseStatus.ISSUED not in {s.status for s in figures.by_status}
