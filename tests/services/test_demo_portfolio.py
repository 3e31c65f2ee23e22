"""The demo portfolio, seeded on the real dev server through the services: every state a manager
meets is in the read model, nothing fails, and seeding again adds nothing."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import col
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.case import CaseStatus, SignOffStatus, TaskStatus
from domain.review import ReviewStage
from services.context import ServiceContext
from services.demo import PORTFOLIO, Stage, seed_portfolio
from settings import Settings
from store.db import dispose_engine, get_engine, migrate, session_scope
from store.models import CaseRow, ReviewRow, SignOffRow, TaskRow
from store.seed import apply_seed, load_seed

DEMO_DIRECTORY = Path(__file__).resolve().parents[2] / "cli" / "demo" / "seed.yaml"


@pytest.fixture(scope="module")
def dev_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """A store of the module's own with the demo directory (``dev_worker`` projects into it):
    forty open and closed cases stay out of the session's store and its counts."""
    data_dir = tmp_path_factory.mktemp("demo-portfolio")
    settings = Settings(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'foiflow.db'}")
    migrate(settings.database_url)
    with session_scope(get_engine(settings.database_url)) as session:
        apply_seed(session, load_seed(DEMO_DIRECTORY), actor="tests")
    yield settings
    dispose_engine(settings.database_url)


async def test_the_portfolio_holds_every_state_and_is_seeded_once(
    dev_env: WorkflowEnvironment, dev_worker: Worker, dev_settings: Settings
) -> None:
    settings = dev_settings.model_copy(update={"task_queue": dev_worker.task_queue})
    ctx = ServiceContext(
        settings=settings, engine=get_engine(settings.database_url), client=dev_env.client
    )
    began = time.monotonic()
    report = await seed_portfolio(ctx)
    print(f"\nseeded {len(report.started)} demo requests in {time.monotonic() - began:.1f} s")
    assert len(report.started) == len(PORTFOLIO) >= 40
    assert len(set(report.started)) == len(report.started)

    references = report.started
    with session_scope(ctx.engine) as session:
        cases = list(session.scalars(select(CaseRow).where(col(CaseRow.reference).in_(references))))
        tasks = list(session.scalars(select(TaskRow).where(col(TaskRow.reference).in_(references))))
        sign_offs = list(
            session.scalars(select(SignOffRow).where(col(SignOffRow.reference).in_(references)))
        )
    assert len(cases) == len(PORTFOLIO)  # every case in the read model, caught up
    under_review = await reviews_under_way(ctx, references, Counter(s.stage for s in PORTFOLIO))
    statuses = Counter(c.status for c in cases)
    wanted = Counter(s.stage for s in PORTFOLIO)
    issued = [c for c in cases if c.status == CaseStatus.ISSUED]
    issued_only = [c for c in issued if c.reference not in under_review]
    open_overdue = [c for c in cases if c.overdue and c.status == CaseStatus.IN_PROGRESS]
    by_case = {c.reference: c for c in cases}
    open_tasks = {t.reference for t in tasks if t.status == TaskStatus.OPEN}
    answered = {t.reference for t in tasks if t.status != TaskStatus.OPEN}
    seen = {
        Stage.NEW: statuses[CaseStatus.TRIAGE],
        Stage.ROUTED: sum(
            1
            for c in cases
            if c.status == CaseStatus.IN_PROGRESS
            and not c.overdue
            and c.reference in open_tasks
            and c.reference not in answered
        ),
        Stage.WAITING_ON_UNITS: sum(
            1
            for c in cases
            if c.status == CaseStatus.IN_PROGRESS
            and c.reference in open_tasks
            and c.reference in answered
        ),
        Stage.TASK_OVERDUE: sum(1 for c in open_overdue if c.reference in open_tasks),
        Stage.SIGN_OFF: sum(1 for c in cases if c.status == CaseStatus.SIGN_OFF and not c.extended),
        Stage.SIGN_OFF_REJECTED: len(
            {
                s.reference
                for s in sign_offs
                if s.status == SignOffStatus.REJECTED
                and by_case[s.reference].status == CaseStatus.IN_PROGRESS
            }
            & {t.reference for t in tasks if t.status == TaskStatus.RETURNED}
        ),
        Stage.CLARIFICATION: statuses[CaseStatus.AWAITING_CLARIFICATION],
        Stage.PUBLIC_INTEREST_EXTENSION: sum(
            1 for c in cases if c.extended and c.status == CaseStatus.SIGN_OFF
        ),
        Stage.COST_REVIEW: statuses[CaseStatus.COST_REVIEW],
        Stage.RESPONSE_REVIEW: statuses[CaseStatus.RESPONSE_REVIEW],
        Stage.ISSUED: len(issued_only),
        Stage.INTERNAL_REVIEW: len(under_review & {c.reference for c in issued}),
        Stage.WITHDRAWN: statuses[CaseStatus.WITHDRAWN],
    }
    assert seen == dict(wanted)
    assert all(c.paused for c in cases if c.status == CaseStatus.AWAITING_CLARIFICATION)
    on_time = Counter(c.on_time for c in issued)
    assert on_time[True] >= 3 and on_time[False] >= 3  # issued on time, and issued late
    # Receipts spread over about three months: the dashboard's charts have something to show.
    months = {c.received_at.strftime("%Y-%m") for c in cases}
    span = max(c.received_at for c in cases) - min(c.received_at for c in cases)
    assert len(months) >= 3 and span.days >= 80

    # Seeding again (the next `foiflow up`) finds every request there and adds nothing.
    before = case_count(ctx)
    again = await seed_portfolio(ctx)
    assert (again.started, again.present) == ([], len(PORTFOLIO))
    assert case_count(ctx) == before


async def reviews_under_way(
    ctx: ServiceContext, references: list[str], wanted: Counter[Stage]
) -> set[str]:
    """The cases whose review the read model shows under way, once the review workflows'
    projections (written a moment after the reviewer is assigned) are all in, or 30 s on."""
    deadline = time.monotonic() + 30
    while True:
        with session_scope(ctx.engine) as session:
            found = set(
                session.scalars(
                    select(col(ReviewRow.reference)).where(
                        col(ReviewRow.reference).in_(references),
                        col(ReviewRow.stage) == ReviewStage.UNDER_REVIEW,
                        col(ReviewRow.reviewer).is_not(None),
                    )
                )
            )
        if len(found) >= wanted[Stage.INTERNAL_REVIEW] or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.2)


def case_count(ctx: ServiceContext) -> int:
    with session_scope(ctx.engine) as session:
        return len(list(session.scalars(select(col(CaseRow.reference)))))
