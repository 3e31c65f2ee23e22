"""Cases: the list (filtered, paged, from the read model) and one case's page — the clock with
its explanation, questions, sign-offs, the draft response, the timeline, and a form for each
action the transition table lets this person take now (``case.actions``).

Each action form posts to ``/cases/{reference}/<action>``, calls ``services.actions`` and
redirects back (Post/Redirect/Get); a refusal re-renders the case page with the reason on the
field it names and what was typed kept.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Request
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from domain.case import CaseView, TaskStatus
from domain.messages import Route
from domain.transitions import Action, may_see_requester
from services import actions
from services import cases as case_service
from services.cases import CASE_ROLES
from services.context import ServiceContext
from services.errors import CaseClosed, Rejected
from services.routing import suggest_routes, unit_names
from services.schemas import (
    MAX_NOTE,
    REFERENCE_PATTERN,
    CaseOut,
    CaseQuery,
    ClockEventIn,
    CostIn,
    IssueIn,
    ReassignIn,
    RoutesIn,
    WithdrawIn,
)
from services.temporal import workflow_ui_url
from statute import get_regime
from statute.clock import ClockEventKind
from statute.exemptions import OUTCOME_LABELS, Role
from statute.regimes import REQUEST_REGIMES, ExtensionKind
from web.api.deps import RuntimeDep
from web.pages.errors import PageRoute
from web.pages.forms import FormErrors, field_id, text
from web.pages.intake_form import REGIMES
from web.pages.session import CheckedForm, PageContext, PageSession, page_roles
from web.pages.templating import render
from web.pages.view import KIND_TITLES, TimelineRow, people

router = APIRouter(route_class=PageRoute, include_in_schema=False)

CaseReader = Annotated[PageSession, Depends(page_roles(*CASE_ROLES))]
Officer = Annotated[PageSession, Depends(page_roles(Role.FOI_OFFICER))]
Reference = Annotated[str, Path(pattern=REFERENCE_PATTERN)]
SUBMISSION = re.compile(r"^[0-9a-f]{32}$")
PER_PAGE = 25

STATUS_LABELS: dict[str, str] = {
    "triage": "To route",
    "awaiting_clarification": "Awaiting clarification",
    "awaiting_fee": "Awaiting fee",
    "in_progress": "With units",
    "cost_review": "Cost review",
    "sign_off": "Awaiting sign-off",
    "response_review": "Response to approve",
    "approved": "Approved",
    "issued": "Issued",
    "withdrawn": "Withdrawn",
    "lapsed": "Lapsed",
}
EXTENSION_LABELS: dict[str, str] = {
    ExtensionKind.PUBLIC_INTEREST: "Public interest test",
    ExtensionKind.REG7: "Complex and voluminous",
    ExtensionKind.SUBJECT_ACCESS: "Subject access",
    ExtensionKind.REVIEW: "Internal review",
}
TIMELINE_TITLES: dict[str, str] = {
    **KIND_TITLES,
    "received": "Request received",
    "clock": "Clock event",
    "composed": "Response composed",
    "approved": "Response approved",
    "issued": "Response issued",
    "closed": "Case closed",
}


# --- the list --------------------------------------------------------------------------------

FILTER_MESSAGES: dict[str, str] = {
    "status": "Select a status from the list",
    "unit": "Select a unit from the list",
    "regime": "Select a law from the list",
    "overdue": "Overdue must be true or false",
    "due_before": "Enter the date in the format YYYY-MM-DD, for example 2026-12-23",
    "page": "The page must be a whole number from 1",
    "per_page": "Cases per page must be a whole number from 1 to 200",
}
FILTERS = ("status", "unit", "regime", "overdue", "due_before")


def case_query(params: Mapping[str, str]) -> tuple[CaseQuery | None, FormErrors]:
    """The list's query parameters (named as ``CaseQuery``'s fields) as a query; or None and an
    error on each field it could not read."""
    errors = FormErrors()
    given = {
        name: params[name].strip()
        for name in (*FILTERS, "page", "per_page")
        if params.get(name, "").strip()
    }
    if given.get("regime") and given["regime"] not in REQUEST_REGIMES:
        errors.add("regime", FILTER_MESSAGES["regime"])
    if given.get("overdue") and given["overdue"] not in ("true", "false"):
        errors.add("overdue", FILTER_MESSAGES["overdue"])
    given.setdefault("per_page", str(PER_PAGE))
    try:
        query = CaseQuery.model_validate(given)
    except ValidationError as exc:
        for problem in exc.errors():
            name = str(problem["loc"][0]) if problem["loc"] else ""
            errors.add(name if name in FILTER_MESSAGES else "", FILTER_MESSAGES.get(name, "?"))
        return None, errors
    return (None if errors else query), errors


def _page_link(params: Mapping[str, str], page: int) -> str:
    kept = {k: v for k in (*FILTERS, "per_page") if (v := params.get(k, "").strip())}
    if page > 1:
        kept["page"] = str(page)
    return "/cases" + (f"?{urlencode(kept)}" if kept else "")


def pagination(params: Mapping[str, str], page: int, pages: int) -> dict[str, Any] | None:
    """``govukPagination`` for page ``page`` of ``pages`` (None for a single page): the first,
    the last and the pages either side of this one, with ellipses between."""
    if pages <= 1:
        return None
    shown = sorted({1, pages, page - 1, page, page + 1} & set(range(1, pages + 1)))
    items: list[dict[str, Any]] = []
    for number in shown:
        if items and number - int(items[-1]["number"]) > 1:
            items.append({"ellipsis": True, "number": number - 1})
        items.append(
            {"number": number, "href": _page_link(params, number), "current": number == page}
        )
    for item in items:
        if item.get("ellipsis"):
            item.pop("number")
    result: dict[str, Any] = {"items": items}
    if page > 1:
        result["previous"] = {"href": _page_link(params, page - 1)}
    if page < pages:
        result["next"] = {"href": _page_link(params, page + 1)}
    return result


@router.get("/cases")
async def case_list(request: Request, session: CaseReader, ctx: PageContext) -> Response:
    params = {k: v[:64] for k, v in request.query_params.items()}
    query, errors = case_query(params)
    found = await case_service.find_cases(ctx, query) if query is not None else None
    pages = -(-found.total // found.per_page) if found is not None else 0
    return render(
        request,
        "pages/cases/list.html",
        {
            "found": found,
            "errors": errors,
            "typed": params,
            "filtered": any(params.get(k) for k in FILTERS),
            "pagination": pagination(params, found.page, pages) if found else None,
            "pages": pages,
            "statuses": STATUS_LABELS,
            "units": await unit_names(ctx),
            "regimes": REGIMES,
            "outcomes": {str(k): v for k, v in OUTCOME_LABELS.items()},
            "may_start": Role.FOI_OFFICER in session.actor.roles,
        },
        status_code=400 if errors else 200,
    )


# --- one case --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Failed:
    """An action form that was refused: which, what was typed, and why."""

    slug: str
    typed: dict[str, str]
    errors: FormErrors


@dataclass
class CasePage:
    case: CaseOut
    blind: bool
    allowed: set[Action] = field(default_factory=set)


NOTICES = {
    "registered": "Request registered. Route its questions to their units below.",
    "existing": "This request was registered already: this is its case. Nothing new was recorded.",
    "route": "Questions routed. The units have their tasks.",
    "reassign": "Question reassigned.",
    "clarification-request": "Clarification asked for: the clock is stopped until it arrives.",
    "clarification-received": "Clarification recorded: the clock starts again.",
    "fees-notice": "Fees notice recorded: the clock is stopped until the fee is paid.",
    "fee-received": "Fee recorded: the clock starts again.",
    "extension": "Deadline extended.",
    "cost-decision": "Cost decision recorded.",
    "approve": "Response approved. Issue it when it has been sent.",
    "issue": "Response issued. The case is closed.",
    "withdraw": "Case withdrawn. The case is closed.",
}


async def _timeline(rt: RuntimeDep, view: CaseView, blind: bool) -> list[TimelineRow]:
    # Applicant-blind readers get only the work entries (never the receipt, which names who
    # asked, nor the officer's clock notes).
    entries = [e for e in view.timeline if not blind or e.kind in KIND_TITLES]
    names = await people(rt, (e.actor for e in entries))
    return [
        TimelineRow(
            TIMELINE_TITLES.get(e.kind, e.kind.replace("_", " ").capitalize()),
            names.get(e.actor, e.actor),
            e.at,
            e.text,
        )
        for e in sorted(entries, key=lambda e: e.seq, reverse=True)
    ]


async def _case_page(
    request: Request,
    rt: RuntimeDep,
    ctx: ServiceContext,
    session: PageSession,
    reference: str,
    failed: Failed | None = None,
) -> Response:
    case = await case_service.get_case_out(ctx, reference)
    blind = not may_see_requester(session.actor)
    allowed = {a.action for a in case.actions}
    units = await unit_names(ctx)
    suggestions = (
        {s.question: s.units for s in await suggest_routes(ctx, reference)}
        if Action.ROUTE in allowed
        else {}
    )
    routed = {t.question for t in case.tasks}
    names = await people(
        rt,
        [
            *(t.answered_by or "" for t in case.tasks),
            *(s.decided_by or "" for s in case.sign_offs),
            case.response.approved_by or "" if case.response else "",
        ],
    )
    regime = get_regime(case.regime)
    notice = request.query_params.get("notice", "")
    errors = failed.errors if failed else FormErrors()
    return render(
        request,
        "pages/cases/case.html",
        {
            "case": case,
            "blind": blind,
            # Only the actions this page has a form for (a unit's answer has its own page).
            "allowed": [a.value for a in allowed & FORM_ACTIONS],
            "answerable": Action.ANSWER in allowed,
            "units": units,
            "names": names,
            "status_label": STATUS_LABELS.get(case.status.value, case.status.value),
            "regime_title": REGIMES.get(case.regime, regime.title),
            "outcome_label": OUTCOME_LABELS.get(case.outcome) if case.outcome else None,
            "unrouted": [q for q in case.questions if q.number not in routed],
            "suggestions": suggestions,
            "movable": [
                t for t in case.tasks if t.status not in (TaskStatus.LOCKED, TaskStatus.SETTLED)
            ],
            "extensions": {
                str(kind): f"{EXTENSION_LABELS.get(kind, kind)} ({rule.citation})"
                for kind, rule in regime.extensions.items()
            },
            "history": await _timeline(rt, case, blind),
            "notice": NOTICES.get(notice) if not failed else None,
            "notice_kind": "important" if notice == "existing" else "success",
            "failed": failed.slug if failed else "",
            "typed": failed.typed if failed else {},
            "errors": errors,
            "temporal_url": None if blind else workflow_ui_url(ctx.settings, reference),
            "submission": secrets.token_hex(16),
        },
        status_code=422 if failed else 200,
    )


@router.get("/cases/{reference}")
async def case_page(
    request: Request, rt: RuntimeDep, session: CaseReader, ctx: PageContext, reference: Reference
) -> Response:
    return await _case_page(request, rt, ctx, session, reference)


# --- acting on a case ------------------------------------------------------------------------


class FormProblem(Exception):
    """What the page itself could not read in an action form, on the field (by its id)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Posted:
    """An action form as posted, with what the service calls need besides its fields."""

    reference: str
    form: FormData
    update_id: str | None
    version: int | None

    def get(self, name: str, limit: int = MAX_NOTE) -> str:
        return text(self.form, name, limit)


