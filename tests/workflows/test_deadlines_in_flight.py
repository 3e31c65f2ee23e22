"""The statutory clock inside a running case: reminders, lateness, pauses, extensions, s12."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, select
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.case import Answer, AnswerKind, CaseStatus, CaseView
from domain.messages import (
    AnswerTask,
    CostDecision,
    IssueResponse,
    RecordClockEvent,
)
from settings import get_settings
from statute import ClockEventKind, calendar_for, get_regime, local_date
from statute.calendar import WorkingDayCalendar
from statute.exemptions import Outcome
from store.calendars import calendar_repository
from store.db import get_engine
from store.models import OutboxRow
from workflows.reminders import ReminderKind
from workflows.request import FoiRequestWorkflow

from case_driver import (
    HATE,
    OFFICER,
    VAWG,
    act,
    answer_seed,
    noon_on,
    route_seed,
    sign_off_and_approve,
    start_seed,
)


async def _state(handle: WorkflowHandle[Any, Any]) -> CaseView:
    view: CaseView = await handle.query(FoiRequestWorkflow.state)
    return view


def _case_calendar(view: CaseView) -> WorkingDayCalendar:
    repo = calendar_repository(get_settings())
    return calendar_for(get_regime(view.regime), repo.get(view.clock.calendar_version))


async def test_late_response_is_recorded_late_with_overdue_reminders(
    env: WorkflowEnvironment, worker: Worker
) -> None:
    handle = await start_seed(env.client, worker.task_queue, await env.get_current_time())
    await route_seed(handle)
    await answer_seed(handle)
    await sign_off_and_approve(handle)
    view = await _state(handle)
    due = view.clock.due_date
    assert due is not None
    cal = _case_calendar(view)

    # Skip past the due date: three working days late.
    late_day = cal.add_working_days(due, 3)
    await env.sleep(noon_on(late_day) - await env.get_current_time())
    view = await act(handle, FoiRequestWorkflow.issue_response, IssueResponse(actor=OFFICER))
    assert view.status == CaseStatus.ISSUED
    assert view.on_time is False and view.on_time_with_extensions is False
    assert view.timeline[-1].text.startswith(f"response issued on {late_day} (LATE; due {due})")

    sent = {(r.kind, r.on) for r in view.reminders}
    start = view.clock.start_date
    assert ("officer_alert", cal.add_working_days(start, 15)) in sent
    assert ("manager_alert", cal.add_working_days(start, 18)) in sent
    assert ("due_today", due) in sent
    overdue_days = sorted(on for kind, on in sent if kind == "overdue")
    # Each working day overdue, up to and including the day of issue (sent at 09:00).
    assert overdue_days == [cal.add_working_days(due, n) for n in (1, 2, 3)]
    assert all(cal.is_working_day(d) for d in overdue_days)

    # Every reminder went to the outbox exactly once, beside the messages about what happened
    # (queued as the case closes, after the update returned).
    with env.auto_time_skipping_disabled():
        await handle.result()
    with Session(get_engine(get_settings().database_url)) as session:
        rows = session.exec(
            select(OutboxRow.key, OutboxRow.kind).where(OutboxRow.key.startswith(view.reference))  # type: ignore[attr-defined]
        ).all()
    reminder_kinds = {k.value for k in ReminderKind}
    assert sorted(k for k, kind in rows if kind in reminder_kinds) == sorted(
        r.key for r in view.reminders
    )
    assert sorted(kind for _, kind in rows if kind not in reminder_kinds) == sorted(
        ["acknowledgement", *["task_assigned"] * 3, *["sign_off_requested"] * 2]
        + ["response_issued"] * 3
    )


async def test_unanswered_tasks_remind_then_escalate(
    env: WorkflowEnvironment, worker: Worker
) -> None:
    handle = await start_seed(env.client, worker.task_queue, await env.get_current_time())
    await route_seed(handle)
    await answer_seed(handle, range(2, 8))  # Q1 stays with the VAWG unit
    view = await _state(handle)
    task = next(t for t in view.tasks if t.question == 1)
    cal = _case_calendar(view)
    escalation_day = cal.add_working_days(task.internal_due, 1)
    await env.sleep(noon_on(escalation_day) - await env.get_current_time())
    view = await _state(handle)
    by_kind = {r.kind: r for r in view.reminders if r.key.split(":")[2] == "q1"}
    assert by_kind["task_reminder"].audience == "unit:vawg"
    assert cal.add_working_days(by_kind["task_reminder"].on, 2) == task.internal_due
    assert by_kind["task_escalation"].audience == "unit_manager:vawg"
    assert by_kind["task_escalation"].on == escalation_day
    assert not [r for r in view.reminders if r.key.split(":")[2] == "q2"]


async def test_clarification_restarts_the_clock(env: WorkflowEnvironment, worker: Worker) -> None:
    handle = await start_seed(env.client, worker.task_queue, await env.get_current_time())
    view = await act(
        handle,
        FoiRequestWorkflow.record_clock_event,
        RecordClockEvent(actor=OFFICER, kind=ClockEventKind.CLARIFICATION_REQUESTED),
    )
    assert view.status == CaseStatus.AWAITING_CLARIFICATION
    assert view.clock.paused and view.clock.due_date is None
    await env.sleep(timedelta(days=9))
    view = await act(
        handle,
        FoiRequestWorkflow.record_clock_event,
        RecordClockEvent(actor=OFFICER, kind=ClockEventKind.CLARIFICATION_RECEIVED),
    )
    cal = _case_calendar(view)
    restarted = local_date(await env.get_current_time())
    assert view.status == CaseStatus.TRIAGE
    assert view.clock.start_date == restarted
    assert view.clock.due_date == cal.add_working_days(restarted, 20)


async def test_fee_pause_disregards_the_days_until_payment(
    env: WorkflowEnvironment, worker: Worker
) -> None:
    handle = await start_seed(env.client, worker.task_queue, await env.get_current_time())
    before = (await _state(handle)).clock.due_date
    assert before is not None
    notice = await act(
        handle,
        FoiRequestWorkflow.record_clock_event,
        RecordClockEvent(actor=OFFICER, kind=ClockEventKind.FEES_NOTICE_GIVEN),
    )
    assert notice.status == CaseStatus.AWAITING_FEE and notice.clock.due_date is None
    await env.sleep(timedelta(days=6))
    view = await act(
        handle,
        FoiRequestWorkflow.record_clock_event,
        RecordClockEvent(actor=OFFICER, kind=ClockEventKind.FEE_RECEIVED),
    )
    cal = _case_calendar(view)
    paid = local_date(await env.get_current_time())
    given = local_date(notice.timeline[-1].at)
    paused = [
        given + timedelta(days=i)
        for i in range((paid - given).days + 1)
        if given + timedelta(days=i) > view.clock.start_date
        and cal.is_working_day(given + timedelta(days=i))
    ]
    assert view.clock.due_date == cal.add_working_days(before, len(paused))
    assert view.status == CaseStatus.TRIAGE


async def test_public_interest_extension_needs_a_qualified_claim_and_is_capped(
    env: WorkflowEnvironment, worker: Worker
) -> None:
    handle = await start_seed(env.client, worker.task_queue, await env.get_current_time())
    await route_seed(handle)
    extend = RecordClockEvent(
        actor=OFFICER, kind=ClockEventKind.EXTENSION, extension="public_interest", working_days=15
    )
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await handle.execute_update(FoiRequestWorkflow.record_clock_event, extend)
    assert "needs a qualified exemption" in str(caught.value.cause)

    await answer_seed(handle, range(4, 5))  # Q4 claims s31, a qualified exemption
    before = (await _state(handle)).clock.due_date
    assert before is not None
    view = await act(handle, FoiRequestWorkflow.record_clock_event, extend)
    cal = _case_calendar(view)
    assert view.clock.due_date == cal.add_working_days(before, 15)
    assert view.clock.statutory_due_date == before and view.clock.extended
    more = extend.model_copy(update={"working_days": 6})
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await handle.execute_update(FoiRequestWorkflow.record_clock_event, more)
    assert "extension beyond the cap" in str(caught.value.cause)
    assert "21 further working days" in str(caught.value.cause)


async def test_cost_estimates_add_up_to_a_section_12_refusal(
    env: WorkflowEnvironment, worker: Worker
) -> None:
    handle = await start_seed(env.client, worker.task_queue, await env.get_current_time())
    await route_seed(handle)
    await handle.execute_update(
        FoiRequestWorkflow.answer_task,
        AnswerTask(actor=VAWG, question=1, answer=Answer(kind=AnswerKind.COST, hours=10)),
    )
    view = await act(
        handle,
        FoiRequestWorkflow.answer_task,
        AnswerTask(actor=HATE, question=4, answer=Answer(kind=AnswerKind.COST, hours=9.5)),
    )
    assert view.status == CaseStatus.COST_REVIEW
    assert view.cost_hours_total == 19.5
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await handle.execute_update(
            FoiRequestWorkflow.decide_cost, CostDecision(actor=OFFICER, refuse=True)
        )
    assert "advice: a s12 refusal must advise" in str(caught.value.cause)
    view = await act(
        handle,
        FoiRequestWorkflow.decide_cost,
        CostDecision(actor=OFFICER, refuse=True, advice="Ask about one panel at a time."),
    )
    assert view.status == CaseStatus.RESPONSE_REVIEW
    assert view.response is not None and view.response.outcome == Outcome.REFUSED_COST
    for element in (
        "Section 12",
        "19.5 hours",
        "18 hours",
        "section 16",
        "Ask about one panel",
        "Information Commissioner",
    ):
        assert element in view.response.text, element


async def test_no_clarification_in_three_months_lapses_the_case(
    env: WorkflowEnvironment, worker: Worker
) -> None:
    handle = await start_seed(env.client, worker.task_queue, await env.get_current_time())
    view = await act(
        handle,
        FoiRequestWorkflow.record_clock_event,
        RecordClockEvent(actor=OFFICER, kind=ClockEventKind.CLARIFICATION_REQUESTED),
    )
    requested = local_date(view.timeline[-1].at)
    await env.sleep(noon_on(requested + timedelta(days=80)) - await env.get_current_time())
    assert (await _state(handle)).status == CaseStatus.AWAITING_CLARIFICATION
    with env.auto_time_skipping_disabled():
        await env.sleep(timedelta(days=15))
        result = await handle.result()
    assert result.status == CaseStatus.LAPSED and result.outcome == Outcome.LAPSED
    view = await _state(handle)
    assert view.timeline[-1].text.startswith("case lapsed: awaiting clarification requested on")
