"""After the response: the review window, the internal review and the regulator stage.

Each issued case has one ``ReviewWorkflow`` (workflow id ``review-<reference>``), started as the
response is issued (``start_review_stage``, idempotent by id) with who took part in the original
read from the request workflow itself. Opening a review starts it first when it is missing (an
issue whose start was lost), so no issued case goes without its window.

Who may do what: FOI officers open reviews, assign reviewers, extend, and record the regulator
stage; the assigned reviewer records the outcome (the workflow refuses anyone who answered,
signed off, approved or issued the original, and anyone but the assigned reviewer). Reviews are
shown to those who may see who asked (FOI officers, managers): unit contacts and approvers never
see a review's grounds. Refusals: ``CaseNotFound`` (unknown or not known to the actor),
``Forbidden`` (a role that may never do it), ``Rejected`` with the workflow's field and reason,
``Conflict`` for the stage (``stage: …``) and ``CaseClosed`` once the case is closed for good.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode
from temporalio.workflow import UpdateMethodMultiParam

from domain.case import Actor, CaseStatus, CaseView
from domain.messages import LoadCalendar
from domain.review import (
    AssignReviewer,
    CloseReview,
    ExtendReview,
    NoticeDecision,
    RecordAppeal,
    RecordComplaint,
    RecordCompliance,
    RecordDecisionNotice,
    RecordInformationRequest,
    RecordInformationSent,
    RecordReviewOutcome,
    RequestReview,
    ReviewInput,
    ReviewOutcome,
    ReviewUpdateResult,
    ReviewView,
    participants_of,
    review_workflow_id,
)
from domain.transitions import may_see_requester
from services.cases import as_seen_by, case_view
from services.context import ServiceContext
from services.db import calendar_versions, in_store
from services.documents import LAWS
from services.errors import CaseClosed, Conflict, Forbidden, Rejected, ServiceError, Unavailable
from statute.calendar import long_date
from statute.exemptions import Role, review_route_for
from store import refdata
from store.calendar_protocol import CalendarRepository
from store.reviews import get_review
from workflows.review import ReviewWorkflow

log = logging.getLogger("foiflow.reviews")
M = TypeVar("M", bound=BaseModel)
ReviewHandle = WorkflowHandle[ReviewWorkflow, Any]
# Who may carry out a review: someone who may see the whole case (and who asked).
REVIEWER_ROLES = frozenset({Role.FOI_OFFICER, Role.MANAGER})

Text = Annotated[str, StringConstraints(max_length=4000)]
Short = Annotated[str, StringConstraints(max_length=64)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OpenReviewIn(_In):
    received_on: date = Field(description="When the requester's message asking for it arrived.")
    grounds: Text = ""


class ReviewerIn(_In):
    reviewer: Short = Field(description="The reviewer's user id.")


class ExtendReviewIn(_In):
    reason: Text


class ReviewOutcomeIn(_In):
    outcome: ReviewOutcome
    reasons: Text
    now_disclosed: Text = ""


class ComplaintIn(_In):
    received_on: date
    regulator_reference: Short = ""


class InformationRequestIn(_In):
    received_on: date
    due: date


class InformationSentIn(_In):
    sent_on: date


class DecisionNoticeIn(_In):
    issued_on: date
    decision: NoticeDecision
    notice_reference: Short = ""
    steps: Text = ""
    compliance_due: date | None = None


class ComplianceIn(_In):
    complied_on: date


class AppealIn(_In):
    lodged_on: date


class CloseReviewIn(_In):
    reason: Text


# --- starting the stage --------------------------------------------------------------------


def review_input(view: CaseView, calendars: CalendarRepository, time_zone: str) -> ReviewInput:
    """The review stage's start input from the issued case: participants from the request's own
    record, and the calendar window it counts on (in the input, so no update races a load)."""
    assert view.issued_at is not None, "only an issued case has a review stage"
    window = LoadCalendar.around(view.clock.calendar_version, view.issued_at.date())
    try:
        data = calendars.get(view.clock.calendar_version)
    except LookupError:
        data = calendars.latest()
    return ReviewInput(
        reference=view.reference,
        regime=view.regime,
        issued_at=view.issued_at,
        original_outcome=view.outcome,
        participants=participants_of(view),
        calendar_version=view.clock.calendar_version,
        calendar=data.window(window.start, window.end).to_json(),
        time_zone=time_zone,
    )


async def start_review_stage(
    client: Client, task_queue: str, view: CaseView, calendars: CalendarRepository, zone: str
) -> bool:
    """Start ``view``'s review stage; False when it exists already (running or closed)."""
    if view.status != CaseStatus.ISSUED:
        return False
    inp = await asyncio.to_thread(review_input, view, calendars, zone)
    try:
        await client.start_workflow(
            ReviewWorkflow.run,
            inp,
            id=review_workflow_id(view.reference),
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:
        return False
    return True


async def after_issue(ctx: ServiceContext, view: CaseView) -> None:
    """What issuing starts: the review stage (the services' ``issue_response`` calls this)."""
    zone = await in_store(ctx.engine, lambda s: refdata.get_authority(s).time_zone)
    await start_review_stage(
        ctx.client, ctx.settings.task_queue, view, calendar_versions(ctx.engine), zone
    )


async def after_issue_recorded(ctx: ServiceContext, reference: str) -> None:
    """``after_issue`` for an issue already recorded: the response is out whatever happens
    here, so a failure to read the issued case or to start the stage is logged, not raised —
    opening a review starts it. (Issuing closes the case's run; a query racing its last
    workflow task can time out, and the officer's issue must not read as failed for it.)"""
    try:
        await after_issue(ctx, await case_view(ctx, reference))
    except (RPCError, ServiceError, LookupError) as exc:
        log.warning(
            "review stage of %s not started (%s); opening a review starts it",
            reference,
            type(exc).__name__,
        )


# --- reading ---------------------------------------------------------------------------------


def _may_see_reviews(actor: Actor | None) -> bool:
    return actor is None or may_see_requester(actor)


async def _known(ctx: ServiceContext, reference: str) -> tuple[CaseView, Actor]:
    actor = ctx.person()
    view = as_seen_by(await case_view(ctx, reference), actor)
    if not _may_see_reviews(actor):
        raise Forbidden("only FOI officers and managers work on reviews", "actor")
    return view, actor


async def get_review_view(ctx: ServiceContext, reference: str) -> ReviewView:
    """The case's review stage as the workflow holds it now."""
    await _known(ctx, reference)
    handle: ReviewHandle = ctx.client.get_workflow_handle_for(
        ReviewWorkflow.run, review_workflow_id(reference)
    )
    async with review_errors(ctx.client, reference):
        view: ReviewView = await handle.query(ReviewWorkflow.state)
    return view


async def stored_review(ctx: ServiceContext, reference: str) -> ReviewView | None:
    """The review stage from the read model (what pages show beside the case), or None."""
    if not _may_see_reviews(ctx.actor):
        return None
    return await in_store(ctx.engine, lambda session: get_review(session, reference))


# --- acting ----------------------------------------------------------------------------------


@asynccontextmanager
async def review_errors(client: Client, reference: str) -> AsyncIterator[None]:
    """Temporal's answers about a review stage as typed errors."""
    try:
        yield
    except WorkflowUpdateFailedError as exc:
        message = str(getattr(exc.cause, "message", None) or exc.cause)
        if message.startswith("stage:"):
            raise Conflict.from_message(message) from None
        raise Rejected.from_message(message) from None
    except WorkflowQueryFailedError as exc:
        raise Unavailable(exc.message, "reference") from None
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
        try:
            described = await client.get_workflow_handle(review_workflow_id(reference)).describe()
        except RPCError:
            raise Conflict(
                f"{reference} has no review stage: the response has not been issued", "reference"
            ) from None
        if described.status != WorkflowExecutionStatus.RUNNING:
            raise CaseClosed(reference) from None
        raise


async def _review_update(
    ctx: ServiceContext,
    reference: str,
    update: UpdateMethodMultiParam[[ReviewWorkflow, M], ReviewUpdateResult],
    message: Callable[[Actor], M],
    update_id: str | None,
    officer_only: bool = True,
) -> ReviewView:
    _, actor = await _known(ctx, reference)
    if officer_only and Role.FOI_OFFICER not in actor.roles:
        raise Forbidden("only an FOI officer may do this", "actor")
    handle: ReviewHandle = ctx.client.get_workflow_handle_for(
        ReviewWorkflow.run, review_workflow_id(reference)
    )
    async with review_errors(ctx.client, reference):
        await handle.execute_update(update, message(actor), id=update_id)
        after: ReviewView = await handle.query(ReviewWorkflow.state)
    return after


async def open_review(
    ctx: ServiceContext, reference: str, body: OpenReviewIn, update_id: str | None = None
) -> ReviewView:
    """The requester asked for a review (``received_on``): its clock starts."""
    view, actor = await _known(ctx, reference)
    if Role.FOI_OFFICER not in actor.roles:
        raise Forbidden("only an FOI officer may open a review", "actor")
    if view.status != CaseStatus.ISSUED:
        raise Conflict(
            f"{reference} has no response to review yet (status {view.status.value})", "status"
        )
    await after_issue(ctx, await case_view(ctx, reference))  # a lost start, started now
    return await _review_update(
        ctx,
        reference,
        ReviewWorkflow.request_review,
        lambda a: RequestReview(actor=a, received_on=body.received_on, grounds=body.grounds),
        update_id,
    )


async def assign_reviewer(
    ctx: ServiceContext, reference: str, body: ReviewerIn, update_id: str | None = None
) -> ReviewView:
    """Assign the reviewer: someone in the directory who may see the whole case."""
    await _known(ctx, reference)
    users = await in_store(ctx.engine, refdata.list_users)
    user = next((u for u in users if u.id == body.reviewer.strip() and u.active), None)
    if user is None:
        raise Rejected(f"{body.reviewer!r} is not an active user in the directory", "reviewer")
    if REVIEWER_ROLES.isdisjoint(user.roles):
        raise Rejected(
            f"{user.id} may not see the whole case: a reviewer must be an FOI officer or a manager",
            "reviewer",
        )
    return await _review_update(
        ctx,
        reference,
        ReviewWorkflow.assign_reviewer,
        lambda a: AssignReviewer(actor=a, reviewer=user.id),
        update_id,
    )


async def extend_review(
    ctx: ServiceContext, reference: str, body: ExtendReviewIn, update_id: str | None = None
) -> ReviewView:
    return await _review_update(
        ctx,
        reference,
        ReviewWorkflow.extend_review,
        lambda a: ExtendReview(actor=a, reason=body.reason),
        update_id,
    )


async def record_outcome(
    ctx: ServiceContext, reference: str, body: ReviewOutcomeIn, update_id: str | None = None
) -> ReviewView:
    """The assigned reviewer's outcome (the workflow refuses anyone else)."""
    return await _review_update(
        ctx,
        reference,
        ReviewWorkflow.record_outcome,
        lambda a: RecordReviewOutcome(
            actor=a, outcome=body.outcome, reasons=body.reasons, now_disclosed=body.now_disclosed
        ),
        update_id,
        officer_only=False,
    )


async def record_complaint(
    ctx: ServiceContext, reference: str, body: ComplaintIn, update_id: str | None = None
) -> ReviewView:
    return await _review_update(
        ctx,
        reference,
        ReviewWorkflow.record_complaint,
        lambda a: RecordComplaint(
            actor=a, received_on=body.received_on, regulator_reference=body.regulator_reference
        ),
        update_id,
    )


async def record_information_request(
    ctx: ServiceContext, reference: str, body: InformationRequestIn, update_id: str | None = None
) -> ReviewView:
    return await _review_update(
        ctx,
        reference,
        ReviewWorkflow.record_information_request,
        lambda a: RecordInformationRequest(actor=a, received_on=body.received_on, due=body.due),
        update_id,
    )


async def record_information_sent(
    ctx: ServiceContext, reference: str, body: InformationSentIn, update_id: str | None = None
) -> ReviewView:
    return await _review_update(
        ctx,
        reference,
        ReviewWorkflow.record_information_sent,
        lambda a: RecordInformationSent(actor=a, sent_on=body.sent_on),
        update_id,
    )


async def record_decision_notice(
    ctx: ServiceContext, reference: str, body: DecisionNoticeIn, update_id: str | None = None
) -> ReviewView:
    return await _review_update(
        ctx,
        reference,
        ReviewWorkflow.record_decision_notice,
        lambda a: RecordDecisionNotice(
            actor=a,
            issued_on=body.issued_on,
            decision=body.decision,
            notice_reference=body.notice_reference,
            steps=body.steps,
            compliance_due=body.compliance_due,
        ),
        update_id,
    )


async def record_compliance(
    ctx: ServiceContext, reference: str, body: ComplianceIn, update_id: str | None = None
) -> ReviewView:
    return await _review_update(
        ctx,
        reference,
        ReviewWorkflow.record_compliance,
        lambda a: RecordCompliance(actor=a, complied_on=body.complied_on),
        update_id,
    )


async def record_appeal(
    ctx: ServiceContext, reference: str, body: AppealIn, update_id: str | None = None
) -> ReviewView:
    return await _review_update(
        ctx,
        reference,
        ReviewWorkflow.record_appeal,
        lambda a: RecordAppeal(actor=a, lodged_on=body.lodged_on),
        update_id,
    )


async def close_review(
    ctx: ServiceContext, reference: str, body: CloseReviewIn, update_id: str | None = None
) -> ReviewView:
    return await _review_update(
        ctx,
        reference,
        ReviewWorkflow.close,
        lambda a: CloseReview(actor=a, reason=body.reason),
        update_id,
    )


# --- the review letter -----------------------------------------------------------------------


_OUTCOME_WORDS = {
    ReviewOutcome.UPHELD: "The review upholds the original decision.",
    ReviewOutcome.PARTLY_UPHELD: (
        "The review upholds the original decision in part: some of the information withheld "
        "is now disclosed."
    ),
    ReviewOutcome.OVERTURNED: "The review overturns the original decision.",
}


def compose_review_letter(
    case: CaseView, review: ReviewView, authority: str, signatory: str
) -> str:
    """The review's outcome letter, element by element: what was reviewed and when it was asked
    for, that someone not involved in the original carried it out, the outcome with its
    reasons, what is now disclosed, and the right to complain to the regulator."""
    law = LAWS[case.regime]
    route = review_route_for(case.regime)
    assert review.outcome is not None and review.decided_on is not None
    issued = long_date(review.issued_at.date())
    asked = long_date(review.requested_on) if review.requested_on else "—"
    lines = [
        authority or "The FOI team",
        "",
        f"Our reference: {case.reference}",
        f"Date: {long_date(review.decided_on)}",
        "",
        f"Dear {case.requester.name if case.requester else 'requester'},",
        "",
        f"{law.request_kind}: outcome of {law.review}",
        "",
        f"On {asked} you asked for {law.review} of our response of {issued} under "
        f"{law.act}. The review was carried out by someone who was not involved in the "
        "original decision.",
        "",
        _OUTCOME_WORDS[review.outcome],
        "",
        f"Reasons: {review.reasons}",
    ]
    if review.now_disclosed:
        lines += ["", f"We now disclose: {review.now_disclosed}"]
    if review.on_time is False:
        lines += [
            "",
            f"We are sorry that this review was not completed by {long_date(review.due)}."
            if review.due
            else "We are sorry that this review was late.",
        ]
    lines += [
        "",
        "Your right to complain",
        f"If you remain dissatisfied, you have the right to apply to {route.regulator} under "
        f"{route.complaint} for a decision on whether your request was dealt with in "
        f"accordance with {law.act}:",
        *law.regulator_address,
        "",
        "Yours sincerely,",
        signatory or authority or "The FOI team",
    ]
    return "\n".join(lines) + "\n"


async def review_letter(ctx: ServiceContext, reference: str) -> str:
    """The letter telling the requester the review's outcome."""
    review = await get_review_view(ctx, reference)
    if review.outcome is None or review.decided_on is None:
        raise Conflict(f"{reference}'s review has no outcome yet", "reference")
    case = await case_view(ctx, reference)
    authority = await in_store(ctx.engine, refdata.get_authority)
    return compose_review_letter(case, review, authority.name, authority.letter_signatory)
