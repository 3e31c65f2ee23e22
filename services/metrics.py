"""What foiflow's own Prometheus metrics report, read from the store when they are scraped.

Cheap by design (a scrape comes every few seconds from every Prometheus): one grouped count on
the read model's ``cases`` table (its status/due-date index serves it) and one on the outbox.
Numbers only, never a case's content.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Engine, case, func, select
from sqlalchemy.exc import NoSuchTableError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session
from sqlmodel import col

from domain.case import CLOSED_STATUSES, CaseStatus
from services.errors import Unavailable
from statute import local_date
from store import refdata
from store.db import session_scope
from store.models import CaseRow, OutboxRow


@dataclass(frozen=True)
class CaseCounts:
    open_by_status: dict[str, int]  # every open status, 0 when no case has it
    overdue: int  # open, and due before the authority's today


@dataclass(frozen=True)
class OutboxCounts:
    backlog: int  # queued, not yet delivered
    failed: int  # given up on (delivery's status), or still pending after a failed try


@dataclass(frozen=True)
class StoreMetrics:
    cases: CaseCounts
    outbox: OutboxCounts


def _case_counts(session: Session, today: date) -> CaseCounts:
    closed = [str(s) for s in CLOSED_STATUSES]
    late = case((col(CaseRow.due_date) < today, 1), else_=0)
    rows = session.execute(
        select(col(CaseRow.status), func.count(), func.coalesce(func.sum(late), 0))
        .where(col(CaseRow.status).not_in(closed))
        .group_by(col(CaseRow.status))
    ).all()
    by_status = {str(s): 0 for s in CaseStatus if s not in CLOSED_STATUSES}
    overdue = 0
    for status, count, late_count in rows:
        by_status[str(status)] = int(count)
        overdue += int(late_count)
    return CaseCounts(open_by_status=by_status, overdue=overdue)


def _outbox_counts(session: Session) -> OutboxCounts:
    status = col(OutboxRow.status)
    backlog, failed = session.execute(
        select(
            func.coalesce(func.sum(case((status == "pending", 1), else_=0)), 0),
            func.coalesce(func.sum(case((status == "failed", 1), else_=0)), 0),
        )
    ).one()
    return OutboxCounts(backlog=int(backlog), failed=int(failed))


def store_metrics(engine: Engine, now: datetime | None = None) -> StoreMetrics:
    """Open cases by status, overdue cases and the outbox's backlog and failures, as of ``now``
    (overdue counts against the authority's local date). Synchronous: a scrape runs it in a
    thread. ``Unavailable`` when the store cannot be read."""
    try:
        with session_scope(engine) as session:
            zone = refdata.get_authority(session).time_zone
            today = local_date(now or datetime.now(UTC), zone)
            return StoreMetrics(cases=_case_counts(session, today), outbox=_outbox_counts(session))
    except (OperationalError, ProgrammingError, NoSuchTableError) as exc:
        shown = engine.url.render_as_string(hide_password=True)
        detail = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise Unavailable(f"cannot read the store at {shown} ({detail})") from None
