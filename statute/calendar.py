"""Working-day calendars built from the GOV.UK bank-holidays data.

FOIA s10(6) and EIR reg 2(1): a working day is any day other than Saturday, Sunday, Christmas Day,
Good Friday or a bank holiday under the Banking and Financial Dealings Act 1971 *in any part of the
United Kingdom*. FOISA s73 counts Scottish bank holidays only. A date outside the loaded data is an
error (``CalendarRangeError``), never a silent guess.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache, cached_property
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

ONE_DAY = timedelta(days=1)


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
    notes: str = ""  # the feed's notes, e.g. "Substitute day"; explanation only

    def __post_init__(self) -> None:
        if self.division not in DIVISIONS:
            raise CalendarError(f"division: {self.division!r} is not one of {', '.join(DIVISIONS)}")

    @property
    def description(self) -> str:
        """The title as a reason for skipping the day, e.g. "Christmas Day, substitute day"."""
        return f"{self.title}, {self.notes.lower()}" if self.notes else self.title


def _clean_title(title: str) -> str:
    return title.replace("\u2019", "'").strip()


def divisions_in_words(divisions: Iterable[str]) -> str:
    """'Scotland', 'England and Wales, Northern Ireland' or 'all of the UK'."""
    present = set(divisions)
    if present == ALL_UK:
        return "all of the UK"
    return ", ".join(DIVISION_NAMES[d] for d in DIVISIONS if d in present)


def long_date(day: date) -> str:
    """'15 Jun 2026': the form people read in letters and diffs."""
    return f"{day.day} {day.strftime('%b %Y')}"


@dataclass(frozen=True)
class CalendarData:
    """A versioned set of bank holidays for all three divisions, with the years it covers.

    ``version`` is assigned by whoever stores calendars (1 for the packaged snapshot); the
    ``fingerprint`` identifies the content itself (dates, divisions, titles, coverage), so two
    stores agree on what a version means.
    """

    holidays: tuple[Holiday, ...]
    coverage_start: date
    coverage_end: date
    version: int = 1
    source: str = "packaged GOV.UK snapshot"
    # A window (see ``window``) remembers the fingerprint of the stored version it was cut from,
    # so a case names the same calendar the store does.
    cut_from: str = ""

    def __post_init__(self) -> None:
        if self.coverage_start > self.coverage_end:
            raise CalendarError(
                f"coverage: starts {self.coverage_start} after it ends {self.coverage_end}"
            )

    @cached_property
    def fingerprint(self) -> str:
        # Cached: the clock reports it on every computation, and the content never changes.
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

    def __hash__(self) -> int:
        # Equal calendars share fingerprint, version and source, so this agrees with ``==`` while
        # avoiding rehashing every holiday (calendars are cache keys in ``calendar_for``).
        return hash((self.fingerprint, self.version, self.source))

    @property
    def label(self) -> str:
        return f"v{self.version} ({self.version_fingerprint})"

    @property
    def version_fingerprint(self) -> str:
        """The fingerprint of the stored version: this content's own, or its parent's."""
        return self.cut_from or self.fingerprint

    def covers(self, day: date) -> bool:
        return self.coverage_start <= day <= self.coverage_end

    @classmethod
    def from_govuk_feed(
        cls, feed: Mapping[str, Any], *, version: int = 1, source: str = "GOV.UK feed"
    ) -> CalendarData:
        """Parse the GOV.UK ``bank-holidays.json`` shape: ``{division: {"events": [...]}}``.

        Coverage is whole calendar years, first to last year listed: GOV.UK publishes every bank
        holiday of each year it lists.
        """
        if not isinstance(feed, Mapping):
            raise CalendarError("bank-holidays feed: expected an object keyed by division")
        holidays: list[Holiday] = []
        for division in DIVISIONS:
            block = feed.get(division)
            if not isinstance(block, Mapping) or not isinstance(block.get("events"), list):
                raise CalendarError(f"bank-holidays feed: division {division!r} has no events list")
            for event in block["events"]:
                try:
                    day = date.fromisoformat(event["date"])
                    title = _clean_title(str(event["title"]))
                    notes = _clean_title(str(event.get("notes") or ""))
                except (KeyError, TypeError, ValueError, AttributeError) as exc:
                    raise CalendarError(
                        f"bank-holidays feed: bad event in {division!r}: {event!r}"
                    ) from exc
                holidays.append(Holiday(day, division, title, notes=notes))
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
        return self.with_proclaimed(
            holiday.date, [holiday.division], holiday.title, version=version, source=self.source
        )

    def with_proclaimed(
        self,
        day: date,
        divisions: Iterable[str],
        title: str,
        *,
        version: int,
        source: str | None = None,
    ) -> CalendarData:
        """A new version with a holiday proclaimed under the 1971 Act s1(3) in ``divisions``.

        Divisions where ``day`` is already a bank holiday are left alone; if it already is one in
        every division asked for, that is an error (nothing would change).
        """
        wanted = list(dict.fromkeys(divisions))
        if not wanted:
            raise CalendarError("division: name at least one division")
        for division in wanted:
            if division not in DIVISIONS:
                raise CalendarError(f"division: {division!r} is not one of {', '.join(DIVISIONS)}")
        if not title.strip():
            raise CalendarError("reason: say what the holiday is for")
        if not self.covers(day):
            raise CalendarRangeError(
                f"date: {day} is outside the calendar's coverage "
                f"{self.coverage_start} to {self.coverage_end}"
            )
        existing = {h.division for h in self.holidays if h.date == day}
        missing = [d for d in wanted if d not in existing]
        if not missing:
            raise CalendarError(
                f"date: {day} is already a bank holiday in {divisions_in_words(wanted)}"
            )
        added = [Holiday(day, d, title.strip(), proclaimed=True) for d in missing]
        return CalendarData(
            holidays=tuple(sorted((*self.holidays, *added))),
            coverage_start=self.coverage_start,
            coverage_end=self.coverage_end,
            version=version,
            source=self.source if source is None else source,
        )

    def refreshed(self, feed: CalendarData) -> CalendarData:
        """This calendar brought up to date with a freshly fetched feed, losing nothing.

        Within the years the feed lists, the feed is authoritative, except that holidays proclaimed
        here by hand and not (yet) in the feed are kept. Years the feed no longer lists (GOV.UK
        drops old years) keep the holidays stored here, so older cases still compute. The version
        number is left for the store to assign.
        """
        if (
            feed.coverage_start > self.coverage_end + ONE_DAY
            or feed.coverage_end < self.coverage_start - ONE_DAY
        ):
            raise CalendarError(
                f"feed: covers {feed.coverage_start} to {feed.coverage_end}, which leaves a gap "
                f"after the stored {self.coverage_start} to {self.coverage_end}"
            )
        in_feed = {(h.date, h.division) for h in feed.holidays}
        kept = [
            h
            for h in self.holidays
            if not feed.covers(h.date) or (h.proclaimed and (h.date, h.division) not in in_feed)
        ]
        return CalendarData(
            holidays=tuple(sorted((*feed.holidays, *kept))),
            coverage_start=min(self.coverage_start, feed.coverage_start),
            coverage_end=max(self.coverage_end, feed.coverage_end),
            version=self.version,
            source=feed.source,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "fingerprint": self.fingerprint,
            **({"cut_from": self.cut_from} if self.cut_from else {}),
            "source": self.source,
            "coverage_start": self.coverage_start.isoformat(),
            "coverage_end": self.coverage_end.isoformat(),
            "holidays": [
                {
                    "date": h.date.isoformat(),
                    "division": h.division,
                    "title": h.title,
                    "proclaimed": h.proclaimed,
                    **({"notes": h.notes} if h.notes else {}),
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
                        str(h.get("notes", "")),
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
                cut_from=str(data.get("cut_from", "")),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise CalendarError(f"stored calendar is malformed: {exc}") from exc

    def window(self, start: date, end: date) -> CalendarData:
        """The same version cut to the days between ``start`` and ``end``: what a case carries.

        The window's own ``fingerprint`` identifies its content; ``version`` and
        ``version_fingerprint`` name the stored calendar it was cut from.
        """
        lo, hi = max(start, self.coverage_start), min(end, self.coverage_end)
        if lo > hi:
            raise CalendarRangeError(
                f"window: {start} to {end} does not overlap the calendar's coverage "
                f"{self.coverage_start} to {self.coverage_end}"
            )
        return CalendarData(
            holidays=tuple(h for h in self.holidays if lo <= h.date <= hi),
            coverage_start=lo,
            coverage_end=hi,
            version=self.version,
            source=self.source,
            cut_from=self.version_fingerprint,
        )

    def diff(self, older: CalendarData) -> list[str]:
        """What changed from ``older`` to this one, in words, by date.

        E.g. "15 Jun 2026 added (Scotland: Extra bank holiday)". Holidays are compared by date and
        division, so a holiday whose title changed reads as renamed, not removed and added.
        """
        mine = {(h.date, h.division): h for h in self.holidays}
        theirs = {(h.date, h.division): h for h in older.holidays}
        # (date, sort rank, text, title) -> divisions: one line per change, divisions grouped
        groups: dict[tuple[date, int, str, str], list[str]] = {}
        for key in mine.keys() - theirs.keys():
            h = mine[key]
            groups.setdefault((h.date, 0, "added", h.title), []).append(h.division)
        for key in theirs.keys() - mine.keys():
            h = theirs[key]
            groups.setdefault((h.date, 1, "removed", h.title), []).append(h.division)
        for key in mine.keys() & theirs.keys():
            new, old = mine[key], theirs[key]
            if new.title != old.title:
                change = f"'{old.title}' renamed '{new.title}'"
                groups.setdefault((new.date, 2, "renamed", change), []).append(new.division)
        changes = [
            f"{long_date(day)} {what} ({divisions_in_words(divs)}: {title})"
            for (day, _, what, title), divs in sorted(groups.items())
        ]
        if (self.coverage_start, self.coverage_end) != (older.coverage_start, older.coverage_end):
            changes.append(
                f"coverage {older.coverage_start} to {older.coverage_end} is now "
                f"{self.coverage_start} to {self.coverage_end}"
            )
        return changes


@cache
def packaged_calendar() -> CalendarData:
    """The GOV.UK snapshot shipped with foiflow (2012 onwards), version 1.

    Decoded once per process: it is every store's version 1 until a second is saved, read for
    each case started, and the file never changes under a running process."""
    text = resources.files("statute").joinpath("data/bank-holidays.json").read_text("utf-8")
    return CalendarData.from_govuk_feed(
        json.loads(text), version=1, source="packaged GOV.UK snapshot"
    )


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
    """Which days count as working days for one regime, with the reason each other day does not.

    Built once per calendar version and regime, it indexes every day of the coverage so that
    counting N working days is a lookup rather than a walk (bulk deadlines feed dashboards).
    """

    data: CalendarData
    divisions: frozenset[str] = ALL_UK
    fixed_days: frozenset[str] = frozenset({CHRISTMAS_DAY, GOOD_FRIDAY})
    _reasons: dict[date, str] = field(init=False, repr=False, compare=False)
    # _rank[i]: working days in [coverage_start, coverage_start + i]; _working: their ordinals
    _rank: list[int] = field(init=False, repr=False, compare=False)
    _working: list[int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        unknown = self.divisions - ALL_UK
        if unknown:
            raise CalendarError(f"divisions: unknown {sorted(unknown)}")
        by_day: dict[date, dict[str, list[str]]] = {}
        for h in self.data.holidays:
            if h.division in self.divisions:
                by_day.setdefault(h.date, {}).setdefault(h.description, []).append(h.division)
        reasons: dict[date, str] = {
            day: "; ".join(
                f"{title} ({divisions_in_words(divs)})" for title, divs in titles.items()
            )
            for day, titles in by_day.items()
        }
        # s10(6)(a)/(b): Christmas Day and Good Friday are named in the Act itself (they are common
        # law holidays, not bank holidays, in England and Wales), so they never depend on the feed.
        for year in range(self.data.coverage_start.year, self.data.coverage_end.year + 1):
            if CHRISTMAS_DAY in self.fixed_days:
                reasons.setdefault(date(year, 12, 25), "Christmas Day")
            if GOOD_FRIDAY in self.fixed_days:
                reasons.setdefault(easter_sunday(year) - timedelta(days=2), "Good Friday")
        object.__setattr__(self, "_reasons", reasons)

        rank: list[int] = []
        working: list[int] = []
        day = self.data.coverage_start
        while day <= self.data.coverage_end:
            if day.weekday() < 5 and day not in reasons:
                working.append(day.toordinal())
            rank.append(len(working))
            day += ONE_DAY
        object.__setattr__(self, "_rank", rank)
        object.__setattr__(self, "_working", working)

    @property
    def version(self) -> int:
        return self.data.version

    @property
    def fingerprint(self) -> str:
        return self.data.version_fingerprint

    def check(self, day: date) -> None:
        if not self.data.covers(day):
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
        self.check(day)
        return day.weekday() < 5 and day not in self._reasons

    def next_working_day(self, day: date) -> date:
        """The first working day on or after ``day``."""
        while not self.is_working_day(day):
            day += ONE_DAY
        return day

    def _rank_of(self, day: date) -> int:
        """Working days from the start of coverage up to and including ``day`` (in coverage)."""
        return self._rank[day.toordinal() - self.data.coverage_start.toordinal()]

    def _nth_working_day(self, position: int, counting_from: date) -> date:
        """The ``position``-th working day of the coverage (1-based)."""
        if position > len(self._working):
            raise CalendarRangeError(
                f"counting working days from {counting_from.isoformat()} runs past "
                f"{self.data.coverage_end.isoformat()}, the end of the bank-holiday data loaded "
                f"(calendar {self.data.label}); refresh the calendar"
            )
        return date.fromordinal(self._working[position - 1])

    def working_days_after(
        self, start: date, disregarded: frozenset[date] = frozenset()
    ) -> Iterator[date]:
        """Working days strictly after ``start`` (day 1, day 2, …), skipping ``disregarded``."""
        day = start
        while True:
            day += ONE_DAY
            if self.is_working_day(day) and day not in disregarded:
                yield day

    def add_working_days(
        self, start: date, n: int, disregarded: frozenset[date] = frozenset()
    ) -> date:
        """The ``n``-th working day following ``start`` (``start`` itself is day 0)."""
        if n < 0:
            raise CalendarError(f"working days: {n} is negative")
        self.check(start)
        if n == 0:
            return start
        base = self._rank_of(start)
        # Every disregarded working day up to the answer pushes it one working day later; grow the
        # count until it is stable (it only grows, and it stops at the first day that fits).
        skip = 0
        while True:
            candidate = self._nth_working_day(base + n + skip, start)
            if not disregarded:
                return candidate
            extra = sum(
                1 for d in disregarded if start < d <= candidate and self._is_indexed_working(d)
            )
            if extra == skip:
                return candidate
            skip = extra

    def subtract_working_days(self, day: date, n: int) -> date:
        """The working day ``n`` working days before ``day`` (``day`` itself when ``n`` is 0).

        Reminders fall this way: "2 working days before the unit's deadline".
        """
        if n < 0:
            raise CalendarError(f"working days: {n} is negative")
        while n > 0:
            day -= ONE_DAY
            if self.is_working_day(day):
                n -= 1
        return day

    def _is_indexed_working(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self._reasons

    def count_working_days(
        self, after: date, until: date, disregarded: frozenset[date] = frozenset()
    ) -> int:
        """Working days ``d`` with ``after < d <= until``, not counting ``disregarded`` ones."""
        if until <= after:
            return 0
        self.check(after + ONE_DAY)
        self.check(until)
        before = self._rank_of(after) if after >= self.data.coverage_start else 0
        count = self._rank_of(until) - before
        count -= sum(1 for d in disregarded if after < d <= until and self._is_indexed_working(d))
        return count

    def working_days_between(self, first: date, last: date) -> list[date]:
        """The working days from ``first`` to ``last`` inclusive."""
        if last < first:
            return []
        self.check(first)
        self.check(last)
        lo = self._rank_of(first - ONE_DAY) if first > self.data.coverage_start else 0
        hi = self._rank_of(last)
        return [date.fromordinal(o) for o in self._working[lo:hi]]

    def non_working_days(self, after: date, until: date) -> list[tuple[date, str]]:
        """Each non-working day in ``(after, until]`` with its reason."""
        out: list[tuple[date, str]] = []
        day = after
        while day < until:
            day += ONE_DAY
            reason = self.non_working_reason(day)
            if reason:
                out.append((day, reason))
        return out
