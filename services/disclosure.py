"""The public disclosure log: issued responses, without the requester, searchable by text and
date. Public: no login, and nothing here may say who asked (the store redacts before it keeps).

Entries are written by the read model's projection as a case is issued (``store.disclosure``);
this module only reads them.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from services.db import in_store
from services.errors import CaseNotFound, Rejected
from statute.exemptions import OUTCOME_LABELS, Outcome
from store import refdata
from store.disclosure import LogSearch, published_entry, search_log
from store.models import DisclosureRow

MAX_QUERY = 200


class DisclosureSearch(BaseModel):
    """``q``: words that must all appear; ``issued_from``/``issued_to``: inclusive dates."""

    q: str = Field(default="", max_length=MAX_QUERY)
    issued_from: date | None = None
    issued_to: date | None = None
    page: int = Field(default=1, ge=1, le=10_000)
    per_page: int = Field(default=20, ge=1, le=100)


class DisclosedQuestion(BaseModel):
    number: int
    text: str


class DisclosureEntry(BaseModel):
    reference: str
    title: str
    regime: str
    outcome: str
    outcome_label: str
    issued_at: datetime
    issued_on: date
    questions: list[DisclosedQuestion]
    response_text: str


class DisclosurePage(BaseModel):
    publisher: str  # the authority whose log it is
    items: list[DisclosureEntry]
    total: int
    page: int
    per_page: int


def _entry(row: DisclosureRow) -> DisclosureEntry:
    try:
        label = OUTCOME_LABELS[Outcome(row.outcome)]
    except ValueError:
        label = row.outcome
    return DisclosureEntry(
        reference=row.reference,
        title=row.title,
        regime=row.regime,
        outcome=row.outcome,
        outcome_label=label,
        issued_at=row.issued_at,
        issued_on=row.issued_on,
        questions=[DisclosedQuestion.model_validate(q) for q in row.questions],
        response_text=row.response_text,
    )


def _publisher(session: Session) -> str:
    return refdata.get_authority(session).name or "The authority"


async def search(engine: Engine, query: DisclosureSearch) -> DisclosurePage:
    """Published responses matching ``query``, newest first."""
    if query.issued_from and query.issued_to and query.issued_from > query.issued_to:
        raise Rejected(f"{query.issued_to} is before from ({query.issued_from})", "to")
    # A NUL can be typed in a URL but held by no text column: it matches nothing anyway.
    text = query.q.replace("\x00", " ")

    def read(session: Session) -> DisclosurePage:
        rows, total = search_log(
            session,
            LogSearch(
                text=text,
                issued_from=query.issued_from,
                issued_to=query.issued_to,
                offset=(query.page - 1) * query.per_page,
                limit=query.per_page,
            ),
        )
        return DisclosurePage(
            publisher=_publisher(session),
            items=[_entry(r) for r in rows],
            total=total,
            page=query.page,
            per_page=query.per_page,
        )

    return await in_store(engine, read)


async def get_entry(engine: Engine, reference: str) -> tuple[str, DisclosureEntry]:
    """The publisher and one published response; ``CaseNotFound`` when none is published under
    ``reference`` (including one kept out of publication: the log does not say it exists)."""

    def read(session: Session) -> tuple[str, DisclosureEntry] | None:
        row = published_entry(session, reference)
        return None if row is None else (_publisher(session), _entry(row))

    found = await in_store(engine, read)
    if found is None:
        raise CaseNotFound(reference)
    return found
