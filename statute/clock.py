"""The statutory clock: a pure function of a case's clock events.

FOIA s10(1): comply not later than the twentieth working day following the date of receipt. The day
of receipt is day 0 and day 1 is the first working day after it, also when the request arrives on a
non-working day (ICO guidance). Clarification (s1(3)) restarts the count from its receipt; a fees
notice (s9, s10(2)) disregards the working days from the notice to the payment; extensions follow
the regime's rules (s10(3) public interest, EIR reg 7, UK GDPR Art 12(3)).
"""

from __future__ import annotations

import calendar as _stdlib_calendar
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from statute.calendar import WorkingDayCalendar, long_date
from statute.regimes import ExtensionKind, Regime

LONDON = "Europe/London"
LAPSE_MONTHS = 3  # s9(2) fees; clarification lapse is practice (s45 Code), same period


class ClockError(ValueError):
    """An event sequence the statute does not allow; the message names the problem."""


class ClockEventKind(StrEnum):
    RECEIVED = "received"
    CLARIFICATION_REQUESTED = "clarification_requested"
    CLARIFICATION_RECEIVED = "clarification_received"
    FEES_NOTICE_GIVEN = "fees_notice_given"
    FEE_RECEIVED = "fee_received"
    EXTENSION = "extension"


@dataclass(frozen=True)
class ClockEvent:
    kind: ClockEventKind
    at: datetime
    extension: ExtensionKind | None = None
    working_days: int | None = None  # further working days, for capped extensions
    until: date | None = None  # or the estimated date given in the holding notice
    note: str = ""


@dataclass(frozen=True)
class ClockOptions:
    """Local policy. The defaults are the statute; anything else is an explicit choice."""

    # Some authorities treat a request received on a non-working day as received on the next
    # working day. FOIA does not: off by default.
    roll_non_working_receipt: bool = False
    time_zone: str = LONDON


@dataclass(frozen=True)
class SkippedDay:
    date: date
    reason: str


@dataclass(frozen=True)
class Movement:
    """An event that changed the due date, in words."""

    on: date
    event: str
    description: str
    due_before: date | None
    due_after: date | None


def _day(day: date) -> str:
    """'Mon 3 Mar 2025'."""
    return f"{day.strftime('%a')} {long_date(day)}"


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


@dataclass(frozen=True)
class ClockState:
    regime: str
    received_on: date
    start_date: date  # day 0 of the current count
    due_date: date | None  # None while paused with no way to know the end
    statutory_due_date: date | None  # without any extension: "in time" vs "with extensions"
    limit_words: str
    as_of: date
    working_days_elapsed: int
    working_days_remaining: int | None
    paused: bool
    pause_reason: str | None
    overdue: bool
    lapsed: bool
    lapse_date: date | None  # the last day the awaited fee or clarification can arrive
    calendar_version: int
    calendar_fingerprint: str
    skipped_days: tuple[SkippedDay, ...] = ()
    movements: tuple[Movement, ...] = ()
    extended: bool = False
    citation: str = ""
    rolled_receipt: bool = False  # the local roll-forward policy moved day 0
    month_based: bool = False  # the limit is in calendar months (UK GDPR), not working days

    def explain(self) -> list[str]:
        """The computation in words, one sentence a line: limit, day 0, events, skipped days."""
        lines = [
            f"{self.regime.upper()}: {self.limit_words} following the date of receipt"
            + (f" ({self.citation})" if self.citation else "")
            + "."
        ]
        received = f"Received {_day(self.received_on)}"
        if self.rolled_receipt:
            lines.append(
                f"{received}, not a working day; by local policy the count runs from the next "
                f"working day, {_day(self.start_date)} (day 0)."
            )
        elif self.month_based:
            lines.append(
                f"{received}; the limit runs to the corresponding date (the last day of a "
                f"shorter month), moved to the next working day if it is not one."
            )
        else:
            lines.append(f"{received} (day 0); day 1 is the first working day after it.")
        for m in self.movements:
            lines.append(f"{_day(m.on)}: {m.description}.")
        for s in self.skipped_days:
            lines.append(f"{_day(s.date)} skipped: {s.reason}.")
        if self.paused:
            lines.append(f"The clock is paused: {self.pause_reason}.")
            if self.lapse_date:
                lines.append(f"Lapses if nothing arrives by {_day(self.lapse_date)}.")
        if self.due_date:
            lines.append(
                f"Due {_day(self.due_date)}, by calendar v{self.calendar_version} "
                f"({self.calendar_fingerprint})."
            )
        return lines

    def to_json(self) -> dict[str, Any]:
        """Plain JSON types: what the CLI prints and dashboards read."""
        return {
            "regime": self.regime,
            "citation": self.citation,
            "limit": self.limit_words,
            "received_on": self.received_on.isoformat(),
            "start_date": self.start_date.isoformat(),
            "due_date": _iso(self.due_date),
            "statutory_due_date": _iso(self.statutory_due_date),
            "extended": self.extended,
            "as_of": self.as_of.isoformat(),
            "working_days_elapsed": self.working_days_elapsed,
            "working_days_remaining": self.working_days_remaining,
            "paused": self.paused,
            "pause_reason": self.pause_reason,
            "overdue": self.overdue,
            "lapsed": self.lapsed,
            "lapse_date": _iso(self.lapse_date),
            "calendar": {
                "version": self.calendar_version,
                "fingerprint": self.calendar_fingerprint,
            },
            "skipped_days": [
                {"date": s.date.isoformat(), "reason": s.reason} for s in self.skipped_days
            ],
            "movements": [
                {
                    "on": m.on.isoformat(),
                    "event": m.event,
                    "description": m.description,
                    "due_before": _iso(m.due_before),
                    "due_after": _iso(m.due_after),
                }
                for m in self.movements
            ],
            "explanation": self.explain(),
        }


