"""What services take and give besides the domain's own models: request bodies for actions,
filters, and the rows of lists. Plain pydantic, so the API can use them as its schemas.

The acting user is never part of an input: services take it from the context.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from domain.case import (
    Answer,
    AnswerKind,
    CaseStatus,
    CaseView,
    Likelihood,
    TaskStatus,
    TimelineEntry,
    VexatiousLimb,
)
from domain.messages import Route
from domain.review import ReviewView
from domain.transitions import Action
from statute.clock import ClockEventKind
from statute.exemptions import Role
from statute.regimes import ExtensionKind
from store.schema import SLUG

# --- inputs ----------------------------------------------------------------------------------

# Limits a person can be told: generous for real requests, small enough that a pasted file or a
# runaway script cannot make a case too big to carry through Temporal.
MAX_REQUEST_TEXT = 100_000
MAX_QUESTION_TEXT = 10_000
MAX_QUESTIONS = 200
REFERENCE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
MAX_ANSWER_TEXT = 100_000  # what a unit discloses in the letter's body
MAX_NOTE = 10_000  # searches, reasons, notes, advice
MAX_LETTER = 200_000  # an officer's edited response letter
MAX_CLAIMS = 50
MAX_LIST_ITEMS = 100  # attachments, public interest factors
Line = Annotated[str, StringConstraints(max_length=2_000)]


class Channel(StrEnum):
    EMAIL = "email"
    LETTER = "letter"
    WEB_FORM = "web_form"
    PHONE = "phone"
    IN_PERSON = "in_person"
    SOCIAL_MEDIA = "social_media"


class _Strict(BaseModel):
    # An unknown field is a mistake to report ("recieved_at"), not something to drop silently.
    model_config = ConfigDict(extra="forbid")


class RequesterIn(_Strict):
    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=254, pattern=EMAIL_PATTERN)
    address: str | None = Field(default=None, max_length=1_000)

    @field_validator("name")
    @classmethod
    def _named(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("give the requester's name")
        return value


class QuestionIn(_Strict):
    number: int = Field(ge=1, le=999)
    text: str = Field(min_length=1, max_length=MAX_QUESTION_TEXT)

    @field_validator("text")
    @classmethod
    def _has_text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a question needs its text")
        return value


class RequestDocument(_Strict):
    """A request as received: what `foiflow start FILE` reads and `POST /api/cases` takes."""

    reference: str | None = Field(default=None, pattern=REFERENCE_PATTERN)
    regime: str = Field(default="foia", max_length=16)
    received_at: AwareDatetime | None = None  # default now
    channel: Channel = Channel.EMAIL
    requester: RequesterIn
    request_text: str = Field(max_length=MAX_REQUEST_TEXT)
    # Split from the numbered request text when not given.
    questions: list[QuestionIn] | None = Field(default=None, max_length=MAX_QUESTIONS)

    @field_validator("received_at", mode="before")
    @classmethod
    def _a_moment(cls, value: object) -> object:
        # Pydantic would read a number as seconds since 1970: a receipt is written as a time.
        if value is not None and not isinstance(value, str | datetime):
            raise ValueError(
                "expected a date and time with its zone, e.g. 2026-11-24T10:15:00+00:00"
            )
        return value

    @field_validator("questions")
    @classmethod
    def _numbered_once(cls, value: list[QuestionIn] | None) -> list[QuestionIn] | None:
        seen: set[int] = set()
        for question in value or []:
            if question.number in seen:
                raise ValueError(f"question {question.number} is given twice")
            seen.add(question.number)
        # Like the request text they come from: a case must stay small enough to carry.
        total = sum(len(q.text) for q in value or [])
        if total > MAX_REQUEST_TEXT:
            raise ValueError(
                f"{total:,} characters of questions; at most {MAX_REQUEST_TEXT:,} in one request"
            )
        return value


class RoutesIn(_Strict):
    routes: list[Route] = Field(default_factory=list, max_length=MAX_QUESTIONS)
    # Route every question not named in ``routes`` to the unit the routing rules rank first.
    accept_suggestions: bool = False


class ReassignIn(_Strict):
    unit: str = Field(pattern=SLUG)
    reason: str = Field(max_length=MAX_NOTE)


class SignOffIn(_Strict):
    approve: bool = True
    reason: str = Field(default="", max_length=MAX_NOTE)  # required when refusing: for the unit


class ClockEventIn(_Strict):
    kind: ClockEventKind
    at: AwareDatetime | None = None  # default now; may be backdated, never in the future
    extension: ExtensionKind | None = None
    working_days: int | None = None
    until: date | None = None  # the estimated date given in a s17(2) holding notice
    note: str = Field(default="", max_length=MAX_NOTE)

    @field_validator("at")
    @classmethod
    def _a_real_moment(cls, value: datetime | None) -> datetime | None:
        # Some aware times at the ends of the calendar have no UTC equivalent (9999-12-31 at
        # 23:00 behind UTC): the clock, counting in UTC and local days, cannot place them.
        if value is not None:
            try:
                value.astimezone(UTC)
            except OverflowError:
                raise ValueError(f"{value.isoformat()} is not a time the clock can count") from None
        return value


class CostIn(_Strict):
    refuse: bool
    advice: str = Field(default="", max_length=MAX_NOTE)  # s16: how it could be narrowed


class RefuseVexatiousIn(BaseModel):
    """s14: the whole request refused as vexatious (14(1)) or repeated (14(2))."""

    limb: VexatiousLimb = VexatiousLimb.VEXATIOUS
    reason: str = Field(max_length=10_000)  # why; the letter gives it to the requester
    advice: str = Field(default="", max_length=10_000)  # s16 (FOISA s15) advice
    # s17(6) (FOISA s16(5)): the earlier request whose s14 notice this relies on; no new notice.
    previous_notice: str = Field(default="", pattern=r"^$|" + REFERENCE_PATTERN)


class ApproveIn(_Strict):
    # The officer's edited letter, when edited.
    text: str | None = Field(default=None, max_length=MAX_LETTER)


class IssueIn(_Strict):
    """Issuing publishes the response to the disclosure log unless the officer says why not."""

    publish: bool = True
    withhold_reason: str = Field(default="", max_length=2_000)


class WithdrawIn(_Strict):
    reason: str = Field(max_length=MAX_NOTE)


class ClaimIn(_Strict):
    """An exemption claim as a unit sends it (``domain.case.ExemptionClaim``, with limits)."""

    section: str = Field(max_length=16)
    subsections: str = Field(default="", max_length=64)
    applies_to: str = Field(default="", max_length=MAX_NOTE)
    reason: str = Field(default="", max_length=MAX_NOTE)
    prejudice: str | None = Field(default=None, max_length=MAX_NOTE)
    likelihood: Likelihood | None = None
    public_interest_for: list[Line] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    public_interest_against: list[Line] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    ncnd: bool = False


class AnswerIn(_Strict):
    """An answer as a unit sends it (``domain.case.Answer``): unknown fields refused, texts
    limited, so a typo ("serches") or a pasted file never reaches the case."""

    kind: AnswerKind
    information: str = Field(default="", max_length=MAX_ANSWER_TEXT)
    attachments: list[Line] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    searches: str = Field(default="", max_length=MAX_NOTE)
    claims: list[ClaimIn] = Field(default_factory=list, max_length=MAX_CLAIMS)
    hours: float | None = Field(default=None, ge=0, le=100_000, allow_inf_nan=False)
    transfer_to: str | None = Field(default=None, max_length=200)
    # s21 (FOISA s25): where the information is already published (a URL or a citation).
    published_at: str = Field(default="", max_length=2_000)
    note: str = Field(default="", max_length=MAX_NOTE)

    def answer(self) -> Answer:
        return Answer.model_validate(self.model_dump())


# --- outputs ---------------------------------------------------------------------------------


class CaseQuery(_Strict):
    """Filters and paging for the case list, read from the store's read model."""

    status: CaseStatus | None = None
    unit: str | None = Field(default=None, pattern=SLUG)
    regime: str | None = Field(default=None, max_length=16)
    overdue: bool | None = None  # open and past its due date today
    due_before: date | None = None  # due strictly before this day
    page: int = Field(default=1, ge=1, le=100_000)
    per_page: int = Field(default=50, ge=1, le=200)


