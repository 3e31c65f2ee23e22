"""The unit contact's pages: My tasks, answering a question, and the answer's confirmation."""

from __future__ import annotations

import asyncio
import re
import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from domain.case import AnswerKind, CaseView, SignOff, SignOffStatus, Task, TaskStatus
from domain.transitions import UNIT_ROLES, Action
from services import actions
from services import cases as case_service
from services.context import ServiceContext
from services.errors import CaseClosed, CaseNotFound, Rejected, ServiceError
from services.schemas import REFERENCE_PATTERN, CaseOut, MyTask
from web.api.deps import RuntimeDep
from web.pages.answer_form import GUIDES, KINDS, LIKELIHOODS, AnswerForm
from web.pages.errors import PageRoute
from web.pages.forms import FormErrors, text
from web.pages.session import CheckedForm, PageContext, PageSession, page_roles
from web.pages.templating import render
from web.pages.view import people, timeline_about

router = APIRouter(route_class=PageRoute, include_in_schema=False)

UnitPerson = Annotated[PageSession, Depends(page_roles(*UNIT_ROLES))]
Reference = Annotated[str, Path(pattern=REFERENCE_PATTERN)]
QuestionNumber = Annotated[int, Path(ge=1, le=999)]
FIXED = (TaskStatus.LOCKED, TaskStatus.SETTLED)
SUBMISSION = re.compile(r"^[0-9a-f]{32}$")
SHOW = {"all": "All", "overdue": "Overdue", "returned": "Returned"}


@dataclass(frozen=True)
class TaskRow:
    task: MyTask
    returned_reason: str | None = None
    returned_by: str | None = None

    @property
    def overdue(self) -> bool:
        return self.task.working_days_left is not None and self.task.working_days_left < 0

    @property
    def returned(self) -> bool:
        return self.task.status == TaskStatus.RETURNED


async def _returns(
    ctx: ServiceContext, rt: RuntimeDep, tasks: list[MyTask]
) -> dict[tuple[str, int], tuple[str | None, str | None]]:
    """Why each returned task came back, and from whom: read from its case (the list itself
    comes from the read model, which does not carry the reason)."""
    references = sorted({t.reference for t in tasks if t.status == TaskStatus.RETURNED})

    async def read(reference: str) -> CaseOut | None:
        try:
            return await case_service.get_case_out(ctx, reference)
        except ServiceError:
            return None  # closed or moved on since the list was read: the row still shows

    found: dict[tuple[str, int], tuple[str | None, str | None]] = {}
    for case in await asyncio.gather(*(read(r) for r in references)):
        if case is None:
            continue
        for task in case.tasks:
            if task.status == TaskStatus.RETURNED:
                refused = _refused_sign_off(case, task)
                by = refused.decided_by if refused else None
                found[(case.reference, task.question)] = (task.returned_reason, by)
    names = await people(rt, (by for _, by in found.values() if by))
    return {key: (reason, names.get(by) if by else None) for key, (reason, by) in found.items()}


def _refused_sign_off(case: CaseView, task: Task) -> SignOff | None:
    """The refused sign-off that sent ``task`` back to its unit (the latest, if several)."""
    return next(
        (
            s
            for s in reversed(case.sign_offs)
            if s.status == SignOffStatus.REJECTED and task.question in s.questions
        ),
        None,
    )


@router.get("/tasks")
async def my_tasks(
    request: Request,
    rt: RuntimeDep,
    session: UnitPerson,
    ctx: PageContext,
    show: Annotated[str, Query(max_length=16)] = "all",
) -> Response:
    tasks = await case_service.list_my_tasks(ctx)
    returns = await _returns(ctx, rt, tasks)
    rows = [TaskRow(t, *returns.get((t.reference, t.question), (None, None))) for t in tasks]
    counts = {
        "all": len(rows),
        "overdue": sum(r.overdue for r in rows),
        "returned": sum(r.returned for r in rows),
    }
    show = show if show in SHOW else "all"
    shown = [r for r in rows if show == "all" or getattr(r, show)]
    return render(
        request,
        "pages/tasks/list.html",
        {"rows": shown, "counts": counts, "show": show, "filters": SHOW},
    )


async def _my_task(
    ctx: ServiceContext, session: PageSession, reference: str, number: int
) -> tuple[CaseOut, Task]:
    """The case and the question, when the question is with one of the person's units; a 404
    otherwise (as for a case they may not know)."""
    case = await case_service.get_case_out(ctx, reference)
    task = next(
        (t for t in case.tasks if t.question == number and t.unit in session.actor.units), None
    )
    if task is None:
        raise CaseNotFound(reference)
    return case, task


