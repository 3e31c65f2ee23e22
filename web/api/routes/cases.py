"""Cases: the list (from the store), one case as the caller may see it, its letter, starting a
case, and every human action on it. Routes are thin: each calls one service.

Every action returns the updated case as the caller may see it, with the actions the transition
table now allows them. An ``Idempotency-Key`` on an action becomes the Temporal update id, so a
retried request is one action. ``If-Match`` (the case's ``ETag``, its version) makes an action
409 when someone else has changed the case since it was read.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Header, Path, Query, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from domain.case import CaseView
from services import actions, documents, intake, routing
from services import cases as case_service
from services.documents import LetterFormat, choose_format
from services.schemas import (
    REFERENCE_PATTERN,
    AnswerIn,
    ApproveIn,
    CaseOut,
    CasePage,
    CaseQuery,
    ClockEventIn,
    CostIn,
    IssueIn,
    ReassignIn,
    RequestDocument,
    RoutesIn,
    RouteSuggestion,
    SignOffIn,
    Started,
    WithdrawIn,
)
from web.api.deps import IfMatch, ServiceContextDep
from web.api.errors import responses
from web.api.idempotency import IdempotencyDep

router = APIRouter(prefix="/cases", tags=["cases"])

READ = responses(401, 403, 404, 503)
ACT = responses(401, 403, 404, 409, 422, 503)

Reference = Annotated[
    str,
    Path(
        pattern=REFERENCE_PATTERN,
        description="The case's reference, e.g. 01.FOI.23.031576.",
        examples=["01.FOI.23.031576"],
    ),
]
QuestionNumber = Annotated[int, Path(ge=1, le=999, description="The question's number.")]
Section = Annotated[
    str, Path(pattern=r"^[sS]?[0-9]{1,3}[A-Za-z]?$", description="An exemption section, e.g. 31.")
]


@router.get("", response_model=CasePage, responses=responses(401, 403, 422, 503))
async def list_cases(ctx: ServiceContextDep, query: Annotated[CaseQuery, Query()]) -> CasePage:
    """The cases the caller may know, soonest due first, filtered and paged."""
    return await case_service.find_cases(ctx, query)


@router.post("", status_code=201, response_model=Started, responses=ACT)
async def start_case(
    ctx: ServiceContextDep, idem: IdempotencyDep, request: RequestDocument, response: Response
) -> Started | JSONResponse:
    """Register a request as received (FOI officer). The same request again (same receipt time
    and text) returns its case with ``existing: true`` and status 200."""
    replayed = idem.replay(request)
    if replayed is not None:
        return replayed
    started = await intake.start_case(ctx, request.model_dump(mode="json", exclude_none=True))
    status = 200 if started.existing else 201
    if idem.scope is not None:
        return idem.remember(request, status, started)
    response.status_code = status
    return started


@router.get("/{reference}", response_model=CaseOut, responses=READ)
async def get_case(ctx: ServiceContextDep, reference: Reference, response: Response) -> CaseOut:
    """The case as the caller may see it: clock with its explanation, questions, tasks,
    sign-offs, timeline and draft, and what the caller may do now. Its ``ETag`` is its
    version: send it back as ``If-Match`` on an action to refuse it if someone acted since."""
    case = await case_service.get_case_out(ctx, reference)
    response.headers["ETag"] = f'"{case.version}"'
    return case


@router.get(
    "/{reference}/letter",
    response_class=PlainTextResponse,
    responses={
        **READ,
        409: responses(409)[409],
        200: {"content": {"text/plain": {}, "text/html": {}, "application/pdf": {}}},
    },
)
async def get_letter(
    ctx: ServiceContextDep,
    reference: Reference,
    format: Annotated[
        LetterFormat | None, Query(description="Overrides Accept: text, html or pdf.")
    ] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    """The composed response letter (a refusal notice where anything is withheld): plain text
    by default, HTML or PDF by ``Accept`` or ``?format=``."""
    letter = await documents.letter_document(ctx, reference, choose_format(format, accept))
    disposition = f'inline; filename="{letter.filename}"'
    return Response(
        letter.content, media_type=letter.media_type, headers={"Content-Disposition": disposition}
    )


@router.get("/{reference}/suggestions", response_model=list[RouteSuggestion], responses=READ)
async def suggest_routes(ctx: ServiceContextDep, reference: Reference) -> list[RouteSuggestion]:
    """The case's questions not yet routed, each with the units the routing rules send it to,
    best first (empty once every question is routed). Suggestions only: the FOI officer
    confirms them with ``POST /routes`` (``accept_suggestions`` takes each first unit)."""
    return await routing.suggest_routes(ctx, reference)


def _out(ctx: ServiceContextDep, view: CaseView) -> CaseOut:
    return case_service.case_out(view, ctx.actor)


@router.post("/{reference}/routes", response_model=CaseOut, responses=ACT)
async def route_questions(
    ctx: ServiceContextDep,
    idem: IdempotencyDep,
    version: IfMatch,
    reference: Reference,
    routes: RoutesIn,
) -> CaseOut:
    """Route questions to their owning units (FOI officer)."""
    view = await actions.route_questions(
        ctx, reference, routes, update_id=idem.update_id(), expected_version=version
    )
    return _out(ctx, view)


@router.post("/{reference}/questions/{question}/reassign", response_model=CaseOut, responses=ACT)
async def reassign_task(
    ctx: ServiceContextDep,
    idem: IdempotencyDep,
    version: IfMatch,
    reference: Reference,
    question: QuestionNumber,
    move: ReassignIn,
) -> CaseOut:
    """Move a question to another unit, with the reason (FOI officer)."""
    view = await actions.reassign_task(
        ctx, reference, question, move, update_id=idem.update_id(), expected_version=version
    )
    return _out(ctx, view)


@router.post("/{reference}/questions/{question}/answer", response_model=CaseOut, responses=ACT)
async def answer_task(
    ctx: ServiceContextDep,
    idem: IdempotencyDep,
    version: IfMatch,
    reference: Reference,
    question: QuestionNumber,
    answer: AnswerIn,
) -> CaseOut:
    """Answer (or revise the answer to) a question owned by one of the caller's units."""
    view = await actions.answer_task(
        ctx,
        reference,
        question,
        answer.answer(),
        update_id=idem.update_id(),
        expected_version=version,
    )
    return _out(ctx, view)


