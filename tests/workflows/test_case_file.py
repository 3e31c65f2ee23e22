"""The case file outside Temporal: every handler's change, the status moves, what updates say."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from activities.case_activities import load_calendar_window
from domain.case import Answer, AnswerKind, CaseStatus, SignOffStatus, TaskStatus
from domain.messages import (
    AnswerTask,
    ApproveResponse,
    CloseCase,
    CostDecision,
    IssueResponse,
    LoadCalendar,
    ReassignTask,
    RecordClockEvent,
    Route,
    RouteQuestions,
    SignOffDecision,
)
from domain.transitions import Action, transition
from statute import ClockEventKind, packaged_calendar
from statute.calendar import SCOTLAND
from statute.exemptions import Outcome

from case_driver import (
    DPO,
    HATE,
    LONDON,
    OFFICER,
    SEED_ROUTES,
    SENIOR,
    UNIT_ACTORS,
    MemoryCalendars,
    answer_file,
    case_file,
    route_file,
    seed_answer,
)


def test_the_seed_case_from_receipt_to_issue() -> None:
    case, clock = case_file()
    assert [e.kind for e in case.state.timeline] == ["received"]
    assert case.state.timeline[0].text == (
        "FOIA request received 2025-03-03 by email, 7 question(s); due 2025-04-01"
    )
    routes = [Route(question=q, unit=u) for q, u in SEED_ROUTES.items()]
    result = case.apply(case.route, RouteQuestions(actor=OFFICER, routes=routes))
    assert result.status == CaseStatus.IN_PROGRESS
    assert result.changed.startswith("Q1 routed to vawg; Q2 routed to vawg; ")
    assert result.version == case.state.version

    for q in range(1, 8):
        answer = AnswerTask(actor=UNIT_ACTORS[SEED_ROUTES[q]], question=q, answer=seed_answer(q))
        result = case.apply(case.answer, answer)
    assert result.status == CaseStatus.SIGN_OFF
    assert result.changed == (
        "community-engagement answered Q7: partly_held, s31(1)(a)(b), s40(2)(3); "
        "s31 needs sign-off by senior_officer (Q4, Q5, Q6, Q7); "
        "s40 needs sign-off by data_protection_officer (Q4, Q5, Q6, Q7)"
    )
    assert {t.question for t in case.state.tasks if t.status == TaskStatus.LOCKED} == {4, 5, 6, 7}

    case.decide_sign_off(SignOffDecision(actor=SENIOR, section="31", approve=True))
    result = case.apply(
        case.decide_sign_off, SignOffDecision(actor=DPO, section="40", approve=True)
    )
    assert result.status == CaseStatus.RESPONSE_REVIEW
    assert result.changed == "s40 approved; response composed: Withheld in full"
    assert all(t.status == TaskStatus.SETTLED for t in case.state.tasks)

    result = case.apply(case.approve, ApproveResponse(actor=OFFICER))
    assert result.status == transition(Action.APPROVE).leads_to == CaseStatus.APPROVED
    clock.move_to(datetime(2025, 3, 31, 15, tzinfo=LONDON))
    result = case.apply(case.issue, IssueResponse(actor=OFFICER))
    assert result.status == transition(Action.ISSUE).leads_to == CaseStatus.ISSUED
    assert result.changed == (
        "response issued on 2025-03-31 (on time; due 2025-04-01); outcome: Withheld in full"
    )
    assert case.closed and case.issued_in_time() is True
    view = case.view()
    assert view.outcome == Outcome.WITHHELD_IN_FULL and view.on_time_with_extensions is True
    assert [e.seq for e in view.timeline] == list(range(1, len(view.timeline) + 1))


def test_a_refused_sign_off_returns_the_questions_to_their_units() -> None:
    case = answer_file(route_file(case_file()[0]))
    result = case.apply(
        case.decide_sign_off,
        SignOffDecision(actor=SENIOR, section="31", approve=False, reason="Too broad"),
    )
    assert result.status == CaseStatus.IN_PROGRESS
    returned = {t.question: t for t in case.state.tasks if t.status == TaskStatus.RETURNED}
    assert set(returned) == {4, 5, 6, 7}
    assert returned[4].returned_reason == "s31 sign-off refused: Too broad"
    # A fresh answer on the same claims asks for s31 again; s40's pending request stands.
    for q in (4, 5, 6, 7):
        actor = UNIT_ACTORS[SEED_ROUTES[q]]
        case.answer(AnswerTask(actor=actor, question=q, answer=seed_answer(q)))
    sign_offs = {s.section: s for s in case.state.sign_offs}
    assert sign_offs["31"].status == SignOffStatus.PENDING and sign_offs["31"].decided_by is None
    assert case.state.status == CaseStatus.SIGN_OFF


def test_a_reassigned_task_starts_again_with_its_new_unit() -> None:
    case = route_file(case_file()[0])
    case.answer(AnswerTask(actor=HATE, question=4, answer=seed_answer(4)))
    result = case.apply(
        case.reassign, ReassignTask(actor=OFFICER, question=4, unit="vawg", reason="VAWG holds it")
    )
    assert result.changed == "Q4 reassigned from hate-crime to vawg: VAWG holds it"
    task = next(t for t in case.state.tasks if t.question == 4)
    assert (task.unit, task.status, task.answer, task.assignments) == (
        "vawg",
        TaskStatus.OPEN,
        None,
        ["hate-crime"],
    )


def test_a_clarification_pauses_and_resumes_where_the_case_was() -> None:
    case, clock = case_file()
    case = route_file(case)
    result = case.apply(
        case.record_clock_event,
        RecordClockEvent(actor=OFFICER, kind=ClockEventKind.CLARIFICATION_REQUESTED),
    )
    assert result.status == CaseStatus.AWAITING_CLARIFICATION
    assert result.changed.endswith("; due date 2025-04-01 → paused")
    # A fees notice during the pause: the case resumes where the first pause found it.
    clock.move_to(clock() + timedelta(days=1))
    case.record_clock_event(RecordClockEvent(actor=OFFICER, kind=ClockEventKind.FEES_NOTICE_GIVEN))
    assert case.state.status == CaseStatus.AWAITING_FEE
    assert case.state.resume_status == CaseStatus.IN_PROGRESS
    clock.move_to(datetime(2025, 3, 10, 11, tzinfo=LONDON))
    case.record_clock_event(RecordClockEvent(actor=OFFICER, kind=ClockEventKind.FEE_RECEIVED))
    assert case.state.status == CaseStatus.IN_PROGRESS and case.state.resume_status is None


def test_cost_estimates_over_the_limit_go_to_the_officer() -> None:
    case = route_file(case_file()[0])
    for q in range(1, 8):
        answer = Answer(kind=AnswerKind.COST, hours=3.0)
        case.answer(AnswerTask(actor=UNIT_ACTORS[SEED_ROUTES[q]], question=q, answer=answer))
    assert case.state.status == CaseStatus.COST_REVIEW
    assert case.state.timeline[-1].text == (
        "cost estimates total 21 h, over the 18 h limit (s12): officer to decide"
    )
    result = case.apply(
        case.decide_cost, CostDecision(actor=OFFICER, refuse=True, advice="One panel at a time.")
    )
    assert result.status == CaseStatus.RESPONSE_REVIEW
    assert result.changed == "refusal under s12 composed (s16 advice)"
    assert case.state.response is not None
    assert case.state.response.outcome == Outcome.REFUSED_COST


def test_withdrawal_and_lapse_close_the_case() -> None:
    case = route_file(case_file()[0])
    result = case.apply(case.withdraw, CloseCase(actor=OFFICER, reason="requester withdrew"))
    assert result.status == CaseStatus.WITHDRAWN
    assert result.changed == "case withdrawn: requester withdrew"
    assert case.state.outcome == Outcome.WITHDRAWN and case.planned_reminders() == []

    lapsing, clock = case_file()
    lapsing.record_clock_event(
        RecordClockEvent(actor=OFFICER, kind=ClockEventKind.CLARIFICATION_REQUESTED)
    )
    lapse_date = lapsing.clock().lapse_date
    assert lapse_date is not None
    wake = lapsing.next_wake()
    assert wake == datetime.combine(lapse_date + timedelta(days=1), datetime.min.time(), LONDON)
    clock.move_to(wake)
    lapsing.check_lapse()
    assert lapsing.state.status == CaseStatus.LAPSED
    assert lapsing.state.timeline[-1].text.startswith(
        "case lapsed: awaiting clarification requested on 2025-03-03"
    )


def test_a_new_calendar_moves_the_deadlines_and_says_so() -> None:
    case = route_file(case_file()[0])
    # A Scottish holiday on Thu 20 Mar 2025 is a non-working day for FOIA everywhere (s10(6)).
    v2 = packaged_calendar().with_proclaimed(date(2025, 3, 20), [SCOTLAND], "Proclaimed", version=2)
    around = LoadCalendar.around(2, case.intake.received_at.date())
    case.change_calendar(2, load_calendar_window(MemoryCalendars(v2), around))
    assert case.clock().due_date == date(2025, 4, 2)
    assert case.state.timeline[-1].kind == "calendar_changed"
    assert case.state.timeline[-1].text == (
        "due date moved from 2025-04-01 to 2025-04-02 by calendar v2: "
        "20 Mar 2025 added (Scotland: Proclaimed)"
    )
    # Units' deadlines move too (Tue 18 Mar is before the new holiday, so stays).
    assert {t.internal_due for t in case.state.tasks} == {date(2025, 3, 18)}
