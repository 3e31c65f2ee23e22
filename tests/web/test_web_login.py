"""Logging in and out over the API: tokens, rate limits, expiry, revocation, page sessions."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi import FastAPI
from httpx import AsyncClient, Response

from services.identity import Principal
from services.runtime import Runtime
from settings import Settings
from statute.exemptions import Role
from store import identity as rows
from store.db import session_scope
from store.models import utcnow

from web_support import ADMIN, PASSWORD, ROLE_USERS, Headers, client_for, make_app

OFFICER = ROLE_USERS[Role.FOI_OFFICER]
CONTACT = ROLE_USERS[Role.UNIT_CONTACT]


async def login(client: AsyncClient, username: str, password: str = PASSWORD) -> Response:
    return await client.post("/api/token", data={"username": username, "password": password})


def bearer(token: str) -> Headers:
    return {"Authorization": f"Bearer {token}"}


async def test_a_password_login_gives_a_bearer_token_that_identifies_the_user(
    client: AsyncClient, with_passwords: Callable[..., None]
) -> None:
    with_passwords(OFFICER)
    response = await login(client, OFFICER)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["access_token"].startswith("foiflow_")
    assert 0 < body["expires_in"] <= 12 * 3600
    assert response.headers["cache-control"] == "no-store"
    me = await client.get("/api/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json() == {
        "id": OFFICER,
        "name": "Aisha Rahman",
        "email": "aisha.rahman@example.org",
        "roles": ["foi_officer"],
        "units": ["foi"],
    }


async def test_usernames_are_not_case_sensitive(
    client: AsyncClient, with_passwords: Callable[..., None]
) -> None:
    with_passwords(OFFICER)
    assert (await login(client, f"  {OFFICER.upper()} ")).status_code == 200


async def test_a_wrong_password_and_an_unknown_user_get_the_same_401(
    client: AsyncClient, with_passwords: Callable[..., None]
) -> None:
    with_passwords(OFFICER)
    wrong_password = await login(client, OFFICER, "not the password")
    unknown_user = await login(client, "no-such-person", PASSWORD)
    no_password_yet = await login(client, CONTACT, PASSWORD)  # in the directory, no password
    for response in (wrong_password, unknown_user, no_password_yet):
        assert response.status_code == 401
        assert response.json() == {"detail": "incorrect username or password"}
        assert response.headers["www-authenticate"] == "Bearer"


async def test_a_deactivated_user_can_neither_log_in_nor_use_a_token(
    client: AsyncClient, with_passwords: Callable[..., None], admin_headers: Headers
) -> None:
    with_passwords(OFFICER)
    token = (await login(client, OFFICER)).json()["access_token"]
    deactivate = await client.patch(
        f"/api/admin/users/{OFFICER}", json={"active": False}, headers=admin_headers
    )
    assert deactivate.status_code == 200, deactivate.text
    assert (await login(client, OFFICER)).status_code == 401
    me = await client.get("/api/me", headers=bearer(token))
    assert me.status_code == 401
    assert me.json() == {"detail": "the account is not active"}


async def test_a_missing_form_field_is_a_422_that_does_not_echo_the_password(
    client: AsyncClient,
) -> None:
    response = await client.post("/api/token", data={"password": "s3cret-Value-42"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "username"]
    assert "s3cret-Value-42" not in response.text


async def test_five_failures_lock_the_username_with_retry_after_even_for_the_right_password(
    client: AsyncClient, with_passwords: Callable[..., None]
) -> None:
    with_passwords(OFFICER, ADMIN)
    for _ in range(5):
        assert (await login(client, OFFICER, "wrong password")).status_code == 401
    locked = await login(client, OFFICER)
    assert locked.status_code == 429
    assert 0 < int(locked.headers["retry-after"]) <= 15 * 60
    assert "too many failed logins" in locked.json()["detail"]
    # The lock is on the username: another user at the same address still logs in.
    assert (await login(client, ADMIN)).status_code == 200


async def test_unknown_usernames_are_limited_like_real_ones(client: AsyncClient) -> None:
    for _ in range(5):
        assert (await login(client, "ghost", "guess")).status_code == 401
    assert (await login(client, "ghost", "guess")).status_code == 429


async def test_a_successful_login_clears_the_users_failures(
    client: AsyncClient, with_passwords: Callable[..., None]
) -> None:
    with_passwords(OFFICER)
    for _ in range(4):
        assert (await login(client, OFFICER, "wrong password")).status_code == 401
    assert (await login(client, OFFICER)).status_code == 200
    for _ in range(4):
        assert (await login(client, OFFICER, "wrong password")).status_code == 401
    assert (await login(client, OFFICER)).status_code == 200


async def test_failures_from_one_address_lock_that_address_only(
    settings: Settings, with_passwords: Callable[..., None]
) -> None:
    strict = settings.model_copy(update={"login_max_failures_per_address": 3})
    app = make_app(strict)
    app.state.runtime.identity.set_password(OFFICER, PASSWORD, "test")
    async with client_for(app, "198.51.100.1") as attacker, client_for(app, "192.0.2.9") as user:
        for name in ("a-one", "a-two", "a-three"):  # different names: no username is locked
            assert (await login(attacker, name, "guess")).status_code == 401
        refused = await login(attacker, OFFICER)
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) > 0
        assert (await login(user, OFFICER)).status_code == 200


async def test_an_expired_token_is_refused(client: AsyncClient, runtime: Runtime) -> None:
    now = utcnow()
    with session_scope(runtime.engine) as session:
        rows.add_token(
            session,
            hashlib.sha256(b"foiflow_expired-token").hexdigest(),
            OFFICER,
            "password",
            now - timedelta(hours=13),
            now - timedelta(hours=1),
        )
    response = await client.get("/api/me", headers=bearer("foiflow_expired-token"))
    assert response.status_code == 401
    assert response.json() == {"detail": "the token has expired; log in again"}
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "authorization",
    ["Bearer foiflow_made-up", "Bearer ", "Basic a2V2aW46cGFzcw==", "foiflow_no-scheme"],
)
async def test_a_malformed_or_unknown_credential_is_a_401(
    client: AsyncClient, authorization: str
) -> None:
    response = await client.get("/api/me", headers={"Authorization": authorization})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_a_revoked_token_stops_working_at_once(
    client: AsyncClient, tokens: dict[Role, str]
) -> None:
    token = tokens[Role.FOI_OFFICER]
    assert (await client.get("/api/me", headers=bearer(token))).status_code == 200
    revoke = await client.delete("/api/token", headers=bearer(token))
    assert revoke.status_code == 204
    after = await client.get("/api/me", headers=bearer(token))
    assert after.status_code == 401
    assert after.json() == {"detail": "the token was revoked; log in again"}
    assert (await client.delete("/api/token", headers=bearer(token))).status_code == 401
    # Other users' tokens are untouched.
    assert (await client.get("/api/me", headers=bearer(tokens[Role.ADMIN]))).status_code == 200


async def test_a_new_password_ends_the_users_tokens(
    client: AsyncClient, tokens: dict[Role, str], admin_headers: Headers
) -> None:
    token = tokens[Role.FOI_OFFICER]
    response = await client.put(
        f"/api/admin/users/{OFFICER}/password",
        json={"password": "a brand new passphrase"},
        headers=admin_headers,
    )
    assert response.status_code == 204, response.text
    assert (await client.get("/api/me", headers=bearer(token))).status_code == 401
    assert (await login(client, OFFICER, "a brand new passphrase")).status_code == 200


@pytest.mark.parametrize("role", list(ROLE_USERS))
async def test_me_names_each_roles_user_their_roles_and_units(
    client: AsyncClient, headers: Callable[[Role], Headers], role: Role
) -> None:
    response = await client.get("/api/me", headers=headers(role))
    assert response.status_code == 200
    me = response.json()
    assert me["id"] == ROLE_USERS[role]
    assert me["roles"] == [role.value]
    expected_units = {
        Role.UNIT_CONTACT: ["vawg"],
        Role.UNIT_MANAGER: ["vawg"],
        Role.FOI_OFFICER: ["foi"],
        Role.DATA_PROTECTION_OFFICER: ["foi"],
        Role.MANAGER: ["foi"],
    }
    assert me["units"] == expected_units.get(role, [])


async def test_roles_come_from_the_directory_at_each_request(
    client: AsyncClient, headers: Callable[[Role], Headers], admin_headers: Headers
) -> None:
    officer = headers(Role.FOI_OFFICER)
    promoted = await client.patch(
        f"/api/admin/users/{OFFICER}",
        json={"roles": ["foi_officer", "senior_officer"]},
        headers=admin_headers,
    )
    assert promoted.status_code == 200, promoted.text
    me = await client.get("/api/me", headers=officer)
    assert me.json()["roles"] == ["foi_officer", "senior_officer"]


# --- Page sessions ---------------------------------------------------------------------------


async def test_a_page_session_is_an_httponly_cookie_and_changes_need_its_csrf_token(
    app: FastAPI, with_passwords: Callable[..., None]
) -> None:
    with_passwords(OFFICER)
    async with client_for(app) as browser:
        response = await browser.post(
            "/api/session", data={"username": OFFICER, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("foiflow_session=")
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
        assert "Secure" not in cookie  # served on 127.0.0.1 over plain http in development
        csrf = response.json()["csrf_token"]

        me = await browser.get("/api/me")  # the cookie alone is enough to read
        assert me.status_code == 200 and me.json()["id"] == OFFICER

        refused = await browser.delete("/api/session")  # a change without the token
        assert refused.status_code == 403
        assert "CSRF" in refused.json()["detail"]
        wrong = await browser.delete("/api/session", headers={"X-CSRF-Token": "0" * 64})
        assert wrong.status_code == 403

        logout = await browser.delete("/api/session", headers={"X-CSRF-Token": csrf})
        assert logout.status_code == 204
        assert 'foiflow_session=""' in logout.headers["set-cookie"]
        browser.cookies.clear()
        browser.cookies.set("foiflow_session", response.cookies["foiflow_session"])
        after = await browser.get("/api/me")
        assert after.status_code == 401
        assert after.json() == {"detail": "the session was revoked; log in again"}


async def test_each_session_has_its_own_csrf_token(runtime: Runtime) -> None:
    first = runtime.identity.start_session(Principal(OFFICER, "password"))
    second = runtime.identity.start_session(Principal(OFFICER, "password"))
    assert first.csrf_token != second.csrf_token
    assert runtime.identity.csrf_token(first.session_id) == first.csrf_token
