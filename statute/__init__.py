"""The statute core: calendars, regimes, the clock and the exemption catalogue.

Pure: no I/O beyond reading its own packaged data, no wall clock. Safe to import from workflow code.
"""

import threading
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

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


# Working-day calendars by the stored JSON's identity: every case received on the same day carries
# the same window, and a worker holds thousands of cases, each rebuilt on every replay.
JSON_CACHE_SIZE = 2048
_from_json: dict[tuple[object, ...], WorkingDayCalendar] = {}
_from_json_lock = threading.Lock()


def calendar_from_json(regime: Regime, data: Mapping[str, Any]) -> WorkingDayCalendar:
    """``calendar_for`` a calendar in its JSON form (``CalendarData.to_json``), decoded and built
    once per process for each content: the fingerprint the JSON carries names the content, so
    two cases (or two replays of one) with the same window share one calendar."""
    fingerprint = data.get("fingerprint")
    if not isinstance(fingerprint, str) or not fingerprint:
        return calendar_for(regime, CalendarData.from_json(data))
    key = (
        regime.divisions,
        regime.fixed_days,
        fingerprint,
        data.get("version"),
        data.get("cut_from", ""),
        data.get("source", ""),
    )
    with _from_json_lock:
        found = _from_json.get(key)
    if found is not None:
        return found
    built = WorkingDayCalendar(
        calendar_data_from_json(data), divisions=regime.divisions, fixed_days=regime.fixed_days
    )
    with _from_json_lock:
        if len(_from_json) >= JSON_CACHE_SIZE:
            _from_json.pop(next(iter(_from_json)))  # the oldest in
        _from_json[key] = built
    return built


_data_from_json: dict[tuple[object, ...], CalendarData] = {}


def calendar_data_from_json(data: Mapping[str, Any]) -> CalendarData:
    """``CalendarData.from_json``, decoded once per process for each content (named by the
    fingerprint the JSON carries; decoded every time without one)."""
    fingerprint = data.get("fingerprint")
    if not isinstance(fingerprint, str) or not fingerprint:
        return CalendarData.from_json(data)
    key = (fingerprint, data.get("version"), data.get("cut_from", ""), data.get("source", ""))
    with _from_json_lock:
        found = _data_from_json.get(key)
    if found is not None:
        return found
    decoded = CalendarData.from_json(data)
    with _from_json_lock:
        if len(_data_from_json) >= JSON_CACHE_SIZE:
            _data_from_json.pop(next(iter(_data_from_json)))
        _data_from_json[key] = decoded
    return decoded


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
    "calendar_data_from_json",
    "calendar_for",
    "calendar_from_json",
    "compute_clock",
    "get_regime",
    "local_date",
    "packaged_calendar",
]
