"""The statistics managers owe (``services.statistics``), from a portfolio built in the read
model so every figure is known, on SQLite and PostgreSQL: quarters by the London date of
receipt, timeliness, outcomes in the Cabinet Office's categories, exemptions used once per
request, and internal reviews and complaints to the regulator by their requests' quarter."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine

from services.statistics import (
    PeriodFigures,
    Statistics,
    StatisticsQuery,
    quarter_of,
    resolved_outcomes,
    statistics,
    statistics_csv,
)
from store.db import session_scope

from case_factory import add_statistics_portfolio

H1_2025 = StatisticsQuery.model_validate({"from": "2025-01-01", "to": "2025-06-30"})


@pytest.fixture
async def figures(engine: Engine) -> Statistics:
    with session_scope(engine) as session:
        add_statistics_portfolio(session)
    return await statistics(engine, H1_2025)


def uses(period: PeriodFigures) -> list[tuple[str, str, int]]:
    return [(u.regime, u.citation, u.requests) for u in period.exemptions]


async def test_requests_received_and_resolved_by_quarter(figures: Statistics) -> None:
    q1, q2 = figures.quarters
    assert (q1.period, q1.start, q1.end) == ("2025-Q1", date(2025, 1, 1), date(2025, 3, 31))
    assert (q2.period, q2.start, q2.end) == ("2025-Q2", date(2025, 4, 1), date(2025, 6, 30))
    # 31 Dec 2024 23:59 and 1 Jul 2025 09:00 (London) are outside; 31 Mar 23:30 UTC is
    # 1 Apr in London (Q2), 30 Jun 23:00 in London is still Q2.
    assert (q1.received, q1.resolved, q1.in_progress) == (9, 8, 1)
    assert (q2.received, q2.resolved, q2.in_progress) == (5, 4, 1)
    total = figures.total
    assert (total.received, total.resolved, total.in_progress) == (14, 12, 2)
    assert figures.time_zone == "Europe/London"


async def test_timeliness_of_the_answered_requests(figures: Statistics) -> None:
    q1, q2 = figures.quarters
    assert q1.timeliness.model_dump() == {"in_time": 5, "in_time_with_extension": 1, "late": 1}
    assert q2.timeliness.model_dump() == {"in_time": 2, "in_time_with_extension": 0, "late": 1}
    assert figures.total.timeliness.model_dump() == {
        "in_time": 7,
        "in_time_with_extension": 1,
        "late": 2,
    }


async def test_outcomes_in_the_cabinet_office_categories(figures: Statistics) -> None:
    q1, q2 = figures.quarters
    assert q1.outcomes.model_dump() == {
        "granted_in_full": 1,
        "withheld_in_full": 2,
        "partially_withheld": 1,
        "not_held": 1,
        "refused_cost": 1,
        "refused_vexatious": 1,
        "other": 1,
        "other_detail": {"withdrawn": 1},
    }
    assert q2.outcomes.model_dump() == {
        "granted_in_full": 0,
        "withheld_in_full": 0,
        "partially_withheld": 1,
        "not_held": 0,
        "refused_cost": 0,
        "refused_vexatious": 1,
        "other": 2,
        "other_detail": {"ncnd": 1, "lapsed": 1},
    }
    assert figures.total.outcomes.other_detail == {"withdrawn": 1, "ncnd": 1, "lapsed": 1}


async def test_exemptions_used_once_per_request_in_each_regimes_words(figures: Statistics) -> None:
    q1, q2 = figures.quarters
    # P-A3 claims s31 twice ("31" and "s31"): one request. The s43 claims of a case still in
    # progress and of one refused as vexatious are not exemptions used.
    assert uses(q1) == [
        ("foia", "s40", 2),
        ("eir", "reg 12(5)(a)", 1),
        ("eir", "reg 13", 1),
        ("foia", "s31", 1),
    ]
    assert uses(q2) == [("foia", "s31", 1), ("foisa", "FOISA s35", 1), ("foisa", "FOISA s38", 1)]
    assert uses(figures.total) == [
        ("foia", "s31", 2),
        ("foia", "s40", 2),
        ("eir", "reg 12(5)(a)", 1),
        ("eir", "reg 13", 1),
        ("foisa", "FOISA s35", 1),
        ("foisa", "FOISA s38", 1),
    ]
    assert figures.total.exemptions[0].title == "Law enforcement"


async def test_internal_reviews_and_complaints(figures: Statistics) -> None:
    q1, q2 = figures.quarters
    review_figures = ("requested", "upheld", "partly_upheld", "overturned")
    assert q1.internal_reviews.model_dump(include=set(review_figures)) == {
        "requested": 4,
        "upheld": 2,
        "partly_upheld": 0,
        "overturned": 1,
    }
    assert q2.internal_reviews.model_dump(include=set(review_figures)) == {
        "requested": 1,
        "upheld": 0,
        "partly_upheld": 1,
        "overturned": 0,
    }
    assert (q1.complaints.complaints, q1.complaints.decision_notices) == (2, 1)
    assert (q2.complaints.complaints, q2.complaints.decision_notices) == (1, 0)
    total = figures.total
    assert (total.internal_reviews.requested, total.internal_reviews.overturned) == (5, 1)
    assert (total.complaints.complaints, total.complaints.decision_notices) == (3, 1)
    assert total.internal_reviews.recorded and total.complaints.recorded


async def test_one_regime_and_a_single_quarter(engine: Engine) -> None:
    with session_scope(engine) as session:
        add_statistics_portfolio(session)
    eir = await statistics(
        engine,
        StatisticsQuery.model_validate({"from": "2025-01-01", "to": "2025-06-30", "regime": "eir"}),
    )
    assert [q.received for q in eir.quarters] == [1, 0]
    assert eir.total.outcomes.withheld_in_full == 1
    march = await statistics(
        engine, StatisticsQuery.model_validate({"from": "2025-03-01", "to": "2025-03-31"})
    )
    assert [q.period for q in march.quarters] == ["2025-Q1"]
    assert march.total.received == 3  # P-A7, P-A8, P-A9


async def test_the_dashboards_grouped_counts_are_the_statistics_totals(engine: Engine) -> None:
    """The dashboard counts the quarter's outcomes and exemptions in SQL: the same figures as
    the statistics, which read every request of the period."""
    with session_scope(engine) as session:
        add_statistics_portfolio(session)
    eir = StatisticsQuery.model_validate(
        {"from": "2025-01-01", "to": "2025-06-30", "regime": "eir"}
    )
    march = StatisticsQuery.model_validate({"from": "2025-03-01", "to": "2025-03-31"})
    for query in (H1_2025, eir, march):
        total = (await statistics(engine, query)).total
        assert await resolved_outcomes(engine, query) == (total.outcomes, total.exemptions)
    outcomes, exemptions = await resolved_outcomes(engine, H1_2025)
    assert outcomes.other_detail == {"withdrawn": 1, "ncnd": 1, "lapsed": 1}
    assert [(u.citation, u.requests) for u in exemptions][:2] == [("s31", 2), ("s40", 2)]


async def test_the_csv_has_a_row_per_quarter_and_a_total(figures: Statistics) -> None:
    lines = statistics_csv(figures).splitlines()
    header = lines[0].split(",")
    assert header[:9] == [
        "period",
        "start",
        "end",
        "received",
        "resolved",
        "in_progress",
        "in_time",
        "in_time_with_extension",
        "late",
    ]
    assert header[-6:] == [
        "exemption eir reg 12(5)(a)",
        "exemption eir reg 13",
        "exemption foia s31",
        "exemption foia s40",
        "exemption foisa FOISA s35",
        "exemption foisa FOISA s38",
    ]
    rows = {
        line.split(",")[0]: dict(zip(header, line.split(","), strict=True)) for line in lines[1:]
    }
    assert list(rows) == ["2025-Q1", "2025-Q2", "total"]
    assert rows["total"]["received"] == "14" and rows["total"]["late"] == "2"
    assert rows["2025-Q1"]["exemption foia s40"] == "2"
    assert rows["2025-Q2"]["exemption foia s40"] == "0"
    assert rows["total"]["internal_reviews"] == "5"
    assert rows["2025-Q1"]["reviews_upheld"] == "2"
    assert rows["total"]["complaints_to_regulator"] == "3"
    assert rows["total"]["decision_notices"] == "1"
    assert rows["total"]["internal_reviews_recorded"] == "recorded"


def test_quarters_and_periods() -> None:
    assert quarter_of(date(2025, 12, 31)) == ("2025-Q4", date(2025, 10, 1), date(2025, 12, 31))
    assert quarter_of(date(2024, 2, 29))[0] == "2024-Q1"
    with pytest.raises(ValidationError, match="2025-01-01 is before from"):
        StatisticsQuery.model_validate({"from": "2025-02-01", "to": "2025-01-01"})
    with pytest.raises(ValidationError, match="at most ten years"):
        StatisticsQuery.model_validate({"from": "2000-01-01", "to": "2025-01-01"})
