"""Signing in and out.

Login CSRF — a forged sign-in that logs the victim in as the attacker, so whatever they then type
lands in the attacker's account — is stopped twice, because there is no session to tie a token to:

- a double-submit token: ``GET /sign-in`` sets a random nonce in an HttpOnly, SameSite=Strict
  cookie scoped to ``/sign-in``, and puts ``HMAC(secret key, nonce)`` (the identity service's CSRF
  derivation) in the form. A cross-site page can neither read the cookie nor compute the token,
  and SameSite=Strict keeps the cookie off cross-site posts altogether;
- an ``Origin`` check: a post whose ``Origin`` names another site is refused. Browsers send
  ``Origin`` on every form post today, but older ones and some privacy settings drop it (and
  ``Referer``), which is why it is the second lock and not the only one.

Failures are rate limited exactly as the API's (``Identity.login``: per username and per address).
"""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from services.identity import CsrfRejected, NotAuthenticated, cookies_secure
from services.runtime import Runtime
from web.api.deps import (
    SESSION_COOKIE,
    ClientAddress,
    RuntimeDep,
    clear_session_cookie,
    set_session_cookie,
)
from web.pages.errors import SIGN_IN_PATH, PageRoute
from web.pages.forms import FormErrors, text
from web.pages.nav import home_for
from web.pages.session import CSRF_FIELD, CheckedForm, SignedIn
from web.pages.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

SIGN_IN_COOKIE = "foiflow_sign_in"
MAX_USERNAME = 64


def sign_in_token(rt: Runtime, nonce: str) -> str:
    # The "sign-in:" prefix keeps these apart from session ids (which never contain a colon).
    return rt.identity.csrf_token(f"sign-in:{nonce}")


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path on this site (not the API), else None: never an open
    redirect (``//evil.example``, ``/\\evil.example``, ``https://…``)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.path.startswith("/api"):
        return None
    return target


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None:
        return True  # not sent: the double-submit token decides
    # Behind a proxy that rewrites Host, X-Forwarded-Host names the site the browser saw. A
    # cross-site form cannot set either header, so trusting both opens nothing to forgery.
    hosts = {request.headers.get("host", ""), request.headers.get("x-forwarded-host", "")}
    return urlsplit(origin).netloc in hosts - {""}


def _sign_in_page(
    request: Request,
    rt: Runtime,
    *,
    username: str = "",
    next_path: str | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    nonce = request.cookies.get(SIGN_IN_COOKIE) or ""
    if not (16 <= len(nonce) <= 64 and nonce.replace("-", "").replace("_", "").isalnum()):
        nonce = secrets.token_urlsafe(24)
    response = render(
        request,
        "pages/sign_in.html",
        {
            "csrf_token": sign_in_token(rt, nonce),
            "username": username,
            "next": next_path or "",
            "errors": errors or FormErrors(),
            "signed_out": request.query_params.get("signed-out") == "1",
            "expired": request.query_params.get("expired") == "1",
        },
        status_code=status_code,
    )
    response.set_cookie(
        SIGN_IN_COOKIE,
        nonce,
        path=SIGN_IN_PATH,
        httponly=True,
        secure=cookies_secure(rt.settings),
        samesite="strict",
    )
    return response


@router.get(SIGN_IN_PATH)
def sign_in_form(
    request: Request,
    rt: RuntimeDep,
    next_path: Annotated[str | None, Query(alias="next", max_length=2000)] = None,
) -> Response:
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        try:
            actor = rt.identity.actor_for_session(session_id)
        except NotAuthenticated:
            pass
        else:  # already signed in
            return RedirectResponse(safe_next(next_path) or home_for(actor) or "/", 303)
    return _sign_in_page(request, rt, next_path=safe_next(next_path))


@router.post(SIGN_IN_PATH)
async def sign_in(request: Request, rt: RuntimeDep, address: ClientAddress) -> Response:
    form = await request.form()
    nonce = request.cookies.get(SIGN_IN_COOKIE) or ""
    token = form.get(CSRF_FIELD)
    if not _same_origin(request):
        raise CsrfRejected("the sign-in form was posted from another site", "origin")
    if not nonce:
        raise CsrfRejected("the sign-in form's cookie is missing", CSRF_FIELD)
    rt.identity.verify_csrf(f"sign-in:{nonce}", token if isinstance(token, str) else None)

    username = text(form, "username")[:MAX_USERNAME]
    password = form.get("password")
    password = password if isinstance(password, str) else ""
    next_path = safe_next(text(form, "next"))
    errors = FormErrors()
    if not username.strip():
        errors.add("username", "Enter your username")
    if not password:
        errors.add("password", "Enter your password")
    if errors:
        return _sign_in_page(
            request, rt, username=username, next_path=next_path, errors=errors, status_code=422
        )
    try:
        # argon2 takes tens of milliseconds on purpose: off the event loop.
        principal = await run_in_threadpool(rt.identity.login, username, password, address)
    except NotAuthenticated:
        errors.add("username", "Enter a correct username and password")
        return _sign_in_page(
            request, rt, username=username, next_path=next_path, errors=errors, status_code=401
        )
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        # A new session id on every sign-in (no fixation); the one before ends here.
        await run_in_threadpool(rt.identity.end_session, old)
    issued = await run_in_threadpool(rt.identity.start_session, principal)
    actor = await run_in_threadpool(rt.identity.actor_for_session, issued.session_id)
    response = RedirectResponse(next_path or home_for(actor) or "/", status_code=303)
    set_session_cookie(response, issued, rt.settings)
    response.delete_cookie(SIGN_IN_COOKIE, path=SIGN_IN_PATH)
    return response


@router.post("/sign-out")
def sign_out(rt: RuntimeDep, session: SignedIn, form: CheckedForm) -> Response:
    rt.identity.end_session(session.session_id)
    response = RedirectResponse(f"{SIGN_IN_PATH}?signed-out=1", status_code=303)
    clear_session_cookie(response, rt.settings)
    return response
