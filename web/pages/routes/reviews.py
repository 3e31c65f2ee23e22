"""The reviewer's page: a case's review stage (the case page's "After the response" partial)
and, for the assigned reviewer while the review is under way, the outcome form.

FOI officers and managers may open it (a review's grounds are the requester's words); the
workflow decides who may record the outcome — the assigned reviewer, never anyone who took part
in the original."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from starlette.responses import RedirectResponse, Response

from domain.review import ReviewOutcome, ReviewStage, ReviewView
from services import reviews
from services.errors import CaseClosed, Rejected
from services.schemas import REFERENCE_PATTERN
from statute.exemptions import Role
from web.pages.errors import PageRoute
from web.pages.forms import FormErrors, text
from web.pages.session import CheckedForm, PageContext, PageSession, page_roles
from web.pages.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

Reviewer = Annotated[PageSession, Depends(page_roles(Role.FOI_OFFICER, Role.MANAGER))]
Reference = Annotated[str, Path(pattern=REFERENCE_PATTERN)]
OUTCOMES = {
    ReviewOutcome.UPHELD.value: "Uphold the original decision",
    ReviewOutcome.PARTLY_UPHELD.value: "Uphold it in part: disclose more",
    ReviewOutcome.OVERTURNED.value: "Overturn it",
}
FIELDS = frozenset({"outcome", "reasons", "now_disclosed"})


def _page(
    request: Request,
    session: PageSession,
    review: ReviewView,
    *,
    typed: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    may_decide = (
        review.stage == ReviewStage.UNDER_REVIEW and review.reviewer == session.actor.user_id
    )
    return render(
        request,
        "pages/reviews/review.html",
        {
            "review": review,
            "may_decide": may_decide,
            "outcome_items": [
                {"value": value, "text": label, "checked": (typed or {}).get("outcome") == value}
                for value, label in OUTCOMES.items()
            ],
            "typed": typed or {},
            "errors": errors or FormErrors(),
        },
        status_code=status_code,
    )


@router.get("/cases/{reference}/review")
async def review_page(
    request: Request, session: Reviewer, ctx: PageContext, reference: Reference
) -> Response:
    return _page(request, session, await reviews.get_review_view(ctx, reference))


@router.post("/cases/{reference}/review")
async def record_outcome(
    request: Request,
    session: Reviewer,
    ctx: PageContext,
    form: CheckedForm,
    reference: Reference,
) -> Response:
    typed = {name: text(form, name) for name in FIELDS}
    errors = FormErrors()
    if typed["outcome"] not in OUTCOMES:
        errors.add("outcome", "Select the review's outcome")
    else:
        try:
            body = reviews.ReviewOutcomeIn(
                outcome=ReviewOutcome(typed["outcome"]),
                reasons=typed["reasons"],
                now_disclosed=typed["now_disclosed"],
            )
            await reviews.record_outcome(ctx, reference, body)
        except (Rejected, CaseClosed) as exc:
            errors.add_service_error(exc, fields=FIELDS)
        else:
            return RedirectResponse(f"/cases/{reference}/review", status_code=303)
    review = await reviews.get_review_view(ctx, reference)
    return _page(request, session, review, typed=typed, errors=errors, status_code=422)
