"""The demo portfolio: about forty requests in every state a manager meets, driven through the
same services a person would use, acting as the demo directory's users.

Each request is received some weekdays before the day the portfolio was first seeded, so the
receipts spread over the three months before the stack first started and stay put on every
later start. A request's receipt time and text fix its intake key: one already in the intake
register was seeded before and is left as it is, so seeding twice adds nothing and an
interrupted seeding finishes the rest. (The first request's key, tried for each of the last
``ANCHOR_LOOKBACK_DAYS`` days, finds the day of the first seeding.)

Cases are driven concurrently (a bounded number at a time): each is a short script of updates
on its own workflow, so the servers, not the seeding, set the pace.

The clock runs on the server's real time: a case received 35 working days ago and issued now is
issued late. A unit's deadline is at least the next working day after routing, so the "task
overdue" cases are ones whose statutory deadline has passed with the units' answers still out
(their tasks turn overdue themselves on the next working day).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from domain.case import Answer, AnswerKind, ExemptionClaim
from domain.intake import intake_key
from domain.messages import Route
from services import actions, reviews
from services.cases import case_view
from services.context import ServiceContext
from services.db import in_store
from services.directory import resolve_actor
from services.errors import ServiceError
from services.intake import build_intake, start_case
from services.reviews import OpenReviewIn, ReviewerIn
from services.schemas import (
    ApproveIn,
    ClockEventIn,
    RoutesIn,
    SignOffIn,
    WithdrawIn,
)
from statute.clock import ClockEventKind
from statute.regimes import ExtensionKind
from store.models import CaseRow, IntakeRow

# A portfolio seeded this long ago is found again; an older one is left and a new one seeded.
ANCHOR_LOOKBACK_DAYS = 400
LONDON = ZoneInfo("Europe/London")
AT_ONCE = 8  # cases driven concurrently: enough to keep two cores busy, few enough to finish
READ_MODEL_WAIT_S = 30.0

OFFICER = "aisha-rahman"
CONTACTS = {
    "vawg": "tom-oduya",
    "hate-crime": "priya-nair",
    "community-engagement": "gareth-evans",
    "foi": "lucy-chen",
}
SENIOR_OFFICER = "david-hughes"
REVIEWER = "olivia-grant"  # a manager: independent of every original decision
DATA_PROTECTION_OFFICER = "sarah-bennett"


class Stage(StrEnum):
    """How far a portfolio request is taken: the state a manager finds it in."""

    NEW = "new"  # received, not yet routed
    ROUTED = "routed"  # with the units, nothing answered
    WAITING_ON_UNITS = "waiting_on_units"  # some questions answered, others still out
    TASK_OVERDUE = "task_overdue"  # statutory deadline passed, units' answers still out
    SIGN_OFF = "sign_off"  # an exemption claimed, waiting for its sign-off
    SIGN_OFF_REJECTED = "sign_off_rejected"  # the sign-off refused: back with the unit
    CLARIFICATION = "clarification"  # paused: the requester was asked to clarify
    PUBLIC_INTEREST_EXTENSION = "public_interest_extension"  # s10(3), under sign-off
    COST_REVIEW = "cost_review"  # the units' estimates pass the s12 limit
    RESPONSE_REVIEW = "response_review"  # composed, waiting for the officer's approval
    ISSUED = "issued"  # on time or late, by its receipt date
    WITHDRAWN = "withdrawn"
    INTERNAL_REVIEW = "internal_review"  # issued, then the requester asked for a review


@dataclass(frozen=True)
class Request:
    """A request's text: numbered questions, each with the unit that owns it."""

    topic: str
    questions: tuple[tuple[str, str], ...]  # (question text, owning unit)

    def text(self, slot: int) -> str:
        # The slot number keeps two demo requests on the same topic from being one request.
        lines = [f"Please provide the following information ({self.topic}, request {slot}):"]
        lines += [f"{n}. {q}" for n, (q, _) in enumerate(self.questions, 1)]
        return "\n".join(lines) + "\n"


REQUESTS = (
    Request(
        "hate crime",
        (
            ("The number of hate crime reports recorded in each borough in 2024", "hate-crime"),
            ("The number of those hate crime reports that led to a charge", "hate-crime"),
        ),
    ),
    Request(
        "VAWG",
        (
            ("The terms of reference of the VAWG strategic board", "vawg"),
            ("The VAWG strategic board's budget for 2024/25", "vawg"),
            ("Minutes of the last three VAWG strategic board meetings", "vawg"),
        ),
    ),
    Request(
        "advisory groups",
        (
            ("The number of independent advisory groups in each borough", "community-engagement"),
            ("The dates each independent advisory group met in 2024", "community-engagement"),
        ),
    ),
    Request(
        "requests for information",
        (
            ("The number of FOI requests the force received in 2024", "foi"),
            ("How many of those requests were answered within 20 working days", "foi"),
        ),
    ),
    Request(
        "panels",
        (
            ("The organisations represented on the VAWG panel", "vawg"),
            ("The organisations on any hate crime advisory panel", "hate-crime"),
            ("The organisations on any independent advisory group", "community-engagement"),
        ),
    ),
)

