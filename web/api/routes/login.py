"""Logging in and out: bearer tokens for API clients, a session cookie for the pages, and who
the caller is."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Response
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from services.identity import Me, NotAuthenticated
from web.api.deps import (
    CallerDep,
    ClientAddress,
    CurrentUser,
    RuntimeDep,
    bearer_scheme,
    clear_session_cookie,
    set_session_cookie,
)
from web.api.errors import responses

router = APIRouter(tags=["login"])
LoginForm = Annotated[OAuth2PasswordRequestForm, Depends()]


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int  # seconds (RFC 6749 §5.1)
    expires_at: datetime


class PageSession(BaseModel):
    """The session cookie is set on the response; pages embed the CSRF token in their forms."""

    user_id: str
    csrf_token: str
    expires_at: datetime


@router.post("/token", response_model=Token, responses=responses(401, 422, 429))
def login_access_token(
    rt: RuntimeDep, form: LoginForm, address: ClientAddress, response: Response
) -> Token:
    """OAuth2 password flow: a username and password for a bearer token.

    A wrong username and a wrong password get the same 401. Repeated failures for a username or
    from an address get 429 with ``Retry-After``.
    """
    principal = rt.identity.login(form.username, form.password, address)
    issued = rt.identity.issue_token(principal)
    response.headers["Cache-Control"] = "no-store"  # RFC 6749 §5.1: tokens are not cached
    lifetime = issued.expires_at - rt.identity.now()
    return Token(
        access_token=issued.access_token,
        expires_in=int(lifetime.total_seconds()),
        expires_at=issued.expires_at,
    )


@router.delete("/token", status_code=204, responses=responses(401))
def revoke_access_token(
    rt: RuntimeDep, token: Annotated[str | None, Depends(bearer_scheme)]
) -> Response:
    """Revoke the bearer token this request carries (log out); it stops working at once."""
    if not token:
        raise NotAuthenticated("not authenticated: send the bearer token to revoke")
    rt.identity.actor_for_token(token)  # 401 for a token that is not (or no longer) valid
    rt.identity.revoke_token(token)
    return Response(status_code=204)


@router.post("/session", response_model=PageSession, responses=responses(401, 422, 429))
def login_session(
    rt: RuntimeDep, form: LoginForm, address: ClientAddress, response: Response
) -> PageSession:
    """Log in for the pages: sets the HttpOnly session cookie and returns its CSRF token."""
    principal = rt.identity.login(form.username, form.password, address)
    issued = rt.identity.start_session(principal)
    set_session_cookie(response, issued, rt.settings)
    response.headers["Cache-Control"] = "no-store"
    return PageSession(
        user_id=issued.user_id, csrf_token=issued.csrf_token, expires_at=issued.expires_at
    )


@router.delete("/session", status_code=204, responses=responses(401, 403))
def logout_session(rt: RuntimeDep, caller: CallerDep) -> Response:
    """End the page session (needs its CSRF token in ``X-CSRF-Token``) and clear the cookie."""
    if caller.session_id is None:
        raise NotAuthenticated("not authenticated: no page session (API clients: DELETE /token)")
    rt.identity.end_session(caller.session_id)
    response = Response(status_code=204)
    clear_session_cookie(response, rt.settings)
    return response


@router.get("/me", response_model=Me, responses=responses(401))
def read_me(rt: RuntimeDep, user: CurrentUser) -> Me:
    """Who I am: id, name, email, roles and units, from the directory as of now."""
    return rt.identity.me(user)
