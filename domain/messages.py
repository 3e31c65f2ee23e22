"""Inputs of the request workflow's run, updates and signals: one typed model per handler."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from domain.case import (
    Actor,
    Answer,
    CasePolicy,
    CaseProblem,
    CaseStatus,
    ReminderSent,
    RequestIntake,
    ResponseDraft,
    SignOff,
    Task,
    TimelineEntry,
    VexatiousLimb,
)
from statute import calendar_data_from_json
from statute.calendar import CalendarError
from statute.clock import ClockEventKind
from statute.exemptions import Outcome
from statute.regimes import ExtensionKind


class ClockEventRecord(BaseModel):
    """A clock event as the case records it (the statute core's ClockEvent plus who did it)."""

    kind: ClockEventKind
    at: datetime
    actor: str = "system"
    extension: ExtensionKind | None = None
    working_days: int | None = None
    until: date | None = None
    note: str = ""


class LastChange(BaseModel):
    """The latest change a person made: what a stale action is told (who, when)."""

    version: int  # the case's version once it was made
    actor: str
    at: datetime


class Notification(BaseModel):
    """A message the case queues in the outbox: the dispatcher renders and sends it later."""

    key: str  # idempotency key: {reference}:{kind}:{target}:{day}
    reference: str
    kind: str  # a ``domain.notices.MessageKind`` value
    audience: str  # an ``Audience.address``
    subject: str
    body: str  # the plain words (the timeline's); templates render the message from ``facts``
    # What the templates need (question, unit, due date…), never the requester's identity.
    facts: dict[str, str] = Field(default_factory=dict)


class CaseState(BaseModel):
    """Everything the workflow holds; carried across continue-as-new."""

    status: CaseStatus
    version: int = 0
    tasks: list[Task] = Field(default_factory=list)
    sign_offs: list[SignOff] = Field(default_factory=list)
    clock_events: list[ClockEventRecord] = Field(default_factory=list)
    calendar: dict[str, object] | None = None
    reminders: list[ReminderSent] = Field(default_factory=list)
    timeline: list[TimelineEntry] = Field(default_factory=list)
    response: ResponseDraft | None = None
    issued_at: datetime | None = None
    outcome: Outcome | None = None
    cost_route_cleared: bool = False  # the officer chose to continue past the s12 estimate
    resume_status: CaseStatus | None = None
    started_at: datetime | None = None  # when foiflow took the case on: no reminders before it
    problems: list[CaseProblem] = Field(default_factory=list)
    last_change: LastChange | None = None  # None: no person has changed the case in this run

    # Messages an action called for, not yet handed to the outbox (carried across
    # continue-as-new, so none is lost between an update and the next send).
    notices: list[Notification] = Field(default_factory=list)


class RequestInput(BaseModel):
    intake: RequestIntake
    policy: CasePolicy = Field(default_factory=CasePolicy)
    # The calendar window the case counts on, given at start so the first update never races
    # a calendar activity; without it the case loads one itself.
    calendar: dict[str, object] | None = None
    state: CaseState | None = None  # set on continue-as-new


class Route(BaseModel):
    question: int
    unit: str


# Every human action carries ``expected_version``: the case version the person acting last read
# (``CaseView.version``). The case refuses the action when another person has changed it since
# (``rules.check_fresh``). None: not checked, for callers that predate it.


class RouteQuestions(BaseModel):
    actor: Actor
    routes: list[Route]
    expected_version: int | None = None


class ReassignTask(BaseModel):
    actor: Actor
    question: int
    unit: str
    reason: str
    expected_version: int | None = None


class AnswerTask(BaseModel):
    actor: Actor
    question: int
    answer: Answer
    expected_version: int | None = None


class SignOffDecision(BaseModel):
    actor: Actor
    section: str
    approve: bool
    reason: str = ""
    expected_version: int | None = None


class RecordClockEvent(BaseModel):
    actor: Actor
    kind: ClockEventKind
    at: datetime | None = None  # defaults to now; may be backdated, never in the future
    extension: ExtensionKind | None = None
    working_days: int | None = None
    until: date | None = None  # estimated date given in a s17(2) holding notice
    note: str = ""
    expected_version: int | None = None


class RefuseVexatious(BaseModel):
    """The FOI officer refuses the whole request under s14: composed as the s17(5) notice (FOISA
    s16(5)), or — with ``previous_notice`` — recorded under s17(6), no further notice being due."""

    actor: Actor
    limb: VexatiousLimb = VexatiousLimb.VEXATIOUS
    reason: str  # why the request is vexatious, or what it repeats
    advice: str = ""  # s16 (FOISA s15) advice, where any can be given
    # s17(6): the reference of an earlier request refused under s14 with a notice, when it would
    # be unreasonable to give the requester another.
    previous_notice: str = ""
    expected_version: int | None = None


class CostDecision(BaseModel):
    actor: Actor
    refuse: bool
    advice: str = ""  # s16: how the requester could narrow the request
    expected_version: int | None = None


class ApproveResponse(BaseModel):
    actor: Actor
    text: str | None = None  # the officer's edited letter, when edited
    expected_version: int | None = None


class IssueResponse(BaseModel):
    actor: Actor
    publish: bool = True  # False: keep it out of the disclosure log (with the reason)
    withhold_reason: str = ""
    expected_version: int | None = None


class CloseCase(BaseModel):
    actor: Actor
    reason: str
    expected_version: int | None = None


class CarriedCalendar(BaseModel):
    """A calendar version cut to the days from ``start`` to ``end`` (clipped to the version's
    coverage), as a calendar change carries it."""

    start: date
    end: date
    calendar: dict[str, Any]


class CalendarChanged(BaseModel):
    """Calendar ``version`` exists. ``calendar``: that version cut to a span that holds the
    windows of the running cases (``LoadCalendar.spanning``), so a case re-plans from the
    signal alone; None, or a span that does not hold a case's window, and the case loads its
    own."""

    version: int
    calendar: CarriedCalendar | None = None


class LoadCalendar(BaseModel):
    version: int | None
    start: date
    end: date

    @classmethod
    def around(cls, version: int | None, received_on: date) -> LoadCalendar:
        """The window a case counts on: a month before receipt to beyond any extended deadline,
        review and lapse (a smaller history than the whole calendar)."""
        return cls(
            version=version,
            start=received_on - timedelta(days=31),
            end=received_on + timedelta(days=800),
        )

    @classmethod
    def spanning(cls, version: int, first_received: date, last_received: date) -> LoadCalendar:
        """One window holding the windows of every case received between the two days."""
        return cls(
            version=version,
            start=cls.around(version, first_received).start,
            end=cls.around(version, last_received).end,
        )

    def cut_from(self, carried: CarriedCalendar) -> dict[str, Any] | None:
        """This window cut from a calendar a signal carried: the content the store would give,
        since the carried span holds the window and both were clipped to the same coverage (a
        window of a window keeps its version and parent). None when it is another version, its
        span does not hold this window, or it cannot be read or cut."""
        if not (carried.start <= self.start and self.end <= carried.end):
            return None
        try:
            data = calendar_data_from_json(carried.calendar)
            if data.version != self.version:
                return None
            return data.window(self.start, self.end).to_json()
        except CalendarError:
            return None


class UpdateResult(BaseModel):
    """What an update returns: small, so histories stay lean; callers read the case for the rest."""

    reference: str
    version: int
    status: CaseStatus
    changed: str  # what the action did, in words ("Q4 answered: exempt, s31(1)(a)")


class CaseResult(BaseModel):
    reference: str
    status: CaseStatus
    outcome: Outcome | None
    on_time: bool | None
