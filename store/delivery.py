"""The store's side of delivery: claiming outbox rows, per-recipient delivery rows, the SQLite
dispatcher lease, channel routes and digest preferences (reference data), and the listings.

Claims are safe with several dispatchers at once: on PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets
each take rows the others are not taking, and a claim is a lease (``claimed_until``) so a
dispatcher that dies leaves its rows to the next after the lease runs out. SQLite has no row
locks (its writers queue on one database lock), and one dispatcher runs at a time there: it holds
the ``dispatcher_leases`` row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, or_, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from store.audit import record_ref_change
from store.db import dialect_insert
from store.models import (
    DeliveryPreferenceRow,
    DeliveryRouteRow,
    DeliveryRow,
    DispatcherLeaseRow,
    OutboxRow,
    UserRow,
)

CHANNELS = ("email", "webhook", "notify")
# Where a delivery stands; the first three still have work to do.
SENDING, RETRY, NEW = "sending", "retry", "new"
SENT, HELD, DIGESTED = "sent", "held", "digested"
FAILED, UNCONFIRMED = "failed", "unconfirmed"
DONE = frozenset({SENT, HELD, DIGESTED, FAILED, UNCONFIRMED})
FAILURES = frozenset({FAILED, UNCONFIRMED})


class DeliveryConfigError(ValueError):
    """A channel route or preference that cannot work; the message says which field and why."""


def _table(model: type[Any]) -> Table:
    table: Table = model.__table__
    return table


# --- The SQLite lease ------------------------------------------------------------------------


def acquire_lease(session: Session, name: str, holder: str, now: datetime, until: datetime) -> bool:
    """Take or renew lease ``name`` for ``holder`` until ``until``; False while another holds it."""
    table = _table(DispatcherLeaseRow)
    stmt = dialect_insert(session)(table).values(name=name, holder=holder, expires_at=until)
    stmt = stmt.on_conflict_do_update(
        index_elements=["name"],
        set_={"holder": holder, "expires_at": until},
        where=or_(table.c.holder == holder, table.c.expires_at < now),
    ).returning(table.c.name)
    return session.execute(stmt).first() is not None


def release_lease(session: Session, name: str, holder: str) -> None:
    """Let the next dispatcher take over at once (a clean stop)."""
    session.execute(
        delete(DispatcherLeaseRow).where(
            col(DispatcherLeaseRow.name) == name, col(DispatcherLeaseRow.holder) == holder
        )
    )


# --- Claiming outbox rows --------------------------------------------------------------------


def claim_outbox(
    session: Session, holder: str, now: datetime, until: datetime, limit: int
) -> list[OutboxRow]:
    """Pending rows whose time has come and that nobody holds, claimed for ``holder``."""
    rows = list(
        session.scalars(
            select(OutboxRow)
            .where(
                col(OutboxRow.status) == "pending",
                or_(col(OutboxRow.not_before).is_(None), col(OutboxRow.not_before) <= now),
                or_(col(OutboxRow.claimed_until).is_(None), col(OutboxRow.claimed_until) < now),
            )
            .order_by(col(OutboxRow.id))
            .limit(limit)
            # PostgreSQL: rows another dispatcher is claiming are skipped, not waited for.
            # SQLite renders no FOR UPDATE; its writers are serialized anyway.
            .with_for_update(skip_locked=True)
        )
    )
    for row in rows:
        row.claimed_by = holder
        row.claimed_until = until
    session.flush()
    return rows


def release_outbox(session: Session, outbox_id: int, holder: str, **values: Any) -> bool:
    """Give up the claim, writing ``values`` (status, not_before…); False if the claim was lost
    (another dispatcher took the row after this one's lease ran out)."""
    result = session.execute(
        update(OutboxRow)
        .where(col(OutboxRow.id) == outbox_id, col(OutboxRow.claimed_by) == holder)
        .values(claimed_by=None, claimed_until=None, **values)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


# --- Deliveries ------------------------------------------------------------------------------


def deliveries_of(session: Session, outbox_id: int) -> list[DeliveryRow]:
    return list(
        session.scalars(
            select(DeliveryRow)
            .where(col(DeliveryRow.outbox_id) == outbox_id)
            .order_by(col(DeliveryRow.id))
        )
    )


def add_deliveries(session: Session, rows: Iterable[dict[str, Any]]) -> None:
    """Insert delivery rows; one already there for (row, recipient, channel) stays as it is."""
    values = list(rows)
    if not values:
        return
    stmt = dialect_insert(session)(_table(DeliveryRow)).values(values)
    session.execute(stmt.on_conflict_do_nothing())


def start_sending(
    session: Session, delivery_id: int, expected: str, dispatcher: str, now: datetime
) -> bool:
    """Claim one delivery for a send: ``sending`` with its Message-ID, committed before the send.

    Conditional on the status the caller read, so two dispatchers never both send it."""
    result = session.execute(
        update(DeliveryRow)
        .where(col(DeliveryRow.id) == delivery_id, col(DeliveryRow.status) == expected)
        .values(
            status=SENDING,
            attempts=DeliveryRow.attempts + 1,
            dispatcher=dispatcher,
            updated_at=now,
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def finish_delivery(session: Session, delivery_id: int, status: str, **values: Any) -> None:
    session.execute(
        update(DeliveryRow)
        .where(col(DeliveryRow.id) == delivery_id)
        .values(status=status, **values)
    )


# --- Digests ---------------------------------------------------------------------------------


def recipients_with_held(session: Session) -> list[str]:
    return list(
        session.scalars(
            select(col(DeliveryRow.recipient)).where(col(DeliveryRow.status) == HELD).distinct()
        )
    )


def held_for(session: Session, recipient: str) -> list[tuple[DeliveryRow, OutboxRow]]:
    rows = session.execute(
        select(DeliveryRow, OutboxRow)
        .join(OutboxRow, col(OutboxRow.id) == col(DeliveryRow.outbox_id))
        .where(col(DeliveryRow.status) == HELD, col(DeliveryRow.recipient) == recipient)
        .order_by(col(DeliveryRow.id))
    ).all()
    return [(d, o) for d, o in rows]


def mark_digested(session: Session, ids: Sequence[int], digest_key: str, now: datetime) -> None:
    session.execute(
        update(DeliveryRow)
        .where(col(DeliveryRow.id).in_(ids), col(DeliveryRow.status) == HELD)
        .values(status=DIGESTED, digest_key=digest_key, updated_at=now)
    )


# --- Reference data: channel routes and digest preferences ------------------------------------


@dataclass(frozen=True)
class Route:
    audience: str  # an audience address ("unit:vawg"), an audience kind ("unit"), or "*"
    channel: str
    target: str = ""


def list_routes(session: Session) -> list[Route]:
    rows = session.scalars(
        select(DeliveryRouteRow).order_by(
            col(DeliveryRouteRow.audience), col(DeliveryRouteRow.channel)
        )
    )
    return [Route(r.audience, r.channel, r.target) for r in rows]


def save_route(session: Session, route: Route, actor: str) -> str:
    """Add or change a route; returns "added", "updated" or "unchanged"."""
    if route.channel not in CHANNELS:
        raise DeliveryConfigError(f"channel: {route.channel!r} is not one of {', '.join(CHANNELS)}")
    if route.channel == "webhook" and not route.target.startswith(("http://", "https://")):
        raise DeliveryConfigError("target: a webhook route needs the http(s) URL to post to")
    if route.channel == "webhook" and route.audience.split(":")[0] == "requester":
        raise DeliveryConfigError("channel: the requester is written to by email or Notify only")
    if route.channel == "email" and route.target:
        raise DeliveryConfigError("target: an email route takes no target (people's addresses)")
    row = session.get(DeliveryRouteRow, (route.audience, route.channel))
    if row is not None and row.target == route.target:
        return "unchanged"
    change = "added" if row is None else "updated"
    if row is None:
        row = DeliveryRouteRow(audience=route.audience, channel=route.channel)
    row.target = route.target
    session.add(row)
    record_ref_change(
        session,
        actor,
        f"delivery_route.{change}",
        f"{route.audience} → {route.channel}" + (f" ({route.target})" if route.target else ""),
    )
    return change


def remove_route(session: Session, audience: str, channel: str, actor: str) -> bool:
    row = session.get(DeliveryRouteRow, (audience, channel))
    if row is None:
        return False
    session.delete(row)
    record_ref_change(session, actor, "delivery_route.removed", f"{audience} → {channel}")
    return True


def digest_users(session: Session) -> set[str]:
    return set(
        session.scalars(
            select(col(DeliveryPreferenceRow.user_id)).where(col(DeliveryPreferenceRow.digest))
        )
    )


def set_digest(session: Session, user_id: str, digest: bool, actor: str, now: datetime) -> bool:
    """Choose the daily digest (or one message per reminder); True when it changed."""
    if session.get(UserRow, user_id) is None:
        raise DeliveryConfigError(f"user: no user {user_id!r}")
    row = session.get(DeliveryPreferenceRow, user_id)
    if (row.digest if row else False) == digest:
        return False
    if row is None:
        row = DeliveryPreferenceRow(user_id=user_id)
    row.digest = digest
    row.updated_at = now
    session.add(row)
    choice = "a daily digest" if digest else "one message per reminder"
    record_ref_change(session, actor, "delivery_preference.updated", f"{user_id}: {choice}")
    return True


# --- Listings --------------------------------------------------------------------------------


def outbox_rows(
    session: Session,
    *,
    status: str | None = None,
    reference: str | None = None,
    limit: int = 100,
) -> list[tuple[OutboxRow, list[DeliveryRow]]]:
    """Outbox rows, newest first, each with its deliveries."""
    query = select(OutboxRow).order_by(col(OutboxRow.id).desc()).limit(limit)
    if status is not None:
        query = query.where(col(OutboxRow.status) == status)
    if reference is not None:
        query = query.where(col(OutboxRow.reference) == reference)
    rows = list(session.scalars(query))
    by_row: dict[int, list[DeliveryRow]] = {r.id: [] for r in rows if r.id is not None}
    if by_row:
        for d in session.scalars(
            select(DeliveryRow)
            .where(col(DeliveryRow.outbox_id).in_(list(by_row)))
            .order_by(col(DeliveryRow.id))
        ):
            by_row[d.outbox_id].append(d)
    return [(r, by_row.get(r.id or 0, [])) for r in rows]


def failed_rows(session: Session, limit: int = 200) -> list[tuple[OutboxRow, list[DeliveryRow]]]:
    return outbox_rows(session, status=FAILED, limit=limit)


def requeue(session: Session, key: str, now: datetime) -> bool:
    """Send a failed row again: its failed deliveries start afresh (new tries, same Message-ID);
    what was sent stays sent. False when ``key`` is unknown or not failed."""
    row = session.scalars(select(OutboxRow).where(col(OutboxRow.key) == key)).first()
    if row is None or row.status != FAILED or row.id is None:
        return False
    session.execute(
        update(DeliveryRow)
        .where(col(DeliveryRow.outbox_id) == row.id, col(DeliveryRow.status) == FAILED)
        .values(status=RETRY, attempts=0, next_attempt_at=None, updated_at=now)
    )
    row.status = "pending"
    row.failed_at = None
    row.not_before = None
    session.add(row)
    return True