async def _answer_page(
    request: Request,
    rt: RuntimeDep,
    case: CaseOut,
    task: Task,
    form: AnswerForm,
    errors: FormErrors | None = None,
    *,
    status_code: int = 200,
) -> Response:
    may_answer = Action.ANSWER in {a.action for a in case.actions} and task.status not in FIXED
    others = [q for q in case.questions if q.number != task.question]
    owners = {t.question: t.unit for t in case.tasks}
    refused = _refused_sign_off(case, task) if task.status == TaskStatus.RETURNED else None
    names = await people(
        rt, [u for u in (refused.decided_by if refused else None, task.answered_by) if u]
    )
    return render(
        request,
        "pages/tasks/answer.html",
        {
            "case": case,
            "task": task,
            "others": others,
            "owners": owners,
            "form": form,
            "errors": errors or FormErrors(),
            "may_answer": may_answer,
            "kinds": KINDS,
            "guides": sorted(GUIDES.values(), key=lambda g: _section_order(g.section)),
            "likelihoods": LIKELIHOODS,
            "returned_by": names.get(refused.decided_by or "") if refused else None,
            "answered_by": names.get(task.answered_by or ""),
            "history": await timeline_about(rt, case, question=task.question),
            "submission": secrets.token_hex(16),
        },
        status_code=status_code,
    )


def _section_order(section: str) -> tuple[int, str]:
    digits = "".join(ch for ch in section if ch.isdigit())
    return (int(digits or 0), section)


@router.get("/cases/{reference}/questions/{number}")
async def answer_form(
    request: Request,
    rt: RuntimeDep,
    session: UnitPerson,
    ctx: PageContext,
    reference: Reference,
    number: QuestionNumber,
) -> Response:
    case, task = await _my_task(ctx, session, reference, number)
    return await _answer_page(request, rt, case, task, AnswerForm.from_answer(task.answer))


def _update_id(session: PageSession, form: FormData) -> str | None:
    # The same form sent twice (a double click, a resent POST) is one answer, not two.
    submission = text(form, "submission", 64)
    if not SUBMISSION.match(submission):
        return None
    return f"page:{session.actor.user_id}:{submission}"


@router.post("/cases/{reference}/questions/{number}")
async def send_answer(
    request: Request,
    rt: RuntimeDep,
    session: UnitPerson,
    ctx: PageContext,
    form: CheckedForm,
    reference: Reference,
    number: QuestionNumber,
) -> Response:
    case, task = await _my_task(ctx, session, reference, number)
    typed = AnswerForm.from_form(form)
    if text(form, "action", 32) == "add_claim":
        return await _answer_page(request, rt, case, task, typed.with_another_claim())
    answer, errors = typed.parse()
    if answer is None:
        return await _answer_page(request, rt, case, task, typed, errors, status_code=422)
    try:
        await actions.answer_task(ctx, reference, number, answer, _update_id(session, form))
    except (Rejected, CaseClosed) as exc:
        # The workflow's own reason, on the field it names; the page keeps what was typed.
        errors.add(
            typed.field_for(exc.field) if exc.field.startswith("answer") else "",
            _sentence(exc.reason),
        )
        case, task = await _my_task(ctx, session, reference, number)
        return await _answer_page(request, rt, case, task, typed, errors, status_code=422)
    return RedirectResponse(f"/cases/{reference}/questions/{number}/answered", status_code=303)


def _sentence(reason: str) -> str:
    return reason[:1].upper() + reason[1:]


@router.get("/cases/{reference}/questions/{number}/answered")
async def answer_sent(
    request: Request,
    session: UnitPerson,
    ctx: PageContext,
    reference: Reference,
    number: QuestionNumber,
) -> Response:
    case, task = await _my_task(ctx, session, reference, number)
    if task.answer is None:
        return RedirectResponse(f"/cases/{reference}/questions/{number}", status_code=303)
    next_task = next(
        (
            t
            for t in case.tasks
            if t.unit in session.actor.units
            and t.question != number
            and t.status in (TaskStatus.OPEN, TaskStatus.RETURNED)
        ),
        None,
    )
    claims = (
        task.answer.claims
        if task.answer.kind in (AnswerKind.EXEMPT, AnswerKind.PARTLY_HELD)
        else []
    )
    return render(
        request,
        "pages/tasks/answered.html",
        {
            "case": case,
            "task": task,
            "claims": claims,
            "kind_label": KINDS[task.answer.kind][0],
            "next_task": next_task,
            "may_change": task.status not in FIXED
            and Action.ANSWER in {a.action for a in case.actions},
        },
    )
