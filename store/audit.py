"""The audit log: append-only rows, hash-chained per case (or per ``ref-data``), verifiable.

Each row's hash is ``sha256(prev_hash + canonical JSON of its content)``; the first row of a chain
links to :data:`GENESIS`. Editing any row breaks its own hash; deleting or inserting one breaks the
next row's ``prev_hash``; deleting the tail is caught by ``audit_heads``, which records each chain's
last link and is also the row appends lock, so two writers never fork a chain.

Tamper-*evident*, not tamper-proof: someone able to rewrite every later row and the head can forge
a consistent chain. Exporting the heads elsewhere (a later issue) closes that.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from store.db import dialect_insert
from store.models import REF_DATA_KEY, AuditHeadRow, AuditRow, utcnow

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditEntry:
    """One event to log. ``seq`` None: the next in the chain; set: skip it when already logged."""

    at: datetime
    actor: str
    kind: str
    text: str
    seq: int | None = None


@dataclass(frozen=True)
class AuditBreak:
    """The first link that does not verify."""

    chain: str
    seq: int | None  # None: the chain as a whole (e.g. its head is missing)
    problem: str

    def __str__(self) -> str:
        where = f"{self.chain} #{self.seq}" if self.seq is not None else self.chain
        return f"audit chain broken at {where}: {self.problem}"


def _canonical_time(at: datetime) -> str:
    # Microseconds always, UTC always: both engines store microseconds, and the same instant
    # must hash the same whatever offset the caller used.
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def entry_hash(
    prev_hash: str, *, chain: str, seq: int, at: datetime, actor: str, kind: str, text: str
) -> str:
    content = json.dumps(
        [chain, seq, _canonical_time(at), actor, kind, text],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256((prev_hash + content).encode("utf-8")).hexdigest()


def lock_chain(session: Session, chain: str) -> AuditHeadRow:
    """Lock ``chain``'s head until the transaction ends (creating it when new)."""
    # Create the head if missing without racing another creator, then lock it: appends to one
    # chain queue here (PostgreSQL row lock; SQLite writers are already serialized).
    table = AuditHeadRow.__table__  # type: ignore[attr-defined]
    session.execute(
        dialect_insert(session)(table)
        .values(chain=chain, last_seq=0, last_hash=GENESIS)
        .on_conflict_do_nothing(index_elements=["chain"])
    )
    head = session.execute(
        select(AuditHeadRow)
        .where(col(AuditHeadRow.chain) == chain)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    return head


def append_audit(session: Session, chain: str, entries: Iterable[AuditEntry]) -> int:
    """Append ``entries`` to ``chain`` in order; returns how many were new.

    Entries carrying a ``seq`` at or below the chain's last are already logged (a retried or
    reordered projection) and are skipped, which makes appending a timeline idempotent.
    """
    pending = list(entries)
    if not pending:
        return 0
    head = lock_chain(session, chain)
    added = 0
    for entry in sorted(pending, key=lambda e: e.seq if e.seq is not None else 0):
        if entry.seq is not None and entry.seq <= head.last_seq:
            continue
        seq = entry.seq if entry.seq is not None else head.last_seq + 1
        # Rounded to what both engines store, so the hash verifies after the round trip.
        at = entry.at.astimezone(UTC)
        digest = entry_hash(
            head.last_hash,
            chain=chain,
            seq=seq,
            at=at,
            actor=entry.actor,
            kind=entry.kind,
            text=entry.text,
        )
        session.add(
            AuditRow(
                chain=chain,
                seq=seq,
                at=at,
                actor=entry.actor,
                kind=entry.kind,
                text=entry.text,
                prev_hash=head.last_hash,
                hash=digest,
            )
        )
        head.last_seq, head.last_hash = seq, digest
        added += 1
    session.flush()
    return added


def record_ref_change(session: Session, actor: str, kind: str, text: str) -> None:
    """Log a reference-data edit (units, users, rules, settings) on the ``ref-data`` chain."""
    append_audit(
        session, REF_DATA_KEY, [AuditEntry(at=utcnow(), actor=actor, kind=kind, text=text)]
    )


def _rows(session: Session, chain: str) -> Iterator[AuditRow]:
    result = session.execute(
        select(AuditRow)
        .where(col(AuditRow.chain) == chain)
        .order_by(col(AuditRow.seq))
        .execution_options(yield_per=1000)
    )
    for row in result.scalars():
        yield row
        session.expunge(row)  # verifying a long chain must not grow the identity map


def _verify_chain(session: Session, chain: str, head: AuditHeadRow | None) -> AuditBreak | None:
    prev_hash, last_seq = GENESIS, 0
    for row in _rows(session, chain):
        if row.seq <= last_seq:
            return AuditBreak(chain, row.seq, f"sequence goes back (after #{last_seq})")
        if row.prev_hash != prev_hash:
            return AuditBreak(
                chain,
                row.seq,
                "prev_hash does not match the previous row (row removed or inserted)",
            )
        expected = entry_hash(
            row.prev_hash,
            chain=row.chain,
            seq=row.seq,
            at=row.at,
            actor=row.actor,
            kind=row.kind,
            text=row.text,
        )
        if row.hash != expected:
            return AuditBreak(chain, row.seq, "content does not match its hash (row edited)")
        prev_hash, last_seq = row.hash, row.seq
    if head is None:
        if last_seq == 0:
            return None  # nothing logged under this key
        return AuditBreak(chain, None, "no head row for this chain")
    if (head.last_seq, head.last_hash) != (last_seq, prev_hash):
        return AuditBreak(
            chain,
            last_seq or None,
            f"chain ends at #{last_seq} but its head records #{head.last_seq} "
            "(rows removed from the end, or the head edited)",
        )
    return None


def verify_audit(session: Session, reference: str | None = None) -> AuditBreak | None:
    """The first broken link (chains in name order), or None when every chain verifies."""
    heads = {h.chain: h for h in session.execute(select(AuditHeadRow)).scalars()}
    if reference is not None:
        chains = [reference]
    else:
        logged = session.scalars(select(col(AuditRow.chain)).distinct())
        chains = sorted(set(heads) | set(logged))
    for chain in chains:
        broken = _verify_chain(session, chain, heads.get(chain))
        if broken is not None:
            return broken
    return None
