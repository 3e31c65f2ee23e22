"""The clock as a function of events: restarts, pauses, extensions and the sequences it refuses.

Expected dates are counted by hand; the base case throughout is a FOIA request received Mon 3 Mar
2025, due Tue 1 Apr 2025 (St Patrick's Day, 17 Mar, skipped).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from statute import (
    CalendarRangeError,
    ClockError,
    ClockEvent,
    ClockEventKind,
    ClockOptions,
    ClockState,
    ExtensionKind,
    calendar_for,
    compute_clock,
    get_regime,
    local_date,
    packaged_calendar,
)
from statute.clock import add_months, last_day_of_months_beginning

DATA = packaged_calendar()
LONDON = ZoneInfo("Europe/London")
K = ClockEventKind
RECEIVED = date(2025, 3, 3)


def at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=LONDON)


def ev(kind: ClockEventKind, day: date, **kw: Any) -> ClockEvent:
    return ClockEvent(kind, at(day, 10), **kw)


def clock(
    events: list[ClockEvent],
    as_of: date,
    regime: str = "foia",
    options: ClockOptions | None = None,
) -> ClockState:
    r = get_regime(regime)
    return compute_clock(r, events, calendar_for(r, DATA), at(as_of, 18), options or ClockOptions())


def received(day: date = RECEIVED) -> ClockEvent:
    return ev(K.RECEIVED, day)


def test_plain_request_counts_down() -> None:
    state = clock([received()], as_of=date(2025, 3, 17))
    assert state.due_date == date(2025, 4, 1)
    assert state.statutory_due_date == date(2025, 4, 1)
    assert state.working_days_elapsed == 9  # 4-7 and 10-14 March
    assert state.working_days_remaining == 11  # 17 March itself is St Patrick's Day
    assert not state.paused
    assert not state.overdue
    assert (state.calendar_version, state.calendar_fingerprint) == (1, DATA.fingerprint)


def test_overdue_the_day_after_the_due_date() -> None:
    assert not clock([received()], as_of=date(2025, 4, 1)).overdue
    late = clock([received()], as_of=date(2025, 4, 2))
    assert late.overdue
    assert late.working_days_remaining == 0
    assert late.working_days_elapsed == 21


def test_clarification_stops_the_clock_and_restarts_it_from_its_receipt() -> None:
    asked = [received(), ev(K.CLARIFICATION_REQUESTED, date(2025, 3, 5))]
    waiting = clock(asked, as_of=date(2025, 3, 7))
    assert waiting.paused
    assert waiting.due_date is None
    assert waiting.pause_reason is not None and "s1(3)" in waiting.pause_reason
    assert waiting.working_days_elapsed == 2  # 4 and 5 March; the clock stopped on the 5th
    assert waiting.lapse_date == date(2025, 6, 4)  # three months beginning with 5 March

    # s1(3): 20 working days afresh from Mon 10 Mar; 17 Mar skipped again -> Tue 8 Apr
    answered = clock([*asked, ev(K.CLARIFICATION_RECEIVED, date(2025, 3, 10))], date(2025, 3, 10))
    assert answered.due_date == date(2025, 4, 8)
    assert answered.start_date == date(2025, 3, 10)
    assert answered.received_on == RECEIVED
    assert [m.event for m in answered.movements] == [
        "clarification_requested",
        "clarification_received",
    ]
    assert answered.movements[-1].due_after == date(2025, 4, 8)


def test_fee_pause_disregards_the_working_days_from_notice_to_payment() -> None:
    # s10(2): Mon 10 to Fri 14 March, both included, are five working days disregarded.
    events = [
        received(),
        ev(K.FEES_NOTICE_GIVEN, date(2025, 3, 10)),
        ev(K.FEE_RECEIVED, date(2025, 3, 14)),
    ]
    state = clock(events, as_of=date(2025, 3, 14))
    assert state.due_date == date(2025, 4, 8)  # Tue 1 Apr + 5 working days
    assert state.statutory_due_date == date(2025, 4, 8)  # not an extension: still "in time"
    assert not state.extended
    assert "5 working day(s)" in state.movements[-1].description
    disregarded = [s.date for s in state.skipped_days if "s10(2)" in s.reason]
    assert disregarded == [date(2025, 3, d) for d in (10, 11, 12, 13, 14)]


def test_fee_pause_over_a_weekend_and_a_holiday_counts_only_working_days() -> None:
    # Notice Fri 14 Mar, fee Tue 18 Mar: 14 and 18 are working days; 15, 16 weekend, 17 holiday.
    events = [
        received(),
        ev(K.FEES_NOTICE_GIVEN, date(2025, 3, 14)),
        ev(K.FEE_RECEIVED, date(2025, 3, 18)),
    ]
    assert clock(events, as_of=date(2025, 3, 18)).due_date == date(2025, 4, 3)


def test_unpaid_fee_pauses_and_lapses_after_three_months() -> None:
    events = [received(), ev(K.FEES_NOTICE_GIVEN, date(2025, 3, 10))]
    waiting = clock(events, as_of=date(2025, 6, 9))
    assert waiting.paused and waiting.due_date is None
    assert waiting.lapse_date == date(2025, 6, 9)  # s9(2): three months beginning with 10 March
    assert not waiting.lapsed
    assert clock(events, as_of=date(2025, 6, 10)).lapsed
    paid_last_day = clock([*events, ev(K.FEE_RECEIVED, date(2025, 6, 9))], date(2025, 6, 9))
    assert paid_last_day.due_date is not None
    with pytest.raises(ClockError, match=r"fee_received: 2025-06-10 is after 2025-06-09.*s9\(2\)"):
        clock([*events, ev(K.FEE_RECEIVED, date(2025, 6, 10))], as_of=date(2025, 6, 10))


def test_public_interest_extension_and_its_cap() -> None:
    pit = ev(
        K.EXTENSION, date(2025, 3, 31), extension=ExtensionKind.PUBLIC_INTEREST, working_days=20
    )
    state = clock([received(), pit], as_of=date(2025, 3, 31))
    # 20 further working days after Tue 1 Apr, skipping Good Friday and Easter Monday
    assert state.due_date == date(2025, 5, 1)
    assert state.statutory_due_date == date(2025, 4, 1)
    assert state.extended

    by_date = ev(
        K.EXTENSION,
        date(2025, 3, 31),
        extension=ExtensionKind.PUBLIC_INTEREST,
        until=date(2025, 4, 15),
    )
    assert clock([received(), by_date], as_of=date(2025, 4, 1)).due_date == date(2025, 4, 15)

    first = ev(
        K.EXTENSION, date(2025, 3, 20), extension=ExtensionKind.PUBLIC_INTEREST, working_days=15
    )
    second = ev(
        K.EXTENSION, date(2025, 3, 25), extension=ExtensionKind.PUBLIC_INTEREST, working_days=6
    )
    with pytest.raises(ClockError, match="extension beyond the cap — 21 further working days"):
        clock([received(), first, second], as_of=date(2025, 3, 25))


def test_an_extension_after_the_due_date_is_refused() -> None:
    late = ev(
        K.EXTENSION, date(2025, 4, 2), extension=ExtensionKind.PUBLIC_INTEREST, working_days=5
    )
    with pytest.raises(ClockError, match=r"within the time for compliance \(due 2025-04-01\)"):
        clock([received(), late], as_of=date(2025, 4, 2))


def test_reg7_extension_is_for_eir_only() -> None:
    reg7 = ev(K.EXTENSION, date(2025, 3, 20), extension=ExtensionKind.REG7)
    state = clock([received(), reg7], as_of=date(2025, 3, 20), regime="eir")
    assert state.due_date == date(2025, 5, 1)  # 40 working days from 3 March
    with pytest.raises(ClockError, match="reg7 is not available under foia"):
        clock([received(), reg7], as_of=date(2025, 3, 20), regime="foia")
    with pytest.raises(ClockError, match=r"reg7 is not available under foisa \(allowed: none\)"):
        clock([received(), reg7], as_of=date(2025, 3, 20), regime="foisa")
    with pytest.raises(ClockError, match="reg7 has already been applied"):
        clock([received(), reg7, reg7], as_of=date(2025, 3, 20), regime="eir")


def test_foisa_has_no_public_interest_extension() -> None:
    pit = ev(
        K.EXTENSION, date(2025, 3, 20), extension=ExtensionKind.PUBLIC_INTEREST, working_days=5
    )
    with pytest.raises(ClockError, match="public_interest is not available under foisa"):
        clock([received(), pit], date(2025, 3, 20), "foisa")


@pytest.mark.parametrize(
    ("received_on", "due"),
    [
        (date(2025, 1, 31), date(2025, 2, 28)),  # no 31 Feb: the last day of February
        (date(2024, 1, 31), date(2024, 2, 29)),  # leap year
        (date(2025, 3, 28), date(2025, 4, 28)),  # corresponding date, a Monday
        (date(2025, 4, 5), date(2025, 5, 6)),  # 5 May is a bank holiday: next working day
        (date(2025, 3, 1), date(2025, 4, 1)),  # a Saturday receipt still counts from that day
    ],
)
def test_subject_access_month_rule(received_on: date, due: date) -> None:
    assert clock([received(received_on)], as_of=received_on, regime="sar").due_date == due


def test_subject_access_extension_is_two_further_months() -> None:
    # Art 12(3): three months in all from receipt; 31 Jan -> 30 Apr (April has no 31st).
    ext = ev(K.EXTENSION, date(2025, 2, 10), extension=ExtensionKind.SUBJECT_ACCESS)
    state = clock([received(date(2025, 1, 31)), ext], as_of=date(2025, 2, 10), regime="sar")
    assert state.due_date == date(2025, 4, 30)
    assert [s.date for s in state.skipped_days] == []  # a month is not counted in working days


def test_month_arithmetic() -> None:
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)
    assert last_day_of_months_beginning(date(2025, 3, 10), 3) == date(2025, 6, 9)
    assert last_day_of_months_beginning(date(2024, 11, 30), 3) == date(2025, 2, 28)
    assert last_day_of_months_beginning(date(2025, 12, 1), 3) == date(2026, 2, 28)


@pytest.mark.parametrize(
    ("events", "message"),
    [
        ([ev(K.FEE_RECEIVED, date(2025, 3, 5))], "fee_received: no fees notice was given"),
        (
            [
                ev(K.CLARIFICATION_REQUESTED, date(2025, 3, 4)),
                ev(K.CLARIFICATION_RECEIVED, date(2025, 3, 5)),
                ev(K.CLARIFICATION_RECEIVED, date(2025, 3, 6)),
            ],
            "clarification_received: no clarification is outstanding",
        ),
        (
            [
                ev(K.CLARIFICATION_REQUESTED, date(2025, 3, 4)),
                ev(K.CLARIFICATION_REQUESTED, date(2025, 3, 5)),
            ],
            "clarification_requested: clarification was already requested on 2025-03-04",
        ),
        (
            [ev(K.FEES_NOTICE_GIVEN, date(2025, 3, 4)), ev(K.FEES_NOTICE_GIVEN, date(2025, 3, 5))],
            "fees_notice_given: a fees notice given on 2025-03-04 is still unpaid",
        ),
        ([ev(K.RECEIVED, date(2025, 3, 4))], "exactly one receipt is needed, got 2"),
        (
            [ev(K.EXTENSION, date(2025, 3, 4), extension=ExtensionKind.PUBLIC_INTEREST)],
            "working_days: an extension needs a positive number",
        ),
        ([ev(K.EXTENSION, date(2025, 3, 4))], "extension: say which extension"),
        (
            [
                ev(K.FEES_NOTICE_GIVEN, date(2025, 3, 4)),
                ev(K.EXTENSION, date(2025, 3, 5), extension=ExtensionKind.PUBLIC_INTEREST),
            ],
            "the clock is paused",
        ),
    ],
)
def test_invalid_sequences_are_rejected_naming_the_problem(
    events: list[ClockEvent], message: str
) -> None:
    with pytest.raises(ClockError, match=message):
        clock([received(), *events], as_of=date(2025, 3, 10))


def test_receipt_in_the_future_is_rejected() -> None:
    with pytest.raises(ClockError, match=r"received_at: 2025-03-03T10:00:00.* is in the future"):
        clock([received()], as_of=date(2025, 3, 2))


def test_an_event_before_the_receipt_is_rejected() -> None:
    with pytest.raises(ClockError, match=r"clarification_requested: .* before the request"):
        clock([received(), ev(K.CLARIFICATION_REQUESTED, date(2025, 3, 1))], date(2025, 3, 4))


def test_an_event_in_the_future_is_rejected() -> None:
    with pytest.raises(ClockError, match=r"fees_notice_given: .* is in the future"):
        clock([received(), ev(K.FEES_NOTICE_GIVEN, date(2025, 3, 20))], date(2025, 3, 10))


def test_a_receipt_at_the_same_instant_as_another_event_comes_first() -> None:
    same = ClockEvent(K.CLARIFICATION_REQUESTED, at(RECEIVED, 10))
    assert clock([same, received()], as_of=RECEIVED).paused


def test_a_receipt_outside_the_calendar_is_an_error_naming_the_range() -> None:
    with pytest.raises(CalendarRangeError, match="covers 2012-01-01 to 2028-12-31"):
        clock([received(date(2011, 6, 1))], as_of=date(2011, 6, 1))


def test_local_date_is_the_date_in_london() -> None:
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (BST); in January they agree.
    assert local_date(datetime(2025, 6, 30, 23, 30, tzinfo=UTC)) == date(2025, 7, 1)
    assert local_date(datetime(2025, 1, 30, 23, 30, tzinfo=UTC)) == date(2025, 1, 30)
    with pytest.raises(ClockError, match="has no time zone"):
        local_date(datetime(2025, 1, 30, 12, 0))


def test_a_late_evening_email_in_summer_counts_from_the_london_date() -> None:
    evening = ClockEvent(K.RECEIVED, datetime(2025, 6, 30, 23, 30, tzinfo=UTC))
    r = get_regime("foia")
    state = compute_clock(r, [evening], calendar_for(r, DATA), at(date(2025, 7, 1)))
    assert state.received_on == date(2025, 7, 1)


def test_explanation_names_every_skipped_day_and_the_calendar() -> None:
    state = clock([received()], as_of=RECEIVED)
    words = state.explain()
    assert "Received Mon 3 Mar 2025 (day 0); day 1 is the first working day after it." in words
    assert "Mon 17 Mar 2025 skipped: St Patrick's Day (Northern Ireland)." in words
    assert "Sat 8 Mar 2025 skipped: Saturday." in words
    assert words[-1] == f"Due Tue 1 Apr 2025, by calendar v1 ({DATA.fingerprint})."
    assert len(state.skipped_days) == 9  # four weekends and St Patrick's Day


def test_to_json_is_plain_json() -> None:
    events = [
        received(),
        ev(K.FEES_NOTICE_GIVEN, date(2025, 3, 10)),
        ev(K.FEE_RECEIVED, date(2025, 3, 14)),
    ]
    document = json.loads(json.dumps(clock(events, as_of=date(2025, 3, 14)).to_json()))
    assert document["due_date"] == "2025-04-08"
    assert document["calendar"] == {"version": 1, "fingerprint": DATA.fingerprint}
    assert document["movements"][1]["due_after"] == "2025-04-08"
    assert {"date": "2025-03-17", "reason": "St Patrick's Day (Northern Ireland)"} in document[
        "skipped_days"
    ]
    assert document["explanation"][-1].startswith("Due Tue 8 Apr 2025")


def test_roll_forward_policy_is_named_in_the_explanation() -> None:
    saturday = date(2025, 3, 1)
    rolled = clock(
        [received(saturday)], saturday, options=ClockOptions(roll_non_working_receipt=True)
    )
    assert rolled.due_date == date(2025, 4, 1)
    assert rolled.start_date == date(2025, 3, 3)
    assert "by local policy" in rolled.explain()[1]
    assert clock([received(saturday)], saturday).due_date == date(2025, 3, 31)
