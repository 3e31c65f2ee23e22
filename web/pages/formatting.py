"""Dates, times and counts as UK public bodies write them (GOV.UK style guide): "Wednesday 23
December 2026", "2:30pm", "midday"; times always in Europe/London, whatever the server's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from statute.clock import LONDON

LONDON_ZONE = ZoneInfo(LONDON)


def _as_date(value: date | datetime) -> date:
    return london(value).date() if isinstance(value, datetime) else value


def london(at: datetime) -> datetime:
    """``at`` in Europe/London (a naive time is taken as UTC, as the store keeps times)."""
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(LONDON_ZONE)


def uk_date(value: date | datetime | None, empty: str = "") -> str:
    """``Wednesday 23 December 2026`` (the day is never zero-padded)."""
    if value is None:
        return empty
    day = _as_date(value)
    return f"{day:%A} {day.day} {day:%B %Y}"


def uk_time(value: datetime | None) -> str:
    """``9am``, ``2:30pm``, ``midday``, ``midnight`` — in Europe/London."""
    if value is None:
        return ""
    local = london(value)
    if local.minute == 0 and local.hour in (0, 12):
        return "midnight" if local.hour == 0 else "midday"
    hour = local.hour % 12 or 12
    minutes = f":{local.minute:02d}" if local.minute else ""
    return f"{hour}{minutes}{'am' if local.hour < 12 else 'pm'}"


def uk_datetime(value: datetime | None) -> str:
    """``Wednesday 23 December 2026 at 2:30pm`` (Europe/London)."""
    if value is None:
        return ""
    return f"{uk_date(value)} at {uk_time(value)}"


def plural(count: int, one: str, many: str | None = None) -> str:
    """``1 working day``, ``3 working days``."""
    return f"{count} {one if count == 1 else (many or one + 's')}"


def working_days_left(days: int | None) -> str:
    """How a deadline stands, in words: ``3 working days left``, ``Due today``, ``2 working days
    overdue``; empty when the calendar could not count it."""
    if days is None:
        return ""
    if days == 0:
        return "Due today"
    if days > 0:
        return f"{plural(days, 'working day')} left"
    return f"{plural(-days, 'working day')} overdue"
