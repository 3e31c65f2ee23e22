"""The manager's dashboard: where the open cases stand, what will breach soon, each unit's
backlog, how often responses went out in time, and what failed to reach people — read from the
store's read model only (no Temporal), aggregated in SQL so it stays fast with 100,000 cases.

RAG by working days left, counted on each case's own calendar (its regime on the calendar
version it counts on), as ``services.cases`` counts them for "my" lists:

- **red**: overdue, or at most ``RED_WITHIN`` working days left;
- **amber**: at most ``AMBER_WITHIN`` working days left;
- **green**: more than that.

Open cases whose clock is stopped (awaiting clarification or a fee: no due date) are counted
apart. The database groups open cases by status, regime, calendar version and due date (a few
hundred groups however many cases); only those groups are classified here.

Outcomes and exemptions used this quarter are ``services.statistics``' figures for the requests
received this quarter, as they stand now, counted grouped by the database
(``statistics.resolved_outcomes``) rather than from a row per request.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, computed_field
from sqlalchemy import Engine, case, func, literal, select
from sqlalchemy.orm import Session
from sqlmodel import col

from domain.case import CLOSED_STATUSES, CaseStatus, TaskStatus
from services import statistics as statistics_service
from services.db import calendar_versions, in_store
from services.statistics import ExemptionUse, Outcomes, StatisticsQuery, quarter_of
from statute import calendar_for, get_regime, local_date
from statute.calendar import CalendarData, CalendarError, WorkingDayCalendar
from statute.regimes import UnknownRegimeError
from store import refdata
from store.models import CaseRow, OutboxRow, TaskRow, UnitRow

RED_WITHIN = 2  # working days left, or overdue
AMBER_WITHIN = 5
BREACH_WITHIN = 5  # "will breach within five working days": due within this many, not overdue
MONTHS = 12
RAG = ("red", "amber", "green")
OPEN_STATUSES = tuple(s for s in CaseStatus if s not in CLOSED_STATUSES)
# Open statuses named, not "not closed": the database then seeks each in the status index.
_OPEN = [str(s) for s in OPEN_STATUSES]
_WAITING_TASK = [str(TaskStatus.OPEN), str(TaskStatus.RETURNED)]


class StatusRag(BaseModel):
    """Open cases in one status by RAG; ``due_before`` days for the case list's filters."""

    status: CaseStatus | None = None  # None: all open cases
    red: int = 0
    amber: int = 0
    green: int = 0
    clock_stopped: int = 0  # no due date while the clock is stopped
    overdue: int = 0  # of the red ones: past their due date
    breaching: int = 0  # due within BREACH_WITHIN working days, not yet overdue

    @computed_field  # type: ignore[prop-decorator]
    @property
    def total(self) -> int:
        return self.red + self.amber + self.green + self.clock_stopped


class UnitBacklog(BaseModel):
    unit: str
    name: str
    open_tasks: int  # open or returned, on open cases
    overdue_tasks: int  # of those, past the unit's internal due date
    cases: int  # open cases with such a task


class MonthOnTime(BaseModel):
    month: str  # "2025-06"
    start: date
    issued: int = 0
    in_time: int = 0  # by the statutory due date
    in_time_with_extension: int = 0  # by a permitted extension's due date

    @computed_field  # type: ignore[prop-decorator]
    @property
    def late(self) -> int:
        return self.issued - self.in_time - self.in_time_with_extension

    @computed_field  # type: ignore[prop-decorator]
    @property
    def rate(self) -> float | None:
        """Share answered in time (a permitted extension counts as in time); None: none issued."""
        if not self.issued:
            return None
        return (self.in_time + self.in_time_with_extension) / self.issued


class Thresholds(BaseModel):
    """Days bounding the bands for cases on the usual calendar: red is due before ``red_before``,
    amber before ``amber_before``; ``None`` when the open cases' calendars disagree (the bands
    are still exact; only the list links cannot be one date)."""

    red_before: date | None
    amber_before: date | None


class Dashboard(BaseModel):
    as_of: date
    time_zone: str
    red_within: int = RED_WITHIN
    amber_within: int = AMBER_WITHIN
    breach_within: int = BREACH_WITHIN
    thresholds: Thresholds
    by_status: list[StatusRag]
    totals: StatusRag
    units: list[UnitBacklog]
    on_time: list[MonthOnTime]  # oldest first, the last MONTHS months including this one
    quarter: str  # "2025-Q2"
    quarter_start: date
    outcomes: Outcomes
    exemptions: list[ExemptionUse]
    delivery_failures: int
    uncounted: int = Field(
        default=0, description="open cases whose calendar could not count the days left"
    )


# --- working days ----------------------------------------------------------------------------

CalendarKey = tuple[str, int | None]


