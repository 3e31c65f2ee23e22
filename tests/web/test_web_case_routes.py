"""Each case route: the happy path, and each of its errors a client can act on — 401 without a
token, 403 when the role may not, 404 for a case the caller may not know exists, 409 when the
case's state forbids it now, 422 naming the field, with the workflow validator's reason word for
word. On the time-skipping server, with a store and a worker of the module's own."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from httpx import Response

from case_api import EXEMPT, NOT_HELD, REQUESTER, CaseApi, ok, request_document

OFFICER = "aisha-rahman"
TOM = "tom-oduya"  # unit contact, vawg: Q1–Q3
PRIYA = "priya-nair"  # unit contact, hate-crime: Q4–Q5
LUCY = "lucy-chen"  # unit contact, foi: nothing routed to it
DAVID = "david-hughes"  # senior officer: s31
SARAH = "sarah-bennett"  # data protection officer: s40
MANAGER = "olivia-grant"
ADMIN = "kevin-ashworth"
UNKNOWN = "01.FOI.99.999999"


def problem(response: Response, status: int) -> str:
    """The ``detail`` of an error response with ``status``."""
    assert response.status_code == status, response.text
    detail: str = response.json()["detail"]
    return detail


def rejected(response: Response) -> tuple[list[str | int], str]:
    """The one problem of a 422: where, and why."""
    assert response.status_code == 422, response.text
    [only] = response.json()["detail"]
    return only["loc"], only["msg"]


def timeline(case: dict[str, Any], kind: str) -> list[str]:
    return [e["text"] for e in case["timeline"] if e["kind"] == kind]


# --- POST /api/cases -------------------------------------------------------------------------


async def test_start_a_case(case_api: CaseApi) -> None:
    received = (await case_api.env.get_current_time()).astimezone(UTC)
    document = request_document(received)
    started = await case_api.post(OFFICER, "/api/cases", document)
    body = ok(started, 201)
    case_api.started.append(body["reference"])
    assert ".FOI." in body["reference"] and body["existing"] is False
    assert body["due_date"] > received.date().isoformat()
    # The same request again is the same case, not a second one.
    again = ok(await case_api.post(OFFICER, "/api/cases", document))
    assert again == {**body, "existing": True}
    case = ok(await case_api.get(OFFICER, f"/api/cases/{body['reference']}"))
    assert case["status"] == "triage" and [q["number"] for q in case["questions"]] == list(
        range(1, 8)
    )
    assert case["requester"] == REQUESTER and case["clock"]["due_date"] == body["due_date"]


async def test_start_a_case_refused(case_api: CaseApi) -> None:
    received = (await case_api.env.get_current_time()).astimezone(UTC)
    document = request_document(received)
    assert (await case_api.post(None, "/api/cases", document)).status_code == 401
    assert problem(await case_api.post(TOM, "/api/cases", document), 403) == (
        "actor: tom-oduya is not a foi_officer and cannot start cases"
    )
    assert problem(await case_api.post(MANAGER, "/api/cases", document), 403).startswith(
        "actor: olivia-grant is not a foi_officer"
    )
    assert (await case_api.post(ADMIN, "/api/cases", document)).status_code == 403

    assert rejected(await case_api.post(OFFICER, "/api/cases", {**document, "regime": "dpa"})) == (
        ["body", "regime"],
        "'dpa' is not one of foia, eir, foisa",
    )
    no_requester = {k: v for k, v in document.items() if k != "requester"}
    assert rejected(await case_api.post(OFFICER, "/api/cases", no_requester))[0] == [
        "body",
        "requester",
    ]
    empty = {**document, "request_text": " "}
    assert rejected(await case_api.post(OFFICER, "/api/cases", empty)) == (
        ["body", "request_text"],
        "the request has no questions",
    )
    wordy = {**document, "questions": [{"number": n, "text": "x" * 9_000} for n in range(1, 13)]}
    assert rejected(await case_api.post(OFFICER, "/api/cases", wordy)) == (
        ["body", "questions"],
        "Value error, 108,000 characters of questions; at most 100,000 in one request",
    )
    ancient = request_document(datetime(1990, 1, 2, tzinfo=UTC))
    assert rejected(await case_api.post(OFFICER, "/api/cases", ancient))[0] == [
        "body",
        "received_at",
    ]

    # A reference whose case has closed is never used again.
    reference = "01.FOI.26.APITEST1"
    ok(await case_api.post(OFFICER, "/api/cases", {**document, "reference": reference}), 201)
    case_api.started.append(reference)
    ok(await case_api.post(OFFICER, f"/api/cases/{reference}/withdraw", {"reason": "withdrawn"}))
    later = request_document(received.replace(microsecond=1), reference=reference)
    assert problem(await case_api.post(OFFICER, "/api/cases", later), 409) == (
        f"reference: case {reference} already exists and is closed"
    )


# --- GET /api/cases/{reference} --------------------------------------------------------------


async def test_the_case_as_each_caller_may_see_it(case_api: CaseApi) -> None:
    reference = await case_api.routed()
    path = f"/api/cases/{reference}"
    case = ok(await case_api.get(OFFICER, path))
    assert case["reference"] == reference and case["requester"] == REQUESTER
    assert case["clock"]["explanation"] and len(case["tasks"]) == 7
    assert [e["kind"] for e in case["timeline"]][:2] == ["received", "routed"]
    assert {"action": "withdraw", "label": "Withdraw"} in case["actions"]
    unit = ok(await case_api.get(TOM, path))
    assert unit["requester"] is None and unit["tasks"] == case["tasks"]
    assert [a["action"] for a in unit["actions"]] == ["answer"]
    assert ok(await case_api.get(MANAGER, path))["actions"] == []

    assert (await case_api.get(None, path)).status_code == 401
    assert (await case_api.get(ADMIN, path)).status_code == 403
    assert problem(await case_api.get(LUCY, path), 404) == "reference: no such case"
    assert problem(await case_api.get(DAVID, path), 404) == "reference: no such case"
    assert problem(await case_api.get(OFFICER, f"/api/cases/{UNKNOWN}"), 404) == (
        "reference: no such case"
    )
    assert rejected(await case_api.get(OFFICER, "/api/cases/no%20such"))[0] == ["path", "reference"]


# --- GET /api/cases/{reference}/letter -------------------------------------------------------


async def test_the_letter(case_api: CaseApi) -> None:
    reference = await case_api.signing()
    path = f"/api/cases/{reference}/letter"
    assert problem(await case_api.get(OFFICER, path), 409) == (
        f"reference: {reference} has no composed response yet (status sign_off)"
    )
    for user, section in ((DAVID, "31"), (SARAH, "40")):
        ok(await case_api.post(user, f"/api/cases/{reference}/sign-offs/{section}", {}))
    letter = await case_api.get(OFFICER, path)
    assert letter.status_code == 200
    assert letter.headers["content-type"].startswith("text/plain")
    assert "Refusal Notice under Section 17" in letter.text and "Section 31" in letter.text
    assert (await case_api.get(TOM, path)).text == letter.text  # the unit sees what is sent

    assert (await case_api.get(None, path)).status_code == 401
    assert (await case_api.get(ADMIN, path)).status_code == 403
    assert problem(await case_api.get(LUCY, path), 404) == "reference: no such case"
    assert (await case_api.get(OFFICER, f"/api/cases/{UNKNOWN}/letter")).status_code == 404
    assert rejected(await case_api.get(OFFICER, "/api/cases/no%20such/letter"))[0] == [
        "path",
        "reference",
    ]


# --- POST …/routes ---------------------------------------------------------------------------


async def test_route_questions(case_api: CaseApi) -> None:
    reference = await case_api.start()
    path = f"/api/cases/{reference}/routes"
    one = ok(await case_api.post(OFFICER, path, {"routes": [{"question": 1, "unit": "vawg"}]}))
    assert one["status"] == "triage" and [(t["question"], t["unit"]) for t in one["tasks"]] == [
        (1, "vawg")
    ]
    rest = ok(await case_api.post(OFFICER, path, {"accept_suggestions": True}))
    assert rest["status"] == "in_progress" and len(rest["tasks"]) == 7
    assert len(timeline(rest, "routed")) == 7


async def test_route_questions_refused(case_api: CaseApi) -> None:
    reference = await case_api.start()
    path = f"/api/cases/{reference}/routes"
    body = {"routes": [{"question": 1, "unit": "vawg"}]}
    assert (await case_api.post(None, path, body)).status_code == 401
    assert (await case_api.post(ADMIN, path, body)).status_code == 403
    assert problem(await case_api.post(MANAGER, path, body), 403) == (
        "actor: olivia-grant is not a foi_officer and cannot route questions"
    )
    # Before routing no unit may know the case: trying to route it says no more than that.
    assert problem(await case_api.post(TOM, path, body), 404) == "reference: no such case"
    assert (await case_api.post(OFFICER, f"/api/cases/{UNKNOWN}/routes", body)).status_code == 404

    roads = {"routes": [{"question": 1, "unit": "roads"}]}
    assert rejected(await case_api.post(OFFICER, path, roads)) == (
        ["body", "routes"],
        "unit 'roads' is not in the directory",
    )
    nine = {"routes": [{"question": 9, "unit": "vawg"}]}
    assert rejected(await case_api.post(OFFICER, path, nine)) == (
        ["body", "routes", 0, "question"],
        "the request has no question 9",
    )
    assert rejected(await case_api.post(OFFICER, path, {"routes": []})) == (
        ["body", "routes"],
        "give at least one question and unit",
    )
    ok(await case_api.post(OFFICER, path, body))
    assert rejected(await case_api.post(OFFICER, path, body)) == (
        ["body", "routes", 0, "question"],
        "Q1 is already routed; reassign it instead",
    )
    not_a_number = await case_api.post(OFFICER, path, {"routes": [{"question": "one"}]})
    assert not_a_number.status_code == 422
    assert [p["loc"] for p in not_a_number.json()["detail"]] == [
        ["body", "routes", 0, "question"],
        ["body", "routes", 0, "unit"],
    ]
    # Now vawg may know the case, and is refused for its role.
    assert problem(await case_api.post(TOM, path, body), 403) == (
        "actor: tom-oduya is not a foi_officer and cannot route questions"
    )

    ok(await case_api.post(OFFICER, f"/api/cases/{reference}/withdraw", {"reason": "withdrawn"}))
    assert problem(await case_api.post(OFFICER, path, {"accept_suggestions": True}), 409) == (
        f"reference: case {reference} is closed; closed cases cannot change"
    )


# --- POST …/questions/{n}/reassign -----------------------------------------------------------


async def test_reassign_a_question(case_api: CaseApi) -> None:
    reference = await case_api.routed()
    path = f"/api/cases/{reference}/questions/3/reassign"
    moved = ok(
        await case_api.post(OFFICER, path, {"unit": "hate-crime", "reason": "hate crime panel"})
    )
    task = next(t for t in moved["tasks"] if t["question"] == 3)
    assert (task["unit"], task["assignments"], task["status"]) == ("hate-crime", ["vawg"], "open")
    assert timeline(moved, "reassigned") == [
        "Q3 reassigned from vawg to hate-crime: hate crime panel"
    ]


async def test_reassign_a_question_refused(case_api: CaseApi) -> None:
    reference = await case_api.signing()
    path = f"/api/cases/{reference}/questions/1/reassign"
    move = {"unit": "hate-crime", "reason": "wrong unit"}
    assert (await case_api.post(None, path, move)).status_code == 401
    assert problem(await case_api.post(TOM, path, move), 403) == (
        "actor: tom-oduya is not a foi_officer and cannot reassign tasks"
    )
    assert (await case_api.post(LUCY, path, move)).status_code == 404
    assert rejected(await case_api.post(OFFICER, path, {**move, "unit": "vawg"})) == (
        ["body", "unit"],
        "Q1 is already with vawg",
    )
    assert rejected(await case_api.post(OFFICER, path, {**move, "reason": " "})) == (
        ["body", "reason"],
        "say why the task moves",
    )
    assert rejected(await case_api.post(OFFICER, path, {**move, "unit": "Hate Crime"}))[0] == [
        "body",
        "unit",
    ]
    assert rejected(await case_api.post(OFFICER, path, {**move, "unit": "roads"})) == (
        ["body", "unit"],
        "unit 'roads' is not in the directory",
    )
    locked = f"/api/cases/{reference}/questions/4/reassign"
    assert rejected(await case_api.post(OFFICER, locked, move)) == (
        ["path", "question"],
        "Q4 is under sign-off or settled and cannot be reassigned",
    )
    nine = f"/api/cases/{reference}/questions/9/reassign"
    assert rejected(await case_api.post(OFFICER, nine, move)) == (
        ["path", "question"],
        "Q9 has no task",
    )
    zero = f"/api/cases/{reference}/questions/0/reassign"
    assert rejected(await case_api.post(OFFICER, zero, move))[0] == ["path", "question"]

    ok(await case_api.post(OFFICER, f"/api/cases/{reference}/withdraw", {"reason": "withdrawn"}))
    assert problem(await case_api.post(OFFICER, path, move), 409) == (
        f"reference: case {reference} is closed; closed cases cannot change"
    )


# --- POST …/questions/{n}/answer -------------------------------------------------------------


async def test_answer_a_question(case_api: CaseApi) -> None:
    reference = await case_api.routed()
    answered = ok(await case_api.post(TOM, f"/api/cases/{reference}/questions/1/answer", NOT_HELD))
    task = answered["tasks"][0]
    assert (task["status"], task["answered_by"], task["answer"]["kind"]) == (
        "answered",
        TOM,
        "not_held",
    )
    assert answered["requester"] is None
    # The unit's manager answers for it too.
    revised = ok(
        await case_api.post(
            "helen-marsh",
            f"/api/cases/{reference}/questions/1/answer",
            {**NOT_HELD, "searches": "panel files and minutes"},
        )
    )
    assert timeline(revised, "answered")[-1] == "vawg revised the answer to Q1: not_held"


async def test_answer_a_question_refused(case_api: CaseApi) -> None:
    reference = await case_api.routed()
    q4 = f"/api/cases/{reference}/questions/4/answer"
    # s31 is qualified: an exempt answer must weigh the public interest.
    claim = {k: v for k, v in EXEMPT["claims"][0].items() if not k.startswith("public_interest")}
    unweighed = {"kind": "exempt", "claims": [claim]}
    assert rejected(await case_api.post(PRIYA, q4, unweighed)) == (
        ["body", "claims", 0, "public_interest_for"],
        "section 31 is a qualified exemption: record public interest factors for and against "
        "disclosure",
    )
    unknown = {"kind": "exempt", "claims": [{**EXEMPT["claims"][0], "section": "99"}]}
    loc, msg = rejected(await case_api.post(PRIYA, q4, unknown))
    assert loc == ["body", "claims", 0, "section"]
    assert msg.startswith("'99' is not an exemption in FOIA Part II (known: s21, s22")
    assert rejected(await case_api.post(PRIYA, q4, {"kind": "not_held"})) == (
        ["body", "searches"],
        "record where and how the information was searched for",
    )
    assert rejected(await case_api.post(PRIYA, q4, {"kind": "maybe"}))[0] == ["body", "kind"]
    # The unit's role may answer, but not another unit's question: the workflow's own refusal.
    assert rejected(await case_api.post(TOM, q4, NOT_HELD)) == (
        ["body", "actor"],
        "tom-oduya is not a member of unit hate-crime, which owns Q4",
    )
    assert problem(await case_api.post(OFFICER, q4, NOT_HELD), 403) == (
        "actor: aisha-rahman is not a unit_contact or unit_manager and cannot answer questions"
    )
    assert problem(await case_api.post(LUCY, q4, NOT_HELD), 404) == "reference: no such case"
    assert (await case_api.post(None, q4, NOT_HELD)).status_code == 401

    composed = await case_api.composed()
    assert problem(
        await case_api.post(TOM, f"/api/cases/{composed}/questions/1/answer", NOT_HELD), 409
    ) == (
        "status: the case is response_review; the response is composed and its answers can no "
        "longer be revised"
    )
    locked = f"/api/cases/{await case_api.signing()}/questions/4/answer"
    assert rejected(await case_api.post(PRIYA, locked, EXEMPT)) == (
        ["path", "question"],
        "the answer to Q4 is under sign-off and can no longer be revised",
    )


# --- POST …/sign-offs/{section} --------------------------------------------------------------


async def test_sign_off(case_api: CaseApi) -> None:
    reference = await case_api.signing()
    s31 = ok(await case_api.post(DAVID, f"/api/cases/{reference}/sign-offs/s31", {}))
    assert s31["status"] == "sign_off" and s31["requester"] is None
    assert [(s["section"], s["status"], s["decided_by"]) for s in s31["sign_offs"]] == [
        ("31", "approved", DAVID),
        ("40", "pending", None),
    ]
    refused = ok(
        await case_api.post(
            SARAH,
            f"/api/cases/{reference}/sign-offs/40",
            {"approve": False, "reason": "names are already public"},
        )
    )
    assert refused["status"] == "in_progress"
    assert {t["question"]: t["status"] for t in refused["tasks"]} == {
        1: "answered",
        2: "answered",
        3: "answered",
        4: "returned",
        5: "returned",
        6: "returned",
        7: "returned",
    }
    assert timeline(refused, "sign_off_rejected") == ["s40 rejected: names are already public"]


async def test_sign_off_refused(case_api: CaseApi) -> None:
    reference = await case_api.signing()
    s31 = f"/api/cases/{reference}/sign-offs/31"
    assert (await case_api.post(None, s31, {})).status_code == 401
    assert problem(await case_api.post(SARAH, s31, {}), 403) == (
        "actor: sarah-bennett is not a senior_officer and cannot sign off section 31"
    )
    assert problem(await case_api.post(OFFICER, s31, {}), 403) == (
        "actor: aisha-rahman is not a senior_officer and cannot sign off section 31"
    )
    assert (await case_api.post(MANAGER, s31, {})).status_code == 403
    assert (await case_api.post(TOM, s31, {})).status_code == 403
    # The qualified person has nothing to sign off here: the case is not theirs to know.
    assert problem(await case_api.post("james-whitfield", s31, {}), 404) == (
        "reference: no such case"
    )
    assert rejected(await case_api.post(DAVID, s31, {"approve": False})) == (
        ["body", "reason"],
        "say why the sign-off is refused, for the unit",
    )
    assert rejected(await case_api.post(DAVID, f"/api/cases/{reference}/sign-offs/36", {})) == (
        ["path", "section"],
        "no sign-off is pending for section 36",
    )
    assert rejected(await case_api.post(DAVID, f"/api/cases/{reference}/sign-offs/x31", {}))[0] == [
        "path",
        "section",
    ]

    ok(
        await case_api.post(
            SARAH, f"/api/cases/{reference}/sign-offs/40", {"approve": False, "reason": "no"}
        )
    )
    assert problem(await case_api.post(DAVID, s31, {}), 409) == (
        "status: the case is in_progress, not awaiting sign-off"
    )


# --- POST …/clock-events ---------------------------------------------------------------------


async def test_clock_events(case_api: CaseApi) -> None:
    reference = await case_api.start()
    path = f"/api/cases/{reference}/clock-events"
    asked = ok(await case_api.post(OFFICER, path, {"kind": "clarification_requested"}))
    assert asked["status"] == "awaiting_clarification" and asked["clock"]["paused"] is True
    assert asked["clock"]["due_date"] is None
    [entry] = timeline(asked, "clock_clarification_requested")
    assert "→ paused" in entry
    answered = ok(
        await case_api.post(OFFICER, path, {"kind": "clarification_received", "note": "by email"})
    )
    assert answered["status"] == "triage" and answered["clock"]["paused"] is False
    assert answered["clock"]["due_date"] is not None
    assert timeline(answered, "clock_clarification_received")[0].endswith("(by email)")


async def test_clock_events_refused(case_api: CaseApi) -> None:
    reference = await case_api.routed()
    path = f"/api/cases/{reference}/clock-events"
    assert (await case_api.post(None, path, {"kind": "extension"})).status_code == 401
    assert problem(await case_api.post(TOM, path, {"kind": "extension"}), 403) == (
        "actor: tom-oduya is not a foi_officer and cannot record clock events"
    )
    assert (await case_api.post(LUCY, path, {"kind": "extension"})).status_code == 404
    assert rejected(await case_api.post(OFFICER, path, {"kind": "extension"})) == (
        ["body", "extension"],
        "say which extension",
    )
    public_interest = {"kind": "extension", "extension": "public_interest"}
    assert rejected(await case_api.post(OFFICER, path, public_interest)) == (
        ["body", "extension"],
        "a public interest extension (s10(3)) needs a qualified exemption under consideration, "
        "and none has been claimed",
    )
    assert rejected(await case_api.post(OFFICER, path, {"kind": "received"})) == (
        ["body", "kind"],
        "the receipt is recorded at intake only",
    )
    assert rejected(await case_api.post(OFFICER, path, {"kind": "holiday"}))[0] == ["body", "kind"]
    # The statute's clock refuses events out of order, and times it cannot have happened at.
    assert rejected(await case_api.post(OFFICER, path, {"kind": "fee_received"})) == (
        ["body", "kind"],
        "no fees notice was given before the fee arrived",
    )
    future = {"kind": "clarification_requested", "at": "2999-01-01T09:00:00+00:00"}
    assert rejected(await case_api.post(OFFICER, path, future)) == (
        ["body", "at"],
        "2999-01-01T09:00:00+00:00 is in the future",
    )
    beyond = {"kind": "clarification_requested", "at": "9999-12-31T23:00:00-05:00"}
    assert rejected(await case_api.post(OFFICER, path, beyond)) == (
        ["body", "at"],
        "Value error, 9999-12-31T23:00:00-05:00 is not a time the clock can count",
    )
    past = {"kind": "clarification_requested", "at": "2001-01-01T09:00:00+00:00"}
    assert rejected(await case_api.post(OFFICER, path, past)) == (
        ["body", "at"],
        "2001-01-01T09:00:00+00:00 is before the request was received",
    )

    ok(await case_api.post(OFFICER, f"/api/cases/{reference}/withdraw", {"reason": "withdrawn"}))
    assert problem(
        await case_api.post(OFFICER, path, {"kind": "clarification_requested"}), 409
    ) == (f"reference: case {reference} is closed; closed cases cannot change")


# --- POST …/cost-decision --------------------------------------------------------------------


async def over_the_cost_limit(case_api: CaseApi) -> str:
    reference = await case_api.routed()
    costly = {"kind": "cost", "hours": 30, "note": "every panel file by hand"}
    case = ok(await case_api.post(TOM, f"/api/cases/{reference}/questions/1/answer", costly))
    assert case["status"] == "cost_review"
    return reference


async def test_cost_decision(case_api: CaseApi) -> None:
    reference = await over_the_cost_limit(case_api)
    path = f"/api/cases/{reference}/cost-decision"
    refused = ok(
        await case_api.post(
            OFFICER, path, {"refuse": True, "advice": "Ask for one year of minutes"}
        )
    )
    assert refused["status"] == "response_review"
    assert refused["response"]["outcome"] == "refused_cost"
    assert "Ask for one year of minutes" in refused["response"]["text"]

    other = await over_the_cost_limit(case_api)
    carry_on = ok(
        await case_api.post(OFFICER, f"/api/cases/{other}/cost-decision", {"refuse": False})
    )
    assert carry_on["status"] == "in_progress"
    assert timeline(carry_on, "cost_continue") == ["continuing despite the s12 estimate"]


async def test_cost_decision_refused(case_api: CaseApi) -> None:
    reference = await over_the_cost_limit(case_api)
    path = f"/api/cases/{reference}/cost-decision"
    assert (await case_api.post(None, path, {"refuse": True})).status_code == 401
    assert problem(await case_api.post(TOM, path, {"refuse": False}), 403) == (
        "actor: tom-oduya is not a foi_officer and cannot decide on cost"
    )
    assert (await case_api.post(LUCY, path, {"refuse": False})).status_code == 404
    assert rejected(await case_api.post(OFFICER, path, {"refuse": True})) == (
        ["body", "advice"],
        "a s12 refusal must advise how the request could be narrowed (s16)",
    )
    assert rejected(await case_api.post(OFFICER, path, {}))[0] == ["body", "refuse"]
    in_progress = await case_api.routed()
    assert problem(
        await case_api.post(OFFICER, f"/api/cases/{in_progress}/cost-decision", {"refuse": False}),
        409,
    ) == ("status: the case is in_progress, not under cost review")


# --- POST …/approve and …/issue --------------------------------------------------------------


async def test_approve_and_issue(case_api: CaseApi) -> None:
    reference = await case_api.composed()
    letter = (await case_api.get(OFFICER, f"/api/cases/{reference}/letter")).text
    edited = letter + "\nWith kind regards,\nThe FOI team\n"
    approved = ok(await case_api.post(OFFICER, f"/api/cases/{reference}/approve", {"text": edited}))
    assert approved["status"] == "approved"
    assert (approved["response"]["edited"], approved["response"]["approved_by"]) == (
        True,
        OFFICER,
    )
    assert timeline(approved, "approved") == ["response approved (edited)"]
    assert (await case_api.get(OFFICER, f"/api/cases/{reference}/letter")).text == edited

    issued = ok(await case_api.post(OFFICER, f"/api/cases/{reference}/issue"))
    assert (issued["status"], issued["on_time"], issued["outcome"]) == (
        "issued",
        True,
        "withheld_in_full",
    )
    assert issued["issued_at"] is not None and issued["actions"] == []


async def test_approve_refused(case_api: CaseApi) -> None:
    reference = await case_api.composed()
    path = f"/api/cases/{reference}/approve"
    assert (await case_api.post(None, path)).status_code == 401
    assert problem(await case_api.post(MANAGER, path), 403) == (
        "actor: olivia-grant is not a foi_officer and cannot approve responses"
    )
    assert (await case_api.post(DAVID, path)).status_code == 403
    assert (await case_api.post(LUCY, path)).status_code == 404
    assert rejected(await case_api.post(OFFICER, path, {"text": "We withhold it all."})) == (
        ["body", "text"],
        "a refusal notice must set out the internal review procedure and the right to complain "
        "to the Information Commissioner (s17(7))",
    )
    assert rejected(await case_api.post(OFFICER, path, {"text": "  "})) == (
        ["body", "text"],
        "the response cannot be empty",
    )
    assert rejected(await case_api.post(OFFICER, path, {"text": 7}))[0] == ["body", "text"]
    ok(await case_api.post(OFFICER, path))
    assert problem(await case_api.post(OFFICER, path), 409) == (
        "status: the case is approved; there is no composed response to approve"
    )
    in_progress = await case_api.routed()
    assert problem(await case_api.post(OFFICER, f"/api/cases/{in_progress}/approve"), 409) == (
        "status: the case is in_progress; there is no composed response to approve"
    )


async def test_issue_refused(case_api: CaseApi) -> None:
    composed = await case_api.composed()
    path = f"/api/cases/{composed}/issue"
    assert (await case_api.post(None, path)).status_code == 401
    assert problem(await case_api.post(OFFICER, path), 409) == (
        "status: the case is response_review; approve the response before issuing it"
    )
    assert problem(await case_api.post(DAVID, path), 403) == (
        "actor: david-hughes is not a foi_officer and cannot issue responses"
    )
    assert (await case_api.post("james-whitfield", path)).status_code == 404
    assert (await case_api.post(ADMIN, path)).status_code == 403
    approved = await case_api.approved()
    spaced = await case_api.post(OFFICER, f"/api/cases/{approved}/issue", key="not a key")
    assert rejected(spaced) == (
        ["header", "Idempotency-Key"],
        "must be visible ASCII characters (no spaces)",
    )
    ok(await case_api.post(OFFICER, f"/api/cases/{approved}/issue"))
    assert problem(await case_api.post(OFFICER, f"/api/cases/{approved}/issue"), 409) == (
        f"reference: case {approved} is closed; closed cases cannot change"
    )


# --- POST …/withdraw -------------------------------------------------------------------------


async def test_withdraw(case_api: CaseApi) -> None:
    reference = await case_api.routed()
    path = f"/api/cases/{reference}/withdraw"
    assert (await case_api.post(None, path, {"reason": "x"})).status_code == 401
    assert problem(await case_api.post(TOM, path, {"reason": "x"}), 403) == (
        "actor: tom-oduya is not a foi_officer and cannot close cases"
    )
    assert (await case_api.post(LUCY, path, {"reason": "x"})).status_code == 404
    assert rejected(await case_api.post(OFFICER, path, {"reason": " "})) == (
        ["body", "reason"],
        "say why the case is closed",
    )
    assert rejected(await case_api.post(OFFICER, path, {}))[0] == ["body", "reason"]
    closed = ok(await case_api.post(OFFICER, path, {"reason": "the requester withdrew by phone"}))
    assert (closed["status"], closed["outcome"], closed["actions"]) == (
        "withdrawn",
        "withdrawn",
        [],
    )
    assert timeline(closed, "withdrawn") == ["case withdrawn: the requester withdrew by phone"]
    assert problem(await case_api.post(OFFICER, path, {"reason": "again"}), 409) == (
        f"reference: case {reference} is closed; closed cases cannot change"
    )
    assert (await case_api.get(TOM, f"/api/cases/{reference}")).status_code == 200


# --- GET /api/tasks and /api/sign-offs -------------------------------------------------------


async def test_my_tasks(case_api: CaseApi) -> None:
    reference = await case_api.routed()
    await case_api.settle(reference)

    async def mine(user: str) -> list[dict[str, Any]]:
        tasks: list[dict[str, Any]] = ok(await case_api.get(user, "/api/tasks"))
        return [t for t in tasks if t["reference"] == reference]

    tom = await mine(TOM)
    assert [(t["question"], t["unit"], t["status"]) for t in tom] == [
        (1, "vawg", "open"),
        (2, "vawg", "open"),
        (3, "vawg", "open"),
    ]
    case = ok(await case_api.get(OFFICER, f"/api/cases/{reference}"))
    assert {t["statutory_due"] for t in tom} == {case["clock"]["due_date"]}
    assert {t["internal_due"] for t in tom} == {case["tasks"][0]["internal_due"]}
    assert all(t["working_days_left"] is not None for t in tom)
    assert await mine("helen-marsh") == tom  # the unit's manager sees its tasks
    assert [t["question"] for t in await mine(PRIYA)] == [4, 5]
    for user in (LUCY, OFFICER, DAVID, MANAGER):
        assert await mine(user) == []

    ok(await case_api.post(TOM, f"/api/cases/{reference}/questions/1/answer", NOT_HELD))
    await case_api.settle(reference)
    assert [t["question"] for t in await mine(TOM)] == [2, 3]

    assert (await case_api.get(None, "/api/tasks")).status_code == 401
    assert (await case_api.get(ADMIN, "/api/tasks")).status_code == 403


async def test_my_sign_offs(case_api: CaseApi) -> None:
    reference = await case_api.signing()
    await case_api.settle(reference)

    async def mine(user: str) -> list[tuple[str, str]]:
        waiting: list[dict[str, Any]] = ok(await case_api.get(user, "/api/sign-offs"))
        return [(w["section"], w["required_role"]) for w in waiting if w["reference"] == reference]

    assert await mine(DAVID) == [("31", "senior_officer")]
    assert await mine(SARAH) == [("40", "data_protection_officer")]
    for user in ("james-whitfield", "neil-carter", TOM, PRIYA, OFFICER, MANAGER):
        assert await mine(user) == []
    waiting = ok(await case_api.get(DAVID, "/api/sign-offs"))
    [row] = [w for w in waiting if w["reference"] == reference]
    assert row["questions"] == [4, 5, 6, 7]
    assert row["recommended_by"] == [PRIYA, "gareth-evans"]

    ok(await case_api.post(DAVID, f"/api/cases/{reference}/sign-offs/31", {}))
    await case_api.settle(reference)
    assert await mine(DAVID) == []
    assert await mine(SARAH) == [("40", "data_protection_officer")]

    assert (await case_api.get(None, "/api/sign-offs")).status_code == 401
    assert (await case_api.get(ADMIN, "/api/sign-offs")).status_code == 403
