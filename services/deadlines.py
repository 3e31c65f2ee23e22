"""The public deadline question: a request received on a day — when is it due, and why?

The same computation as ``foiflow deadline`` (statute core, the newest stored calendar), for a
receipt at noon London time with nothing else happening.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from services.errors import Rejected
from settings import Settings
from statute import (
    REGIMES,
    CalendarError,
    CalendarRangeError,
    ClockError,
    ClockEvent,
    ClockEventKind,
    ClockOptions,
    UnknownRegimeError,
    calendar_for,
    compute_clock,
    get_regime,
)
from statute.clock import LONDON
from store.calendars import calendar_repository

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# A receipt date has no time of day; noon London time is unambiguous on every day of the year.
RECEIPT_TIME = time(12, 0)
REGIME_CODES: tuple[str, ...] = tuple(REGIMES)


class SkippedDayOut(BaseModel):
    date: date
    reason: str


class CalendarRef(BaseModel):
    version: int
    fingerprint: str


class Deadline(BaseModel):
    regime: str
    citation: str
    limit: str
    received_on: date
    start_date: date
    due_date: date | None
    calendar: CalendarRef
    skipped_days: list[SkippedDayOut]
    explanation: list[str]


def parse_received(text: str) -> date:
    if not ISO_DATE.fullmatch(text):
        raise Rejected(f"{text!r} is not a date in the form YYYY-MM-DD", "received")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise Rejected(f"{text!r} is not a real date ({exc})", "received") from None


def deadline(
    settings: Settings, regime: str, received: str, *, roll_non_working_receipt: bool = False
) -> Deadline:
    try:
        chosen = get_regime(regime)
    except UnknownRegimeError:
        raise Rejected(f"{regime!r} is not one of {', '.join(REGIME_CODES)}", "regime") from None
    day = parse_received(received)
    try:
        data = calendar_repository(settings).latest()
    except CalendarError as exc:
        raise Rejected(f"the stored calendar cannot be used: {exc}", "calendar") from None
    if not data.covers(day):
        raise Rejected(
            f"{day} is outside the calendar's coverage, {data.coverage_start} to "
            f"{data.coverage_end} (calendar {data.label})",
            "received",
        )
    at = datetime.combine(day, RECEIPT_TIME, tzinfo=ZoneInfo(LONDON))
    options = ClockOptions(roll_non_working_receipt=roll_non_working_receipt)
    try:
        state = compute_clock(
            chosen,
            [ClockEvent(ClockEventKind.RECEIVED, at)],
            calendar_for(chosen, data),
            at,
            options,
        )
    except CalendarRangeError:
        raise Rejected(
            f"the due date for {day} falls after {data.coverage_end}, the end of the calendar's "
            f"coverage (calendar {data.label})",
            "received",
        ) from None
    except ClockError as exc:
        raise Rejected(str(exc), "received") from None
    return Deadline(
        regime=state.regime,
        citation=state.citation,
        limit=state.limit_words,
        received_on=state.received_on,
        start_date=state.start_date,
        due_date=state.due_date,
        calendar=CalendarRef(
            version=state.calendar_version, fingerprint=state.calendar_fingerprint
        ),
        skipped_days=[SkippedDayOut(date=s.date, reason=s.reason) for s in state.skipped_days],
        explanation=state.explain(),
    )
