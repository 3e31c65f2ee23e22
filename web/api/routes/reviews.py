"""A case after its response: the review window, the internal review and the regulator stage
(``services.reviews``). FOI officers act; the assigned reviewer records the outcome; managers
read. Each action returns the review stage as it now stands; an ``Idempotency-Key`` makes a
retried request one action."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel

from domain.review import ReviewView
from services import cases as case_service
from services import reviews
from services.schemas import REFERENCE_PATTERN
from web.api.deps import ServiceContextDep, require_roles
from web.api.errors import responses
from web.api.idempotency import Idempotency, IdempotencyDep

CaseUser = Depends(require_roles(*case_service.CASE_ROLES))
router = APIRouter(prefix="/cases", tags=["reviews"], dependencies=[CaseUser])

READ = responses(401, 403, 404, 409, 503)
ACT = responses(401, 403, 404, 409, 422, 503)

Reference = Annotated[
    str,
    Path(pattern=REFERENCE_PATTERN, description="The case's reference, e.g. 01.FOI.23.031576."),
]


async def _act(
    idem: Idempotency,
    body: BaseModel,
    action: Callable[[str | None], Awaitable[ReviewView]],
) -> ReviewView | JSONResponse:
    replayed = idem.replay(body)
    if replayed is not None:
        return replayed
    view = await action(idem.update_id())
    if idem.scope is None:
        return view
    return idem.remember(body, 200, view)


@router.get("/{reference}/review", response_model=ReviewView, responses=READ)
async def get_review(ctx: ServiceContextDep, reference: Reference) -> ReviewView:
    """The review window, the review and the regulator stage, with their deadlines and timeline
    (FOI officers and managers)."""
    return await reviews.get_review_view(ctx, reference)


@router.get(
    "/{reference}/review/letter",
    response_class=PlainTextResponse,
    responses=READ,
)
async def get_review_letter(ctx: ServiceContextDep, reference: Reference) -> str:
    """The review's outcome letter, with the right to complain to the regulator."""
    return await reviews.review_letter(ctx, reference)


@router.post("/{reference}/review", response_model=ReviewView, responses=ACT)
async def open_review(
    ctx: ServiceContextDep, idem: IdempotencyDep, reference: Reference, body: reviews.OpenReviewIn
) -> ReviewView | JSONResponse:
    """Open a review from the requester's message (FOI officer): its clock starts from the
    date the message was received."""
    return await _act(idem, body, lambda key: reviews.open_review(ctx, reference, body, key))


@router.post("/{reference}/review/reviewer", response_model=ReviewView, responses=ACT)
async def assign_reviewer(
    ctx: ServiceContextDep, idem: IdempotencyDep, reference: Reference, body: reviews.ReviewerIn
) -> ReviewView | JSONResponse:
    """Assign the reviewer: never anyone who answered, signed off, approved or issued the
    original response."""
    return await _act(idem, body, lambda key: reviews.assign_reviewer(ctx, reference, body, key))


@router.post("/{reference}/review/extension", response_model=ReviewView, responses=ACT)
async def extend_review(
    ctx: ServiceContextDep,
    idem: IdempotencyDep,
    reference: Reference,
    body: reviews.ExtendReviewIn,
) -> ReviewView | JSONResponse:
    """Extend a FOIA review to 40 working days (s45 Code para 5.5), with the reason."""
    return await _act(idem, body, lambda key: reviews.extend_review(ctx, reference, body, key))


@router.post("/{reference}/review/outcome", response_model=ReviewView, responses=ACT)
async def record_outcome(
    ctx: ServiceContextDep,
    idem: IdempotencyDep,
    reference: Reference,
    body: reviews.ReviewOutcomeIn,
) -> ReviewView | JSONResponse:
    """The assigned reviewer's outcome: upheld, partly upheld or overturned, with what is now
    disclosed."""
    return await _act(idem, body, lambda key: reviews.record_outcome(ctx, reference, body, key))


@router.post("/{reference}/review/complaint", response_model=ReviewView, responses=ACT)
async def record_complaint(
    ctx: ServiceContextDep, idem: IdempotencyDep, reference: Reference, body: reviews.ComplaintIn
) -> ReviewView | JSONResponse:
    """A complaint to the regulator (ICO under FOIA s50; the Scottish Information Commissioner
    under FOISA s47)."""
    return await _act(idem, body, lambda key: reviews.record_complaint(ctx, reference, body, key))


@router.post("/{reference}/review/information-request", response_model=ReviewView, responses=ACT)
async def record_information_request(
    ctx: ServiceContextDep,
    idem: IdempotencyDep,
    reference: Reference,
    body: reviews.InformationRequestIn,
) -> ReviewView | JSONResponse:
    """The regulator's request for information, with the date it set for the reply."""
    return await _act(
        idem, body, lambda key: reviews.record_information_request(ctx, reference, body, key)
    )


@router.post("/{reference}/review/information-sent", response_model=ReviewView, responses=ACT)
async def record_information_sent(
    ctx: ServiceContextDep,
    idem: IdempotencyDep,
    reference: Reference,
    body: reviews.InformationSentIn,
) -> ReviewView | JSONResponse:
    """The reply to the regulator's request, sent."""
    return await _act(
        idem, body, lambda key: reviews.record_information_sent(ctx, reference, body, key)
    )


@router.post("/{reference}/review/decision-notice", response_model=ReviewView, responses=ACT)
async def record_decision_notice(
    ctx: ServiceContextDep,
    idem: IdempotencyDep,
    reference: Reference,
    body: reviews.DecisionNoticeIn,
) -> ReviewView | JSONResponse:
    """The decision notice: its decision, the steps it orders and their compliance date (35
    calendar days unless the notice says otherwise); the 28-day appeal window opens."""
    return await _act(
        idem, body, lambda key: reviews.record_decision_notice(ctx, reference, body, key)
    )


@router.post("/{reference}/review/compliance", response_model=ReviewView, responses=ACT)
async def record_compliance(
    ctx: ServiceContextDep, idem: IdempotencyDep, reference: Reference, body: reviews.ComplianceIn
) -> ReviewView | JSONResponse:
    """The steps the decision notice ordered, taken."""
    return await _act(idem, body, lambda key: reviews.record_compliance(ctx, reference, body, key))


@router.post("/{reference}/review/appeal", response_model=ReviewView, responses=ACT)
async def record_appeal(
    ctx: ServiceContextDep, idem: IdempotencyDep, reference: Reference, body: reviews.AppealIn
) -> ReviewView | JSONResponse:
    """An appeal against the decision notice, lodged within its window."""
    return await _act(idem, body, lambda key: reviews.record_appeal(ctx, reference, body, key))


@router.post("/{reference}/review/close", response_model=ReviewView, responses=ACT)
async def close_review(
    ctx: ServiceContextDep, idem: IdempotencyDep, reference: Reference, body: reviews.CloseReviewIn
) -> ReviewView | JSONResponse:
    """Close a reviewed case for good (FOI officer), with the reason."""
    return await _act(idem, body, lambda key: reviews.close_review(ctx, reference, body, key))