REQUESTERS = (
    "J. Patel",
    "M. O'Connor",
    "Local News Ltd",
    "S. Williams",
    "Campaign for Safer Streets",
    "R. Ahmed",
    "T. Kowalski",
    "Open Data Society",
)


@dataclass(frozen=True)
class Slot:
    """One portfolio request: its stage and how many working days before the demo case it came."""

    stage: Stage
    working_days_before: int
    request: int = 0  # index into REQUESTS
    claims: bool = False  # answered with exemptions (s31, s40): sign-offs before the letter


# Receipts from the day before the demo case back to about 65 working days (three months).
# Open cases are recent unless they are meant to be overdue; old ones are closed, mostly late.
PORTFOLIO: tuple[Slot, ...] = (
    Slot(Stage.NEW, 1, 0),
    Slot(Stage.NEW, 1, 3),
    Slot(Stage.NEW, 2, 1),
    Slot(Stage.NEW, 3, 2),
    Slot(Stage.ROUTED, 2, 4),
    Slot(Stage.ROUTED, 4, 0),
    Slot(Stage.ROUTED, 6, 3),
    Slot(Stage.ROUTED, 9, 2),
    Slot(Stage.WAITING_ON_UNITS, 5, 1),
    Slot(Stage.WAITING_ON_UNITS, 8, 4),
    Slot(Stage.WAITING_ON_UNITS, 11, 0),
    Slot(Stage.WAITING_ON_UNITS, 14, 2),
    Slot(Stage.TASK_OVERDUE, 24, 1),
    Slot(Stage.TASK_OVERDUE, 29, 4),
    Slot(Stage.SIGN_OFF, 10, 4, claims=True),
    Slot(Stage.SIGN_OFF, 13, 2, claims=True),
    Slot(Stage.SIGN_OFF, 16, 0, claims=True),
    Slot(Stage.SIGN_OFF_REJECTED, 12, 4, claims=True),
    Slot(Stage.SIGN_OFF_REJECTED, 15, 2, claims=True),
    Slot(Stage.CLARIFICATION, 3, 1),
    Slot(Stage.CLARIFICATION, 7, 3),
    Slot(Stage.PUBLIC_INTEREST_EXTENSION, 17, 4, claims=True),
    Slot(Stage.PUBLIC_INTEREST_EXTENSION, 19, 2, claims=True),
    Slot(Stage.COST_REVIEW, 9, 1),
    Slot(Stage.COST_REVIEW, 12, 0),
    Slot(Stage.RESPONSE_REVIEW, 11, 3),
    Slot(Stage.RESPONSE_REVIEW, 16, 1),
    Slot(Stage.ISSUED, 4, 3),
    Slot(Stage.ISSUED, 7, 0),
    Slot(Stage.ISSUED, 10, 2, claims=True),
    Slot(Stage.ISSUED, 14, 1),
    Slot(Stage.ISSUED, 18, 3),
    Slot(Stage.ISSUED, 19, 4, claims=True),
    Slot(Stage.ISSUED, 27, 0),
    Slot(Stage.ISSUED, 36, 2),
    Slot(Stage.ISSUED, 44, 1, claims=True),
    Slot(Stage.ISSUED, 52, 3),
    Slot(Stage.ISSUED, 61, 4),
    Slot(Stage.WITHDRAWN, 21, 1),
    Slot(Stage.WITHDRAWN, 40, 3),
    Slot(Stage.WITHDRAWN, 58, 0),
    # New slots go last: a request's text carries its index, so one inserted earlier would make
    # every later request new again in a data directory seeded before.
    Slot(Stage.INTERNAL_REVIEW, 33, 4, claims=True),
)

S31 = ExemptionClaim(
    section="31",
    subsections="(1)(a)(b)",
    applies_to="the names of the organisations",
    reason="Disclosure would reveal how the force gathers community intelligence.",
    prejudice="the prevention or detection of crime",
    likelihood="would",
    public_interest_for=["Transparency about who advises the police"],
    public_interest_against=["Members have been targeted; groups would stop working with us"],
)
S40 = ExemptionClaim(
    section="40",
    subsections="(2)(3)",
    applies_to="names of individual members",
    reason="Names are personal data; disclosure would breach the first data protection principle.",
)
DISCLOSED = Answer(kind=AnswerKind.DISCLOSED, information="The figures are in the table attached.")
NOT_HELD = Answer(
    kind=AnswerKind.NOT_HELD, searches="Unit records and shared drives searched by the unit"
)
PARTLY_EXEMPT = Answer(
    kind=AnswerKind.PARTLY_HELD,
    searches="Unit records searched; no central register is kept",
    claims=[S31, S40],
)
OVER_THE_LIMIT = Answer(
    kind=AnswerKind.COST,
    hours=26,
    note="Every borough's paper files would have to be read: about 26 hours.",
)


