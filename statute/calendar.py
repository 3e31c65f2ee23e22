"""Working-day calendars built from the GOV.UK bank-holidays data.

FOIA s10(6) and EIR reg 2(1): a working day is any day other than Saturday, Sunday, Christmas Day,
Good Friday or a bank holiday under the Banking and Financial Dealings Act 1971 *in any part of the
United Kingdom*. FOISA s73 counts Scottish bank holidays only. A date outside the loaded data is an
error (``CalendarRangeError``), never a silent guess.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from importlib import resources
from typing import Any

ENGLAND_AND_WALES = "england-and-wales"
SCOTLAND = "scotland"
NORTHERN_IRELAND = "northern-ireland"
DIVISIONS: tuple[str, ...] = (ENGLAND_AND_WALES, SCOTLAND, NORTHERN_IRELAND)
DIVISION_NAMES: Mapping[str, str] = {
    ENGLAND_AND_WALES: "England and Wales",
    SCOTLAND: "Scotland",
    NORTHERN_IRELAND: "Northern Ireland",
}
ALL_UK: frozenset[str] = frozenset(DIVISIONS)

CHRISTMAS_DAY = "christmas-day"
GOOD_FRIDAY = "good-friday"


class CalendarError(ValueError):
    """The calendar data or a question asked of it is invalid."""


class CalendarRangeError(CalendarError):
    """A date falls outside the range the loaded bank-holiday data covers."""


@dataclass(frozen=True, order=True)
class Holiday:
    """One bank holiday in one division of the UK."""

    date: date
    division: str
    title: str
    proclaimed: bool = False  # added by hand (e.g. a state funeral) rather than from the feed

    def __post_init__(self) -> None:
        if self.division not in DIVISIONS:
            raise CalendarError(
                f"division: {self.division!r} is not one of {', '.join(DIVISIONS)}"
            )


def _clean_title(title: str) -> str:
    return title.replace("\u2019", "'").strip()


@dataclass(frozen=True)
class CalendarData:
    """A versioned set of bank holidays for all three divisions, with the years it covers.

    ``version`` is assigned by whoever stores calendars (1 for the packaged snapshot); the
    ``fingerprint`` identifies the content itself, so two stores agree on what a version means.
    """

    holidays: tuple[Holiday, ...]
    coverage_start: date
    coverage_end: date
    version: int = 1
    source: str = "packaged GOV.UK snapshot"

    @property
    def fingerprint(self) -> str:
        canonical = json.dumps(
            {
                "coverage": [self.coverage_start.isoformat(), self.coverage_end.isoformat()],
                "holidays": [
                    [h.date.isoformat(), h.division, h.title] for h in sorted(self.holidays)
                ],
            },
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode()).hexdigest()[:12]

    @property
    def label(self) -> str:
        return f"v{self.version} ({self.fingerprint})"

    @classmethod
    def from_govuk_feed(
        cls, feed: Mapping[str, Any], *, version: int = 1, source: str = "GOV.UK feed"
    ) -> CalendarData:
        """Parse the GOV.UK ``bank-holidays.json`` shape: ``{division: {"events": [...]}}``."""
        holidays: list[Holiday] = []
        for division in DIVISIONS:
            block = feed.get(division)
            if not isinstance(block, Mapping) or not isinstance(block.get("events"), list):
                raise CalendarError(f"bank-holidays feed: division {division!r} has no events list")
            for event in block["events"]:
                try:
                    day = date.fromisoformat(event["date"])
                    title = _clean_title(str(event["title"]))
                except (KeyError, TypeError, ValueError) as exc:
                    raise CalendarError(
                        f"bank-holidays feed: bad event in {division!r}: {event!r}"
                    ) from exc
                holidays.append(Holiday(day, division, title))
        if not holidays:
            raise CalendarError("bank-holidays feed: no events at all")
        years = [h.date.year for h in holidays]
        return cls(
            holidays=tuple(sorted(holidays)),
            coverage_start=date(min(years), 1, 1),
            coverage_end=date(max(years), 12, 31),
            version=version,
            source=source,
        )

    def with_holiday(self, holiday: Holiday, *, version: int) -> CalendarData:
        """A new version with an ad-hoc proclaimed holiday added."""
        if not self.coverage_start <= holiday.date <= self.coverage_end:
            raise CalendarRangeError(
                f"date: {holiday.date} is outside the calendar's coverage "
                f"{self.coverage_start} to {self.coverage_end}"
            )
        if any(h.date == holiday.date and h.division == holiday.division for h in self.holidays):
            raise CalendarError(
                f"date: {holiday.date} is already a bank holiday in "
                f"{DIVISION_NAMES[holiday.division]}"
            )
        return CalendarData(
            holidays=tuple(sorted((*self.holidays, holiday))),
            coverage_start=self.coverage_start,
            coverage_end=self.coverage_end,
            version=version,
            source=self.source,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "fingerprint": self.fingerprint,
            "source": self.source,
            "coverage_start": self.coverage_start.isoformat(),
            "coverage_end": self.coverage_end.isoformat(),
            "holidays": [
                {
                    "date": h.date.isoformat(),
                    "division": h.division,
                    "title": h.title,
                    "proclaimed": h.proclaimed,
                }
                for h in self.holidays
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CalendarData:
        try:
            holidays = tuple(
                sorted(
                    Holiday(
                        date.fromisoformat(h["date"]),
                        h["division"],
                        h["title"],
                        bool(h.get("proclaimed", False)),
                    )
                    for h in data["holidays"]
                )
            )
            return cls(
                holidays=holidays,
                coverage_start=date.fromisoformat(data["coverage_start"]),
                coverage_end=date.fromisoformat(data["coverage_end"]),
                version=int(data["version"]),
                source=str(data.get("source", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CalendarError(f"stored calendar is malformed: {exc}") from exc

    def window(self, start: date, end: date) -> CalendarData:
        """The same version cut to the days between ``start`` and ``end``: what a case carries."""
        lo, hi = max(start, self.coverage_start), min(end, self.coverage_end)
        return CalendarData(
            holidays=tuple(h for h in self.holidays if lo <= h.date <= hi),
            coverage_start=lo,
            coverage_end=hi,
            version=self.version,
            source=self.source,
        )

    def diff(self, older: CalendarData) -> list[str]:
        """Human-readable changes from ``older`` to this one, e.g. "15 Jun 2026 added (Scotland)"."""
        mine, theirs = set(self.holidays), set(older.holidays)
        changes = [
            f"{_long(h.date)} added ({DIVISION_NAMES[h.division]}: {h.title})"
            for h in sorted(mine - theirs)
        ]
        changes += [
            f"{_long(h.date)} removed ({DIVISION_NAMES[h.division]}: {h.title})"
            for h in sorted(theirs - mine)
        ]
        return changes


def _long(day: date) -> str:
    return f"{day.day} {day.strftime('%b %Y')}"


def packaged_calendar() -> CalendarData:
    """The GOV.UK snapshot shipped with foiflow (2012 onwards), version 1."""
    text = resources.files("statute").joinpath("data/bank-holidays.json").read_text("utf-8")
    return CalendarData.from_govuk_feed(json.loads(text), version=1, source="packaged GOV.UK snapshot")


def easter_sunday(year: int) -> date:
    """Gregorian Easter (anonymous algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return date(year, month, day + 1)


@dataclass(frozen=True)
class WorkingDayCalendar:
    """Which days count as working days for one regime, with the reason each other day does not."""

    data: CalendarData
    divisions: frozenset[str] = ALL_UK
    fixed_days: frozenset[str] = frozenset({CHRISTMAS_DAY, GOOD_FRIDAY})
    _reasons: dict[date, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        unknown = self.divisions - ALL_UK
        if unknown:
            raise CalendarError(f"divisions: unknown {sorted(unknown)}")
        by_day: dict[date, dict[str, list[str]]] = {}
        for h in self.data.holidays:
            if h.division in self.divisions:
                by_day.setdefault(h.date, {}).setdefault(h.title, []).append(h.division)
        reasons: dict[date, str] = {}
        for day, titles in by_day.items():
            parts = []
            for title, divs in titles.items():
                where = (
                    "all of the UK"
                    if set(divs) == ALL_UK
                    else ", ".join(DIVISION_NAMES[d] for d in DIVISIONS if d in divs)
                )
                parts.append(f"{title} ({where})")
            reasons[day] = "; ".join(parts)
        for year in range(self.data.coverage_start.year, self.data.coverage_end.year + 1):
            if CHRISTMAS_DAY in self.fixed_days:
                reasons.setdefault(date(year, 12, 25), "Christmas Day")
            if GOOD_FRIDAY in self.fixed_days:
                reasons.setdefault(easter_sunday(year) - timedelta(days=2), "Good Friday")
        object.__setattr__(self, "_reasons", reasons)

    @property
    def version(self) -> int:
        return self.data.version

    @property
    def fingerprint(self) -> str:
        return self.data.fingerprint

    def check(self, day: date) -> None:
        if not self.data.coverage_start <= day <= self.data.coverage_end:
            raise CalendarRangeError(
                f"{day.isoformat()} is outside the bank-holiday data loaded "
                f"(calendar {self.data.label} covers {self.data.coverage_start.isoformat()} "
                f"to {self.data.coverage_end.isoformat()}); refresh the calendar"
            )

    def non_working_reason(self, day: date) -> str | None:
        """Why ``day`` is not a working day, or None when it is one."""
        self.check(day)
        if day.weekday() == 5:
            return "Saturday"
        if day.weekday() == 6:
            return "Sunday"
        return self._reasons.get(day)

    def is_working_day(self, day: date) -> bool:
        return self.non_working_reason(day) is None

    def next_working_day(self, day: date) -> date:
        """The first working day on or after ``day``."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def working_days_after(
        self, start: date, disregarded: frozenset[date] = frozenset()
    ) -> Iterator[date]:
        """Working days strictly after ``start`` (day 1, day 2, …), skipping ``disregarded``."""
        day = start
        while True:
            day += timedelta(days=1)
            if self.is_working_day(day) and day not in disregarded:
                yield day

    def add_working_days(
        self, start: date, n: int, disregarded: frozenset[date] = frozenset()
    ) -> date:
        """The ``n``-th working day following ``start`` (``start`` itself is day 0)."""
        if n < 0:
            raise CalendarError(f"working days: {n} is negative")
        if n == 0:
            return start
        for count, day in enumerate(self.working_days_after(start, disregarded), start=1):
            if count == n:
                return day
        raise AssertionError("unreachable")  # pragma: no cover

    def count_working_days(
        self, after: date, until: date, disregarded: frozenset[date] = frozenset()
    ) -> int:
        """Working days ``d`` with ``after < d <= until``."""
        if until <= after:
            return 0
        self.check(until)
        count = 0
        day = after
        while day < until:
            day += timedelta(days=1)
            if self.is_working_day(day) and day not in disregarded:
                count += 1
        return count

    def non_working_days(self, after: date, until: date) -> list[tuple[date, str]]:
        """Each non-working day in ``(after, until]`` with its reason."""
        out: list[tuple[date, str]] = []
        day = after
        while day < until:
            day += timedelta(days=1)
            reason = self.non_working_reason(day)
            if reason:
                out.append((day, reason))
        return out

