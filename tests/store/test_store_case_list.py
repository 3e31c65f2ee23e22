"""The case list (``services.cases.find_cases``) paged over the read model on SQLite and
PostgreSQL: soonest due first, the cases whose clock is stopped (no due date) after every dated
one, each page a slice of that one order with the total, filtered or not — whichever page the
dated cases end on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine
from temporalio.client import Client

from domain.case import Actor
from services.cases import find_cases
from services.context import ServiceContext
from services.schemas import CaseQuery
from settings import get_settings
from statute.exemptions import Role
from store.db import session_scope
from store.models import CaseRow, TaskRow

DUE = date(2025, 6, 2)
# (reference, due date or None while the clock is stopped, status, units)
CASES = [
    ("01.FOI.25.000009", DUE, "in_progress", ["vawg"]),
    ("01.FOI.25.000002", DUE, "in_progress", ["hate-crime"]),  # same day: by reference
    ("01.FOI.25.000007", DUE - timedelta(days=3), "issued", ["vawg"]),
    ("01.FOI.25.000001", DUE + timedelta(days=9), "triage", ["vawg", "hate-crime"]),
    ("01.FOI.25.000005", DUE + timedelta(days=2), "sign_off", ["hate-crime"]),
    ("01.FOI.25.000008", None, "awaiting_fee", ["vawg"]),
    ("01.FOI.25.000003", None, "awaiting_clarification", ["hate-crime"]),
    ("01.FOI.25.000006", None, "awaiting_clarification", ["vawg"]),
]
# The list's order: dated soonest first (ties by reference), then the undated by reference.
IN_ORDER = [
    "01.FOI.25.000007",
    "01.FOI.25.000002",
    "01.FOI.25.000009",
    "01.FOI.25.000005",
    "01.FOI.25.000001",
    "01.FOI.25.000003",
    "01.FOI.25.000006",
    "01.FOI.25.000008",
]
OFFICER = Actor(user_id="aisha-rahman", roles=[Role.FOI_OFFICER], units=["foi"])


@pytest.fixture
async def officer(engine: Engine) -> AsyncIterator[ServiceContext]:
    with session_scope(engine) as session:
        for reference, due, status, units in CASES:
            session.add(
                CaseRow(
                    reference=reference,
                    version=1,
                    regime="foia",
                    status=status,
                    received_at=datetime(2025, 5, 1, 9, tzinfo=UTC),
                    due_date=due,
                    owning_units=units,
                )
            )
            session.flush()
            for question, unit in enumerate(units, start=1):
                session.add(
                    TaskRow(
                        reference=reference,
                        question=question,
                        text=f"Question {question}",
                        unit=unit,
                        status="open",
                        routed_on=date(2025, 5, 2),
                        internal_due=date(2025, 5, 16),
                    )
                )
    # Nothing listens there: a list that asked Temporal anything would fail.
    client = await Client.connect("127.0.0.1:1", lazy=True)
    yield ServiceContext(settings=get_settings(), engine=engine, client=client, actor=OFFICER)


async def every_page(ctx: ServiceContext, per_page: int, **filters: object) -> list[str]:
    """Every page in turn until an empty one; each page says the same total, the whole list's."""
    listed: list[str] = []
    totals: set[int] = set()
    page = 1
    while True:
        query = CaseQuery.model_validate({**filters, "page": page, "per_page": per_page})
        found = await find_cases(ctx, query)
        totals.add(found.total)
        if not found.items:
            assert totals == {len(listed)}
            return listed
        listed += [item.reference for item in found.items]
        page += 1


@pytest.mark.parametrize("per_page", [1, 2, 3, 4, 5, 50])
async def test_pages_are_slices_of_one_order_with_the_stopped_clocks_last(
    officer: ServiceContext, per_page: int
) -> None:
    assert await every_page(officer, per_page) == IN_ORDER
    found = await find_cases(officer, CaseQuery(page=2, per_page=per_page))
    assert found.total == len(CASES)


async def test_a_filtered_list_pages_the_same_way(officer: ServiceContext) -> None:
    vawg = [r for r in IN_ORDER if "vawg" in next(c[3] for c in CASES if c[0] == r)]
    for per_page in (1, 2, 3):
        assert await every_page(officer, per_page, unit="vawg") == vawg
    # The page the dated cases end on: the last dated vawg case, then the first undated one.
    found = await find_cases(officer, CaseQuery(unit="vawg", page=2, per_page=2))
    assert [i.reference for i in found.items] == ["01.FOI.25.000001", "01.FOI.25.000006"]
    assert [i.due_date for i in found.items] == [DUE + timedelta(days=9), None]
    assert found.total == len(vawg) == 5


async def test_a_page_past_the_end_is_empty_with_the_total(officer: ServiceContext) -> None:
    found = await find_cases(officer, CaseQuery(page=4, per_page=3))
    assert (found.items, found.total, found.page) == ([], len(CASES), 4)
