"""The read model: each workflow state change, projected into tables.

The workflow sends what changed since its last projection (``domain.projection.CaseChanges``:
the case row, changed child rows, new timeline entries); ``store rebuild`` and the projections
of runs from before that send a whole ``CaseView``, written as a complete set of changes.

Each carries a per-case ``version`` that the workflow bumps on every change. The case row is
written with one atomic conditional upsert (``… ON CONFLICT DO UPDATE … WHERE cases.version <
excluded.version``), so a retried, duplicated or overtaken delivery never moves a case backwards,
even when two deliveries race on PostgreSQL: the second waits for the first's row lock and then
re-checks the version. Child rows (tasks, claims, sign-offs, reminders) are upserted only when
the case row was, under that same lock: a changed row is updated in place, never deleted and
inserted again.

The requester (``view.requester``) and the request text are never stored: the read model serves
units and dashboards, and the request text may itself carry personal data.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from domain.case import CaseView, TimelineEntry
from domain.projection import (
    CaseChanges,
    CaseRecord,
    ClaimRecord,
    ReminderRecord,
    ResponseRecord,
    SignOffRecord,
    TaskRecord,
    case_record,
    case_records,
    complete_changes,
)
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


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def case_values(view: CaseView) -> dict[str, Any]:
    """The ``cases`` row for ``view`` (without ``updated_at``, which is the write time)."""
    return case_record(view).model_dump()


def _task_row(reference: str, task: TaskRecord) -> dict[str, Any]:
    return {"reference": reference, **task.model_dump()}


def _claim_row(reference: str, claim: ClaimRecord) -> dict[str, Any]:
    return {"reference": reference, **claim.model_dump()}


def _sign_off_row(reference: str, sign_off: SignOffRecord) -> dict[str, Any]:
    return {"reference": reference, **sign_off.model_dump()}


def _reminder_row(reference: str, reminder: ReminderRecord) -> dict[str, Any]:
    return {"reference": reference, **reminder.model_dump()}


def child_rows(view: CaseView) -> dict[str, list[dict[str, Any]]]:
    """The rows each child table holds for ``view``, keyed by table name."""
    ref, records = view.reference, case_records(view)
    return {
        _table(TaskRow).name: [_task_row(ref, t) for t in records.tasks],
        _table(ExemptionClaimRow).name: [_claim_row(ref, c) for c in records.claims],
        _table(SignOffRow).name: [_sign_off_row(ref, s) for s in records.sign_offs],
        _table(ReminderSentRow).name: [_reminder_row(ref, r) for r in records.reminders],
    }


CHILD_TABLES: Mapping[str, Table] = {
    t.name: t
    for t in (_table(m) for m in (TaskRow, ExemptionClaimRow, SignOffRow, ReminderSentRow))
}


# Statements built once per shape and dialect, rows passed as parameters at execution: building
# an upsert (its ``excluded`` columns, its cache key) cost more CPU than running it on SQLite.
_statements: dict[tuple[Any, ...], Any] = {}


def _upsert(
    conn: Connection, table: Table, columns: tuple[str, ...], keys: tuple[str, ...], how: str
) -> Any:
    """``INSERT … ON CONFLICT (keys)``: ``how`` is "nothing", "update", or "newer" (update when
    the row's ``version`` is older, returning the key: the case row)."""
    cache_key = (conn.dialect.name, table.name, columns, keys, how)
    stmt = _statements.get(cache_key)
    if stmt is None:
        insert_ = dialect_insert(conn)(table)
        if how == "nothing":
            stmt = insert_.on_conflict_do_nothing(index_elements=list(keys))
        else:
            stmt = insert_.on_conflict_do_update(
                index_elements=list(keys),
                set_={c: insert_.excluded[c] for c in columns if c not in keys},
                where=table.c.version < insert_.excluded.version if how == "newer" else None,
            )
            if how == "newer":
                stmt = stmt.returning(*(table.c[k] for k in keys))
        _statements[cache_key] = stmt
    return stmt


def _upsert_case(session: Session, record: CaseRecord, *, force: bool) -> bool:
    conn = session.connection()
    values = {**record.model_dump(), "updated_at": utcnow()}
    stmt = _upsert(
        conn, _table(CaseRow), tuple(values), ("reference",), "update" if force else "newer"
    )
    if force:
        conn.execute(stmt, values)
        return True
    return conn.execute(stmt, values).first() is not None


_SIGN_OFFS = _table(SignOffRow)
_UPDATE_SIGN_OFF = update(_SIGN_OFFS).where(
    _SIGN_OFFS.c.reference == bindparam("where_reference"),
    _SIGN_OFFS.c.section == bindparam("where_section"),
)


def _write_children(session: Session, changes: CaseChanges) -> None:
    """Upsert the rows that changed; on a complete projection remove the ones not listed.

    Tasks and reminders upsert on their keys; sign-offs (a surrogate key) are updated by
    section, inserted when new; claims, a handful, are replaced as a whole when they changed.
    """
    ref = changes.reference
    conn = session.connection()
    tasks, sign_offs = _table(TaskRow), _SIGN_OFFS
    reminders, claims = _table(ReminderSentRow), _table(ExemptionClaimRow)
    if changes.tasks:
        rows = [_task_row(ref, t) for t in changes.tasks]
        conn.execute(
            _upsert(conn, tasks, tuple(rows[0]), ("reference", "question"), "update"), rows
        )
    for sign_off in changes.sign_offs:
        row = _sign_off_row(ref, sign_off)
        moved = conn.execute(
            _UPDATE_SIGN_OFF, {**row, "where_reference": ref, "where_section": sign_off.section}
        )
        if not moved.rowcount:
            conn.execute(insert(sign_offs), row)
    if changes.reminders:
        rows = [_reminder_row(ref, r) for r in changes.reminders]
        conn.execute(_upsert(conn, reminders, tuple(rows[0]), ("key",), "nothing"), rows)
    if changes.claims is not None:
        session.execute(delete(claims).where(claims.c.reference == ref))
        if changes.claims:
            session.execute(insert(claims), [_claim_row(ref, c) for c in changes.claims])
    removed_tasks = set(changes.removed_tasks)
    removed_sign_offs = set(changes.removed_sign_offs)
    if changes.complete:
        kept_tasks = [t.question for t in changes.tasks]
        kept_sign_offs = [s.section for s in changes.sign_offs]
        kept_reminders = [r.key for r in changes.reminders]
        session.execute(
            delete(tasks).where(tasks.c.reference == ref, tasks.c.question.not_in(kept_tasks))
        )
        session.execute(
            delete(sign_offs).where(
                sign_offs.c.reference == ref, sign_offs.c.section.not_in(kept_sign_offs)
            )
        )
        session.execute(
            delete(reminders).where(
                reminders.c.reference == ref, reminders.c.key.not_in(kept_reminders)
            )
        )
    if removed_tasks:
        session.execute(
            delete(tasks).where(tasks.c.reference == ref, tasks.c.question.in_(removed_tasks))
        )
    if removed_sign_offs:
        session.execute(
            delete(sign_offs).where(
                sign_offs.c.reference == ref, sign_offs.c.section.in_(removed_sign_offs)
            )
        )


def latest_document(session: Session, reference: str, kind: str) -> DocumentRow | None:
    return session.scalars(
        select(DocumentRow)
        .where(col(DocumentRow.reference) == reference, col(DocumentRow.kind) == kind)
        .order_by(col(DocumentRow.version).desc())
        .limit(1)
    ).first()


_DOCUMENTS = _table(DocumentRow)
# Core, built once: a projection reads at most the latest draft's version and text, no ORM row.
_LATEST_DRAFT = (
    select(_DOCUMENTS.c.version, _DOCUMENTS.c.text)
    .where(
        _DOCUMENTS.c.reference == bindparam("reference"),
        _DOCUMENTS.c.kind == RESPONSE_DOCUMENT,
    )
    .order_by(_DOCUMENTS.c.version.desc())
    .limit(1)
)
_INSERT_DOCUMENT = insert(_DOCUMENTS)


def _record_response(session: Session, reference: str, response: ResponseRecord | None) -> None:
    # Drafts are kept as versions (what was approved must stay findable after a later edit).
    # ``response`` is set only when the draft changed (or on a complete projection), so most
    # projections read nothing here.
    if response is None:
        return
    conn = session.connection()
    latest = conn.execute(_LATEST_DRAFT, {"reference": reference}).first()
    if latest is not None and latest.text == response.text:
        return
    conn.execute(
        _INSERT_DOCUMENT,
        {
            "reference": reference,
            "kind": RESPONSE_DOCUMENT,
            "version": 1 if latest is None else latest.version + 1,
            "text": response.text,
            "created_at": _utc(response.composed_at),
        },
    )


def _log_entries(session: Session, reference: str, timeline: list[TimelineEntry]) -> int:
    # Done whether or not the case row moved: an overtaken delivery's entries are already logged
    # (append_audit skips seqs at or below the chain's head), and a timeline the workflow trimmed
    # still logs whatever is new.
    return append_audit(
        session,
        reference,
        (AuditEntry(at=e.at, actor=e.actor, kind=e.kind, text=e.text, seq=e.seq) for e in timeline),
    )


def log_timeline(session: Session, view: CaseView) -> int:
    """Append the view's timeline entries not logged yet to the case's audit chain."""
    return _log_entries(session, view.reference, view.timeline)


def _with_letter(session: Session, view: CaseView) -> CaseView:
    """``view`` with its letter's text, read from the case's documents when the projection left
    it out (an earlier projection stored it)."""
    if view.response is None or view.response.text:
        return view
    latest = latest_document(session, view.reference, RESPONSE_DOCUMENT)
    if latest is None:
        return view
    response = view.response.model_copy(update={"text": latest.text})
    return view.model_copy(update={"response": response})


def write_changes(session: Session, changes: CaseChanges, *, force: bool = False) -> bool:
    """Project ``changes`` if newer than the stored version (with ``force``, even when not:
    rebuild). True when rows changed. Runs in the caller's transaction."""
    applied = _upsert_case(session, changes.case, force=force)
    if applied:
        _write_children(session, changes)
        _record_response(session, changes.reference, changes.response)
        if changes.issued is not None:
            # An issued response is published (or its withholding recorded) as the case closes.
            record_issued(session, _with_letter(session, changes.issued))
    _log_entries(session, changes.reference, changes.timeline)
    session.flush()
    return applied


def write_case_view(session: Session, view: CaseView, *, force: bool = False) -> bool:
    """Project the whole of ``view``; with ``force`` even when not newer (rebuild). True when
    rows changed."""
    return write_changes(session, complete_changes(view), force=force)


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
