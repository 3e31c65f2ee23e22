"""Dependencies every route uses: the runtime, who is calling, and what their role allows.

Those that only read the request or the runtime are ``async def``: FastAPI runs a plain ``def``
dependency in its thread pool, a hop per dependency per request that costs more than the work.
Those that read the database (the caller's token or session) stay ``def`` and go to the pool.

In the style of the FastAPI full-stack template: ``Annotated`` aliases that routes take as
parameters::

    @router.get("/things")
    def list_things(rt: RuntimeDep, user: CurrentUser) -> list[Thing]: ...

    @router.post("/things")
    def add_thing(rt: RuntimeDep, admin: AdminUser, ...) -> Thing: ...

The acting user is always the authenticated one, resolved here from a bearer token (API
clients, the CLI) or the page session cookie (pages; changes then need the session's CSRF token
in ``X-CSRF-Token``). No body field or query option chooses it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import Depends, Header, Request, Response
from fastapi.security import APIKeyCookie, OAuth2PasswordBearer

from domain.case import Actor
from services.context import ServiceContext
from services.errors import Forbidden, Rejected
from services.identity import IssuedSession, NotAuthenticated, cookies_secure
from services.runtime import Runtime, TemporalClient
from settings import Settings
from statute.exemptions import Role

TOKEN_URL = "/api/token"
SESSION_COOKIE = "foiflow_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

bearer_scheme = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)
session_scheme = APIKeyCookie(name=SESSION_COOKIE, auto_error=False)


async def get_runtime(request: Request) -> Runtime:
    return cast(Runtime, request.app.state.runtime)


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_settings(rt: RuntimeDep) -> Settings:
    return rt.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


async def client_address(request: Request) -> str:
    """The caller's address as the server sees it (behind a proxy, run uvicorn with
    ``--proxy-headers`` and ``--forwarded-allow-ips`` so this is the client, not the proxy)."""
    return request.client.host if request.client else "unknown"


ClientAddress = Annotated[str, Depends(client_address)]


@dataclass(frozen=True)
class Caller:
    """The authenticated user and the credential they came with."""

    actor: Actor
    token: str | None = None  # bearer token
    session_id: str | None = None  # page session cookie


def get_caller(
    request: Request,
    rt: RuntimeDep,
    token: Annotated[str | None, Depends(bearer_scheme)],
    session_id: Annotated[str | None, Depends(session_scheme)],
) -> Caller:
    if token:
        return Caller(rt.identity.actor_for_token(token), token=token)
    if session_id:
        actor = rt.identity.actor_for_session(session_id)
        if request.method not in SAFE_METHODS:
            # SameSite=Lax already keeps the cookie off cross-site POSTs; the token is the
            # second lock (older browsers, same-site subdomains).
            rt.identity.verify_csrf(session_id, request.headers.get(CSRF_HEADER))
        return Caller(actor, session_id=session_id)
    raise NotAuthenticated(f"not authenticated: send a bearer token (from POST {TOKEN_URL})")


CallerDep = Annotated[Caller, Depends(get_caller)]


async def current_user(caller: CallerDep) -> Actor:
    return caller.actor


CurrentUser = Annotated[Actor, Depends(current_user)]


def require_roles(*roles: Role) -> Callable[[Actor], Awaitable[Actor]]:
    """A dependency admitting callers with any of ``roles`` (403 otherwise)::

    ApproverUser = Annotated[Actor, Depends(require_roles(Role.SENIOR_OFFICER, Role.DPO))]
    """
    allowed = frozenset(roles)
    names = " or ".join(sorted(r.value for r in allowed))

    async def dependency(actor: CurrentUser) -> Actor:
        if allowed.isdisjoint(actor.roles):
            held = ", ".join(r.value for r in actor.roles) or "no role"
            raise Forbidden(f"this needs the {names} role; you have {held}")
        return actor

    return dependency


AdminUser = Annotated[Actor, Depends(require_roles(Role.ADMIN))]


async def temporal_client(rt: RuntimeDep) -> TemporalClient:
    """The Temporal client; ``Unavailable`` (503) while Temporal cannot be reached."""
    return await rt.temporal_client()


TemporalDep = Annotated[TemporalClient, Depends(temporal_client)]


async def service_context(rt: RuntimeDep, actor: CurrentUser) -> ServiceContext:
    """What case services take: settings, engine, Temporal client, and the caller as actor."""
    return await rt.service_context(actor)


ServiceContextDep = Annotated[ServiceContext, Depends(service_context)]


# --- The page session cookie ------------------------------------------------------------------


def set_session_cookie(response: Response, issued: IssuedSession, settings: Settings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        issued.session_id,
        expires=issued.expires_at,
        path="/",
        httponly=True,  # scripts never see it; the CSRF token is what pages embed
        secure=cookies_secure(settings),
        samesite="lax",
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, secure=cookies_secure(settings), samesite="lax"
    )


# --- Optimistic concurrency: If-Match --------------------------------------------------------


async def if_match_version(
    if_match: Annotated[
        str | None,
        Header(
            description='The case version the action is based on (its ETag, e.g. "12"): the '
            "action is refused with 409 when someone has changed the case since.",
        ),
    ] = None,
) -> int | None:
    """The case version an action is based on, from ``If-Match`` (``12``, ``"12"``, ``W/"12"``);
    None when the header is absent (the version is then not checked)."""
    if if_match is None:
        return None
    text = if_match.strip().removeprefix("W/").strip('"')
    if not text.isdigit() or len(text) > 9:
        raise Rejected('give the case\'s version as its ETag says, e.g. "12"', "if-match")
    return int(text)


IfMatch = Annotated[int | None, Depends(if_match_version)]
