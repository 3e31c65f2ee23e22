"""The review stage through the API: issuing starts it, an FOI officer opens a review from the
requester's message, the reviewer must not have taken part, the outcome's letter tells the
requester of the right to complain, and the case shows its whole life."""

from __future__ import annotations

import asyncio
from typing import Any

from case_api import REQUESTER, CaseApi, ok

OFFICER = "aisha-rahman"  # approves and issues the case
MANAGER = "olivia-grant"  # took no part: may review


async def issued(case_api: CaseApi) -> str:
    reference = await case_api.approved()
    case = ok(await case_api.post(OFFICER, f"/api/cases/{reference}/issue"))
    assert case["status"] == "issued"
    return reference


async def stored_stage(case_api: CaseApi, reference: str, stage: str) -> dict[str, Any]:
    """The case as the officer reads it once the read model holds the review at ``stage``."""
    for _ in range(200):
        case: dict[str, Any] = ok(await case_api.get(OFFICER, f"/api/cases/{reference}"))
        if case["review"] and case["review"]["stage"] == stage:
            return case
        await asyncio.sleep(0.05)
    raise AssertionError(f"{reference}: the review never reached {stage} in the read model")


async def test_review_from_request_to_letter(case_api: CaseApi) -> None:
    reference = await issued(case_api)
    review = f"/api/cases/{reference}/review"
    window = ok(await case_api.get(OFFICER, review))
    assert window["stage"] == "window" and window["window_ends"]

    today = (await case_api.env.get_current_time()).date().isoformat()
    opened = ok(
        await case_api.post(OFFICER, review, {"received_on": today, "grounds": "s31 too wide"})
    )
    assert opened["stage"] == "under_review" and opened["due"]

    refused = await case_api.post(OFFICER, f"{review}/reviewer", {"reviewer": OFFICER})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["msg"].startswith(
        "aisha-rahman approved and issued the original response"
    ), refused.text
    refused = await case_api.post(OFFICER, f"{review}/reviewer", {"reviewer": "tom-oduya"})
    assert refused.status_code == 422 and "FOI officer or a manager" in refused.text
    ok(await case_api.post(OFFICER, f"{review}/reviewer", {"reviewer": MANAGER}))

    outcome = {
        "outcome": "partly_upheld",
        "reasons": "s31 applies to the members' names only",
        "now_disclosed": "the names of the organisations on the panels",
    }
    refused = await case_api.post(OFFICER, f"{review}/outcome", outcome)
    assert refused.status_code == 422 and "only the assigned reviewer" in refused.text
    # A unit contact never reaches a review, even of a case routed to their unit.
    assert (await case_api.post("tom-oduya", f"{review}/outcome", outcome)).status_code == 403
    decided = ok(await case_api.post(MANAGER, f"{review}/outcome", outcome))
    assert decided["stage"] == "decided" and decided["on_time"] is True

    letter = await case_api.get(OFFICER, f"{review}/letter")
    assert letter.status_code == 200
    for element in (
        f"Our reference: {reference}",
        f"Dear {REQUESTER['name']},",
        "Freedom of information request: outcome of an internal review",
        "carried out by someone who was not involved in the original decision",
        "The review upholds the original decision in part",
        "Reasons: s31 applies to the members' names only",
        "We now disclose: the names of the organisations on the panels",
        "right to apply to the Information Commissioner under section 50 of the Freedom of "
        "Information Act 2000",
        "Wycliffe House, Water Lane",
    ):
        assert element in letter.text, element

    case = await stored_stage(case_api, reference, "decided")
    kinds = [e["kind"] for e in case["life"]]
    assert kinds.index("issued") < kinds.index("review_requested") < kinds.index("review_decided")
    assert [e["seq"] for e in case["life"]] == list(range(1, len(kinds) + 1))
    assert case["timeline"][-1]["kind"] == "issued"  # the request's own timeline ends at issue

    # A unit contact sees the case, but neither its review nor its later life.
    unit_view = ok(await case_api.get("tom-oduya", f"/api/cases/{reference}"))
    assert unit_view["review"] is None
    assert [e["kind"] for e in unit_view["life"]][-1] == "issued"


async def test_no_review_before_issue_and_a_second_one_refused(case_api: CaseApi) -> None:
    composed = await case_api.composed()
    today = (await case_api.env.get_current_time()).date().isoformat()
    early = await case_api.post(OFFICER, f"/api/cases/{composed}/review", {"received_on": today})
    assert early.status_code == 409 and "no response to review yet" in early.text

    reference = await issued(case_api)
    review = f"/api/cases/{reference}/review"
    ok(await case_api.post(OFFICER, review, {"received_on": today}))
    again = await case_api.post(OFFICER, review, {"received_on": today})
    assert (
        again.status_code == 409
        and "a review has already been asked for (the case is under review)" in again.text
    )
    future = await case_api.post(OFFICER, f"{review}/complaint", {"received_on": "2999-01-01"})
    assert future.status_code == 422 and "received_on" in future.text
