"""``GET /api/deadline``: public, the due date with its explanation, and 422s naming the field."""

from __future__ import annotations

import pytest
from httpx import AsyncClient


async def test_the_due_date_and_why_with_no_login(client: AsyncClient) -> None:
    response = await client.get(
        "/api/deadline", params={"regime": "foia", "received": "2025-03-03"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["due_date"] == "2025-04-01"
    assert body["received_on"] == "2025-03-03"
    assert body["calendar"]["version"] == 1
    # St Patrick's Day (Northern Ireland) is not a working day for an English authority (s10(6)).
    skipped = {"date": "2025-03-17", "reason": "St Patrick's Day (Northern Ireland)"}
    assert skipped in body["skipped_days"]
    assert body["explanation"][0].startswith("FOIA: 20 working days")
    assert "Mon 17 Mar 2025 skipped: St Patrick's Day (Northern Ireland)." in body["explanation"]
    assert body["explanation"][-1].startswith("Due Tue 1 Apr 2025, by calendar v1")


@pytest.mark.parametrize(
    ("regime", "due"), [("foia", "2026-07-30"), ("foisa", "2026-07-29"), ("FOISA", "2026-07-29")]
)
async def test_each_regime_counts_its_own_working_days(
    client: AsyncClient, regime: str, due: str
) -> None:
    # 13 Jul 2026 is a holiday in Northern Ireland only: FOISA counts Scottish holidays.
    response = await client.get(
        "/api/deadline", params={"regime": regime, "received": "2026-07-01"}
    )
    assert response.json()["due_date"] == due


async def test_the_regime_defaults_to_foia(client: AsyncClient) -> None:
    response = await client.get("/api/deadline", params={"received": "2025-03-03"})
    assert response.json()["regime"] == "foia"


@pytest.mark.parametrize(
    ("params", "loc", "words"),
    [
        ({"regime": "gdpr", "received": "2025-03-03"}, ["query", "regime"], "is not one of foia"),
        ({"received": "2025-02-30"}, ["query", "received"], "not a real date"),
        ({"received": "03/03/2025"}, ["query", "received"], "YYYY-MM-DD"),
        ({"received": "2025-3-3"}, ["query", "received"], "YYYY-MM-DD"),
        ({"received": "2045-01-02"}, ["query", "received"], "outside the calendar's coverage"),
        ({"received": "2028-12-20"}, ["query", "received"], "end of the calendar's coverage"),
        ({}, ["query", "received"], "Field required"),
        (
            {"received": "2025-03-03", "roll_non_working_receipt": "maybe"},
            ["query", "roll_non_working_receipt"],
            "boolean",
        ),
    ],
)
async def test_a_bad_question_is_a_422_naming_the_field(
    client: AsyncClient, params: dict[str, str], loc: list[str], words: str
) -> None:
    response = await client.get("/api/deadline", params=params)
    assert response.status_code == 422, response.text
    problem = response.json()["detail"][0]
    assert problem["loc"] == loc
    assert words in problem["msg"]


async def test_a_weekend_receipt_rolls_forward_only_by_local_policy(client: AsyncClient) -> None:
    saturday = {"regime": "foia", "received": "2025-03-01"}
    statute = (await client.get("/api/deadline", params=saturday)).json()
    rolled = (
        await client.get("/api/deadline", params={**saturday, "roll_non_working_receipt": "true"})
    ).json()
    assert statute["due_date"] == "2025-03-31"
    assert rolled["due_date"] == "2025-04-01"


async def test_clock_events_as_repeated_event_parameters(client: AsyncClient) -> None:
    # Paused over Easter, then 20 working days afresh from 17 Apr 2025 (tests/cli has the count).
    params = [
        ("regime", "foia"),
        ("received", "2025-04-03"),
        ("event", "clarification_requested=2025-04-07"),
    ]
    paused = (await client.get("/api/deadline", params=params)).json()
    assert (paused["due_date"], paused["paused"]) == (None, True)
    assert paused["pause_reason"] == "awaiting clarification requested on 2025-04-07 (s1(3))"
    params.append(("event", "clarification_received=2025-04-17"))
    response = await client.get("/api/deadline", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["due_date"], body["paused"]) == ("2025-05-20", False)
    assert body["events"] == [
        "clarification_requested=2025-04-07",
        "clarification_received=2025-04-17",
    ]
    assert "Thu 17 Apr 2025: clarification received: 20 working days start afresh from " in (
        " ".join(body["explanation"])
    )


async def test_an_extension_keeps_the_statutory_date_beside_the_extended_one(
    client: AsyncClient,
) -> None:
    params = {"received": "2025-03-03", "event": "public_interest_extension=2025-03-25/20"}
    body = (await client.get("/api/deadline", params=params)).json()
    assert (body["due_date"], body["statutory_due_date"], body["extended"]) == (
        "2025-05-01",
        "2025-04-01",
        True,
    )


@pytest.mark.parametrize(
    ("params", "words"),
    [
        (
            {"regime": "foisa", "event": "public_interest_extension=2025-03-20/10"},
            "has no public interest extension (foisa)",
        ),
        ({"event": "public_interest_extension=2025-03-25/21"}, "extension beyond the cap"),
        ({"event": "fee_received=2025-03-10"}, "no fees notice was given"),
        ({"event": "fee_received"}, "expected KIND=DATE"),
    ],
)
async def test_a_refused_event_is_a_422_naming_the_event(
    client: AsyncClient, params: dict[str, str], words: str
) -> None:
    response = await client.get("/api/deadline", params={"received": "2025-03-03", **params})
    assert response.status_code == 422, response.text
    problem = response.json()["detail"][0]
    assert problem["loc"] == ["query", "event"]
    assert problem["msg"].startswith(f"event '{params['event']}': ")
    assert words in problem["msg"]
