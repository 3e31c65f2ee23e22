"""The public deadline question: a request received on a day — when is it due, and why?

The same computation as ``foiflow deadline`` (statute core, the newest stored calendar), for a
receipt at noon London time, with nothing else happening or with the clock events given in the
contract's form, ``KIND=DATE`` (``public_interest_extension=DATE/N``), each at noon on its day.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
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
    ClockState,
    ExtensionKind,
    Regime,
    UnknownRegimeError,
    WorkingDayCalendar,
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
PAUSED = "paused"  # the contract's DUE while the clock is stopped

# The contract's event kinds: the statute core's clock events, extensions by name.
EVENT_KINDS: dict[str, tuple[ClockEventKind, ExtensionKind | None]] = {
    "clarification_requested": (ClockEventKind.CLARIFICATION_REQUESTED, None),
    "clarification_received": (ClockEventKind.CLARIFICATION_RECEIVED, None),
    "fees_notice_given": (ClockEventKind.FEES_NOTICE_GIVEN, None),
    "fee_received": (ClockEventKind.FEE_RECEIVED, None),
    "reg7_extension": (ClockEventKind.EXTENSION, ExtensionKind.REG7),
    "public_interest_extension": (ClockEventKind.EXTENSION, ExtensionKind.PUBLIC_INTEREST),
}
EVENT_FORMS = ", ".join(
    f"{k}=DATE/N" if k == "public_interest_extension" else f"{k}=DATE" for k in EVENT_KINDS
)
_EVENT = re.compile(r"(?P<kind>[a-z0-9_]+)=(?P<on>[^/]*)(?:/(?P<n>.*))?")
_FIELD = re.compile(r"^[a-z_]+: ")


class BadEvent(ValueError):
    """A clock event the contract or the statute refuses; the message names the event."""


@dataclass(frozen=True)
class EventSpec:
    """One ``--event`` as given: what happened, on which day, and (for a public interest
    extension) for how many further working days."""

    text: str
    kind: str
    on: date
    working_days: int | None = None

    def clock_event(self) -> ClockEvent:
        kind, extension = EVENT_KINDS[self.kind]
        at = datetime.combine(self.on, RECEIPT_TIME, tzinfo=ZoneInfo(LONDON))
        return ClockEvent(kind, at, extension, self.working_days, note=self.text)


def parse_event(text: str) -> EventSpec:
    """``KIND=DATE``, or ``public_interest_extension=DATE/N``; ``BadEvent`` saying what is wrong."""
    found = _EVENT.fullmatch(text.strip())
    if found is None:
        raise BadEvent(f"event {text!r}: expected KIND=DATE, one of {EVENT_FORMS}")
    kind, on, n = found.group("kind", "on", "n")
    if kind not in EVENT_KINDS:
        raise BadEvent(f"event {text!r}: unknown kind {kind!r} (one of {EVENT_FORMS})")
    if not ISO_DATE.fullmatch(on):
        raise BadEvent(f"event {text!r}: expected an ISO date, YYYY-MM-DD")
    try:
        day = date.fromisoformat(on)
    except ValueError as exc:
        raise BadEvent(f"event {text!r}: not a real date ({exc})") from None
    if kind != "public_interest_extension":
        if n is not None:
            raise BadEvent(f"event {text!r}: only public_interest_extension takes /N")
        return EventSpec(text, kind, day)
    if n is None:
        raise BadEvent(
            f"event {text!r}: give the further working days claimed, "
            "public_interest_extension=DATE/N"
        )
    if not n.isdigit() or len(n) > 3:
        raise BadEvent(f"event {text!r}: N must be a whole number of working days")
    return EventSpec(text, kind, day, int(n))


def _available(regime: Regime, spec: EventSpec) -> None:
    extension = EVENT_KINDS[spec.kind][1]
    if extension is None or extension in regime.extensions:
        return
    if extension == ExtensionKind.PUBLIC_INTEREST:
        raise BadEvent(
            f"event {spec.text!r}: the {regime.title} has no public interest extension "
            f"({regime.code}); only FOIA allows one (s10(3))"
        )
    raise BadEvent(
        f"event {spec.text!r}: the {regime.title} has no reg 7 extension ({regime.code}); only "
        "the EIR allow one (reg 7(1): complex and voluminous, 40 working days)"
    )


def clock_with_events(
    regime: Regime,
    calendar: WorkingDayCalendar,
    received: date,
    events: Sequence[EventSpec],
    options: ClockOptions,
) -> ClockState:
    """The clock for a request received at noon on ``received``, after ``events`` in order.

    Evaluated as of the last event (noon on its day): the question is hypothetical, so "now"
    never makes a date invalid. Each event is checked as it is added, so a refusal names the
    event the statute's clock would not take (``BadEvent``). A due date beyond the calendar's
    coverage raises ``CalendarRangeError``, as for a receipt alone.
    """
    at = datetime.combine(received, RECEIPT_TIME, tzinfo=ZoneInfo(LONDON))
    clock_events = [ClockEvent(ClockEventKind.RECEIVED, at)]
    data = calendar.data
    state = compute_clock(regime, clock_events, calendar, at, options)
    previous = received
    for spec in events:
        if spec.on < received:
            raise BadEvent(f"event {spec.text!r}: before the request was received ({received})")
        if spec.on < previous:
            raise BadEvent(
                f"event {spec.text!r}: before the event it follows ({previous}); give events in "
                "time order"
            )
        if not data.covers(spec.on):
            raise BadEvent(
                f"event {spec.text!r}: outside the calendar's coverage, {data.coverage_start} "
                f"to {data.coverage_end} (calendar {data.label})"
            )
        _available(regime, spec)
        clock_events.append(spec.clock_event())
        previous = spec.on
        as_of = clock_events[-1].at
        try:
            state = compute_clock(regime, clock_events, calendar, as_of, options)
        except ClockError as exc:
            raise BadEvent(f"event {spec.text!r}: {_FIELD.sub('', str(exc))}") from None
    return state


def due_text(state: ClockState) -> str:
    """The contract's DUE: an ISO date, or ``paused`` while the clock is stopped."""
    return state.due_date.isoformat() if state.due_date is not None else PAUSED


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
    due_date: date | None  # None while the clock is paused (awaiting clarification or a fee)
    calendar: CalendarRef
    skipped_days: list[SkippedDayOut]
    explanation: list[str]
    # With clock events (``event``): where the clock stands after the last of them.
    paused: bool = False
    pause_reason: str | None = None
    statutory_due_date: date | None = None  # without any extension: "in time" in statistics
    extended: bool = False
    events: list[str] = []


def parse_received(text: str) -> date:
    if not ISO_DATE.fullmatch(text):
        raise Rejected(f"{text!r} is not a date in the form YYYY-MM-DD", "received")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise Rejected(f"{text!r} is not a real date ({exc})", "received") from None


def deadline(
    settings: Settings,
    regime: str,
    received: str,
    *,
    roll_non_working_receipt: bool = False,
    events: Sequence[str] = (),
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
    options = ClockOptions(roll_non_working_receipt=roll_non_working_receipt)
    try:
        specs = [parse_event(e) for e in events]
        state = clock_with_events(chosen, calendar_for(chosen, data), day, specs, options)
    except BadEvent as exc:
        raise Rejected(str(exc), "event") from None
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
        paused=state.paused,
        pause_reason=state.pause_reason,
        statutory_due_date=state.statutory_due_date,
        extended=state.extended,
        events=[e.strip() for e in events],
    )