class DemoSeedError(ServiceError):
    """Some portfolio requests could not be driven to their stage."""


@dataclass
class PortfolioReport:
    started: list[str] = field(default_factory=list)  # references of requests seeded now
    present: int = 0  # requests seeded before (left as they were)
    seconds: float = 0.0

    def __str__(self) -> str:
        if not self.started:
            return f"demo portfolio: {self.present} requests, seeded before"
        return f"demo portfolio: {len(self.started)} requests seeded in {self.seconds:.1f} s" + (
            f" ({self.present} were there already)" if self.present else ""
        )


def received_at(anchor: date, slot: Slot, index: int) -> datetime:
    """The receipt time of ``slot``: ``working_days_before`` weekdays before ``anchor``, in the
    morning (minutes apart, so no two demo requests share a moment)."""
    day = anchor
    left = slot.working_days_before
    while left:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    minutes = 9 * 60 + 7 * index
    return datetime(day.year, day.month, day.day, minutes // 60, minutes % 60, tzinfo=LONDON)


def request_document(slot: Slot, index: int, at: datetime) -> dict[str, Any]:
    request = REQUESTS[slot.request]
    return {
        "regime": "foia",
        "channel": "email",
        "received_at": at.isoformat(),
        "requester": {
            "name": REQUESTERS[index % len(REQUESTERS)],
            "email": f"requester{index + 1}@example.org",
        },
        "request_text": request.text(index + 1),
    }


def _keyed(anchor: date, index: int) -> tuple[dict[str, Any], str]:
    """The request document of ``PORTFOLIO[index]`` for ``anchor``, and its intake key as
    intake will compute it (from the request as intake reads it)."""
    slot = PORTFOLIO[index]
    document = request_document(slot, index, received_at(anchor, slot, index))
    intake = build_intake(document, None, None)
    return document, intake_key(intake.received_at, intake.request_text)


async def portfolio_anchor(ctx: ServiceContext, today: date) -> date:
    """The day the portfolio was first seeded (its first request's key for that day is in the
    intake register), looking back ``ANCHOR_LOOKBACK_DAYS``; ``today`` when none was."""
    days = {
        _keyed(today - timedelta(days=n), 0)[1]: today - timedelta(days=n)
        for n in range(ANCHOR_LOOKBACK_DAYS)
    }
    found = await _registered(ctx, list(days))
    return max((days[key] for key in found), default=today)


async def _registered(ctx: ServiceContext, keys: list[str]) -> set[str]:
    def read(session: Session) -> set[str]:
        found = session.scalars(
            select(col(IntakeRow.intake_key)).where(col(IntakeRow.intake_key).in_(keys))
        )
        return set(found)

    return await in_store(ctx.engine, read)


Act = Callable[[str], Awaitable[ServiceContext]]


async def _drive(as_user: Act, slot: Slot, document: dict[str, Any]) -> str:
    """Take one request from intake to ``slot.stage``; its reference."""
    officer = await as_user(OFFICER)
    reference = (await start_case(officer, document)).reference
    stage = slot.stage
    if stage == Stage.NEW:
        return reference
    if stage == Stage.CLARIFICATION:
        await actions.record_clock_event(
            officer,
            reference,
            ClockEventIn(
                kind=ClockEventKind.CLARIFICATION_REQUESTED,
                note="Which boroughs, and which years, do you mean?",
            ),
        )
        return reference
    questions = REQUESTS[slot.request].questions
    routes = [Route(question=n, unit=unit) for n, (_, unit) in enumerate(questions, 1)]
    await actions.route_questions(officer, reference, RoutesIn(routes=routes))
    if stage in (Stage.ROUTED, Stage.TASK_OVERDUE):
        return reference
    if stage == Stage.WITHDRAWN:
        reason = "The requester withdrew the request: they found the information published."
        await actions.withdraw_case(officer, reference, WithdrawIn(reason=reason))
        return reference
    for number, (_, unit) in enumerate(questions, 1):
        if stage == Stage.WAITING_ON_UNITS and number > 1:
            break  # the first unit has answered; the rest are still working on theirs
        answer = NOT_HELD if number % 2 else DISCLOSED
        if stage == Stage.COST_REVIEW and number == 1:
            answer = OVER_THE_LIMIT
        elif slot.claims and number == len(questions):
            answer = PARTLY_EXEMPT
        await actions.answer_task(await as_user(CONTACTS[unit]), reference, number, answer)
    if stage in (Stage.WAITING_ON_UNITS, Stage.COST_REVIEW, Stage.SIGN_OFF):
        return reference
    if stage == Stage.PUBLIC_INTEREST_EXTENSION:
        extension = ClockEventIn(
            kind=ClockEventKind.EXTENSION,
            extension=ExtensionKind.PUBLIC_INTEREST,
            working_days=20,
            note="The public interest test for s31 needs the senior officer's view.",
        )
        await actions.record_clock_event(officer, reference, extension)
        return reference
    senior = await as_user(SENIOR_OFFICER)
    if stage == Stage.SIGN_OFF_REJECTED:
        refusal = SignOffIn(
            approve=False, reason="Name the harm to community intelligence more precisely."
        )
        await actions.decide_sign_off(senior, reference, "31", refusal)
        return reference
    if slot.claims:
        await actions.decide_sign_off(senior, reference, "31", SignOffIn())
        dpo = await as_user(DATA_PROTECTION_OFFICER)
        await actions.decide_sign_off(dpo, reference, "40", SignOffIn())
    if stage == Stage.RESPONSE_REVIEW:
        return reference
    await actions.approve_response(officer, reference, ApproveIn())
    await actions.issue_response(officer, reference)
    if stage == Stage.INTERNAL_REVIEW:
        asked = OpenReviewIn(
            received_on=datetime.now(LONDON).date(),
            grounds="The requester disputes that s31 applies to the totals asked for.",
        )
        await reviews.open_review(officer, reference, asked)
        # The manager took no part in the original decision, so may review it.
        await reviews.assign_reviewer(officer, reference, ReviewerIn(reviewer=REVIEWER))
    return reference


async def _read_model_caught_up(ctx: ServiceContext, references: list[str]) -> None:
    """Wait (bounded) until the read model holds each case's current version, so the dashboard
    shows what was just done; the projection is written by the workflows, a moment behind."""

    def stored(session: Session) -> dict[str, int]:
        rows = session.execute(
            select(col(CaseRow.reference), col(CaseRow.version)).where(
                col(CaseRow.reference).in_(references)
            )
        )
        return {reference: version for reference, version in rows}

    wanted = {r: (await case_view(ctx, r)).version for r in references}
    deadline = time.monotonic() + READ_MODEL_WAIT_S
    while time.monotonic() < deadline:
        have = await in_store(ctx.engine, stored)
        if all(have.get(r, -1) >= v for r, v in wanted.items()):
            return
        await asyncio.sleep(0.2)


async def seed_portfolio(ctx: ServiceContext, anchor: date | None = None) -> PortfolioReport:
    """Seed the requests of ``PORTFOLIO`` not seeded before, received before ``anchor`` (by
    default the day of the first seeding, else today). ``DemoSeedError`` lists any that could
    not be driven to their stage; the others are seeded all the same."""
    started = time.monotonic()
    anchor = anchor or await portfolio_anchor(ctx, datetime.now(LONDON).date())
    documents = []
    for index, slot in enumerate(PORTFOLIO):
        document, key = _keyed(anchor, index)
        documents.append((slot, document, key))
    seeded = await _registered(ctx, [key for _, _, key in documents])
    to_drive = [(slot, doc) for slot, doc, key in documents if key not in seeded]
    report = PortfolioReport(present=len(PORTFOLIO) - len(to_drive))

    actors: dict[str, ServiceContext] = {}

    async def as_user(user_id: str) -> ServiceContext:
        if user_id not in actors:
            actors[user_id] = ctx.acting_as(await resolve_actor(ctx.engine, user_id))
        return actors[user_id]

    gate = asyncio.Semaphore(AT_ONCE)

    async def one(slot: Slot, document: dict[str, Any]) -> str:
        async with gate:
            return await _drive(as_user, slot, document)

    outcomes = await asyncio.gather(
        *(one(slot, doc) for slot, doc in to_drive), return_exceptions=True
    )
    failures = []
    for (slot, _), outcome in zip(to_drive, outcomes, strict=True):
        if isinstance(outcome, BaseException):
            failures.append(f"{slot.stage} ({slot.working_days_before} days): {outcome}")
        else:
            report.started.append(outcome)
    if report.started:
        await _read_model_caught_up(ctx, report.started)
    report.seconds = time.monotonic() - started
    if failures:
        raise DemoSeedError(
            f"{len(failures)} of {len(to_drive)} demo requests failed: " + "; ".join(failures),
            "demo",
        )
    return report
