"""Intake: a request document becomes a case — read, validated, split into numbered questions,
given a reference from the authority's pattern and started — or is previewed first.

The same request started twice (same receipt time and text) returns the case it already has.
"""

from __future__ import annotations

import asyncio
import functools
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.case import CLOSED_STATUSES, CasePolicy, RequestIntake
from domain.intake import intake_key, split_questions
from domain.messages import RequestInput
from services import temporal
from services.context import ServiceContext
from services.db import calendar_versions, in_store
from services.errors import Conflict, Forbidden, Rejected
from services.files import read_mapping_file
from services.routing import suggest_units
from services.schemas import (
    MAX_QUESTION_TEXT,
    MAX_QUESTIONS,
    IntakePreview,
    RequestDocument,
    Started,
)
from statute import (
    CalendarError,
    ClockEvent,
    ClockEventKind,
    ClockOptions,
    ClockState,
    calendar_for,
    compute_clock,
)
from statute.exemptions import Role
from statute.regimes import REQUEST_REGIMES, get_regime
from store import refdata
from store.refdata import RefDataError
from store.references import register_intake

PENDING = "pending"  # the reference until one is allocated


class IntakeError(Rejected):
    """The request cannot become a case; ``field`` names what is wrong."""


def read_request_file(path: Path) -> dict[str, Any]:
    """A request document from a YAML or JSON file (missing, binary or too big: one line)."""
    try:
        return read_mapping_file(path, "file")
    except Rejected as exc:
        raise IntakeError(exc.reason, exc.field) from None


def build_intake(
    document: dict[str, Any], received_at: datetime | None, reference: str | None
) -> RequestIntake:
    """The request as the case will hold it; questions split from the text when not given.

    The document is checked field by field (``RequestDocument``) before anything is recorded.
    """
    try:
        checked = RequestDocument.model_validate(document)
    except ValidationError as exc:
        raise IntakeError.from_validation(exc) from None
    fields = checked.model_dump(mode="json", exclude_none=True)
    fields["received_at"] = received_at or checked.received_at or datetime.now(UTC)
    fields["reference"] = reference or checked.reference or PENDING
    if not fields.get("questions"):
        fields["questions"] = [q.model_dump() for q in split_questions(checked.request_text)]
    try:
        intake = RequestIntake.model_validate(fields)
    except ValidationError as exc:
        raise IntakeError.from_validation(exc) from None
    if intake.received_at.tzinfo is None:
        raise IntakeError("give a time zone (e.g. 2026-11-24T10:15:00+00:00)", "received_at")
    if intake.regime not in REQUEST_REGIMES:
        raise IntakeError(f"{intake.regime!r} is not one of {', '.join(REQUEST_REGIMES)}", "regime")
    if not intake.questions:
        raise IntakeError("the request has no questions", "request_text")
    numbers = [q.number for q in intake.questions]
    twice = sorted({n for n in numbers if numbers.count(n) > 1})
    if twice:
        where = "questions" if checked.questions else "request_text"
        raise IntakeError(f"question {twice[0]} is numbered twice", where)
    if len(intake.questions) > MAX_QUESTIONS:
        raise IntakeError(
            f"{len(intake.questions)} questions; at most {MAX_QUESTIONS} in one request",
            "request_text",
        )
    if not checked.questions:
        # Split from the text: the limits a given question list meets, said of the text.
        for question in intake.questions:
            if question.number < 1:
                raise IntakeError(
                    f"question {question.number}: questions are numbered from 1", "request_text"
                )
            if len(question.text) > MAX_QUESTION_TEXT:
                raise IntakeError(
                    f"question {question.number} has {len(question.text):,} characters; at "
                    f"most {MAX_QUESTION_TEXT:,} in one question",
                    "request_text",
                )
    return intake


async def _case_policy(ctx: ServiceContext) -> CasePolicy:
    """The policy a case would start with; ``Conflict`` when a stored setting is refused (an
    older release let it through): the case could not run on it."""
    try:
        return await in_store(ctx.engine, refdata.case_policy)
    except RefDataError as exc:
        raise Conflict.from_message(str(exc)) from None


def _may_start(ctx: ServiceContext) -> None:
    # A system caller (the starter, an email intake) may; of people, the FOI officer.
    if ctx.actor is not None and Role.FOI_OFFICER not in ctx.actor.roles:
        raise Forbidden(f"{ctx.actor.user_id} is not a foi_officer and cannot start cases", "actor")


