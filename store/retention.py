"""Retention: erasing the requester's details from the store once the authority's period has run.

What the store keeps that came from the requester: the text of their questions (on each task),
the letters written to them (case documents, which quote the questions and are addressed to
them), messages queued to them in the outbox, any ``requester*`` column of a case's tables, and the
grounds of a review they asked for.
The period runs from closure: the issue date, or for a withdrawn or lapsed case the time its
closing was logged. What stays: the reference, dates, outcome, exemptions, timeliness — what the
statistics and the regulator need — and the audit log, to which each erasure is appended
without the erased data. Erased cases are marked by that audit entry, so a rebuild from Temporal
never puts the data back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Column, Table, func, or_, select, update
from sqlalchemy.orm import Session
from sqlmodel import SQLModel, col

from domain.case import CLOSED_STATUSES, CaseStatus, CaseView
from store.audit import AuditEntry, append_audit
from store.models import AuditRow, CaseRow, DocumentRow, OutboxRow, ReviewRow, TaskRow

ERASED = "[erased]"
ERASURE_KIND = "retention.erased"
REQUESTER_AUDIENCE = "requester"  # an outbox audience for the requester: "requester[:…]"
_CHUNK = 500  # references per IN (…) list


@dataclass(frozen=True)
class ClosedCase:
    reference: str
    status: str
    closed_at: datetime


@dataclass(frozen=True)
class Erasure:
    """What one case's erasure removed, as counts: the audit entry says the same."""

    reference: str
    closed_at: datetime
    questions: int
    documents: int
    messages: int
    requester_fields: int

    def summary(self) -> str:
        return (
            f"{self.questions} question text(s), {self.documents} document version(s), "
            f"{self.messages} message(s) to the requester, "
            f"{self.requester_fields} requester field(s)"
        )


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def erased_references(session: Session, references: Sequence[str] | None = None) -> set[str]:
    """Cases whose requester details have been erased (their chain logs the erasure)."""
    query = select(col(AuditRow.chain)).where(col(AuditRow.kind) == ERASURE_KIND).distinct()
    if references is None:
        return set(session.scalars(query))
    found: set[str] = set()
    for chunk in _chunks(references):
        found |= set(session.scalars(query.where(col(AuditRow.chain).in_(chunk))))
    return found


def _logged_times(session: Session, references: Sequence[str], *kinds: str) -> dict[str, datetime]:
    """The latest logged time per case, of entries of ``kinds`` (any kind when none given)."""
    times: dict[str, datetime] = {}
    for chunk in _chunks(references):
        query = (
            select(col(AuditRow.chain), func.max(AuditRow.at))
            .where(col(AuditRow.chain).in_(chunk))
            .group_by(col(AuditRow.chain))
        )
        if kinds:
            query = query.where(col(AuditRow.kind).in_(kinds))
        for chain, at in session.execute(query):
            # max() over a column loses its type on SQLite: read back as text or naive.
            times[chain] = _aware(at)
    return times


def _aware(value: datetime | str) -> datetime:
    parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
    return parsed if parsed.utcoffset() is not None else parsed.replace(tzinfo=UTC)


def closed_cases(session: Session) -> list[ClosedCase]:
    """Every closed case not yet erased, with when it closed.

    Issued cases closed when issued. A withdrawn or lapsed case closed when its closing was
    logged; failing that, at its last logged event (never earlier than the true closure, so the
    period is never cut short).
    """
    rows = session.execute(
        select(col(CaseRow.reference), col(CaseRow.status), col(CaseRow.issued_at)).where(
            col(CaseRow.status).in_([str(s) for s in CLOSED_STATUSES])
        )
    ).all()
    erased = erased_references(session, [r.reference for r in rows])
    rows = [r for r in rows if r.reference not in erased]
    needing_log = [r.reference for r in rows if r.status != CaseStatus.ISSUED or not r.issued_at]
    closing = _logged_times(session, needing_log, CaseStatus.WITHDRAWN, CaseStatus.LAPSED)
    last = _logged_times(session, [r for r in needing_log if r not in closing])
    found: list[ClosedCase] = []
    for r in rows:
        at = (r.issued_at if r.status == CaseStatus.ISSUED else None) or closing.get(
            r.reference, last.get(r.reference)
        )
        if at is not None:  # a closed case with no log at all: nothing says when; keep it
            found.append(ClosedCase(r.reference, r.status, at))
    return sorted(found, key=lambda c: (c.closed_at, c.reference))


