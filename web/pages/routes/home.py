"""``/``: each person's starting page, by role (``web.pages.nav``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from web.pages.errors import PageRoute
from web.pages.nav import home_for
from web.pages.session import SignedIn
from web.pages.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/")
def home(request: Request, session: SignedIn) -> Response:
    start = home_for(session.actor)
    if start is not None:
        return RedirectResponse(start, status_code=303)
    # Someone whose roles no page serves yet (e.g. a user with no role) gets a plain page.
    return render(request, "pages/home.html")
