"""The FOI officer's new request: paste it as received, check how it splits, where it goes and
when it is due, then register it (``services.intake``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from services import intake
from services.errors import Rejected
from services.routing import unit_names
from services.schemas import IntakePreview
from statute.exemptions import Role
from web.pages.errors import PageRoute
from web.pages.forms import FormErrors, text
from web.pages.intake_form import CHANNELS, REGIMES, IntakeForm, add_intake_error
from web.pages.session import CheckedForm, PageContext, PageSession, page_roles
from web.pages.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

Officer = Annotated[PageSession, Depends(page_roles(Role.FOI_OFFICER))]


def _form_page(
    request: Request, form: IntakeForm, errors: FormErrors | None = None, *, status_code: int = 200
) -> Response:
    return render(
        request,
        "pages/cases/new.html",
        {
            "form": form,
            "errors": errors or FormErrors(),
            "channels": CHANNELS,
            "regimes": REGIMES,
        },
        status_code=status_code,
    )


@router.get("/cases/new")
def new_request(request: Request, session: Officer) -> Response:
    return _form_page(request, IntakeForm.now())


@router.post("/cases/new")
async def check_or_register(
    request: Request, session: Officer, ctx: PageContext, form: CheckedForm
) -> Response:
    typed = IntakeForm.from_form(form)
    step = text(form, "action", 16)
    if step == "change":
        return _form_page(request, typed)
    document, received_at, errors = typed.parse()
    if document is None:
        return _form_page(request, typed, errors, status_code=422)
    try:
        if step == "register":
            started = await intake.start_case(ctx, document, received_at)
            notice = "existing" if started.existing else "registered"
            return RedirectResponse(f"/cases/{started.reference}?notice={notice}", status_code=303)
        preview = await intake.preview_intake(ctx, document, received_at)
    except Rejected as exc:
        add_intake_error(errors, exc)
        return _form_page(request, typed, errors, status_code=422)
    return await _check_page(request, ctx, typed, preview)


async def _check_page(
    request: Request, ctx: PageContext, typed: IntakeForm, preview: IntakePreview
) -> Response:
    return render(
        request,
        "pages/cases/check.html",
        {
            "form": typed,
            "hidden": typed.hidden(),
            "preview": preview,
            "units": await unit_names(ctx),
            "channel": CHANNELS.get(typed.channel, typed.channel),
            "regime": REGIMES.get(typed.regime, typed.regime),
        },
    )
