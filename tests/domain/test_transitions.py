"""The transition table: who may do what in which status, in the words the workflow refuses with."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.case import (
    CLOSED_STATUSES,
    Actor,
    CaseStatus,
    CaseView,
    ClockView,
    Question,
    SignOff,
    SignOffStatus,
    Task,
    TaskStatus,
)
from domain.transitions import (
    OPEN_STATUSES,
    TRANSITIONS,
    Action,
    allows,
    available_actions,
    clock_transition,
    refusal,
    transition,
)
from statute import ClockEventKind
from statute.exemptions import Role

OFFICER = Actor(user_id="aisha", roles=[Role.FOI_OFFICER], units=["foi"])
UNIT = Actor(user_id="tom", roles=[Role.UNIT_CONTACT], units=["vawg"])
SENIOR = Actor(user_id="david", roles=[Role.SENIOR_OFFICER])
ADMIN = Actor(user_id="root", roles=[Role.ADMIN])


def test_every_action_has_one_row() -> None:
    assert [t.action for t in TRANSITIONS] == list(Action)
    assert all(transition(a).action == a for a in Action)


@pytest.mark.parametrize(
    ("action", "actor", "message"),
    [
        (Action.ROUTE, UNIT, "actor: tom is not a foi_officer and cannot route questions"),
        (Action.REASSIGN, UNIT, "actor: tom is not a foi_officer and cannot reassign tasks"),
        (Action.EXTEND, UNIT, "actor: tom is not a foi_officer and cannot record clock events"),
        (Action.DECIDE_COST, SENIOR, "actor: david is not a foi_officer and cannot decide on cost"),
        (Action.WITHDRAW, ADMIN, "actor: root is not a foi_officer and cannot close cases"),
        (
            Action.ANSWER,
            OFFICER,
            "actor: aisha is not a unit_contact or unit_manager and cannot answer questions",
        ),
    ],
)
def test_the_wrong_role_is_refused_naming_the_role(
    action: Action, actor: Actor, message: str
) -> None:
    assert refusal(action, CaseStatus.IN_PROGRESS, actor) == message


@pytest.mark.parametrize(
    ("action", "status", "message"),
    [
        (
            Action.SIGN_OFF,
            CaseStatus.IN_PROGRESS,
            "status: the case is in_progress, not awaiting sign-off",
        ),
        (
            Action.DECIDE_COST,
            CaseStatus.SIGN_OFF,
            "status: the case is sign_off, not under cost review",
        ),
        (
            Action.APPROVE,
            CaseStatus.IN_PROGRESS,
            "status: the case is in_progress; there is no composed response to approve",
        ),
        (
            Action.ISSUE,
            CaseStatus.RESPONSE_REVIEW,
            "status: the case is response_review; approve the response before issuing it",
        ),
        (
            Action.ANSWER,
            CaseStatus.APPROVED,
            "status: the case is approved; the response is composed and its answers can no "
            "longer be revised",
        ),
    ],
)
def test_the_wrong_status_is_refused_saying_why(
    action: Action, status: CaseStatus, message: str
) -> None:
    actor = Actor(user_id="x", roles=list(Role), units=["vawg"])
    assert refusal(action, status, actor) == message


@pytest.mark.parametrize("status", sorted(CLOSED_STATUSES))
@pytest.mark.parametrize("action", list(Action))
def test_a_closed_case_refuses_everything(action: Action, status: CaseStatus) -> None:
    actor = Actor(user_id="x", roles=list(Role), units=["vawg"])
    assert refusal(action, status, actor) == (
        f"status: the case is {status.value} and can no longer change"
    )
    assert not allows(action, status, actor.roles)


def test_the_role_is_checked_before_the_status() -> None:
    assert refusal(Action.ROUTE, CaseStatus.ISSUED, UNIT) == (
        "actor: tom is not a foi_officer and cannot route questions"
    )


def test_clock_events_are_the_officers_on_any_open_case() -> None:
    # The statute's clock, not the table, decides their order (a fee needs a fees notice first).
    for kind in ClockEventKind:
        row = clock_transition(kind)
        if kind == ClockEventKind.RECEIVED:
            assert row is None  # recorded at intake only
            continue
        assert row is not None and row.clock_event == kind
        for status in OPEN_STATUSES:
            assert refusal(row.action, status, OFFICER) is None
            assert refusal(row.action, status, UNIT) is not None


def test_pauses_and_human_steps_lead_where_the_table_says() -> None:
    leads = {t.action: t.leads_to for t in TRANSITIONS if t.leads_to is not None}
    assert leads == {
        Action.REQUEST_CLARIFICATION: CaseStatus.AWAITING_CLARIFICATION,
        Action.GIVE_FEES_NOTICE: CaseStatus.AWAITING_FEE,
        Action.REFUSE_VEXATIOUS: CaseStatus.RESPONSE_REVIEW,
        Action.APPROVE: CaseStatus.APPROVED,
        Action.ISSUE: CaseStatus.ISSUED,
        Action.WITHDRAW: CaseStatus.WITHDRAWN,
    }


def test_any_role_may_be_named_for_a_sign_off() -> None:
    # The authority's sign-off policy names the role per exemption; each sign-off checks it.
    for role in Role:
        actor = Actor(user_id="x", roles=[role])
        assert refusal(Action.SIGN_OFF, CaseStatus.SIGN_OFF, actor) is None


# ---- what a user may do now -------------------------------------------------------------------


def _view(
    status: CaseStatus,
    tasks: list[Task] | None = None,
    sign_offs: list[SignOff] | None = None,
    paused: bool = False,
) -> CaseView:
    day = date(2025, 3, 3)
    return CaseView(
        reference="01.FOI.25.000001",
        version=1,
        regime="foia",
        status=status,
        received_at=datetime(2025, 3, 3, 10, tzinfo=UTC),
        channel="email",
        requester=None,
        request_text="1. a\n2. b",
        questions=[Question(number=1, text="a"), Question(number=2, text="b")],
        tasks=tasks or [],
        sign_offs=sign_offs or [],
        clock=ClockView(
            due_date=None if paused else date(2025, 4, 1),
            statutory_due_date=date(2025, 4, 1),
            start_date=day,
            received_on=day,
            working_days_elapsed=0,
            working_days_remaining=None if paused else 20,
            paused=paused,
            pause_reason="awaiting clarification" if paused else None,
            overdue=False,
            extended=False,
            calendar_version=1,
            calendar_fingerprint="abc",
            explanation=[],
        ),
        cost_hours_total=0,
        reminders=[],
        timeline=[],
        response=None,
        issued_at=None,
        on_time=None,
        on_time_with_extensions=None,
        outcome=None,
        owning_units=sorted({t.unit for t in tasks or []}),
    )


def _task(question: int, unit: str, status: TaskStatus = TaskStatus.OPEN) -> Task:
    day = date(2025, 3, 3)
    return Task(
        question=question, text="q", unit=unit, status=status, routed_on=day, internal_due=day
    )


def test_an_officer_on_a_new_case_may_route_pause_extend_or_withdraw() -> None:
    assert available_actions(_view(CaseStatus.TRIAGE), OFFICER) == [
        Action.ROUTE,
        Action.REQUEST_CLARIFICATION,
        Action.GIVE_FEES_NOTICE,
        Action.EXTEND,
        Action.REFUSE_VEXATIOUS,
        Action.WITHDRAW,
    ]


def test_s14_is_offered_under_foia_and_foisa_but_not_the_eir() -> None:
    for regime in ("foia", "foisa"):
        view = _view(CaseStatus.IN_PROGRESS).model_copy(update={"regime": regime})
        assert Action.REFUSE_VEXATIOUS in available_actions(view, OFFICER)
    eir = _view(CaseStatus.IN_PROGRESS).model_copy(update={"regime": "eir"})
    assert Action.REFUSE_VEXATIOUS not in available_actions(eir, OFFICER)
    # Not while the clock waits on the requester, and not once the response is composed.
    for status in (CaseStatus.AWAITING_FEE, CaseStatus.RESPONSE_REVIEW, CaseStatus.APPROVED):
        assert refusal(Action.REFUSE_VEXATIOUS, status, OFFICER) == (
            f"status: the case is {status.value}; refuse as vexatious or repeated is not "
            "possible now"
        )
    assert refusal(Action.REFUSE_VEXATIOUS, CaseStatus.SIGN_OFF, UNIT) == (
        "actor: tom is not a foi_officer and cannot refuse requests as vexatious or repeated"
    )


def test_a_paused_case_offers_the_awaited_step() -> None:
    view = _view(CaseStatus.AWAITING_CLARIFICATION, paused=True)
    assert available_actions(view, OFFICER) == [
        Action.ROUTE,
        Action.RECEIVE_CLARIFICATION,
        Action.WITHDRAW,
    ]


def test_a_unit_may_answer_only_its_own_open_tasks() -> None:
    view = _view(CaseStatus.IN_PROGRESS, tasks=[_task(1, "vawg"), _task(2, "hate-crime")])
    assert available_actions(view, UNIT) == [Action.ANSWER]
    locked = _view(CaseStatus.SIGN_OFF, tasks=[_task(1, "vawg", TaskStatus.LOCKED)])
    assert available_actions(locked, UNIT) == []


def test_a_sign_off_is_offered_to_its_role_but_not_to_who_recommended_it() -> None:
    pending = SignOff(
        section="31",
        required_role=Role.SENIOR_OFFICER,
        questions=[1],
        recommended_by=["hate.senior"],
    )
    view = _view(CaseStatus.SIGN_OFF, sign_offs=[pending])
    assert available_actions(view, SENIOR) == [Action.SIGN_OFF]
    recommender = Actor(user_id="hate.senior", roles=[Role.SENIOR_OFFICER])
    assert available_actions(view, recommender) == []
    decided = pending.model_copy(update={"status": SignOffStatus.APPROVED})
    assert available_actions(_view(CaseStatus.SIGN_OFF, sign_offs=[decided]), SENIOR) == []
