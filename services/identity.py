"""Who is calling: credentials in, a directory :class:`~domain.case.Actor` out.

Two small seams keep passwords replaceable (see ``docs/identity.md``):

- an :class:`Authenticator` turns a login credential into a :class:`Principal` (a directory user
  id and how it was proved). :class:`PasswordAuthenticator` checks argon2 hashes; an OIDC
  authenticator would check an ID token and map its subject to a directory user instead;
- once a principal is known, foiflow issues its own opaque bearer token (API) or session cookie
  (pages), stored hashed, and every request resolves it to an ``Actor`` from the directory, so
  roles and units always come from the store, and a change there applies at the next request.

Everything downstream (services, workflow validators) sees only the ``Actor``.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import ipaddress
import math
import os
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from domain.case import Actor
from services.errors import Forbidden, Rejected, ServiceError
from settings import Settings
from statute.exemptions import Role
from store import identity as rows
from store.audit import record_ref_change
from store.db import get_engine, migrate, session_scope
from store.models import UserRow, utcnow

DEMO_LOGINS_FILE = "demo-logins.csv"
SECRET_KEY_FILE = "secret_key"
TOKEN_PREFIX = "foiflow_"  # lets secret scanners and people recognise a leaked token
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024  # argon2 takes any length; a megabyte "password" is an attack
BAD_CREDENTIALS = "incorrect username or password"
# Tokens and sessions kept after they expire (for "your session expired" rather than "unknown").
EXPIRED_KEPT = timedelta(days=7)
ATTEMPTS_KEPT = timedelta(days=7)

Clock = Callable[[], datetime]
C_contra = TypeVar("C_contra", contravariant=True)


class NotAuthenticated(ServiceError):
    """No credential, or one that is wrong, expired or revoked (HTTP 401)."""


class RateLimited(ServiceError):
    """Too many failed logins lately (HTTP 429); ``retry_after`` seconds until the next try."""

    def __init__(self, reason: str, retry_after: int) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class CsrfRejected(Forbidden):
    """A cookie-authenticated change without the session's CSRF token."""


@dataclass(frozen=True)
class Principal:
    """A directory user whose identity has been proved, and how (``password``, later ``oidc``)."""

    user_id: str
    method: str


@dataclass(frozen=True)
class PasswordCredential:
    username: str
    password: str


class Authenticator(Protocol[C_contra]):
    """Proves who someone is from a credential; None when it does not."""

    method: str

    def authenticate(self, credential: C_contra) -> Principal | None: ...


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_at: datetime
    user_id: str


@dataclass(frozen=True)
class IssuedSession:
    session_id: str  # the cookie's value; only its hash is stored
    csrf_token: str
    expires_at: datetime
    user_id: str


class Me(BaseModel):
    """The caller as the directory knows them."""

    id: str
    name: str
    email: str
    roles: list[Role]
    units: list[str]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    password: str