def _requester_columns() -> list[tuple[Table, Column[object]]]:
    """Every ``requester*`` column of a table keyed by case reference: erased whatever adds it."""
    found: list[tuple[Table, Column[object]]] = []
    for table in SQLModel.metadata.sorted_tables:
        if "reference" not in table.c:
            continue
        found += [(table, c) for c in table.c if c.name.startswith("requester")]
    return found


def _erase_requester_columns(session: Session, reference: str) -> int:
    erased = 0
    for table, column in _requester_columns():
        # NULL where the column allows it; otherwise a marker that says what happened.
        blank, still_there = (
            (None, column.is_not(None)) if column.nullable else (ERASED, column != ERASED)
        )
        result = session.execute(
            update(table)
            .where(table.c.reference == reference, still_there)
            .values({column.name: blank})
        )
        erased += int(result.rowcount)  # type: ignore[attr-defined]
    return erased


def _erase_review_grounds(session: Session, reference: str) -> int:
    """A review's grounds are what the requester disputes, often in their own words."""
    review = session.get(ReviewRow, reference)
    if review is None or review.view.get("grounds") in (None, "", ERASED):
        return 0
    review.view = {**review.view, "grounds": ERASED}  # a new dict: the JSON column is rewritten
    session.add(review)
    return 1


def erase_case(
    session: Session, case: ClosedCase, *, actor: str, retention_years: int, now: datetime
) -> Erasure:
    """Erase one case's requester details and log that it was done (counts only)."""
    ref = case.reference
    questions = session.execute(
        update(TaskRow)
        .where(col(TaskRow.reference) == ref, col(TaskRow.text) != ERASED)
        .values(text=ERASED)
    )
    documents = session.execute(
        update(DocumentRow)
        .where(
            col(DocumentRow.reference) == ref,
            or_(col(DocumentRow.text).is_not(None), col(DocumentRow.path).is_not(None)),
        )
        .values(text=None, path=None)
    )
    messages = session.execute(
        update(OutboxRow)
        .where(
            col(OutboxRow.key).startswith(f"{ref}:", autoescape=True),
            or_(
                col(OutboxRow.audience) == REQUESTER_AUDIENCE,
                col(OutboxRow.audience).startswith(f"{REQUESTER_AUDIENCE}:", autoescape=True),
            ),
            col(OutboxRow.body) != ERASED,
        )
        .values(body=ERASED, audience=REQUESTER_AUDIENCE)
    )
    erasure = Erasure(
        reference=ref,
        closed_at=case.closed_at,
        questions=int(questions.rowcount),  # type: ignore[attr-defined]
        documents=int(documents.rowcount),  # type: ignore[attr-defined]
        messages=int(messages.rowcount),  # type: ignore[attr-defined]
        requester_fields=_erase_requester_columns(session, ref)
        + _erase_review_grounds(session, ref),
    )
    append_audit(
        session,
        ref,
        [
            AuditEntry(
                at=now,
                actor=actor,
                kind=ERASURE_KIND,
                text=(
                    f"requester details erased under the retention schedule ({retention_years} "
                    f"year(s) from closure on {case.closed_at:%Y-%m-%d}): {erasure.summary()}"
                ),
            )
        ],
    )
    return erasure


def years_before(moment: datetime, years: int) -> datetime:
    """The same instant ``years`` calendar years earlier (29 February → 28 February)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


def erase_expired_cases(
    session: Session, *, retention_years: int, now: datetime, actor: str
) -> list[Erasure]:
    """Erase every case closed at least ``retention_years`` before ``now``."""
    cutoff = years_before(now, retention_years)
    return [
        erase_case(session, case, actor=actor, retention_years=retention_years, now=now)
        for case in closed_cases(session)
        if case.closed_at <= cutoff
    ]


def redact_view(view: CaseView) -> CaseView:
    """``view`` as an erased case's rows hold it: what a rebuild may write back."""
    return view.model_copy(
        update={
            "requester": None,
            "request_text": ERASED,
            "questions": [q.model_copy(update={"text": ERASED}) for q in view.questions],
            "tasks": [t.model_copy(update={"text": ERASED}) for t in view.tasks],
            "response": None,
        }
    )
