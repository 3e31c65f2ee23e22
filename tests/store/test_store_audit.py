"""The audit log's hash chains verify, and any edit, removal or truncation is caught."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner

from cli.store_cmds import app
from store.audit import GENESIS, AuditBreak, AuditEntry, append_audit, entry_hash, verify_audit
from store.db import session_scope
from store.models import REF_DATA_KEY
from store.projection import apply_case_view
from store.refdata import save_unit
from store.schema import UnitSpec

from case_factory import make_view

A, B = "01.FOI.23.000001", "01.FOI.23.000002"


def _project(engine: Engine) -> None:
    with session_scope(engine) as session:
        apply_case_view(session, make_view(A, version=5))
        apply_case_view(session, make_view(B, version=3))


def _verify(engine: Engine, reference: str | None = None) -> AuditBreak | None:
    with session_scope(engine) as session:
        return verify_audit(session, reference)


def test_an_untouched_log_verifies(engine: Engine) -> None:
    _project(engine)
    with session_scope(engine) as session:
        save_unit(session, UnitSpec(id="vawg", name="VAWG strategic unit"), "aisha-rahman")
    assert _verify(engine) is None
    assert _verify(engine, A) is None
    assert _verify(engine, "no-such-case") is None


def test_hashes_chain_from_genesis() -> None:
    at = datetime(2023, 10, 2, 9, 30, tzinfo=UTC)
    first = entry_hash(GENESIS, chain="c", seq=1, at=at, actor="system", kind="k", text="t")
    assert len(first) == 64
    assert first != entry_hash(GENESIS, chain="c", seq=1, at=at, actor="system", kind="k", text="u")
    # The same instant in another offset hashes the same.
    other = at.astimezone(datetime.now().astimezone().tzinfo)
    assert first == entry_hash(
        GENESIS, chain="c", seq=1, at=other, actor="system", kind="k", text="t"
    )


def test_an_edited_row_is_reported_with_its_case_and_seq(engine: Engine) -> None:
    _project(engine)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE audit_log SET text = 'nothing to see' WHERE chain = :c AND seq = 3"),
            {"c": A},
        )
    broken = _verify(engine)
    assert broken is not None
    assert (broken.chain, broken.seq) == (A, 3)
    assert "edited" in broken.problem
    assert _verify(engine, B) is None  # the other case's chain is intact


def test_an_edited_timestamp_or_actor_is_caught(engine: Engine) -> None:
    _project(engine)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE audit_log SET actor = 'someone-else' WHERE chain = :c AND seq = 2"),
            {"c": B},
        )
    broken = _verify(engine)
    assert broken is not None and (broken.chain, broken.seq) == (B, 2)


def test_a_removed_row_breaks_the_next_link(engine: Engine) -> None:
    _project(engine)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE chain = :c AND seq = 2"), {"c": A})
    broken = _verify(engine)
    assert broken is not None
    assert (broken.chain, broken.seq) == (A, 3)
    assert "prev_hash" in broken.problem


def test_a_truncated_tail_is_caught_by_the_head(engine: Engine) -> None:
    _project(engine)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE chain = :c AND seq = 5"), {"c": A})
    broken = _verify(engine, A)
    assert broken is not None and "head" in broken.problem


def test_appends_with_seq_are_idempotent_and_without_seq_continue(engine: Engine) -> None:
    at = datetime(2024, 1, 1, tzinfo=UTC)
    entries = [AuditEntry(at=at, actor="system", kind="k", text=f"e{i}", seq=i) for i in (1, 2)]
    with session_scope(engine) as session:
        assert append_audit(session, "chain-x", entries) == 2
        assert append_audit(session, "chain-x", entries) == 0
        assert (
            append_audit(session, "chain-x", [AuditEntry(at=at, actor="a", kind="k", text="e3")])
            == 1
        )
    assert _verify(engine, "chain-x") is None


def test_appends_wait_only_for_the_same_case_on_postgresql(pg_engine: Engine) -> None:
    """A case's audit chain is locked until its transaction ends; other cases go on."""
    at = datetime(2024, 1, 8, 9, tzinfo=UTC)
    entry = [AuditEntry(at=at, actor="aisha-rahman", kind="answered", text="Q1 answered")]
    with session_scope(pg_engine) as session:
        append_audit(session, A, entry)
        append_audit(session, B, entry)
    with session_scope(pg_engine) as holding:
        assert append_audit(holding, A, entry) == 1  # A's head stays locked until this commits
        with session_scope(pg_engine) as other_case:
            # Bounded so that a regression fails here instead of hanging the test on itself.
            other_case.execute(text("SET LOCAL lock_timeout = '10s'"))
            assert append_audit(other_case, B, entry) == 1  # and commits, chain of heads too
        with (
            pytest.raises(OperationalError, match="lock timeout"),
            session_scope(pg_engine) as same_case,
        ):
            same_case.execute(text("SET LOCAL lock_timeout = '100ms'"))
            append_audit(same_case, A, entry)
    with pg_engine.connect() as conn:
        logged = conn.execute(
            text("SELECT chain, max(seq) FROM audit_log GROUP BY chain ORDER BY chain")
        ).all()
    assert [tuple(r) for r in logged] == [(A, 2), (B, 2)]
    assert _verify(pg_engine) is None