def _load_calendars(
    engine: Engine, keys: Iterable[CalendarKey]
) -> dict[CalendarKey, WorkingDayCalendar | None]:
    """Each (regime, calendar version)'s working-day calendar; None where it cannot be built."""
    repository = calendar_versions(engine)
    wanted = set(keys)
    data: dict[int | None, CalendarData | None] = {}
    for version in {v for _, v in wanted}:
        try:
            data[version] = repository.latest() if version is None else repository.get(version)
        except CalendarError:
            data[version] = None
    built: dict[CalendarKey, WorkingDayCalendar | None] = {}
    for regime_code, version in wanted:
        found = data.get(version)
        try:
            regime = get_regime(regime_code)
        except UnknownRegimeError:
            regime = None
        built[(regime_code, version)] = (
            None if found is None or regime is None else calendar_for(regime, found)
        )
    return built


def working_days_left(calendar: WorkingDayCalendar, today: date, due: date) -> int:
    """Working days from ``today`` to ``due`` (0 on the day, negative once passed) — the
    count ``services.cases`` shows on lists."""
    if due >= today:
        return calendar.count_working_days(today, due)
    return -calendar.count_working_days(due, today)


def band(days_left: int) -> str:
    if days_left <= RED_WITHIN:
        return "red"
    return "amber" if days_left <= AMBER_WITHIN else "green"


def _thresholds(calendar: WorkingDayCalendar, today: date) -> tuple[date, date]:
    """The first due dates that are no longer red, and no longer amber."""
    return (
        calendar.add_working_days(today, RED_WITHIN + 1),
        calendar.add_working_days(today, AMBER_WITHIN + 1),
    )


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Read:
    today: date
    zone: str
    groups: list[tuple[str, str, int | None, date | None, int]]
    units: list[UnitBacklog]
    months: list[MonthOnTime]
    failures: int


def _months(today: date) -> list[date]:
    first = date(today.year, today.month, 1)
    starts = [first]
    for _ in range(MONTHS - 1):
        previous = starts[-1] - timedelta(days=1)
        starts.append(date(previous.year, previous.month, 1))
    return list(reversed(starts))


def _next_month(start: date) -> date:
    return date(start.year + (start.month == 12), start.month % 12 + 1, 1)


def _read(session: Session, as_of: date | None) -> _Read:
    zone_name = refdata.get_authority(session).time_zone
    zone = ZoneInfo(zone_name)
    today = as_of or local_date(datetime.now(UTC), zone_name)

    # Open cases, grouped: a row per (status, regime, calendar, due date), not per case.
    groups = [
        (str(status), str(regime), version, due, int(n))
        for status, regime, version, due, n in session.execute(
            select(
                col(CaseRow.status),
                col(CaseRow.regime),
                col(CaseRow.calendar_version),
                col(CaseRow.due_date),
                func.count(),
            )
            .where(col(CaseRow.status).in_(_OPEN))
            .group_by(
                col(CaseRow.status),
                col(CaseRow.regime),
                col(CaseRow.calendar_version),
                col(CaseRow.due_date),
            )
        )
    ]

    # Each unit's open tasks on open cases, and those past the unit's internal due date.
    late = case((col(TaskRow.internal_due) < today, 1), else_=0)
    unit_rows = session.execute(
        select(
            col(TaskRow.unit),
            func.count(),
            func.sum(late),
            func.count(func.distinct(col(TaskRow.reference))),
        )
        .join(CaseRow, col(CaseRow.reference) == col(TaskRow.reference))
        .where(col(TaskRow.status).in_(_WAITING_TASK), col(CaseRow.status).in_(_OPEN))
        .group_by(col(TaskRow.unit))
    ).all()
    names = {str(u): str(n) for u, n in session.execute(select(col(UnitRow.id), col(UnitRow.name)))}
    units = sorted(
        (
            UnitBacklog(
                unit=unit,
                name=names.get(unit, unit),
                open_tasks=int(n),
                overdue_tasks=int(overdue or 0),
                cases=int(cases),
            )
            for unit, n, overdue, cases in unit_rows
        ),
        key=lambda u: (-u.overdue_tasks, -u.open_tasks, u.name),
    )

    # Issued cases by local month of issue: month boundaries as UTC instants, one bucket each.
    starts = _months(today)
    bounds = [
        datetime.combine(s, time(0), tzinfo=zone).astimezone(UTC)
        for s in [*starts, _next_month(starts[-1])]
    ]
    bucket = case(
        *((col(CaseRow.issued_at) < bounds[i + 1], literal(i)) for i in range(len(starts))),
        else_=literal(-1),
    )
    # Grouped in an outer query: PostgreSQL cannot match a CASE with bound parameters in the
    # select list to the "same" CASE in GROUP BY.
    issued = (
        select(
            bucket.label("month"),
            case((col(CaseRow.on_time).is_(True), 1), else_=0).label("in_time"),
            case(
                (
                    col(CaseRow.on_time).is_not(True)
                    & col(CaseRow.on_time_with_extensions).is_(True),
                    1,
                ),
                else_=0,
            ).label("extended"),
        )
        .where(
            col(CaseRow.status) == str(CaseStatus.ISSUED),
            col(CaseRow.issued_at) >= bounds[0],
            col(CaseRow.issued_at) < bounds[-1],
        )
        .subquery()
    )
    month_rows = session.execute(
        select(
            issued.c.month, func.count(), func.sum(issued.c.in_time), func.sum(issued.c.extended)
        ).group_by(issued.c.month)
    ).all()
    months = [MonthOnTime(month=f"{s:%Y-%m}", start=s) for s in starts]
    for index, issued, in_time, extended in month_rows:
        if 0 <= index < len(months):
            month = months[index]
            month.issued, month.in_time = int(issued), int(in_time or 0)
            month.in_time_with_extension = int(extended or 0)

    failures = session.execute(
        select(func.count()).select_from(OutboxRow).where(col(OutboxRow.status) == "failed")
    ).scalar_one()
    return _Read(today, zone_name, groups, units, months, int(failures))


