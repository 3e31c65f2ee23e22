"""The statistics managers owe, in the categories the Cabinet Office publishes FOI statistics in,
computed from the store's read model.

Like the Cabinet Office's quarterly tables, figures are for the requests *received* in each
quarter (January–March is Q1), as they stand now: how many were received, how many are resolved
(closed: issued, withdrawn or lapsed) and how many are still being processed; of those issued,
how many were answered in time (by the statutory due date), in time with a permitted extension
(s10(3) public interest, EIR reg 7), or late; the outcome of each resolved request; and how many
requests used each exemption or exception (a request counts once for each provision, however
many of its questions claim it). Quarters follow the authority's local calendar.

Internal reviews and complaints to the regulator are counted for the requests received in the
period, from the review stage's read model (``case_reviews``): reviews asked for and their
outcomes (upheld, partly upheld, overturned), complaints to the regulator and decision notices.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from domain.case import CLOSED_STATUSES, CaseStatus
from services.db import in_store
from statute.exemptions import (
    Outcome,
    UnknownExemptionError,
    get_exemption,
)
from store import refdata
from store.models import CaseRow, ExemptionClaimRow, ReviewRow

MAX_SPAN_DAYS = 366 * 10  # ten years of quarters at most in one answer

# The Cabinet Office's outcome categories; everything else a resolved request can end as is
# "other" (with the detail beside it).
OUTCOME_CATEGORIES: tuple[Outcome, ...] = (
    Outcome.GRANTED_IN_FULL,
    Outcome.WITHHELD_IN_FULL,
    Outcome.PARTIALLY_WITHHELD,
    Outcome.NOT_HELD,
    Outcome.REFUSED_COST,
    Outcome.REFUSED_VEXATIOUS,
)
_RESOLVED = frozenset(s.value for s in CLOSED_STATUSES)
_CATEGORIES = frozenset(o.value for o in OUTCOME_CATEGORIES)
_WITHHELD = frozenset(
    o.value for o in (Outcome.WITHHELD_IN_FULL, Outcome.PARTIALLY_WITHHELD, Outcome.NCND)
)


class StatisticsQuery(BaseModel):
    """The period: requests received from ``from`` to ``to``, both included."""

    model_config = ConfigDict(populate_by_name=True)

    received_from: date = Field(alias="from")
    received_to: date = Field(alias="to")
    regime: str | None = Field(default=None, pattern=r"^(foia|eir|foisa)$")

    @field_validator("received_to")
    @classmethod
    def _a_period(cls, to: date, info: ValidationInfo) -> date:
        since = info.data.get("received_from")
        if isinstance(since, date):
            if to < since:
                raise ValueError(f"{to} is before from ({since})")
            if (to - since).days > MAX_SPAN_DAYS:
                raise ValueError("at most ten years of quarters at a time")
        return to


class Timeliness(BaseModel):
    """Of the requests answered (issued): by the statutory due date, by a permitted extension's
    due date, or after it."""

    in_time: int = 0
    in_time_with_extension: int = 0
    late: int = 0


class Outcomes(BaseModel):
    granted_in_full: int = 0
    withheld_in_full: int = 0
    partially_withheld: int = 0
    not_held: int = 0
    refused_cost: int = 0  # s12 (EIR: reg 12(4)(b) on cost)
    refused_vexatious: int = 0  # s14
    other: int = 0  # neither confirm nor deny, withdrawn, lapsed
    other_detail: dict[str, int] = Field(default_factory=dict)


class ExemptionUse(BaseModel):
    regime: str
    section: str  # the catalogue key: "31", "12(5)(a)"
    citation: str  # "s31", "reg 12(5)(a)", "FOISA s35"
    title: str
    requests: int  # resolved requests that used it (once each)


class InternalReviews(BaseModel):
    recorded: bool = True
    note: str = ""
    requested: int = 0
    upheld: int = 0
    partly_upheld: int = 0
    overturned: int = 0


class Complaints(BaseModel):
    recorded: bool = True
    note: str = ""
    complaints: int = 0
    decision_notices: int = 0


class PeriodFigures(BaseModel):
    period: str  # "2025-Q1", or "total"
    start: date
    end: date
    received: int = 0
    resolved: int = 0
    in_progress: int = 0
    timeliness: Timeliness = Field(default_factory=Timeliness)
    outcomes: Outcomes = Field(default_factory=Outcomes)
    exemptions: list[ExemptionUse] = Field(default_factory=list)
    internal_reviews: InternalReviews = Field(default_factory=InternalReviews)
    complaints: Complaints = Field(default_factory=Complaints)


class Statistics(BaseModel):
    received_from: date
    received_to: date
    regime: str | None
    time_zone: str
    quarters: list[PeriodFigures]
    total: PeriodFigures


# --- computing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Case:
    reference: str
    regime: str
    received_on: date
    status: str
    outcome: str | None
    on_time: bool | None
    on_time_with_extensions: bool | None
    review: _Review | None = None


@dataclass(frozen=True)
class _Review:
    """What statistics need of a case's review stage."""

    requested: bool
    outcome: str | None
    complaint: bool
    decision_notice: bool