@router.post("/{reference}/sign-offs/{section}", response_model=CaseOut, responses=ACT)
async def decide_sign_off(
    ctx: ServiceContextDep,
    idem: IdempotencyDep,
    version: IfMatch,
    reference: Reference,
    section: Section,
    decision: SignOffIn,
) -> CaseOut:
    """Approve, or refuse with a reason for the unit, an exemption claimed on the case."""
    view = await actions.decide_sign_off(
        ctx, reference, section, decision, update_id=idem.update_id(), expected_version=version
    )
    return _out(ctx, view)


@router.post("/{reference}/clock-events", response_model=CaseOut, responses=ACT)
async def record_clock_event(
    ctx: ServiceContextDep,
    idem: IdempotencyDep,
    version: IfMatch,
    reference: Reference,
    event: ClockEventIn,
) -> CaseOut:
    """Clarification asked or received, fees notice or fee, extension (FOI officer)."""
    view = await actions.record_clock_event(
        ctx, reference, event, update_id=idem.update_id(), expected_version=version
    )
    return _out(ctx, view)


@router.post("/{reference}/cost-decision", response_model=CaseOut, responses=ACT)
async def decide_cost(
    ctx: ServiceContextDep,
    idem: IdempotencyDep,
    version: IfMatch,
    reference: Reference,
    decision: CostIn,
) -> CaseOut:
    """Over the s12 cost limit: refuse with s16 advice, or continue (FOI officer)."""
    view = await actions.decide_cost(
        ctx, reference, decision, update_id=idem.update_id(), expected_version=version
    )
    return _out(ctx, view)


@router.post("/{reference}/approve", response_model=CaseOut, responses=ACT)
async def approve_response(
    ctx: ServiceContextDep,
    idem: IdempotencyDep,
    version: IfMatch,
    reference: Reference,
    approval: Annotated[ApproveIn | None, Body()] = None,
) -> CaseOut:
    """Approve the composed response, optionally as edited (FOI officer)."""
    view = await actions.approve_response(
        ctx, reference, approval, update_id=idem.update_id(), expected_version=version
    )
    return _out(ctx, view)


@router.post("/{reference}/issue", response_model=CaseOut, responses=ACT)
async def issue_response(
    ctx: ServiceContextDep,
    idem: IdempotencyDep,
    version: IfMatch,
    reference: Reference,
    publication: Annotated[IssueIn | None, Body()] = None,
) -> CaseOut:
    """Record the approved response as sent now; the case closes on time or late. It is
    published to the disclosure log unless ``publish`` is false, with a ``withhold_reason``."""
    view = await actions.issue_response(
        ctx,
        reference,
        update_id=idem.update_id(),
        expected_version=version,
        publication=publication,
    )
    return _out(ctx, view)


@router.post("/{reference}/withdraw", response_model=CaseOut, responses=ACT)
async def withdraw_case(
    ctx: ServiceContextDep,
    idem: IdempotencyDep,
    version: IfMatch,
    reference: Reference,
    withdrawal: WithdrawIn,
) -> CaseOut:
    """Close a case the requester withdrew (FOI officer)."""
    view = await actions.withdraw_case(
        ctx, reference, withdrawal, update_id=idem.update_id(), expected_version=version
    )
    return _out(ctx, view)
