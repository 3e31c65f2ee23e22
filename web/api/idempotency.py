"""The ``Idempotency-Key`` header for POST routes.

Store effects (reference data)::

    @router.post("/units", status_code=201, response_model=UnitSpec)
    def create_unit(admin: AdminUser, idem: IdempotencyDep, unit: UnitSpec) -> Response:
        return idem.run(201, unit, lambda session: admin_service.create_unit(session, admin, unit))

Workflow effects (case actions): pass ``idem.update_id()`` as the Temporal update id
(``handle.execute_update(..., id=idem.update_id())``); Temporal runs an update with a given id
once and returns the first result to a repeat. ``None`` without a key: Temporal picks an id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse

from domain.case import Actor
from services import idempotency
from services.errors import Rejected
from services.idempotency import HEADER, IdempotencyScope, StoredResponse
from services.runtime import Runtime, StoreSession
from web.api.deps import CurrentUser, RuntimeDep

REPLAYED_HEADER = "Idempotent-Replayed"


@dataclass(frozen=True)
class Idempotency:
    rt: Runtime
    actor: Actor
    scope: IdempotencyScope | None  # None: the request carried no key

    def update_id(self) -> str | None:
        return None if self.scope is None else self.scope.update_id()

    def run(
        self, status_code: int, request: Any, effect: Callable[[StoreSession], Any]
    ) -> JSONResponse:
        """Run ``effect`` in a store transaction once per key; a repeat gets the first response."""
        return _response(
            idempotency.run_once(self.rt.engine, self.scope, request, status_code, effect)
        )

    def replay(self, request: Any) -> JSONResponse | None:
        """The earlier response for this key, for effects outside one store transaction."""
        stored = idempotency.replay(self.rt.engine, self.scope, request)
        return None if stored is None else _response(stored)

    def remember(self, request: Any, status_code: int, body: Any) -> JSONResponse:
        return _response(
            idempotency.remember(self.rt.engine, self.scope, request, status_code, body)
        )


def _response(stored: StoredResponse) -> JSONResponse:
    headers = {REPLAYED_HEADER: "true"} if stored.replayed else None
    return JSONResponse(stored.body, status_code=stored.status_code, headers=headers)


async def get_idempotency(
    request: Request,
    rt: RuntimeDep,
    actor: CurrentUser,
    key: Annotated[
        str | None,
        Header(
            alias=HEADER,
            description="Repeat a POST with the same key: the same result, no second effect.",
            max_length=idempotency.MAX_KEY_LENGTH,
        ),
    ] = None,
) -> Idempotency:
    if key is None:
        return Idempotency(rt, actor, None)
    problem = idempotency.check_key(key)
    if problem is not None:
        raise Rejected(problem, HEADER)
    scope = IdempotencyScope(
        user_id=actor.user_id, key=key, method=request.method, path=request.url.path
    )
    return Idempotency(rt, actor, scope)


IdempotencyDep = Annotated[Idempotency, Depends(get_idempotency)]
