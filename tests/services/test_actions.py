"""Acting on a case: each action through its service, and every way the services say no."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from pydantic import ValidationError

from domain.case import Answer, AnswerKind, CaseStatus, Question
from domain.messages import Route
from services import actions
from services.cases import get_case
from services.context import ServiceContext
from services.errors import CaseClosed, CaseNotFound, Conflict, Forbidden, Rejected
from services.schemas import (
    ApproveIn,
    ClockEventIn,
    CostIn,
    ReassignIn,
    RoutesIn,
    SignOffIn,
    WithdrawIn,
)
from statute.clock import ClockEventKind
from statute.exemptions import Outcome

from case_driver import NOT_HELD, PARTLY_EXEMPT, SEED_ROUTES

AsUser = Callable[[str], Awaitable[ServiceContext]]
StartCase = Callable[..., Awaitable[str]]
CONTACTS = {"vawg": "tom-oduya", "hate-crime": "priya-nair", "community-engagement": "gareth-evans"}


async def test_a_case_from_routing_to_issue_and_then_closed(
    as_user: AsUser, seed_case: StartCase
) -> None:
    reference = await seed_case()
    officer = await as_user("aisha-rahman")
    view = await actions.route_questions(officer, reference, RoutesIn(accept_suggestions=True))
    assert {t.question: t.unit for t in view.tasks} == SEED_ROUTES
    assert view.requester is not None  # the officer sees who asked
    for question, unit in SEED_ROUTES.items():
        view = await actions.answer_task(
            await as_user(CONTACTS[unit]),
            reference,
            question,
            NOT_HELD if question <= 3 else PARTLY_EXEMPT,
        )
    assert view.status == CaseStatus.SIGN_OFF
    assert view.requester is None  # returned as the unit contact may see it
    view = await actions.decide_sign_off(
        await as_user("david-hughes"), reference, "31", SignOffIn()
    )
    view = await actions.decide_sign_off(
        await as_user("sarah-bennett"), reference, "s40", SignOffIn()
    )
    assert view.status == CaseStatus.RESPONSE_REVIEW
    view = await actions.approve_response(officer, reference)
    assert view.status == CaseStatus.APPROVED
    view = await actions.issue_response(officer, reference)
    assert (view.status, view.on_time, view.outcome) == (
        CaseStatus.ISSUED,
        True,
        Outcome.WITHHELD_IN_FULL,
    )

    # Closed: every further action says so, by type, whoever tries.
    with pytest.raises(CaseClosed) as caught:
        await actions.withdraw_case(officer, reference, WithdrawIn(reason="asked twice"))
    assert str(caught.value) == f"reference: case {reference} is closed; closed cases cannot change"
    with pytest.raises(CaseClosed):
        await actions.answer_task(await as_user("tom-oduya"), reference, 1, NOT_HELD)
    with pytest.raises(CaseClosed):
        await actions.route_questions(officer, reference, RoutesIn(accept_suggestions=True))
    assert (await get_case(officer, reference)).status == CaseStatus.ISSUED  # still readable


async def test_refusals_keep_the_workflows_field_and_reason(
    as_user: AsUser, seed_case: StartCase
) -> None:
    reference = await seed_case()
    officer, tom = await as_user("aisha-rahman"), await as_user("tom-oduya")

    # Before routing, a unit may not know the case exists: no refusal says otherwise.
    with pytest.raises(CaseNotFound):
        await actions.route_questions(tom, reference, RoutesIn(accept_suggestions=True))
    with pytest.raises(Rejected) as caught:
        await actions.route_questions(
            officer, reference, RoutesIn(routes=[Route(question=1, unit="roads")])
        )
    assert str(caught.value) == "routes: unit 'roads' is not in the directory"
    with pytest.raises(Rejected) as caught:
        await actions.route_questions(
            officer, reference, RoutesIn(routes=[Route(question=9, unit="vawg")])
        )
    assert str(caught.value) == "routes[0].question: the request has no question 9"

    await actions.route_questions(officer, reference, RoutesIn(accept_suggestions=True))
    before = len((await get_case(officer, reference)).timeline)
    # A role the transition table never lets route is refused as such, before the workflow.
    with pytest.raises(Forbidden) as forbidden:
        await actions.route_questions(tom, reference, RoutesIn(accept_suggestions=True))
    assert (forbidden.value.field, forbidden.value.reason) == (
        "actor",
        "tom-oduya is not a foi_officer and cannot route questions",
    )
    with pytest.raises(Rejected) as caught:
        await actions.answer_task(tom, reference, 4, NOT_HELD)
    assert (caught.value.field, caught.value.reason) == (
        "actor",
        "tom-oduya is not a member of unit hate-crime, which owns Q4",
    )
    with pytest.raises(Rejected) as caught:
        await actions.answer_task(tom, reference, 1, Answer(kind=AnswerKind.NOT_HELD))
    assert (caught.value.field, caught.value.reason) == (
        "answer.searches",
        "record where and how the information was searched for",
    )
    assert not isinstance(caught.value, Conflict)
    with pytest.raises(Conflict) as conflict:
        await actions.approve_response(officer, reference, ApproveIn(text="Dear requester"))
    assert (conflict.value.field, conflict.value.reason) == (
        "status",
        "the case is in_progress; there is no composed response to approve",
    )
    with pytest.raises(Rejected) as caught:
        await actions.reassign_task(officer, reference, 1, ReassignIn(unit="vawg", reason="x"))
    assert str(caught.value) == "unit: Q1 is already with vawg"
    assert len((await get_case(officer, reference)).timeline) == before  # nothing recorded

    # Who acts comes from the context, never from input: no person, no action.
    with pytest.raises(Forbidden) as forbidden:
        await actions.withdraw_case(
            officer.__class__(officer.settings, officer.engine, officer.client),
            reference,
            WithdrawIn(reason="x"),
        )
    assert forbidden.value.field == "actor"
    with pytest.raises(CaseNotFound):
        await actions.withdraw_case(officer, "01.FOI.26.NOPE", WithdrawIn(reason="x"))
    with pytest.raises(ValidationError):
        ReassignIn(unit="Roads Policing", reason="not a unit id")


async def test_accepting_suggestions_needs_a_rule_for_every_question(
    as_user: AsUser, seed_case: StartCase
) -> None:
    questions = [
        Question(number=1, text="Road safety budget"),
        Question(number=2, text="VAWG panel"),
    ]
    reference = await seed_case(
        request_text="1. Road safety budget\n2. VAWG panel", questions=questions
    )
    officer = await as_user("aisha-rahman")
    with pytest.raises(Rejected) as caught:
        await actions.route_questions(officer, reference, RoutesIn(accept_suggestions=True))
    assert str(caught.value) == "routes: no rule suggests a unit for Q1; give 1=UNIT"
    planned = await actions.plan_routes(
        officer,
        reference,
        RoutesIn(routes=[Route(question=1, unit="foi")], accept_suggestions=True),
    )
    assert planned == [Route(question=1, unit="foi"), Route(question=2, unit="vawg")]
    view = await actions.route_questions(officer, reference, RoutesIn(routes=planned))
    assert view.status == CaseStatus.IN_PROGRESS


async def test_the_same_update_id_acts_once(as_user: AsUser, seed_case: StartCase) -> None:
    reference = await seed_case()
    officer, tom = await as_user("aisha-rahman"), await as_user("tom-oduya")
    await actions.route_questions(officer, reference, RoutesIn(accept_suggestions=True))
    for _ in range(2):  # an HTTP retry of the same request
        view = await actions.answer_task(tom, reference, 1, NOT_HELD, update_id="answer-q1-once")
    assert [e.kind for e in view.timeline].count("answered") == 1
    view = await actions.answer_task(tom, reference, 1, NOT_HELD, update_id="answer-q1-again")
    assert [e.kind for e in view.timeline].count("answered") == 2  # a new id is a new revision


async def test_clock_cost_reassign_and_withdraw(as_user: AsUser, seed_case: StartCase) -> None:
    reference = await seed_case()
    officer, tom = await as_user("aisha-rahman"), await as_user("tom-oduya")
    await actions.route_questions(officer, reference, RoutesIn(accept_suggestions=True))

    view = await actions.reassign_task(
        officer, reference, 3, ReassignIn(unit="hate-crime", reason="minutes are kept there")
    )
    task = next(t for t in view.tasks if t.question == 3)
    assert (task.unit, task.assignments) == ("hate-crime", ["vawg"])

    paused = await actions.record_clock_event(
        officer, reference, ClockEventIn(kind=ClockEventKind.CLARIFICATION_REQUESTED)
    )
    assert paused.status == CaseStatus.AWAITING_CLARIFICATION and paused.clock.due_date is None
    resumed = await actions.record_clock_event(
        officer, reference, ClockEventIn(kind=ClockEventKind.CLARIFICATION_RECEIVED)
    )
    assert resumed.status == CaseStatus.IN_PROGRESS and resumed.clock.due_date is not None

    cost = Answer(kind=AnswerKind.COST, hours=25)
    view = await actions.answer_task(tom, reference, 1, cost)
    assert view.status == CaseStatus.COST_REVIEW
    with pytest.raises(Rejected) as caught:
        await actions.decide_cost(officer, reference, CostIn(refuse=True))
    assert str(caught.value) == (
        "advice: a s12 refusal must advise how the request could be narrowed (s16)"
    )
    view = await actions.decide_cost(
        officer, reference, CostIn(refuse=True, advice="Ask for 2023 only")
    )
    assert view.status == CaseStatus.RESPONSE_REVIEW
    assert view.response is not None and "Ask for 2023 only" in view.response.text

    view = await actions.withdraw_case(officer, reference, WithdrawIn(reason="requester withdrew"))
    assert view.status == CaseStatus.WITHDRAWN
