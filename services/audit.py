"""Verifying the audit log: the store's own checks, then every case Temporal knows has a chain.

The store checks each chain against its rows, head and keyed record in the chain of heads
(``store.audit``). What the store cannot see is a case deleted from it entirely before its
chain was ever recorded, or a store restored from an old backup: Temporal's visibility lists
every case it holds, and each must have an audit chain here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from sqlmodel import col
from temporalio.client import Client
from temporalio.service import RPCError

from services.errors import Rejected, Unavailable
from services.temporal import WORKFLOW_TYPE
from settings import Settings
from store.audit import AuditCheck, AuditKeyError, audit_chains, check_audit
from store.audit_keys import configure_audit
from store.models import CaseRow

__all__ = [
    "AuditKeyError",
    "AuditReport",
    "CaseWithoutChain",
    "configure_audit_keys",
    "known_cases",
    "verify_audit_log",
]

# A case started this recently may not have been projected yet (its first projection is an
# activity after the first workflow task): not judged, only counted.
DEFAULT_GRACE = timedelta(minutes=2)


def configure_audit_keys(settings: Settings | Callable[[], Settings]) -> None:
    """Sign and verify the audit log with the keys of ``settings`` in this process."""
    configure_audit(settings)


@dataclass(frozen=True)
class CaseWithoutChain:
    reference: str
    started_at: datetime | None
    in_read_model: bool

    def __str__(self) -> str:
        where = (
            "its read-model row is there, its audit chain is not (chain deleted)"
            if self.in_read_model
            else "neither its read-model row nor its audit chain is in the store "
            "(deleted, or never projected: is the worker running on this store?)"
        )
        started = f"started {self.started_at:%Y-%m-%d %H:%M}Z; " if self.started_at else ""
        return f"{self.reference}: known to Temporal, no audit chain ({started}{where})"


@dataclass(frozen=True)
class AuditReport:
    check: AuditCheck
    temporal_checked: bool
    cases_in_temporal: int = 0
    without_chain: tuple[CaseWithoutChain, ...] = ()
    too_new: tuple[str, ...] = field(default=())

    @property
    def intact(self) -> bool:
        return self.check.intact and not self.without_chain

    def problems(self) -> list[str]:
        """What does not verify, first break first."""
        broken = [] if self.check.broken is None else [str(self.check.broken)]
        return broken + [str(c) for c in self.without_chain]

    def lines(self) -> list[str]:
        """What was verified (for an intact log)."""
        check = self.check
        out = [f"audit log intact: {check.entries} entries verified"]
        out.append(
            f"chain of heads at #{check.heads_seq} {check.heads_hash[:16]} "
            "(note it elsewhere: a later check can then tell it was not cut back)"
        )
        if self.temporal_checked:
            out.append(
                f"{self.cases_in_temporal} case(s) in Temporal checked for an audit chain"
                + (f"; {len(self.too_new)} started too recently to judge" if self.too_new else "")
            )
        else:
            out.append("cases in Temporal not checked (--store-only)")
        return out


async def known_cases(client: Client, reference: str | None = None) -> dict[str, datetime | None]:
    """Every case Temporal's visibility lists (one per workflow id), with its start time."""
    query = f"WorkflowType='{WORKFLOW_TYPE}'"
    if reference is not None:
        if "'" in reference or "\\" in reference:
            raise Rejected("not a case reference", "reference")
        query += f" AND WorkflowId='{reference}'"
    cases: dict[str, datetime | None] = {}
    try:
        async for wf in client.list_workflows(query):
            # Continue-as-new lists a case once per run: the earliest is when it started.
            earlier = cases.get(wf.id)
            if wf.id not in cases or (earlier is not None and wf.start_time < earlier):
                cases[wf.id] = wf.start_time
    except RPCError as exc:
        raise Unavailable(
            f"cannot list cases in Temporal ({exc.message})", "FOIFLOW_TEMPORAL_ADDRESS"
        ) from None
    return cases


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Session]:
    """One consistent view of the log: appends committing meanwhile must not look like breaks."""
    with Session(engine) as session, session.begin():
        if engine.dialect.name == "postgresql":
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        # SQLite: the store's transactions take the write lock at BEGIN, so nothing commits
        # while this one reads.
        yield session


def _store_side(
    engine: Engine, reference: str | None, suspects: list[str]
) -> tuple[AuditCheck, set[str], set[str]]:
    with _snapshot(engine) as session:
        check = check_audit(session, reference)
        chains = audit_chains(session) if reference is None else set(check.chains)
        missing = [r for r in suspects if r not in chains]
        rows = (
            set(
                session.scalars(
                    select(col(CaseRow.reference)).where(col(CaseRow.reference).in_(missing))
                )
            )
            if missing
            else set()
        )
    return check, chains, rows


async def verify_audit_log(
    engine: Engine,
    client: Client | None,
    *,
    reference: str | None = None,
    grace: timedelta = DEFAULT_GRACE,
    now: datetime | None = None,
) -> AuditReport:
    """Verify the store's chains; with ``client``, also that every case Temporal knows has one.

    ``AuditKeyError`` when this process has no audit key; ``Unavailable`` when Temporal cannot
    be listed.
    """
    known: dict[str, datetime | None] = {}
    if client is not None:
        known = await known_cases(client, reference)  # first: a case listed is older than the log
    moment = now or datetime.now(UTC)
    too_new = sorted(r for r, at in known.items() if at is not None and moment - at < grace)
    judged = [r for r in known if r not in too_new]
    check, chains, in_read_model = await asyncio.to_thread(_store_side, engine, reference, judged)
    without = tuple(
        CaseWithoutChain(r, known[r], r in in_read_model) for r in sorted(judged) if r not in chains
    )
    return AuditReport(
        check=check,
        temporal_checked=client is not None,
        cases_in_temporal=len(known),
        without_chain=without,
        too_new=tuple(too_new),
    )