class CaseSummary(BaseModel):
    reference: str
    status: CaseStatus | None  # None: not yet published to visibility
    regime: str
    due_date: date | None  # None while the clock is paused
    overdue: bool
    # Working days from today to the due date, negative once passed; None when closed, paused
    # or beyond the case's calendar.
    working_days_left: int | None = None
    units: list[str]
    received_at: datetime | None = None
    outcome: str | None = None
    on_time: bool | None = None


class CasePage(BaseModel):
    items: list[CaseSummary]
    total: int
    page: int
    per_page: int


class RouteSuggestion(BaseModel):
    question: int
    text: str
    units: list[str]  # best first; empty when no routing rule matches


class MyTask(BaseModel):
    """An open task of one of the actor's units, with the deadlines that bear on it."""

    reference: str
    question: int
    text: str
    unit: str
    status: TaskStatus
    case_status: CaseStatus
    internal_due: date  # the unit's deadline
    statutory_due: date | None  # the case's deadline in law, extensions included; None: paused
    # Working days from today to the internal deadline; negative once it has passed; None when
    # the case's calendar does not cover the dates.
    working_days_left: int | None


class MySignOff(BaseModel):
    """A sign-off waiting for one of the actor's roles, on an exemption they did not recommend."""

    reference: str
    section: str
    required_role: Role
    questions: list[int]
    recommended_by: list[str]
    statutory_due: date | None
    working_days_left: int | None  # to the statutory deadline; negative once passed


class AvailableAction(BaseModel):
    action: Action
    label: str  # what a button says


class CaseOut(CaseView):
    """A case as the caller may see it, with what the caller may do on it now."""

    actions: list[AvailableAction] = Field(default_factory=list)
    # After the response (FOI officers and managers): the review window, review and regulator
    # stage, and the timeline across every stage (``timeline`` stays the request's own).
    review: ReviewView | None = None
    life: list[TimelineEntry] = Field(default_factory=list)


class Started(BaseModel):
    reference: str
    due_date: date | None  # None while paused (a case never starts paused, but views allow it)
    existing: bool  # the same request had a case already: that one is returned


class IntakePreview(BaseModel):
    """What starting a request would do, before anything is recorded."""

    regime: str
    received_at: datetime
    received_on: date
    questions: list[RouteSuggestion]
    due_date: date | None
    explanation: list[str]  # the clock's reasons, day by day, in words
