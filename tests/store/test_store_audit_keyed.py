"""The keyed audit log holds: what the plain hash chain let through is caught.

Each tampering here is done the way someone with write access to the database (and no audit key)
would do it: plain SQL, re-hashing with the published algorithm, setting heads to match. Run on
SQLite and PostgreSQL (the ``engine`` fixture).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from cli.store_cmds import app
from settings import Settings
from store.audit import (
    GENESIS,
    HEADS_CHAIN,
    AuditEntry,
    AuditKey,
    AuditKeyError,
    AuditKeyring,
    append_audit,
    audit_keyring,
    check_audit,
    entry_hash,
    use_audit_keys,
    verify_audit,
)
from store.audit_keys import AUDIT_KEY_FILE, load_audit_keyring
from store.db import alembic_config, dispose_engine, get_engine, migrate, session_scope
from store.projection import apply_case_view
from store.refdata import save_unit
from store.schema import UnitSpec

from case_factory import make_view
from store_test_db import drop_pg_database, new_pg_database

A, B = "01.FOI.23.000001", "01.FOI.23.000002"


def _project(engine: Engine) -> None:
    with session_scope(engine) as session:
        apply_case_view(session, make_view(A, version=5))
        apply_case_view(session, make_view(B, version=3))


def _verify(engine: Engine, reference: str | None = None) -> str | None:
    with session_scope(engine) as session:
        broken = verify_audit(session, reference)
    return None if broken is None else str(broken)


def _cli_verify(db_url: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        app, ["verify-audit", "--store-only"], env={"FOIFLOW_DATABASE_URL": db_url}
    )
    return result.exit_code, result.output


def _stored_time(value: datetime | str) -> datetime:
    """A timestamp read with plain SQL: text or naive UTC on SQLite, aware on PostgreSQL."""
    at = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def _rehash_without_key(engine: Engine, chain: str, *, legacy_alg: bool = False) -> None:
    """Recompute every row's hash as the published (unkeyed) algorithm would, and the head."""
    with engine.begin() as conn:
        rows = conn.execute(
            text("SELECT seq, at, actor, kind, text FROM audit_log WHERE chain = :c ORDER BY seq"),
            {"c": chain},
        ).all()
        prev = GENESIS
        for row in rows:
            digest = entry_hash(
                prev,
                chain=chain,
                seq=row.seq,
                at=_stored_time(row.at),
                actor=row.actor,
                kind=row.kind,
                text=row.text,
            )
            conn.execute(
                text(
                    "UPDATE audit_log SET prev_hash = :p, hash = :h"
                    + (", alg = 'sha256'" if legacy_alg else "")
                    + " WHERE chain = :c AND seq = :s"
                ),
                {"p": prev, "h": digest, "c": chain, "s": row.seq},
            )
            prev = digest
        conn.execute(
            text("UPDATE audit_heads SET last_hash = :h WHERE chain = :c"), {"h": prev, "c": chain}
        )


@pytest.fixture
def other_keys() -> Iterator[None]:
    """Restores the session's audit keys after a test that swaps them."""
    keyring = audit_keyring()
    yield
    use_audit_keys(keyring)


# --- What the plain chain already caught still is ----------------------------------------


def test_an_edited_row_is_caught(engine: Engine) -> None:
    _project(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET text = 'x' WHERE chain = :c AND seq = 3"), {"c": A})
    assert _verify(engine) == (
        f"audit chain broken at {A} #3: content does not match its hash "
        "(row edited, or rewritten without the key)"
    )


def test_a_deleted_middle_row_is_caught(engine: Engine) -> None:
    _project(engine)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE chain = :c AND seq = 2"), {"c": A})
    broken = _verify(engine)
    assert broken is not None and f"{A} #3" in broken and "prev_hash" in broken


def test_a_deleted_last_row_is_caught(engine: Engine) -> None:
    _project(engine)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE chain = :c AND seq = 5"), {"c": A})
    broken = _verify(engine, A)
    assert broken is not None and "head" in broken


# --- What it did not ---------------------------------------------------------------------


def test_a_deleted_last_row_with_its_head_set_back_is_caught(engine: Engine) -> None:
    _project(engine)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE chain = :c AND seq = 5"), {"c": A})
        conn.execute(
            text(
                "UPDATE audit_heads SET last_seq = 4, last_hash = "
                "(SELECT hash FROM audit_log WHERE chain = :c AND seq = 4) WHERE chain = :c"
            ),
            {"c": A},
        )
    code, output = _cli_verify(engine.url.render_as_string(hide_password=False))
    assert code == 1, output
    assert f"audit chain broken at {A} #4: the chain of heads records #5" in output


def test_a_deleted_whole_chain_and_head_are_caught(engine: Engine) -> None:
    _project(engine)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE chain = :c"), {"c": A})
        conn.execute(text("DELETE FROM audit_heads WHERE chain = :c"), {"c": A})
    code, output = _cli_verify(engine.url.render_as_string(hide_password=False))
    assert code == 1, output
    assert f"audit chain broken at {A}: the chain of heads records it up to #5" in output
    assert "chain deleted" in output


def test_a_rewritten_and_rehashed_chain_is_caught(engine: Engine) -> None:
    _project(engine)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE audit_log SET text = 'Q2 never routed' WHERE chain = :c AND seq = 2"),
            {"c": A},
        )
    _rehash_without_key(engine, A)
    code, output = _cli_verify(engine.url.render_as_string(hide_password=False))
    assert code == 1, output
    assert f"audit chain broken at {A} #1: content does not match its hash" in output


