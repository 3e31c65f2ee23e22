"""The data a request case is made of: intake, tasks, answers, claims, sign-offs and views.

Pydantic models, carried through Temporal by the pydantic data converter. Imported by workflows,
activities, the store's projection and the CLI; imports nothing with I/O.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from statute.clock import LONDON
from statute.exemptions import DEFAULT_SIGN_OFF_POLICY, Outcome, Role, SignOffPolicy


class Actor(BaseModel):
    """Who performs an action. The caller (API, CLI) resolves it from the directory."""

    user_id: str
    name: str = ""
    roles: list[Role] = Field(default_factory=list)
    units: list[str] = Field(default_factory=list)


class Requester(BaseModel):
    """Personal data: never in search attributes, logs or unit-facing views."""

    name: str
    email: str | None = None
    address: str | None = None


class Question(BaseModel):
    number: int
    text: str


class RequestIntake(BaseModel):
    reference: str
    regime: str = "foia"
    received_at: datetime
    channel: str = "email"
    requester: Requester
    request_text: str
    questions: list[Question]


# What a reminder schedule may hold. The settings refuse anything else where a person enters
# it; a running case meeting a value outside them (an older release stored it) uses the default
# instead and records a problem (``workflows.policy``).
SEND_HOURS = range(0, 24)
MAX_REMINDER_WORKING_DAYS = 20  # the statutory limits are 20 working days


class ReminderSchedule(BaseModel):
    """Working-day offsets for reminders and escalations (defaults from the design brief).

    Deliberately unconstrained: cases keep the schedule they started with, so a value a later
    release refuses must still decode from their histories.
    """

    unit_reminder_before_task_due: int = 2
    escalate_overdue_tasks: bool = True
    officer_alert_at_working_day: int = 15
    manager_alert_at_working_day: int = 18
    alert_on_due_date: bool = True
    alert_each_day_overdue: bool = True
    send_hour: int = 9  # local time at which a day's reminders go out


class CasePolicy(BaseModel):
    """Authority settings a case keeps from its start: later policy changes apply to new cases."""

    authority_name: str = "the authority"
    task_working_days: int = 10
    cost_limit_hours: float = 18.0
    sign_off_default_role: Role = DEFAULT_SIGN_OFF_POLICY.default_role
    sign_off_roles: dict[str, Role] = Field(
        default_factory=lambda: dict(DEFAULT_SIGN_OFF_POLICY.roles)
    )
    reminders: ReminderSchedule = Field(default_factory=ReminderSchedule)
    roll_non_working_receipt: bool = False
    time_zone: str = LONDON
    calendar_version: int | None = None  # None: the newest when the case starts
    # Continue-as-new beyond this many history events (the server also suggests it, by size).
    history_event_limit: int = 8_000

    def sign_off_policy(self) -> SignOffPolicy:
        return SignOffPolicy(default_role=self.sign_off_default_role, roles=self.sign_off_roles)


class AnswerKind(StrEnum):
    DISCLOSED = "disclosed"
    NOT_HELD = "not_held"
    PARTLY_HELD = "partly_held"
    EXEMPT = "exempt"
    COST = "cost"
    TRANSFER = "transfer"


Likelihood = Literal["would", "would_be_likely_to"]


class ExemptionClaim(BaseModel):
    section: str  # "31"
    subsections: str = ""  # "(1)(a)(b)"
    applies_to: str = ""  # which part of the information
    reason: str = ""  # why the exemption applies
    prejudice: str | None = None
    likelihood: Likelihood | None = None
    public_interest_for: list[str] = Field(default_factory=list)  # favouring disclosure
    public_interest_against: list[str] = Field(default_factory=list)  # favouring withholding
    ncnd: bool = False

    @property
    def citation(self) -> str:
        return f"Section {self.section}{self.subsections}"


class Answer(BaseModel):
    kind: AnswerKind
    information: str = ""  # what is disclosed
    attachments: list[str] = Field(default_factory=list)  # document references, not content
    searches: str = ""  # for not held: where and how it was looked for (ICO expects a record)
    claims: list[ExemptionClaim] = Field(default_factory=list)
    hours: float | None = None  # for cost: estimated hours to locate, retrieve and extract
    transfer_to: str | None = None
    note: str = ""


class TaskStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    RETURNED = "returned"  # a sign-off was refused; back with the unit
    LOCKED = "locked"  # answer under sign-off: no revisions
    SETTLED = "settled"


class Task(BaseModel):
    question: int
    text: str
    unit: str
    status: TaskStatus = TaskStatus.OPEN
    routed_on: date
    internal_due: date
    answer: Answer | None = None
    answered_by: str | None = None
    returned_reason: str | None = None
    assignments: list[str] = Field(default_factory=list)  # units it was with before, in order


class SignOffStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class SignOff(BaseModel):
    section: str
    required_role: Role
    questions: list[int]
    recommended_by: list[str]
    basis: list[str] = Field(default_factory=list)  # "Q4 s31(1)(a)": what was approved
    status: SignOffStatus = SignOffStatus.PENDING
    decided_by: str | None = None
    decided_at: datetime | None = None
    reason: str = ""


class CaseStatus(StrEnum):
    TRIAGE = "triage"  # received, questions not yet routed
    AWAITING_CLARIFICATION = "awaiting_clarification"
    AWAITING_FEE = "awaiting_fee"
    IN_PROGRESS = "in_progress"
    COST_REVIEW = "cost_review"  # s12 limit passed: officer decides
    SIGN_OFF = "sign_off"
    RESPONSE_REVIEW = "response_review"  # composed, awaiting the officer's approval
    APPROVED = "approved"
    ISSUED = "issued"
    WITHDRAWN = "withdrawn"
    LAPSED = "lapsed"


CLOSED_STATUSES = frozenset({CaseStatus.ISSUED, CaseStatus.WITHDRAWN, CaseStatus.LAPSED})


class ClockView(BaseModel):
    due_date: date | None
    statutory_due_date: date | None
    start_date: date
    received_on: date
    working_days_elapsed: int
    working_days_remaining: int | None
    paused: bool
    pause_reason: str | None
    overdue: bool
    extended: bool
    calendar_version: int
    calendar_fingerprint: str
    explanation: list[str]


class TimelineEntry(BaseModel):
    seq: int
    at: datetime
    actor: str  # user id or "system"; never the requester
    kind: str
    text: str


class AudienceKind(StrEnum):
    UNIT = "unit"  # the unit's contacts (or its team mailbox)
    UNIT_MANAGER = "unit_manager"
    FOI_OFFICER = "foi_officer"
    MANAGER = "manager"
    ROLE = "role"  # everyone holding a role: who signs off an exemption
    USER = "user"  # one person in the directory
    REQUESTER = "requester"  # whoever asked: their address is read from the case when sending


# Which field names the audience's target, per kind (the others take none).
_TARGET_FIELD = {
    AudienceKind.UNIT: "unit",
    AudienceKind.UNIT_MANAGER: "unit",
    AudienceKind.ROLE: "role",
    AudienceKind.USER: "user",
}
UNIT_FACING = frozenset({AudienceKind.UNIT, AudienceKind.UNIT_MANAGER})


class Audience(BaseModel):
    """Who a message goes to: a unit's contacts or manager, the people with a role, one user or
    the requester. People and addresses are looked up when it is sent, not when it is queued."""

    model_config = ConfigDict(frozen=True)

    kind: AudienceKind
    unit: str | None = None
    role: Role | None = None
    user: str | None = None

    @model_validator(mode="after")
    def _target_matches_kind(self) -> Audience:
        wanted = _TARGET_FIELD.get(self.kind)
        for name in ("unit", "role", "user"):
            given = getattr(self, name) is not None
            if given != (name == wanted):
                need = "needs" if name == wanted else "takes no"
                raise ValueError(f"{name}: a {self.kind.value} audience {need} {name}")
        return self

    @property
    def target(self) -> str | None:
        field = _TARGET_FIELD.get(self.kind)
        value = getattr(self, field) if field else None
        return None if value is None else str(value)

    @property
    def address(self) -> str:
        """``unit:<id>``, ``unit_manager:<id>``, ``foi_officer``, ``manager``, ``role:<role>``,
        ``user:<id>`` or ``requester``: the form reminders and outbox rows keep (histories hold
        it, so it never changes)."""
        target = self.target
        return f"{self.kind.value}:{target}" if target is not None else self.kind.value

    @property
    def unit_facing(self) -> bool:
        """Units never learn who asked: what goes to them carries no requester identity."""
        return self.kind in UNIT_FACING

    @classmethod
    def parse(cls, address: str) -> Audience:
        kind, _, target = address.partition(":")
        audience_kind = AudienceKind(kind)
        field = _TARGET_FIELD.get(audience_kind)
        if field is None:
            if target:
                raise ValueError(f"audience {address!r}: a {kind} audience takes no target")
            return cls(kind=audience_kind)
        return cls.model_validate({"kind": audience_kind, field: target or None})


class ReminderSent(BaseModel):
    key: str  # idempotency key: reference:kind:target:date
    kind: str
    audience: str  # an ``Audience.address``
    on: date
    text: str

    @property
    def recipient(self) -> Audience:
        return Audience.parse(self.audience)


class ResponseDraft(BaseModel):
    text: str
    outcome: Outcome
    composed_at: datetime
    edited: bool = False
    approved_by: str | None = None
    approved_at: datetime | None = None
    # Decided at issue: an issued response goes to the public disclosure log (without the
    # requester) unless the officer records why it should not.
    publish: bool = True
    withhold_reason: str = ""


class CaseProblem(BaseModel):
    """Something a running case met that it could not use (a calendar version that does not
    exist, a policy value out of range) and what it did instead. Open until ``resolved_at``."""

    at: datetime
    field: str  # what was wrong: "calendar", "policy.reminders.send_hour"
    text: str  # what happened, what the case does meanwhile, and the fix
    resolved_at: datetime | None = None


class CaseView(BaseModel):
    """Everything a manager may see of a case: the workflow's query result and the projection."""

    reference: str
    version: int  # bumped on every state change; the projection applies only newer versions
    regime: str
    status: CaseStatus
    received_at: datetime
    channel: str
    requester: Requester | None  # None in unit-facing views
    request_text: str
    questions: list[Question]
    tasks: list[Task]
    sign_offs: list[SignOff]
    clock: ClockView
    cost_hours_total: float
    reminders: list[ReminderSent]
    timeline: list[TimelineEntry]
    response: ResponseDraft | None
    issued_at: datetime | None
    on_time: bool | None
    on_time_with_extensions: bool | None
    outcome: Outcome | None
    owning_units: list[str]
    # Defaulted: views projected and queried before problems were recorded still decode.
    problems: list[CaseProblem] = Field(default_factory=list)

    def for_unit(self) -> CaseView:
        """The same case with the requester removed: units never see who asked."""
        return self.model_copy(update={"requester": None})
