"""``GET /api/dashboard``: managers and FOI officers get the dashboard's figures from the read
model (the figures themselves are tested in tests/services/test_dashboard.py); anyone else is
refused, and nobody signed in gets a 401. Not case-scoped: no case is named or revealed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from httpx import AsyncClient

from services.runtime import Runtime
from statute.exemptions import Role
from store.models import CaseRow

from web_support import Headers


@pytest.fixture(autouse=True)
def overdue_case(runtime: Runtime) -> None:
    received = datetime.now(UTC) - timedelta(days=60)
    with runtime.transaction() as session:
        session.add(
            CaseRow(
                reference="D-1",
                version=1,
                regime="foia",
                status="in_progress",
                received_at=received,
                due_date=(received + timedelta(days=28)).date(),
                calendar_version=1,
            )
        )


@pytest.mark.parametrize("role", [Role.MANAGER, Role.FOI_OFFICER])
async def test_managers_and_officers_get_the_figures(
    client: AsyncClient, headers: Callable[[Role], Headers], role: Role
) -> None:
    response = await client.get("/api/dashboard", headers=headers(role))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["totals"]["red"] == 1 and body["totals"]["overdue"] == 1
    assert body["totals"]["total"] == 1
    assert [s["status"] for s in body["by_status"]] == ["in_progress"]
    assert (body["red_within"], body["amber_within"]) == (2, 5)
    assert len(body["on_time"]) == 12 and "rate" in body["on_time"][0]


@pytest.mark.parametrize(
    "role",
    [
        Role.UNIT_CONTACT,
        Role.UNIT_MANAGER,
        Role.SENIOR_OFFICER,
        Role.DATA_PROTECTION_OFFICER,
        Role.ADMIN,
    ],
)
async def test_anyone_else_is_refused(
    client: AsyncClient, headers: Callable[[Role], Headers], role: Role
) -> None:
    response = await client.get("/api/dashboard", headers=headers(role))
    assert response.status_code == 403
    assert "this needs the foi_officer or manager role" in response.text
    assert "D-1" not in response.text


async def test_no_login_no_figures(client: AsyncClient) -> None:
    assert (await client.get("/api/dashboard")).status_code == 401
