"""After the response: the review window, the internal review and the regulator stage.

One ``ReviewWorkflow`` per issued request (workflow id ``review-<reference>``) keeps all three;
these are its inputs, state and view. No requester personal data: the review workflow never
holds it (the letter's services read the requester from the case when they compose it).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from domain.case import Actor, CaseView, TimelineEntry
from domain.messages import Notification
from statute.exemptions import Outcome


def review_workflow_id(reference: str) -> str:
    """The review workflow's id: found from the case's reference alone."""
    return f"review-{reference}"


class ReviewStage(StrEnum):
    WINDOW = "window"  # the requester may still ask for a review
    UNDER_REVIEW = "under_review"  # asked for: a reviewer decides, on its own clock
    DECIDED = "decided"  # review decided; the requester may complain to the regulator
    WITH_REGULATOR = "with_regulator"  # a complaint is with the ICO / Scottish Commissioner
    CLOSED = "closed"  # for good: nothing more can happen on the case


class ReviewOutcome(StrEnum):
    UPHELD = "upheld"  # the original decision stands
    PARTLY_UPHELD = "partly_upheld"  # some of it stands, more is disclosed
    OVERTURNED = "overturned"  # the original decision is reversed


class NoticeDecision(StrEnum):
    """The regulator's decision on the complaint (from the requester's side, as notices say)."""

    NOT_UPHELD = "not_upheld"  # the authority dealt with the request correctly
    PARTLY_UPHELD = "partly_upheld"
    UPHELD = "upheld"  # the authority must take steps


class Participants(BaseModel):
    """Who took part in the original decision: none of them may carry out the review."""

    answered: list[str] = Field(default_factory=list)
    signed_off: list[str] = Field(default_factory=list)
    approved: list[str] = Field(default_factory=list)
    issued: list[str] = Field(default_factory=list)

    def part_of(self, user_id: str) -> list[str]:
        """What ``user_id`` did on the original, in words ("answered", "signed off")."""
        parts = (
            ("answered", self.answered),
            ("signed off", self.signed_off),
            ("approved", self.approved),
            ("issued", self.issued),
        )
        return [words for words, users in parts if user_id in users]


SYSTEM = "system"
# The request's timeline entries that name a part in the original decision.
_PARTS = {
    "answered": "answered",
    "signed_off": "signed_off",
    "sign_off_rejected": "signed_off",
    "approved": "approved",
    "issued": "issued",
    "refused_vexatious": "issued",
}


def participants_of(case: CaseView) -> Participants:
    """Everyone who answered, signed off (either way), approved or issued the original response,
    read from the request's own record (an answer revised by someone else counts them both)."""
    found: dict[str, list[str]] = {"answered": [], "signed_off": [], "approved": [], "issued": []}

    def add(part: str, user: str | None) -> None:
        if user and user != SYSTEM and user not in found[part]:
            found[part].append(user)

    for entry in case.timeline:
        part = _PARTS.get(entry.kind)
        if part:
            add(part, entry.actor)
    for task in case.tasks:
        add("answered", task.answered_by)
    for sign_off in case.sign_offs:
        add("signed_off", sign_off.decided_by)
    if case.response is not None:
        add("approved", case.response.approved_by)
    return Participants(**found)


class ReviewInput(BaseModel):
    reference: str
    regime: str  # the request's regime: foia, eir, foisa
    issued_at: datetime
    original_outcome: Outcome | None
    participants: Participants
    calendar_version: int | None = None  # the request's; None: the newest
    calendar: dict[str, object] | None = None  # loaded by the workflow (JSON form)
    time_zone: str = "Europe/London"
    send_hour: int = 9
    state: ReviewState | None = None  # set on continue-as-new


class Deadline(BaseModel):
    """A date someone must meet: reminded before, on the day, and the working day after."""

    key: str  # "review", "information", "compliance", "appeal"
    what: str  # in words: "internal review decision"
    due: date
    met_on: date | None = None
    audience: str = "foi_officer"  # an ``Audience`` address