async def preview_intake(
    ctx: ServiceContext, request_document: dict[str, Any], received_at: datetime | None = None
) -> IntakePreview:
    """What starting the request would give, recording nothing: its questions numbered with
    suggested units, and the due date with the clock's explanation."""
    intake = build_intake(request_document, received_at, None)
    policy = await _case_policy(ctx)
    clock = await _opening_clock(ctx, intake, policy)
    return IntakePreview(
        regime=intake.regime,
        received_at=intake.received_at,
        received_on=clock.received_on,
        questions=await suggest_units(ctx, intake.questions),
        due_date=clock.due_date,
        explanation=clock.explain(),
    )


async def _opening_clock(
    ctx: ServiceContext, intake: RequestIntake, policy: CasePolicy
) -> ClockState:
    """The clock as the case would open: ``IntakeError`` (on ``received_at``) when the calendar
    cannot count the request's days, so no case starts that could not keep its deadline."""
    calendars = calendar_versions(ctx.engine)
    version = policy.calendar_version
    data = await asyncio.to_thread(
        calendars.latest if version is None else functools.partial(calendars.get, version)
    )
    regime = get_regime(intake.regime)
    try:
        return compute_clock(
            regime,
            [ClockEvent(ClockEventKind.RECEIVED, intake.received_at)],
            calendar_for(regime, data),
            as_of=intake.received_at,
            options=ClockOptions(
                roll_non_working_receipt=policy.roll_non_working_receipt,
                time_zone=policy.time_zone,
            ),
        )
    except CalendarError as exc:
        raise IntakeError(str(exc), "received_at") from None


async def _started(ctx: ServiceContext, reference: str, existing: bool) -> Started:
    async with temporal.case_errors(ctx.client, ctx.settings, reference):
        view = await temporal.case_state(ctx.client, reference)
    if existing and view.status in CLOSED_STATUSES:
        # Closed a moment ago and still finishing: as closed as a completed one.
        raise temporal.CaseExistsError(reference)
    return Started(reference=reference, due_date=view.clock.due_date, existing=existing)


async def start_case(
    ctx: ServiceContext, request_document: dict[str, Any], received_at: datetime | None = None
) -> Started:
    """Start a case for the request (or return the one it already has).

    Without a reference in the document one is allocated from the authority's pattern; a
    reference whose case has closed is refused (``CaseExistsError``, a ``Conflict``).
    """
    _may_start(ctx)
    intake = build_intake(request_document, received_at, None)
    policy = await _case_policy(ctx)
    opening = await _opening_clock(ctx, intake, policy)  # before a reference is used up
    key = intake_key(intake.received_at, intake.request_text)
    given = None if intake.reference == PENDING else intake.reference
    reference, existing = await _register(ctx, key, given, intake.received_at.year)
    if given is not None and not existing and await temporal.case_exists(ctx.client, given):
        existing = True  # started before the register kept it
    intake = intake.model_copy(update={"reference": reference})
    inp = RequestInput(intake=intake, policy=policy)
    calendar = await asyncio.to_thread(temporal.case_calendar, inp, calendar_versions(ctx.engine))
    inp = inp.model_copy(update={"calendar": calendar})
    # Starting is idempotent (the reference is the workflow id, an existing run is reused), so a
    # start that failed after the register kept the reference completes on the next try.
    async with temporal.case_errors(ctx.client, ctx.settings, reference):
        handle = await temporal.start_case(
            ctx.client, inp, ctx.settings.task_queue, calendar_versions(ctx.engine)
        )
    if not existing:
        # A new case opens on the clock just computed from the same calendar version, so its
        # due date is known without waiting for the case's first workflow task to answer.
        return Started(reference=handle.id, due_date=opening.due_date, existing=False)
    return await _started(ctx, handle.id, existing)


async def _register(
    ctx: ServiceContext, key: str, reference: str | None, year: int
) -> tuple[str, bool]:
    def register(session: Session) -> tuple[str, bool]:
        return register_intake(session, key, reference, year)

    try:
        return await in_store(ctx.engine, register)
    except IntegrityError:
        # The same request, a moment ago, from another caller: theirs is the case.
        return await in_store(ctx.engine, register)
