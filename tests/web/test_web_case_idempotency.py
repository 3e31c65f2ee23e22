"""``Idempotency-Key`` on case actions, and actions racing each other: the same key twice is one
effect and the same response; two approvals of one case at once are one approval."""

from __future__ import annotations

import asyncio
from typing import Any

from case_api import NOT_HELD, CaseApi, ok

OFFICER = "aisha-rahman"
TOM = "tom-oduya"


async def kinds(case_api: CaseApi, reference: str, kind: str) -> list[str]:
    case = ok(await case_api.get(OFFICER, f"/api/cases/{reference}"))
    return [e["text"] for e in case["timeline"] if e["kind"] == kind]


async def test_the_same_key_twice_is_one_answer_and_the_same_response(case_api: CaseApi) -> None:
    reference = await case_api.routed()
    path = f"/api/cases/{reference}/questions/1/answer"
    first = await case_api.post(TOM, path, NOT_HELD, key="answer-q1")
    again = await case_api.post(TOM, path, NOT_HELD, key="answer-q1")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    assert await kinds(case_api, reference, "answered") == ["vawg answered Q1: not_held"]

    # The key is bound to its request: another body with it is refused, and changes nothing.
    other = {**NOT_HELD, "searches": "somewhere else"}
    reused = await case_api.post(TOM, path, other, key="answer-q1")
    assert reused.status_code == 422
    assert reused.json()["detail"] == [
        {
            "loc": ["header", "Idempotency-Key"],
            "msg": "this key was already used for a different request; use a new key",
            "type": "rejected",
        }
    ]
    assert (
        await case_api.post(
            TOM, f"/api/cases/{reference}/questions/2/answer", NOT_HELD, key="answer-q1"
        )
    ).status_code == 422  # another path too
    # Keys are each user's own: the unit's manager may use the same one.
    ok(await case_api.post("helen-marsh", path, other, key="answer-q1"))
    assert await kinds(case_api, reference, "answered") == [
        "vawg answered Q1: not_held",
        "vawg revised the answer to Q1: not_held",
    ]


async def test_a_refused_request_is_not_remembered(case_api: CaseApi) -> None:
    reference = await case_api.routed()
    path = f"/api/cases/{reference}/withdraw"
    refused = await case_api.post(OFFICER, path, {"reason": " "}, key="withdraw-1")
    assert refused.status_code == 422
    # Corrected and sent again with the same key: nothing was recorded the first time.
    withdrawn = ok(await case_api.post(OFFICER, path, {"reason": "by phone"}, key="withdraw-1"))
    assert withdrawn["status"] == "withdrawn"
    replayed = await case_api.post(OFFICER, path, {"reason": "by phone"}, key="withdraw-1")
    assert (replayed.status_code, replayed.json()) == (200, withdrawn)
    assert await kinds(case_api, reference, "withdrawn") == ["case withdrawn: by phone"]


async def test_a_key_that_cannot_be_one_is_a_422(case_api: CaseApi) -> None:
    reference = await case_api.routed()
    path = f"/api/cases/{reference}/questions/1/answer"
    for key in ("two words", "x" * 256):
        response = await case_api.post(TOM, path, NOT_HELD, key=key)
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    assert await kinds(case_api, reference, "answered") == []


async def test_the_same_key_at_once_is_one_effect(case_api: CaseApi) -> None:
    reference = await case_api.composed()
    path = f"/api/cases/{reference}/approve"
    responses = await asyncio.gather(
        *(case_api.post(OFFICER, path, key="approve-once") for _ in range(3))
    )
    assert [r.status_code for r in responses] == [200, 200, 200]
    bodies: list[dict[str, Any]] = [r.json() for r in responses]
    assert all(b["status"] == "approved" for b in bodies)
    assert len({b["response"]["approved_at"] for b in bodies}) == 1
    assert await kinds(case_api, reference, "approved") == ["response approved"]


async def test_two_approvals_at_once_are_one_approval(case_api: CaseApi) -> None:
    """Two officers (or two tabs) approve the same response at the same moment, no keys."""
    reference = await case_api.composed()
    path = f"/api/cases/{reference}/approve"
    first, second = await asyncio.gather(case_api.post(OFFICER, path), case_api.post(OFFICER, path))
    outcomes = sorted([first.status_code, second.status_code])
    assert outcomes in ([200, 200], [200, 409]), (first.text, second.text)
    for response in (first, second):
        if response.status_code == 409:
            assert response.json() == {
                "detail": "status: the case is approved; there is no composed response to approve"
            }
        else:
            assert response.json()["status"] == "approved"
    assert await kinds(case_api, reference, "approved") == ["response approved"]

    # And issuing twice at once: one issue, and the case closes once.
    issue = f"/api/cases/{reference}/issue"
    issued = await asyncio.gather(case_api.post(OFFICER, issue), case_api.post(OFFICER, issue))
    assert sorted(r.status_code for r in issued) in ([200, 200], [200, 409])
    assert len(await kinds(case_api, reference, "issued")) == 1
