"""Retention: erasing requester details from the store once the authority's period has run.

The period is the authority's (``retention_years`` in its settings: its records retention
schedule), counted from each case's closure. Temporal's copy is not touched here: closed
workflows are deleted by the namespace's retention (``docs/retention.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from services.errors import Rejected
from store.refdata import get_authority
from store.retention import Erasure, erase_expired_cases, years_before

__all__ = ["Erasure", "RetentionReport", "erase_expired"]


@dataclass(frozen=True)
class RetentionReport:
    retention_years: int
    cutoff: datetime  # cases closed at or before this were due
    erased: list[Erasure]
    dry_run: bool

    def lines(self) -> list[str]:
        verb = "would be erased" if self.dry_run else "erased"
        out = [
            f"{len(self.erased)} case(s) closed on or before {self.cutoff:%Y-%m-%d} "
            f"({self.retention_years} year(s) ago): requester details {verb}"
        ]
        out += [
            f"- {e.reference} (closed {e.closed_at:%Y-%m-%d}): {e.summary()}" for e in self.erased
        ]
        if self.dry_run:
            out.append("dry run: nothing was changed")
        return out


def erase_expired(
    engine: Engine, *, actor: str, now: datetime | None = None, dry_run: bool = False
) -> RetentionReport:
    """Erase the requester details of every case closed longer ago than the retention period.

    Each erasure is logged on the case's audit chain (counts only, never the data). With
    ``dry_run`` the same work is done and rolled back, so the report is exactly what would be
    erased.
    """
    moment = now or datetime.now(UTC)
    with Session(engine, expire_on_commit=False) as session, session.begin() as transaction:
        years = get_authority(session).retention_years
        if years is None:
            raise Rejected(
                "no retention period is set, so nothing is ever erased; set the authority's "
                "(e.g. `foiflow store settings set retention_years 3`)",
                "retention_years",
            )
        erased = erase_expired_cases(session, retention_years=years, now=moment, actor=actor)
        if dry_run:
            transaction.rollback()
    return RetentionReport(
        retention_years=years,
        cutoff=years_before(moment, years),
        erased=erased,
        dry_run=dry_run,
    )
