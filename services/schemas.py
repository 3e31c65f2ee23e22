"""What services take and give besides the domain's own models: request bodies for actions,
filters, and the rows of lists. Plain pydantic, so the API can use them as its schemas.

The acting user is never part of an input: services take it from the context.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import AwareDatetime, BaseModel, Field

from domain.case import CaseStatus, TaskStatus
from domain.messages import Route
from domain.transitions import Action
from statute.clock import ClockEventKind
from statute.exemptions import Role
from statute.regimes import ExtensionKind
from store.schema import SLUG

# --- inputs ----------------------------------------------------------------------------------


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


class ApproveIn(BaseModel):
    text: str | None = None  # the officer's edited letter, when edited


class WithdrawIn(BaseModel):
    reason: str


class CaseFilters(BaseModel):
    """Typed so a listing query is built from checked values, never from raw text."""

    status: CaseStatus | None = None
    overdue: bool = False
    unit: str | None = Field(default=None, pattern=SLUG)


# --- outputs ---------------------------------------------------------------------------------


class CaseSummary(BaseModel):
    reference: str
    status: CaseStatus | None  # None: not yet published to visibility
    regime: str
    due_date: date | None  # None while the clock is paused
    overdue: bool
    units: list[str]


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