class RegulatorStage(BaseModel):
    regulator: str
    complaint_received_on: date
    regulator_reference: str = ""
    information_due: date | None = None
    information_sent_on: date | None = None
    decision_notice_on: date | None = None
    notice_reference: str = ""
    decision: NoticeDecision | None = None
    steps: str = ""  # what the notice orders the authority to do
    compliance_due: date | None = None
    complied_on: date | None = None
    appeal_by: date | None = None  # the tribunal (Court of Session) window's last day
    appealed_on: date | None = None


class ReviewState(BaseModel):
    stage: ReviewStage = ReviewStage.WINDOW
    version: int = 0
    window_ends: date | None = None
    requested_on: date | None = None
    grounds: str = ""  # what the requester disputes, in the officer's words
    opened_by: str | None = None
    due: date | None = None
    statutory_due: date | None = None
    extended: bool = False
    reviewer: str | None = None
    outcome: ReviewOutcome | None = None
    reasons: str = ""
    now_disclosed: str = ""
    decided_on: date | None = None
    on_time: bool | None = None
    regulator: RegulatorStage | None = None
    deadlines: list[Deadline] = Field(default_factory=list)
    reminders_sent: list[str] = Field(default_factory=list)  # outbox keys
    timeline: list[TimelineEntry] = Field(default_factory=list)
    notices: list[Notification] = Field(default_factory=list)  # waiting for the outbox


class ReviewView(BaseModel):
    """The review and regulator stage as the query and the projection give them."""

    reference: str
    regime: str
    version: int
    stage: ReviewStage
    issued_at: datetime
    original_outcome: Outcome | None
    window_ends: date | None
    requested_on: date | None
    grounds: str
    due: date | None
    statutory_due: date | None
    extended: bool
    reviewer: str | None
    outcome: ReviewOutcome | None
    reasons: str
    now_disclosed: str
    decided_on: date | None
    on_time: bool | None
    overdue: bool
    regulator: RegulatorStage | None
    deadlines: list[Deadline]
    timeline: list[TimelineEntry]


def whole_life(
    case_timeline: list[TimelineEntry], review: ReviewView | None
) -> list[TimelineEntry]:
    """A case's timeline across its stages: the request's entries, then the review stage's,
    numbered on from the request's (each entry's kind says which stage it belongs to)."""
    entries = list(case_timeline)
    if review is None:
        return entries
    after = len(entries)
    entries += [e.model_copy(update={"seq": after + e.seq}) for e in review.timeline]
    return entries


# ---- updates (each carries the acting user, resolved by the caller) ------------------------


class RequestReview(BaseModel):
    actor: Actor
    received_on: date  # when the requester's message asking for a review arrived
    grounds: str = ""


class AssignReviewer(BaseModel):
    actor: Actor
    reviewer: str  # user id


class ExtendReview(BaseModel):
    actor: Actor
    reason: str


class RecordReviewOutcome(BaseModel):
    actor: Actor
    outcome: ReviewOutcome
    reasons: str
    now_disclosed: str = ""  # what is disclosed now that was withheld


class RecordComplaint(BaseModel):
    actor: Actor
    received_on: date  # when the regulator told the authority of the complaint
    regulator_reference: str = ""


class RecordInformationRequest(BaseModel):
    actor: Actor
    received_on: date
    due: date  # the date the regulator set for the authority's reply


class RecordInformationSent(BaseModel):
    actor: Actor
    sent_on: date


class RecordDecisionNotice(BaseModel):
    actor: Actor
    issued_on: date
    decision: NoticeDecision
    notice_reference: str = ""
    steps: str = ""  # the steps the notice orders; empty when it orders none
    compliance_due: date | None = None  # default: 35 calendar days after the notice


class RecordCompliance(BaseModel):
    actor: Actor
    complied_on: date


class RecordAppeal(BaseModel):
    actor: Actor
    lodged_on: date


class CloseReview(BaseModel):
    actor: Actor
    reason: str


class ReviewUpdateResult(BaseModel):
    reference: str
    version: int
    stage: ReviewStage
    changed: str


class ReviewResult(BaseModel):
    reference: str
    stage: ReviewStage
    outcome: ReviewOutcome | None
    on_time: bool | None


ReviewInput.model_rebuild()
