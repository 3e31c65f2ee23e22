"""Who may do what on a case, from ONE table: every role × every case route → allowed, 401, 403
or 404 as designed; and FOI is applicant-blind — the requester's name, email and address are in
no response a unit or an approver gets, errors included.

The design the table states:
- FOI officers act on cases (start, route, reassign, clock, cost, approve, issue, withdraw);
- unit contacts and unit managers see and answer only cases routed to their unit — any other case
  is 404, exactly like one that does not exist ("may not know it exists");
- approvers see only cases with a sign-off for their role, and sign off only those;
- managers read everything and act on nothing (403);
- admins keep reference data and work on no case: 403 on every case route, lists included;
- no token: 401.

Allowed cells send a probe the workflow refuses by itself — on the input or the case's state — so
no cell changes a case and the order of cells does not matter; each route's own test shows its
happy path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from httpx import Response

from case_api import EXEMPT, NOT_HELD, REQUESTER_IDENTITY, CaseApi, ok, request_document

ALLOWED = "allowed"  # past authorization: the route's own answer (on a list: the case is in it)
HIDDEN = "404"  # may not know the case exists: 404 (on a list: 200 without it)
FORBIDDEN = "403"  # the role may not do this
UNAUTHENTICATED = "401"  # no token
A, H, F, U = ALLOWED, HIDDEN, FORBIDDEN, UNAUTHENTICATED

# The columns: one caller per role, and a unit contact of a unit the cases never reached.
CALLERS: dict[str, str | None] = {
    "foi_officer": "aisha-rahman",
    "unit_contact": "tom-oduya",  # vawg: owns Q1–Q3 of the cases
    "unit_contact_other_unit": "lucy-chen",  # foi: owns nothing on them
    "unit_manager": "helen-marsh",  # vawg
    "senior_officer": "david-hughes",  # s31 on the cases
    "data_protection_officer": "sarah-bennett",  # s40
    "qualified_person": "james-whitfield",  # no s36 on them
    "national_security_lead": "neil-carter",  # no s23/s24
    "manager": "olivia-grant",
    "admin": "kevin-ashworth",
    "anonymous": None,
}

# Cases: {routed} in progress (open tasks with vawg, hate-crime, community-engagement);
# {signing} awaiting sign-off (s31 and s40 pending); {composed} its response composed, awaiting
# the officer's approval (s31 and s40 approved).
# fmt: off
MATRIX: dict[str, tuple[str, ...]] = {
    #                                              off unit other umgr sen dpo qp  nsl mgr adm anon
    "GET /api/cases":                              (A,  A,   H,    A,  A,  A,  H,  H,  A,  F,  U),
    "POST /api/cases":                             (A,  F,   F,    F,  F,  F,  F,  F,  F,  F,  U),
    "GET /api/cases/{signing}":                    (A,  A,   H,    A,  A,  A,  H,  H,  A,  F,  U),
    "GET /api/cases/{composed}/letter":            (A,  A,   H,    A,  A,  A,  H,  H,  A,  F,  U),
    "GET /api/cases/{composed}/suggestions":       (A,  A,   H,    A,  A,  A,  H,  H,  A,  F,  U),
    "POST /api/cases/{signing}/routes":            (A,  F,   H,    F,  F,  F,  H,  H,  F,  F,  U),
    "POST /api/cases/{signing}/questions/1/reassign": (A, F, H,    F,  F,  F,  H,  H,  F,  F,  U),
    "POST /api/cases/{signing}/questions/1/answer":   (F, A, H,    A,  F,  F,  H,  H,  F,  F,  U),
    "POST /api/cases/{signing}/sign-offs/31":      (F,  F,   H,    F,  A,  F,  H,  H,  F,  F,  U),
    "POST /api/cases/{signing}/sign-offs/40":      (F,  F,   H,    F,  F,  A,  H,  H,  F,  F,  U),
    "POST /api/cases/{signing}/clock-events":      (A,  F,   H,    F,  F,  F,  H,  H,  F,  F,  U),
    "POST /api/cases/{signing}/cost-decision":     (A,  F,   H,    F,  F,  F,  H,  H,  F,  F,  U),
    "POST /api/cases/{composed}/approve":          (A,  F,   H,    F,  F,  F,  H,  H,  F,  F,  U),
    "POST /api/cases/{composed}/issue":            (A,  F,   H,    F,  F,  F,  H,  H,  F,  F,  U),
    "POST /api/cases/{signing}/withdraw":          (A,  F,   H,    F,  F,  F,  H,  H,  F,  F,  U),
    "POST /api/cases/{signing}/refuse-vexatious":  (A,  F,   H,    F,  F,  F,  H,  H,  F,  F,  U),
    # After the response: reviews (FOI officers act, the assigned reviewer records the outcome,
    # managers read); on a case not yet issued, an allowed caller gets 409 (no review stage).
    "GET /api/cases/{signing}/review":             (A,  F,   H,    F,  F,  F,  H,  H,  A,  F,  U),
    "GET /api/cases/{signing}/review/letter":      (A,  F,   H,    F,  F,  F,  H,  H,  A,  F,  U),
    "POST /api/cases/{signing}/review":            (A,  F,   H,    F,  F,  F,  H,  H,  F,  F,  U),
    "POST /api/cases/{signing}/review/reviewer":   (A,  F,   H,    F,  F,  F,  H,  H,  F,  F,  U),
    "POST /api/cases/{signing}/review/extension":  (A,  F,   H,    F,  F,  F,  H,  H,  F,  F,  U),
    "POST /api/cases/{signing}/review/outcome":    (A,  F,   H,    F,  F,  F,  H,  H,  A,  F,  U),
    "POST /api/cases/{signing}/review/complaint":  (A,  F,   H,    F,  F,  F,  H,  H,  F,  F,  U),
    "POST /api/cases/{signing}/review/information-request": (A, F, H, F, F, F, H, H, F,  F,  U),
    "POST /api/cases/{signing}/review/information-sent": (A, F, H, F,  F,  F,  H,  H,  F,  F,  U),
    "POST /api/cases/{signing}/review/decision-notice": (A, F, H,  F,  F,  F,  H,  H,  F,  F,  U),
    "POST /api/cases/{signing}/review/compliance": (A,  F,   H,    F,  F,  F,  H,  H,  F,  F,  U),
    "POST /api/cases/{signing}/review/appeal":     (A,  F,   H,    F,  F,  F,  H,  H,  F,  F,  U),
    "POST /api/cases/{signing}/review/close":      (A,  F,   H,    F,  F,  F,  H,  H,  F,  F,  U),
    "GET /api/tasks":                              (H,  A,   H,    A,  H,  H,  H,  H,  H,  F,  U),
    "GET /api/sign-offs":                          (H,  H,   H,    H,  A,  A,  H,  H,  H,  F,  U),
}
# fmt: on


@dataclass(frozen=True)
class Probe:
    """What a cell sends, and what an allowed caller gets: the workflow's (or intake's) own
    refusal — ``status`` and, for a 422, the field — since a probe must change nothing."""

    body: Any = None
    status: int = 200
    loc: tuple[str | int, ...] | None = None
    listed: str | None = None  # a list route: which case an allowed caller finds in it


PROBES: dict[str, Probe] = {
    "GET /api/cases": Probe(listed="signing"),
    "POST /api/cases": Probe({"regime": "dpa"}, 422, ("body", "regime")),
    "GET /api/cases/{signing}": Probe(),
    "GET /api/cases/{composed}/letter": Probe(),
    "GET /api/cases/{composed}/suggestions": Probe(),
    "POST /api/cases/{signing}/routes": Probe(
        {"routes": [{"question": 1, "unit": "vawg"}]}, 422, ("body", "routes", 0, "question")
    ),
    "POST /api/cases/{signing}/questions/1/reassign": Probe(
        {"unit": "vawg", "reason": "probe"}, 422, ("body", "unit")
    ),
    "POST /api/cases/{signing}/questions/1/answer": Probe(
        {"kind": "disclosed"}, 422, ("body", "information")
    ),
    "POST /api/cases/{signing}/sign-offs/31": Probe({"approve": False}, 422, ("body", "reason")),
    "POST /api/cases/{signing}/sign-offs/40": Probe({"approve": False}, 422, ("body", "reason")),
    "POST /api/cases/{signing}/clock-events": Probe(
        {"kind": "extension"}, 422, ("body", "extension")
    ),
    "POST /api/cases/{signing}/cost-decision": Probe({"refuse": False}, 409),
    "POST /api/cases/{composed}/approve": Probe({"text": " "}, 422, ("body", "text")),
    "POST /api/cases/{composed}/issue": Probe(status=409),
    "POST /api/cases/{signing}/withdraw": Probe({"reason": " "}, 422, ("body", "reason")),
    "POST /api/cases/{signing}/refuse-vexatious": Probe({"reason": " "}, 422, ("body", "reason")),
    "GET /api/cases/{signing}/review": Probe(status=409),
    "GET /api/cases/{signing}/review/letter": Probe(status=409),
    "POST /api/cases/{signing}/review": Probe({"received_on": "2026-01-05"}, 409),
    "POST /api/cases/{signing}/review/reviewer": Probe({"reviewer": "olivia-grant"}, 409),
    "POST /api/cases/{signing}/review/extension": Probe({"reason": "probe"}, 409),
    "POST /api/cases/{signing}/review/outcome": Probe(
        {"outcome": "upheld", "reasons": "probe"}, 409
    ),
    "POST /api/cases/{signing}/review/complaint": Probe({"received_on": "2026-01-05"}, 409),
    "POST /api/cases/{signing}/review/information-request": Probe(
        {"received_on": "2026-01-05", "due": "2026-01-20"}, 409
    ),
    "POST /api/cases/{signing}/review/information-sent": Probe({"sent_on": "2026-01-05"}, 409),
    "POST /api/cases/{signing}/review/decision-notice": Probe(
        {"issued_on": "2026-01-05", "decision": "not_upheld"}, 409
    ),
    "POST /api/cases/{signing}/review/compliance": Probe({"complied_on": "2026-01-05"}, 409),
    "POST /api/cases/{signing}/review/appeal": Probe({"lodged_on": "2026-01-05"}, 409),
    "POST /api/cases/{signing}/review/close": Probe({"reason": "probe"}, 409),
    "GET /api/tasks": Probe(listed="routed"),
    "GET /api/sign-offs": Probe(listed="signing"),
}

CELLS = [
    pytest.param(route, caller, expected, id=f"{route} | {caller} -> {expected}")
    for route, row in MATRIX.items()
    for caller, expected in zip(CALLERS, row, strict=True)
]


def test_the_table_covers_every_case_route(cases_app: Any) -> None:
    """Every case route of the app is in the table (a new route must say who may use it)."""
    routes = {
        f"{method} {path}"
        for path, item in cases_app.openapi()["paths"].items()
        if path.startswith(("/api/cases", "/api/tasks", "/api/sign-offs"))
        for method in (m.upper() for m in item)
    }
    tabled = {
        route.replace("{signing}", "{reference}")
        .replace("{composed}", "{reference}")
        .replace("/questions/1/", "/questions/{question}/")
        .replace("/sign-offs/31", "/sign-offs/{section}")
        .replace("/sign-offs/40", "/sign-offs/{section}")
        for route in MATRIX
    }
    assert routes == tabled
    assert set(PROBES) == set(MATRIX)


@pytest.fixture(scope="module")
async def cases(case_api: CaseApi) -> dict[str, str]:
    found = {
        "routed": await case_api.routed(),
        "signing": await case_api.signing(),
        "composed": await case_api.composed(),
    }
    for reference in found.values():
        await case_api.settle(reference)
    return found


async def send(case_api: CaseApi, route: str, user: str | None, cases: dict[str, str]) -> Response:
    method, template = route.split(" ")
    path = template.format(**cases)
    probe = PROBES[route]
    if method == "GET":
        return await case_api.get(user, path)
    body = probe.body
    if template == "/api/cases":
        body = {**request_document(await case_api.env.get_current_time()), **probe.body}
    return await case_api.post(user, path, body)


@pytest.mark.parametrize(("route", "caller", "expected"), CELLS)
async def test_authorization_matrix(
    case_api: CaseApi, cases: dict[str, str], route: str, caller: str, expected: str
) -> None:
    response = await send(case_api, route, CALLERS[caller], cases)
    probe = PROBES[route]
    status = response.status_code
    if probe.listed is not None and status == 200:
        # A list: who may not know the case gets the list without it.
        items = response.json()
        rows = items["items"] if isinstance(items, dict) else items
        listed = cases[probe.listed] in {row["reference"] for row in rows}
        assert (ALLOWED if listed else HIDDEN) == expected, response.text
        return
    if expected == ALLOWED:
        assert status == probe.status, response.text
        if probe.loc is not None:
            assert [tuple(p["loc"]) for p in response.json()["detail"]] == [probe.loc]
        return
    assert str(status) == expected, response.text
    if expected == HIDDEN:
        # Exactly what a case that does not exist gets: nothing tells the two apart.
        assert response.json() == {"detail": "reference: no such case"}
        nowhere = dict.fromkeys(cases, "01.FOI.99.999999")
        missing = await send(case_api, route, CALLERS["foi_officer"], nowhere)
        assert (missing.status_code, missing.json()) == (404, response.json())
    elif expected == FORBIDDEN:
        assert isinstance(response.json()["detail"], str) and response.json()["detail"]
    else:
        assert response.headers["www-authenticate"] == "Bearer"


# --- Applicant-blind ---------------------------------------------------------------------------

# Units and approvers: those with a part in the cases, and those with none.
BLIND = (
    "tom-oduya",
    "helen-marsh",
    "priya-nair",
    "gareth-evans",
    "lucy-chen",
    "david-hughes",
    "sarah-bennett",
    "james-whitfield",
    "neil-carter",
)


def blind(response: Response, seen: list[str]) -> Response:
    """``response``, once its raw text is checked for the requester's identity."""
    text = response.text.lower()
    leaked = [part for part in REQUESTER_IDENTITY if part.lower() in text]
    assert not leaked, f"{response.request.method} {response.request.url}: {leaked} in {text}"
    seen.append(f"{response.request.method} {response.request.url.path} {response.status_code}")
    return response


