"""The codec endpoint the Temporal Web UI calls (``/codec/decode``, ``/codec/encode``): payloads
from a real case's history decrypted for an FOI officer, refused to a unit contact, an approver
and anyone not signed in; CORS only for the Temporal UI's origin."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from google.protobuf.json_format import MessageToDict
from httpx import AsyncClient
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from services.identity import Principal
from services.runtime import Runtime
from settings import Settings
from statute.exemptions import Role

from case_driver import close_started_cases, start_seed
from web_support import ROLE_USERS, Headers

REQUESTER = {"name": "Ottoline Brackenbury", "email": "ottoline.b@example.net"}
UI_ORIGIN = "http://127.0.0.1:8233"  # the dev server's Web UI (FOIFLOW_TEMPORAL_UI_PORT)
JSON = {"Content-Type": "application/json"}


async def started_payloads(env: WorkflowEnvironment, worker: Worker) -> dict[str, Any]:
    """The input of a new case as Temporal stores it, in the protocol's JSON."""
    handle = await start_seed(
        env.client, worker.task_queue, await env.get_current_time(), requester=REQUESTER
    )
    history = await handle.fetch_history()
    stored = history.events[0].workflow_execution_started_event_attributes.input
    await close_started_cases()
    return MessageToDict(stored)


def data_of(body: dict[str, Any]) -> bytes:
    return b"".join(base64.b64decode(p.get("data", "")) for p in body["payloads"])


async def test_an_officer_reads_a_case_s_payloads_and_round_trips_them(
    env: WorkflowEnvironment,
    worker: Worker,
    client: AsyncClient,
    headers: Callable[[Role], Headers],
) -> None:
    sealed = await started_payloads(env, worker)
    assert REQUESTER["email"].encode() not in data_of(sealed)  # what the UI shows without it

    officer = {**headers(Role.FOI_OFFICER), **JSON, "X-Namespace": "default"}
    opened = await client.post("/codec/decode", json=sealed, headers=officer)
    assert opened.status_code == 200, opened.text
    assert REQUESTER["email"].encode() in data_of(opened.json())
    assert REQUESTER["name"].encode() in data_of(opened.json())

    resealed = await client.post("/codec/encode", json=opened.json(), headers=officer)
    assert resealed.status_code == 200, resealed.text
    assert REQUESTER["email"].encode() not in data_of(resealed.json())
    assert resealed.json() != sealed  # a fresh nonce every time
    again = await client.post("/codec/decode", json=resealed.json(), headers=officer)
    assert again.json() == opened.json()

    # An admin may too (the Temporal UI is an operator's tool).
    admin = {**headers(Role.ADMIN), **JSON}
    assert (await client.post("/codec/decode", json=sealed, headers=admin)).status_code == 200


async def test_only_officers_and_admins_get_payloads_decrypted(
    env: WorkflowEnvironment,
    worker: Worker,
    client: AsyncClient,
    headers: Callable[[Role], Headers],
) -> None:
    sealed = await started_payloads(env, worker)
    for role in (Role.UNIT_CONTACT, Role.SENIOR_OFFICER, Role.MANAGER):
        refused = await client.post("/codec/decode", json=sealed, headers={**headers(role), **JSON})
        assert refused.status_code == 403, (role, refused.text)
        assert refused.json() == {
            "detail": "only FOI officers and admins may see Temporal's payloads decrypted"
        }
        assert REQUESTER["email"] not in refused.text

    anonymous = await client.post("/codec/decode", json=sealed, headers=JSON)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"
    assert "sign in to foiflow as an FOI officer" in anonymous.json()["detail"]
    forged = await client.post(
        "/codec/decode", json=sealed, headers={"Authorization": "Bearer forged", **JSON}
    )
    assert forged.status_code == 401
    assert REQUESTER["email"] not in anonymous.text + forged.text


async def test_the_page_session_works_without_a_csrf_token(
    env: WorkflowEnvironment, worker: Worker, client: AsyncClient, runtime: Runtime
) -> None:
    # The Temporal UI sends the foiflow session cookie ("Include cross-origin credentials") but
    # cannot send foiflow's CSRF token: decoding changes nothing, so none is asked for.
    sealed = await started_payloads(env, worker)
    officer = runtime.identity.start_session(Principal(ROLE_USERS[Role.FOI_OFFICER], "password"))
    contact = runtime.identity.start_session(Principal(ROLE_USERS[Role.UNIT_CONTACT], "password"))
    for session, status in ((officer, 200), (contact, 403)):
        client.cookies.set("foiflow_session", session.session_id)
        answer = await client.post("/codec/decode", json=sealed, headers=JSON)
        assert answer.status_code == status, answer.text
    client.cookies.clear()


async def test_bad_requests_name_what_is_wrong(
    client: AsyncClient, headers: Callable[[Role], Headers], settings: Settings
) -> None:
    officer = headers(Role.FOI_OFFICER)
    plain = {"payloads": [{"metadata": {"encoding": "anNvbi9wbGFpbg=="}, "data": "MQ=="}]}

    # Not JSON: a browser would send it cross-origin without asking (no preflight).
    as_text = await client.post(
        "/codec/decode",
        content=b'{"payloads": []}',
        headers={**officer, "Content-Type": "text/plain"},
    )
    assert as_text.status_code == 422
    assert as_text.json()["detail"][0]["msg"] == "send the payloads as application/json"

    other = {**officer, **JSON, "X-Namespace": "someone-else"}
    wrong_namespace = await client.post("/codec/decode", json=plain, headers=other)
    assert wrong_namespace.status_code == 422
    assert wrong_namespace.json()["detail"][0] == {
        "loc": ["header", "X-Namespace"],
        "msg": f"this codec serves the namespace {settings.temporal_namespace!r} only",
        "type": "rejected",
    }

    shapeless = await client.post(
        "/codec/decode", json={"payload": []}, headers={**officer, **JSON}
    )
    assert shapeless.status_code == 422
    assert shapeless.json()["detail"][0]["loc"] == ["payloads"]

    # A plain payload (a case started before encryption) comes back as it was.
    same = await client.post("/codec/decode", json=plain, headers={**officer, **JSON})
    assert same.json() == plain
    empty = await client.post("/codec/decode", json={"payloads": []}, headers={**officer, **JSON})
    assert empty.json() == {"payloads": []}

    assert (await client.get("/codec/decode", headers=officer)).status_code == 405


async def test_cors_answers_only_the_temporal_ui_and_only_on_the_codec(
    client: AsyncClient, headers: Callable[[Role], Headers]
) -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-namespace",
    }
    allowed = await client.options("/codec/decode", headers={"Origin": UI_ORIGIN, **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == UI_ORIGIN
    assert allowed.headers["access-control-allow-credentials"] == "true"
    assert "x-namespace" in allowed.headers["access-control-allow-headers"].lower()

    elsewhere = await client.options(
        "/codec/decode", headers={"Origin": "https://attacker.example", **preflight}
    )
    assert elsewhere.status_code == 400
    assert "access-control-allow-origin" not in elsewhere.headers

    empty = {"payloads": []}
    answer = await client.post(
        "/codec/decode", json=empty, headers={"Origin": UI_ORIGIN, **headers(Role.FOI_OFFICER)}
    )
    assert answer.headers["access-control-allow-origin"] == UI_ORIGIN

    # Nothing else in the app answers cross-origin requests.
    api = await client.options("/api/token", headers={"Origin": UI_ORIGIN, **preflight})
    assert "access-control-allow-origin" not in api.headers
