"""Each regime through the API (time-skipping server, the session's worker and store): an EIR
case's exceptions signed off at ``/sign-offs/12(5)(a)`` and refused under reg 14, and
``POST /refuse-vexatious`` for FOIA (not the EIR)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import yaml
from fastapi import FastAPI
from httpx import AsyncClient
from temporalio.testing import WorkflowEnvironment

from services.context import ServiceContext
from services.identity import Principal
from services.runtime import Runtime
from statute.exemptions import Role

from web_support import ROLE_USERS, Headers

SEED_CASE = Path(__file__).resolve().parents[2] / "cli" / "demo" / "seed_case.yaml"
Settled = Callable[[ServiceContext, str], Awaitable[None]]
EIR_ANSWER: dict[str, Any] = {
    "kind": "exempt",
    "claims": [
        {
            "section": "12(5)(a)",
            "applies_to": "the organisations on the panels",
            "reason": "Publishing the membership would expose the groups to targeting.",
            "prejudice": "public safety",
            "likelihood": "would",
            "public_interest_for": ["Transparency"],
            "public_interest_against": ["Members have been targeted"],
        }
    ],
}


@pytest.fixture
def as_user(case_app: FastAPI) -> Callable[[str], Headers]:
    rt: Runtime = case_app.state.runtime

    def headers(user: str) -> Headers:
        token = rt.identity.issue_token(Principal(user, "password")).access_token
        return {"Authorization": f"Bearer {token}"}

    return headers


async def start(api: AsyncClient, officer: Headers, received: str, **changes: Any) -> str:
    document: dict[str, Any] = yaml.safe_load(SEED_CASE.read_text())
    document.pop("reference")
    document.update(received_at=received, **changes)
    started = await api.post("/api/cases", json=document, headers=officer)
    assert started.status_code == 201, started.text
    reference: str = started.json()["reference"]
    return reference


async def test_an_eir_case_through_the_api(
    env: WorkflowEnvironment,
    api: AsyncClient,
    as_user: Callable[[str], Headers],
    system: ServiceContext,
    settled: Settled,
) -> None:
    officer = as_user(ROLE_USERS[Role.FOI_OFFICER])
    received = (await env.get_current_time()).isoformat()
    ref = await start(api, officer, received, regime="eir")
    await api.post(f"/api/cases/{ref}/routes", json={"accept_suggestions": True}, headers=officer)
    await settled(system, ref)
    actions = (await api.get(f"/api/cases/{ref}", headers=officer)).json()["actions"]
    assert "refuse_vexatious" not in [a["action"] for a in actions]  # no s14 under the EIR

    contacts = {"tom-oduya": (1, 2, 3), "priya-nair": (4, 5), "gareth-evans": (6, 7)}
    wrong = await api.post(
        f"/api/cases/{ref}/questions/4/answer",
        json={**EIR_ANSWER, "claims": [{**EIR_ANSWER["claims"][0], "section": "31"}]},
        headers=as_user("priya-nair"),
    )
    assert wrong.status_code == 422
    problem = wrong.json()["detail"][0]
    assert problem["loc"][-1] == "section"
    assert "claim from the EIR catalogue" in problem["msg"]
    for user, questions in contacts.items():
        for q in questions:
            answer = EIR_ANSWER if q >= 4 else {"kind": "not_held", "searches": "panel files"}
            done = await api.post(
                f"/api/cases/{ref}/questions/{q}/answer", json=answer, headers=as_user(user)
            )
            assert done.status_code == 200, done.text

    senior = as_user(ROLE_USERS[Role.SENIOR_OFFICER])
    signed = await api.post(
        f"/api/cases/{ref}/sign-offs/{quote('12(5)(a)', safe='')}",
        json={"approve": True},
        headers=senior,
    )
    assert signed.status_code == 200, signed.text
    assert signed.json()["status"] == "response_review"
    letter = await api.get(f"/api/cases/{ref}/letter", headers=officer)
    assert "Refusal Notice under Regulation 14 of the Environmental Information" in letter.text
    assert "Regulation 12(5)(a) – International relations" in letter.text

    refused = await api.post(
        f"/api/cases/{ref}/refuse-vexatious", json={"reason": "again"}, headers=officer
    )
    assert refused.status_code == 409  # composed already: the status refuses it first
    await api.post(f"/api/cases/{ref}/withdraw", json={"reason": "done"}, headers=officer)


async def test_refuse_vexatious_through_the_api(
    env: WorkflowEnvironment,
    api: AsyncClient,
    as_user: Callable[[str], Headers],
    system: ServiceContext,
    settled: Settled,
) -> None:
    officer = as_user(ROLE_USERS[Role.FOI_OFFICER])
    received = (await env.get_current_time()).isoformat()
    ref = await start(api, officer, received, request_text="1. The same panel's minutes again.")
    await settled(system, ref)
    actions = (await api.get(f"/api/cases/{ref}", headers=officer)).json()["actions"]
    assert {"action": "refuse_vexatious", "label": "Refuse as vexatious or repeated"} in actions

    bad = await api.post(
        f"/api/cases/{ref}/refuse-vexatious",
        json={"reason": "again", "limb": "14(3)"},
        headers=officer,
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "limb"
    forbidden = await api.post(
        f"/api/cases/{ref}/refuse-vexatious",
        json={"reason": "again"},
        headers=as_user(ROLE_USERS[Role.MANAGER]),
    )
    # A role the transition table never allows: 403, as for every case action.
    assert forbidden.status_code == 403
    assert forbidden.json()["detail"] == (
        "actor: olivia-grant is not a foi_officer and cannot refuse requests as vexatious or "
        "repeated"
    )
    done = await api.post(
        f"/api/cases/{ref}/refuse-vexatious",
        json={"limb": "14(2)", "reason": "Identical to last month's request, answered in full."},
        headers=officer,
    )
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["status"] == "response_review"
    assert body["response"]["outcome"] == "refused_vexatious"
    assert body["response"]["vexatious"]["limb"] == "14(2)"
    await api.post(f"/api/cases/{ref}/withdraw", json={"reason": "done"}, headers=officer)
