"""The disclosure log in the store: filled by the projection as a case is issued, without the
requester; kept out (with the reason on record) when the officer says so; searchable by words
and dates. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Engine, select

from domain.case import CaseView, Question
from store.db import session_scope
from store.disclosure import LogSearch, published_entry, search_log
from store.models import DisclosureRow
from store.projection import apply_case_view, write_case_view

from case_factory import REQUESTER, make_view

# A question and an edited letter naming the requester, as happens: both must be redacted.
QUESTIONS = [
    Question(number=1, text="All organisations represented on your VAWG panel"),
    Question(number=2, text="Any reply to Zebedee Quartermaine's earlier letter"),
]


LATE_EVENING = datetime(2023, 10, 2, 23, 30, tzinfo=UTC)


def issued(reference: str, at: datetime, **changes: object) -> CaseView:
    view = make_view(reference, 6, questions=QUESTIONS, issued_at=at)
    assert view.response is not None
    response = view.response.model_copy(
        update={
            "text": "Dear Mr Quartermaine,\n\nWe hold no list of panel organisations. "
            "Copy to zq.requester@example.net.",
            "edited": True,
            **changes,
        }
    )
    return view.model_copy(update={"response": response})


def apply(engine: Engine, view: CaseView) -> None:
    with session_scope(engine) as session:
        apply_case_view(session, view)


def rows(engine: Engine) -> list[DisclosureRow]:
    with session_scope(engine) as session:
        found = list(session.scalars(select(DisclosureRow).order_by(DisclosureRow.reference)))
        session.expunge_all()
        return found


def search(engine: Engine, **kw: object) -> list[str]:
    with session_scope(engine) as session:
        found, total = search_log(session, LogSearch(**kw))  # type: ignore[arg-type]
        if "limit" not in kw:
            assert total == len(found)
        return [r.reference for r in found]


def test_an_issued_case_is_published_without_the_requester(engine: Engine) -> None:
    for version in range(1, 6):  # nothing is published before the case is issued
        apply(engine, make_view("01.FOI.23.000001", version))
    assert rows(engine) == []

    apply(engine, issued("01.FOI.23.000001", LATE_EVENING))
    [row] = rows(engine)
    assert row.published and row.withhold_reason is None
    # 23:30 UTC on 2 Oct is 00:30 on 3 Oct in London (BST): the authority's date is kept.
    assert row.issued_on == date(2023, 10, 3)
    assert row.outcome == "partially_withheld" and row.regime == "foia"
    assert row.title == "All organisations represented on your VAWG panel (and 1 more question)"
    everything = repr(row.model_dump()).lower()
    for fragment in ("quartermaine", "zebedee", "zq.requester", REQUESTER.email or "?"):
        assert fragment.lower() not in everything, fragment
    assert row.response_text.startswith("Dear Mr [requester],")
    assert row.questions[1] == {
        "number": 2,
        "text": "Any reply to [requester]'s earlier letter",
    }

    # A repeated or forced projection rewrites the same row.
    apply(engine, issued("01.FOI.23.000001", LATE_EVENING))
    with session_scope(engine) as session:
        write_case_view(
            session,
            issued("01.FOI.23.000001", LATE_EVENING),
            force=True,
        )
    assert len(rows(engine)) == 1


def test_a_response_not_for_publication_is_recorded_but_never_served(engine: Engine) -> None:
    view = issued(
        "01.FOI.23.000002",
        datetime(2023, 11, 1, 10, tzinfo=UTC),
        publish=False,
        withhold_reason="Names a pending prosecution",
    )
    apply(engine, view)
    [row] = rows(engine)
    assert not row.published and row.withhold_reason == "Names a pending prosecution"
    assert search(engine) == [] and search(engine, text="panel") == []
    with session_scope(engine) as session:
        assert published_entry(session, "01.FOI.23.000002") is None


def test_search_by_words_and_dates(engine: Engine) -> None:
    apply(engine, issued("01.FOI.23.000003", datetime(2023, 10, 2, 9, tzinfo=UTC)))
    later = make_view(
        "01.FOI.23.000004",
        6,
        questions=[Question(number=1, text="Hate crime advisory panel minutes, 100% of them")],
        issued_at=datetime(2023, 12, 4, 9, tzinfo=UTC),
    )
    apply(engine, later)
    assert search(engine) == ["01.FOI.23.000004", "01.FOI.23.000003"]  # newest first
    assert search(engine, text="VAWG") == ["01.FOI.23.000003"]
    assert search(engine, text="hate MINUTES") == ["01.FOI.23.000004"]  # every word, any case
    assert search(engine, text="hate vawg") == []
    assert search(engine, text="100%") == ["01.FOI.23.000004"]  # LIKE wildcards are literal
    assert search(engine, text="1_0") == []
    assert search(engine, text="000003") == ["01.FOI.23.000003"]  # by reference
    assert search(engine, text="quartermaine") == []  # the requester is not there to find
    assert search(engine, issued_from=date(2023, 10, 3)) == ["01.FOI.23.000004"]
    assert search(engine, issued_to=date(2023, 12, 3)) == ["01.FOI.23.000003"]
    assert search(engine, issued_from=date(2023, 10, 2), issued_to=date(2023, 12, 4)) == [
        "01.FOI.23.000004",
        "01.FOI.23.000003",
    ]
    assert search(engine, limit=1, offset=1) == ["01.FOI.23.000003"]
    with session_scope(engine) as session:
        assert search_log(session, LogSearch(limit=1))[1] == 2  # the total, beyond the page