Act = Callable[[ServiceContext, Posted], Awaitable[object]]


@dataclass(frozen=True)
class ActionForm:
    slug: str  # the path segment, and the prefix of the form's field ids
    action: Action
    fields: tuple[str, ...]  # the service's field names the form has (ids: slug-field)
    act: Act
    # Where a refusal naming no field of the form goes (None: the summary only).
    main: str | None = None

    def field_for(self, service_field: str) -> str:
        name = field_id(service_field)
        if name in self.fields:
            return f"{self.slug}-{name}"
        return f"{self.slug}-{self.main}" if self.main else ""


def _clock(kind: ClockEventKind) -> Act:
    async def act(ctx: ServiceContext, p: Posted) -> object:
        event = ClockEventIn(kind=kind, note=p.get(f"{_CLOCK_SLUGS[kind]}-note"))
        return await actions.record_clock_event(ctx, p.reference, event, p.update_id, p.version)

    return act


async def _route(ctx: ServiceContext, p: Posted) -> object:
    chosen = [
        Route(question=int(name.removeprefix("route-")), unit=value)
        for name in p.form
        if re.fullmatch(r"route-\d{1,3}", name) and (value := p.get(name, 64).strip())
    ]
    if not chosen:
        first = next((n for n in p.form if n.startswith("route-")), "route-routes")
        raise FormProblem(first, "Select a unit for at least one question")
    return await actions.route_questions(
        ctx, p.reference, RoutesIn(routes=chosen), p.update_id, p.version
    )


