"""Identity in the store: password hashes, bearer tokens, page sessions, login attempts and
stored idempotent responses. Rows only; what they mean (expiry, limits, hashing) is decided in
``services.identity`` and ``services.idempotency``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from store.models import (
    ApiTokenRow,
    CredentialRow,
    IdempotencyKeyRow,
    LoginAttemptRow,
    UserRow,
    WebSessionRow,
)

# --- Directory users and their password hashes ------------------------------------------------


def get_user(session: Session, user_id: str) -> UserRow | None:
    return session.get(UserRow, user_id)


def all_users(session: Session) -> list[UserRow]:
    return list(session.scalars(select(UserRow).order_by(col(UserRow.id))))


def get_password_hash(session: Session, user_id: str) -> str | None:
    row = session.get(CredentialRow, user_id)
    return None if row is None else row.password_hash


def users_with_password(session: Session) -> set[str]:
    return set(session.scalars(select(col(CredentialRow.user_id))))


def set_password_hash(session: Session, user_id: str, password_hash: str, now: datetime) -> None:
    row = session.get(CredentialRow, user_id)
    if row is None:
        row = CredentialRow(user_id=user_id, password_hash=password_hash, updated_at=now)
    row.password_hash, row.updated_at = password_hash, now
    session.add(row)


def note_login(session: Session, user_id: str, now: datetime) -> None:
    session.execute(
        update(CredentialRow).where(col(CredentialRow.user_id) == user_id).values(last_login_at=now)
    )


# --- Bearer tokens and page sessions ----------------------------------------------------------


def add_token(
    session: Session, token_hash: str, user_id: str, method: str, now: datetime, expires: datetime
) -> None:
    session.add(
        ApiTokenRow(
            token_hash=token_hash,
            user_id=user_id,
            method=method,
            created_at=now,
            expires_at=expires,
        )
    )


def get_token(session: Session, token_hash: str) -> ApiTokenRow | None:
    return session.get(ApiTokenRow, token_hash)


def revoke_token(session: Session, token_hash: str, now: datetime) -> bool:
    result = session.execute(
        update(ApiTokenRow)
        .where(col(ApiTokenRow.token_hash) == token_hash, col(ApiTokenRow.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    return bool(getattr(result, "rowcount", 0))


def add_web_session(
    session: Session,
    session_hash: str,
    user_id: str,
    method: str,
    now: datetime,
    expires: datetime,
) -> None:
    session.add(
        WebSessionRow(
            session_hash=session_hash,
            user_id=user_id,
            method=method,
            created_at=now,
            expires_at=expires,
        )
    )


def get_web_session(session: Session, session_hash: str) -> WebSessionRow | None:
    return session.get(WebSessionRow, session_hash)


def revoke_web_session(session: Session, session_hash: str, now: datetime) -> bool:
    result = session.execute(
        update(WebSessionRow)
        .where(
            col(WebSessionRow.session_hash) == session_hash,
            col(WebSessionRow.revoked_at).is_(None),
        )
        .values(revoked_at=now)
    )
    return bool(getattr(result, "rowcount", 0))


def revoke_everything_of(session: Session, user_id: str, now: datetime) -> int:
    """Revoke every live token and session of a user (a new password ends them all)."""
    revoked = 0
    for table in (ApiTokenRow, WebSessionRow):
        result = session.execute(
            update(table)
            .where(col(table.user_id) == user_id, col(table.revoked_at).is_(None))
            .values(revoked_at=now)
        )
        revoked += int(getattr(result, "rowcount", 0))
    return revoked


def prune_expired(session: Session, before: datetime) -> None:
    """Forget tokens and sessions that expired before ``before`` (they can never work again)."""
    for table in (ApiTokenRow, WebSessionRow):
        session.execute(delete(table).where(col(table.expires_at) < before))


# --- Login attempts ---------------------------------------------------------------------------


def record_login_attempt(
    session: Session, username: str, address: str, at: datetime, succeeded: bool
) -> None:
    session.add(LoginAttemptRow(username=username, address=address, at=at, succeeded=succeeded))


def failure_times(
    session: Session, *, since: datetime, username: str | None = None, address: str | None = None
) -> list[datetime]:
    """When logins failed after ``since``, oldest first, for one username or one address.

    For a username, failures before its last success do not count: logging in clears them.
    """
    query = select(col(LoginAttemptRow.at)).where(
        col(LoginAttemptRow.at) > since, col(LoginAttemptRow.succeeded).is_(False)
    )
    if username is not None:
        last_success = (
            select(func.max(LoginAttemptRow.at))
            .where(
                col(LoginAttemptRow.username) == username,
                col(LoginAttemptRow.succeeded).is_(True),
            )
            .scalar_subquery()
        )
        query = query.where(
            col(LoginAttemptRow.username) == username,
            (last_success.is_(None)) | (col(LoginAttemptRow.at) > last_success),
        )
    if address is not None:
        query = query.where(col(LoginAttemptRow.address) == address)
    return list(session.scalars(query.order_by(col(LoginAttemptRow.at))))


def prune_login_attempts(session: Session, before: datetime) -> None:
    session.execute(delete(LoginAttemptRow).where(col(LoginAttemptRow.at) < before))


# --- Idempotency keys -------------------------------------------------------------------------


def get_idempotent(session: Session, user_id: str, key: str) -> IdempotencyKeyRow | None:
    return session.get(IdempotencyKeyRow, (user_id, key))


def add_idempotent(
    session: Session,
    *,
    user_id: str,
    key: str,
    fingerprint: str,
    status_code: int,
    body: Any,
    now: datetime,
) -> None:
    session.add(
        IdempotencyKeyRow(
            user_id=user_id,
            key=key,
            fingerprint=fingerprint,
            status_code=status_code,
            body=body,
            created_at=now,
        )
    )
    session.flush()


def prune_idempotent(session: Session, before: datetime) -> None:
    session.execute(delete(IdempotencyKeyRow).where(col(IdempotencyKeyRow.created_at) < before))
