"""Bulk deadline computation: how many due dates a second dashboards and reports can expect.

Each figure is measured against a naive baseline in the same run, on the same receipt dates:

* due dates by the indexed calendar vs walking day by day asking "is this a working day?";
* the full clock (``compute_clock``, skipped days and all) with the cached calendar vs building the
  calendar afresh for every case (what a caller that does not reuse calendars pays).

Run with ``python -m bench deadlines`` (or ``make bench`` for every benchmark).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

from statute import (
    CalendarData,
    ClockEvent,
    ClockEventKind,
    WorkingDayCalendar,
    calendar_for,
    compute_clock,
    get_regime,
    packaged_calendar,
)
from statute.clock import LONDON

RECEIPTS = 10_000
REGIMES = ("foia", "eir", "foisa")
REBUILD_SAMPLE = 300  # cases per regime for the rebuild-every-time baseline (it is slow)
SEED = 20_000_036  # FOIA 2000 c.36: fixed, so every run times the same dates


def receipt_dates(data: CalendarData, n: int, seed: int = SEED) -> list[date]:
    """``n`` receipt dates spread over the coverage, leaving room for the longest limit."""
    first = data.coverage_start + timedelta(days=1)
    span = (data.coverage_end - timedelta(days=120) - first).days
    rng = random.Random(seed)
    return [first + timedelta(days=rng.randrange(span)) for _ in range(n)]


def walk_working_days(calendar: WorkingDayCalendar, start: date, n: int) -> date:
    """The naive baseline: step one day at a time until ``n`` working days have passed."""
    day, counted = start, 0
    while counted < n:
        day += timedelta(days=1)
        if calendar.non_working_reason(day) is None:
            counted += 1
    return day


def _timed(fn: Callable[[], Sequence[object]]) -> tuple[Sequence[object], float]:
    began = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - began


def _row(label: str, count: int, seconds: float, versus: float | None = None) -> str:
    rate = count / seconds if seconds else float("inf")
    line = f"  {label:<52} {count:>7,} in {seconds:7.3f} s  {rate:>12,.0f} /s"
    if versus is not None:
        line += f"   ({versus:,.1f}× the baseline)"
    return line


def main() -> None:
    data = packaged_calendar()
    dates = receipt_dates(data, RECEIPTS)
    london = ZoneInfo(LONDON)
    noon = clock_time(12, 0)
    total = RECEIPTS * len(REGIMES)
    print(
        f"{RECEIPTS:,} receipt dates × {len(REGIMES)} regimes ({', '.join(REGIMES)}) = "
        f"{total:,} deadlines; calendar {data.label}"
    )

    regimes = [get_regime(code) for code in REGIMES]
    calendars = [calendar_for(regime, data) for regime in regimes]  # warm the cache

    fast, fast_s = _timed(
        lambda: [
            cal.add_working_days(d, 20)
            for cal in calendars
            for d in dates  # all three are 20 WD
        ]
    )
    naive, naive_s = _timed(
        lambda: [walk_working_days(cal, d, 20) for cal in calendars for d in dates]
    )
    if fast != naive:
        raise SystemExit("indexed and naive due dates differ: the benchmark is measuring a bug")
    print(_row("due date, naive day-by-day walk (baseline)", total, naive_s))
    print(_row("due date, indexed calendar", total, fast_s, naive_s / fast_s))

    def clock(regime_index: int, received: date, calendar: WorkingDayCalendar) -> date | None:
        at = datetime.combine(received, noon, tzinfo=london)
        event = ClockEvent(ClockEventKind.RECEIVED, at)
        return compute_clock(regimes[regime_index], [event], calendar, at).due_date

    cached, cached_s = _timed(
        lambda: [
            clock(i, d, calendar_for(regime, data))
            for i, regime in enumerate(regimes)
            for d in dates
        ]
    )
    sample = dates[:REBUILD_SAMPLE]
    rebuilt, rebuilt_s = _timed(
        lambda: [
            clock(i, d, WorkingDayCalendar(data, regime.divisions, regime.fixed_days))
            for i, regime in enumerate(regimes)
            for d in sample
        ]
    )
    if list(rebuilt) != [
        cached[i * RECEIPTS + j] for i in range(len(regimes)) for j in range(len(sample))
    ]:
        raise SystemExit("cached and rebuilt clocks differ: the benchmark is measuring a bug")
    rebuilt_rate = len(rebuilt) / rebuilt_s
    cached_rate = len(cached) / cached_s
    print(_row("full clock, calendar rebuilt per case (baseline)", len(rebuilt), rebuilt_s))
    print(
        _row(
            "full clock (compute_clock), cached calendar",
            len(cached),
            cached_s,
            cached_rate / rebuilt_rate,
        )
    )


if __name__ == "__main__":
    main()