def local_date(at: datetime, time_zone: str = LONDON) -> date:
    """The local calendar date of an instant: what the statute counts from."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ClockError(f"timestamp {at.isoformat()} has no time zone")
    return at.astimezone(_zone(time_zone)).date()


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    # Loaded once per process: reading the zone file on every clock evaluation dominated bulk runs.
    return ZoneInfo(name)


def add_months(day: date, months: int) -> date:
    """The ICO month rule: the corresponding date, or the last day of a shorter month."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    last = _stdlib_calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


def last_day_of_months_beginning(day: date, months: int) -> date:
    """The last day of a period of ``months`` months *beginning with* ``day`` (s9(2)).

    The corresponding-date rule: the period ends the day before the corresponding date, or on the
    last day of the final month when it has no corresponding date (30 Nov + 3 months: 28/29 Feb).
    """
    corresponding = add_months(day, months)
    if corresponding.day != day.day:  # clamped: the final month is too short
        return corresponding
    return corresponding - timedelta(days=1)


@dataclass
class _Run:
    """Mutable state while walking the events."""

    start: date
    disregarded: set[date] = field(default_factory=set)
    clarification_since: date | None = None
    fees_since: date | None = None
    further_wd: dict[ExtensionKind, int] = field(default_factory=dict)
    total_wd: int | None = None
    further_months: int = 0


def _event_order(event: ClockEvent) -> tuple[datetime, bool]:
    # At equal instants the receipt comes first: nothing can happen to a request before it exists.
    return (event.at, event.kind != ClockEventKind.RECEIVED)


