"""GET /api/cases: the cases the caller may know, from the read model — each filter, paging with
the total, and its errors. The module has a store of its own, so every count is exact."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from case_api import CaseApi, ok

OFFICER = "aisha-rahman"


@pytest.fixture(scope="module")
async def listed(case_api: CaseApi) -> dict[str, str]:
    """Four cases: routed (in progress, with vawg and others), new, new under the EIR, and one
    received three months ago that is overdue now."""
    cases = {
        "routed": await case_api.routed(),
        "new": await case_api.start(),
        "eir": await case_api.start(regime="eir"),
        "overdue": await case_api.start(received_at=datetime.now(UTC) - timedelta(days=90)),
    }
    for reference in cases.values():
        await case_api.settle(reference)
    return cases


async def page(case_api: CaseApi, user: str | None = OFFICER, **params: Any) -> dict[str, Any]:
    found: dict[str, Any] = ok(await case_api.get(user, "/api/cases", params=params))
    return found


def refs(found: dict[str, Any]) -> list[str]:
    return [item["reference"] for item in found["items"]]


async def test_every_case_soonest_due_first(case_api: CaseApi, listed: dict[str, str]) -> None:
    found = await page(case_api)
    assert found["total"] == 4 and (found["page"], found["per_page"]) == (1, 50)
    assert refs(found)[0] == listed["overdue"]
    assert set(refs(found)) == set(listed.values())
    dues = [date.fromisoformat(i["due_date"]) for i in found["items"]]
    assert dues == sorted(dues)
    routed = next(i for i in found["items"] if i["reference"] == listed["routed"])
    assert routed["status"] == "in_progress" and routed["overdue"] is False
    assert set(routed["units"]) == {"vawg", "hate-crime", "community-engagement"}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "triage"}, {"new", "eir", "overdue"}),
        ({"status": "in_progress"}, {"routed"}),
        ({"status": "issued"}, set()),
        ({"unit": "vawg"}, {"routed"}),
        ({"unit": "roads-policing"}, set()),
        ({"regime": "eir"}, {"eir"}),
        ({"regime": "foia", "status": "triage"}, {"new", "overdue"}),
        ({"overdue": "true"}, {"overdue"}),
        ({"overdue": "false"}, {"routed", "new", "eir"}),
    ],
    ids=lambda v: "&".join(f"{k}={x}" for k, x in v.items()) if isinstance(v, dict) else "",
)
async def test_filters(
    case_api: CaseApi, listed: dict[str, str], params: dict[str, str], expected: set[str]
) -> None:
    found = await page(case_api, **params)
    assert set(refs(found)) == {listed[name] for name in expected}
    assert found["total"] == len(expected)


async def test_due_before(case_api: CaseApi, listed: dict[str, str]) -> None:
    every = {
        i["reference"]: date.fromisoformat(i["due_date"]) for i in (await page(case_api))["items"]
    }
    overdue_due = every[listed["overdue"]]
    assert set(refs(await page(case_api, due_before=overdue_due.isoformat()))) == set()
    day_after = (overdue_due + timedelta(days=1)).isoformat()
    assert refs(await page(case_api, due_before=day_after)) == [listed["overdue"]]
    assert (await page(case_api, due_before="2100-01-01"))["total"] == 4


async def test_pages_with_the_total(case_api: CaseApi, listed: dict[str, str]) -> None:
    every = refs(await page(case_api))
    first = await page(case_api, per_page=3, page=1)
    second = await page(case_api, per_page=3, page=2)
    beyond = await page(case_api, per_page=3, page=3)
    assert (first["total"], second["total"], beyond["total"]) == (4, 4, 4)
    assert refs(first) + refs(second) == every and len(refs(first)) == 3
    assert beyond["items"] == [] and (beyond["page"], beyond["per_page"]) == (3, 3)


async def test_units_list_only_the_cases_routed_to_them(
    case_api: CaseApi, listed: dict[str, str]
) -> None:
    tom = await page(case_api, "tom-oduya")  # vawg
    assert (refs(tom), tom["total"]) == ([listed["routed"]], 1)
    lucy = await page(case_api, "lucy-chen")  # foi: nothing routed to it
    assert (lucy["items"], lucy["total"]) == ([], 0)
    # A filter cannot widen what a unit may know.
    assert (await page(case_api, "tom-oduya", unit="hate-crime"))["total"] == 1
    assert (await page(case_api, "tom-oduya", status="triage"))["total"] == 0
    manager = await page(case_api, "olivia-grant")
    assert manager["total"] == 4


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"status": "pending"}, ["query", "status"]),
        ({"unit": "Roads Policing"}, ["query", "unit"]),
        ({"overdue": "maybe"}, ["query", "overdue"]),
        ({"due_before": "31/12/2026"}, ["query", "due_before"]),
        ({"page": "0"}, ["query", "page"]),
        ({"per_page": "201"}, ["query", "per_page"]),
        ({"colour": "red"}, ["query", "colour"]),
    ],
    ids=lambda v: "&".join(f"{k}={x}" for k, x in v.items()) if isinstance(v, dict) else "",
)
async def test_a_bad_filter_is_a_422_naming_it(
    case_api: CaseApi, params: dict[str, str], loc: list[str]
) -> None:
    response = await case_api.get(OFFICER, "/api/cases", params=params)
    assert response.status_code == 422, response.text
    assert [p["loc"] for p in response.json()["detail"]] == [loc]


async def test_who_may_not_list(case_api: CaseApi) -> None:
    anonymous = await case_api.get(None, "/api/cases")
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Bearer"
    forged = await case_api.api.get("/api/cases", headers={"Authorization": "Bearer nope"})
    assert forged.status_code == 401
    admin = await case_api.get("kevin-ashworth", "/api/cases")
    assert admin.status_code == 403
    assert admin.json()["detail"].endswith("role; you have admin")
