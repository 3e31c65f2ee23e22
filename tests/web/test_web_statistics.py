"""``GET /api/statistics``: managers and FOI officers get the figures of a portfolio built in
the store (known answers: tests/store/test_store_statistics.py has them all); anyone else is
refused, and a bad period is a 422 naming the parameter. No Temporal needed."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from httpx import AsyncClient

from services.runtime import Runtime
from statute.exemptions import Role

from case_factory import add_statistics_portfolio
from web_support import Headers

PERIOD = {"from": "2025-01-01", "to": "2025-06-30"}


@pytest.fixture(autouse=True)
def portfolio(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        add_statistics_portfolio(session)


@pytest.mark.parametrize("role", [Role.MANAGER, Role.FOI_OFFICER])
async def test_managers_and_officers_get_the_figures(
    client: AsyncClient, headers: Callable[[Role], Headers], role: Role
) -> None:
    response = await client.get("/api/statistics", params=PERIOD, headers=headers(role))
    assert response.status_code == 200, response.text
    body = response.json()
    assert [q["period"] for q in body["quarters"]] == ["2025-Q1", "2025-Q2"]
    total = body["total"]
    assert (total["received"], total["resolved"], total["in_progress"]) == (14, 12, 2)
    assert total["timeliness"] == {"in_time": 7, "in_time_with_extension": 1, "late": 2}
    assert total["outcomes"]["refused_vexatious"] == 2
    assert total["exemptions"][0] == {
        "regime": "foia",
        "section": "31",
        "citation": "s31",
        "title": "Law enforcement",
        "requests": 2,
    }
    assert total["internal_reviews"] == {
        "recorded": True,
        "note": "",
        "requested": 5,
        "upheld": 2,
        "partly_upheld": 1,
        "overturned": 1,
    }
    assert total["complaints"]["complaints"] == 3


@pytest.mark.parametrize(
    "role", [Role.UNIT_CONTACT, Role.SENIOR_OFFICER, Role.DATA_PROTECTION_OFFICER, Role.ADMIN]
)
async def test_anyone_else_is_refused(
    client: AsyncClient, headers: Callable[[Role], Headers], role: Role
) -> None:
    response = await client.get("/api/statistics", params=PERIOD, headers=headers(role))
    assert response.status_code == 403
    assert "this needs the foi_officer or manager role" in response.text


async def test_no_login_no_figures(client: AsyncClient) -> None:
    assert (await client.get("/api/statistics", params=PERIOD)).status_code == 401


@pytest.mark.parametrize(
    ("params", "loc", "words"),
    [
        ({"from": "2025-07-01", "to": "2025-01-01"}, ["query", "to"], "is before from"),
        ({"from": "2025-01-01"}, ["query", "to"], "Field required"),
        ({"from": "2025-13-01", "to": "2025-12-31"}, ["query", "from"], "date"),
        ({**PERIOD, "regime": "sar"}, ["query", "regime"], "foia|eir|foisa"),
    ],
)
async def test_a_bad_period_is_a_422_naming_the_parameter(
    client: AsyncClient,
    headers: Callable[[Role], Headers],
    params: dict[str, str],
    loc: list[str],
    words: str,
) -> None:
    response = await client.get("/api/statistics", params=params, headers=headers(Role.MANAGER))
    assert response.status_code == 422, response.text
    problem = response.json()["detail"][0]
    assert problem["loc"] == loc
    assert words in problem["msg"]
