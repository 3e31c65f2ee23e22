"""Errors as pages. Every page route uses ``PageRoute``: a service error, a missing session or a
bad path becomes a GOV.UK error page (or a redirect to sign in), never the API's JSON.

What each page says comes from the GOV.UK Design System's error page patterns; the reason the
service gave is shown where it helps the person (a 403's role, a 409's case state). No error page
repeats anything from the case but its reference.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from services.admin import NotFound
from services.errors import (
    CaseClosed,
    CaseNotFound,
    Conflict,
    Forbidden,
    Rejected,
    ServiceError,
    Unavailable,
)
from services.identity import CsrfRejected, NotAuthenticated, RateLimited
from web.pages.formatting import plural
from web.pages.session import SignInRequired
from web.pages.templating import render

SIGN_IN_PATH = "/sign-in"
# Paths whose errors stay as the API answers them (JSON), not pages.
# Machine-read paths keep plain answers: the API, its schema, assets, metrics, the Atom feed,
# the Temporal UI's codec.
NOT_PAGES = (
    "/api",
    "/openapi.json",
    "/static",
    "/assets",
    "/metrics",
    "/disclosure-log.atom",
    "/codec/",
)


@dataclass(frozen=True)
class ErrorPage:
    status: int
    title: str
    lead: str


PAGES: dict[int, ErrorPage] = {
    403: ErrorPage(403, "You cannot see this page", "This page is not part of your work."),
    404: ErrorPage(
        404,
        "Page not found",
        "If you typed the web address, check it is correct. If you followed a link to a case, "
        "it may not be one your unit or role works on.",
    ),
    405: ErrorPage(405, "Page not found", "This page cannot be used that way."),
    409: ErrorPage(409, "This case has moved on", "The case changed since the page was loaded."),
    422: ErrorPage(422, "This could not be done", "foiflow refused the change."),
    429: ErrorPage(
        429, "Too many failed sign-in attempts", "To protect accounts, sign in is paused."
    ),
    500: ErrorPage(
        500,
        "Sorry, there is a problem with the service",
        "Try again later. What you sent may not have been saved.",
    ),
    503: ErrorPage(
        503,
        "Sorry, there is a problem with the service",
        "Part of foiflow cannot be reached. Try again in a few minutes.",
    ),
}


def sign_in_redirect(request: Request, reason: str = "") -> Response:
    """To the sign-in page, coming back here afterwards (for a page that can be read again)."""
    query: dict[str, str] = {}
    if request.method == "GET":
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        query["next"] = here
    if reason:
        query["expired"] = "1"
    target = SIGN_IN_PATH + (f"?{urlencode(query)}" if query else "")
    return RedirectResponse(target, status_code=303)


def error_page(
    request: Request,
    status: int,
    detail: str = "",
    *,
    title: str | None = None,
    lead: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    page = PAGES.get(status, PAGES[422])
    return render(
        request,
        "pages/error.html",
        {
            "title": title or page.title,
            "lead": lead or page.lead,
            "detail": detail,
            "status": status,
        },
        status_code=status,
        headers=headers,
    )


def service_error_page(request: Request, exc: ServiceError) -> Response:
    if isinstance(exc, NotAuthenticated):
        return sign_in_redirect(request, exc.reason)
    if isinstance(exc, RateLimited):
        minutes = max(1, math.ceil(exc.retry_after / 60))
        return error_page(
            request,
            429,
            f"Try again in {plural(minutes, 'minute')}.",
            headers={"Retry-After": str(exc.retry_after)},
        )
    if isinstance(exc, CsrfRejected):
        return error_page(
            request,
            403,
            "Go back, reload the page and try again. Nothing was changed.",
            title="The form could not be sent",
            lead="The form was sent without its security token, or with an old one.",
        )
    if isinstance(exc, CaseNotFound | NotFound):
        return error_page(request, 404)
    if isinstance(exc, CaseClosed | Conflict):
        return error_page(request, 409, exc.reason.capitalize())
    if isinstance(exc, Forbidden):
        return error_page(request, 403, exc.reason.capitalize())
    if isinstance(exc, Unavailable):
        return error_page(request, 503, headers={"Retry-After": "5"})
    if isinstance(exc, Rejected):
        return error_page(request, 422, exc.reason.capitalize())
    return error_page(request, 422, exc.reason.capitalize())


class PageRoute(APIRoute):
    """A route whose failures are pages: sign-in redirects, 403/404/409/429/503 pages."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handle(request)
            except SignInRequired as exc:
                return sign_in_redirect(request, exc.reason)
            except ServiceError as exc:
                return service_error_page(request, exc)
            except RequestValidationError:
                # Only paths and queries are validated by FastAPI on pages (forms are read by
                # the routes): a malformed reference or number is a page that does not exist.
                return error_page(request, 404)

        return page_handler


def install_error_pages(app: FastAPI) -> None:
    """GOV.UK 404 and 405 pages for paths no route serves, and a 500 page for a bug, outside
    the API (whose answers stay as they are)."""

    async def not_found(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if request.url.path.startswith(NOT_PAGES) or exc.status_code not in (404, 405):
            return await http_exception_handler(request, exc)
        return error_page(request, exc.status_code)

    async def server_error(request: Request, exc: Exception) -> Response:
        # Starlette still logs the exception with its traceback; the person sees a page.
        if request.url.path.startswith(NOT_PAGES):
            return PlainTextResponse("Internal Server Error", status_code=500)
        return error_page(request, 500)

    app.add_exception_handler(StarletteHTTPException, not_found)
    app.add_exception_handler(Exception, server_error)
