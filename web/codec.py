"""The codec endpoint for the Temporal Web UI: ``POST /codec/decode`` and ``/codec/encode``.

foiflow encrypts every Temporal payload (``services.payload_codec``), so the Web UI shows
ciphertext until it asks this endpoint to decrypt — which it does from the operator's browser,
with the Temporal codec-server protocol (``{"payloads": [...]}`` as protobuf JSON, the namespace
in ``X-Namespace``). Only FOI officers and admins get plain payloads; a unit contact or an
approver (403), or anyone not signed in (401), does not. The caller is signed in to foiflow as
for the API: a bearer token, or the page session cookie, which the UI sends once its Codec Server
setting "Include cross-origin credentials" is on.

No CSRF token: the UI cannot send one, and the endpoint changes nothing. What keeps other sites
out is that the body must be ``application/json`` — a browser then asks first (a CORS preflight),
and only the Temporal UI's origins (``FOIFLOW_TEMPORAL_UI_ORIGINS``) are answered — and that the
session cookie is ``SameSite=Lax``.
"""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, Request
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from domain.case import Actor
from services.errors import Forbidden, Rejected
from services.identity import NotAuthenticated
from services.payload_codec import Direction, codec_exchange
from settings import Settings
from statute.exemptions import Role
from web.api.deps import TOKEN_URL, RuntimeDep, bearer_scheme, session_scheme
from web.api.errors import responses

PREFIX = "/codec"
ALLOWED = frozenset({Role.FOI_OFFICER, Role.ADMIN})
# Each payload can be up to Temporal's 2 MB limit; the UI sends one event's payloads at a time.
MAX_BODY_BYTES = 16 * 1024 * 1024

log = logging.getLogger("foiflow.codec")


def codec_user(
    rt: RuntimeDep,
    token: Annotated[str | None, Depends(bearer_scheme)],
    session_id: Annotated[str | None, Depends(session_scheme)],
) -> Actor:
    """The signed-in caller, if an FOI officer or an admin."""
    if token:
        actor = rt.identity.actor_for_token(token)
    elif session_id:
        actor = rt.identity.actor_for_session(session_id)
    else:
        raise NotAuthenticated(
            f"not authenticated: sign in to foiflow as an FOI officer (or send a bearer token "
            f"from POST {TOKEN_URL})"
        )
    if ALLOWED.isdisjoint(actor.roles):
        raise Forbidden("only FOI officers and admins may see Temporal's payloads decrypted")
    return actor


CodecUser = Annotated[Actor, Depends(codec_user)]
Namespace = Annotated[
    str | None,
    Header(alias="X-Namespace", description="The Temporal namespace (foiflow's only)"),
]


async def _json_body(request: Request) -> object:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        raise Rejected("send the payloads as application/json", "content-type")
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise Rejected(f"at most {MAX_BODY_BYTES // (1024 * 1024)} MB at a time", "payloads")
    try:
        parsed: object = json.loads(body)
    except ValueError:
        raise Rejected("not JSON", "payloads") from None
    return parsed


async def _exchange(
    direction: Direction, request: Request, rt: RuntimeDep, user: Actor, namespace: str | None
) -> dict[str, Any]:
    body = await _json_body(request)
    answer = await codec_exchange(rt.settings, direction, body, namespace)
    log.info("codec %s: %d payload(s) for %s", direction, len(answer["payloads"]), user.user_id)
    return answer


router = APIRouter(prefix=PREFIX, tags=["Temporal codec"])
CODEC_ERRORS = responses(401, 403, 422)


@router.post("/decode", responses=CODEC_ERRORS)
async def decode(
    request: Request, rt: RuntimeDep, user: CodecUser, namespace: Namespace = None
) -> dict[str, Any]:
    """Temporal payloads decrypted (the codec-server protocol's ``/decode``); plain payloads
    come back as they were."""
    return await _exchange("decode", request, rt, user, namespace)


@router.post("/encode", responses=CODEC_ERRORS)
async def encode(
    request: Request, rt: RuntimeDep, user: CodecUser, namespace: Namespace = None
) -> dict[str, Any]:
    """Temporal payloads encrypted with the current key (the protocol's ``/encode``: the UI
    uses it for a signal or query input typed in by hand)."""
    return await _exchange("encode", request, rt, user, namespace)


class CodecCors:
    """CORS for ``/codec/`` alone: the Temporal UI's origins may call it with credentials;
    nothing else in the app answers cross-origin requests."""

    def __init__(self, app: ASGIApp, origins: list[str]) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=origins,
            allow_credentials=True,
            allow_methods=["POST"],
            allow_headers=["Content-Type", "X-Namespace", "Authorization"],
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        target = self.cors if path.startswith(PREFIX + "/") else self.app
        await target(scope, receive, send)


def install_codec(app: FastAPI, settings: Settings) -> None:
    app.include_router(router)
    app.add_middleware(CodecCors, origins=settings.codec_origins)
