"""What services take and give besides the domain's own models: request bodies for actions,
filters, and the rows of lists. Plain pydantic, so the API can use them as its schemas.

The acting user is never part of an input: services take it from the context.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from domain.case import CaseStatus, CaseView, TaskStatus, VexatiousLimb
from domain.messages import Route
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

    @field_validator("questions")
    @classmethod
    def _numbered_once(cls, value: list[QuestionIn] | None) -> list[QuestionIn] | None:
        seen: set[int] = set()
        for question in value or []:
            if question.number in seen:
                raise ValueError(f"question {question.number} is given twice")
            seen.add(question.number)
        return value


class RoutesIn(BaseModel):
    routes: list[Route] = Field(default_factory=list)
    # Route every question not named in ``routes`` to the unit the routing rules rank first.
    accept_suggestions: bool = False


class ReassignIn(BaseModel):
    unit: str = Field(pattern=SLUG)
    reason: str


class SignOffIn(BaseModel):
    approve: bool = True
    reason: str = ""  # required when refusing: the unit is told why


class ClockEventIn(BaseModel):
    kind: ClockEventKind
    at: AwareDatetime | None = None  # default now; may be backdated, never in the future
    extension: ExtensionKind | None = None
    working_days: int | None = None
    until: date | None = None  # the estimated date given in a s17(2) holding notice
    note: str = ""


class CostIn(BaseModel):
    refuse: bool
    advice: str = ""  # s16: how the requester could narrow the request


class RefuseVexatiousIn(BaseModel):
    """s14: the whole request refused as vexatious (14(1)) or repeated (14(2))."""

    limb: VexatiousLimb = VexatiousLimb.VEXATIOUS
    reason: str = Field(max_length=10_000)  # why; the letter gives it to the requester
    advice: str = Field(default="", max_length=10_000)  # s16 (FOISA s15) advice
    # s17(6) (FOISA s16(5)): the earlier request whose s14 notice this relies on; no new notice.
    previous_notice: str = Field(default="", pattern=r"^$|" + REFERENCE_PATTERN)


class ApproveIn(BaseModel):
    text: str | None = None  # the officer's edited letter, when edited


class IssueIn(BaseModel):
    """Issuing publishes the response to the disclosure log unless the officer says why not."""

    publish: bool = True
    withhold_reason: str = Field(default="", max_length=2_000)


class WithdrawIn(BaseModel):
    reason: str


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
