"""Acting on a case: every human action, as the workflow's updates.

Each builds the workflow's message with ``actor=ctx.actor`` (never from input), executes the
update — the workflow's validators decide, and a refusal records nothing — and returns the case
as the actor may now see it, read with the ``state`` query (whatever the update itself returns).

``update_id`` is passed to Temporal as the update's id: the same id sent twice (a retried HTTP
request) is one action, not two.

``expected_version`` is the case version the person acted on (``CaseView.version``, the API's
``If-Match``): when another person has changed the case since, the workflow refuses the action
(``StaleVersion``, a ``Conflict``, naming who and when) and nothing is recorded. None: not checked.

Refusals, checked in this order: ``CaseNotFound`` for no such case or one the actor may not know
exists (so no refusal reveals it); ``Forbidden`` when the actor's role may never take the action
(the transition table's roles, or the role a sign-off needs) — the workflow's validators check
the same again, the second lock; then the workflow decides: ``Rejected`` with its field and
reason word for word, ``Conflict`` when the case's state refuses it (``status: …``),
``CaseClosed`` once the case has closed. ``Unavailable`` when Temporal cannot be reached.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from temporalio.client import WorkflowHandle
from temporalio.workflow import UpdateMethodMultiParam

from domain.case import CLOSED_STATUSES, Actor, Answer, CaseView, SignOffStatus
from domain.messages import (
    AnswerTask,
    ApproveResponse,
    CaseResult,
    CloseCase,
    CostDecision,
    IssueResponse,
    ReassignTask,
    RecordClockEvent,
    RefuseVexatious,
    Route,
    RouteQuestions,
    SignOffDecision,
    UpdateResult,
)
from domain.transitions import Action, clock_transition, refusal, role_refusal
from services import reviews
from services.cases import as_seen_by, case_view, known_in_store
from services.context import ServiceContext
from services.errors import CaseClosed, Conflict, Forbidden, Rejected
from services.files import read_mapping_file
from services.routing import known_units, suggest_units, unrouted_questions
from services.schemas import (
    AnswerIn,
    ApproveIn,
    ClockEventIn,
    CostIn,
    IssueIn,
    ReassignIn,
    RefuseVexatiousIn,
    RoutesIn,
    SignOffIn,
    WithdrawIn,
)
from services.temporal import case_errors
from workflows.request import FoiRequestWorkflow
from workflows.rules import sign_off_role_refusal
from workflows.sign_offs import find_sign_off

Handle = WorkflowHandle[FoiRequestWorkflow, CaseResult]
Check = Callable[[CaseView, Actor], Awaitable[None]]
M = TypeVar("M", bound=BaseModel)  # the workflow message an action sends


def _forbidden(message: str) -> Forbidden:
    """A ``"field: reason"`` refusal as ``Forbidden``."""
    field, _, reason = message.partition(": ")
    return Forbidden(reason, field)


# Temporal refuses payloads over 2 MB, and a case travels whole (the state query, each
# projection, continue-as-new); composing the response then copies the answers into the letter.
# A case too big to carry would be stuck for good, so inputs are bounded before they reach it:
# one action carries at most MAX_ACTION_BYTES (an edited letter, MAX_CASE_BYTES), and an input
# of more than SMALL_BYTES may not take the case past MAX_CASE_BYTES. Small inputs (a sign-off,
# a routing) always pass, so a case at its limit can still be carried to its end.
MAX_ACTION_BYTES = 100_000
MAX_CASE_BYTES = 600_000
SMALL_BYTES = 4_000


@dataclass(frozen=True)
class Size:
    """How big one action's input may be: ``limit``; ``grows`` False for an input that
    replaces what the case holds (an edited letter) rather than adding to it."""

    limit: int = MAX_ACTION_BYTES
    grows: bool = True


ADDS = Size()
REPLACES_THE_LETTER = Size(MAX_CASE_BYTES, grows=False)


def _json_bytes(value: BaseModel) -> int:
    return len(value.model_dump_json().encode("utf-8"))


def _small(body: BaseModel | None) -> bool:
    """An input that always fits (``_check_size`` passes it without reading the case)."""
    return body is None or _json_bytes(body) <= SMALL_BYTES


def _check_size(case: CaseView, body: BaseModel | None, size: Size) -> None:
    """``Rejected``, naming the body's largest field, when ``body`` is more than one action may
    carry or would take the case past what it can."""
    if body is None:
        return
    carried = _json_bytes(body)
    if carried <= SMALL_BYTES:
        return
    fields = body.model_dump(mode="json")
    largest = max(fields, key=lambda name: len(json.dumps(fields[name])), default="")
    if carried > size.limit:
        raise Rejected(
            f"too long: {carried:,} bytes in all, and one action carries at most "
            f"{size.limit:,} (attach long documents instead)",
            largest,
        )
    held = _json_bytes(case)
    if size.grows and held + carried > MAX_CASE_BYTES:
        raise Rejected(
            f"too long for this case: it holds {held:,} bytes already, and a case holds at "
            f"most {MAX_CASE_BYTES:,} (attach long documents instead)",
            largest,
        )


async def _authorised(
    ctx: ServiceContext,
    reference: str,
    action: Action | None,
    body: BaseModel | None = None,
    may: Check | None = None,
    size: Size = ADDS,
) -> tuple[CaseView, Actor]:
    """The case, once the actor may know it exists and their role may take ``action`` on it.

    A case the actor may not know is missing (``CaseNotFound``) before anything else is said, so
    no refusal reveals it. A role the transition table never lets take the action is
    ``Forbidden`` whatever the case's state; whether the state allows it now is the workflow's
    to say. ``action`` None: the table has no row for it (the workflow refuses it by itself).
    Then ``may``, a further check of the case as read, and the size of ``body``.
    """
    actor = ctx.person()
    whole = await case_view(ctx, reference)
    view = as_seen_by(whole, actor)
    if action is not None:
        refused = refusal(action, view.status, actor)
        if refused is not None and refused.startswith("actor:"):
            raise _forbidden(refused)
    if may is not None:
        await may(view, actor)
    _check_size(whole, body, size)
    return view, actor


@asynccontextmanager
async def _acting(
    ctx: ServiceContext,
    reference: str,
    action: Action | None,
    body: BaseModel | None = None,
    may: Check | None = None,
    size: Size = ADDS,
) -> AsyncIterator[tuple[Handle, Actor]]:
    """The case's handle for an update by the actor, once ``_authorised`` let them try;
    Temporal's answers as typed errors.

    When nothing needs the case read first (no ``may``, a small body) and the read model already
    shows the actor the case — what they act on came from their inbox or list — only the role is
    checked here, and the workflow's validators decide the rest: one round trip to the case
    fewer. Otherwise, and whenever the store does not show it yet, the case is read as
    ``_authorised`` says."""
    actor = ctx.person()
    if may is None and _small(body) and await known_in_store(ctx, reference, actor):
        refused = None if action is None else role_refusal(action, actor)
        if refused is not None:
            raise _forbidden(refused)
    else:
        _, actor = await _authorised(ctx, reference, action, body, may, size)
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


async def _update(
    ctx: ServiceContext,
    reference: str,
    update: UpdateMethodMultiParam[[FoiRequestWorkflow, M], UpdateResult],
    message: Callable[[Actor], M],
    update_id: str | None,
    action: Action | None,
    body: BaseModel | None = None,
    may: Check | None = None,
    size: Size = ADDS,
) -> CaseView:
    """One human action: authorised (``_authorised``), sent as the workflow's ``update`` with the
    acting user in its ``message``, and the case read back as the actor may now see it."""
    async with _acting(ctx, reference, action, body, may, size) as (handle, actor):
        await handle.execute_update(update, message(actor), id=update_id)
    return await _after(ctx, reference)


async def _after(ctx: ServiceContext, reference: str) -> CaseView:
    return as_seen_by(await case_view(ctx, reference), ctx.actor)


async def plan_routes(ctx: ServiceContext, reference: str, routes: RoutesIn) -> list[Route]:
    """The routes ``route_questions`` would send: the ones given, checked against the directory,
    plus (with ``accept_suggestions``) the rules' first unit for each other unrouted question.

    Checks the transition table first, as the workflow would: someone who may not route learns
    nothing of the case's questions from a suggestion that fails.
    """
    view, actor = await _authorised(ctx, reference, Action.ROUTE, routes)
    if view.status in CLOSED_STATUSES:
        raise CaseClosed(reference)
    refused = refusal(Action.ROUTE, view.status, actor)
    if refused:
        raise Conflict.from_message(refused)
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
    return await _update(
        ctx,
        reference,
        FoiRequestWorkflow.route_questions,
        lambda actor: RouteQuestions(actor=actor, routes=pairs, expected_version=expected_version),
        update_id,
        Action.ROUTE,
        routes,
    )


async def reassign_task(
    ctx: ServiceContext,
    reference: str,
    question: int,
    move: ReassignIn,
    update_id: str | None = None,
    expected_version: int | None = None,
) -> CaseView:
    """Move a question to another unit (FOI officer); the history keeps where it was."""

    async def may_move(view: CaseView, actor: Actor) -> None:
        if move.unit not in await known_units(ctx):
            raise Rejected(f"unit {move.unit!r} is not in the directory", "unit")

    return await _update(
        ctx,
        reference,
        FoiRequestWorkflow.reassign_task,
        lambda actor: ReassignTask(
            actor=actor,
            question=question,
            unit=move.unit,
            reason=move.reason,
            expected_version=expected_version,
        ),
        update_id,
        Action.REASSIGN,
        move,
        may_move,
    )


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
    return await _update(
        ctx,
        reference,
        FoiRequestWorkflow.answer_task,
        lambda actor: AnswerTask(
            actor=actor, question=question, answer=answer, expected_version=expected_version
        ),
        update_id,
        Action.ANSWER,
        answer,
    )


async def decide_sign_off(
    ctx: ServiceContext,
    reference: str,
    section: str,
    decision: SignOffIn,
    update_id: str | None = None,
    expected_version: int | None = None,
) -> CaseView:
    """Approve, or refuse with a reason, the exemption ``section`` claimed on the case."""

    async def may_decide(view: CaseView, actor: Actor) -> None:
        # The table lets every role try (a policy may name any role); each sign-off names its
        # own. Anything else about the section is the workflow's to refuse.
        waiting = find_sign_off(view.sign_offs, section)
        if waiting is None or waiting.status != SignOffStatus.PENDING:
            return  # the workflow says none is pending
        if waiting.required_role not in actor.roles:
            raise _forbidden(sign_off_role_refusal(waiting, actor))

    return await _update(
        ctx,
        reference,
        FoiRequestWorkflow.decide_sign_off,
        lambda actor: SignOffDecision(
            actor=actor,
            section=section,
            approve=decision.approve,
            reason=decision.reason,
            expected_version=expected_version,
        ),
        update_id,
        Action.SIGN_OFF,
        decision,
        may_decide,
    )


async def record_clock_event(
    ctx: ServiceContext,
    reference: str,
    event: ClockEventIn,
    update_id: str | None = None,
    expected_version: int | None = None,
) -> CaseView:
    """Clarification asked or received, fees notice or fee, extension (FOI officer)."""
    row = clock_transition(event.kind)  # None for the receipt: the workflow refuses it
    try:
        return await _update(
            ctx,
            reference,
            FoiRequestWorkflow.record_clock_event,
            lambda actor: RecordClockEvent(
                actor=actor, **event.model_dump(), expected_version=expected_version
            ),
            update_id,
            row.action if row else None,
            event,
        )
    except Rejected as exc:
        raise _clock_refusal(exc, event) from None


def _clock_refusal(exc: Rejected, event: ClockEventIn) -> Rejected:
    """The statute's clock names the event's kind where a field goes (``fee_received: no fees
    notice was given…``): name the input's field instead — ``at`` when the refusal is about the
    time given (it quotes it), else ``kind`` — with the clock's reason word for word."""
    if exc.field != event.kind.value or exc.field in ClockEventIn.model_fields:
        return exc  # a field of the input already ("extension: say which extension")
    about_time = event.at is not None and exc.reason.startswith(event.at.isoformat())
    return type(exc)(exc.reason, "at" if about_time else "kind")


