"""Regimes are data: limits, calendars and extensions per statute; a new one is a local change."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from statute import (
    REGIMES,
    ClockEvent,
    ClockEventKind,
    ExtensionKind,
    Regime,
    UnknownRegimeError,
    calendar_for,
    compute_clock,
    get_regime,
    packaged_calendar,
)
from statute.calendar import ALL_UK, CHRISTMAS_DAY, GOOD_FRIDAY, SCOTLAND


def test_the_request_regimes() -> None:
    foia, eir, foisa = get_regime("foia"), get_regime("eir"), get_regime("foisa")
    assert foia.working_days == eir.working_days == foisa.working_days == 20
    assert foia.divisions == eir.divisions == ALL_UK  # s10(6): "any part of the United Kingdom"
    assert foisa.divisions == frozenset({SCOTLAND})  # FOISA s73
    assert foia.fixed_days == frozenset({CHRISTMAS_DAY, GOOD_FRIDAY})
    assert foisa.fixed_days == frozenset({CHRISTMAS_DAY})
    pit = foia.extensions[ExtensionKind.PUBLIC_INTEREST]
    assert pit.further_working_days_cap == 20
    assert eir.extensions[ExtensionKind.REG7].total_working_days == 40
    assert not foisa.extensions  # no public interest extension in Scotland


def test_reviews_and_subject_access() -> None:
    review = get_regime("foia-review")
    assert review.working_days == 20
    assert review.extensions[ExtensionKind.REVIEW].total_working_days == 40
    assert get_regime("review-window").working_days == 40
    assert get_regime("eir-reconsideration").working_days == 40
    assert get_regime("foisa-review").divisions == frozenset({SCOTLAND})
    sar = get_regime("sar")
    assert sar.calendar_months == 1 and sar.working_days is None
    assert sar.extensions[ExtensionKind.SUBJECT_ACCESS].further_months == 2
    assert sar.limit_words == "1 calendar month"


def test_every_regime_cites_its_source() -> None:
    for code, regime in REGIMES.items():
        assert regime.code == code
        assert regime.citation, code


def test_unknown_regime_names_the_field_and_the_choices() -> None:
    with pytest.raises(UnknownRegimeError, match=r"regime: 'fio' is not one of .*foia.*foisa"):
        get_regime("fio")
    assert get_regime("FOIA") is get_regime("foia")


def test_a_regime_needs_exactly_one_kind_of_limit() -> None:
    with pytest.raises(ValueError, match="exactly one of working_days, calendar_months"):
        Regime("x", "X", "none", ALL_UK, frozenset(), working_days=20, calendar_months=1)


def test_adding_a_regime_is_a_local_change() -> None:
    # Time for Compliance Regulations 2004: archives may take up to 60 working days.
    archives = Regime(
        code="foia-archives",
        title="FOIA, records transferred to an archive",
        citation="SI 2004/3364 reg 4",
        divisions=ALL_UK,
        fixed_days=frozenset({CHRISTMAS_DAY, GOOD_FRIDAY}),
        working_days=60,
    )
    data = packaged_calendar()
    at = datetime.combine(date(2025, 3, 3), time(12), tzinfo=ZoneInfo("Europe/London"))
    calendar = calendar_for(archives, data)
    state = compute_clock(archives, [ClockEvent(ClockEventKind.RECEIVED, at)], calendar, at)
    assert state.due_date == calendar.add_working_days(date(2025, 3, 3), 60)
    assert state.limit_words == "60 working days"
