"""Who is signed in to the pages, and the CSRF check every form passes.

The page session is the one the API knows (``services.identity``: cookie ``foiflow_session``,
HttpOnly, SameSite=Lax, a CSRF token derived from the session id). The API takes the token in
the ``X-CSRF-Token`` header; a plain HTML form cannot send headers, so pages carry it in a
hidden ``csrf_token`` field and ``CheckedForm`` verifies that field.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from domain.case import Actor
from services.context import ServiceContext
from services.errors import Forbidden
from services.identity import NotAuthenticated
from statute.exemptions import Role
from web.api.deps import SESSION_COOKIE, RuntimeDep

CSRF_FIELD = "csrf_token"


@dataclass(frozen=True)
class PageSession:
    actor: Actor
    session_id: str
    csrf_token: str


class SignInRequired(Exception):
    """No page session, or an expired or ended one: the page sends the browser to sign in."""

    def __init__(self, reason: str = "") -> None:
        super().__init__(reason or "sign in to continue")
        self.reason = reason


def page_session_of(request: Request) -> PageSession | None:
    """The session ``page_session`` resolved for this request, if it ran."""
    found = getattr(request.state, "page_session", None)
    return found if isinstance(found, PageSession) else None


def page_session(request: Request, rt: RuntimeDep) -> PageSession:
    # A plain def: FastAPI runs it in a worker thread, off the event loop (it reads the store).
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        raise SignInRequired()
    try:
        actor = rt.identity.actor_for_session(session_id)
    except NotAuthenticated as exc:
        raise SignInRequired(exc.reason) from None
    session = PageSession(actor, session_id, rt.identity.csrf_token(session_id))
    request.state.page_session = session
    return session


SignedIn = Annotated[PageSession, Depends(page_session)]


def page_roles(*roles: Role) -> Callable[[PageSession], Awaitable[PageSession]]:
    """A dependency admitting people with any of ``roles``; a 403 page for anyone else::

    UnitPerson = Annotated[PageSession, Depends(page_roles(*UNIT_ROLES))]
    """
    allowed = frozenset(roles)

    async def dependency(session: SignedIn) -> PageSession:  # no thread hop: reads nothing
        if allowed.isdisjoint(session.actor.roles):
            raise Forbidden("this page is for other roles than yours")
        return session

    return dependency


async def checked_form(request: Request, rt: RuntimeDep, session: SignedIn) -> FormData:
    """The posted form, once its hidden ``csrf_token`` matches the session's (403 otherwise)."""
    form = await request.form()
    token = form.get(CSRF_FIELD)
    rt.identity.verify_csrf(session.session_id, token if isinstance(token, str) else None)
    return form


CheckedForm = Annotated[FormData, Depends(checked_form)]


async def service_context(rt: RuntimeDep, session: SignedIn) -> ServiceContext:
    """What services take, acting as the signed-in person (503 page while Temporal is down)."""
    return await rt.service_context(session.actor)


PageContext = Annotated[ServiceContext, Depends(service_context)]
