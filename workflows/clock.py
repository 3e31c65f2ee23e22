"""A case's clock and its calendar arithmetic: the statute core fed with what the case recorded.

Pure: the time of evaluation is an argument (``workflow.now()`` inside the workflow).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo

from domain.case import CasePolicy, RequestIntake
from domain.messages import ClockEventRecord, RecordClockEvent
from statute import (
    ClockEvent,
    ClockEventKind,
    ClockOptions,
    ClockState,
    Regime,
    WorkingDayCalendar,
    compute_clock,
    local_date,
)

# A unit's deadline falls at least this many working days before the statutory one.
TASK_MARGIN_WORKING_DAYS = 2


def clock_record(inp: RecordClockEvent, now: datetime) -> ClockEventRecord:
    """The clock event ``inp`` asks for, as the case records it (``at`` defaults to now)."""
    return ClockEventRecord(
        kind=inp.kind,
        at=inp.at or now,
        actor=inp.actor.user_id,
        extension=inp.extension,
        working_days=inp.working_days,
        until=inp.until,
        note=inp.note,
    )


def case_clock(
    regime: Regime,
    intake: RequestIntake,
    policy: CasePolicy,
    records: Sequence[ClockEventRecord],
    calendar: WorkingDayCalendar,
    now: datetime,
) -> ClockState:
    """The statutory clock from the receipt and every recorded clock event, as of ``now``."""
    events = [ClockEvent(ClockEventKind.RECEIVED, intake.received_at)]
    events += [
        ClockEvent(r.kind, r.at, r.extension, r.working_days, r.until, r.note) for r in records
    ]
    options = ClockOptions(
        roll_non_working_receipt=policy.roll_non_working_receipt, time_zone=policy.time_zone
    )
    return compute_clock(regime, events, calendar, now, options)


def task_due(
    calendar: WorkingDayCalendar, routed_on: date, working_days: int, statutory_due: date | None
) -> date:
    """A unit's deadline for a question routed on ``routed_on``."""
    due = calendar.add_working_days(routed_on, working_days)
    if statutory_due is not None and due >= statutory_due:
        # A unit's deadline must fall well inside the statutory one.
        due = max(
            calendar.subtract_working_days(statutory_due, TASK_MARGIN_WORKING_DAYS),
            calendar.next_working_day(routed_on),
        )
    return due


def on_time(
    issued_at: datetime | None, clock: ClockState, time_zone: str
) -> tuple[bool | None, bool | None]:
    """(in time, in time including permitted extensions): the two statistics the Cabinet Office
    counts; (None, None) until the response is issued."""
    if issued_at is None:
        return None, None
    issued_on = local_date(issued_at, time_zone)
    statutory = clock.statutory_due_date
    due = clock.due_date
    return (
        statutory is not None and issued_on <= statutory,
        due is not None and issued_on <= due,
    )


def local_time(day: date, hour: int, zone: tzinfo) -> datetime:
    """``hour`` o'clock local time on ``day``, as a UTC instant (timers compare instants)."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=zone).astimezone(UTC)


def midnight_after(day: date, zone: tzinfo) -> datetime:
    """The instant ``day`` ends locally: when a due date passes or a lapse date runs out."""
    return local_time(day + timedelta(days=1), 0, zone)
