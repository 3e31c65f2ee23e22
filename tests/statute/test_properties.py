"""Properties the deadline must have on every receipt date, checked with hypothesis."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from statute import (
    CalendarData,
    ClockEvent,
    ClockEventKind,
    ClockOptions,
    WorkingDayCalendar,
    calendar_for,
    compute_clock,
    get_regime,
    packaged_calendar,
)
from statute.calendar import DIVISIONS, ENGLAND_AND_WALES, SCOTLAND
from statute.clock import add_months

DATA = packaged_calendar()
LONDON = ZoneInfo("Europe/London")
# Leave room after the last receipt for 60 working days before the data ends (2028-12-31).
receipts = st.dates(min_value=date(2012, 1, 1), max_value=date(2028, 9, 30))
request_regimes = st.sampled_from(["foia", "eir", "foisa"])
policies = st.booleans()

# No timed assertions: hypothesis' per-example deadline is off; examples kept to a fast run.
fast = settings(max_examples=200, deadline=None)


def at(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=LONDON)


def due(
    regime: str,
    received: date,
    data: CalendarData = DATA,
    roll: bool = False,
    events: tuple[ClockEvent, ...] = (),
    as_of: date | None = None,
) -> date:
    r = get_regime(regime)
    state = compute_clock(
        r,
        [ClockEvent(ClockEventKind.RECEIVED, at(received)), *events],
        calendar_for(r, data),
        at(as_of or received),
        ClockOptions(roll_non_working_receipt=roll),
    )
    assert state.due_date is not None
    return state.due_date


@fast
@given(request_regimes, receipts, st.integers(min_value=0, max_value=60), policies)
def test_deadline_is_monotonic_in_the_receipt_date(
    regime: str, first: date, gap: int, roll: bool
) -> None:
    later = min(first + timedelta(days=gap), date(2028, 9, 30))
    assert due(regime, first, roll=roll) <= due(regime, later, roll=roll)


@fast
@given(
    request_regimes,
    receipts,
    st.integers(min_value=0, max_value=45),
    st.sampled_from([*DIVISIONS, "all"]),
)
def test_adding_a_holiday_never_makes_a_deadline_earlier(
    regime: str, received: date, offset: int, division: str
) -> None:
    holiday = received + timedelta(days=offset)
    divisions = list(DIVISIONS) if division == "all" else [division]
    existing = {h.division for h in DATA.holidays if h.date == holiday}
    assume(not set(divisions) <= existing)
    more = DATA.with_proclaimed(holiday, divisions, "Proclaimed", version=2)
    before, after = due(regime, received), due(regime, received, more)
    assert after >= before
    # and it moves by at most the one day it took away
    calendar = calendar_for(get_regime(regime), more)
    assert calendar.count_working_days(before, after) <= 1


@fast
@given(
    st.sampled_from(["foia", "eir"]),
    st.dates(min_value=date(2012, 1, 1), max_value=date(2028, 6, 30)),  # payment + 40 WD fit
    st.integers(min_value=0, max_value=40),
    st.integers(min_value=0, max_value=80),
)
def test_a_fee_pause_of_n_working_days_moves_the_due_date_by_exactly_n(
    regime: str, received: date, notice_after: int, paid_after: int
) -> None:
    # s10(2): the working days from the notice to the payment, both included, are disregarded.
    plain = due(regime, received)
    notice = received + timedelta(days=notice_after)
    paid = notice + timedelta(days=paid_after)
    assume(notice <= plain)  # a notice before the due date (after it, nothing is left to move)
    calendar = calendar_for(get_regime(regime), DATA)
    n = calendar.count_working_days(max(notice - timedelta(days=1), received), paid)
    events = (
        ClockEvent(ClockEventKind.FEES_NOTICE_GIVEN, at(notice)),
        ClockEvent(ClockEventKind.FEE_RECEIVED, at(paid)),
    )
    paused = due(regime, received, events=events, as_of=paid)
    assert paused == calendar.add_working_days(plain, n)


@fast
@given(receipts, policies)
def test_foisa_is_never_later_than_foia(received: date, roll: bool) -> None:
    # FOISA s73 counts Scottish bank holidays; FOIA s10(6) counts a bank holiday in *any* part of
    # the UK, Scotland's included. Scotland's own days (2 January, St Andrew's Day, the first
    # Monday of August) are therefore non-working under both, and every FOISA non-working day is
    # a FOIA one: FOISA's twentieth working day can only come sooner or the same. (It would be
    # false if FOIA were wrongly counted on England and Wales holidays only: see the test below.)
    assert due("foisa", received, roll=roll) <= due("foia", received, roll=roll)


def test_foisa_later_than_an_england_only_count_shows_the_property_is_not_vacuous() -> None:
    england_only = WorkingDayCalendar(DATA, divisions=frozenset({ENGLAND_AND_WALES}))
    received = date(2024, 12, 20)
    # 2 January 2025 is a Scottish bank holiday only.
    assert due("foisa", received) == date(2025, 1, 23)
    assert england_only.add_working_days(received, 20) == date(2025, 1, 22)
    scottish = calendar_for(get_regime("foisa"), DATA)
    assert not scottish.is_working_day(date(2025, 1, 2))


def _walk(calendar: WorkingDayCalendar, start: date, n: int, skip: frozenset[date]) -> date:
    """An independent oracle: step day by day."""
    day, counted = start, 0
    while counted < n:
        day += timedelta(days=1)
        if calendar.non_working_reason(day) is None and day not in skip:
            counted += 1
    return day


@fast
@given(
    st.sampled_from(["foia", "foisa"]),
    # 60 working days and 90 disregarded days stay inside the data's last year.
    st.dates(min_value=date(2012, 1, 1), max_value=date(2028, 6, 30)),
    st.integers(min_value=0, max_value=60),
    st.frozensets(st.integers(min_value=-5, max_value=90), max_size=12),
)
def test_the_indexed_calendar_agrees_with_walking_day_by_day(
    regime: str, start: date, n: int, offsets: frozenset[int]
) -> None:
    calendar = calendar_for(get_regime(regime), DATA)
    skip = frozenset(start + timedelta(days=o) for o in offsets)
    end = calendar.add_working_days(start, n, skip)
    assert end == _walk(calendar, start, n, skip)
    assert calendar.count_working_days(start, end, skip) == n
    assert n == 0 or calendar.is_working_day(end)


@fast
@given(st.dates(min_value=date(2012, 1, 1), max_value=date(2028, 10, 31)))
def test_subject_access_is_due_on_the_first_working_day_from_the_corresponding_date(
    received: date,
) -> None:
    deadline = due("sar", received)
    corresponding = add_months(received, 1)
    calendar = calendar_for(get_regime("sar"), DATA)
    assert deadline >= corresponding
    assert calendar.is_working_day(deadline)
    assert calendar.count_working_days(corresponding - timedelta(days=1), deadline) == 1


def test_a_scottish_holiday_moves_foia_and_foisa_alike() -> None:
    # Adding a Scotland-only holiday moves both regimes; an England-only one moves FOIA alone.
    received = date(2026, 6, 1)
    scots = DATA.with_proclaimed(date(2026, 6, 15), [SCOTLAND], "Extra", version=2)
    english = DATA.with_proclaimed(date(2026, 6, 15), [ENGLAND_AND_WALES], "Extra", version=2)
    assert due("foia", received, scots) == due("foia", received) + timedelta(days=1)
    assert due("foisa", received, scots) == due("foisa", received) + timedelta(days=1)
    assert due("foisa", received, english) == due("foisa", received)