def compute_clock(
    regime: Regime,
    events: Sequence[ClockEvent],
    calendar: WorkingDayCalendar,
    as_of: datetime,
    options: ClockOptions = ClockOptions(),
) -> ClockState:
    """Evaluate the clock as of ``as_of``. Raises ``ClockError`` naming the first bad event.

    A date outside the calendar's coverage raises ``CalendarRangeError`` naming the range.
    """
    if calendar.divisions != regime.divisions or calendar.fixed_days != regime.fixed_days:
        raise ClockError(f"calendar: built for other divisions than regime {regime.code}")
    ordered = sorted(events, key=_event_order)
    receipts = [e for e in ordered if e.kind == ClockEventKind.RECEIVED]
    if len(receipts) != 1:
        raise ClockError(f"events: exactly one receipt is needed, got {len(receipts)}")
    received_at = receipts[0].at
    tz = options.time_zone
    today = local_date(as_of, tz)
    received_on = local_date(received_at, tz)
    if received_at > as_of:
        raise ClockError(
            f"received_at: {received_at.isoformat()} is in the future (now {as_of.isoformat()})"
        )
    if ordered[0].kind != ClockEventKind.RECEIVED:
        first = ordered[0]
        raise ClockError(f"{first.kind}: {first.at.isoformat()} is before the request was received")

    def day_zero(day: date) -> date:
        if options.roll_non_working_receipt:
            return calendar.next_working_day(day)
        calendar.check(day)
        return day

    run = _Run(start=day_zero(received_on))
    rolled = run.start != received_on
    movements: list[Movement] = []

    def due_now() -> date | None:
        if run.clarification_since is not None or run.fees_since is not None:
            return None
        return _due(regime, calendar, run)

    for event in ordered[1:]:
        on = local_date(event.at, tz)
        if event.at > as_of:
            raise ClockError(f"{event.kind}: {event.at.isoformat()} is in the future")
        before = due_now()
        description = _apply(regime, calendar, run, event, on, before)
        if event.kind == ClockEventKind.CLARIFICATION_RECEIVED:
            run.start = day_zero(on)
            rolled = run.start != on
        movements.append(Movement(on, str(event.kind), description, before, due_now()))

    statutory = None
    due = due_now()
    pause_reason: str | None = None
    lapse_date: date | None = None
    if run.clarification_since is not None:
        pause_reason = f"awaiting clarification requested on {run.clarification_since} (s1(3))"
        lapse_date = last_day_of_months_beginning(run.clarification_since, LAPSE_MONTHS)
    elif run.fees_since is not None:
        pause_reason = f"awaiting the fee; fees notice given on {run.fees_since} (s9, s10(2))"
        lapse_date = last_day_of_months_beginning(run.fees_since, LAPSE_MONTHS)
    if due is not None:
        plain = _Run(start=run.start, disregarded=run.disregarded)
        statutory = _due(regime, calendar, plain)

    elapsed_until = today
    if run.clarification_since is not None:
        elapsed_until = min(today, run.clarification_since)
    disregarded = frozenset(run.disregarded)
    if run.fees_since is not None:
        disregarded = disregarded | frozenset(
            run.fees_since + timedelta(days=i) for i in range((today - run.fees_since).days + 1)
        )
    elapsed = calendar.count_working_days(run.start, elapsed_until, disregarded)
    remaining = None
    if due is not None:
        remaining = calendar.count_working_days(today, due, disregarded) if today < due else 0

    skipped: list[SkippedDay] = []
    if due is not None:
        if regime.calendar_months is not None:
            # A month runs over every day; only the days the due date was moved past count as
            # skipped (ICO: a corresponding date on a non-working day moves to the next one).
            target = add_months(run.start, regime.calendar_months + run.further_months)
            skipped = [
                SkippedDay(d, r) for d, r in calendar.non_working_days(target - timedelta(1), due)
            ]
        else:
            skipped = [SkippedDay(d, r) for d, r in calendar.non_working_days(run.start, due)]
            skipped += [
                SkippedDay(d, "disregarded while the fee was outstanding (s10(2))")
                for d in sorted(run.disregarded)
                if run.start < d <= due and calendar.is_working_day(d)
            ]
            skipped.sort(key=lambda s: s.date)

    return ClockState(
        regime=regime.code,
        received_on=received_on,
        start_date=run.start,
        due_date=due,
        statutory_due_date=statutory,
        limit_words=regime.limit_words,
        as_of=today,
        working_days_elapsed=elapsed,
        working_days_remaining=remaining,
        paused=pause_reason is not None,
        pause_reason=pause_reason,
        overdue=due is not None and today > due,
        lapsed=lapse_date is not None and today > lapse_date,
        lapse_date=lapse_date,
        calendar_version=calendar.version,
        calendar_fingerprint=calendar.fingerprint,
        skipped_days=tuple(skipped),
        movements=tuple(movements),
        extended=bool(run.further_wd or run.total_wd or run.further_months),
        citation=regime.citation,
        rolled_receipt=rolled,
        month_based=regime.calendar_months is not None,
    )


def _due(regime: Regime, calendar: WorkingDayCalendar, run: _Run) -> date:
    if regime.calendar_months is not None:
        # UK GDPR Art 12(3), ICO: the corresponding date (or the last day of a shorter month);
        # when that is not a working day, the next working day.
        target = add_months(run.start, regime.calendar_months + run.further_months)
        return calendar.next_working_day(target)
    assert regime.working_days is not None
    limit = run.total_wd if run.total_wd is not None else regime.working_days
    limit += sum(run.further_wd.values())
    return calendar.add_working_days(run.start, limit, frozenset(run.disregarded))


