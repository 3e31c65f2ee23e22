"""The approver's pages: the sign-offs waiting for my role, and deciding one."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from domain.case import CaseStatus, ExemptionClaim, SignOff, SignOffStatus, Task
from domain.transitions import APPROVER_ROLES
from services import actions
from services import cases as case_service
from services.context import ServiceContext
from services.errors import CaseClosed, CaseNotFound, Rejected
from services.schemas import REFERENCE_PATTERN, CaseOut, SignOffIn
from statute.exemptions import UnknownExemptionError, get_exemption
from web.api.deps import RuntimeDep
from web.pages.answer_form import GUIDES, LIKELIHOODS
from web.pages.errors import PageRoute
from web.pages.forms import FormErrors, text
from web.pages.session import CheckedForm, PageContext, PageSession, page_roles
from web.pages.templating import render
from web.pages.view import people, timeline_about

router = APIRouter(route_class=PageRoute, include_in_schema=False)

Approver = Annotated[PageSession, Depends(page_roles(*APPROVER_ROLES))]
Reference = Annotated[str, Path(pattern=REFERENCE_PATTERN)]
Section = Annotated[str, Path(pattern=r"^[sS]?[0-9]{1,3}[A-Za-z]?$")]
SUBMISSION = re.compile(r"^[0-9a-f]{32}$")
DECISIONS = ("approve", "reject")


@router.get("/sign-offs")
async def my_sign_offs(
    request: Request, rt: RuntimeDep, session: Approver, ctx: PageContext
) -> Response:
    waiting = await case_service.list_my_sign_offs(ctx)
    names = await people(rt, (u for s in waiting for u in s.recommended_by))
    return render(
        request,
        "pages/sign_offs/list.html",
        {"waiting": waiting, "names": names, "guides": GUIDES},
    )


@dataclass(frozen=True)
class ClaimUnderReview:
    """One question's claim of the section: what the unit recommends, and why."""

    task: Task
    claim: ExemptionClaim
    answered_by: str


def _section_key(section: str, reference: str) -> str:
    try:
        return get_exemption(section).section
    except UnknownExemptionError:
        raise CaseNotFound(reference) from None


async def _my_sign_off(
    ctx: ServiceContext, session: PageSession, reference: str, section: str
) -> tuple[CaseOut, SignOff]:
    """The case and its sign-off of ``section``, when one of the person's roles decides it; a
    404 otherwise (as for a case they may not know)."""
    key = _section_key(section, reference)
    case = await case_service.get_case_out(ctx, reference)
    sign_off = next(
        (
            s
            for s in reversed(case.sign_offs)
            if s.section == key and s.required_role in session.actor.roles
        ),
        None,
    )
    if sign_off is None:
        raise CaseNotFound(reference)
    return case, sign_off


async def _decision_page(
    request: Request,
    rt: RuntimeDep,
    session: PageSession,
    case: CaseOut,
    sign_off: SignOff,
    *,
    decision: str = "",
    reason: str = "",
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    claims = [
        (task, claim)
        for task in case.tasks
        if task.question in sign_off.questions and task.answer is not None
        for claim in task.answer.claims
        if claim.section == sign_off.section
    ]
    names = await people(
        rt,
        [*(t.answered_by or "" for t, _ in claims), sign_off.decided_by or ""],
    )
    under_review = [ClaimUnderReview(t, c, names.get(t.answered_by or "", "")) for t, c in claims]
    pending = sign_off.status == SignOffStatus.PENDING
    own = session.actor.user_id in sign_off.recommended_by
    return render(
        request,
        "pages/sign_offs/decide.html",
        {
            "case": case,
            "sign_off": sign_off,
            "claims": under_review,
            "guide": GUIDES.get(sign_off.section),
            "likelihoods": LIKELIHOODS,
            "may_decide": pending and not own and case.status == CaseStatus.SIGN_OFF,
            "own": own,
            "decided_by": names.get(sign_off.decided_by or ""),
            "decided_by_me": sign_off.decided_by == session.actor.user_id,
            "decision": decision,
            "reason": reason,
            "errors": errors or FormErrors(),
            "history": await timeline_about(rt, case, section=sign_off.section),
            "submission": secrets.token_hex(16),
        },
        status_code=status_code,
    )


@router.get("/cases/{reference}/sign-offs/{section}")
async def decision_form(
    request: Request,
    rt: RuntimeDep,
    session: Approver,
    ctx: PageContext,
    reference: Reference,
    section: Section,
) -> Response:
    case, sign_off = await _my_sign_off(ctx, session, reference, section)
    return await _decision_page(request, rt, session, case, sign_off)


def _update_id(session: PageSession, form: FormData) -> str | None:
    # The same form sent twice (a double click, a resent POST) is one decision, not two.
    submission = text(form, "submission", 64)
    if not SUBMISSION.match(submission):
        return None
    return f"page:{session.actor.user_id}:{submission}"


@router.post("/cases/{reference}/sign-offs/{section}")
async def decide(
    request: Request,
    rt: RuntimeDep,
    session: Approver,
    ctx: PageContext,
    form: CheckedForm,
    reference: Reference,
    section: Section,
) -> Response:
    case, sign_off = await _my_sign_off(ctx, session, reference, section)
    decision = text(form, "decision", 16)
    reason = text(form, "reason")
    errors = FormErrors()
    if decision not in DECISIONS:
        errors.add("decision", f"Select whether you approve the section {sign_off.section} claim")
    else:
        approve = decision == "approve"
        try:
            await actions.decide_sign_off(
                ctx,
                reference,
                sign_off.section,
                SignOffIn(approve=approve, reason="" if approve else reason.strip()),
                _update_id(session, form),
            )
        except (Rejected, CaseClosed) as exc:
            errors.add_service_error(exc, fields=frozenset({"decision", "reason"}))
        else:
            return RedirectResponse(
                f"/cases/{reference}/sign-offs/{sign_off.section}", status_code=303
            )
        case, sign_off = await _my_sign_off(ctx, session, reference, section)
    return await _decision_page(
        request,
        rt,
        session,
        case,
        sign_off,
        decision=decision,
        reason=reason,
        errors=errors,
        status_code=422,
    )