async def decide_cost(
    ctx: ServiceContext,
    reference: str,
    decision: CostIn,
    update_id: str | None = None,
    expected_version: int | None = None,
) -> CaseView:
    """Over the s12 cost limit: refuse (with s16 advice) or continue (FOI officer)."""
    return await _update(
        ctx,
        reference,
        FoiRequestWorkflow.decide_cost,
        lambda actor: CostDecision(
            actor=actor,
            refuse=decision.refuse,
            advice=decision.advice,
            expected_version=expected_version,
        ),
        update_id,
        Action.DECIDE_COST,
        decision,
    )


async def refuse_vexatious(
    ctx: ServiceContext,
    reference: str,
    refusal: RefuseVexatiousIn,
    update_id: str | None = None,
    expected_version: int | None = None,
) -> CaseView:
    """Refuse the whole request under s14 (FOI officer; FOIA and FOISA): the s17(5) notice is
    composed for approval, or with ``previous_notice`` the s17(6) record."""
    return await _update(
        ctx,
        reference,
        FoiRequestWorkflow.refuse_vexatious,
        lambda actor: RefuseVexatious(
            actor=actor, **refusal.model_dump(), expected_version=expected_version
        ),
        update_id,
        Action.REFUSE_VEXATIOUS,
        refusal,
    )


