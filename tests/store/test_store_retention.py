"""Retention: requester details leave the store once the authority's period from closure has run.

On SQLite and PostgreSQL: only cases closed longer ago than ``retention_years`` are erased, each
erasure is on the case's audit chain without the erased data, the log still verifies, and a
rebuild from Temporal never puts the data back.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Column, Engine, select, text
from sqlmodel import SQLModel
from typer.testing import CliRunner

from cli.store_cmds import app
from domain.case import CaseStatus, CaseView, TimelineEntry
from services.errors import Rejected
from services.retention import erase_expired
from store.audit import verify_audit
from store.db import session_scope
from store.models import AuditRow, ReviewRow
from store.outbox import enqueue_notification
from store.projection import apply_case_view
from store.rebuild import rebuild_read_model
from store.refdata import set_setting
from store.retention import ERASED, ERASURE_KIND, _requester_columns

from case_factory import QUESTIONS, REQUESTER, make_view, timeline

NOW = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)  # three years before: 1 June 2024
OLD_ISSUED, RECENT_ISSUED, OLD_WITHDRAWN, OPEN = (
    "01.FOI.23.000101",
    "01.FOI.23.000102",
    "01.FOI.23.000103",
    "01.FOI.23.000104",
)


def _issued(reference: str, at: datetime) -> CaseView:
    return make_view(reference, version=6, issued_at=at)


def _withdrawn(reference: str, at: datetime) -> CaseView:
    entries = [
        *timeline(3),
        TimelineEntry(seq=4, at=at, actor="aisha-rahman", kind="withdrawn", text="case withdrawn"),
    ]
    return make_view(reference, version=4, status=CaseStatus.WITHDRAWN, timeline=entries)


def _cases() -> list[CaseView]:
    return [
        _issued(OLD_ISSUED, datetime(2024, 5, 31, 16, 0, tzinfo=UTC)),  # 3 years and a day
        _issued(RECENT_ISSUED, datetime(2024, 6, 2, 9, 0, tzinfo=UTC)),  # a day short
        _withdrawn(OLD_WITHDRAWN, datetime(2023, 12, 1, tzinfo=UTC)),
        make_view(OPEN, version=3),  # in progress, received in 2023: never erased
    ]


def _store(engine: Engine, *, retention: str | None = "3") -> None:
    with session_scope(engine) as session:
        for view in _cases():
            apply_case_view(session, view)
        for ref in (OLD_ISSUED, RECENT_ISSUED):
            enqueue_notification(
                session,
                f"{ref}:acknowledgement:case:2023-10-02",
                "requester",
                "Your request",
                f"Dear {REQUESTER.name}, we received your request",
            )
            enqueue_notification(
                session, f"{ref}:task_reminder:q1:2023-10-13", "unit:vawg", "Q1", "Q1 is due"
            )
        if retention is not None:
            set_setting(session, "retention_years", retention, "mark-ellis")


def _is_text(column: Column[Any]) -> bool:
    try:
        return column.type.python_type is str
    except NotImplementedError:
        return False


def _personal(engine: Engine, reference: str) -> list[str]:
    """Every value in the store, for ``reference``, that holds the requester's words or name."""
    needles = [REQUESTER.name, str(REQUESTER.email), *(q.text for q in QUESTIONS)]
    found: list[str] = []
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            key = "reference" if "reference" in table.c else "chain" if "chain" in table.c else None
            texts = [c for c in table.c if _is_text(c)]
            if not texts:
                continue
            if key is not None:
                rows = conn.execute(select(*texts).where(table.c[key] == reference)).all()
            elif table.name == "notification_outbox":
                rows = conn.execute(
                    select(*texts).where(table.c.key.startswith(f"{reference}:"))
                ).all()
            else:
                continue
            found += [
                f"{table.name}: {v}"
                for row in rows
                for v in row
                if any(n in str(v) for n in needles)
            ]
    return found


def test_only_cases_closed_longer_than_the_period_are_erased(engine: Engine) -> None:
    _store(engine)
    assert _personal(engine, OLD_ISSUED)  # the question texts, the letter, the acknowledgement

    report = erase_expired(engine, actor="cli:records", now=NOW)
    assert [e.reference for e in report.erased] == [OLD_WITHDRAWN, OLD_ISSUED]  # by closure
    assert report.lines()[0] == (
        "2 case(s) closed on or before 2024-06-01 (3 year(s) ago): requester details erased"
    )
    old = next(e for e in report.erased if e.reference == OLD_ISSUED)
    assert (old.questions, old.documents, old.messages) == (3, 1, 1)

    for ref in (OLD_ISSUED, OLD_WITHDRAWN):
        assert _personal(engine, ref) == []
    for ref in (RECENT_ISSUED, OPEN):
        assert _personal(engine, ref), f"{ref} must keep its details"
    with engine.connect() as conn:
        kept = conn.execute(
            text("SELECT status, outcome, on_time FROM cases WHERE reference = :r"),
            {"r": OLD_ISSUED},
        ).one()
        assert tuple(kept) == ("issued", "partially_withheld", True)  # statistics stay
        unit_message = conn.execute(
            text("SELECT body FROM notification_outbox WHERE key LIKE :k"),
            {"k": f"{OLD_ISSUED}:task_reminder%"},
        ).scalar()
        assert unit_message == "Q1 is due"
        assert conn.execute(
            text("SELECT DISTINCT text FROM case_tasks WHERE reference = :r"), {"r": OLD_ISSUED}
        ).scalars().all() == [ERASED]

    with session_scope(engine) as session:
        entry = session.scalars(
            select(AuditRow).where(AuditRow.chain == OLD_ISSUED).order_by(AuditRow.seq.desc())  # type: ignore[arg-type,attr-defined]
        ).first()
        assert entry is not None and (entry.kind, entry.actor) == (ERASURE_KIND, "cli:records")
        assert entry.text == (
            "requester details erased under the retention schedule (3 year(s) from closure on "
            "2024-05-31): 3 question text(s), 1 document version(s), 1 message(s) to the "
            "requester, 0 requester field(s)"
        )
        assert verify_audit(session) is None  # the erasure is a link like any other

    again = erase_expired(engine, actor="cli:records", now=NOW + timedelta(days=2))
    assert [e.reference for e in again.erased] == [RECENT_ISSUED]  # its day came; no repeats