def test_a_chain_rehashed_as_unkeyed_rows_is_caught(engine: Engine) -> None:
    """Marking the rewritten rows as the old algorithm does not help: the chain of heads holds
    the hash the chain had, under the key."""
    _project(engine)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE audit_log SET text = 'Q2 never routed' WHERE chain = :c AND seq = 2"),
            {"c": A},
        )
    _rehash_without_key(engine, A, legacy_alg=True)
    broken = _verify(engine)
    assert broken is not None
    assert f"{A} #5: the chain of heads records #5 with another hash" in broken


def test_a_downgrade_inside_a_chain_is_caught(engine: Engine) -> None:
    _project(engine)
    with session_scope(engine) as session:
        apply_case_view(session, make_view(A, version=6))
    with engine.begin() as conn:  # the last row re-made as an unkeyed one
        row = conn.execute(
            text(
                "SELECT prev_hash, at, actor, kind, text FROM audit_log "
                "WHERE chain = :c AND seq = 6"
            ),
            {"c": A},
        ).one()
        digest = entry_hash(
            row.prev_hash,
            chain=A,
            seq=6,
            at=_stored_time(row.at),
            actor=row.actor,
            kind=row.kind,
            text=row.text,
        )
        conn.execute(
            text("UPDATE audit_log SET alg = 'sha256', hash = :h WHERE chain = :c AND seq = 6"),
            {"h": digest, "c": A},
        )
    broken = _verify(engine, A)
    assert broken is not None and f"{A} #6: an unkeyed row after keyed ones" in broken


def test_an_edited_or_removed_record_in_the_chain_of_heads_is_caught(engine: Engine) -> None:
    _project(engine)
    with session_scope(engine) as session:
        save_unit(session, UnitSpec(id="vawg", name="VAWG"), "aisha-rahman")
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_head_log SET chain_seq = 4 WHERE seq = 1"))
    broken = _verify(engine)
    assert broken is not None and "chain of heads #1: record does not match its hash" in broken
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_head_log WHERE seq = 1"))
    broken = _verify(engine)
    assert broken is not None and "chain of heads #2: follows #0" in broken


def test_every_commit_records_the_heads_it_moved(engine: Engine) -> None:
    _project(engine)  # one transaction, two cases
    with session_scope(engine) as session:
        save_unit(session, UnitSpec(id="vawg", name="VAWG"), "aisha-rahman")
        apply_case_view(session, make_view(B, version=4))
    with engine.connect() as conn:
        recorded = conn.execute(
            text("SELECT seq, chain, chain_seq FROM audit_head_log ORDER BY seq")
        ).all()
    assert [tuple(r) for r in recorded] == [(1, A, 5), (2, B, 3), (3, B, 4), (4, "ref-data", 1)]
    with session_scope(engine) as session:
        check = check_audit(session)
    assert check.intact and (check.entries, check.head_records, check.heads_seq) == (10, 4, 4)


def test_a_rolled_back_transaction_records_nothing(engine: Engine) -> None:
    with session_scope(engine) as session:
        apply_case_view(session, make_view(A, version=2))
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        apply_case_view(session, make_view(A, version=3))
        raise RuntimeError("abandoned")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_head_log")).scalar() == 1
    assert _verify(engine) is None


# --- Rows from before keying ------------------------------------------------------------


def _legacy_chain(engine: Engine, chain: str, n: int) -> None:
    """Rows as foiflow wrote them before revision 0006: plain sha256, no chain of heads."""
    prev = GENESIS
    with engine.begin() as conn:
        for seq in range(1, n + 1):
            at = datetime(2023, 1, seq, tzinfo=UTC)
            digest = entry_hash(
                prev, chain=chain, seq=seq, at=at, actor="system", kind="k", text=f"e{seq}"
            )
            conn.execute(
                text(
                    "INSERT INTO audit_log (chain, seq, at, actor, kind, text, prev_hash, hash) "
                    "VALUES (:c, :s, :at, 'system', 'k', :t, :p, :h)"
                ),
                {
                    "c": chain,
                    "s": seq,
                    "at": at if engine.dialect.name != "sqlite" else at.replace(tzinfo=None),
                    "t": f"e{seq}",
                    "p": prev,
                    "h": digest,
                },
            )
            prev = digest
        conn.execute(
            text("INSERT INTO audit_heads (chain, last_seq, last_hash) VALUES (:c, :s, :h)"),
            {"c": chain, "s": n, "h": prev},
        )