def normalise_username(username: str) -> str:
    # NUL never belongs in a name, and PostgreSQL text cannot hold it.
    return username.replace("\x00", "").strip().lower()[:64]


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def password_problem(user_id: str, password: str) -> str | None:
    """Why ``password`` may not be set, or None (length rules, after NCSC guidance)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"must be at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"must be at most {MAX_PASSWORD_LENGTH} characters"
    if password.strip().lower() == user_id.lower():
        return "must not be the username"
    return None


def verify_password(hasher: PasswordHasher, stored: str, password: str) -> bool:
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    try:
        return hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def actor_of(user: UserRow) -> Actor:
    return Actor(
        user_id=user.id,
        name=user.name,
        roles=[Role(r) for r in user.roles],
        units=list(user.units),
    )


class PasswordAuthenticator:
    """Usernames and argon2 password hashes kept in the store."""

    method = "password"

    def __init__(self, engine: Engine, hasher: PasswordHasher, now: Clock = utcnow) -> None:
        self.engine = engine
        self.hasher = hasher
        self.now = now
        self._decoy: str | None = None

    def authenticate(self, credential: PasswordCredential) -> Principal | None:
        user_id = normalise_username(credential.username)
        with session_scope(self.engine) as session:
            user = rows.get_user(session, user_id)
            active = user is not None and user.active
            stored = rows.get_password_hash(session, user_id) if user is not None else None
        # argon2 takes tens of milliseconds on purpose: never inside a transaction (on SQLite
        # every transaction holds the write lock).
        verified = self.verify(stored or self._decoy_hash(), credential.password)
        if not verified or stored is None or not active:
            return None
        rehashed = (
            self.hasher.hash(credential.password)
            if self.hasher.check_needs_rehash(stored)
            else None
        )
        with session_scope(self.engine) as session:
            if rehashed is not None:
                # The hasher's parameters were raised since this hash was made: upgrade it now,
                # the only moment the password is at hand.
                rows.set_password_hash(session, user_id, rehashed, self.now())
            rows.note_login(session, user_id, self.now())
        return Principal(user_id=user_id, method=self.method)

    def verify(self, stored: str, password: str) -> bool:
        return verify_password(self.hasher, stored, password)

    def _decoy_hash(self) -> str:
        # Verified against when the user is unknown, so a wrong name takes as long as a wrong
        # password and timing does not tell which usernames exist.
        if self._decoy is None:
            self._decoy = self.hasher.hash(secrets.token_urlsafe(16))
        return self._decoy


def secret_key(settings: Settings) -> bytes:
    """The key CSRF tokens are derived with: the configured one, else one kept in the data dir.

    Generated once (file mode 0600) so tokens survive a restart; never logged or returned.
    """
    configured = settings.secret_key.get_secret_value()
    if configured:
        return configured.encode("utf-8")
    path = settings.ensure_data_dir() / SECRET_KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        fd = -1  # made earlier (or by a process starting beside this one): use it
    if fd < 0:
        key = path.read_text("utf-8").strip()
        if len(key) < 32:
            raise RuntimeError(f"{path} holds no usable secret key; delete it to make a new one")
        return key.encode("utf-8")
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(key + "\n")
    return key.encode("utf-8")


def cookies_secure(settings: Settings) -> bool:
    """Secure cookies, except when serving plain http on a loopback address in development."""
    if settings.cookie_secure is not None:
        return settings.cookie_secure
    if settings.web_host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(settings.web_host).is_loopback
    except ValueError:
        return True


class Identity:
    """Logins, tokens, sessions and passwords against the store's directory."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        hasher: PasswordHasher | None = None,
        now: Clock = utcnow,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.now = now
        self.hasher = hasher or PasswordHasher()
        self.passwords: Authenticator[PasswordCredential] = PasswordAuthenticator(
            engine, self.hasher, now
        )
        self._secret: bytes | None = None  # read (or made) on first use

    # --- Logging in ---------------------------------------------------------------------------

    def login(self, username: str, password: str, address: str) -> Principal:
        """Check a username and password; ``RateLimited`` or ``NotAuthenticated`` when refused.

        Failures count against the username (known or not) and the client address; a success
        clears the username's count. Refused attempts while limited are not counted, so waiting
        out ``Retry-After`` always works.
        """
        name, addr = normalise_username(username), (address or "unknown").replace("\x00", "")[:64]
        with session_scope(self.engine) as session:
            wait = self._retry_after(session, name, addr)
        if wait:
            minutes = math.ceil(wait / 60)
            raise RateLimited(
                f"too many failed logins; try again in {minutes} minute{'s' * (minutes != 1)}",
                wait,
            )
        principal = self.passwords.authenticate(PasswordCredential(name, password))
        with session_scope(self.engine) as session:
            now = self.now()
            rows.record_login_attempt(session, name, addr, now, principal is not None)
            rows.prune_login_attempts(session, now - ATTEMPTS_KEPT)
        if principal is None:
            raise NotAuthenticated(BAD_CREDENTIALS)
        return principal

    def _retry_after(self, session: Session, username: str, address: str) -> int:
        now = self.now()
        window = timedelta(minutes=self.settings.login_window_minutes)
        waits = [0.0]
        for limit, failures in (
            (
                self.settings.login_max_failures,
                rows.failure_times(session, since=now - window, username=username),
            ),
            (
                self.settings.login_max_failures_per_address,
                rows.failure_times(session, since=now - window, address=address),
            ),
        ):
            if len(failures) >= limit:
                # Allowed again once fewer than `limit` failures remain inside the window.
                unlocked = failures[len(failures) - limit] + window
                waits.append((unlocked - now).total_seconds())
        wait = max(waits)
        return max(1, math.ceil(wait)) if wait > 0 else 0

    # --- Bearer tokens ------------------------------------------------------------------------

    def issue_token(self, principal: Principal) -> IssuedToken:
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = self.now()
        expires = now + timedelta(hours=self.settings.token_ttl_hours)
        with session_scope(self.engine) as session:
            rows.add_token(
                session, _sha256(token), principal.user_id, principal.method, now, expires
            )
            rows.prune_expired(session, now - EXPIRED_KEPT)
        return IssuedToken(access_token=token, expires_at=expires, user_id=principal.user_id)

    def actor_for_token(self, token: str) -> Actor:
        with session_scope(self.engine) as session:
            row = rows.get_token(session, _sha256(token))
            if row is None:
                raise NotAuthenticated("the token is not valid; log in again")
            self._check_live(row.revoked_at, row.expires_at, "token")
            return self._actor(session, row.user_id)

    def revoke_token(self, token: str) -> bool:
        with session_scope(self.engine) as session:
            return rows.revoke_token(session, _sha256(token), self.now())

    # --- Page sessions ------------------------------------------------------------------------

    def start_session(self, principal: Principal) -> IssuedSession:
        session_id = secrets.token_urlsafe(32)
        now = self.now()
        expires = now + timedelta(hours=self.settings.session_ttl_hours)
        with session_scope(self.engine) as session:
            rows.add_web_session(
                session, _sha256(session_id), principal.user_id, principal.method, now, expires
            )
        return IssuedSession(
            session_id=session_id,
            csrf_token=self.csrf_token(session_id),
            expires_at=expires,
            user_id=principal.user_id,
        )

    def actor_for_session(self, session_id: str) -> Actor:
        with session_scope(self.engine) as session:
            row = rows.get_web_session(session, _sha256(session_id))
            if row is None:
                raise NotAuthenticated("the session is not valid; log in again")
            self._check_live(row.revoked_at, row.expires_at, "session")
            return self._actor(session, row.user_id)

    def end_session(self, session_id: str) -> bool:
        with session_scope(self.engine) as session:
            return rows.revoke_web_session(session, _sha256(session_id), self.now())

    def csrf_token(self, session_id: str) -> str:
        """The session's CSRF token: derived from its id with the secret key, so never stored,
        different for every session, and useless without the cookie it belongs to."""
        if self._secret is None:
            self._secret = secret_key(self.settings)
        return hmac.new(
            self._secret, b"csrf\x00" + session_id.encode("utf-8"), hashlib.sha256
        ).hexdigest()

    def verify_csrf(self, session_id: str, submitted: str | None) -> None:
        if not submitted or not hmac.compare_digest(self.csrf_token(session_id), submitted):
            raise CsrfRejected(
                "the CSRF token is missing or wrong; reload the page and try again", "csrf_token"
            )

    # --- Passwords ----------------------------------------------------------------------------

    def set_password(self, user_id: str, password: str, by: str) -> int:
        """Set a user's password, end their tokens and sessions; returns how many were ended.

        The change is logged on the reference-data audit chain (never the password itself).
        """
        problem = password_problem(user_id, password)
        if problem is not None:
            raise Rejected(problem, "password")
        password_hash = self.hasher.hash(password)
        with session_scope(self.engine) as session:
            if rows.get_user(session, user_id) is None:
                raise Rejected(f"{user_id!r} is not a user", "user")
            had = rows.get_password_hash(session, user_id) is not None
            now = self.now()
            rows.set_password_hash(session, user_id, password_hash, now)
            ended = rows.revoke_everything_of(session, user_id, now)
            record_ref_change(
                session,
                by,
                "user.password_changed" if had else "user.password_set",
                f"user {user_id}: password {'changed' if had else 'set'}"
                + (f"; {ended} token(s) and session(s) ended" if ended else ""),
            )
        return ended

    def ensure_demo_logins(self, by: str = "demo") -> list[DemoLogin]:
        """Give every active user without a password a generated one; return every demo login.

        Writes ``$FOIFLOW_DATA_DIR/demo-logins.csv`` (``username,role,password``, mode 0600).
        Logins written earlier are kept while their password still works, so running
        ``foiflow up`` again prints the same logins; a password changed since is left out.
        """
        path = self.settings.ensure_data_dir() / DEMO_LOGINS_FILE
        known = read_demo_logins(path)
        logins: list[DemoLogin] = []
        with session_scope(self.engine) as session:
            users = [u for u in rows.all_users(session) if u.active]
            hashes = {u.id: rows.get_password_hash(session, u.id) for u in users}
        for user in users:
            role = ";".join(user.roles)
            stored, remembered = hashes[user.id], known.get(user.id)
            if stored is None:
                password = secrets.token_urlsafe(12)
                self.set_password(user.id, password, by)
                logins.append(DemoLogin(user.id, role, password))
            elif remembered is not None and verify_password(self.hasher, stored, remembered):
                logins.append(DemoLogin(user.id, role, remembered))
        _write_demo_logins(path, logins)
        return logins

    # --- Helpers ------------------------------------------------------------------------------

    def _check_live(self, revoked_at: datetime | None, expires_at: datetime, what: str) -> None:
        if revoked_at is not None:
            raise NotAuthenticated(f"the {what} was revoked; log in again")
        if expires_at <= self.now():
            raise NotAuthenticated(f"the {what} has expired; log in again")

    def _actor(self, session: Session, user_id: str) -> Actor:
        user = rows.get_user(session, user_id)
        if user is None or not user.active:
            raise NotAuthenticated("the account is not active")
        return actor_of(user)

    def me(self, actor: Actor) -> Me:
        me = self.me_or_none(actor.user_id)
        if me is None:
            raise NotAuthenticated("the account is not active")
        return me

    def me_or_none(self, user_id: str) -> Me | None:
        """The directory's record of a user (active or not), or None when there is none."""
        with session_scope(self.engine) as session:
            user = rows.get_user(session, user_id)
            if user is None:
                return None
            return Me(
                id=user.id,
                name=user.name,
                email=user.email,
                roles=[Role(r) for r in user.roles],
                units=list(user.units),
            )


def demo_logins(settings: Settings) -> list[DemoLogin]:
    """For ``foiflow up``: passwords for the demo directory's users, as ``(username, role,
    password)`` rows, also written to ``$FOIFLOW_DATA_DIR/demo-logins.csv`` (mode 0600)."""
    migrate(settings.database_url)
    return Identity(get_engine(settings.database_url), settings).ensure_demo_logins()


def read_demo_logins(path: Path) -> dict[str, str]:
    """The demo passwords by username, from the file ``foiflow up`` wrote (empty if none)."""
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return {}
    return {
        r["username"]: r["password"]
        for r in csv.DictReader(io.StringIO(text))
        if r.get("username") and r.get("password")
    }


def _write_demo_logins(path: Path, logins: list[DemoLogin]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["username", "role", "password"])
    writer.writerows((login.username, login.role, login.password) for login in logins)
    # mkstemp creates the file 0600, and the rename replaces any older copy whole.
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(buffer.getvalue())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
