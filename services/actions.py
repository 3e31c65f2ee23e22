"""Acting on a case: every human action, as the workflow's updates.

Each builds the workflow's message with ``actor=ctx.actor`` (never from input), executes the
update — the workflow's validators decide, and a refusal records nothing — and returns the case
as the actor may now see it, read with the ``state`` query (whatever the update itself returns).

``update_id`` is passed to Temporal as the update's id: the same id sent twice (a retried HTTP
request) is one action, not two.

``expected_version`` is the case version the person acted on (``CaseView.version``, the API's
``If-Match``): when another person has changed the case since, the workflow refuses the action
(``StaleVersion``, naming who and when) and nothing is recorded. None: not checked.

Refusals: ``Rejected`` with the workflow's field and reason word for word, ``Conflict`` when the
case's state refuses it (``status: …``), ``StaleVersion`` (a ``Conflict``) for an action on a
version overtaken by someone else's, ``CaseClosed`` once the case has closed,
``CaseNotFound`` for no such case, ``Unavailable`` when Temporal cannot be reached.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from temporalio.client import WorkflowHandle

from domain.case import CLOSED_STATUSES, Actor, Answer, CaseView
from domain.messages import (
    AnswerTask,
    ApproveResponse,
    CaseResult,
    CloseCase,
    CostDecision,
    IssueResponse,
    ReassignTask,
    RecordClockEvent,
    Route,
    RouteQuestions,
    SignOffDecision,
)
from domain.transitions import Action, refusal
from services.cases import as_seen_by, case_view
from services.context import ServiceContext
from services.errors import CaseClosed, Conflict, Rejected
from services.files import read_mapping_file
from services.routing import known_units, suggest_units, unrouted_questions
from services.schemas import (
    AnswerIn,
    ApproveIn,
    ClockEventIn,
    CostIn,
    IssueIn,
    ReassignIn,
    RoutesIn,
    SignOffIn,
    WithdrawIn,
)
from services.temporal import case_errors
from workflows.request import FoiRequestWorkflow

Handle = WorkflowHandle[FoiRequestWorkflow, CaseResult]


@asynccontextmanager
async def _acting(ctx: ServiceContext, reference: str) -> AsyncIterator[tuple[Handle, Actor]]:
    actor = ctx.person()
    # A case the actor may not know exists is reported as missing before anything is tried, so
    # a refusal never reveals it (``CaseNotFound``).
    as_seen_by(await case_view(ctx, reference), actor)
    handle: Handle = ctx.client.get_workflow_handle_for(FoiRequestWorkflow.run, reference)
    async with case_errors(ctx.client, ctx.settings, reference):
        yield handle, actor


def checked_answer(document: dict[str, Any]) -> Answer:
    """An answer from a document (a file, a request body): unknown fields and texts over the
    limits are refused as ``Rejected`` naming the field (``answer.claims.0.reason``)."""
    try:
        return AnswerIn.model_validate(document).answer()
    except ValidationError as exc:
        raise Rejected.from_validation(exc, "answer") from None


def read_answer_file(path: Path, option: str = "--file") -> Answer:
    """An answer from a YAML or JSON file (``foiflow answer --file``), checked as above."""
    return checked_answer(read_mapping_file(path, option))


async def _after(ctx: ServiceContext, reference: str) -> CaseView:
    return as_seen_by(await case_view(ctx, reference), ctx.actor)


async def plan_routes(ctx: ServiceContext, reference: str, routes: RoutesIn) -> list[Route]:
    """The routes ``route_questions`` would send: the ones given, checked against the directory,
    plus (with ``accept_suggestions``) the rules' first unit for each other unrouted question.

    Checks the transition table first, as the workflow would: someone who may not route learns
    nothing of the case's questions from a suggestion that fails.
    """
    actor = ctx.person()
    view = await case_view(ctx, reference)
    if view.status in CLOSED_STATUSES:
        raise CaseClosed(reference)
    refused = refusal(Action.ROUTE, view.status, actor)
    if refused:
        raise (Conflict if refused.startswith("status:") else Rejected).from_message(refused)
    known = await known_units(ctx)
    pairs = list(routes.routes)
    for pair in pairs:
        if pair.unit not in known:
            raise Rejected(f"unit {pair.unit!r} is not in the directory", "routes")
    if routes.accept_suggestions:
        chosen = {p.question for p in pairs}
        questions = [q for q in unrouted_questions(view) if q.number not in chosen]
        for suggestion in await suggest_units(ctx, questions):
            if not suggestion.units:
                raise Rejected(
                    f"no rule suggests a unit for Q{suggestion.question}; "
                    f"give {suggestion.question}=UNIT",
                    "routes",
                )
            pairs.append(Route(question=suggestion.question, unit=suggestion.units[0]))
    return pairs


async def route_questions(
    ctx: ServiceContext,
    reference: str,
    routes: RoutesIn,
    update_id: str | None = None,
    expected_version: int | None = None,
) -> CaseView:
    """Route questions to their owning units (FOI officer): the routes of ``plan_routes``."""
    pairs = await plan_routes(ctx, reference, routes)
    async with _acting(ctx, reference) as (handle, actor):
        await handle.execute_update(
            FoiRequestWorkflow.route_questions,
            RouteQuestions(actor=actor, routes=pairs, expected_version=expected_version),
            id=update_id,
        )
    return await _after(ctx, reference)


async def reassign_task(
    ctx: ServiceContext,
    reference: str,
    question: int,
    move: ReassignIn,
    update_id: str | None = None,
    expected_version: int | None = None,
) -> CaseView:
    """Move a question to another unit (FOI officer); the history keeps where it was."""
    async with _acting(ctx, reference) as (handle, actor):
        await handle.execute_update(
            FoiRequestWorkflow.reassign_task,
            ReassignTask(
                actor=actor,
                question=question,
                unit=move.unit,
                reason=move.reason,
                expected_version=expected_version,
            ),
            id=update_id,
        )
    return await _after(ctx, reference)


async def answer_task(
    ctx: ServiceContext,
    reference: str,
    question: int,
    answer: Answer,
    update_id: str | None = None,
    expected_version: int | None = None,
) -> CaseView:
    """Answer (or revise the answer to) a question owned by one of the actor's units.

    The answer is checked against the input limits (``AnswerIn``) whoever built it."""
    answer = checked_answer(answer.model_dump())
    async with _acting(ctx, reference) as (handle, actor):
        await handle.execute_update(
            FoiRequestWorkflow.answer_task,
            AnswerTask(
                actor=actor, question=question, answer=answer, expected_version=expected_version
            ),
            id=update_id,
        )
    return await _after(ctx, reference)


async def decide_sign_off(
    ctx: ServiceContext,
    reference: str,
    section: str,
    decision: SignOffIn,
    update_id: str | None = None,
    expected_version: int | None = None,
) -> CaseView:
    """Approve, or refuse with a reason, the exemption ``section`` claimed on the case."""
    async with _acting(ctx, reference) as (handle, actor):
        await handle.execute_update(
            FoiRequestWorkflow.decide_sign_off,
            SignOffDecision(
                actor=actor,
                section=section,
                approve=decision.approve,
                reason=decision.reason,
                expected_version=expected_version,
            ),
            id=update_id,
        )
    return await _after(ctx, reference)


async def record_clock_event(
    ctx: ServiceContext,
    reference: str,
    event: ClockEventIn,
    update_id: str | None = None,
    expected_version: int | None = None,
) -> CaseView:
    """Clarification asked or received, fees notice or fee, extension (FOI officer)."""
    async with _acting(ctx, reference) as (handle, actor):
        await handle.execute_update(
            FoiRequestWorkflow.record_clock_event,
            RecordClockEvent(actor=actor, **event.model_dump(), expected_version=expected_version),
            id=update_id,
        )
    return await _after(ctx, reference)


async def decide_cost(
    ctx: ServiceContext,
    reference: str,
    decision: CostIn,
    update_id: str | None = None,
    expected_version: int | None = None,
) -> CaseView:
    """Over the s12 cost limit: refuse (with s16 advice) or continue (FOI officer)."""
    async with _acting(ctx, reference) as (handle, actor):
        await handle.execute_update(
            FoiRequestWorkflow.decide_cost,
            CostDecision(
                actor=actor,
                refuse=decision.refuse,
                advice=decision.advice,
                expected_version=expected_version,
            ),
            id=update_id,
        )
    return await _after(ctx, reference)


async def approve_response(
    ctx: ServiceContext,
    reference: str,
    approval: ApproveIn | None = None,
    update_id: str | None = None,
    expected_version: int | None = None,
) -> CaseView:
    """Approve the composed response, optionally as the officer edited it."""
    text = approval.text if approval else None
    async with _acting(ctx, reference) as (handle, actor):
        await handle.execute_update(
            FoiRequestWorkflow.approve_response,
            ApproveResponse(actor=actor, text=text, expected_version=expected_version),
            id=update_id,
        )
    return await _after(ctx, reference)


async def issue_response(
    ctx: ServiceContext,
    reference: str,
    update_id: str | None = None,
    expected_version: int | None = None,
    *,
    publication: IssueIn | None = None,
) -> CaseView:
    """Record the approved response as sent now; the case closes, on time or late. The response
    goes to the disclosure log unless ``publication`` says why not."""
    publication = publication or IssueIn()
    async with _acting(ctx, reference) as (handle, actor):
        await handle.execute_update(
            FoiRequestWorkflow.issue_response,
            IssueResponse(
                actor=actor,
                publish=publication.publish,
                withhold_reason=publication.withhold_reason,
                expected_version=expected_version,
            ),
            id=update_id,
        )
    return await _after(ctx, reference)


async def withdraw_case(
    ctx: ServiceContext,
    reference: str,
    withdrawal: WithdrawIn,
    update_id: str | None = None,
    expected_version: int | None = None,
) -> CaseView:
    """Close a case the requester withdrew (FOI officer)."""
    async with _acting(ctx, reference) as (handle, actor):
        await handle.execute_update(
            FoiRequestWorkflow.close_case,
            CloseCase(actor=actor, reason=withdrawal.reason, expected_version=expected_version),
            id=update_id,
        )
    return await _after(ctx, reference)
