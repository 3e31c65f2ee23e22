"""Projection: newer versions win, whatever the order; duplicates change nothing."""

from __future__ import annotations

import random
import threading

import pytest
from sqlalchemy import Engine, func, select, text
from sqlmodel import SQLModel, col

from domain.case import CaseStatus, CaseView, ExemptionClaim
from domain.projection import ProjectionBaseline, complete_changes
from store.db import session_scope
from store.models import (
    AuditRow,
    CaseRow,
    DisclosureRow,
    DocumentRow,
    ExemptionClaimRow,
    SignOffRow,
)
from store.projection import apply_case_view, write_changes
from store.rebuild import Snapshot, case_snapshot, view_snapshot

from case_factory import REQUESTER, make_view

REF = "01.FOI.23.000001"


def apply(engine: Engine, view: CaseView) -> bool:
    with session_scope(engine) as session:
        return apply_case_view(session, view)


def snapshot(engine: Engine, reference: str = REF) -> Snapshot | None:
    with session_scope(engine) as session:
        return case_snapshot(session, reference)


def audit_seqs(engine: Engine, reference: str = REF) -> list[int]:
    with session_scope(engine) as session:
        return list(
            session.scalars(
                select(col(AuditRow.seq))
                .where(col(AuditRow.chain) == reference)
                .order_by(col(AuditRow.seq))
            )
        )


def test_a_view_is_projected_into_case_and_child_rows(engine: Engine) -> None:
    view = make_view(version=3)
    assert apply(engine, view) is True
    stored = snapshot(engine)
    assert stored == view_snapshot(view)
    assert stored is not None
    assert stored["case"]["status"] == "in_progress"
    assert stored["case"]["owning_units"] == ["community-engagement", "hate-crime", "vawg"]
    claims = {(c["question"], c["section"]) for c in stored["exemption_claims"]}
    assert claims == {(2, "31"), (2, "40")}
    assert audit_seqs(engine) == [1, 2, 3]


def test_duplicate_delivery_changes_nothing(engine: Engine) -> None:
    view = make_view(version=4)
    assert apply(engine, view) is True
    first = snapshot(engine)
    assert apply(engine, view) is False
    assert apply(engine, view.model_copy(update={"status": CaseStatus.ISSUED})) is False
    assert snapshot(engine) == first
    assert audit_seqs(engine) == [1, 2, 3, 4]
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(DocumentRow)) == 1


def test_reversed_delivery_never_moves_a_case_backwards(engine: Engine) -> None:
    views = [make_view(version=v) for v in range(1, 7)]
    for view in reversed(views):
        apply(engine, view)
    assert snapshot(engine) == view_snapshot(views[-1])
    assert audit_seqs(engine) == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_any_delivery_order_ends_at_the_newest_version(engine: Engine, seed: int) -> None:
    views = [make_view(version=v) for v in range(1, 8)]
    order = views + views[2:5]  # some delivered twice (activity retries)
    random.Random(seed).shuffle(order)
    applied = [apply(engine, v) for v in order]
    assert snapshot(engine) == view_snapshot(views[-1])
    assert applied.count(True) <= len(views)
    # The audit chain holds every entry exactly once, even the ones whose view was overtaken.
    assert audit_seqs(engine) == sorted(set(audit_seqs(engine)))
    assert audit_seqs(engine)[-1] == 7


def test_children_dropped_from_a_newer_view_are_removed(engine: Engine) -> None:
    apply(engine, make_view(version=3))
    withdrawn = make_view(version=4, tasks=[], sign_offs=[], reminders=[], owning_units=[])
    apply(engine, withdrawn)
    stored = snapshot(engine)
    assert stored is not None
    assert stored["case_tasks"] == stored["exemption_claims"] == stored["sign_offs"] == []


def test_changed_response_drafts_are_kept_as_document_versions(engine: Engine) -> None:
    for version in range(4, 7):  # v4 and v5 have different drafts, v6 repeats v5's
        apply(engine, make_view(version=version))
    with session_scope(engine) as session:
        docs = session.scalars(select(DocumentRow).order_by(col(DocumentRow.version))).all()
        assert [(d.kind, d.version, d.text) for d in docs] == [
            ("response", 1, "Draft response (v4)"),
            ("response", 2, "Draft response (v5)"),
        ]


def test_the_requester_is_never_stored(engine: Engine) -> None:
    for version in range(1, 7):
        apply(engine, make_view(version=version))
    needles = [REQUESTER.name, str(REQUESTER.email), "Zebedee"]
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            for row in conn.execute(table.select()):
                flat = " ".join(str(v) for v in row)
                assert not any(n in flat for n in needles), f"{table.name} holds requester data"


