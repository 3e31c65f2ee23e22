"""Reference-data administration over the API: who may, what is refused and why, the audit
log, idempotency keys, and password hashes never leaving the server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import select
from sqlmodel import col

from services.runtime import Runtime
from statute.exemptions import Role
from store.db import session_scope
from store.models import REF_DATA_KEY, AuditRow, CalendarVersionRow, CredentialRow

from web_support import ADMIN, PASSWORD, ROLE_USERS, Headers

NEW_UNIT = {"id": "fraud", "name": "Economic crime unit", "manager": None, "email": None}
NEW_USER = {
    "id": "nadia-khan",
    "name": "Nadia Khan",
    "email": "nadia.khan@example.org",
    "roles": ["unit_contact"],
    "units": ["vawg"],
}
NEW_RULE = {"phrase": "stalking", "unit": "vawg", "priority": 30}
HOLIDAY = {"date": "2026-06-15", "division": "scotland", "reason": "Extra bank holiday"}

# Every admin route, with a body that succeeds for an admin on the demo store.
ADMIN_ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/api/admin/units", None),
    ("POST", "/api/admin/units", NEW_UNIT),
    ("PATCH", "/api/admin/units/vawg", {"name": "VAWG unit"}),
    ("GET", "/api/admin/users", None),
    ("POST", "/api/admin/users", NEW_USER),
    ("PATCH", "/api/admin/users/tom-oduya", {"units": ["vawg", "hate-crime"]}),
    ("PUT", "/api/admin/users/tom-oduya/password", {"password": "long enough passphrase"}),
    ("GET", "/api/admin/routing-rules", None),
    ("POST", "/api/admin/routing-rules", NEW_RULE),
    ("PATCH", "/api/admin/routing-rules/1", {"priority": 5}),
    ("GET", "/api/admin/settings", None),
    ("GET", "/api/admin/sign-off-policy", None),
    ("PUT", "/api/admin/sign-off-policy/43", {"role": "data_protection_officer"}),
    ("GET", "/api/admin/calendars", None),
    ("POST", "/api/admin/calendars/holidays", HOLIDAY),
]


async def call(
    client: AsyncClient, method: str, path: str, body: Any, headers: Headers | None = None
) -> Any:
    return await client.request(method, path, json=body, headers=headers)


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ROUTES)
async def test_only_admins_administer_reference_data(
    client: AsyncClient,
    headers: Callable[[Role], Headers],
    runtime: Runtime,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    before = audit_count(runtime)
    assert (await call(client, method, path, body)).status_code == 401
    for role in ROLE_USERS:
        if role is Role.ADMIN:
            continue
        refused = await call(client, method, path, body, headers(role))
        assert refused.status_code == 403, (role, refused.text)
        assert refused.json() == {"detail": f"this needs the admin role; you have {role.value}"}
    assert audit_count(runtime) == before  # nothing was changed by a refused request
    allowed = await call(client, method, path, body, headers(Role.ADMIN))
    assert allowed.status_code in (200, 201, 204), allowed.text
    if method != "GET":
        assert audit_count(runtime) > before


async def test_settings_round_trip_through_put(
    client: AsyncClient, admin_headers: Headers, runtime: Runtime
) -> None:
    current = (await client.get("/api/admin/settings", headers=admin_headers)).json()
    assert current["name"] == "Metropolitan Police Service"
    changed = {**current, "task_working_days": 8}
    response = await client.put("/api/admin/settings", json=changed, headers=admin_headers)
    assert response.status_code == 200, response.text
    assert response.json()["task_working_days"] == 8
    assert audit_texts(runtime)[-1] == (
        "kevin-ashworth",
        "setting.updated",
        "task_working_days: 10 → 8",
    )


# --- Refusals that name the field ----------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "loc"),
    [
        ("POST", "/api/admin/units", {**NEW_UNIT, "id": "Not A Slug"}, 422, ["body", "id"]),
        ("POST", "/api/admin/units", {**NEW_UNIT, "manager": "nobody"}, 422, ["body", "manager"]),
        (
            "POST",
            "/api/admin/units",
            {**NEW_UNIT, "manager": "tom-oduya"},
            422,
            ["body", "manager"],
        ),
        ("POST", "/api/admin/units", {**NEW_UNIT, "manger": "x"}, 422, ["body", "manger"]),
        ("POST", "/api/admin/units", {**NEW_UNIT, "id": "vawg"}, 409, None),
        ("PATCH", "/api/admin/units/nowhere", {"name": "X"}, 404, None),
        ("PATCH", "/api/admin/units/vawg", {"name": ""}, 422, ["body", "name"]),
        ("PATCH", "/api/admin/units/vawg", {"name": None}, 422, ["body", "name"]),
        ("POST", "/api/admin/users", {**NEW_USER, "email": "nope"}, 422, ["body", "email"]),
        ("POST", "/api/admin/users", {**NEW_USER, "roles": ["pope"]}, 422, ["body", "roles", 0]),
        (
            "POST",
            "/api/admin/users",
            {**NEW_USER, "units": ["vawg", "atlantis"]},
            422,
            ["body", "units", 1],
        ),
        ("POST", "/api/admin/users", {**NEW_USER, "id": "tom-oduya"}, 409, None),
        ("PATCH", "/api/admin/users/nobody", {"name": "X"}, 404, None),
        ("PATCH", "/api/admin/users/helen-marsh", {"roles": []}, 422, ["body"]),
        ("PATCH", f"/api/admin/users/{ADMIN}", {"active": False}, 422, ["body"]),
        (
            "PUT",
            "/api/admin/users/tom-oduya/password",
            {"password": "short"},
            422,
            ["body", "password"],
        ),
        ("PUT", "/api/admin/users/nobody/password", {"password": "long enough pass"}, 404, None),
        (
            "POST",
            "/api/admin/routing-rules",
            {**NEW_RULE, "unit": "atlantis"},
            422,
            ["body", "unit"],
        ),
        ("POST", "/api/admin/routing-rules", {**NEW_RULE, "phrase": "VAWG"}, 409, None),
        ("POST", "/api/admin/routing-rules", {**NEW_RULE, "phrase": "x"}, 422, ["body", "phrase"]),
        ("PATCH", "/api/admin/routing-rules/999", {"priority": 1}, 404, None),
        ("PATCH", "/api/admin/routing-rules/0", {"priority": 1}, 422, ["path", "rule_id"]),
        ("PUT", "/api/admin/sign-off-policy/36", {"role": "senior_officer"}, 422, ["body", "role"]),
        (
            "PUT",
            "/api/admin/sign-off-policy/99",
            {"role": "senior_officer"},
            422,
            ["path", "section"],
        ),
        (
            "POST",
            "/api/admin/calendars/holidays",
            {**HOLIDAY, "division": "wales"},
            422,
            ["body", "division"],
        ),
        (
            "POST",
            "/api/admin/calendars/holidays",
            {**HOLIDAY, "date": "2026-02-30"},
            422,
            ["body", "date"],
        ),
        (
            "POST",
            "/api/admin/calendars/holidays",
            {**HOLIDAY, "date": 1781481600},
            422,
            ["body", "date"],
        ),
        (
            "POST",
            "/api/admin/calendars/holidays",
            {**HOLIDAY, "date": "2050-01-03"},
            422,
            ["body", "date"],
        ),
        ("POST", "/api/admin/calendars/holidays", {**HOLIDAY, "date": "2026-12-25"}, 409, None),
        (
            "POST",
            "/api/admin/calendars/holidays",
            {**HOLIDAY, "reason": ""},
            422,
            ["body", "reason"],
        ),
    ],
)
async def test_bad_reference_data_is_refused_naming_the_field(
    client: AsyncClient,
    admin_headers: Headers,
    runtime: Runtime,
    method: str,
    path: str,
    body: dict[str, Any],
    status: int,
    loc: list[str | int] | None,
) -> None:
    before = audit_count(runtime)
    response = await call(client, method, path, body, admin_headers)
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    if loc is None:
        assert isinstance(detail, str) and detail
    else:
        assert detail[0]["loc"] == loc, detail
        assert detail[0]["msg"]
    assert audit_count(runtime) == before


async def test_settings_refuse_a_bad_value_naming_the_field(
    client: AsyncClient, admin_headers: Headers
) -> None:
    current = (await client.get("/api/admin/settings", headers=admin_headers)).json()
    for change, loc in (
        ({"force_code": "0 1"}, ["body", "force_code"]),
        ({"time_zone": "Mars/Olympus"}, ["body", "time_zone"]),
        (
            {"reminders": {**current["reminders"], "send_hour": "nine"}},
            ["body", "reminders", "send_hour"],
        ),
        ({"reference_pattern": "{force}-{nope}"}, ["body", "reference_pattern"]),
    ):
        response = await client.put(
            "/api/admin/settings", json={**current, **change}, headers=admin_headers
        )
        assert response.status_code == 422, change
        assert response.json()["detail"][0]["loc"] == loc


# --- The audit log ----------------------------------------------------------------------------


def audit_count(runtime: Runtime) -> int:
    return len(audit_texts(runtime))


def audit_texts(runtime: Runtime) -> list[tuple[str, str, str]]:
    with session_scope(runtime.engine) as session:
        entries = session.scalars(
            select(AuditRow).where(col(AuditRow.chain) == REF_DATA_KEY).order_by(col(AuditRow.seq))
        )
        return [(e.actor, e.kind, e.text) for e in entries]


async def test_every_change_is_audited_under_the_admins_name(
    client: AsyncClient, admin_headers: Headers, runtime: Runtime
) -> None:
    await client.post("/api/admin/units", json=NEW_UNIT, headers=admin_headers)
    await client.post("/api/admin/users", json=NEW_USER, headers=admin_headers)
    await client.patch(
        "/api/admin/users/nadia-khan", json={"units": ["fraud"]}, headers=admin_headers
    )
    await client.post("/api/admin/routing-rules", json=NEW_RULE, headers=admin_headers)
    await client.put(
        "/api/admin/users/nadia-khan/password",
        json={"password": "long enough passphrase"},
        headers=admin_headers,
    )
    await client.post("/api/admin/calendars/holidays", json=HOLIDAY, headers=admin_headers)
    logged = audit_texts(runtime)[-6:]
    assert [(actor, kind) for actor, kind, _ in logged] == [
        (ADMIN, "unit.added"),
        (ADMIN, "user.added"),
        (ADMIN, "user.updated"),
        (ADMIN, "rule.added"),
        (ADMIN, "user.password_set"),
        (ADMIN, "calendar.saved"),
    ]
    assert "units: ['vawg'] → ['fraud']" in logged[2][2]
    assert "long enough passphrase" not in str(logged)


async def test_a_holiday_makes_a_new_calendar_version_and_says_cases_were_not_told(
    client: AsyncClient, admin_headers: Headers
) -> None:
    response = await client.post(
        "/api/admin/calendars/holidays", json=HOLIDAY, headers=admin_headers
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["version"] == 2
    assert body["changes"] == ["15 Jun 2026 added (Scotland: Extra bank holiday)"]
    assert body["moves_deadlines"] is True
    assert body["running_cases_told"] is False and body["cases_signalled"] is None
    assert "foiflow calendar notify --version 2" in body["notice"]
    versions = (await client.get("/api/admin/calendars", headers=admin_headers)).json()
    assert [(v["version"], v["latest"]) for v in versions] == [(1, False), (2, True)]
    assert versions[1]["proclaimed"] == ["2026-06-15 Scotland: Extra bank holiday"]
    # FOISA deadlines skip it now: received 1 Jun 2026 was due 29 Jun, now 30 Jun.
    due = await client.get("/api/deadline", params={"regime": "foisa", "received": "2026-06-01"})
    assert due.json()["due_date"] == "2026-06-30"


# --- Idempotency keys -------------------------------------------------------------------------


async def test_a_repeated_idempotency_key_returns_the_same_result_with_no_second_effect(
    client: AsyncClient, admin_headers: Headers, runtime: Runtime
) -> None:
    keyed = {**admin_headers, "Idempotency-Key": "create-fraud-unit-1"}
    first = await client.post("/api/admin/units", json=NEW_UNIT, headers=keyed)
    count = audit_count(runtime)
    again = await client.post("/api/admin/units", json=NEW_UNIT, headers=keyed)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert audit_count(runtime) == count  # no second effect
    # Without the key, the same request is a new one, refused because the unit exists.
    assert (
        await client.post("/api/admin/units", json=NEW_UNIT, headers=admin_headers)
    ).status_code == 409


async def test_an_idempotency_key_reused_for_a_different_request_is_refused(
    client: AsyncClient, admin_headers: Headers
) -> None:
    keyed = {**admin_headers, "Idempotency-Key": "k-1"}
    assert (await client.post("/api/admin/units", json=NEW_UNIT, headers=keyed)).status_code == 201
    other = await client.post("/api/admin/units", json={**NEW_UNIT, "id": "other"}, headers=keyed)
    assert other.status_code == 422
    assert other.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    spaced = {**admin_headers, "Idempotency-Key": "has spaces"}
    bad = await client.post("/api/admin/units", json=NEW_UNIT, headers=spaced)
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]


async def test_a_failed_request_is_not_stored_under_its_key(
    client: AsyncClient, admin_headers: Headers
) -> None:
    keyed = {**admin_headers, "Idempotency-Key": "k-2"}
    refused = await client.post(
        "/api/admin/units", json={**NEW_UNIT, "manager": "x"}, headers=keyed
    )
    assert refused.status_code == 422
    fixed = await client.post("/api/admin/units", json={**NEW_UNIT, "manager": "x"}, headers=keyed)
    assert fixed.status_code == 422  # repeated: refused the same way, not a stored 422


async def test_a_repeated_holiday_key_adds_one_calendar_version(
    client: AsyncClient, admin_headers: Headers, runtime: Runtime
) -> None:
    keyed = {**admin_headers, "Idempotency-Key": "holiday-2026-06-15"}
    first = await client.post("/api/admin/calendars/holidays", json=HOLIDAY, headers=keyed)
    again = await client.post("/api/admin/calendars/holidays", json=HOLIDAY, headers=keyed)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    with session_scope(runtime.engine) as session:
        versions = session.scalars(select(col(CalendarVersionRow.version))).all()
    assert sorted(versions) == [1, 2]


# --- Password hashes never leave the server ---------------------------------------------------


async def test_no_response_carries_a_password_hash(
    client: AsyncClient, runtime: Runtime, with_passwords: Callable[..., None]
) -> None:
    with_passwords(*ROLE_USERS.values())
    with session_scope(runtime.engine) as session:
        hashes = [c.password_hash for c in session.scalars(select(CredentialRow))]
    assert len(hashes) == len(ROLE_USERS)
    texts, tokens = [], {}
    for role, user in ROLE_USERS.items():
        login = await client.post("/api/token", data={"username": user, "password": PASSWORD})
        assert login.status_code == 200
        tokens[role] = {"Authorization": f"Bearer {login.json()['access_token']}"}
        texts.append(login.text)
        texts.append((await client.get("/api/me", headers=tokens[role])).text)
    for method, path, body in ADMIN_ROUTES:
        response = await call(client, method, path, body, tokens[Role.ADMIN])
        assert response.status_code < 300, (path, response.text)
        texts.append(response.text)
    texts.append((await client.get("/openapi.json")).text)
    users = (await client.get("/api/admin/users", headers=tokens[Role.ADMIN])).json()
    assert all(u["has_password"] for u in users if u["id"] in ROLE_USERS.values())
    assert not any(key in u for u in users for key in ("password", "password_hash"))
    everything = "\n".join(texts)
    assert "$argon2" not in everything
    for password_hash in hashes:
        assert password_hash not in everything
        assert password_hash.rsplit("$", 1)[-1] not in everything  # not even the digest
