"""The case as its readers see it (``CaseView``): the workflow's query result and what the store
projects. Pure: built from the intake, the state and a computed clock."""

from __future__ import annotations

from domain.case import CaseView, ClockView, RequestIntake
from domain.messages import CaseState
from statute import ClockState
from workflows.clock import on_time
from workflows.rules import cost_hours


def clock_view(clock: ClockState, issued: bool) -> ClockView:
    return ClockView(
        due_date=clock.due_date,
        statutory_due_date=clock.statutory_due_date,
        start_date=clock.start_date,
        received_on=clock.received_on,
        working_days_elapsed=clock.working_days_elapsed,
        working_days_remaining=clock.working_days_remaining,
        paused=clock.paused,
        pause_reason=clock.pause_reason,
        # An issued response is never overdue, however late it went out.
        overdue=clock.overdue and not issued,
        extended=clock.extended,
        calendar_version=clock.calendar_version,
        calendar_fingerprint=clock.calendar_fingerprint,
        explanation=clock.explain(),
    )


def case_view(
    intake: RequestIntake, state: CaseState, clock: ClockState, time_zone: str
) -> CaseView:
    in_time, with_extensions = on_time(state.issued_at, clock, time_zone)
    return CaseView(
        reference=intake.reference,
        version=state.version,
        regime=intake.regime,
        status=state.status,
        received_at=intake.received_at,
        channel=intake.channel,
        requester=intake.requester,
        request_text=intake.request_text,
        questions=intake.questions,
        tasks=state.tasks,
        sign_offs=state.sign_offs,
        clock=clock_view(clock, issued=state.issued_at is not None),
        cost_hours_total=cost_hours(state.tasks),
        reminders=state.reminders,
        timeline=state.timeline,
        response=state.response,
        issued_at=state.issued_at,
        on_time=in_time,
        on_time_with_extensions=with_extensions,
        outcome=state.outcome,
        owning_units=sorted({t.unit for t in state.tasks}),
        problems=state.problems,
    )