async def _reassign(ctx: ServiceContext, p: Posted) -> object:
    question = p.get("reassign-question", 8)
    if not question.isdigit():
        raise FormProblem("reassign-question", "Select the question to move")
    unit = p.get("reassign-unit", 64)
    if not unit:
        raise FormProblem("reassign-unit", "Select the unit to move it to")
    try:
        move = ReassignIn(unit=unit, reason=p.get("reassign-reason"))
    except ValidationError:
        raise FormProblem("reassign-unit", "Select a unit from the list") from None
    return await actions.reassign_task(
        ctx, p.reference, int(question), move, p.update_id, p.version
    )


async def _extend(ctx: ServiceContext, p: Posted) -> object:
    kind = p.get("extension-extension", 32)
    if kind not in {k.value for k in ExtensionKind}:
        raise FormProblem("extension-extension", "Select the extension")
    days = p.get("extension-working_days", 8).strip()
    if days and not days.isdigit():
        raise FormProblem(
            "extension-working_days", "Enter the further working days as a whole number"
        )
    event = ClockEventIn(
        kind=ClockEventKind.EXTENSION,
        extension=ExtensionKind(kind),
        working_days=int(days) if days else None,
        note=p.get("extension-note"),
    )
    return await actions.record_clock_event(ctx, p.reference, event, p.update_id, p.version)


