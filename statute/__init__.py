"""The statute core: calendars, regimes, the clock and the exemption catalogue.

Pure: no I/O beyond reading its own packaged data, no wall clock. Safe to import from workflow code.
"""

from functools import lru_cache

from statute.calendar import (
    DIVISION_NAMES,
    DIVISIONS,
    CalendarData,
    CalendarError,
    CalendarRangeError,
    Holiday,
    WorkingDayCalendar,
    packaged_calendar,
)
from statute.clock import (
    ClockError,
    ClockEvent,
    ClockEventKind,
    ClockOptions,
    ClockState,
    compute_clock,
    local_date,
)
from statute.regimes import REGIMES, ExtensionKind, Regime, UnknownRegimeError, get_regime


def calendar_for(regime: Regime, data: CalendarData) -> WorkingDayCalendar:
    """The working-day calendar a regime counts on, built from one calendar version.

    Cached: building indexes every day of the coverage, and bulk computations (dashboards, the
    CLI with many dates) ask for the same few calendars over and over.
    """
    return _calendar(regime.divisions, regime.fixed_days, data)


@lru_cache(maxsize=32)
def _calendar(
    divisions: frozenset[str], fixed_days: frozenset[str], data: CalendarData
) -> WorkingDayCalendar:
    return WorkingDayCalendar(data, divisions=divisions, fixed_days=fixed_days)


__all__ = [
    "DIVISIONS",
    "DIVISION_NAMES",
    "REGIMES",
    "CalendarData",
    "CalendarError",
    "CalendarRangeError",
    "ClockError",
    "ClockEvent",
    "ClockEventKind",
    "ClockOptions",
    "ClockState",
    "ExtensionKind",
    "Holiday",
    "Regime",
    "UnknownRegimeError",
    "WorkingDayCalendar",
    "calendar_for",
    "compute_clock",
    "get_regime",
    "local_date",
    "packaged_calendar",
]
