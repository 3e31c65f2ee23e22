"""The read model: each workflow state change, as a ``CaseView``, projected into tables.

A view carries a per-case ``version`` that the workflow bumps on every change. The case row is
written with one atomic conditional upsert (``… ON CONFLICT DO UPDATE … WHERE cases.version <
excluded.version``), so a retried, duplicated or overtaken delivery never moves a case backwards,
even when two deliveries race on PostgreSQL: the second waits for the first's row lock and then
re-checks the version. Child rows (tasks, claims, sign-offs, reminders) are replaced only when
the case row was, under that same lock.

The requester (``view.requester``) and the request text are never stored: the read model serves
units and dashboards, and the request text may itself carry personal data.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, delete, func, insert, select
from sqlalchemy.orm import Session
from sqlmodel import col

from domain.case import CaseView
from store.audit import AuditEntry, append_audit
from store.db import dialect_insert
from store.disclosure import record_issued
from store.models import (
    CaseRow,
    DocumentRow,
    ExemptionClaimRow,
    ReminderSentRow,
    SignOffRow,
    TaskRow,
    utcnow,
)

RESPONSE_DOCUMENT = "response"


def _table(model: type[Any]) -> Table:
    table: Table = model.__table__
    return table


def _utc(value: datetime | None) -> datetime | None:
    # Normalised here so a view and the row read back from either engine compare equal.
    return None if value is None else value.astimezone(UTC)


def case_values(view: CaseView) -> dict[str, Any]:
    """The ``cases`` row for ``view`` (without ``updated_at``, which is the write time)."""
    return {
        "reference": view.reference,
        "version": view.version,
        "regime": view.regime,
        "status": str(view.status),
        "channel": view.channel,
        "received_at": _utc(view.received_at),
        "due_date": view.clock.due_date,
        "statutory_due_date": view.clock.statutory_due_date,
        "paused": view.clock.paused,
        "extended": view.clock.extended,
        "overdue": view.clock.overdue,
        "calendar_version": view.clock.calendar_version,
        "cost_hours_total": float(view.cost_hours_total),
        "outcome": None if view.outcome is None else str(view.outcome),
        "on_time": view.on_time,
        "on_time_with_extensions": view.on_time_with_extensions,
        "issued_at": _utc(view.issued_at),
        "owning_units": list(view.owning_units),
    }


def child_rows(view: CaseView) -> dict[str, list[dict[str, Any]]]:
    """The rows each child table holds for ``view``, keyed by table name."""
    ref = view.reference
    tasks = [
        {
            "reference": ref,
            "question": t.question,
            "text": t.text,
            "unit": t.unit,
            "status": str(t.status),
            "routed_on": t.routed_on,
            "internal_due": t.internal_due,
            "answer_kind": None if t.answer is None else str(t.answer.kind),
            "answered_by": t.answered_by,
            "returned_reason": t.returned_reason,
        }
        for t in view.tasks
    ]
    claims = [
        {
            "reference": ref,
            "question": t.question,
            "section": c.section,
            "subsections": c.subsections,
            "ncnd": c.ncnd,
        }
        for t in view.tasks
        if t.answer is not None
        for c in t.answer.claims
    ]
    sign_offs = [
        {
            "reference": ref,
            "section": s.section,
            "required_role": str(s.required_role),
            "questions": list(s.questions),
            "status": str(s.status),
            "decided_by": s.decided_by,
            "decided_at": _utc(s.decided_at),
        }
        for s in view.sign_offs
    ]
    reminders = [
        {
            "key": r.key,
            "reference": ref,
            "kind": r.kind,
            "audience": r.audience,
            "sent_on": r.on,
            "text": r.text,
        }
        for r in view.reminders
    ]
    return {
        _table(TaskRow).name: tasks,
        _table(ExemptionClaimRow).name: claims,
        _table(SignOffRow).name: sign_offs,
        _table(ReminderSentRow).name: reminders,
    }


CHILD_TABLES: Mapping[str, Table] = {
    t.name: t
    for t in (_table(m) for m in (TaskRow, ExemptionClaimRow, SignOffRow, ReminderSentRow))
}


def _upsert_case(session: Session, view: CaseView, *, force: bool) -> bool:
    cases = _table(CaseRow)
    values = {**case_values(view), "updated_at": utcnow()}
    stmt = dialect_insert(session)(cases).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["reference"],
        set_={name: stmt.excluded[name] for name in values if name != "reference"},
        where=None if force else cases.c.version < stmt.excluded.version,
    ).returning(cases.c.reference)
    return session.execute(stmt).first() is not None


def _replace_children(session: Session, view: CaseView) -> None:
    for name, rows in child_rows(view).items():
        table = CHILD_TABLES[name]
        session.execute(delete(table).where(table.c.reference == view.reference))
        if rows:
            session.execute(insert(table), rows)


def latest_document(session: Session, reference: str, kind: str) -> DocumentRow | None:
    return session.scalars(
        select(DocumentRow)
        .where(col(DocumentRow.reference) == reference, col(DocumentRow.kind) == kind)
        .order_by(col(DocumentRow.version).desc())
        .limit(1)
    ).first()


def _record_documents(session: Session, view: CaseView) -> None:
    # Drafts are kept as versions (what was approved must stay findable after a later edit).
    if view.response is None:
        return
    latest = latest_document(session, view.reference, RESPONSE_DOCUMENT)
    if latest is not None and latest.text == view.response.text:
        return
    session.add(
        DocumentRow(
            reference=view.reference,
            kind=RESPONSE_DOCUMENT,
            version=1 if latest is None else latest.version + 1,
            text=view.response.text,
            created_at=_utc(view.response.composed_at) or utcnow(),
        )
    )


def log_timeline(session: Session, view: CaseView) -> int:
    """Append the view's timeline entries not logged yet to the case's audit chain."""
    # Done whether or not the case row moved: an overtaken delivery's entries are already logged
    # (append_audit skips seqs at or below the chain's head), and a timeline the workflow trimmed
    # still logs whatever is new.
    return append_audit(
        session,
        view.reference,
        (
            AuditEntry(at=e.at, actor=e.actor, kind=e.kind, text=e.text, seq=e.seq)
            for e in view.timeline
        ),
    )


def write_case_view(session: Session, view: CaseView, *, force: bool = False) -> bool:
    """Project ``view``; with ``force`` even when not newer (rebuild). True when rows changed."""
    applied = _upsert_case(session, view, force=force)
    if applied:
        _replace_children(session, view)
        _record_documents(session, view)
        # An issued response is published (or its withholding recorded) as the case closes.
        record_issued(session, view)
    log_timeline(session, view)
    session.flush()
    return applied


def apply_case_view(session: Session, view: CaseView) -> bool:
    """Project ``view`` if it is newer than the stored version; True when it was applied.

    Runs in the caller's transaction; commit it to publish the change.
    """
    return write_case_view(session, view)


def delete_case(session: Session, reference: str) -> bool:
    """Remove a case's read-model rows (children go by ON DELETE CASCADE); the audit stays."""
    cases = _table(CaseRow)
    result = session.execute(delete(cases).where(cases.c.reference == reference))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def case_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(_table(CaseRow))) or 0)
