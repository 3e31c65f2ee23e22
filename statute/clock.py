"""The statutory clock: a pure function of a case's clock events.

FOIA s10(1): comply not later than the twentieth working day following the date of receipt. The day
of receipt is day 0 and day 1 is the first working day after it, also when the request arrives on a
non-working day (ICO guidance). Clarification (s1(3)) restarts the count from its receipt; a fees
notice (s9, s10(2)) disregards the working days from the notice to the payment; extensions follow the
regime's rules (s10(3) public interest, EIR reg 7, UK GDPR Art 12(3)).
"""

from __future__ import annotations

import calendar as _stdlib_calendar
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

import pendulum

from statute.calendar import WorkingDayCalendar
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
    lapse_date: date | None
    calendar_version: int
    calendar_fingerprint: str
    skipped_days: tuple[SkippedDay, ...] = ()
    movements: tuple[Movement, ...] = ()
    extended: bool = False

    def explain(self) -> list[str]:
        lines = [
            f"{self.regime.upper()}: {self.limit_words} following day 0 ({self.start_date})",
            f"received on {self.received_on}"
            + (f"; count restarted from {self.start_date}" if self.start_date != self.received_on
               else ""),
        ]
        for m in self.movements:
            lines.append(f"{m.on}: {m.description}")
        for s in self.skipped_days:
            lines.append(f"{s.date} ({s.date.strftime('%a')}) skipped: {s.reason}")
        if self.paused:
            lines.append(f"clock paused: {self.pause_reason}")
        if self.due_date:
            lines.append(
                f"due {self.due_date} ({self.due_date.strftime('%a')}) by calendar "
                f"v{self.calendar_version} ({self.calendar_fingerprint})"
            )
        return lines


def local_date(at: datetime, time_zone: str = LONDON) -> date:
    """The local calendar date of an instant: what the statute counts from."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ClockError(f"timestamp {at.isoformat()} has no time zone")
    local = pendulum.instance(at).in_timezone(time_zone)
    return date(local.year, local.month, local.day)


def add_months(day: date, months: int) -> date:
    """The ICO month rule: the corresponding date, or the last day of a shorter month."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    last = _stdlib_calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


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


def compute_clock(
    regime: Regime,
    events: Sequence[ClockEvent],
    calendar: WorkingDayCalendar,
    as_of: datetime,
    options: ClockOptions = ClockOptions(),
) -> ClockState:
    """Evaluate the clock as of ``as_of``. Raises ``ClockError`` naming the first bad event."""
    if set(calendar.divisions) != set(regime.divisions):
        raise ClockError(f"calendar divisions do not match regime {regime.code}")
    ordered = sorted(events, key=lambda e: e.at)
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
        movements.append(Movement(on, str(event.kind), description, before, due_now()))

    statutory = None
    due = due_now()
    pause_reason: str | None = None
    lapse_date: date | None = None
    if run.clarification_since is not None:
        pause_reason = f"awaiting clarification requested on {run.clarification_since} (s1(3))"
        lapse_date = add_months(run.clarification_since, LAPSE_MONTHS)
    elif run.fees_since is not None:
        pause_reason = f"awaiting the fee; fees notice given on {run.fees_since} (s9, s10(2))"
        lapse_date = add_months(run.fees_since, LAPSE_MONTHS)
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
    )


def _due(regime: Regime, calendar: WorkingDayCalendar, run: _Run) -> date:
    if regime.calendar_months is not None:
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
        if on > add_months(run.fees_since, LAPSE_MONTHS):
            raise ClockError(
                f"fee_received: more than {LAPSE_MONTHS} months after the fees notice of "
                f"{run.fees_since}; the duty to comply has lapsed (s9(2))"
            )
        span = {run.fees_since + timedelta(days=i) for i in range((on - run.fees_since).days + 1)}
        counted = {d for d in span if d > run.start and calendar.is_working_day(d)}
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