def test_independent_cases_do_not_interfere(engine: Engine) -> None:
    apply(engine, make_view("01.FOI.23.000001", version=5))
    apply(engine, make_view("01.FOI.23.000002", version=2))
    assert snapshot(engine, "01.FOI.23.000001") == view_snapshot(make_view("01.FOI.23.000001", 5))
    assert snapshot(engine, "01.FOI.23.000002") == view_snapshot(make_view("01.FOI.23.000002", 2))
    assert audit_seqs(engine, "01.FOI.23.000002") == [1, 2]


def test_concurrent_deliveries_on_postgresql(pg_engine: Engine) -> None:
    """Racing threads (own connections) delivering shuffled versions of several cases."""
    refs = [f"01.FOI.23.{n:06d}" for n in range(1, 4)]
    views = [make_view(ref, version=v) for ref in refs for v in range(1, 8)]
    work = views * 3
    random.Random(7).shuffle(work)
    chunks = [work[i::8] for i in range(8)]
    errors: list[BaseException] = []
    start = threading.Barrier(len(chunks))

    def deliver(chunk: list[CaseView]) -> None:
        start.wait()
        try:
            for view in chunk:
                apply(pg_engine, view)
        except BaseException as exc:  # surfaced below; a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=deliver, args=(c,)) for c in chunks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for ref in refs:
        assert snapshot(pg_engine, ref) == view_snapshot(make_view(ref, version=7))
        assert audit_seqs(pg_engine, ref) == [1, 2, 3, 4, 5, 6, 7]
    with pg_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM cases")).scalar() == len(refs)
        assert conn.scalar(select(func.max(CaseRow.version))) == 7


def test_claims_are_kept_as_their_regimes_catalogue_keys(engine: Engine) -> None:
    # However the unit wrote them ("reg 12(5)(a)" is longer than the column), the read model
    # keeps the catalogue's key, on PostgreSQL too.
    view = make_view(REF, 3, regime="eir")
    answered = view.tasks[1].model_copy(
        update={
            "answer": view.tasks[1].answer.model_copy(  # type: ignore[union-attr]
                update={
                    "claims": [
                        ExemptionClaim(section="reg 12(5)(a)"),
                        ExemptionClaim(section="Regulation 13", subsections="(1)"),
                    ]
                }
            )
        }
    )
    view = view.model_copy(update={"tasks": [view.tasks[0], answered, view.tasks[2]]})
    assert apply(engine, view)
    with session_scope(engine) as session:
        sections = session.scalars(
            select(col(ExemptionClaimRow.section)).order_by(col(ExemptionClaimRow.section))
        ).all()
    assert sections == ["12(5)(a)", "13"]


def test_projections_of_changes_end_where_whole_views_do_and_keep_rows_in_place(
    engine: Engine,
) -> None:
    # The workflow's path: the first projection of a run is complete, then only what changed.
    baseline = ProjectionBaseline()
    sizes = []
    sign_off_ids: set[int | None] = set()
    for version in range(1, 8):
        view = make_view(version=version)
        changes = baseline.changes(view)
        changes.timeline = view.timeline[-1:]
        sizes.append(len(changes.model_dump_json()))
        with session_scope(engine) as session:
            assert write_changes(session, changes) is True
            sign_off_ids |= {
                s.id for s in session.scalars(select(SignOffRow)).all() if s.section == "31"
            }
        baseline.sent()
        assert snapshot(engine) == view_snapshot(view)
    assert audit_seqs(engine) == list(range(1, 8))
    # The s31 sign-off was decided (v4) and stayed one row, updated where it was.
    assert len(sign_off_ids) == 1
    # Nothing changed but the case row and one timeline entry: far smaller than the case.
    assert sizes[-1] < len(make_view(version=7).model_dump_json()) / 3


def test_a_complete_projection_removes_rows_it_does_not_list(engine: Engine) -> None:
    apply(engine, make_view(version=5))
    fresh = make_view(version=6).model_copy(update={"sign_offs": [], "reminders": []})
    with session_scope(engine) as session:
        write_changes(session, complete_changes(fresh))
    assert snapshot(engine) == view_snapshot(fresh)


def test_the_disclosure_log_gets_the_letter_an_earlier_projection_carried(engine: Engine) -> None:
    baseline = ProjectionBaseline()
    drafted = make_view(version=5)
    with session_scope(engine) as session:
        write_changes(session, baseline.changes(drafted))
    baseline.sent()
    issued = make_view(version=6, response=drafted.response)
    changes = baseline.changes(issued)
    assert changes.response is None  # unchanged since v5
    assert changes.issued is not None and changes.issued.response is not None
    assert changes.issued.response.text == ""  # not carried twice
    with session_scope(engine) as session:
        write_changes(session, changes)
        row = session.get(DisclosureRow, REF)
        assert row is not None and row.response_text == "Draft response (v5)"
