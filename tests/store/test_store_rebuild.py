"""Rebuilding the read model from views: equal to live projection, and repairs drift."""

from __future__ import annotations

from sqlalchemy import Engine, text

from domain.case import CaseView
from store.audit import verify_audit
from store.db import session_scope
from store.projection import apply_case_view
from store.rebuild import RebuildReport, case_snapshot, rebuild_read_model, view_snapshot

from case_factory import make_view

A, B, C = "01.FOI.23.000001", "01.FOI.23.000002", "01.FOI.23.000003"


def live(engine: Engine, views: list[CaseView]) -> None:
    for view in views:
        with session_scope(engine) as session:
            apply_case_view(session, view)


def rebuild(
    engine: Engine, views: list[CaseView], *, prune: bool = False, present: tuple[str, ...] = ()
) -> RebuildReport:
    with session_scope(engine) as session:
        return rebuild_read_model(session, views, prune=prune, present=present)


def final_views() -> list[CaseView]:
    return [make_view(A, version=7), make_view(B, version=3)]


def test_rebuild_equals_live(engine: Engine) -> None:
    live(
        engine,
        [
            make_view(ref, version=v)
            for v in range(1, 8)
            for ref in (A, B)
            if v <= (7 if ref == A else 3)
        ],
    )
    report = rebuild(engine, final_views())
    assert report.clean, report.lines()
    assert sorted(report.unchanged) == [A, B]
    assert report.lines()[0] == "2 unchanged, 0 added, 0 corrected, 0 not in Temporal"


def test_rebuild_into_an_empty_store_adds_everything(engine: Engine) -> None:
    report = rebuild(engine, final_views())
    assert report.added == [A, B]
    with session_scope(engine) as session:
        for view in final_views():
            assert case_snapshot(session, view.reference) == view_snapshot(view)
        assert verify_audit(session) is None


def test_rebuild_reports_and_repairs_drift(engine: Engine) -> None:
    live(engine, final_views())
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE cases SET status = 'withdrawn', version = 99 WHERE reference = :r"),
            {"r": A},
        )
        conn.execute(text("DELETE FROM case_tasks WHERE reference = :r AND question = 3"), {"r": B})
        conn.execute(
            text(
                "UPDATE exemption_claims SET section = '43' WHERE section = '40' AND reference = :r"
            ),
            {"r": B},
        )
    report = rebuild(engine, final_views())
    assert set(report.changed) == {A, B}
    assert "status: 'withdrawn' → 'issued'" in report.changed[A]
    assert "version: 99 → 7" in report.changed[A]  # forced back: Temporal is the truth
    assert "task Q3 added" in report.changed[B]
    assert "claim Q2 s43(2) removed" in report.changed[B]
    assert "claim Q2 s40(2) added" in report.changed[B]
    assert any(line.startswith(f"~ {A}: status") for line in report.lines())
    assert rebuild(engine, final_views()).clean  # repaired


def test_cases_missing_from_temporal_are_kept_unless_pruned(engine: Engine) -> None:
    live(engine, [*final_views(), make_view(C, version=6)])
    report = rebuild(engine, final_views())
    assert report.stale == [C]
    assert f"? {C}: no workflow in Temporal; kept (use --prune to delete)" in report.lines()
    with session_scope(engine) as session:
        assert case_snapshot(session, C) is not None
    # A case whose state could not be fetched is present in Temporal: never pruned.
    assert rebuild(engine, final_views(), prune=True, present=(C,)).stale == []
    report = rebuild(engine, final_views(), prune=True)
    assert report.pruned and report.stale == [C]
    with session_scope(engine) as session:
        assert case_snapshot(session, C) is None
        assert verify_audit(session, C) is None  # the audit chain outlives the read model
    with engine.connect() as conn:
        assert (
            conn.execute(
                text("SELECT count(*) FROM case_tasks WHERE reference = :r"), {"r": C}
            ).scalar()
            == 0
        )
        assert (
            conn.execute(text("SELECT count(*) FROM audit_log WHERE chain = :r"), {"r": C}).scalar()
            == 6
        )
