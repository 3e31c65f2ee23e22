"""Reading cases: one case as the actor may see it, listings, the letter, "my" tasks and
sign-offs, and what the actor may do on a case now.

Who may know a case exists — the one rule every read here applies (``may_know``):

- a system caller (no actor: the starter, the worker's tools), FOI officers and managers know
  every case;
- unit contacts and unit managers know the cases with a task now with one of their units;
- approvers (senior officer, data protection officer, qualified person, national security lead)
  know the cases with a sign-off, pending or decided, for one of their roles;
- nobody else (an admin keeps reference data and acts on no case).

A case the actor may not know is reported exactly like a case that does not exist
(``CaseNotFound``), so a reference cannot be probed. Only FOI officers and managers (and system
callers) see who asked: FOI is applicant-blind for everyone else.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, func, not_, or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from domain.case import (
    CLOSED_STATUSES,
    Actor,
    CaseStatus,
    CaseView,
    ResponseDraft,
    SignOffStatus,
    TaskStatus,
)
from domain.review import whole_life
from domain.transitions import (
    APPROVER_ROLES,
    REQUESTER_VISIBLE_ROLES,
    UNIT_ROLES,
    may_see_requester,
    transition,
)
from domain.transitions import available_actions as allowed_actions
from services.context import ServiceContext
from services.db import calendar_versions, in_store
from services.errors import CaseNotFound, Conflict
from services.schemas import (
    AvailableAction,
    CaseOut,
    CasePage,
    CaseQuery,
    CaseSummary,
    MySignOff,
    MyTask,
)
from services.temporal import case_errors
from statute import calendar_for, get_regime, local_date
from statute.calendar import CalendarData, CalendarError, WorkingDayCalendar
from statute.regimes import UnknownRegimeError
from store import refdata
from store.models import CaseRow, SignOffRow, TaskRow
from store.reviews import get_review
from workflows.request import FoiRequestWorkflow

# The roles that may know some case; someone with none of them (an admin) works on no case, and
# front ends refuse them every case route outright (403) rather than answer "no such case".
CASE_ROLES = REQUESTER_VISIBLE_ROLES | UNIT_ROLES | APPROVER_ROLES
WAITING_TASK = (TaskStatus.OPEN, TaskStatus.RETURNED)  # the unit has to act on it
OPEN_CASE_STATUSES = [str(s) for s in CaseStatus if s not in CLOSED_STATUSES]


# --- who may know what -----------------------------------------------------------------------


def sees_every_case(actor: Actor | None) -> bool:
    return actor is None or may_see_requester(actor)


def may_know(view: CaseView, actor: Actor | None) -> bool:
    """Whether ``actor`` may know the case exists (the rule in this module's docstring)."""
    if actor is None or sees_every_case(actor):
        return True
    roles = set(actor.roles)
    if roles & UNIT_ROLES and any(t.unit in actor.units for t in view.tasks):
        return True
    return bool(roles & APPROVER_ROLES) and any(s.required_role in roles for s in view.sign_offs)


def as_seen_by(view: CaseView, actor: Actor | None) -> CaseView:
    """``view`` as ``actor`` may see it; ``CaseNotFound`` when they may not know it exists."""
    if not may_know(view, actor):
        raise CaseNotFound(view.reference)
    if actor is not None and not may_see_requester(actor):
        return view.for_unit()
    return view


# --- one case --------------------------------------------------------------------------------


async def case_view(ctx: ServiceContext, reference: str) -> CaseView:
    """The whole case as the workflow holds it, for no one in particular: services only."""
    if not reference.strip():
        raise CaseNotFound(reference)
    async with case_errors(ctx.client, ctx.settings, reference):
        view: CaseView = await ctx.client.get_workflow_handle(reference).query(
            FoiRequestWorkflow.state
        )
    return view


async def get_case(ctx: ServiceContext, reference: str) -> CaseView:
    """The case as the actor may see it (requester removed unless they may see who asked)."""
    return as_seen_by(await case_view(ctx, reference), ctx.actor)


async def get_letter(ctx: ServiceContext, reference: str) -> ResponseDraft:
    """The composed response (the refusal notice where anything is withheld)."""
    view = await get_case(ctx, reference)
    if view.response is None:
        raise Conflict(
            f"{reference} has no composed response yet (status {view.status})", "reference"
        )
    return view.response


async def available_actions(ctx: ServiceContext, reference: str) -> list[AvailableAction]:
    """What the actor may do on the case now, from the transition table (none for no actor)."""
    return actions_for(await get_case(ctx, reference), ctx.actor)


def actions_for(view: CaseView, actor: Actor | None) -> list[AvailableAction]:
    """``available_actions`` for a case already read."""
    if actor is None:
        return []
    return [
        AvailableAction(action=a, label=transition(a).label) for a in allowed_actions(view, actor)
    ]


def case_out(view: CaseView, actor: Actor | None) -> CaseOut:
    """A case as ``actor`` sees it, with the actions they may take on it now."""
    seen = as_seen_by(view, actor)
    # ``life`` is the request's own timeline until ``with_review_stage`` adds the later stages.
    return CaseOut.model_validate(
        {**seen.model_dump(), "actions": actions_for(seen, actor), "life": seen.timeline}
    )


async def get_case_out(ctx: ServiceContext, reference: str) -> CaseOut:
    return await with_review_stage(ctx, case_out(await case_view(ctx, reference), ctx.actor))


async def with_review_stage(ctx: ServiceContext, out: CaseOut) -> CaseOut:
    """``out`` with its review stage from the read model and its whole life's timeline, for
    those who may see who asked (a review's grounds are the requester's words)."""
    review = None
    if ctx.actor is None or may_see_requester(ctx.actor):
        review = await in_store(ctx.engine, lambda session: get_review(session, out.reference))
    return out.model_copy(update={"review": review, "life": whole_life(out.timeline, review)})


# --- "my" lists, from the read model ---------------------------------------------------------


def _working_days_left(
    calendar: WorkingDayCalendar | None, today: date, due: date | None
) -> int | None:
    """Working days from ``today`` to ``due`` (0 on the day, negative once it has passed)."""
    if calendar is None or due is None:
        return None
    try:
        if due >= today:
            return calendar.count_working_days(today, due)
        return -calendar.count_working_days(due, today)
    except CalendarError:
        return None


CalendarKey = tuple[str, int | None]  # (regime, calendar version)


async def _calendars(
    ctx: ServiceContext, keys: Iterable[CalendarKey]
) -> dict[CalendarKey, WorkingDayCalendar | None]:
    """Each (regime, calendar version)'s working-day calendar, None where it cannot be built."""
    repository = calendar_versions(ctx.engine)
    wanted = set(keys)

    def load() -> dict[int | None, CalendarData | None]:
        found: dict[int | None, CalendarData | None] = {}
        for version in {v for _, v in wanted}:
            try:
                found[version] = repository.latest() if version is None else repository.get(version)
            except CalendarError:
                found[version] = None  # the deadline stands; only the count is unknown
        return found

    data = await asyncio.to_thread(load)
    built: dict[CalendarKey, WorkingDayCalendar | None] = {}
    for regime_code, version in wanted:
        calendar_data = data.get(version)
        try:
            regime = get_regime(regime_code)
        except UnknownRegimeError:
            regime = None
        built[(regime_code, version)] = (
            None if calendar_data is None or regime is None else calendar_for(regime, calendar_data)
        )
    return built


class _DaysLeft:
    """Working days left to a due date on a case's calendar, each (calendar, day) counted once:
    a list of hundreds of tasks has a few dozen distinct due dates."""

    def __init__(self, calendars: dict[CalendarKey, WorkingDayCalendar | None], today: date):
        self.calendars = calendars
        self.today = today
        self.counted: dict[tuple[CalendarKey, date | None], int | None] = {}

    def __call__(self, key: CalendarKey, due: date | None) -> int | None:
        try:
            return self.counted[(key, due)]
        except KeyError:
            left = _working_days_left(self.calendars[key], self.today, due)
            self.counted[(key, due)] = left
            return left


def _today(session: Session, as_of: date | None) -> date:
    if as_of is not None:
        return as_of
    return local_date(datetime.now(UTC), refdata.get_authority(session).time_zone)


async def list_my_tasks(ctx: ServiceContext, as_of: date | None = None) -> list[MyTask]:
    """Open tasks (open, or returned after a refused sign-off) of the actor's units on open
    cases, soonest internal deadline first. Read from the store's read model: the columns the
    list shows, not whole rows (a unit can have hundreds of open tasks)."""
    actor = ctx.person()
    waiting = [str(s) for s in WAITING_TASK]

    # Rows typed Any: SQLAlchemy's typed selects stop short of ten columns.
    def read(session: Session) -> tuple[date, list[Any]]:
        rows: Sequence[Any] = session.execute(
            select(
                col(TaskRow.reference),
                col(TaskRow.question),
                col(TaskRow.text),
                col(TaskRow.unit),
                col(TaskRow.status),
                col(TaskRow.internal_due),
                col(CaseRow.status).label("case_status"),
                col(CaseRow.due_date),
                col(CaseRow.regime),
                col(CaseRow.calendar_version),
            )
            .join(CaseRow, col(TaskRow.reference) == col(CaseRow.reference))
            .where(
                col(TaskRow.unit).in_(actor.units),
                col(TaskRow.status).in_(waiting),
                # Open statuses named, not "not closed": PostgreSQL then finds the open cases
                # in the status index instead of reading every case.
                col(CaseRow.status).in_(OPEN_CASE_STATUSES),
            )
            .order_by(col(TaskRow.internal_due), col(TaskRow.reference), col(TaskRow.question))
        ).all()
        return _today(session, as_of), list(rows)

    if not actor.units:
        return []
    today, rows = await in_store(ctx.engine, read)
    days_left = _DaysLeft(
        await _calendars(ctx, {(r.regime, r.calendar_version) for r in rows}), today
    )
    return [
        MyTask(
            reference=row.reference,
            question=row.question,
            text=row.text,
            unit=row.unit,
            status=TaskStatus(row.status),
            case_status=CaseStatus(row.case_status),
            internal_due=row.internal_due,
            statutory_due=row.due_date,
            working_days_left=days_left((row.regime, row.calendar_version), row.internal_due),
        )
        for row in rows
    ]


async def list_my_sign_offs(ctx: ServiceContext, as_of: date | None = None) -> list[MySignOff]:
    """Pending sign-offs needing one of the actor's roles, on cases awaiting sign-off, that the
    actor did not recommend (no one signs off their own claim). Read from the read model."""
    actor = ctx.person()
    roles = [str(r) for r in actor.roles]

    def read(session: Session) -> tuple[date, list[Any], dict[tuple[str, int], str]]:
        rows: Sequence[Any] = session.execute(
            select(
                col(SignOffRow.reference),
                col(SignOffRow.section),
                col(SignOffRow.required_role),
                col(SignOffRow.questions),
                col(CaseRow.due_date),
                col(CaseRow.regime),
                col(CaseRow.calendar_version),
            )
            .join(CaseRow, col(SignOffRow.reference) == col(CaseRow.reference))
            .where(
                col(SignOffRow.status) == str(SignOffStatus.PENDING),
                col(SignOffRow.required_role).in_(roles),
                col(CaseRow.status) == str(CaseStatus.SIGN_OFF),
            )
            .order_by(col(CaseRow.due_date), col(SignOffRow.reference), col(SignOffRow.section))
        ).all()
        # Who answered the questions on those cases: joined on the same conditions rather than
        # sent back as a list of hundreds of references.
        answered = session.execute(
            select(col(TaskRow.reference), col(TaskRow.question), col(TaskRow.answered_by))
            .join(CaseRow, col(TaskRow.reference) == col(CaseRow.reference))
            .where(
                col(CaseRow.status) == str(CaseStatus.SIGN_OFF),
                col(TaskRow.answered_by).is_not(None),
                exists().where(
                    col(SignOffRow.reference) == col(TaskRow.reference),
                    col(SignOffRow.status) == str(SignOffStatus.PENDING),
                    col(SignOffRow.required_role).in_(roles),
                ),
            )
        ).all()
        by_question = {(r, q): str(who) for r, q, who in answered}
        return _today(session, as_of), list(rows), by_question

    if not roles:
        return []
    today, rows, answered_by = await in_store(ctx.engine, read)
    days_left = _DaysLeft(
        await _calendars(ctx, {(r.regime, r.calendar_version) for r in rows}), today
    )
    waiting: list[MySignOff] = []
    for row in rows:
        # The workflow's recommenders are those who answered the questions claiming the section.
        recommended = list(
            dict.fromkeys(
                answered_by[(row.reference, q)]
                for q in row.questions
                if (row.reference, q) in answered_by
            )
        )
        if actor.user_id in recommended:
            continue
        waiting.append(
            MySignOff(
                reference=row.reference,
                section=row.section,
                required_role=row.required_role,
                questions=list(row.questions),
                recommended_by=recommended,
                statutory_due=row.due_date,
                working_days_left=days_left((row.regime, row.calendar_version), row.due_date),
            )
        )
    return waiting


# --- the case list, from the read model ------------------------------------------------------
#
# A page is read in two steps: the references in the list's order (due date, then reference;
# the cases whose clock is stopped, with no due date, last by reference), from an index alone
# however deep the page, then those cases' rows. The total is counted by the database with the
# same filters. Which cases match is written twice, as "has a task for the unit" (EXISTS, read
# case by case while walking the order) for the page and as "is among the unit's cases" (IN,
# the unit's task index read once) for the count: each is the plan SQLite takes fastest for
# its query (PostgreSQL plans both alike).


def _has_task(units: list[str], *, walking: bool) -> ColumnElement[bool]:
    if walking:
        return exists().where(
            col(TaskRow.reference) == col(CaseRow.reference), col(TaskRow.unit).in_(units)
        )
    return col(CaseRow.reference).in_(
        select(col(TaskRow.reference)).where(col(TaskRow.unit).in_(units))
    )


def _has_sign_off(roles: list[str], *, walking: bool) -> ColumnElement[bool]:
    if walking:
        return exists().where(
            col(SignOffRow.reference) == col(CaseRow.reference),
            col(SignOffRow.required_role).in_(roles),
        )
    return col(CaseRow.reference).in_(
        select(col(SignOffRow.reference)).where(col(SignOffRow.required_role).in_(roles))
    )


def _visible_to(actor: Actor, *, walking: bool) -> ColumnElement[bool] | None:
    """The rows ``actor`` may know exist (``may_know`` in SQL); None: every row."""
    if sees_every_case(actor):
        return None
    roles = set(actor.roles)
    clauses: list[ColumnElement[bool]] = []
    if roles & UNIT_ROLES and actor.units:
        clauses.append(_has_task(list(actor.units), walking=walking))
    approving = [str(r) for r in roles & APPROVER_ROLES]
    if approving:
        clauses.append(_has_sign_off(approving, walking=walking))
    return or_(*clauses) if clauses else false()


async def known_in_store(ctx: ServiceContext, reference: str, actor: Actor) -> bool:
    """Whether the read model already shows ``actor`` the case (in their lists and inbox).

    False says nothing either way (the store may not have caught up yet): ask the workflow."""
    visible = _visible_to(actor, walking=True)  # one case: EXISTS from its row

    def read(session: Session) -> bool:
        found = select(col(CaseRow.reference)).where(col(CaseRow.reference) == reference)
        if visible is not None:
            found = found.where(visible)
        return session.execute(found.limit(1)).first() is not None

    return await in_store(ctx.engine, read)


def _filters(
    actor: Actor, query: CaseQuery, today: date, *, walking: bool
) -> list[ColumnElement[bool]]:
    closed = [str(s) for s in CLOSED_STATUSES]
    where: list[ColumnElement[bool]] = []
    visible = _visible_to(actor, walking=walking)
    if visible is not None:
        where.append(visible)
    if query.status is not None:
        where.append(col(CaseRow.status) == str(query.status))
    if query.regime is not None:
        where.append(col(CaseRow.regime) == query.regime)
    if query.unit is not None:
        where.append(_has_task([query.unit], walking=walking))
    late = and_(col(CaseRow.status).not_in(closed), col(CaseRow.due_date) < today)
    if query.overdue is True:
        where.append(late)
    elif query.overdue is False:
        where.append(not_(late))
    if query.due_before is not None:
        where.append(col(CaseRow.due_date) < query.due_before)
    return where


def _page_references(
    session: Session, where: list[ColumnElement[bool]], offset: int, limit: int
) -> list[str]:
    """The references on the page: the dated cases soonest first, then the undated ones. Two
    queries rather than one ordered "due date IS NULL" first, which no index can serve."""
    due = col(CaseRow.due_date)
    reference = col(CaseRow.reference)
    found = list(
        session.scalars(
            select(reference)
            .where(*where, due.is_not(None))
            .order_by(due, reference)
            .offset(offset)
            .limit(limit)
        )
    )
    if len(found) == limit:
        return found
    if found:
        skip = 0  # the dated cases end on this page
    else:
        dated = session.scalar(
            select(func.count()).select_from(CaseRow).where(*where, due.is_not(None))
        )
        skip = max(0, offset - int(dated or 0))
    found += session.scalars(
        select(reference)
        .where(*where, due.is_(None))
        .order_by(reference)
        .offset(skip)
        .limit(limit - len(found))
    )
    return found


async def find_cases(ctx: ServiceContext, query: CaseQuery) -> CasePage:
    """A page of the cases the actor may know, soonest due first (paused ones last), filtered;
    read from the store's read model, so a list never waits on Temporal."""
    actor = ctx.person()
    closed = [str(s) for s in CLOSED_STATUSES]

    def read(session: Session) -> tuple[date, list[CaseRow], int]:
        today = _today(session, None)
        total = int(
            session.scalar(
                select(func.count())
                .select_from(CaseRow)
                .where(*_filters(actor, query, today, walking=False))
            )
            or 0
        )
        offset = (query.page - 1) * query.per_page
        if offset >= total:
            return today, [], total
        references = _page_references(
            session, _filters(actor, query, today, walking=True), offset, query.per_page
        )
        rows = {
            row.reference: row
            for row in session.scalars(
                select(CaseRow).where(col(CaseRow.reference).in_(references))
            )
        }
        return today, [rows[r] for r in references if r in rows], total

    today, rows, total = await in_store(ctx.engine, read)
    days_left = _DaysLeft(
        await _calendars(ctx, {(r.regime, r.calendar_version) for r in rows}), today
    )
    return CasePage(
        items=[
            CaseSummary(
                reference=row.reference,
                status=CaseStatus(row.status),
                regime=row.regime,
                due_date=row.due_date,
                overdue=row.status not in closed
                and row.due_date is not None
                and row.due_date < today,
                working_days_left=None
                if row.status in closed
                else days_left((row.regime, row.calendar_version), row.due_date),
                units=list(row.owning_units),
                received_at=row.received_at,
                outcome=row.outcome,
                on_time=row.on_time,
            )
            for row in rows
        ],
        total=total,
        page=query.page,
        per_page=query.per_page,
    )