async def _decide_cost(ctx: ServiceContext, p: Posted) -> object:
    choice = p.get("cost-decision-refuse", 16)
    if choice not in ("refuse", "continue"):
        raise FormProblem(
            "cost-decision-refuse", "Select whether to refuse the request or answer it"
        )
    decision = CostIn(refuse=choice == "refuse", advice=p.get("cost-decision-advice"))
    return await actions.decide_cost(ctx, p.reference, decision, p.update_id, p.version)


async def _approve(ctx: ServiceContext, p: Posted) -> object:
    return await actions.approve_response(ctx, p.reference, None, p.update_id, p.version)


async def _issue(ctx: ServiceContext, p: Posted) -> object:
    choice = p.get("issue-publish", 16)
    if choice not in ("publish", "withhold"):
        raise FormProblem("issue-publish", "Select whether the response goes in the disclosure log")
    publication = IssueIn(
        publish=choice == "publish", withhold_reason=p.get("issue-withhold_reason", 2_000)
    )
    return await actions.issue_response(
        ctx, p.reference, p.update_id, p.version, publication=publication
    )


async def _withdraw(ctx: ServiceContext, p: Posted) -> object:
    withdrawal = WithdrawIn(reason=p.get("withdraw-reason"))
    return await actions.withdraw_case(ctx, p.reference, withdrawal, p.update_id, p.version)


