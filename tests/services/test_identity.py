"""The identity service on SQLite and PostgreSQL: logins and their limits over time (an injected
clock, no sleeps), password rehashing, tokens and sessions, demo logins, the secret key, and
``foiflow store users set-password``."""

from __future__ import annotations

import csv
import stat
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from pydantic import SecretStr
from sqlalchemy import Engine, select
from sqlmodel import SQLModel, col
from typer.testing import CliRunner

from cli.store_cmds import app as store_app
from domain.case import Actor
from services import admin, idempotency
from services.errors import Conflict, Rejected
from services.identity import (
    DEMO_LOGINS_FILE,
    CsrfRejected,
    Identity,
    NotAuthenticated,
    Principal,
    RateLimited,
    cookies_secure,
    demo_logins,
    secret_key,
)
from settings import Settings
from statute.exemptions import Role
from store.db import dispose_engine, get_engine, migrate, session_scope
from store.models import REF_DATA_KEY, AuditRow, CredentialRow, LoginAttemptRow
from store.seed import apply_seed, load_seed

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "store"))
from store_test_db import drop_pg_database, ensure_postgres, new_pg_database

SEED = Path(__file__).resolve().parents[2] / "cli" / "demo" / "seed.yaml"
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
OFFICER = "aisha-rahman"
PASSWORD = "correct horse battery staple"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Clock:
    """The identity service's "now", moved by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    error = ensure_postgres()
    if error is not None:
        pytest.skip(f"!!! POSTGRESQL UNREACHABLE — identity on PostgreSQL SKIPPED !!! ({error})")
    url = new_pg_database("foiflow_identity")
    try:
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, demo-seeded store on each engine (PostgreSQL: emptied and re-seeded)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'foiflow.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    migrate(url)
    engine = get_engine(url)
    if request.param == "postgresql":
        with engine.begin() as conn:
            for table in reversed(SQLModel.metadata.sorted_tables):
                conn.execute(table.delete())
    with session_scope(engine) as session:
        apply_seed(session, load_seed(SEED), "seed")
    yield engine
    if request.param == "sqlite":
        dispose_engine(url)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings(tmp_path: Path, engine: Engine) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", database_url=str(engine.url.render_as_string(False))
    )


@pytest.fixture
def identity(engine: Engine, settings: Settings, clock: Clock) -> Identity:
    identity = Identity(engine, settings, hasher=FAST, now=clock)
    identity.set_password(OFFICER, PASSWORD, "test")
    return identity


def test_login_token_and_revocation(identity: Identity) -> None:
    principal = identity.login(OFFICER, PASSWORD, "192.0.2.1")
    assert principal == Principal(OFFICER, "password")
    issued = identity.issue_token(principal)
    actor = identity.actor_for_token(issued.access_token)
    assert (actor.user_id, actor.roles, actor.units) == (OFFICER, ["foi_officer"], ["foi"])
    assert identity.revoke_token(issued.access_token) is True
    with pytest.raises(NotAuthenticated, match="revoked"):
        identity.actor_for_token(issued.access_token)
    assert identity.revoke_token(issued.access_token) is False


def test_tokens_expire_after_their_lifetime(identity: Identity, clock: Clock) -> None:
    issued = identity.issue_token(Principal(OFFICER, "password"))
    assert issued.expires_at == START + timedelta(hours=12)
    clock.advance(hours=11, minutes=59)
    assert identity.actor_for_token(issued.access_token).user_id == OFFICER
    clock.advance(minutes=1)
    with pytest.raises(NotAuthenticated, match="expired"):
        identity.actor_for_token(issued.access_token)


def test_only_the_hash_of_a_token_is_stored(identity: Identity, engine: Engine) -> None:
    issued = identity.issue_token(Principal(OFFICER, "password"))
    with engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT token_hash FROM api_tokens").scalars().all()
    assert issued.access_token not in stored
    assert len(stored) == 1 and len(stored[0]) == 64


def test_the_username_limit_lifts_when_the_window_has_passed(
    identity: Identity, clock: Clock
) -> None:
    for minute in range(5):
        clock.now = START + timedelta(minutes=minute)
        with pytest.raises(NotAuthenticated):
            identity.login(OFFICER, "wrong", "192.0.2.1")
    with pytest.raises(RateLimited) as limited:
        identity.login(OFFICER, PASSWORD, "192.0.2.1")
    # Five failures at minutes 0-4; the first leaves the 15-minute window at minute 15.
    assert limited.value.retry_after == 11 * 60
    assert "try again in 11 minutes" in limited.value.reason
    clock.now = START + timedelta(minutes=14, seconds=59)
    with pytest.raises(RateLimited) as limited:
        identity.login(OFFICER, PASSWORD, "192.0.2.1")
    assert limited.value.retry_after == 1
    clock.now = START + timedelta(minutes=15)
    assert identity.login(OFFICER, PASSWORD, "192.0.2.1").user_id == OFFICER


def test_refused_attempts_while_limited_are_not_counted(
    identity: Identity, clock: Clock, engine: Engine
) -> None:
    for _ in range(5):
        with pytest.raises(NotAuthenticated):
            identity.login(OFFICER, "wrong", "192.0.2.1")
    for _ in range(3):
        with pytest.raises(RateLimited):
            identity.login(OFFICER, "wrong", "192.0.2.1")
    with session_scope(engine) as session:
        attempts = session.scalars(select(LoginAttemptRow)).all()
    assert [a.succeeded for a in attempts] == [False] * 5
    assert {a.username for a in attempts} == {OFFICER}


def test_the_address_limit_counts_every_username_from_it(
    engine: Engine, settings: Settings, clock: Clock
) -> None:
    identity = Identity(
        engine,
        settings.model_copy(update={"login_max_failures_per_address": 4}),
        hasher=FAST,
        now=clock,
    )
    identity.set_password(OFFICER, PASSWORD, "test")
    for name in ("a", "b", "c", "d"):
        with pytest.raises(NotAuthenticated):
            identity.login(name, "guess", "198.51.100.7")
    with pytest.raises(RateLimited):
        identity.login(OFFICER, PASSWORD, "198.51.100.7")
    assert identity.login(OFFICER, PASSWORD, "192.0.2.1").user_id == OFFICER


def test_a_hash_made_with_weaker_parameters_is_upgraded_at_login(
    engine: Engine, settings: Settings, clock: Clock
) -> None:
    weak = Identity(
        engine, settings, hasher=PasswordHasher(time_cost=1, memory_cost=512), now=clock
    )
    weak.set_password(OFFICER, PASSWORD, "test")
    old = _stored_hash(engine)
    assert "m=512" in old
    stronger = Identity(engine, settings, hasher=FAST, now=clock)
    stronger.login(OFFICER, PASSWORD, "192.0.2.1")
    new = _stored_hash(engine)
    assert new != old and "m=1024" in new
    stronger.login(OFFICER, PASSWORD, "192.0.2.1")
    assert _stored_hash(engine) == new  # current parameters: left alone


def _stored_hash(engine: Engine) -> str:
    with session_scope(engine) as session:
        row = session.get(CredentialRow, OFFICER)
        assert row is not None
        return row.password_hash


def test_set_password_refuses_weak_ones_and_ends_logins(identity: Identity, engine: Engine) -> None:
    with pytest.raises(Rejected) as short:
        identity.set_password(OFFICER, "short", "admin")
    assert short.value.field == "password"
    assert "at least 10 characters" in short.value.reason
    with pytest.raises(Rejected, match="username"):
        identity.set_password(OFFICER, OFFICER.upper(), "admin")
    with pytest.raises(Rejected, match="not a user"):
        identity.set_password("nobody", PASSWORD, "admin")
    token = identity.issue_token(Principal(OFFICER, "password")).access_token
    session = identity.start_session(Principal(OFFICER, "password")).session_id
    assert identity.set_password(OFFICER, "another long passphrase", "kevin-ashworth") == 2
    for check in (identity.actor_for_token, identity.actor_for_session):
        with pytest.raises(NotAuthenticated, match="revoked"):
            check(token if check == identity.actor_for_token else session)
    with session_scope(engine) as s:
        last = s.scalars(
            select(AuditRow)
            .where(col(AuditRow.chain) == REF_DATA_KEY)
            .order_by(col(AuditRow.seq).desc())
        ).first()
    assert last is not None
    assert (last.actor, last.kind) == ("kevin-ashworth", "user.password_changed")
    assert "another long passphrase" not in last.text


def test_sessions_and_their_csrf_tokens(identity: Identity, clock: Clock) -> None:
    issued = identity.start_session(Principal(OFFICER, "password"))
    assert identity.actor_for_session(issued.session_id).user_id == OFFICER
    identity.verify_csrf(issued.session_id, issued.csrf_token)
    other = identity.start_session(Principal(OFFICER, "password"))
    for wrong in (None, "", other.csrf_token):
        with pytest.raises(CsrfRejected):
            identity.verify_csrf(issued.session_id, wrong)
    clock.advance(hours=12)
    with pytest.raises(NotAuthenticated, match="expired"):
        identity.actor_for_session(issued.session_id)
    assert identity.end_session(other.session_id) is True
    with pytest.raises(NotAuthenticated, match="revoked"):
        identity.actor_for_session(other.session_id)


def test_demo_logins_are_written_once_and_kept(identity: Identity, settings: Settings) -> None:
    logins = identity.ensure_demo_logins()
    seeded = load_seed(SEED).users
    # Aisha already had a password nobody wrote down: she is not listed, and it is not changed.
    assert {login.username for login in logins} == {u.id for u in seeded} - {OFFICER}
    path = settings.data_dir / DEMO_LOGINS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["username", "role", "password"]
    assert {(r["username"], r["role"], r["password"]) for r in rows} == {
        (login.username, login.role, login.password) for login in logins
    }
    assert {"username": "kevin-ashworth", "role": "admin"}.items() <= next(
        r for r in rows if r["username"] == "kevin-ashworth"
    ).items()
    for login in logins[:3]:
        assert identity.login(login.username, login.password, "192.0.2.1").user_id == login.username

    # Running it again (as `foiflow up` does) gives the same logins; a password changed since
    # drops out.
    identity.set_password("tom-oduya", "changed by tom himself", "tom-oduya")
    again = demo_logins(settings)
    assert again == [login for login in logins if login.username != "tom-oduya"]


def test_the_secret_key_is_made_once_and_kept_private(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    key = secret_key(settings)
    assert len(key) >= 32
    path = tmp_path / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secret_key(Settings(data_dir=tmp_path)) == key
    configured = Settings(data_dir=tmp_path, secret_key=SecretStr("x" * 40))
    assert secret_key(configured) == b"x" * 40
    assert "x" * 40 not in repr(configured) and "x" * 40 not in str(configured.model_dump())


@pytest.mark.parametrize(
    ("host", "configured", "secure"),
    [
        ("127.0.0.1", None, False),
        ("localhost", None, False),
        ("::1", None, False),
        ("0.0.0.0", None, True),
        ("foi.example.org", None, True),
        ("127.0.0.1", True, True),
        ("0.0.0.0", False, False),
    ],
)
def test_cookies_are_secure_unless_served_on_loopback(
    host: str, configured: bool | None, secure: bool
) -> None:
    assert cookies_secure(Settings(web_host=host, cookie_secure=configured)) is secure


def test_set_password_from_the_command_line(identity: Identity, settings: Settings) -> None:
    runner = CliRunner(env={"FOIFLOW_DATABASE_URL": settings.database_url, "FOIFLOW_ACTOR": "ops"})
    result = runner.invoke(
        store_app,
        ["users", "set-password", "tom-oduya", "--password-stdin"],
        input="a fresh passphrase\n",
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "user tom-oduya: password set\n"
    assert identity.login("tom-oduya", "a fresh passphrase", "192.0.2.1").user_id == "tom-oduya"
    refused = runner.invoke(
        store_app, ["users", "set-password", "tom-oduya", "--password-stdin"], input="short\n"
    )
    assert refused.exit_code == 1
    assert refused.stderr == "error: refused: password: must be at least 10 characters\n"
    prompted = runner.invoke(
        store_app,
        ["users", "set-password", "nobody"],
        input="long enough words\nlong enough words\n",
    )
    assert prompted.exit_code == 1
    assert "refused: user: 'nobody' is not a user" in prompted.stderr


def test_concurrent_requests_with_one_idempotency_key_have_one_effect(engine: Engine) -> None:
    """Two identical keyed requests at once (a double-click, a retry racing the original): the
    unit is created once; each caller gets the first response or a 409, never a second effect."""
    kevin = Actor(user_id="kevin-ashworth", roles=[Role.ADMIN])
    scope = idempotency.IdempotencyScope("kevin-ashworth", "race-1", "POST", "/api/admin/units")
    unit = admin.UnitSpec(id="fraud", name="Economic crime unit")
    start = threading.Barrier(4)
    outcomes: list[object] = []

    def request() -> None:
        start.wait()
        try:
            outcomes.append(
                idempotency.run_once(
                    engine, scope, unit, 201, lambda s: admin.create_unit(s, kevin, unit)
                )
            )
        except Conflict as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=request) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    responses = [o for o in outcomes if isinstance(o, idempotency.StoredResponse)]
    assert len(outcomes) == 4 and responses
    assert {(r.status_code, str(r.body)) for r in responses} == {(201, str(unit.model_dump()))}
    assert sum(not r.replayed for r in responses) <= 1
    with session_scope(engine) as session:
        added = session.scalars(
            select(AuditRow).where(
                col(AuditRow.kind) == "unit.added", col(AuditRow.text).contains("fraud")
            )
        ).all()
    assert len(added) == 1
