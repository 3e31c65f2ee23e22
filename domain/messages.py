"""Inputs of the request workflow's run, updates and signals: one typed model per handler."""

from __future__ import annotations

from datetime import date, datetime, timedelta

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
)
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


class CalendarChanged(BaseModel):
    version: int


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
