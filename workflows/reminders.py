"""Reminder planning: which reminders and escalations a case calls for, and when they go out.

A pure function of the case's state, clock, calendar and policy at a given instant. The workflow
sleeps until the first planned one, sends what is due, records it, and plans again; recorded
reminders are never planned twice. Idempotency keys (``{reference}:{kind}:{target}:{day}``) and
audience addresses are stored in histories and outbox rows, so their form never changes.

What happens on a case (received, a task assigned, a sign-off asked for or refused, the response
issued) is told at once: ``event_notice`` builds those messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from enum import StrEnum

from domain.case import (
    CLOSED_STATUSES,
    Audience,
    AudienceKind,
    CasePolicy,
    ReminderSent,
)
from domain.messages import CaseState, Notification
from domain.notices import MessageKind, notice_key
from domain.transitions import PAUSED_STATUSES
from statute import ClockState, WorkingDayCalendar, local_date
from workflows.clock import local_time
from workflows.rules import open_tasks


class ReminderKind(StrEnum):
    TASK_REMINDER = "task_reminder"  # to the unit, before its deadline
    TASK_ESCALATION = "task_escalation"  # to the unit's manager, the day after it passed
    OFFICER_ALERT = "officer_alert"  # to the FOI officers, at working day N of the limit
    MANAGER_ALERT = "manager_alert"
    DUE_TODAY = "due_today"
    OVERDUE = "overdue"  # each working day late


def reminder_key(reference: str, kind: ReminderKind, question: int | None, day: date) -> str:
    """The outbox's idempotency key: one reminder per case, kind, question and day."""
    target = f"q{question}" if question is not None else "case"
    return notice_key(reference, kind.value, target, day)


def subject_for(reference: str, kind: str) -> str:
    return f"[{reference}] {kind.replace('_', ' ')}"


def event_notice(
    reference: str,
    kind: MessageKind,
    audience: Audience,
    target: str,
    day: date,
    text: str,
    **facts: object,
) -> Notification:
    """A message about something that just happened on the case, keyed by what it is about
    (``target``) and the local ``day``: the same event told twice the same day is one message.
    ``facts`` feed the template; they never carry the requester's identity."""
    return Notification(
        key=notice_key(reference, kind.value, target, day),
        reference=reference,
        kind=kind.value,
        audience=audience.address,
        subject=subject_for(reference, kind.value),
        body=text,
        facts={k: str(v) for k, v in facts.items() if v is not None},
    )


@dataclass(frozen=True)
class PlannedReminder:
    at: datetime  # when it goes out (UTC)
    day: date  # the local day it is for
    kind: ReminderKind
    audience: Audience
    question: int | None  # the task it is about; None for the whole case
    text: str
    key: str
    facts: dict[str, str] = field(default_factory=dict)  # for the template

    def record(self) -> ReminderSent:
        """What the case keeps once it is sent."""
        return ReminderSent(
            key=self.key,
            kind=self.kind.value,
            audience=self.audience.address,
            on=self.day,
            text=self.text,
        )

    def notification(self, reference: str) -> Notification:
        return Notification(
            key=self.key,
            reference=reference,
            kind=self.kind.value,
            audience=self.audience.address,
            subject=subject_for(reference, self.kind.value),
            body=self.text,
            facts=self.facts,
        )


@dataclass(frozen=True)
class _Plan:
    day: date
    kind: ReminderKind
    audience: Audience
    text: str
    question: int | None = None
    facts: dict[str, str] = field(default_factory=dict)


def _facts(**values: object) -> dict[str, str]:
    return {k: str(v) for k, v in values.items()}


FOI_OFFICERS = Audience(kind=AudienceKind.FOI_OFFICER)
MANAGERS = Audience(kind=AudienceKind.MANAGER)


def plan_reminders(
    *,
    reference: str,
    state: CaseState,
    clock: ClockState,
    calendar: WorkingDayCalendar,
    policy: CasePolicy,
    statutory_limit: int,
    now: datetime,
    zone: tzinfo,
) -> list[PlannedReminder]:
    """Every reminder the case calls for now and has not sent, earliest first.

    ``statutory_limit`` is the regime's working days (the alerts fall at working day N of it);
    ``zone`` is the policy's time zone, built once by the caller.
    """
    if state.status in CLOSED_STATUSES:
        return []
    sched = policy.reminders
    sent = {r.key for r in state.reminders}
    plans: list[_Plan] = []
    if state.status not in PAUSED_STATUSES:
        for task in open_tasks(state.tasks):
            unit_due = task.internal_due
            plans.append(
                _Plan(
                    calendar.subtract_working_days(unit_due, sched.unit_reminder_before_task_due),
                    ReminderKind.TASK_REMINDER,
                    Audience(kind=AudienceKind.UNIT, unit=task.unit),
                    f"Q{task.question} is due from your unit on {unit_due}",
                    task.question,
                    _facts(question=task.question, unit=task.unit, due=unit_due),
                )
            )
            if sched.escalate_overdue_tasks:
                plans.append(
                    _Plan(
                        calendar.add_working_days(unit_due, 1),
                        ReminderKind.TASK_ESCALATION,
                        Audience(kind=AudienceKind.UNIT_MANAGER, unit=task.unit),
                        f"Q{task.question} was due from {task.unit} on {unit_due} and is still "
                        "unanswered",
                        task.question,
                        _facts(question=task.question, unit=task.unit, due=unit_due),
                    )
                )
    if clock.due_date is not None and clock.statutory_due_date is not None:
        due = clock.due_date
        statutory = clock.statutory_due_date
        for at_day, kind, audience in (
            (sched.officer_alert_at_working_day, ReminderKind.OFFICER_ALERT, FOI_OFFICERS),
            (sched.manager_alert_at_working_day, ReminderKind.MANAGER_ALERT, MANAGERS),
        ):
            if 0 < at_day < statutory_limit:
                day = calendar.subtract_working_days(statutory, statutory_limit - at_day)
                text = f"working day {at_day} of {statutory_limit}: due {due}"
                facts = _facts(working_day=at_day, limit=statutory_limit, due=due)
                plans.append(_Plan(day, kind, audience, text, facts=facts))
        if sched.alert_on_due_date:
            text = f"the response is due today ({due})"
            plans.append(
                _Plan(due, ReminderKind.DUE_TODAY, FOI_OFFICERS, text, facts=_facts(due=due))
            )
        if sched.alert_each_day_overdue:
            # The next working day overdue not yet reported, and never one already past.
            floor = max(local_date(now, policy.time_zone), due)
            day = calendar.add_working_days(due, 1)
            while day < floor or reminder_key(reference, ReminderKind.OVERDUE, None, day) in sent:
                day = calendar.add_working_days(day, 1)
            days_late = calendar.count_working_days(due, day)
            text = f"the response is {days_late} working day(s) overdue (due {due})"
            facts = _facts(due=due, days_late=days_late)
            plans.append(_Plan(day, ReminderKind.OVERDUE, FOI_OFFICERS, text, facts=facts))
    # A reminder for a day before foiflow held the case is never sent.
    start_day = local_date(state.started_at or now, policy.time_zone)
    planned: list[PlannedReminder] = []
    for plan in plans:
        key = reminder_key(reference, plan.kind, plan.question, plan.day)
        if key in sent or plan.day < start_day:
            continue
        planned.append(
            PlannedReminder(
                at=local_time(plan.day, sched.send_hour, zone),
                day=plan.day,
                kind=plan.kind,
                audience=plan.audience,
                question=plan.question,
                text=plan.text,
                key=key,
                facts=plan.facts,
            )
        )
    planned.sort(key=lambda p: p.at)
    return planned
