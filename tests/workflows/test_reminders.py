"""Reminder planning as a pure function: who is reminded of what, on which day, at what time."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from domain.case import Audience, AudienceKind, CasePolicy, CaseStatus, ReminderSchedule
from domain.messages import RecordClockEvent
from statute import ClockEventKind
from workflows.case_file import CaseFile
from workflows.reminders import PlannedReminder, ReminderKind, plan_reminders, reminder_key

from case_driver import LONDON, OFFICER, case_file, route_file

REF = "01.FOI.25.000001"


def plan(case: CaseFile, now: datetime | None = None) -> list[PlannedReminder]:
    return plan_reminders(
        reference=case.intake.reference,
        state=case.state,
        clock=case.clock(),
        calendar=case.calendar(),
        policy=case.policy,
        statutory_limit=20,
        now=now or case.now(),
        zone=LONDON,
    )


def routed(policy: CasePolicy | None = None) -> CaseFile:
    return route_file(case_file(policy=policy)[0])


def by_key(planned: list[PlannedReminder]) -> dict[str, PlannedReminder]:
    return {p.key: p for p in planned}


def test_units_are_reminded_before_their_deadline_and_their_manager_after_it() -> None:
    # Routed Mon 3 Mar 2025: the unit's 10 working days end Tue 18 Mar (17 Mar, St Patrick's
    # Day, is not a working day anywhere in the UK under FOIA s10(6)).
    case = routed()
    assert {t.internal_due for t in case.state.tasks} == {date(2025, 3, 18)}
    planned = by_key(plan(case))
    reminder = planned[f"{REF}:task_reminder:q1:2025-03-13"]  # two working days before
    assert reminder.audience == Audience(kind=AudienceKind.UNIT, unit="vawg")
    assert reminder.record().audience == "unit:vawg"
    assert reminder.text == "Q1 is due from your unit on 2025-03-18"
    escalation = planned[f"{REF}:task_escalation:q4:2025-03-19"]  # the working day after
    assert escalation.audience.address == "unit_manager:hate-crime"
    assert escalation.text == "Q4 was due from hate-crime on 2025-03-18 and is still unanswered"


def test_officers_and_managers_hear_as_the_statutory_deadline_nears() -> None:
    planned = by_key(plan(routed()))
    officer = planned[f"{REF}:officer_alert:case:2025-03-25"]  # working day 15 of 20
    assert officer.audience.address == "foi_officer"
    assert officer.text == "working day 15 of 20: due 2025-04-01"
    manager = planned[f"{REF}:manager_alert:case:2025-03-28"]  # working day 18
    assert manager.audience == Audience(kind=AudienceKind.MANAGER)
    assert planned[f"{REF}:due_today:case:2025-04-01"].text == (
        "the response is due today (2025-04-01)"
    )
    overdue = planned[f"{REF}:overdue:case:2025-04-02"]
    assert overdue.text == "the response is 1 working day(s) overdue (due 2025-04-01)"


def test_reminders_go_out_at_nine_local_time_in_winter_and_summer() -> None:
    planned = by_key(plan(routed()))
    assert planned[f"{REF}:task_reminder:q1:2025-03-13"].at == datetime(2025, 3, 13, 9, tzinfo=UTC)
    # British Summer Time from 30 Mar 2025: 09:00 in London is 08:00 UTC.
    assert planned[f"{REF}:due_today:case:2025-04-01"].at == datetime(2025, 4, 1, 8, tzinfo=UTC)
    times = [p.at for p in plan(routed())]
    assert times == sorted(times)


def test_a_sent_reminder_is_not_planned_again_and_overdue_moves_on_a_day() -> None:
    case = routed()
    planned = plan(case)
    for reminder in planned:
        case.reminder_sent(reminder)
    again = plan(case, now=datetime(2025, 4, 2, 12, tzinfo=UTC))
    assert [p.key for p in again] == [f"{REF}:overdue:case:2025-04-03"]
    assert again[0].text == "the response is 2 working day(s) overdue (due 2025-04-01)"


def test_overdue_reminders_never_fall_on_a_past_day() -> None:
    later = datetime(2025, 4, 9, 12, tzinfo=UTC)  # a week late, nothing sent yet
    overdue = [p for p in plan(routed(), now=later) if p.kind == ReminderKind.OVERDUE]
    assert [p.day for p in overdue] == [date(2025, 4, 9)]


def test_a_paused_case_does_not_chase_units_and_a_closed_one_nothing() -> None:
    case = routed()
    case.record_clock_event(
        RecordClockEvent(actor=OFFICER, kind=ClockEventKind.CLARIFICATION_REQUESTED)
    )
    assert case.state.status == CaseStatus.AWAITING_CLARIFICATION
    assert plan(case) == []  # no deadline while paused, and units wait too
    case.state.status = CaseStatus.WITHDRAWN
    assert plan(case) == []


def test_no_reminder_for_a_day_before_the_case_reached_foiflow() -> None:
    case = routed()
    case.state.started_at = datetime(2025, 3, 26, 12, tzinfo=UTC)  # taken on late, migrated
    kinds = {p.kind for p in plan(case)}
    assert ReminderKind.TASK_REMINDER not in kinds and ReminderKind.OFFICER_ALERT not in kinds
    assert ReminderKind.MANAGER_ALERT in kinds


def test_the_schedule_is_the_policys() -> None:
    quiet = ReminderSchedule(
        escalate_overdue_tasks=False,
        officer_alert_at_working_day=0,
        alert_each_day_overdue=False,
        send_hour=14,
    )
    planned = plan(routed(CasePolicy(reminders=quiet)))
    kinds = {p.kind for p in planned}
    assert kinds == {ReminderKind.TASK_REMINDER, ReminderKind.MANAGER_ALERT, ReminderKind.DUE_TODAY}
    assert all(p.at.astimezone(LONDON).hour == 14 for p in planned)


def test_keys_and_notifications_keep_their_stored_form() -> None:
    assert reminder_key(REF, ReminderKind.TASK_REMINDER, 4, date(2025, 3, 13)) == (
        f"{REF}:task_reminder:q4:2025-03-13"
    )
    assert reminder_key(REF, ReminderKind.DUE_TODAY, None, date(2025, 4, 1)) == (
        f"{REF}:due_today:case:2025-04-01"
    )
    reminder = plan(routed())[0]
    note = reminder.notification(REF)
    assert note.subject == f"[{REF}] task reminder"
    assert (note.key, note.audience, note.body) == (
        reminder.key,
        "unit:vawg",
        reminder.text,
    )


@pytest.mark.parametrize(
    "address",
    [
        "unit:vawg",
        "unit_manager:hate-crime",
        "foi_officer",
        "manager",
        "role:senior_officer",
        "user:tom-oduya",
        "requester",
    ],
)
def test_an_audience_reads_back_from_its_address(address: str) -> None:
    assert Audience.parse(address).address == address


def test_a_unit_audience_needs_its_unit_and_a_role_audience_has_none() -> None:
    with pytest.raises(ValidationError, match="unit: a unit audience needs unit"):
        Audience(kind=AudienceKind.UNIT)
    with pytest.raises(ValidationError, match="unit: a manager audience takes no unit"):
        Audience(kind=AudienceKind.MANAGER, unit="vawg")
    with pytest.raises(ValidationError, match="role: a role audience needs role"):
        Audience(kind=AudienceKind.ROLE)
    with pytest.raises(ValidationError, match="user: a requester audience takes no user"):
        Audience(kind=AudienceKind.REQUESTER, user="tom-oduya")
    with pytest.raises(ValueError):
        Audience.parse("nobody")
    with pytest.raises(ValueError, match="takes no target"):
        Audience.parse("requester:someone")