def quarter_of(day: date) -> tuple[str, date, date]:
    """("2025-Q2", 1 Apr 2025, 30 Jun 2025)."""
    index = (day.month - 1) // 3
    start = date(day.year, index * 3 + 1, 1)
    following = date(day.year + (index == 3), (index * 3 + 3) % 12 + 1, 1)
    return f"{day.year}-Q{index + 1}", start, following - timedelta(days=1)


def _quarters(first: date, last: date) -> list[tuple[str, date, date]]:
    found: list[tuple[str, date, date]] = []
    day = first
    while day <= last:
        quarter = quarter_of(day)
        found.append(quarter)
        day = quarter[2] + timedelta(days=1)
    return found


def _exemption_uses(cases: Sequence[_Case], claims: dict[str, set[str]]) -> list[ExemptionUse]:
    used: Counter[tuple[str, str]] = Counter()
    for case in cases:
        for section in claims.get(case.reference, set()):
            used[(case.regime, section)] += 1
    return _uses(used)


def _uses(used: Counter[tuple[str, str]]) -> list[ExemptionUse]:
    """Requests per (regime, catalogue key) as the catalogue cites them, most used first."""
    uses = []
    for (regime, section), requests in used.items():
        try:
            provision = get_exemption(section, regime)
            citation, title = provision.short, provision.title
        except UnknownExemptionError:
            citation, title = section, "(not in the regime's catalogue)"
        uses.append(
            ExemptionUse(
                regime=regime, section=section, citation=citation, title=title, requests=requests
            )
        )
    # Most used first, then in the catalogue's (natural) order of the citation.
    return sorted(uses, key=lambda u: (-u.requests, u.regime, _natural(u.section)))


def _natural(section: str) -> tuple[int, str]:
    digits = "".join(c for c in section[:3] if c.isdigit())
    return (int(digits) if digits else 0, section)


def _figures(
    period: str, start: date, end: date, cases: Sequence[_Case], claims: dict[str, set[str]]
) -> PeriodFigures:
    figures = PeriodFigures(period=period, start=start, end=end, received=len(cases))
    resolved = [c for c in cases if c.status in _RESOLVED]
    figures.resolved = len(resolved)
    figures.in_progress = len(cases) - len(resolved)
    for case in resolved:
        if case.status == CaseStatus.ISSUED.value:
            if case.on_time:
                figures.timeliness.in_time += 1
            elif case.on_time_with_extensions:
                figures.timeliness.in_time_with_extension += 1
            else:
                figures.timeliness.late += 1
    figures.outcomes = _outcomes((c.status, c.outcome, 1) for c in resolved)
    # Claims count where the response withheld on them (a request later refused as vexatious
    # may still carry its units' claims).
    withheld = [c for c in resolved if c.outcome in _WITHHELD]
    figures.exemptions = _exemption_uses(withheld, claims)
    _review_figures(figures, cases)
    return figures


def _outcomes(counts: Iterable[tuple[str, str | None, int]]) -> Outcomes:
    """Resolved requests in the Cabinet Office's categories, from (status, outcome, how many)."""
    outcomes = Outcomes()
    for status, outcome, n in counts:
        name = outcome or status
        if name in _CATEGORIES:
            setattr(outcomes, name, getattr(outcomes, name) + n)
        else:
            outcomes.other += n
            outcomes.other_detail[name] = outcomes.other_detail.get(name, 0) + n
    return outcomes


