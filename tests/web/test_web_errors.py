"""Service errors as HTTP, in one place: each typed error's status, body and headers, the field
location of a 422, and a clean 503 while Temporal is unreachable."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Annotated

import pytest
from fastapi import APIRouter, FastAPI, Header, Query
from httpx import AsyncClient
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
from services.identity import CsrfRejected, NotAuthenticated, Principal, RateLimited
from settings import Settings
from web.api.deps import ServiceContextDep

from store_test_db import drop_pg_database, ensure_postgres, new_pg_database
from web_support import Headers, client_for, make_app, seeded_store


class Claim(BaseModel):
    reason: str = ""


class AnswerIn(BaseModel):
    claims: list[Claim] = []


ERRORS: dict[str, ServiceError] = {
    "not-authenticated": NotAuthenticated("the token has expired; log in again"),
    "rate-limited": RateLimited("too many failed logins; try again in 2 minutes", 120),
    "case-not-found": CaseNotFound("01.FOI.23.000001"),
    "not-found": NotFound("no unit 'x'", "unit_id"),
    "case-closed": CaseClosed("01.FOI.23.000001"),
    "conflict": Conflict("the case is under sign-off", "status"),
    "forbidden": Forbidden("unit contacts answer only their own units' questions"),
    "csrf": CsrfRejected("the CSRF token is missing or wrong", "csrf_token"),
    "unavailable": Unavailable("Temporal at 127.0.0.1:7233 is unreachable"),
    "rejected": Rejected("a qualified exemption needs public interest factors", "claims.0.reason"),
    "plain": ServiceError("something about the input"),
}


@pytest.fixture
def probe_app(settings: Settings) -> FastAPI:
    """The real app plus routes that raise each service error, the way case routes will."""
    app = make_app(settings)
    router = APIRouter()

    @router.post("/probe/{reference}/{kind}")
    def raise_it(
        reference: str,
        kind: str,
        body: AnswerIn,
        unit: Annotated[str, Query()] = "",
        idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
    ) -> None:
        raise ERRORS[kind]

    app.include_router(router, prefix="/api")
    return app


@pytest.fixture
async def probe(probe_app: FastAPI) -> AsyncIterator[AsyncClient]:
    async with client_for(probe_app) as c:
        yield c


@pytest.mark.parametrize(
    ("kind", "status", "detail", "header"),
    [
        (
            "not-authenticated",
            401,
            "the token has expired; log in again",
            ("www-authenticate", "Bearer"),
        ),
        (
            "rate-limited",
            429,
            "too many failed logins; try again in 2 minutes",
            ("retry-after", "120"),
        ),
        ("case-not-found", 404, "reference: no such case", None),
        ("not-found", 404, "unit_id: no unit 'x'", None),
        (
            "case-closed",
            409,
            "reference: case 01.FOI.23.000001 is closed; closed cases cannot change",
            None,
        ),
        ("conflict", 409, "status: the case is under sign-off", None),
        ("forbidden", 403, "unit contacts answer only their own units' questions", None),
        ("csrf", 403, "csrf_token: the CSRF token is missing or wrong", None),
        ("unavailable", 503, "Temporal at 127.0.0.1:7233 is unreachable", ("retry-after", "5")),
    ],
)
async def test_each_service_error_has_its_status_and_a_json_detail(
    probe: AsyncClient, kind: str, status: int, detail: str, header: tuple[str, str] | None
) -> None:
    response = await probe.post(f"/api/probe/REF/{kind}", json={})
    assert response.status_code == status
    assert response.json() == {"detail": detail}
    if header is not None:
        assert response.headers[header[0]] == header[1]


@pytest.mark.parametrize(
    ("error", "loc"),
    [
        (
            Rejected("needs public interest factors", "claims.0.reason"),
            ["body", "claims", 0, "reason"],
        ),
        (Rejected("no such unit", "unit"), ["query", "unit"]),
        (Rejected("not a reference", "reference"), ["path", "reference"]),
        (Rejected("used for another request", "Idempotency-Key"), ["header", "Idempotency-Key"]),
        (Rejected("the whole request is wrong"), ["body"]),
        (ServiceError("something about the input"), ["body"]),
    ],
)
async def test_a_rejection_is_a_422_whose_loc_names_where_the_field_is(
    probe: AsyncClient, monkeypatch: pytest.MonkeyPatch, error: ServiceError, loc: list[str | int]
) -> None:
    monkeypatch.setitem(ERRORS, "dynamic", error)
    response = await probe.post("/api/probe/REF/dynamic", json={})
    assert response.status_code == 422
    assert response.json() == {"detail": [{"loc": loc, "msg": error.reason, "type": "rejected"}]}


async def test_a_workflow_validators_message_arrives_word_for_word(
    probe: AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    message = "answer: s31 is prejudice-based: state the prejudice and its likelihood"
    monkeypatch.setitem(ERRORS, "dynamic", Rejected.from_message(message))
    response = await probe.post("/api/probe/REF/dynamic", json={})
    assert response.json()["detail"][0] == {
        "loc": ["body", "answer"],
        "msg": "s31 is prejudice-based: state the prejudice and its likelihood",
        "type": "rejected",
    }


async def test_malformed_json_is_a_422_not_a_500(probe: AsyncClient) -> None:
    response = await probe.post(
        "/api/probe/REF/plain", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] == "body"


async def test_without_temporal_a_case_route_is_a_clean_503_and_the_rest_still_works(
    settings: Settings,
) -> None:
    # Temporal is dialled (settings point at a closed port) and refuses: the app still serves.
    app = make_app(settings, connect_temporal=True)
    token = app.state.runtime.identity.issue_token(Principal("aisha-rahman", "password"))
    auth: Headers = {"Authorization": f"Bearer {token.access_token}"}
    router = APIRouter()

    @router.get("/api/probe/needs-temporal")
    async def needs_temporal(ctx: ServiceContextDep) -> dict[str, str]:
        return {"actor": ctx.actor.user_id if ctx.actor else ""}

    app.include_router(router)
    async with client_for(app) as client:
        response = await client.get("/api/probe/needs-temporal", headers=auth)
        assert response.status_code == 503
        assert response.json() == {
            "detail": "Temporal at 127.0.0.1:1 is unreachable; case actions are unavailable until "
            "it is back (reference data and deadlines still work)"
        }
        assert response.headers["retry-after"] == "5"
        assert (await client.get("/api/me", headers=auth)).status_code == 200
        assert (
            await client.get("/api/deadline", params={"received": "2025-03-03"})
        ).status_code == 200
        health = (await client.get("/api/health")).json()
        assert health == {"status": "ok", "temporal": "unreachable"}


# --- Values the database cannot hold are bad input, not a server error -------------------------


@pytest.fixture
def pg_settings(tmp_path: Path) -> Iterator[Settings]:
    error = ensure_postgres()
    if error is not None:
        pytest.skip(f"!!! POSTGRESQL UNREACHABLE — the API on PostgreSQL SKIPPED !!! ({error})")
    url = new_pg_database("foiflow_web")
    try:
        seeded_store(url)
        yield Settings(data_dir=tmp_path, database_url=url, temporal_address="127.0.0.1:1")
    finally:
        drop_pg_database(url)


async def test_on_postgresql_a_nul_character_is_a_422(pg_settings: Settings) -> None:
    app = make_app(pg_settings)
    token = app.state.runtime.identity.issue_token(Principal("kevin-ashworth", "password"))
    admin: Headers = {"Authorization": f"Bearer {token.access_token}"}
    async with client_for(app) as client:
        unit = {"id": "nul", "name": "Nul\u0000unit"}
        response = await client.post("/api/admin/units", json=unit, headers=admin)
        assert response.status_code == 422, response.text
        assert response.json()["detail"][0]["loc"] == ["body"]
        assert "NUL" in response.json()["detail"][0]["msg"]
        login = await client.post("/api/token", data={"username": "a\u0000b", "password": "x"})
        assert login.status_code == 401
        assert (await client.get("/api/admin/units", headers=admin)).status_code == 200


async def test_numbers_out_of_range_are_refused_naming_the_field(
    client: AsyncClient, admin_headers: Headers
) -> None:
    too_big = {"phrase": "stalking", "unit": "vawg", "priority": 2**70}
    created = await client.post("/api/admin/routing-rules", json=too_big, headers=admin_headers)
    assert created.status_code == 422
    assert created.json()["detail"][0]["loc"] == ["body", "priority"]
    patched = await client.patch(
        "/api/admin/routing-rules/1", json={"priority": 2**70}, headers=admin_headers
    )
    assert patched.status_code == 422
    assert patched.json()["detail"][0]["loc"] == ["body", "priority"]
    current = (await client.get("/api/admin/settings", headers=admin_headers)).json()
    infinite = json.dumps({**current, "cost_limit_hours": float("inf")}).encode()
    response = await client.put(
        "/api/admin/settings",
        content=infinite,
        headers={**admin_headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "cost_limit_hours"]
