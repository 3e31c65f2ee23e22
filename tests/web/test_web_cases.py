"""The seed case (01.FOI.23.031576's shape) from intake to issue through the API alone, on the
time-skipping server with the session's worker and store."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

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

ROOT = Path(__file__).resolve().parents[2]
SEED_CASE = ROOT / "cli" / "demo" / "seed_case.yaml"
EXEMPT = yaml.safe_load((ROOT / "cli" / "demo" / "answer-exempt.yaml").read_text())
Settled = Callable[[ServiceContext, str], Awaitable[None]]


@pytest.fixture
def as_role(case_app: FastAPI) -> Callable[[Role], Headers]:
    rt: Runtime = case_app.state.runtime
    tokens = {
        role: rt.identity.issue_token(Principal(user, "password")).access_token
        for role, user in ROLE_USERS.items()
    }
    return lambda role: {"Authorization": f"Bearer {tokens[role]}"}


def seed_request(received_at: str, **changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(SEED_CASE.read_text())
    document.pop("reference")
    document["received_at"] = received_at
    document.update(changes)
    return document


async def test_the_seed_case_from_intake_to_issue_through_the_api(
    env: WorkflowEnvironment,
    api: AsyncClient,
    as_role: Callable[[Role], Headers],
    system: ServiceContext,
    settled: Settled,
) -> None:
    officer = as_role(Role.FOI_OFFICER)
    received = (await env.get_current_time()).isoformat()
    started = await api.post("/api/cases", json=seed_request(received), headers=officer)
    assert started.status_code == 201, started.text
    ref = started.json()["reference"]
    again = await api.post("/api/cases", json=seed_request(received), headers=officer)
    assert again.status_code == 200 and again.json() == {**started.json(), "existing": True}

    case = (await api.get(f"/api/cases/{ref}", headers=officer)).json()
    assert case["status"] == "triage" and len(case["questions"]) == 7
    assert case["requester"]["name"] == "A. Requester"
    assert {"action": "route", "label": "Route questions"} in case["actions"]

    routed = await api.post(
        f"/api/cases/{ref}/routes", json={"accept_suggestions": True}, headers=officer
    )
    assert routed.status_code == 200, routed.text
    assert routed.json()["status"] == "in_progress"
    await settled(system, ref)

    # A unit contact sees their tasks, never who asked.
    vawg = as_role(Role.UNIT_CONTACT)  # tom-oduya: vawg
    tasks = (await api.get("/api/tasks", headers=vawg)).json()
    assert {t["question"] for t in tasks if t["reference"] == ref} == {1, 2, 3}
    seen = await api.get(f"/api/cases/{ref}", headers=vawg)
    assert seen.status_code == 200 and seen.json()["requester"] is None
    assert "requester@example.org" not in seen.text and "A. Requester" not in seen.text

    wrong = await api.post(
        f"/api/cases/{ref}/questions/4/answer",
        json={"kind": "not_held", "searches": "looked"},
        headers=vawg,
    )
    assert wrong.status_code == 422
    assert wrong.json()["detail"][0]["msg"].startswith("tom-oduya is not a member of unit")

    for q in (1, 2, 3):
        done = await api.post(
            f"/api/cases/{ref}/questions/{q}/answer",
            json={"kind": "not_held", "searches": "VAWG panel files; the panel is being set up"},
            headers=vawg,
        )
        assert done.status_code == 200, done.text

    # Q4–Q7 with their units' contacts (issued directly for this test).
    rt: Runtime = api._transport.app.state.runtime  # type: ignore[attr-defined]
    for user, questions in (("priya-nair", (4, 5)), ("gareth-evans", (6, 7))):
        token = rt.identity.issue_token(Principal(user, "password")).access_token
        for q in questions:
            done = await api.post(
                f"/api/cases/{ref}/questions/{q}/answer",
                json=EXEMPT,
                headers={"Authorization": f"Bearer {token}"},
            )
            assert done.status_code == 200, done.text
    await settled(system, ref)
    case = (await api.get(f"/api/cases/{ref}", headers=officer)).json()
    assert case["status"] == "sign_off"

    senior, dpo = as_role(Role.SENIOR_OFFICER), as_role(Role.DATA_PROTECTION_OFFICER)
    waiting = (await api.get("/api/sign-offs", headers=senior)).json()
    assert [(w["reference"], w["section"]) for w in waiting if w["reference"] == ref] == [
        (ref, "31")
    ]
    for headers, section in ((senior, "31"), (dpo, "40")):
        signed = await api.post(
            f"/api/cases/{ref}/sign-offs/{section}", json={"approve": True}, headers=headers
        )
        assert signed.status_code == 200, signed.text
        assert signed.json()["requester"] is None
    letter = await api.get(f"/api/cases/{ref}/letter", headers=officer)
    assert letter.status_code == 200 and letter.headers["content-type"].startswith("text/plain")
    assert "Section 31" in letter.text and "Information Commissioner" in letter.text

    approved = await api.post(f"/api/cases/{ref}/approve", headers=officer)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    issued = await api.post(
        f"/api/cases/{ref}/issue", headers={**officer, "Idempotency-Key": "issue-1"}
    )
    assert issued.status_code == 200, issued.text
    body = issued.json()
    assert body["status"] == "issued" and body["on_time"] is True
    assert body["outcome"] == "withheld_in_full" and body["actions"] == []
    repeat = await api.post(
        f"/api/cases/{ref}/issue", headers={**officer, "Idempotency-Key": "issue-1"}
    )
    assert repeat.status_code == 200 and repeat.json()["issued_at"] == body["issued_at"]
    closed = await api.post(f"/api/cases/{ref}/issue", headers=officer)
    assert closed.status_code == 409

    # The case has closed: its last projection ran before the workflow completed.
    listed = (await api.get("/api/cases", params={"status": "issued"}, headers=officer)).json()
    assert ref in [c["reference"] for c in listed["items"]]