def _review_figures(figures: PeriodFigures, cases: Sequence[_Case]) -> None:
    reviews, complaints = figures.internal_reviews, figures.complaints
    for case in cases:
        review = case.review
        if review is None:
            continue
        reviews.requested += review.requested
        if review.outcome is not None:
            setattr(reviews, review.outcome, getattr(reviews, review.outcome) + 1)
        complaints.complaints += review.complaint
        complaints.decision_notices += review.decision_notice


def compute_statistics(
    cases: Iterable[_Case],
    claims: dict[str, set[str]],
    query: StatisticsQuery,
    time_zone: str,
) -> Statistics:
    chosen = [
        c
        for c in cases
        if query.received_from <= c.received_on <= query.received_to
        and (query.regime is None or c.regime == query.regime)
    ]
    quarters = []
    for label, start, end in _quarters(query.received_from, query.received_to):
        inside = [c for c in chosen if start <= c.received_on <= end]
        quarters.append(_figures(label, start, end, inside, claims))
    total = _figures("total", query.received_from, query.received_to, chosen, claims)
    return Statistics(
        received_from=query.received_from,
        received_to=query.received_to,
        regime=query.regime,
        time_zone=time_zone,
        quarters=quarters,
        total=total,
    )


def _period(query: StatisticsQuery, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The period's local days as UTC instants: a request received at 00:30 BST on 1 April is
    a Q2 request though it is 23:30 UTC on 31 March."""
    since = datetime.combine(query.received_from, time(0), tzinfo=zone)
    until = datetime.combine(query.received_to + timedelta(days=1), time(0), tzinfo=zone)
    return since.astimezone(UTC), until.astimezone(UTC)


def _read(session: Session, query: StatisticsQuery) -> Statistics:
    zone_name = refdata.get_authority(session).time_zone
    zone = ZoneInfo(zone_name)
    since, until = _period(query, zone)
    # The columns the figures need, not whole rows: a quarter can hold thousands of cases.
    rows = session.execute(
        select(
            col(CaseRow.reference),
            col(CaseRow.regime),
            col(CaseRow.received_at),
            col(CaseRow.status),
            col(CaseRow.outcome),
            col(CaseRow.on_time),
            col(CaseRow.on_time_with_extensions),
        ).where(col(CaseRow.received_at) >= since, col(CaseRow.received_at) < until)
    ).all()
    reviews: dict[str, _Review] = {}
    for chunk in _chunks(sorted(row.reference for row in rows), 500):
        for review in session.scalars(select(ReviewRow).where(col(ReviewRow.reference).in_(chunk))):
            reviews[review.reference] = _Review(
                requested=review.requested_on is not None,
                outcome=review.outcome,
                complaint=review.complaint_received_on is not None,
                decision_notice=review.decision_notice_on is not None,
            )
    cases = [
        _Case(
            reference=reference,
            regime=regime,
            received_on=received_at.astimezone(zone).date(),
            status=status,
            outcome=outcome,
            on_time=on_time,
            on_time_with_extensions=with_extensions,
            review=reviews.get(reference),
        )
        for reference, regime, received_at, status, outcome, on_time, with_extensions in rows
    ]
    claims: dict[str, set[str]] = {}
    regimes = {c.reference: c.regime for c in cases if c.outcome in _WITHHELD}
    for chunk in _chunks(sorted(regimes), 500):
        found = session.execute(
            select(col(ExemptionClaimRow.reference), col(ExemptionClaimRow.section)).where(
                col(ExemptionClaimRow.reference).in_(chunk)
            )
        )
        for reference, section in found:
            claims.setdefault(reference, set()).add(_key(section, regimes[reference]))
    return compute_statistics(cases, claims, query, zone_name)


def _key(section: str, regime: str) -> str:
    """The catalogue's key however the claim spelt it ("s31", "reg 13"), so a request counts
    once per provision."""
    try:
        return get_exemption(section, regime).section
    except UnknownExemptionError:
        return section


def _chunks(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


async def statistics(engine: Engine, query: StatisticsQuery) -> Statistics:
    """The figures for ``query``'s period from the read model (no Temporal needed)."""
    return await in_store(engine, lambda session: _read(session, query))


def _resolved(session: Session, query: StatisticsQuery) -> tuple[Outcomes, list[ExemptionUse]]:
    since, until = _period(query, ZoneInfo(refdata.get_authority(session).time_zone))
    received = [
        col(CaseRow.received_at) >= since,
        col(CaseRow.received_at) < until,
        col(CaseRow.status).in_(_RESOLVED),
    ]
    if query.regime is not None:
        received.append(col(CaseRow.regime) == query.regime)
    counts = session.execute(
        select(col(CaseRow.status), col(CaseRow.outcome), func.count())
        .where(*received)
        .group_by(col(CaseRow.status), col(CaseRow.outcome))
        # The order _figures meets them in does not matter to the counts, only to the order
        # of other_detail's keys: sorted, so an answer does not depend on the plan.
        .order_by(col(CaseRow.status), col(CaseRow.outcome))
    ).all()
    claimed = session.execute(
        select(col(CaseRow.regime), col(ExemptionClaimRow.section), col(CaseRow.reference))
        .join(ExemptionClaimRow, col(ExemptionClaimRow.reference) == col(CaseRow.reference))
        .where(*received, col(CaseRow.outcome).in_(_WITHHELD))
        .distinct()
    ).all()
    keys: dict[tuple[str, str], str] = {}
    per_request: set[tuple[str, str, str]] = set()
    for regime, section, reference in claimed:
        key = keys.get((section, regime))
        if key is None:
            key = keys[(section, regime)] = _key(section, regime)
        per_request.add((regime, key, reference))
    used = Counter((regime, key) for regime, key, _ in per_request)
    return _outcomes((s, o, int(n)) for s, o, n in counts), _uses(used)


async def resolved_outcomes(
    engine: Engine, query: StatisticsQuery
) -> tuple[Outcomes, list[ExemptionUse]]:
    """``statistics(engine, query).total``'s outcomes and exemptions, counted by the database
    (grouped, not a row per request): what the dashboard shows for the quarter."""
    return await in_store(engine, lambda session: _resolved(session, query))


# --- as CSV ------------------------------------------------------------------------------------

OUTCOME_COLUMNS = [o.value for o in OUTCOME_CATEGORIES] + ["other"]


def statistics_csv(stats: Statistics) -> str:
    """One row per quarter and a total row; each exemption used in the period is a column
    ("exemption foia s31"). Internal reviews and complaints are 0 while foiflow does not record
    them, with a column saying so beside them."""
    periods = [*stats.quarters, stats.total]
    citations = {(u.regime, u.section): u.citation for p in periods for u in p.exemptions}
    provisions = sorted(citations, key=lambda k: (k[0], _natural(k[1])))
    header = [
        "period",
        "start",
        "end",
        "received",
        "resolved",
        "in_progress",
        "in_time",
        "in_time_with_extension",
        "late",
        *OUTCOME_COLUMNS,
        "internal_reviews",
        "reviews_upheld",
        "reviews_partly_upheld",
        "reviews_overturned",
        "internal_reviews_recorded",
        "complaints_to_regulator",
        "complaints_recorded",
        "decision_notices",
        *(f"exemption {regime} {citations[regime, section]}" for regime, section in provisions),
    ]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for p in periods:
        uses = {(u.regime, u.section): u.requests for u in p.exemptions}
        reviews, complaints = p.internal_reviews, p.complaints
        writer.writerow(
            [
                p.period,
                p.start.isoformat(),
                p.end.isoformat(),
                p.received,
                p.resolved,
                p.in_progress,
                p.timeliness.in_time,
                p.timeliness.in_time_with_extension,
                p.timeliness.late,
                *(getattr(p.outcomes, c) for c in OUTCOME_COLUMNS),
                reviews.requested,
                reviews.upheld,
                reviews.partly_upheld,
                reviews.overturned,
                "recorded" if reviews.recorded else "not yet recorded",
                complaints.complaints,
                "recorded" if complaints.recorded else "not yet recorded",
                complaints.decision_notices,
                *(uses.get(k, 0) for k in provisions),
            ]
        )
    return out.getvalue()
