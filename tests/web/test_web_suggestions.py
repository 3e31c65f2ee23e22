"""``GET /api/cases/{reference}/suggestions``: the routing rules' units for each unrouted
question, for whoever may know the case (what `foiflow case` and `foiflow route` show)."""

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

SEED_CASE = Path(__file__).resolve().parents[2] / "cli" / "demo" / "seed_case.yaml"
Settled = Callable[[ServiceContext, str], Awaitable[None]]


@pytest.fixture
def as_role(case_app: FastAPI) -> Callable[[Role], Headers]:
    rt: Runtime = case_app.state.runtime
    tokens = {
        role: rt.identity.issue_token(Principal(user, "password")).access_token
        for role, user in ROLE_USERS.items()
    }
    return lambda role: {"Authorization": f"Bearer {tokens[role]}"}


async def test_suggestions_until_routed_for_those_who_may_know_the_case(
    env: WorkflowEnvironment,
    api: AsyncClient,
    as_role: Callable[[Role], Headers],
    system: ServiceContext,
    settled: Settled,
) -> None:
    officer = as_role(Role.FOI_OFFICER)
    document: dict[str, Any] = yaml.safe_load(SEED_CASE.read_text())
    document.pop("reference")
    document["received_at"] = (await env.get_current_time()).isoformat()
    started = await api.post("/api/cases", json=document, headers=officer)
    assert started.status_code == 201, started.text
    ref = started.json()["reference"]

    suggested = await api.get(f"/api/cases/{ref}/suggestions", headers=officer)
    assert suggested.status_code == 200, suggested.text
    assert [(s["question"], s["units"][0]) for s in suggested.json()] == [
        (1, "vawg"),
        (2, "vawg"),
        (3, "vawg"),
        (4, "hate-crime"),
        (5, "hate-crime"),
        (6, "community-engagement"),
        (7, "community-engagement"),
    ]
    assert suggested.json()[0]["text"].startswith("All organisations and community groups")

    # A unit contact may not know a case in triage; nobody without a token gets anything.
    hidden = await api.get(f"/api/cases/{ref}/suggestions", headers=as_role(Role.UNIT_CONTACT))
    assert (hidden.status_code, hidden.json()) == (404, {"detail": "reference: no such case"})
    anonymous = await api.get(f"/api/cases/{ref}/suggestions")
    assert anonymous.status_code == 401
    unknown = await api.get("/api/cases/01.FOI.26.NOPE/suggestions", headers=officer)
    assert unknown.status_code == 404
    malformed = await api.get("/api/cases/not a reference!/suggestions", headers=officer)
    assert malformed.status_code == 422

    routed = await api.post(
        f"/api/cases/{ref}/routes",
        json={"routes": [{"question": 1, "unit": "foi"}]},
        headers=officer,
    )
    assert routed.status_code == 200, routed.text
    await settled(system, ref)
    rest = (await api.get(f"/api/cases/{ref}/suggestions", headers=officer)).json()
    assert [s["question"] for s in rest] == [2, 3, 4, 5, 6, 7]  # Q1 is routed: no suggestion
    withdrawn = await api.post(
        f"/api/cases/{ref}/withdraw", json={"reason": "test finished"}, headers=officer
    )
    assert withdrawn.status_code == 200, withdrawn.text