_CLOCK_SLUGS = {
    ClockEventKind.CLARIFICATION_REQUESTED: "clarification-request",
    ClockEventKind.CLARIFICATION_RECEIVED: "clarification-received",
    ClockEventKind.FEES_NOTICE_GIVEN: "fees-notice",
    ClockEventKind.FEE_RECEIVED: "fee-received",
}
_CLOCK_ACTIONS = {
    ClockEventKind.CLARIFICATION_REQUESTED: Action.REQUEST_CLARIFICATION,
    ClockEventKind.CLARIFICATION_RECEIVED: Action.RECEIVE_CLARIFICATION,
    ClockEventKind.FEES_NOTICE_GIVEN: Action.GIVE_FEES_NOTICE,
    ClockEventKind.FEE_RECEIVED: Action.RECEIVE_FEE,
}

ACTION_FORMS: dict[str, ActionForm] = {
    form.slug: form
    for form in (
        ActionForm("route", Action.ROUTE, ("routes",), _route),
        ActionForm(
            "reassign", Action.REASSIGN, ("question", "unit", "reason"), _reassign, "reason"
        ),
        *(
            ActionForm(slug, _CLOCK_ACTIONS[kind], ("note",), _clock(kind), "note")
            for kind, slug in _CLOCK_SLUGS.items()
        ),
        ActionForm(
            "extension",
            Action.EXTEND,
            ("extension", "working_days", "note"),
            _extend,
            "extension",
        ),
        ActionForm("cost-decision", Action.DECIDE_COST, ("refuse", "advice"), _decide_cost),
        ActionForm("approve", Action.APPROVE, (), _approve),
        ActionForm("issue", Action.ISSUE, ("publish", "withhold_reason"), _issue, "publish"),
        ActionForm("withdraw", Action.WITHDRAW, ("reason",), _withdraw, "reason"),
    )
}
FORM_ACTIONS = frozenset(form.action for form in ACTION_FORMS.values())
ActionSlug = Annotated[str, Path(pattern="^(" + "|".join(ACTION_FORMS) + ")$")]


def _posted(reference: str, session: PageSession, form: FormData) -> Posted:
    # The same form sent twice (a double click, a resent POST) is one action, not two.
    submission = text(form, "submission", 64)
    update_id = (
        f"page:{session.actor.user_id}:{submission}" if SUBMISSION.match(submission) else None
    )
    # The version the person looked at: if someone acted since, the workflow refuses this one.
    version = text(form, "version", 12)
    return Posted(reference, form, update_id, int(version) if version.isdigit() else None)


@router.post("/cases/{reference}/{slug}")
async def act_on_case(
    request: Request,
    rt: RuntimeDep,
    session: Officer,
    ctx: PageContext,
    form: CheckedForm,
    reference: Reference,
    slug: ActionSlug,
) -> Response:
    action_form = ACTION_FORMS[slug]
    posted = _posted(reference, session, form)
    errors = FormErrors()
    try:
        await action_form.act(ctx, posted)
    except FormProblem as exc:
        errors.add(exc.field, exc.message)
    except (Rejected, CaseClosed) as exc:
        reason = exc.reason.strip()
        errors.add(action_form.field_for(exc.field), reason[:1].upper() + reason[1:])
    except ValidationError as exc:
        # Over a limit of the action's input (a note of more than 10,000 characters).
        refused = Rejected.from_validation(exc)
        errors.add(action_form.field_for(refused.field), refused.reason.capitalize())
    else:
        return RedirectResponse(f"/cases/{reference}?notice={slug}", status_code=303)
    typed = {name: text(form, name) for name in form if name not in ("csrf_token", "submission")}
    return await _case_page(request, rt, ctx, session, reference, Failed(slug, typed, errors))
