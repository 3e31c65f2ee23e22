"""Working-day calendars and due dates on tricky dates.

Every expected date below was counted by hand from the GOV.UK data in statute/data and the rules in
FOIA s10(6) (bank holidays in any part of the UK, plus Christmas Day and Good Friday) and FOISA s73
(Scottish bank holidays and Christmas Day). Day 0 is the day of receipt; the due date is working
day 20.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from statute import (
    CalendarData,
    CalendarError,
    CalendarRangeError,
    ClockEvent,
    ClockEventKind,
    ClockOptions,
    Holiday,
    WorkingDayCalendar,
    calendar_for,
    compute_clock,
    get_regime,
    packaged_calendar,
)
from statute.calendar import ALL_UK, CHRISTMAS_DAY, ENGLAND_AND_WALES, GOOD_FRIDAY, SCOTLAND

DATA = packaged_calendar()


def due(regime: str, received: date, data: CalendarData = DATA, *, roll: bool = False) -> date:
    r = get_regime(regime)
    at = datetime.combine(received, time(12), tzinfo=ZoneInfo("Europe/London"))
    state = compute_clock(
        r,
        [ClockEvent(ClockEventKind.RECEIVED, at)],
        calendar_for(r, data),
        at,
        ClockOptions(roll_non_working_receipt=roll),
    )
    assert state.due_date is not None
    return state.due_date


# (why it is tricky, regime, received, due)
TRICKY = [
    # statute.md worked examples
    ("St Patrick's Day (NI) skipped", "foia", date(2025, 3, 3), date(2025, 4, 1)),
    ("St Patrick's Day is a Scottish working day", "foisa", date(2025, 3, 3), date(2025, 3, 31)),
    ("Boyne substitute, Mon 13 Jul 2026 (NI)", "foia", date(2026, 7, 1), date(2026, 7, 30)),
    ("Boyne substitute is a Scottish working day", "foisa", date(2026, 7, 1), date(2026, 7, 29)),
    # 12 July itself (a Wednesday in 2023)
    ("Battle of the Boyne, Wed 12 Jul 2023", "foia", date(2023, 7, 3), date(2023, 8, 1)),
    ("12 July under FOISA", "foisa", date(2023, 7, 3), date(2023, 7, 31)),
    # Scotland's own holidays count for an English authority too (s10(6) "any part")
    ("St Andrew's Day substitute, Mon 1 Dec 2025", "foia", date(2025, 11, 14), date(2025, 12, 15)),
    ("first Monday of August (Scotland), 4 Aug 2025", "foia", date(2025, 7, 21), date(2025, 8, 19)),
    ("Scottish summer holiday under FOISA", "foisa", date(2025, 7, 21), date(2025, 8, 19)),
    # Christmas weeks, with 2 January (Scotland)
    ("Christmas 2025 and 2 Jan 2026", "foia", date(2025, 12, 19), date(2026, 1, 22)),
    ("Christmas 2024 and 2 Jan 2025", "foia", date(2024, 12, 20), date(2025, 1, 23)),
    ("Christmas 2024 under FOISA", "foisa", date(2024, 12, 20), date(2025, 1, 23)),
    # substitutes: 25/26 Dec 2021 at a weekend -> 27, 28 Dec; 1 Jan 2022 -> 3 Jan; 2 Jan -> 4 Jan
    ("substitute Christmas, Boxing Day, New Year", "foia", date(2021, 12, 20), date(2022, 1, 21)),
    ("the same substitutes in Scotland", "foisa", date(2021, 12, 20), date(2022, 1, 21)),
    # Easter 2025: Good Friday 18 Apr everywhere, Easter Monday 21 Apr not in Scotland; 5 May
    ("Easter and early May 2025", "foia", date(2025, 4, 7), date(2025, 5, 8)),
    ("Easter Monday is a Scottish working day", "foisa", date(2025, 4, 7), date(2025, 5, 7)),
    # ad-hoc proclaimed holidays
    ("state funeral, Mon 19 Sep 2022", "foia", date(2022, 9, 5), date(2022, 10, 4)),
    ("coronation, Mon 8 May 2023, after 1 May", "foia", date(2023, 4, 24), date(2023, 5, 24)),
    # receipt on a non-working day: the next working day is day 1, not day 0
    ("received on a Saturday", "foia", date(2025, 3, 1), date(2025, 3, 31)),
    ("received on a Sunday", "foia", date(2025, 3, 2), date(2025, 3, 31)),
    ("received on a bank holiday (5 May 2025)", "foia", date(2025, 5, 5), date(2025, 6, 3)),
    ("EIR uses the FOIA calendar", "eir", date(2025, 3, 3), date(2025, 4, 1)),
]


@pytest.mark.parametrize(
    ("why", "regime", "received", "expected"), TRICKY, ids=[row[0] for row in TRICKY]
)
def test_due_dates_on_tricky_dates(why: str, regime: str, received: date, expected: date) -> None:
    assert due(regime, received) == expected, why


def test_roll_forward_of_a_weekend_receipt_is_an_explicit_policy_not_the_default() -> None:
    saturday = date(2025, 3, 1)
    assert due("foia", saturday) == date(2025, 3, 31)
    assert due("foia", saturday, roll=True) == date(2025, 4, 1)  # as if received Mon 3 Mar


def test_england_and_wales_only_would_be_wrong() -> None:
    # The mistake peers make: with England and Wales holidays only, the 2 January 2025 (Scotland)
    # is counted and the due date comes a day early.
    wrong = WorkingDayCalendar(DATA, divisions=frozenset({ENGLAND_AND_WALES}))
    assert wrong.add_working_days(date(2024, 12, 20), 20) == date(2025, 1, 22)
    assert due("foia", date(2024, 12, 20)) == date(2025, 1, 23)


@pytest.mark.parametrize(
    ("regime", "day", "reason"),
    [
        ("foia", date(2025, 3, 17), "St Patrick's Day (Northern Ireland)"),
        (
            "foia",
            date(2026, 7, 13),
            "Battle of the Boyne (Orangemen's Day), substitute day (Northern Ireland)",
        ),
        ("foia", date(2025, 12, 1), "St Andrew's Day, substitute day (Scotland)"),
        ("foia", date(2026, 1, 2), "2nd January (Scotland)"),
        ("foia", date(2025, 8, 4), "Summer bank holiday (Scotland)"),
        (
            "foia",
            date(2022, 9, 19),
            "Bank Holiday for the State Funeral of Queen Elizabeth II (all of the UK)",
        ),
        ("foia", date(2025, 4, 21), "Easter Monday (England and Wales, Northern Ireland)"),
        ("foia", date(2025, 3, 8), "Saturday"),
        ("foia", date(2025, 3, 9), "Sunday"),
        ("foisa", date(2025, 11, 30), "Sunday"),
        ("foisa", date(2025, 3, 17), None),
        ("foisa", date(2025, 4, 21), None),
        ("foisa", date(2025, 8, 25), None),  # England's summer bank holiday
        ("foisa", date(2025, 8, 4), "Summer bank holiday (Scotland)"),
    ],
)
def test_each_non_working_day_has_a_reason(regime: str, day: date, reason: str | None) -> None:
    calendar = calendar_for(get_regime(regime), DATA)
    assert calendar.non_working_reason(day) == reason
    assert calendar.is_working_day(day) is (reason is None)


def test_christmas_day_and_good_friday_do_not_depend_on_the_feed() -> None:
    # s10(6) names them itself; a feed that forgot them must not make them working days.
    empty = CalendarData(
        holidays=(), coverage_start=date(2025, 1, 1), coverage_end=date(2025, 12, 31)
    )
    uk = WorkingDayCalendar(empty, ALL_UK, frozenset({CHRISTMAS_DAY, GOOD_FRIDAY}))
    assert uk.non_working_reason(date(2025, 12, 25)) == "Christmas Day"
    assert uk.non_working_reason(date(2025, 4, 18)) == "Good Friday"
    scottish = WorkingDayCalendar(empty, frozenset({SCOTLAND}), frozenset({CHRISTMAS_DAY}))
    assert scottish.is_working_day(date(2025, 4, 18))  # s73 lists only Christmas Day


def test_a_date_outside_the_data_is_an_error_naming_the_range() -> None:
    calendar = calendar_for(get_regime("foia"), DATA)
    with pytest.raises(CalendarRangeError, match="covers 2012-01-01 to 2028-12-31"):
        calendar.is_working_day(date(2029, 1, 2))
    with pytest.raises(CalendarRangeError, match="2011-12-30 is outside"):
        due("foia", date(2011, 12, 30))
    # a receipt inside the data whose twentieth working day is beyond it: also an error
    with pytest.raises(CalendarRangeError, match="runs past 2028-12-31"):
        calendar.add_working_days(date(2028, 12, 15), 20)


def test_counting_and_adding_agree() -> None:
    calendar = calendar_for(get_regime("foia"), DATA)
    received = date(2025, 3, 3)
    assert calendar.count_working_days(received, date(2025, 4, 1)) == 20
    assert calendar.count_working_days(received, date(2025, 3, 31)) == 19
    assert calendar.count_working_days(received, received) == 0
    assert calendar.next_working_day(date(2025, 3, 15)) == date(2025, 3, 18)  # Sat, Sun, 17th
    disregarded = frozenset({date(2025, 3, 10), date(2025, 3, 11), date(2025, 3, 15)})  # 15: Sat
    assert calendar.add_working_days(received, 20, disregarded) == date(2025, 4, 3)
    assert calendar.count_working_days(received, date(2025, 4, 3), disregarded) == 20


def test_fingerprint_identifies_content_and_survives_json() -> None:
    again = CalendarData.from_json(DATA.to_json())
    assert again == DATA
    assert again.fingerprint == DATA.fingerprint
    assert hash(again) == hash(DATA)
    changed = DATA.with_proclaimed(date(2026, 6, 15), [SCOTLAND], "Extra", version=2)
    assert changed.fingerprint != DATA.fingerprint
    assert CalendarData.from_json(changed.to_json()).holidays == changed.holidays


def test_proclaiming_a_holiday() -> None:
    v2 = DATA.with_proclaimed(date(2026, 6, 15), ALL_UK, "Extra bank holiday", version=2)
    added = [h for h in v2.holidays if h.date == date(2026, 6, 15)]
    assert {h.division for h in added} == ALL_UK
    assert all(h.proclaimed for h in added)
    assert v2.version == 2
    # only where it is not already a holiday: 12 July is one in Northern Ireland already
    v3 = DATA.with_proclaimed(date(2027, 7, 12), ALL_UK, "Royal event", version=3)
    boyne = {h.division: h for h in v3.holidays if h.date == date(2027, 7, 12)}
    assert not boyne["northern-ireland"].proclaimed
    assert boyne[SCOTLAND].proclaimed


@pytest.mark.parametrize(
    ("day", "divisions", "title", "message"),
    [
        (date(2023, 5, 8), [SCOTLAND], "Coronation", "date: 2023-05-08 is already a bank holiday"),
        (date(2030, 6, 3), [SCOTLAND], "Later", "date: 2030-06-03 is outside"),
        (date(2026, 6, 15), ["wales"], "Eisteddfod", "division: 'wales'"),
        (date(2026, 6, 15), [SCOTLAND], "  ", "reason:"),
    ],
)
def test_proclaiming_rejects_bad_input_naming_the_field(
    day: date, divisions: list[str], title: str, message: str
) -> None:
    with pytest.raises(CalendarError, match=message):
        DATA.with_proclaimed(day, divisions, title, version=2)


def test_holiday_rejects_an_unknown_division() -> None:
    with pytest.raises(CalendarError, match="division: 'wales'"):
        Holiday(date(2026, 3, 1), "wales", "St David's Day")


def test_window_keeps_the_version_and_only_the_days_asked_for() -> None:
    window = DATA.window(date(2025, 3, 1), date(2025, 4, 30))
    assert window.version == DATA.version
    assert (window.coverage_start, window.coverage_end) == (date(2025, 3, 1), date(2025, 4, 30))
    assert {h.date for h in window.holidays} == {
        date(2025, 3, 17),
        date(2025, 4, 18),
        date(2025, 4, 21),
    }
    windowed = calendar_for(get_regime("foia"), window)
    assert windowed.add_working_days(date(2025, 3, 3), 20) == date(2025, 4, 1)
    with pytest.raises(CalendarRangeError):
        windowed.is_working_day(date(2025, 5, 1))
    with pytest.raises(CalendarRangeError, match="does not overlap"):
        DATA.window(date(2030, 1, 1), date(2030, 2, 1))


def test_diff_in_words() -> None:
    v2 = DATA.with_proclaimed(date(2026, 6, 15), [SCOTLAND], "Extra bank holiday", version=2)
    assert v2.diff(DATA) == ["15 Jun 2026 added (Scotland: Extra bank holiday)"]
    assert DATA.diff(v2) == ["15 Jun 2026 removed (Scotland: Extra bank holiday)"]
    assert DATA.diff(DATA) == []
    v3 = v2.with_proclaimed(date(2026, 6, 16), ALL_UK, "Two", version=3)
    assert v3.diff(DATA) == [
        "15 Jun 2026 added (Scotland: Extra bank holiday)",
        "16 Jun 2026 added (all of the UK: Two)",
    ]


def _feed_from(data: CalendarData, *, years: range | None = None) -> CalendarData:
    holidays = tuple(
        Holiday(h.date, h.division, h.title, notes=h.notes)
        for h in data.holidays
        if not h.proclaimed and (years is None or h.date.year in years)
    )
    first, last = (years[0], years[-1]) if years else (2012, 2028)
    return CalendarData(holidays, date(first, 1, 1), date(last, 12, 31), 0, "feed")


def test_refresh_keeps_hand_proclaimed_holidays_the_feed_does_not_have_yet() -> None:
    v2 = DATA.with_proclaimed(date(2026, 6, 15), [SCOTLAND], "Extra bank holiday", version=2)
    merged = v2.refreshed(_feed_from(DATA))
    assert merged.fingerprint == v2.fingerprint
    assert merged.diff(v2) == []


def test_refresh_takes_the_feeds_title_once_it_lists_a_proclaimed_holiday() -> None:
    v2 = DATA.with_proclaimed(date(2026, 6, 15), [SCOTLAND], "Extra", version=2)
    listed = _feed_from(DATA)
    feed = CalendarData(
        (*listed.holidays, Holiday(date(2026, 6, 15), SCOTLAND, "Royal wedding")),
        listed.coverage_start,
        listed.coverage_end,
    )
    merged = v2.refreshed(feed)
    assert merged.diff(v2) == ["15 Jun 2026 renamed (Scotland: 'Extra' renamed 'Royal wedding')"]
    assert not any(h.proclaimed for h in merged.holidays)


def test_refresh_keeps_years_the_feed_no_longer_lists() -> None:
    # GOV.UK drops old years from the live feed; cases received then must still compute.
    trimmed = _feed_from(DATA, years=range(2020, 2030))
    later = CalendarData(
        (*trimmed.holidays, Holiday(date(2029, 1, 1), ENGLAND_AND_WALES, "New Year's Day")),
        trimmed.coverage_start,
        date(2029, 12, 31),
    )
    merged = DATA.refreshed(later)
    assert (merged.coverage_start, merged.coverage_end) == (date(2012, 1, 1), date(2029, 12, 31))
    assert due("foia", date(2015, 3, 2), merged) == due("foia", date(2015, 3, 2))
    assert merged.diff(DATA) == [
        "1 Jan 2029 added (England and Wales: New Year's Day)",
        "coverage 2012-01-01 to 2028-12-31 is now 2012-01-01 to 2029-12-31",
    ]


def test_refresh_refuses_a_feed_that_would_leave_a_gap() -> None:
    far = CalendarData(
        (Holiday(date(2031, 1, 1), SCOTLAND, "New Year's Day"),),
        date(2031, 1, 1),
        date(2031, 12, 31),
    )
    with pytest.raises(CalendarError, match="gap"):
        DATA.refreshed(far)


def test_packaged_snapshot() -> None:
    assert DATA.version == 1
    assert (DATA.coverage_start, DATA.coverage_end) == (date(2012, 1, 1), date(2028, 12, 31))
    assert {h.division for h in DATA.holidays} == ALL_UK
    assert "'" in next(h.title for h in DATA.holidays if h.date == date(2025, 3, 17))


def test_a_window_names_the_stored_version_it_was_cut_from() -> None:
    full = packaged_calendar()
    window = full.window(date(2026, 1, 1), date(2026, 12, 31))
    assert window.fingerprint != full.fingerprint  # different content
    assert window.version_fingerprint == full.fingerprint
    assert window.label == full.label
    again = CalendarData.from_json(window.to_json())
    assert again == window and again.version_fingerprint == full.fingerprint
    assert again.window(date(2026, 6, 1), date(2026, 6, 30)).version_fingerprint == full.fingerprint
