"""The notification outbox: what is to be sent, once per idempotency key.

Activities only *enqueue* (in the same transaction as whatever else they record); the
dispatcher (``delivery``, with its queries in ``store.delivery``) delivers and marks rows sent. A
retried activity enqueues the same key again, which adds nothing, so nobody is emailed twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from store.db import dialect_insert
from store.models import OutboxRow, utcnow


def enqueue_notification(
    session: Session,
    key: str,
    audience: str,
    subject: str,
    body: str,
    *,
    reference: str | None = None,
    kind: str | None = None,
    facts: dict[str, Any] | None = None,
    not_before: datetime | None = None,
) -> bool:
    """Queue a notification; False (and nothing added) when ``key`` was queued before.

    ``ON CONFLICT DO NOTHING`` rather than check-then-insert: two concurrent retries of the same
    activity cannot both see the key missing and both insert.
    """
    stmt = (
        dialect_insert(session)(OutboxRow.__table__)  # type: ignore[attr-defined]
        .values(
            key=key,
            audience=audience,
            subject=subject,
            body=body,
            created_at=utcnow(),
            attempts=0,
            reference=reference,
            kind=kind,
            facts=facts,
            status="pending",
            not_before=not_before,
        )
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(col(OutboxRow.id))
    )
    return session.execute(stmt).first() is not None


def pending_notifications(session: Session, limit: int = 100) -> list[OutboxRow]:
    """Unsent notifications, oldest first."""
    return list(
        session.scalars(
            select(OutboxRow)
            .where(col(OutboxRow.sent_at).is_(None))
            .order_by(col(OutboxRow.id))
            .limit(limit)
        )
    )


def mark_sent(session: Session, key: str, at: datetime | None = None) -> bool:
    """Record delivery; False when the key is unknown or was already marked sent."""
    result = session.execute(
        update(OutboxRow)
        .where(col(OutboxRow.key) == key, col(OutboxRow.sent_at).is_(None))
        .values(
            sent_at=at or utcnow(),
            attempts=OutboxRow.attempts + 1,
            last_error=None,
            status="sent",
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def mark_failed(session: Session, key: str, error: str) -> bool:
    """Record a failed delivery attempt (the row stays pending for the next try)."""
    result = session.execute(
        update(OutboxRow)
        .where(col(OutboxRow.key) == key, col(OutboxRow.sent_at).is_(None))
        .values(attempts=OutboxRow.attempts + 1, last_error=error)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
