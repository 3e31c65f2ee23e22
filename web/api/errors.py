"""Service errors as HTTP responses, in one place, so every route maps them the same way.

A client can act on each: 401 (log in; ``WWW-Authenticate: Bearer``), 403 (the role may not),
404, 409 (the case's state forbids it now), 422 (``{"detail": [{"loc", "msg", "type"}]}``
naming the field, like FastAPI's own validation errors), 429 (``Retry-After``), 503 (a part
foiflow needs is down). Bad input is never a 500.
"""

from __future__ import annotations

import re
from typing import Any, get_args

from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel

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
from services.identity import NotAuthenticated, RateLimited
from services.runtime import STORE_VALUE_ERRORS

# Most specific first: Conflict is a Rejected, CsrfRejected a Forbidden.
STATUS_OF: tuple[tuple[type[ServiceError], int], ...] = (
    (NotAuthenticated, 401),
    (RateLimited, 429),
    (CaseNotFound, 404),
    (NotFound, 404),
    (CaseClosed, 409),
    (Conflict, 409),
    (Forbidden, 403),
    (Unavailable, 503),
    (Rejected, 422),
    (ServiceError, 422),
)
UNAVAILABLE_RETRY_AFTER_S = 5


class Problem(BaseModel):
    """Every error but 422: what went wrong, in words."""

    detail: str


class FieldProblem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ValidationProblem(BaseModel):
    """422: each problem with where it is (``["body", "manager"]``, ``["query", "received"]``)."""

    detail: list[FieldProblem]


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI descriptions of the errors a route can return: ``responses=responses(401, 403)``."""
    described: dict[int, tuple[type[BaseModel], str]] = {
        401: (Problem, "Not authenticated: no token, or a wrong, expired or revoked one"),
        403: (Problem, "The caller's role may not do this"),
        404: (Problem, "No such record, or none the caller may know exists"),
        409: (Problem, "The current state forbids this now"),
        422: (ValidationProblem, "Invalid input; each problem names its field"),
        429: (Problem, "Too many failed logins; see Retry-After"),
        503: (Problem, "A part foiflow needs (Temporal) is unreachable"),
    }
    return {c: {"model": described[c][0], "description": described[c][1]} for c in codes}


def status_of(exc: ServiceError) -> int:
    return next(status for kind, status in STATUS_OF if isinstance(exc, kind))


def _param_locations(dependant: Dependant, found: dict[str, str]) -> dict[str, str]:
    for where, params in (
        ("path", dependant.path_params),
        ("query", dependant.query_params),
        ("header", dependant.header_params),
        ("cookie", dependant.cookie_params),
    ):
        for param in params:
            found.setdefault(param.name.lower(), where)
            found.setdefault(param.alias.lower(), where)
    for sub in dependant.dependencies:
        _param_locations(sub, found)
    return found


def _body_params(dependant: Dependant) -> list[tuple[str, object, bool]]:
    """The route's body parameters: name, annotation, and whether embedded under its name."""
    own = [
        (p.name, p.field_info.annotation, bool(getattr(p.field_info, "embed", False)))
        for p in dependant.body_params
    ]
    return [*own, *(p for d in dependant.dependencies for p in _body_params(d))]


def _is_the_body(dependant: Dependant, name: str) -> bool:
    """Whether ``name`` is the route's one body parameter, sent as the whole body (not embedded)
    and without a field of that name: a service naming its input (``answer.claims[0]``) means
    the body itself."""
    params = _body_params(dependant)
    if len(params) != 1:
        return False
    param, annotation, embedded = params[0]
    if param != name or embedded:
        return False
    models = [annotation, *get_args(annotation)]
    return not any(
        isinstance(m, type) and issubclass(m, BaseModel) and name in m.model_fields for m in models
    )


# The workflow's validators write list positions as ``claims[0]``, pydantic as ``claims.0``.
_INDEX = re.compile(r"\[(\d+)\]")


def field_loc(request: Request, field: str) -> list[str | int]:
    """``"claims.0.reason"`` or ``"claims[0].reason"`` → ``["body", "claims", 0, "reason"]``; a
    route's path, query or header parameter gets its own location, as in FastAPI's validation
    errors; ``"answer.kind"`` on a route whose whole body is its ``answer`` → ``["body", "kind"]``.
    """
    dotted = _INDEX.sub(r".\1", field)
    parts: list[str | int] = [int(p) if p.isdigit() else p for p in dotted.split(".") if p]
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return parts
    head = str(parts[0]).lower() if parts else ""
    where = _param_locations(route.dependant, {}).get(head)
    if where is not None:
        return [where, *parts]
    if not _body_params(route.dependant):
        return parts
    if parts and _is_the_body(route.dependant, str(parts[0])):
        parts = parts[1:]
    return ["body", *parts]


def service_error_response(request: Request, exc: ServiceError) -> JSONResponse:
    status = status_of(exc)
    headers: dict[str, str] = {}
    if status == 422:
        problem = FieldProblem(loc=field_loc(request, exc.field), msg=exc.reason, type="rejected")
        return JSONResponse({"detail": [problem.model_dump()]}, status_code=422)
    if isinstance(exc, NotAuthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    elif isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    elif isinstance(exc, Unavailable):
        headers["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER_S)
    return JSONResponse({"detail": str(exc)}, status_code=status, headers=headers)


async def _service_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    return service_error_response(request, exc)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # FastAPI's shape without "input" and "ctx": they would echo what was sent (a password, a
    # requester's address) back into responses and logs.
    problems = [
        FieldProblem(
            loc=[p if isinstance(p, int) else str(p) for p in e.get("loc", ())],
            msg=str(e.get("msg", "")),
            type=str(e.get("type", "")),
        ).model_dump()
        for e in exc.errors()
    ]
    return JSONResponse({"detail": problems}, status_code=422)


async def _unstorable(request: Request, exc: Exception) -> JSONResponse:
    problem = FieldProblem(
        loc=field_loc(request, ""),
        msg="a value cannot be stored: a number out of range, or characters the database "
        "refuses (such as NUL)",
        type="value_not_storable",
    )
    return JSONResponse({"detail": [problem.model_dump()]}, status_code=422)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    for kind in STORE_VALUE_ERRORS:
        app.add_exception_handler(kind, _unstorable)