def _wait_for_a_blocked_writer(engine: Engine) -> None:
    """Until another connection waits on a lock (not a timing: the writer must be queued)."""
    for _ in range(3000):
        with engine.connect() as conn:
            waiting = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar()
        if waiting:
            return
        time.sleep(0.01)
    raise AssertionError("the second writer never waited for the first")


def test_two_writers_to_one_case_append_in_turn_on_postgresql(pg_engine: Engine) -> None:
    at = datetime(2024, 1, 8, 9, tzinfo=UTC)
    with session_scope(pg_engine) as session:
        append_audit(session, A, [AuditEntry(at=at, actor="system", kind="received", text="r")])
    errors: list[BaseException] = []

    def second_writer() -> None:
        try:
            with session_scope(pg_engine) as session:
                append_audit(session, A, [AuditEntry(at=at, actor="b", kind="k", text="second")])
        except BaseException as exc:  # surfaced below; a thread's exception is otherwise lost
            errors.append(exc)

    writer = threading.Thread(target=second_writer)
    with session_scope(pg_engine) as first:
        append_audit(first, A, [AuditEntry(at=at, actor="a", kind="k", text="first")])
        writer.start()
        _wait_for_a_blocked_writer(pg_engine)
    writer.join()
    assert errors == []
    with pg_engine.connect() as conn:
        rows = conn.execute(
            text("SELECT seq, text FROM audit_log WHERE chain = :c ORDER BY seq"), {"c": A}
        ).all()
    assert [tuple(r) for r in rows] == [(1, "r"), (2, "first"), (3, "second")]
    assert _verify(pg_engine) is None


def test_a_rolled_back_savepoint_leaves_the_chain_of_heads_matching(engine: Engine) -> None:
    at = datetime(2024, 1, 8, 9, tzinfo=UTC)
    entry = [AuditEntry(at=at, actor="aisha-rahman", kind="answered", text="Q1 answered")]
    with session_scope(engine) as session:
        append_audit(session, A, entry)
    with session_scope(engine) as session:
        with pytest.raises(RuntimeError), session.begin_nested():
            append_audit(session, A, entry)
            raise RuntimeError("abandoned")
        append_audit(session, B, entry)
    assert _verify(engine) is None
    assert _verify(engine, A) is None


def test_reference_data_edits_are_audited(engine: Engine) -> None:
    with session_scope(engine) as session:
        save_unit(session, UnitSpec(id="foi", name="Information rights"), "mark-ellis")
        save_unit(session, UnitSpec(id="foi", name="Information rights unit"), "mark-ellis")
        save_unit(session, UnitSpec(id="foi", name="Information rights unit"), "mark-ellis")
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT seq, actor, kind, text FROM audit_log WHERE chain = :c ORDER BY seq"),
            {"c": REF_DATA_KEY},
        ).all()
    assert [(r.seq, r.actor, r.kind) for r in rows] == [
        (1, "mark-ellis", "unit.added"),
        (2, "mark-ellis", "unit.updated"),
    ]
    assert "'Information rights' → 'Information rights unit'" in rows[1].text


def test_cli_verify_audit_exits_non_zero_on_a_broken_chain(engine: Engine, db_url: str) -> None:
    _project(engine)
    runner = CliRunner()
    env = {"FOIFLOW_DATABASE_URL": db_url}
    ok = runner.invoke(app, ["verify-audit", "--store-only"], env=env)
    assert ok.exit_code == 0, ok.output
    assert "intact: 8 entries" in ok.output
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET kind = 'x' WHERE chain = :c AND seq = 4"), {"c": A})
    broken = runner.invoke(app, ["verify-audit", "--store-only"], env=env)
    assert broken.exit_code == 1
    assert f"{A} #4" in broken.output
    assert runner.invoke(app, ["verify-audit", "--store-only", B], env=env).exit_code == 0
    missing = runner.invoke(app, ["verify-audit", "--store-only", "01.FOI.99.999999"], env=env)
    assert missing.exit_code == 2
