"""The audit log: append-only rows, hash-chained per case (or per ``ref-data``), keyed, verifiable.

Each row's hash is ``HMAC-SHA256(audit key, prev_hash + canonical JSON of its content)``; the
first row of a chain links to :data:`GENESIS`. Editing any row breaks its own hash; deleting or
inserting one breaks the next row's ``prev_hash``; and rewriting a row and re-hashing every later
one needs the key, which lives outside the database (settings, or a file in the data directory).

Every committed change of a chain's head is recorded in the *chain of heads*
(``audit_head_log``), itself keyed and chained. A chain deleted whole, rows and head together, is
still named there with the seq and hash it had; a tail cut off and the head set back no longer
matches its record.

Rows written before revision 0006 carry ``alg = 'sha256'`` (a plain hash chain) and verify as
they were written. The first keyed write records every such chain's head in the chain of heads,
which pins them: from then on rewriting one is caught too. Rows never change algorithm, and a
plain row after a keyed one in a chain is refused as a downgrade.

What stays out of reach of any check inside one database: truncating the chain of heads' own
tail together with everything it recorded since. ``verify-audit`` prints the chain of heads' last
link; noting it elsewhere (a ticket, a log shipped off the host) closes that too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    Table,
    bindparam,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session
from sqlmodel import col

from store.db import dialect_insert
from store.models import REF_DATA_KEY, AuditHeadLogRow, AuditHeadRow, AuditRow, utcnow

GENESIS = "0" * 64
LEGACY_ALG = "sha256"  # rows from before revision 0006
HMAC_ALG = "hmac-sha256"
# The chain of heads' own head, kept beside the others in audit_heads. No case reference
# contains "#", so it can never be a case's chain.
HEADS_CHAIN = "#heads"
HEADS_LABEL = "chain of heads"

# Chains whose head moved in the session's transaction: recorded in the chain of heads at commit.
_PENDING = "foiflow.audit.pending_heads"

# Appends run on every projection, so they are Core statements built once (SQLAlchemy caches
# their compiled form): no ORM objects, no unit of work, one INSERT for a projection's entries.
_LOG: Table = AuditRow.__table__  # type: ignore[attr-defined]
_HEADS: Table = AuditHeadRow.__table__  # type: ignore[attr-defined]
_HEAD_LOG: Table = AuditHeadLogRow.__table__  # type: ignore[attr-defined]
# FOR UPDATE: appends to one chain queue on its head's row lock (PostgreSQL); different chains
# never wait on each other. SQLite drops the clause: its writers are serialized at BEGIN.
_LOCK_HEADS = (
    select(_HEADS.c.chain, _HEADS.c.last_seq, _HEADS.c.last_hash)
    .where(_HEADS.c.chain.in_(bindparam("chains", expanding=True)))
    .with_for_update()
)
_MOVE_HEAD = (
    update(_HEADS)
    .where(_HEADS.c.chain == bindparam("head_chain"))
    .values(last_seq=bindparam("new_seq"), last_hash=bindparam("new_hash"))
)
_INSERT_ROWS = insert(_LOG)
_INSERT_RECORDS = insert(_HEAD_LOG)


class AuditKeyError(RuntimeError):
    """No audit key is configured in this process, so nothing can be logged or verified."""


@dataclass(frozen=True)
class AuditKey:
    secret: bytes = field(repr=False)

    @property
    def kid(self) -> str:
        """A short public name for the key, stored with each row so rotation can verify."""
        return hashlib.sha256(b"foiflow-audit-key-id\x00" + self.secret).hexdigest()[:16]

    @property
    def alg(self) -> str:
        return f"{HMAC_ALG}:{self.kid}"


@dataclass(frozen=True)
class AuditKeyring:
    """The key new rows are signed with, and earlier keys whose rows must still verify."""

    current: AuditKey
    previous: tuple[AuditKey, ...] = ()

    def key_for(self, alg: str) -> AuditKey | None:
        return next((k for k in (self.current, *self.previous) if k.alg == alg), None)


KeySource = Callable[[], AuditKeyring]
_source: KeySource | None = None
_keyring: AuditKeyring | None = None
_keyring_lock = threading.Lock()


def use_audit_keys(source: AuditKeyring | KeySource | None) -> None:
    """Set the process's audit keys: a keyring, or a function loading it on first use (so a
    command that never touches the audit log never reads or makes a key). Entry points do this
    from settings: ``store.audit_keys.configure_audit``."""
    global _source, _keyring
    with _keyring_lock:
        if isinstance(source, AuditKeyring):
            _source, _keyring = None, source
        else:
            _source, _keyring = source, None


def audit_keyring() -> AuditKeyring:
    global _keyring
    with _keyring_lock:
        if _keyring is None and _source is not None:
            _keyring = _source()
        if _keyring is None:
            raise AuditKeyError(
                "no audit key configured in this process: entry points call "
                "store.audit_keys.configure_audit(settings) before writing to the store"
            )
        return _keyring


@dataclass(frozen=True)
class AuditEntry:
    """One event to log. ``seq`` None: the next in the chain; set: skip it when already logged."""

    at: datetime
    actor: str
    kind: str
    text: str
    seq: int | None = None


@dataclass(frozen=True)
class AuditBreak:
    """The first link that does not verify."""

    chain: str
    seq: int | None  # None: the chain as a whole (e.g. its head is missing)
    problem: str

    def __str__(self) -> str:
        where = f"{self.chain} #{self.seq}" if self.seq is not None else self.chain
        return f"audit chain broken at {where}: {self.problem}"


def _canonical_time(at: datetime) -> str:
    # Microseconds always, UTC always: both engines store microseconds, and the same instant
    # must hash the same whatever offset the caller used.
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _digest(key: AuditKey | None, message: str) -> str:
    data = message.encode("utf-8")
    if key is None:
        return hashlib.sha256(data).hexdigest()
    return hmac.new(key.secret, data, hashlib.sha256).hexdigest()


def entry_hash(
    prev_hash: str,
    *,
    chain: str,
    seq: int,
    at: datetime,
    actor: str,
    kind: str,
    text: str,
    key: AuditKey | None = None,
) -> str:
    """A row's hash: HMAC with ``key``, or the plain sha256 of rows from before keying."""
    content = json.dumps(
        [chain, seq, _canonical_time(at), actor, kind, text],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return _digest(key, prev_hash + content)


def head_record_hash(
    key: AuditKey,
    prev_hash: str,
    *,
    seq: int,
    chain: str,
    chain_seq: int,
    chain_hash: str,
    at: datetime,
) -> str:
    content = json.dumps(
        [HEADS_CHAIN, seq, chain, chain_seq, chain_hash, _canonical_time(at)],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return _digest(key, prev_hash + content)


def lock_chain(session: Session, chain: str) -> AuditHeadRow:
    """Lock ``chain``'s head until the transaction ends (creating it when new)."""
    _lock_heads(session.connection(), [chain])
    return session.execute(
        select(AuditHeadRow)
        .where(col(AuditHeadRow.chain) == chain)
        .execution_options(populate_existing=True)
    ).scalar_one()


def _lock_heads(conn: Connection, chains: list[str]) -> dict[str, tuple[int, str]]:
    """Lock the heads of ``chains`` until the transaction ends, creating the missing ones; each
    chain's last seq and hash. Lock a transaction's case chains before the chain of heads."""
    found = _locked(conn, chains)
    missing = [c for c in chains if c not in found]
    if missing:
        # Created without racing another creator (who may be creating it right now), then
        # locked like the others.
        conn.execute(
            dialect_insert(conn)(_HEADS).on_conflict_do_nothing(index_elements=["chain"]),
            [{"chain": c, "last_seq": 0, "last_hash": GENESIS} for c in missing],
        )
        found.update(_locked(conn, missing))
    return found


def _locked(conn: Connection, chains: list[str]) -> dict[str, tuple[int, str]]:
    return {
        row.chain: (row.last_seq, row.last_hash)
        for row in conn.execute(_LOCK_HEADS, {"chains": chains})
    }


def append_audit(session: Session, chain: str, entries: Iterable[AuditEntry]) -> int:
    """Append ``entries`` to ``chain`` in order; returns how many were new.

    Entries carrying a ``seq`` at or below the chain's last are already logged (a retried or
    reordered projection) and are skipped, which makes appending a timeline idempotent.
    """
    pending = list(entries)
    if not pending:
        return 0
    if chain == HEADS_CHAIN:
        raise ValueError(f"{HEADS_CHAIN!r} is reserved for the chain of heads")
    key = audit_keyring().current  # before any write: no key, no row
    conn = session.connection()
    last_seq, last_hash = _lock_heads(conn, [chain])[chain]
    rows: list[dict[str, Any]] = []
    for entry in sorted(pending, key=lambda e: e.seq if e.seq is not None else 0):
        if entry.seq is not None and entry.seq <= last_seq:
            continue
        seq = entry.seq if entry.seq is not None else last_seq + 1
        # Rounded to what both engines store, so the hash verifies after the round trip.
        at = entry.at.astimezone(UTC)
        digest = entry_hash(
            last_hash,
            chain=chain,
            seq=seq,
            at=at,
            actor=entry.actor,
            kind=entry.kind,
            text=entry.text,
            key=key,
        )
        rows.append(
            {
                "chain": chain,
                "seq": seq,
                "at": at,
                "actor": entry.actor,
                "kind": entry.kind,
                "text": entry.text,
                "prev_hash": last_hash,
                "hash": digest,
                "alg": key.alg,
            }
        )
        last_seq, last_hash = seq, digest
    if not rows:
        return 0
    conn.execute(_INSERT_ROWS, rows)
    conn.execute(_MOVE_HEAD, {"head_chain": chain, "new_seq": last_seq, "new_hash": last_hash})
    session.info.setdefault(_PENDING, set()).add(chain)
    return len(rows)


def record_ref_change(session: Session, actor: str, kind: str, text: str) -> None:
    """Log a reference-data edit (units, users, rules, settings) on the ``ref-data`` chain."""
    append_audit(
        session, REF_DATA_KEY, [AuditEntry(at=utcnow(), actor=actor, kind=kind, text=text)]
    )


# --- The chain of heads ----------------------------------------------------------------------


def _unkeyed_chains(session: Session) -> list[str]:
    """Chains with a head whose rows are all from before keying."""
    keyed = select(col(AuditRow.chain)).where(col(AuditRow.alg) != LEGACY_ALG).distinct()
    return list(
        session.scalars(
            select(col(AuditHeadRow.chain))
            .where(col(AuditHeadRow.chain) != HEADS_CHAIN)
            .where(col(AuditHeadRow.chain).not_in(keyed))
            .order_by(col(AuditHeadRow.chain))
        )
    )


def record_heads(session: Session, chains: Iterable[str]) -> int:
    """Record the current head of each of ``chains`` in the chain of heads; how many were.

    Run at commit (see ``_record_pending_heads``), after every case head the transaction locked,
    so the chain of heads' lock is always taken last and held only for the commit: two
    transactions never wait on each other in opposite orders. One statement reads the heads to
    record (already locked by this transaction) and locks the chain of heads' own; one INSERT
    writes the records.
    """
    key = audit_keyring().current
    conn = session.connection()
    wanted = list(dict.fromkeys(c for c in chains if c != HEADS_CHAIN))
    heads = _locked(conn, [*wanted, HEADS_CHAIN])
    if HEADS_CHAIN not in heads:
        heads.update(_lock_heads(conn, [HEADS_CHAIN]))
    heads_seq, heads_hash = heads[HEADS_CHAIN]
    if heads_seq == 0:
        # The first keyed write ever: pin the chains written before keying, once. Chains that
        # already hold keyed rows are not adopted: their records were here and have gone.
        # Read, not locked: a case lock taken after the chain of heads' could deadlock.
        unkeyed = [c for c in _unkeyed_chains(session) if c not in heads]
        heads.update(
            (row.chain, (row.last_seq, row.last_hash))
            for row in conn.execute(
                select(_HEADS.c.chain, _HEADS.c.last_seq, _HEADS.c.last_hash).where(
                    _HEADS.c.chain.in_(unkeyed)
                )
            )
        )
        wanted = list(dict.fromkeys([*unkeyed, *wanted]))
    at = utcnow()
    records: list[dict[str, Any]] = []
    for chain in wanted:
        chain_seq, chain_hash = heads.get(chain, (0, GENESIS))
        if chain_seq == 0:
            continue
        seq = heads_seq + 1
        digest = head_record_hash(
            key,
            heads_hash,
            seq=seq,
            chain=chain,
            chain_seq=chain_seq,
            chain_hash=chain_hash,
            at=at,
        )
        records.append(
            {
                "seq": seq,
                "chain": chain,
                "chain_seq": chain_seq,
                "chain_hash": chain_hash,
                "at": at,
                "prev_hash": heads_hash,
                "hash": digest,
                "alg": key.alg,
            }
        )
        heads_seq, heads_hash = seq, digest
    if records:
        conn.execute(_INSERT_RECORDS, records)
        conn.execute(
            _MOVE_HEAD, {"head_chain": HEADS_CHAIN, "new_seq": heads_seq, "new_hash": heads_hash}
        )
    return len(records)


@event.listens_for(Session, "before_commit")
def _record_pending_heads(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        record_heads(session, sorted(pending))


@event.listens_for(Session, "after_rollback")
def _forget_pending_heads(session: Session) -> None:
    session.info.pop(_PENDING, None)


# --- Verifying -------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeadRecord:
    seq: int  # in the chain of heads
    chain_seq: int
    chain_hash: str


@dataclass(frozen=True)
class AuditCheck:
    """What a verification saw: counts, the chain of heads' last link, the first break."""

    entries: int = 0
    chains: frozenset[str] = frozenset()
    head_records: int = 0
    heads_seq: int = 0
    heads_hash: str = GENESIS
    broken: AuditBreak | None = None

    @property
    def intact(self) -> bool:
        return self.broken is None


_Row = TypeVar("_Row", AuditRow, AuditHeadLogRow)


def _rows(session: Session, model: type[_Row], *where: ColumnElement[bool]) -> Iterator[_Row]:
    result = session.execute(
        select(model).where(*where).order_by(col(model.seq)).execution_options(yield_per=1000)
    )
    for row in result.scalars():
        yield row
        session.expunge(row)  # verifying a long chain must not grow the identity map


def _unknown_key(alg: str) -> str:
    kid = alg.partition(":")[2] or alg
    return (
        f"signed with audit key {kid}, which this process does not "
        "have (set FOIFLOW_AUDIT_KEY to the key the writers use, or list the old key in "
        "FOIFLOW_AUDIT_PREVIOUS_KEYS)"
    )


def _head_record_break(keyring: AuditKeyring, row: AuditHeadLogRow) -> str | None:
    key = keyring.key_for(row.alg)
    if key is None:
        return _unknown_key(row.alg)
    expected = head_record_hash(
        key,
        row.prev_hash,
        seq=row.seq,
        chain=row.chain,
        chain_seq=row.chain_seq,
        chain_hash=row.chain_hash,
        at=row.at,
    )
    if not hmac.compare_digest(row.hash, expected):
        return "record does not match its hash (edited, or written without the audit key)"
    return None


def _verify_head_log(
    session: Session, keyring: AuditKeyring, head: AuditHeadRow | None
) -> tuple[dict[str, HeadRecord], int, AuditBreak | None]:
    """The latest record of each chain, how many records there are, and the first break."""
    records: dict[str, HeadRecord] = {}
    prev_hash, last_seq = GENESIS, 0
    for row in _rows(session, AuditHeadLogRow):
        if row.seq != last_seq + 1:
            return (
                records,
                last_seq,
                AuditBreak(
                    HEADS_LABEL, row.seq, f"follows #{last_seq} (records removed or inserted)"
                ),
            )
        if row.prev_hash != prev_hash:
            return (
                records,
                last_seq,
                AuditBreak(HEADS_LABEL, row.seq, "prev_hash does not match the previous record"),
            )
        problem = _head_record_break(keyring, row)
        if problem is not None:
            return records, last_seq, AuditBreak(HEADS_LABEL, row.seq, problem)
        records[row.chain] = HeadRecord(row.seq, row.chain_seq, row.chain_hash)
        prev_hash, last_seq = row.hash, row.seq
    recorded = (head.last_seq, head.last_hash) if head is not None else (0, GENESIS)
    if recorded != (last_seq, prev_hash):
        return (
            records,
            last_seq,
            AuditBreak(
                HEADS_LABEL,
                None,
                f"ends at #{last_seq} but its head records #{recorded[0]} "
                "(records removed from the end, or the head edited)",
            ),
        )
    return records, last_seq, None


def _latest_record(
    session: Session, keyring: AuditKeyring, chain: str
) -> tuple[HeadRecord | None, AuditBreak | None]:
    row = session.scalars(
        select(AuditHeadLogRow)
        .where(col(AuditHeadLogRow.chain) == chain)
        .order_by(col(AuditHeadLogRow.seq).desc())
        .limit(1)
    ).first()
    if row is None:
        return None, None
    problem = _head_record_break(keyring, row)
    if problem is not None:
        return None, AuditBreak(HEADS_LABEL, row.seq, problem)
    return HeadRecord(row.seq, row.chain_seq, row.chain_hash), None


def _verify_chain(
    session: Session,
    keyring: AuditKeyring,
    chain: str,
    head: AuditHeadRow | None,
    record: HeadRecord | None,
    sealed: bool,
) -> tuple[int, AuditBreak | None]:
    """How many rows ``chain`` has, and its first break."""
    prev_hash, last_seq, count, keyed = GENESIS, 0, 0, False
    for row in _rows(session, AuditRow, col(AuditRow.chain) == chain):
        count += 1
        if row.seq <= last_seq:
            return count, AuditBreak(chain, row.seq, f"sequence goes back (after #{last_seq})")
        if row.prev_hash != prev_hash:
            return count, AuditBreak(
                chain,
                row.seq,
                "prev_hash does not match the previous row (row removed or inserted)",
            )
        if row.alg == LEGACY_ALG:
            if keyed:
                return count, AuditBreak(
                    chain, row.seq, "an unkeyed row after keyed ones (rewritten without the key)"
                )
            key = None
        else:
            key = keyring.key_for(row.alg)
            if key is None:
                return count, AuditBreak(chain, row.seq, _unknown_key(row.alg))
            keyed = True
        expected = entry_hash(
            row.prev_hash,
            chain=row.chain,
            seq=row.seq,
            at=row.at,
            actor=row.actor,
            kind=row.kind,
            text=row.text,
            key=key,
        )
        if not hmac.compare_digest(row.hash, expected):
            return count, AuditBreak(
                chain,
                row.seq,
                "content does not match its hash (row edited, or rewritten without the key)",
            )
        prev_hash, last_seq = row.hash, row.seq
    if head is None and last_seq > 0:
        return count, AuditBreak(chain, None, "no head row for this chain")
    if head is not None and (head.last_seq, head.last_hash) != (last_seq, prev_hash):
        return count, AuditBreak(
            chain,
            last_seq or None,
            f"chain ends at #{last_seq} but its head records #{head.last_seq} "
            "(rows removed from the end, or the head edited)",
        )
    if record is None:
        if last_seq > 0 and (keyed or sealed):
            return count, AuditBreak(
                chain,
                None,
                "not in the chain of heads (its record was removed, or the chain was "
                "written without the key)",
            )
        return count, None
    if last_seq == 0:
        return count, AuditBreak(
            chain,
            None,
            f"the chain of heads records it up to #{record.chain_seq} (record "
            f"#{record.seq}), but its rows and head are gone (chain deleted)",
        )
    if (record.chain_seq, record.chain_hash) != (last_seq, prev_hash):
        return count, AuditBreak(
            chain,
            last_seq,
            f"the chain of heads records #{record.chain_seq} with another hash "
            f"(record #{record.seq}): rows rewritten or removed since",
        )
    return count, None


def check_audit(session: Session, reference: str | None = None) -> AuditCheck:
    """Verify every chain (or only ``reference``'s) against its rows, head and recorded head.

    Keyed rows need this process's audit keys (``AuditKeyError`` without them). Verifying all
    chains also verifies the chain of heads as a whole; verifying one checks its latest record.
    """
    keyring = audit_keyring()
    heads = {
        h.chain: h
        for h in session.execute(
            select(AuditHeadRow).execution_options(populate_existing=True)
        ).scalars()
    }
    heads_head = heads.pop(HEADS_CHAIN, None)
    sealed = heads_head is not None and heads_head.last_seq > 0
    heads_seq = heads_head.last_seq if heads_head is not None else 0
    heads_hash = heads_head.last_hash if heads_head is not None else GENESIS
    if reference is not None:
        record, broken = _latest_record(session, keyring, reference)
        if broken is not None:
            return AuditCheck(broken=broken, heads_seq=heads_seq, heads_hash=heads_hash)
        count, broken = _verify_chain(
            session, keyring, reference, heads.get(reference), record, sealed
        )
        return AuditCheck(
            entries=count,
            chains=frozenset([reference] if count else []),
            head_records=0 if record is None else 1,
            heads_seq=heads_seq,
            heads_hash=heads_hash,
            broken=broken,
        )
    records, n_records, broken = _verify_head_log(session, keyring, heads_head)
    if broken is not None:
        return AuditCheck(
            head_records=n_records, heads_seq=heads_seq, heads_hash=heads_hash, broken=broken
        )
    logged = set(session.scalars(select(col(AuditRow.chain)).distinct()))
    entries, chains = 0, set()
    for chain in sorted(set(heads) | logged | set(records)):
        count, broken = _verify_chain(
            session, keyring, chain, heads.get(chain), records.get(chain), sealed
        )
        entries += count
        if count:
            chains.add(chain)
        if broken is not None:
            return AuditCheck(
                entries=entries,
                chains=frozenset(chains),
                head_records=n_records,
                heads_seq=heads_seq,
                heads_hash=heads_hash,
                broken=broken,
            )
    return AuditCheck(
        entries=entries,
        chains=frozenset(chains),
        head_records=n_records,
        heads_seq=heads_seq,
        heads_hash=heads_hash,
    )


def verify_audit(session: Session, reference: str | None = None) -> AuditBreak | None:
    """The first broken link (chains in name order), or None when every chain verifies."""
    return check_audit(session, reference).broken


def audit_chains(session: Session) -> set[str]:
    """Every chain that has rows (cases, ``ref-data``)."""
    return set(session.scalars(select(col(AuditRow.chain)).distinct()))


def audit_entry_count(session: Session, chain: str | None = None) -> int:
    query = select(func.count()).select_from(AuditRow)
    if chain is not None:
        query = query.where(col(AuditRow.chain) == chain)
    return int(session.scalar(query) or 0)
