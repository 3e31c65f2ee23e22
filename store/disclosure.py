"""The disclosure log: every issued response, published to the world without who asked.

Once information is disclosed under the Act it is disclosed to everyone (the s45 Code expects
authorities to publish what they release), so issuing a response records it here, from the read
model's projection, unless the officer marked it not for publication with a reason. The
requester's name, email and address are taken out of every text stored (``domain.redaction``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from domain.case import CaseStatus, CaseView
from domain.redaction import redact_requester
from statute.clock import local_date
from store import refdata
from store.models import DisclosureRow, utcnow

TITLE_LENGTH = 160


def _title(questions: list[str]) -> str:
    """A line a reader can scan the log by: the first question, and how many others follow."""
    if not questions:
        return "Information request"
    first = " ".join(questions[0].split())
    if len(first) > TITLE_LENGTH:
        first = first[: TITLE_LENGTH - 1].rstrip() + "…"
    more = len(questions) - 1
    return first if more == 0 else f"{first} (and {more} more question{'s' if more > 1 else ''})"


def _issuer(view: CaseView) -> str | None:
    issued = [e.actor for e in view.timeline if e.kind == "issued"]
    if issued:
        return issued[-1]
    return view.response.approved_by if view.response else None


def record_issued(session: Session, view: CaseView) -> DisclosureRow | None:
    """Record an issued case's response in the log (published or, with the reason, withheld).

    Idempotent: a repeated projection of the same case rewrites the same row. Nothing is done for
    a case that is not issued.
    """
    if view.status != CaseStatus.ISSUED or view.response is None or view.issued_at is None:
        return None
    requester = view.requester
    questions = [
        {"number": q.number, "text": redact_requester(q.text, requester)} for q in view.questions
    ]
    text = redact_requester(view.response.text, requester)
    title = _title([str(q["text"]) for q in questions])
    time_zone = refdata.get_authority(session).time_zone
    fresh = DisclosureRow(
        reference=view.reference,
        regime=view.regime,
        outcome=str(view.outcome or view.response.outcome),
        issued_at=view.issued_at.astimezone(UTC),
        issued_on=local_date(view.issued_at, time_zone),
        title=title[:300],
        questions=questions,
        response_text=text,
        search_text=" ".join(
            [view.reference, title, *(str(q["text"]) for q in questions), text]
        ).lower(),
        published=view.response.publish,
        withhold_reason=None if view.response.publish else view.response.withhold_reason,
        decided_by=_issuer(view),
        recorded_at=utcnow(),
    )
    row = session.get(DisclosureRow, view.reference)
    if row is None:
        session.add(fresh)
        return fresh
    for name in DisclosureRow.model_fields:
        setattr(row, name, getattr(fresh, name))
    return row


@dataclass(frozen=True)
class LogSearch:
    """``text``: every word must appear (case-insensitive); dates inclusive, as issued."""

    text: str = ""
    issued_from: date | None = None
    issued_to: date | None = None
    offset: int = 0
    limit: int = 20


def _escaped(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _where(search: LogSearch) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [col(DisclosureRow.published).is_(True)]
    for word in search.text.lower().split():
        where.append(col(DisclosureRow.search_text).like(f"%{_escaped(word)}%", escape="\\"))
    if search.issued_from is not None:
        where.append(col(DisclosureRow.issued_on) >= search.issued_from)
    if search.issued_to is not None:
        where.append(col(DisclosureRow.issued_on) <= search.issued_to)
    return where


def search_log(session: Session, search: LogSearch) -> tuple[list[DisclosureRow], int]:
    """Published entries matching ``search``, newest first, and how many match in all."""
    where = _where(search)
    total = session.scalar(select(func.count()).select_from(DisclosureRow).where(*where))
    rows = session.scalars(
        select(DisclosureRow)
        .where(*where)
        .order_by(col(DisclosureRow.issued_at).desc(), col(DisclosureRow.reference))
        .offset(search.offset)
        .limit(search.limit)
    ).all()
    return list(rows), int(total or 0)


def published_entry(session: Session, reference: str) -> DisclosureRow | None:
    """One published entry; None when there is none (or it was kept out of publication)."""
    row = session.get(DisclosureRow, reference)
    return row if row is not None and row.published else None