def _classify(
    read: _Read, calendars: dict[CalendarKey, WorkingDayCalendar | None]
) -> tuple[list[StatusRag], StatusRag, Thresholds, int]:
    by_status = {s: StatusRag(status=s) for s in OPEN_STATUSES}
    uncounted = 0
    for status, regime, version, due, n in read.groups:
        try:
            figures = by_status[CaseStatus(status)]
        except (ValueError, KeyError):
            continue
        if due is None:
            figures.clock_stopped += n
            continue
        calendar = calendars.get((regime, version))
        try:
            if calendar is None:
                raise CalendarError("no calendar")
            left = working_days_left(calendar, read.today, due)
        except CalendarError:
            # The calendar cannot count these days: an overdue case is still red.
            uncounted += n
            left = -1 if due < read.today else AMBER_WITHIN + 1
        setattr(figures, band(left), getattr(figures, band(left)) + n)
        if left < 0:
            figures.overdue += n
        elif left <= BREACH_WITHIN:
            figures.breaching += n
    shown = [f for f in by_status.values() if f.total]
    totals = StatusRag()
    for f in shown:
        for field in ("red", "amber", "green", "clock_stopped", "overdue", "breaching"):
            setattr(totals, field, getattr(totals, field) + getattr(f, field))
    bounds: set[tuple[date, date]] = set()
    for calendar in calendars.values():
        if calendar is not None:
            with contextlib.suppress(CalendarError):
                bounds.add(_thresholds(calendar, read.today))
    red_before, amber_before = bounds.pop() if len(bounds) == 1 else (None, None)
    return shown, totals, Thresholds(red_before=red_before, amber_before=amber_before), uncounted


async def dashboard(engine: Engine, as_of: date | None = None) -> Dashboard:
    """The dashboard's figures on ``as_of`` (default: today in the authority's time zone)."""
    read = await in_store(engine, lambda session: _read(session, as_of))
    keys = {(regime, version) for _, regime, version, due, _ in read.groups if due is not None}
    calendars = await asyncio.to_thread(_load_calendars, engine, keys)
    by_status, totals, thresholds, uncounted = _classify(read, calendars)
    quarter, quarter_start, _ = quarter_of(read.today)
    outcomes, exemptions = await statistics_service.resolved_outcomes(
        engine, StatisticsQuery.model_validate({"from": quarter_start, "to": read.today})
    )
    return Dashboard(
        as_of=read.today,
        time_zone=read.zone,
        thresholds=thresholds,
        by_status=by_status,
        totals=totals,
        units=read.units,
        on_time=read.months,
        quarter=quarter,
        quarter_start=quarter_start,
        outcomes=outcomes,
        exemptions=exemptions,
        delivery_failures=read.failures,
        uncounted=uncounted,
    )


# --- as CSV ------------------------------------------------------------------------------------

CSV_HEADER = ("section", "item", "count", "of")


def dashboard_csv(figures: Dashboard) -> str:
    """One figure per row: ``section,item,count,of`` (``of``: the whole the count is part of,
    where there is one: a month's issued responses, a unit's open tasks)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    writer.writerow(("as_of", figures.as_of.isoformat(), "", ""))
    for rag in RAG:
        writer.writerow(("open_cases", rag, getattr(figures.totals, rag), figures.totals.total))
    writer.writerow(
        ("open_cases", "clock_stopped", figures.totals.clock_stopped, figures.totals.total)
    )
    writer.writerow(("open_cases", "overdue", figures.totals.overdue, figures.totals.total))
    for s in figures.by_status:
        for item in (*RAG, "clock_stopped"):
            writer.writerow((f"open_cases:{s.status}", item, getattr(s, item), s.total))
    writer.writerow(
        (f"breaching_within_{figures.breach_within}_wd", "all", figures.totals.breaching, "")
    )
    for u in figures.units:
        writer.writerow(("unit_open_tasks", u.unit, u.open_tasks, ""))
        writer.writerow(("unit_overdue_tasks", u.unit, u.overdue_tasks, u.open_tasks))
    for m in figures.on_time:
        writer.writerow(("on_time", m.month, m.in_time + m.in_time_with_extension, m.issued))
    for name, count in figures.outcomes.model_dump(exclude={"other_detail"}).items():
        writer.writerow((f"outcomes:{figures.quarter}", name, count, ""))
    for use in figures.exemptions:
        writer.writerow(
            (f"exemptions:{figures.quarter}", f"{use.regime} {use.citation}", use.requests, "")
        )
    writer.writerow(("delivery_failures", "all", figures.delivery_failures, ""))
    return out.getvalue()