async def test_who_asked_reaches_no_unit_and_no_approver(
    case_api: CaseApi, cases: dict[str, str]
) -> None:
    seen: list[str] = []
    officer = "aisha-rahman"
    # The control: the identity is there to be found, for the FOI officer and the manager.
    for user in (officer, "olivia-grant"):
        text = (await case_api.get(user, f"/api/cases/{cases['signing']}")).text
        assert all(part in text for part in REQUESTER_IDENTITY)

    # Every route of the table, as each blind caller, whatever it answers.
    for route in MATRIX:
        for user in BLIND:
            blind(await send(case_api, route, user, cases), seen)

    # A case carried from routing to its letter by units and approvers: every response.
    reference = await case_api.routed()
    case = f"/api/cases/{reference}"

    async def read_everything(users: tuple[str, ...] = BLIND) -> None:
        await case_api.settle(reference)
        for user in users:
            for path in (case, f"{case}/letter", "/api/cases", "/api/tasks", "/api/sign-offs"):
                blind(await case_api.get(user, path), seen)

    await read_everything()
    for q in (1, 2, 3):
        for user in ("tom-oduya", "helen-marsh"):
            answer = {**NOT_HELD, "searches": f"{user} looked"}
            blind(await case_api.post(user, f"{case}/questions/{q}/answer", answer), seen)
    for user, questions in (("priya-nair", (4, 5)), ("gareth-evans", (6, 7))):
        blind(await case_api.post(user, f"{case}/questions/{questions[0]}/answer", {}), seen)
        blind(
            await case_api.post("tom-oduya", f"{case}/questions/{questions[0]}/answer", EXEMPT),
            seen,
        )
        for q in questions:
            ok(blind(await case_api.post(user, f"{case}/questions/{q}/answer", EXEMPT), seen))
    await read_everything()
    blind(await case_api.post("sarah-bennett", f"{case}/sign-offs/31", {}), seen)
    blind(await case_api.post("david-hughes", f"{case}/sign-offs/36", {}), seen)
    blind(await case_api.post("priya-nair", f"{case}/sign-offs/31", {}), seen)
    refused = blind(
        await case_api.post("david-hughes", f"{case}/sign-offs/31", {"approve": False}), seen
    )
    assert refused.status_code == 422
    ok(blind(await case_api.post("david-hughes", f"{case}/sign-offs/31", {}), seen))
    ok(blind(await case_api.post("sarah-bennett", f"{case}/sign-offs/40", {}), seen))
    await read_everything()
    ok(await case_api.post(officer, f"{case}/approve"))
    ok(await case_api.post(officer, f"{case}/issue"))
    await read_everything(("tom-oduya", "david-hughes", "sarah-bennett"))
    statuses = {line.rsplit(" ", 1)[1] for line in seen}
    assert {"200", "403", "404", "409", "422"} <= statuses, statuses
    assert len(seen) > 200