async def approve_response(
    ctx: ServiceContext,
    reference: str,
    approval: ApproveIn | None = None,
    update_id: str | None = None,
    expected_version: int | None = None,
) -> CaseView:
    """Approve the composed response, optionally as the officer edited it."""
    text = approval.text if approval else None
    return await _update(
        ctx,
        reference,
        FoiRequestWorkflow.approve_response,
        lambda actor: ApproveResponse(actor=actor, text=text, expected_version=expected_version),
        update_id,
        Action.APPROVE,
        approval,
        size=REPLACES_THE_LETTER,
    )


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
    issued = await _update(
        ctx,
        reference,
        FoiRequestWorkflow.issue_response,
        lambda actor: IssueResponse(
            actor=actor,
            publish=publication.publish,
            withhold_reason=publication.withhold_reason,
            expected_version=expected_version,
        ),
        update_id,
        Action.ISSUE,
        publication,
    )
    # The review window starts with the response: the review stage, from the whole case.
    await reviews.after_issue_recorded(ctx, reference)
    return issued


async def withdraw_case(
    ctx: ServiceContext,
    reference: str,
    withdrawal: WithdrawIn,
    update_id: str | None = None,
    expected_version: int | None = None,
) -> CaseView:
    """Close a case the requester withdrew (FOI officer)."""
    return await _update(
        ctx,
        reference,
        FoiRequestWorkflow.close_case,
        lambda actor: CloseCase(
            actor=actor, reason=withdrawal.reason, expected_version=expected_version
        ),
        update_id,
        Action.WITHDRAW,
        withdrawal,
    )