def test_unkeyed_rows_still_verify_and_are_pinned_by_the_first_keyed_write(engine: Engine) -> None:
    _legacy_chain(engine, "01.FOI.22.000009", 3)
    assert _verify(engine) is None  # as written before keying
    with session_scope(engine) as session:  # the first keyed write records the old head
        apply_case_view(session, make_view(A, version=2))
    with engine.connect() as conn:
        alg = conn.execute(text("SELECT alg FROM audit_log WHERE chain = '01.FOI.22.000009'"))
        assert {r.alg for r in alg} == {"sha256"}
        recorded = conn.execute(text("SELECT chain, chain_seq FROM audit_head_log ORDER BY seq"))
        assert [tuple(r) for r in recorded] == [("01.FOI.22.000009", 3), (A, 2)]
    assert _verify(engine) is None
    # Re-hashing the old chain now is caught: its head is on record under the key.
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE audit_log SET text = 'x' WHERE chain = '01.FOI.22.000009' AND seq = 1")
        )
    _rehash_without_key(engine, "01.FOI.22.000009", legacy_alg=True)
    broken = _verify(engine)
    assert broken is not None and "01.FOI.22.000009 #3: the chain of heads records #3" in broken


def test_an_unkeyed_chain_added_after_keying_is_caught(engine: Engine) -> None:
    _project(engine)
    _legacy_chain(engine, "01.FOI.22.000010", 2)
    broken = _verify(engine)
    assert broken is not None
    assert "01.FOI.22.000010: not in the chain of heads" in broken


# --- Keys ---------------------------------------------------------------------------------


def test_rows_need_the_key_they_were_signed_with(engine: Engine, other_keys: None) -> None:
    _project(engine)
    old = audit_keyring().current
    new = AuditKey(b"n" * 48)
    use_audit_keys(AuditKeyring(current=new))
    broken = _verify(engine)
    assert broken is not None
    assert f"signed with audit key {old.kid}, which this process does not have" in broken
    assert old.secret.decode() not in broken  # never the key itself
    use_audit_keys(AuditKeyring(current=new, previous=(old,)))  # a rotated key, kept
    with session_scope(engine) as session:
        apply_case_view(session, make_view(A, version=6))
    assert _verify(engine) is None


def test_nothing_is_logged_without_a_key(engine: Engine, other_keys: None) -> None:
    use_audit_keys(None)
    with (
        pytest.raises(AuditKeyError, match="no audit key configured"),
        session_scope(engine) as session,
    ):
        append_audit(session, A, [AuditEntry(at=datetime.now(UTC), actor="a", kind="k", text="t")])
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar() == 0


def test_the_heads_chain_name_is_reserved(engine: Engine) -> None:
    with pytest.raises(ValueError, match="reserved"), session_scope(engine) as session:
        append_audit(
            session, HEADS_CHAIN, [AuditEntry(at=datetime.now(UTC), actor="a", kind="k", text="t")]
        )


def test_a_generated_key_is_kept_private_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, audit_key="")
    first = load_audit_keyring(settings).current
    path = tmp_path / AUDIT_KEY_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_audit_keyring(settings).current == first  # made once, then read
    configured = Settings(data_dir=tmp_path, audit_key="c" * 40)
    assert load_audit_keyring(configured).current.secret == b"c" * 40
    with pytest.raises(ValueError, match="FOIFLOW_AUDIT_KEY: an audit key needs at least 32"):
        load_audit_keyring(Settings(data_dir=tmp_path, audit_key="short"))
    path.write_text("x\n")
    with pytest.raises(RuntimeError, match="no usable audit key"):
        load_audit_keyring(settings)


# --- Upgrading a store written before keying --------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database, for migrating step by step."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'upgrade.db'}"
        yield url
        dispose_engine(url)
    else:
        request.getfixturevalue("pg_available")
        url = new_pg_database("foiflow_upgrade")
        try:
            yield url
        finally:
            drop_pg_database(url)


def test_an_upgraded_store_keeps_its_old_rows_verifiable(fresh_url: str) -> None:
    engine = get_engine(fresh_url)
    cfg = alembic_config(fresh_url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0003_intake_register")  # the schema before keying
    _legacy_chain(engine, "01.FOI.22.000009", 3)
    migrate(fresh_url)
    with engine.connect() as conn:
        algs = conn.execute(text("SELECT DISTINCT alg FROM audit_log")).scalars().all()
    assert algs == ["sha256"]
    assert _verify(engine) is None
    with session_scope(engine) as session:
        apply_case_view(session, make_view(A, version=3))
    assert _verify(engine) is None
    with engine.begin() as conn:  # the old chain is pinned now: a rewrite is caught
        conn.execute(
            text("UPDATE audit_log SET text = 'x' WHERE chain = '01.FOI.22.000009' AND seq = 2")
        )
    _rehash_without_key(engine, "01.FOI.22.000009")
    broken = _verify(engine)
    assert broken is not None and "01.FOI.22.000009 #3: the chain of heads records #3" in broken
