"""Case reference numbers: one counter per (force code, year), never a duplicate, never a gap.

A database sequence would be simpler but leaves gaps (a rolled-back transaction still consumes a
number) and differs between engines. Here one statement does the work on both:
``INSERT … ON CONFLICT (force, year) DO UPDATE SET last = last + 1 RETURNING last``. PostgreSQL
holds the counter's row lock until commit, so concurrent allocators queue behind each other and a
rollback hands the number back; SQLite writers are serialized by ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from sqlmodel import col

from store.audit import record_ref_change
from store.db import dialect_insert, session_scope
from store.models import IntakeRow, ReferenceCounterRow
from store.refdata import get_authority
from store.schema import format_reference


def next_sequence(session: Session, force: str, year: int) -> int:
    """Claim the next number for (force, year) in the caller's transaction."""
    table = ReferenceCounterRow.__table__  # type: ignore[attr-defined]
    insert = dialect_insert(session)(table).values(force=force, year=year, last=1)
    stmt = insert.on_conflict_do_update(
        index_elements=["force", "year"],
        set_={"last": table.c["last"] + 1},
    ).returning(col(ReferenceCounterRow.last))
    return int(session.execute(stmt).scalar_one())


def next_reference(session: Session, year: int) -> str:
    """The next reference in the authority's pattern, in the caller's transaction.

    Use this when the case is recorded in the same transaction (a rollback returns the number);
    :func:`allocate_reference` when the number must be fixed before talking to Temporal.
    """
    authority = get_authority(session)
    seq = next_sequence(session, authority.force_code, year)
    return format_reference(
        authority.reference_pattern, force=authority.force_code, year=year, seq=seq
    )


def allocate_reference(engine: Engine, year: int) -> str:
    """Allocate and commit the next reference for ``year``: ``01.FOI.23.031576`` style."""
    with session_scope(engine) as session:
        return next_reference(session, year)


def set_counter(session: Session, force: str, year: int, last: int, actor: str) -> None:
    """Start numbering after ``last`` (an authority moving to foiflow mid-year keeps its series).

    Never moves a counter backwards: that would hand out references already used.
    """
    row = session.get(ReferenceCounterRow, (force, year), with_for_update=True)
    if row is None:
        session.add(ReferenceCounterRow(force=force, year=year, last=last))
    elif last < row.last:
        raise ValueError(f"counter {force}/{year} is at {row.last}; it cannot go back to {last}")
    else:
        row.last = last
    record_ref_change(session, actor, "counter.set", f"reference counter {force}/{year}: {last}")
    session.flush()


def register_intake(
    session: Session, intake_key: str, reference: str | None, year: int
) -> tuple[str, bool]:
    """The reference for the request with ``intake_key``, and whether it was taken in before.

    A new request gets ``reference`` (when the document gave one) or the next in the authority's
    pattern, in the caller's transaction: a concurrent duplicate fails on the register's key and
    rolls back, counter included, and its caller reads the first one's reference instead.
    """
    known = session.get(IntakeRow, intake_key)
    if known is not None:
        return known.reference, True
    if reference is not None:
        taken = session.execute(
            select(IntakeRow).where(col(IntakeRow.reference) == reference)
        ).scalar_one_or_none()
        if taken is not None:
            return reference, True  # the document names a case already taken in
    else:
        reference = next_reference(session, year)
    session.add(IntakeRow(intake_key=intake_key, reference=reference))
    session.flush()
    return reference, False