def test_a_dry_run_reports_and_changes_nothing(engine: Engine) -> None:
    _store(engine)

    def counts() -> tuple[Any, ...]:
        with engine.connect() as conn:
            return tuple(
                conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                for t in ("audit_log", "audit_head_log")
            )

    before = counts()
    report = erase_expired(engine, actor="cli:records", now=NOW, dry_run=True)
    assert [e.reference for e in report.erased] == [OLD_WITHDRAWN, OLD_ISSUED]
    assert report.lines()[-1] == "dry run: nothing was changed"
    assert "requester details would be erased" in report.lines()[0]
    assert counts() == before
    assert _personal(engine, OLD_ISSUED)


def test_a_rebuild_from_temporal_does_not_restore_erased_details(engine: Engine) -> None:
    _store(engine)
    erase_expired(engine, actor="cli:records", now=NOW)
    with session_scope(engine) as session:  # Temporal still holds the closed workflows
        report = rebuild_read_model(session, _cases())
    assert report.clean, report.lines()
    assert _personal(engine, OLD_ISSUED) == []
    with session_scope(engine) as session:
        assert verify_audit(session) is None


def test_without_a_retention_period_nothing_is_erased(engine: Engine) -> None:
    _store(engine, retention=None)
    with pytest.raises(Rejected) as refused:
        erase_expired(engine, actor="cli:records", now=NOW)
    assert refused.value.field == "retention_years"
    assert "retention_years 3" in refused.value.reason
    assert _personal(engine, OLD_ISSUED)


def test_retention_years_is_checked_where_it_is_set(engine: Engine) -> None:
    from store.refdata import RefDataError

    with pytest.raises(RefDataError, match="retention_years"), session_scope(engine) as session:
        set_setting(session, "retention_years", "0", "mark-ellis")


def test_cli_erase_expired(engine: Engine, db_url: str) -> None:
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        apply_case_view(session, _issued(OLD_ISSUED, now - timedelta(days=3 * 366)))
        apply_case_view(session, _issued(RECENT_ISSUED, now - timedelta(days=2)))
        set_setting(session, "retention_years", "3", "mark-ellis")
    runner = CliRunner()
    env = {"FOIFLOW_DATABASE_URL": db_url}
    dry = runner.invoke(app, ["erase-expired", "--dry-run"], env=env)
    assert dry.exit_code == 0, dry.output
    assert f"- {OLD_ISSUED} (closed" in dry.output and RECENT_ISSUED not in dry.output
    assert dry.output.rstrip().endswith("dry run: nothing was changed")
    done = runner.invoke(app, ["erase-expired", "--actor", "records-officer"], env=env)
    assert done.exit_code == 0, done.output
    assert "1 case(s) closed on or before" in done.output
    assert _personal(engine, OLD_ISSUED) == []
    with session_scope(engine) as session:
        set_setting(session, "retention_years", "none", "mark-ellis")
    refused = runner.invoke(app, ["erase-expired"], env=env)
    assert refused.exit_code == 1
    assert "retention_years: no retention period is set" in refused.output


def test_every_requester_column_is_erased_by_name() -> None:
    """A column that keeps the requester must be named ``requester…`` on a table keyed by case
    reference, so erasure finds it; anything else holding them fails here."""
    covered = {(t.name, c.name) for t, c in _requester_columns()}
    holding: set[tuple[str, Any]] = {
        (t.name, c.name)
        for t in SQLModel.metadata.sorted_tables
        for c in t.c
        if "requester" in c.name
    }
    assert holding <= covered, f"not erased at retention: {sorted(holding - covered)}"


def test_a_reviews_grounds_are_erased_with_the_rest(engine: Engine) -> None:
    _store(engine)
    grounds = "The requester says s31 cannot cover the totals they asked for."
    with session_scope(engine) as session:
        for ref in (OLD_ISSUED, RECENT_ISSUED):
            view = {"reference": ref, "stage": "decided", "grounds": grounds, "outcome": "upheld"}
            session.add(
                ReviewRow(reference=ref, version=3, regime="foia", stage="decided", view=view)
            )

    report = erase_expired(engine, actor="cli:records", now=NOW)
    old = next(e for e in report.erased if e.reference == OLD_ISSUED)
    assert old.requester_fields == 1
    with session_scope(engine) as session:
        erased, kept = (session.get(ReviewRow, ref) for ref in (OLD_ISSUED, RECENT_ISSUED))
        assert erased is not None and kept is not None
        assert erased.view["grounds"] == ERASED
        assert erased.view["outcome"] == "upheld"  # what statistics count stays
        assert kept.view["grounds"] == grounds  # not yet its time
