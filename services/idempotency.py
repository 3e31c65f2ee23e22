"""``Idempotency-Key``: the same key from the same user returns the same result, with no second
effect.

Two carriers, one key:

- effects in the store (reference-data edits): :func:`run_once` runs the effect and stores its
  response in the same transaction, so a repeat (or a concurrent duplicate) finds the response
  and the effect happens once;
- effects in a workflow (case actions): :meth:`IdempotencyScope.update_id` derives a Temporal
  update id; the server runs an update with a given id once and hands a repeat the same result.

Keys are scoped per user and bound to the request they first came with: the same key on a
different method, path or body is refused (IETF draft "The Idempotency-Key HTTP Header Field").
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.errors import Rejected
from store import identity as rows
from store.db import session_scope
from store.models import utcnow

HEADER = "Idempotency-Key"
RETENTION = timedelta(hours=24)  # a key reused after this is a new request
MAX_KEY_LENGTH = 255


class KeyReused(Rejected):
    """The key was first used for a different request."""

    def __init__(self) -> None:
        super().__init__("this key was already used for a different request; use a new key", HEADER)


@dataclass(frozen=True)
class IdempotencyScope:
    """One user's key for one request."""

    user_id: str
    key: str
    method: str
    path: str

    def fingerprint(self, body: Any) -> str:
        document = json.dumps(
            [self.method.upper(), self.path, to_jsonable_python(body)],
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )
        return hashlib.sha256(document.encode("utf-8")).hexdigest()

    def update_id(self) -> str:
        """A Temporal update id for this key: the same key, user and route give the same id, so
        a repeated update is not run again (within the workflow run's retention)."""
        digest = hashlib.sha256(
            "\x00".join((self.user_id, self.key, self.method.upper(), self.path)).encode("utf-8")
        ).hexdigest()
        return f"idem-{digest[:40]}"


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: Any  # plain JSON types
    replayed: bool  # True: the response of an earlier request with this key


def check_key(key: str) -> str | None:
    """Why ``key`` is unusable, or None: 1 to 255 visible ASCII characters."""
    if not key or len(key) > MAX_KEY_LENGTH:
        return f"must be 1 to {MAX_KEY_LENGTH} characters"
    if not all(33 <= ord(c) <= 126 for c in key):
        return "must be visible ASCII characters (no spaces)"
    return None


def _stored(session: Session, scope: IdempotencyScope, fingerprint: str) -> StoredResponse | None:
    row = rows.get_idempotent(session, scope.user_id, scope.key)
    if row is None or row.created_at < utcnow() - RETENTION:
        return None
    if row.fingerprint != fingerprint:
        raise KeyReused()
    return StoredResponse(row.status_code, row.body, replayed=True)


def _remember(
    session: Session, scope: IdempotencyScope, fingerprint: str, status_code: int, body: Any
) -> None:
    now = utcnow()
    rows.prune_idempotent(session, now - RETENTION)
    rows.add_idempotent(
        session,
        user_id=scope.user_id,
        key=scope.key,
        fingerprint=fingerprint,
        status_code=status_code,
        body=body,
        now=now,
    )


def run_once(
    engine: Engine,
    scope: IdempotencyScope | None,
    request: Any,
    status_code: int,
    effect: Callable[[Session], Any],
) -> StoredResponse:
    """Run ``effect`` in a transaction, or return what it returned for this key before.

    ``request`` is the request body (what the key is bound to). Errors are not stored: a
    failed request changed nothing, and repeating it fails the same way.
    """
    if scope is None:
        with session_scope(engine) as session:
            return StoredResponse(status_code, to_jsonable_python(effect(session)), False)
    fingerprint = scope.fingerprint(request)
    for attempt in (1, 2):
        try:
            with session_scope(engine) as session:
                earlier = _stored(session, scope, fingerprint)
                if earlier is not None:
                    return earlier
                body = to_jsonable_python(effect(session))
                _remember(session, scope, fingerprint, status_code, body)
                return StoredResponse(status_code, body, False)
        except IntegrityError:
            # A concurrent request with the same key committed first (PostgreSQL; SQLite
            # writers queue): this transaction and its effect were rolled back. Return theirs.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def replay(engine: Engine, scope: IdempotencyScope | None, request: Any) -> StoredResponse | None:
    """The stored response for this key, for effects that cannot share the key's transaction."""
    if scope is None:
        return None
    with session_scope(engine) as session:
        return _stored(session, scope, scope.fingerprint(request))


def remember(
    engine: Engine, scope: IdempotencyScope | None, request: Any, status_code: int, body: Any
) -> StoredResponse:
    """Store a response after its effect ran on its own; the first stored one wins."""
    plain = to_jsonable_python(body)
    if scope is None:
        return StoredResponse(status_code, plain, False)
    fingerprint = scope.fingerprint(request)
    try:
        with session_scope(engine) as session:
            earlier = _stored(session, scope, fingerprint)
            if earlier is not None:
                return earlier
            _remember(session, scope, fingerprint, status_code, plain)
    except IntegrityError:
        earlier = replay(engine, scope, request)
        if earlier is not None:
            return earlier
        raise
    return StoredResponse(status_code, plain, False)
