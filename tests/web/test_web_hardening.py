"""Issue 11 through the API: If-Match on actions (409 for an overtaken version), and bad input
refused as 422 naming the field, consuming nothing; on the time-skipping server with the
session's worker and store."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import func, select
from temporalio.testing import WorkflowEnvironment

from services.context import ServiceContext
from services.identity import Principal
from services.runtime import Runtime
from statute.exemptions import Role
from store.db import session_scope
from store.models import IntakeRow, ReferenceCounterRow

from web_support import ROLE_USERS, Headers

ROOT = Path(__file__).resolve().parents[2]
SEED_CASE = ROOT / "cli" / "demo" / "seed_case.yaml"
Settled = Callable[[ServiceContext, str], Awaitable[None]]


@pytest.fixture
def as_user(case_app: FastAPI) -> Callable[[str], Headers]:
    rt: Runtime = case_app.state.runtime

    def headers(user: str) -> Headers:
        token = rt.identity.issue_token(Principal(user, "password")).access_token
        return {"Authorization": f"Bearer {token}"}

    return headers


@pytest.fixture
def officer(as_user: Callable[[str], Headers]) -> Headers:
    return as_user(ROLE_USERS[Role.FOI_OFFICER])


def seed_request(received_at: str, **changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(SEED_CASE.read_text())
    document.pop("reference")
    document["received_at"] = received_at
    document.update(changes)
    return document


def consumed(ctx: ServiceContext) -> tuple[int, int]:
    with session_scope(ctx.engine) as session:
        counters = session.scalar(select(func.coalesce(func.sum(ReferenceCounterRow.last), 0)))
        intakes = session.scalar(select(func.count()).select_from(IntakeRow))
    return int(counters or 0), int(intakes or 0)


async def started_and_routed(
    env: WorkflowEnvironment, api: AsyncClient, officer: Headers, settled: Settled, system: Any
) -> str:
    received = (await env.get_current_time()).isoformat()
    started = await api.post("/api/cases", json=seed_request(received), headers=officer)
    assert started.status_code == 201, started.text
    ref: str = started.json()["reference"]
    routed = await api.post(
        f"/api/cases/{ref}/routes", json={"accept_suggestions": True}, headers=officer
    )
    assert routed.status_code == 200, routed.text
    await settled(system, ref)
    return ref


async def test_if_match_refuses_an_answer_on_an_overtaken_version_with_409(
    env: WorkflowEnvironment,
    api: AsyncClient,
    officer: Headers,
    as_user: Callable[[str], Headers],
    system: ServiceContext,
    settled: Settled,
) -> None:
    ref = await started_and_routed(env, api, officer, settled, system)
    priya, dual = as_user("priya-nair"), as_user("dual-role")  # both hate-crime: Q4
    read = await api.get(f"/api/cases/{ref}", headers=priya)
    etag = read.headers["ETag"]
    version = read.json()["version"]
    assert etag == f'"{version}"'

    answer = {"kind": "not_held", "searches": "hate crime panel files"}
    first = await api.post(
        f"/api/cases/{ref}/questions/4/answer", json=answer, headers={**priya, "If-Match": etag}
    )
    assert first.status_code == 200, first.text
    second = await api.post(
        f"/api/cases/{ref}/questions/4/answer",
        json={**answer, "searches": "the unit's shared drive"},
        headers={**dual, "If-Match": etag},
    )
    assert second.status_code == 409, second.text
    detail = second.json()["detail"]
    assert detail.startswith(f"version: the case changed since you read it (v{version} → v")
    assert ", by priya-nair at " in detail and detail.endswith("); reload and try again")
    case = (await api.get(f"/api/cases/{ref}", headers=officer)).json()
    assert next(t for t in case["tasks"] if t["question"] == 4)["answered_by"] == "priya-nair"

    # The current ETag (weak or strong) goes through; no If-Match is not checked.
    fresh = (await api.get(f"/api/cases/{ref}", headers=dual)).headers["ETag"]
    again = await api.post(
        f"/api/cases/{ref}/questions/4/answer",
        json=answer,
        headers={**dual, "If-Match": f"W/{fresh}"},
    )
    assert again.status_code == 200, again.text
    reassigned = await api.post(
        f"/api/cases/{ref}/questions/5/reassign",
        json={"unit": "vawg", "reason": "theirs"},
        headers={**officer, "If-Match": etag},
    )
    assert reassigned.status_code == 409
    assert "by dual-role at" in reassigned.json()["detail"]

    bad = await api.post(
        f"/api/cases/{ref}/questions/4/answer",
        json=answer,
        headers={**dual, "If-Match": "yesterday"},
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["header", "if-match"]


async def test_bad_starts_are_422_naming_the_field_and_use_no_reference(
    env: WorkflowEnvironment, api: AsyncClient, officer: Headers, system: ServiceContext
) -> None:
    received = (await env.get_current_time()).isoformat()
    before = consumed(system)
    for changes, loc, said in (
        ({"received_at": 1_700_000_000}, ["body", "received_at"], "date and time"),
        ({"received_at": "2030-06-03T10:00:00+00:00"}, ["body", "received_at"], "outside"),
        ({"received_at": "1900-01-02T10:00:00+00:00"}, ["body", "received_at"], "outside"),
        (
            {"questions": [{"number": 1, "text": "x" * 10_000_000}]},
            ["body", "questions", 0, "text"],
            "at most 10000 characters",
        ),
        ({"channel": "c" * 850}, ["body", "channel"], "Input should be"),
        ({"reference": "../../etc/passwd"}, ["body", "reference"], "pattern"),
        ({"colour": "red"}, ["body", "colour"], "Extra inputs"),
    ):
        refused = await api.post(
            "/api/cases", json={**seed_request(received), **changes}, headers=officer
        )
        assert refused.status_code == 422, (changes.keys(), refused.text)
        [problem] = [p for p in refused.json()["detail"] if p["loc"] == loc]
        assert said in problem["msg"], problem
    assert consumed(system) == before


async def test_bad_actions_are_422_naming_the_field(
    env: WorkflowEnvironment,
    api: AsyncClient,
    officer: Headers,
    as_user: Callable[[str], Headers],
    system: ServiceContext,
    settled: Settled,
) -> None:
    ref = await started_and_routed(env, api, officer, settled, system)
    vawg = as_user("tom-oduya")
    for path, body, headers, loc, said in (
        (
            "clock-events",
            {"kind": "extension", "extension": "bogus"},
            officer,
            ["body", "extension"],
            "Input should be",
        ),
        (
            "questions/1/answer",
            {"kind": "not_held", "serches": "typo"},
            vawg,
            ["body", "serches"],
            "Extra inputs are not permitted",
        ),
        (
            "questions/1/answer",
            {"kind": "disclosed", "information": "i" * 1_000_001},
            vawg,
            ["body", "information"],
            "at most 100000 characters",
        ),
        (
            "withdraw",
            {"reason": "r" * 1_000_001},
            officer,
            ["body", "reason"],
            "at most 10000 characters",
        ),
        ("routes", {"routes": [], "acept": True}, officer, ["body", "acept"], "Extra inputs"),
    ):
        refused = await api.post(f"/api/cases/{ref}/{path}", json=body, headers=headers)
        assert refused.status_code == 422, (path, refused.text)
        problem = refused.json()["detail"][0]
        assert problem["loc"] == loc and said in problem["msg"], problem
    # Nothing reached the case.
    case = (await api.get(f"/api/cases/{ref}", headers=officer)).json()
    assert case["status"] == "in_progress"
    assert all(t["answer"] is None for t in case["tasks"])


async def test_settings_no_case_could_run_on_are_422_through_the_api(
    client: AsyncClient, admin_headers: Headers
) -> None:
    current = (await client.get("/api/admin/settings", headers=admin_headers)).json()
    for change, loc in (
        ({"reminders": {**current["reminders"], "send_hour": 25}}, ["reminders", "send_hour"]),
        (
            {"reminders": {**current["reminders"], "unit_reminder_before_task_due": -2}},
            ["reminders", "unit_reminder_before_task_due"],
        ),
        ({"reminders": {**current["reminders"], "sned_hour": 9}}, ["reminders", "sned_hour"]),
        ({"cost_limit_hours": -1}, ["cost_limit_hours"]),
    ):
        refused = await client.put(
            "/api/admin/settings", json={**current, **change}, headers=admin_headers
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"][0]["loc"] == ["body", *loc]
    unchanged = (await client.get("/api/admin/settings", headers=admin_headers)).json()
    assert unchanged == current
    rule = await client.post(
        "/api/admin/routing-rules",
        json={"phrase": "stalking", "unit": "vawg", "priority": -5},
        headers=admin_headers,
    )
    assert rule.status_code == 422
    assert rule.json()["detail"][0]["loc"] == ["body", "priority"]
