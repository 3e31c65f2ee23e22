"""Reading cases: who may know a case and who asked, the letter, what each user may do now, and
the "my tasks" and "my sign-offs" lists from the read model."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest

from domain.case import CaseStatus, TaskStatus
from domain.transitions import Action
from services import actions
from services.cases import (
    available_actions,
    get_case,
    get_letter,
    list_my_sign_offs,
    list_my_tasks,
)
from services.context import ServiceContext
from services.errors import CaseNotFound, Conflict, Forbidden
from services.routing import suggest_routes
from services.schemas import ClockEventIn, RoutesIn, SignOffIn
from statute import calendar_for, get_regime
from statute.clock import ClockEventKind
from store.calendar_versions import DbCalendarRepository

from case_driver import NOT_HELD, PARTLY_EXEMPT, SEED_ROUTES

AsUser = Callable[[str], Awaitable[ServiceContext]]
StartCase = Callable[..., Awaitable[str]]
Settled = Callable[[ServiceContext, str], Awaitable[None]]

UNIT_CONTACTS = {
    "vawg": "tom-oduya",
    "hate-crime": "priya-nair",
    "community-engagement": "gareth-evans",
}


async def answer_all(
    as_user: AsUser,
    reference: str,
    contacts: dict[str, str] = UNIT_CONTACTS,
    settled: Settled | None = None,
) -> None:
    for question, unit in SEED_ROUTES.items():
        answer = NOT_HELD if question <= 3 else PARTLY_EXEMPT
        contact = await as_user(contacts[unit])
        await actions.answer_task(contact, reference, question, answer)
        if settled is not None:
            await settled(contact, reference)


async def test_who_may_know_a_case_and_who_asked(
    system: ServiceContext, as_user: AsUser, seed_case: StartCase
) -> None:
    reference = await seed_case()
    officer, manager = await as_user("aisha-rahman"), await as_user("olivia-grant")
    tom, helen = await as_user("tom-oduya"), await as_user("helen-marsh")  # vawg contact, manager
    david, admin = await as_user("david-hughes"), await as_user("kevin-ashworth")

    for ctx in (system, officer, manager):
        seen = await get_case(ctx, reference)
        assert seen.requester is not None and seen.requester.email == "requester@example.org"
    # Before routing no unit, approver or admin may know the case exists: exactly "no such case".
    for ctx in (tom, helen, david, admin):
        with pytest.raises(CaseNotFound) as caught:
            await get_case(ctx, reference)
        assert (caught.value.field, caught.value.reason) == ("reference", "no such case")

    await actions.route_questions(officer, reference, RoutesIn(accept_suggestions=True))
    for ctx in (tom, helen):  # VAWG owns Q1–Q3 now: its people see the case, not who asked
        seen = await get_case(ctx, reference)
        assert seen.requester is None and seen.reference == reference
    with pytest.raises(CaseNotFound):
        await get_case(david, reference)  # nothing for a senior officer to sign off yet

    await answer_all(as_user, reference)
    seen = await get_case(david, reference)  # s31 awaits a senior officer
    assert seen.status == CaseStatus.SIGN_OFF and seen.requester is None
    with pytest.raises(CaseNotFound):
        await get_case(admin, reference)

    with pytest.raises(CaseNotFound) as caught:
        await get_case(officer, reference + "9")
    assert str(caught.value) == "reference: no such case"


async def test_the_letter_once_composed(as_user: AsUser, seed_case: StartCase) -> None:
    reference = await seed_case()
    officer = await as_user("aisha-rahman")
    with pytest.raises(Conflict) as caught:
        await get_letter(officer, reference)
    assert caught.value.field == "reference"
    assert caught.value.reason == f"{reference} has no composed response yet (status triage)"

    await actions.route_questions(officer, reference, RoutesIn(accept_suggestions=True))
    await answer_all(as_user, reference)
    for approver, section in (("david-hughes", "31"), ("sarah-bennett", "40")):
        await actions.decide_sign_off(await as_user(approver), reference, section, SignOffIn())
    letter = await get_letter(officer, reference)
    assert "Refusal Notice under Section 17" in letter.text
    assert "requester@example.org" not in letter.text
    # A unit sees the letter too (it has a task on the case); an admin cannot know the case.
    assert (await get_letter(await as_user("tom-oduya"), reference)).text == letter.text
    with pytest.raises(CaseNotFound):
        await get_letter(await as_user("kevin-ashworth"), reference)


async def test_what_each_user_may_do_now(
    system: ServiceContext, as_user: AsUser, seed_case: StartCase
) -> None:
    reference = await seed_case()
    officer = await as_user("aisha-rahman")

    async def may(user: str) -> list[Action]:
        return [a.action for a in await available_actions(await as_user(user), reference)]

    at_triage = await may("aisha-rahman")
    assert Action.ROUTE in at_triage and Action.WITHDRAW in at_triage
    assert Action.REASSIGN not in at_triage  # nothing routed yet to move
    assert not {Action.ANSWER, Action.SIGN_OFF, Action.APPROVE, Action.ISSUE} & set(at_triage)
    labels = {a.label for a in await available_actions(officer, reference)}
    assert "Route questions" in labels
    assert await available_actions(system, reference) == []  # no person, no actions

    await actions.route_questions(officer, reference, RoutesIn(accept_suggestions=True))
    assert await may("tom-oduya") == [Action.ANSWER]
    assert Action.ROUTE not in await may("aisha-rahman")  # every question is routed

    await answer_all(as_user, reference)
    assert await may("david-hughes") == [Action.SIGN_OFF]
    assert await may("sarah-bennett") == [Action.SIGN_OFF]
    assert await may("priya-nair") == []  # her answers are under sign-off now
    assert await may("tom-oduya") == [Action.ANSWER]  # not-held answers stay revisable


async def test_my_tasks_with_their_deadlines(
    system: ServiceContext, as_user: AsUser, seed_case: StartCase, settled: Settled
) -> None:
    reference = await seed_case()
    officer, tom = await as_user("aisha-rahman"), await as_user("tom-oduya")
    await settled(officer, reference)
    view = await actions.route_questions(officer, reference, RoutesIn(accept_suggestions=True))
    await settled(officer, reference)
    routed_on = view.tasks[0].routed_on

    mine = [t for t in await list_my_tasks(tom, as_of=routed_on) if t.reference == reference]
    assert [(t.question, t.unit, t.status) for t in mine] == [
        (1, "vawg", TaskStatus.OPEN),
        (2, "vawg", TaskStatus.OPEN),
        (3, "vawg", TaskStatus.OPEN),
    ]
    task = mine[0]
    assert task.internal_due == view.tasks[0].internal_due
    assert task.statutory_due == view.clock.due_date
    assert task.case_status == CaseStatus.IN_PROGRESS
    assert task.working_days_left == 10  # the policy's task_working_days, counted from routing
    assert task.text.startswith("All organisations and community groups represented")
    # The unit's manager sees the unit's tasks; on the due day none are left; after it, negative.
    helen = await as_user("helen-marsh")
    assert [t.question for t in await list_my_tasks(helen) if t.reference == reference] == [1, 2, 3]
    due = task.internal_due
    [on_the_day] = [
        t
        for t in await list_my_tasks(tom, as_of=due)
        if t.question == 1 and t.reference == reference
    ]
    assert on_the_day.working_days_left == 0
    late_on = due + timedelta(days=9)
    calendar = calendar_for(get_regime("foia"), DbCalendarRepository(tom.engine).latest())
    [late] = [
        t
        for t in await list_my_tasks(tom, as_of=late_on)
        if t.question == 1 and t.reference == reference
    ]
    assert late.working_days_left == -calendar.count_working_days(due, late_on) < 0

    # Answered tasks leave the list; a paused case shows as such; closed cases leave it.
    await actions.answer_task(tom, reference, 1, NOT_HELD)
    await settled(officer, reference)
    await actions.record_clock_event(
        officer, reference, ClockEventIn(kind=ClockEventKind.CLARIFICATION_REQUESTED)
    )
    await settled(officer, reference)
    mine = [t for t in await list_my_tasks(tom) if t.reference == reference]
    assert [t.question for t in mine] == [2, 3]
    assert {t.case_status for t in mine} == {CaseStatus.AWAITING_CLARIFICATION}
    assert {t.statutory_due for t in mine} == {None}  # paused: no due date until it resumes
    priya = await as_user("priya-nair")
    assert [t.question for t in await list_my_tasks(priya) if t.reference == reference] == [4, 5]

    with pytest.raises(Forbidden) as caught:
        await list_my_tasks(system)  # "my" needs a person
    assert caught.value.field == "actor"


async def test_my_sign_offs_never_my_own_claims(
    as_user: AsUser, seed_case: StartCase, settled: Settled
) -> None:
    reference = await seed_case()
    officer = await as_user("aisha-rahman")
    await settled(officer, reference)
    await actions.route_questions(officer, reference, RoutesIn(accept_suggestions=True))
    await settled(officer, reference)
    # dual-role is a hate-crime contact and a senior officer: they answer Q4 and Q5 with s31.
    contacts = {**UNIT_CONTACTS, "hate-crime": "dual-role"}
    await answer_all(as_user, reference, contacts, settled)

    def on_case(rows: list[Any]) -> list[Any]:
        return [r for r in rows if r.reference == reference]

    [s31] = on_case(await list_my_sign_offs(await as_user("david-hughes")))
    assert (s31.section, s31.questions) == ("31", [4, 5, 6, 7])
    assert s31.recommended_by == ["dual-role", "gareth-evans"]
    view = await get_case(officer, reference)
    assert s31.statutory_due == view.clock.due_date and s31.working_days_left is not None
    [s40] = on_case(await list_my_sign_offs(await as_user("sarah-bennett")))
    assert s40.section == "40" and s40.required_role == "data_protection_officer"
    assert on_case(await list_my_sign_offs(await as_user("dual-role"))) == []  # their own s31
    assert on_case(await list_my_sign_offs(await as_user("tom-oduya"))) == []

    await actions.decide_sign_off(await as_user("david-hughes"), reference, "31", SignOffIn())
    await settled(officer, reference)
    assert on_case(await list_my_sign_offs(await as_user("david-hughes"))) == []
    assert len(on_case(await list_my_sign_offs(await as_user("sarah-bennett")))) == 1


async def test_suggestions_for_unrouted_questions(as_user: AsUser, seed_case: StartCase) -> None:
    reference = await seed_case()
    officer = await as_user("aisha-rahman")
    suggestions = await suggest_routes(officer, reference)
    assert {s.question: s.units[0] for s in suggestions} == SEED_ROUTES
    await actions.route_questions(
        officer, reference, RoutesIn(routes=[actions.Route(question=1, unit="foi")])
    )
    assert [s.question for s in await suggest_routes(officer, reference)] == [2, 3, 4, 5, 6, 7]