def _apply(
    regime: Regime,
    calendar: WorkingDayCalendar,
    run: _Run,
    event: ClockEvent,
    on: date,
    due_before: date | None,
) -> str:
    kind = event.kind
    if kind == ClockEventKind.RECEIVED:
        raise ClockError("received: a request is received only once")
    if kind == ClockEventKind.CLARIFICATION_REQUESTED:
        if not regime.clarification_restarts:
            raise ClockError(f"clarification_requested: not available under {regime.code}")
        if run.clarification_since is not None:
            raise ClockError(
                f"clarification_requested: clarification was already requested on "
                f"{run.clarification_since} and has not been received"
            )
        run.clarification_since = on
        return "clarification requested: the clock stops until it is received (s1(3))"
    if kind == ClockEventKind.CLARIFICATION_RECEIVED:
        if run.clarification_since is None:
            raise ClockError(
                "clarification_received: no clarification is outstanding "
                "(never requested, or already received)"
            )
        run.clarification_since = None
        run.disregarded.clear()
        run.further_wd.clear()
        run.total_wd = None
        run.further_months = 0
        return f"clarification received: {regime.limit_words} start afresh from {on} (s1(3))"
    if kind == ClockEventKind.FEES_NOTICE_GIVEN:
        if not regime.fees_pause:
            raise ClockError(f"fees_notice_given: no fees pause under {regime.code}")
        if run.fees_since is not None:
            raise ClockError(
                f"fees_notice_given: a fees notice given on {run.fees_since} is still unpaid"
            )
        run.fees_since = on
        return "fees notice given: the clock pauses until the fee is received (s10(2))"
    if kind == ClockEventKind.FEE_RECEIVED:
        if run.fees_since is None:
            raise ClockError("fee_received: no fees notice was given before the fee arrived")
        last_day = last_day_of_months_beginning(run.fees_since, LAPSE_MONTHS)
        if on > last_day:
            raise ClockError(
                f"fee_received: {on} is after {last_day}, the end of the {LAPSE_MONTHS} months "
                f"beginning with the fees notice of {run.fees_since}; the duty to comply has "
                f"lapsed (s9(2))"
            )
        # s10(2): the working days from the day the notice is given to the day the fee is
        # received, both included, are disregarded (day 0 is never counted anyway).
        first = max(run.fees_since, run.start + timedelta(days=1))
        counted = set(calendar.working_days_between(first, on))
        run.disregarded |= counted
        since = run.fees_since
        run.fees_since = None
        return (
            f"fee received: {len(counted)} working day(s) from the fees notice ({since}) to "
            f"payment ({on}) disregarded (s10(2))"
        )
    return _extend(regime, calendar, run, event, on, due_before)


def _extend(
    regime: Regime,
    calendar: WorkingDayCalendar,
    run: _Run,
    event: ClockEvent,
    on: date,
    due_before: date | None,
) -> str:
    ext = event.extension
    if ext is None:
        raise ClockError("extension: say which extension (public_interest, reg7, …)")
    rule = regime.extensions.get(ext)
    if rule is None:
        allowed = ", ".join(str(k) for k in regime.extensions) or "none"
        raise ClockError(
            f"extension: {ext} is not available under {regime.code} (allowed: {allowed})"
        )
    if due_before is None:
        raise ClockError("extension: the clock is paused; there is no deadline to extend")
    if on > due_before:
        raise ClockError(
            f"extension: notice must be given within the time for compliance (due {due_before}),"
            f" not on {on}"
        )
    if rule.further_working_days_cap is not None:
        further = event.working_days
        if event.until is not None:
            if event.until <= due_before:
                raise ClockError(
                    f"until: {event.until} is not after the current due date {due_before}"
                )
            further = calendar.count_working_days(due_before, event.until)
        if further is None or further <= 0:
            raise ClockError("working_days: an extension needs a positive number of working days")
        total = run.further_wd.get(ext, 0) + further
        if total > rule.further_working_days_cap:
            raise ClockError(
                f"working_days: extension beyond the cap — {total} further working days in all, "
                f"at most {rule.further_working_days_cap} allowed ({rule.citation})"
            )
        run.further_wd[ext] = total
        return f"{ext} extension: {further} further working day(s) ({rule.citation})"
    if rule.total_working_days is not None:
        if run.total_wd is not None:
            raise ClockError(f"extension: {ext} has already been applied")
        run.total_wd = rule.total_working_days
        return f"{ext} extension: {rule.total_working_days} working days in all ({rule.citation})"
    if rule.further_months is not None:
        if run.further_months:
            raise ClockError(f"extension: {ext} has already been applied")
        run.further_months = rule.further_months
        return f"{ext} extension: {rule.further_months} further months ({rule.citation})"
    raise ClockError(f"extension: rule for {ext} sets no limit")  # pragma: no cover
