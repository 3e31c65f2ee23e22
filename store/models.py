"""The store's tables: reference data, the read model projected from workflows, the audit log,
the notification outbox and the reference counters.

Never import this module from workflow code: a ``table=True`` class in a module the Temporal
sandbox re-imports is defined twice on the same MetaData and breaks the worker.

Portable by construction: plain strings instead of database enums (adding a status must not need
an ``ALTER TYPE``), JSON for short lists, and :class:`UtcDateTime` so SQLite and PostgreSQL return
the same aware datetimes. No column holds the requester's personal data.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

# Named constraints: Alembic can only drop or alter (and SQLite batch mode only copy) a constraint
# it can name, and the names must agree on both engines.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

REF_DATA_KEY = "ref-data"  # audit-chain key for reference-data edits (units, users, rules, …)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every engine.

    SQLite has no time zones, so values are stored as naive UTC there; PostgreSQL keeps
    ``timestamptz``. Without this, the same row reads back naive on one engine and aware on the
    other, and the audit hashes (which cover timestamps) would not verify across a migration.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: the store needs aware datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.utcoffset() is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _ts(*, nullable: bool = False, index: bool = False) -> Any:
    column: Column[datetime] = Column(UtcDateTime(), nullable=nullable, index=index)
    if nullable:
        return Field(default=None, sa_column=column)
    return Field(default_factory=utcnow, sa_column=column)


def _json_list() -> Any:
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False))


# --- Reference data ---------------------------------------------------------------------------


class UnitRow(SQLModel, table=True):
    __tablename__ = "units"

    id: str = Field(primary_key=True, max_length=64)  # slug: "hate-crime"
    name: str = Field(max_length=200)
    manager_user_id: str | None = Field(default=None, max_length=64)
    email: str | None = Field(default=None, max_length=254)  # team mailbox, if any


class UserRow(SQLModel, table=True):
    __tablename__ = "users"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    email: str = Field(max_length=254)
    roles: list[str] = _json_list()  # statute.exemptions.Role values
    units: list[str] = _json_list()  # unit ids
    active: bool = True


class RoutingRuleRow(SQLModel, table=True):
    __tablename__ = "routing_rules"

    id: int | None = Field(default=None, primary_key=True)
    phrase: str = Field(max_length=200, unique=True)  # matched case-insensitively
    unit_id: str = Field(foreign_key="units.id", max_length=64)
    priority: int = 100  # lower wins when phrases for different units match


class SignOffPolicyRow(SQLModel, table=True):
    """Which role signs off each exemption; the default role lives in ``authority_settings``."""

    __tablename__ = "sign_off_policy"

    section: str = Field(primary_key=True, max_length=8)
    required_role: str = Field(max_length=40)


class AuthoritySettingRow(SQLModel, table=True):
    """One authority setting per row (``store.schema.AuthoritySettings`` types and validates them).

    Key/value rather than one wide row: adding a setting needs no migration.
    """

    __tablename__ = "authority_settings"

    key: str = Field(primary_key=True, max_length=80)
    value: Any = Field(sa_column=Column(JSON, nullable=True))


class CalendarVersionRow(SQLModel, table=True):
    __tablename__ = "calendar_versions"

    version: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    fingerprint: str = Field(max_length=64)
    source: str = Field(default="", max_length=200)
    coverage_start: date
    coverage_end: date
    data: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))  # CalendarData.to_json()
    created_at: datetime = _ts()


# --- Read model ------------------------------------------------------------------------------


class CaseRow(SQLModel, table=True):
    __tablename__ = "cases"
    __table_args__ = (
        # The dashboard's counts by status and "open and due before today"; the case list
        # filtered by status, a page read from the index in its order (due date, reference).
        Index("ix_cases_status_due_date_reference", "status", "due_date", "reference"),
        # The case list's order: any page of references from the index alone, however deep;
        # the status beside them answers "overdue" without reading the rows.
        Index("ix_cases_due_date_reference", "due_date", "reference", "status"),
        # Joins from tasks and sign-offs that only ask whether the case is open.
        Index("ix_cases_reference_status", "reference", "status"),
        # The dashboard's on-time rate by month of issue, answered from the index alone.
        Index(
            "ix_cases_status_issued_at",
            "status",
            "issued_at",
            "on_time",
            "on_time_with_extensions",
        ),
    )

    reference: str = Field(primary_key=True, max_length=64)
    version: int
    regime: str = Field(max_length=16)
    status: str = Field(max_length=32)
    channel: str = Field(default="", max_length=32)
    received_at: datetime = _ts(index=True)
    due_date: date | None = None
    statutory_due_date: date | None = None
    paused: bool = False
    extended: bool = False
    # As of the last projection; a dashboard asks due_date < today for a live answer.
    overdue: bool = False
    calendar_version: int | None = None
    cost_hours_total: float = 0.0
    outcome: str | None = Field(default=None, max_length=32)
    on_time: bool | None = None
    on_time_with_extensions: bool | None = None
    issued_at: datetime | None = _ts(nullable=True)
    owning_units: list[str] = _json_list()
    updated_at: datetime = _ts()


class TaskRow(SQLModel, table=True):
    __tablename__ = "case_tasks"
    __table_args__ = (
        # A unit's inbox in its order (internal due, reference), its backlog on the dashboard
        # and "cases with a task for this unit", all from the index alone.
        Index("ix_case_tasks_unit_status_due", "unit", "status", "internal_due", "reference"),
    )

    reference: str = Field(
        sa_column=Column(
            String(64), ForeignKey("cases.reference", ondelete="CASCADE"), primary_key=True
        )
    )
    question: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    text: str = Field(sa_column=Column(Text, nullable=False))
    unit: str = Field(max_length=64)
    status: str = Field(max_length=32)
    routed_on: date
    internal_due: date
    answer_kind: str | None = Field(default=None, max_length=32)
    answered_by: str | None = Field(default=None, max_length=64)
    returned_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class ExemptionClaimRow(SQLModel, table=True):
    __tablename__ = "exemption_claims"

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(
        sa_column=Column(
            String(64),
            ForeignKey("cases.reference", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    question: int
    section: str = Field(max_length=8, index=True)  # statistics by exemption
    subsections: str = Field(default="", max_length=64)
    ncnd: bool = False


class SignOffRow(SQLModel, table=True):
    __tablename__ = "sign_offs"

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(
        sa_column=Column(
            String(64),
            ForeignKey("cases.reference", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    section: str = Field(max_length=8)
    required_role: str = Field(max_length=40, index=True)  # "what awaits my sign-off"
    questions: list[int] = _json_list()
    status: str = Field(max_length=16)
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: datetime | None = _ts(nullable=True)


class ReminderSentRow(SQLModel, table=True):
    __tablename__ = "reminders_sent"

    key: str = Field(primary_key=True, max_length=200)  # the workflow's idempotency key
    reference: str = Field(
        sa_column=Column(
            String(64),
            ForeignKey("cases.reference", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    kind: str = Field(max_length=40)
    audience: str = Field(max_length=100)
    sent_on: date
    text: str = Field(sa_column=Column(Text, nullable=False))


class DocumentRow(SQLModel, table=True):
    """Documents of a case, versioned per kind: a new row for every changed draft, none deleted."""

    __tablename__ = "case_documents"
    __table_args__ = (UniqueConstraint("reference", "kind", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(
        sa_column=Column(
            String(64), ForeignKey("cases.reference", ondelete="CASCADE"), nullable=False
        )
    )
    kind: str = Field(max_length=40)  # "response"
    version: int
    text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    path: str | None = Field(default=None, max_length=500)  # for files kept outside the database
    created_at: datetime = _ts()


class DisclosureRow(SQLModel, table=True):
    """An issued response in the public disclosure log, without the requester's identity.

    Rows the officer kept out of publication stay (``published`` false, with the reason), so the
    decision is on record; only published rows are ever served. No foreign key to ``cases``: the
    log is what was published, and outlives a rebuild of the read model.
    """

    __tablename__ = "disclosure_log"
    __table_args__ = (Index("ix_disclosure_log_published_issued_on", "published", "issued_on"),)

    reference: str = Field(primary_key=True, max_length=64)
    regime: str = Field(max_length=16)
    outcome: str = Field(max_length=32)
    issued_at: datetime = _ts()
    issued_on: date  # the authority's local date of issue: what date searches filter on
    title: str = Field(max_length=300)
    questions: list[dict[str, Any]] = _json_list()  # [{"number": 1, "text": "..."}], redacted
    response_text: str = Field(sa_column=Column(Text, nullable=False))  # as issued, redacted
    search_text: str = Field(sa_column=Column(Text, nullable=False))  # lower-cased, for ?q=
    published: bool = True
    withhold_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    decided_by: str | None = Field(default=None, max_length=64)
    recorded_at: datetime = _ts()


# --- Audit, outbox, counters -----------------------------------------------------------------


class AuditRow(SQLModel, table=True):
    """Append-only, hash-chained per ``chain`` (a case reference, or ``ref-data``)."""

    __tablename__ = "audit_log"
    __table_args__ = (UniqueConstraint("chain", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    chain: str = Field(max_length=64)
    seq: int
    at: datetime = _ts()
    actor: str = Field(max_length=64)  # a user id or "system"; never the requester
    kind: str = Field(max_length=64)
    text: str = Field(sa_column=Column(Text, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    # How ``hash`` was made: "sha256" (rows from before revision 0006, unkeyed) or
    # "hmac-sha256:<key id>". Rows never change algorithm: old rows verify as they were written.
    alg: str = Field(default="sha256", max_length=40, sa_column_kwargs={"server_default": "sha256"})


class AuditHeadRow(SQLModel, table=True):
    """The last link of each chain: what appends lock, and what catches a deleted tail."""

    __tablename__ = "audit_heads"

    chain: str = Field(primary_key=True, max_length=64)
    last_seq: int = 0
    last_hash: str = Field(default="", max_length=64)


class AuditHeadLogRow(SQLModel, table=True):
    """The chain of heads: every committed change of a chain's head, itself hash-chained (keyed).

    A chain deleted whole (rows and head) is still named here with the seq and hash it had.
    """

    __tablename__ = "audit_head_log"
    __table_args__ = (Index("ix_audit_head_log_chain_seq", "chain", "seq"),)

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    chain: str = Field(max_length=64)
    chain_seq: int
    chain_hash: str = Field(max_length=64)
    at: datetime = _ts()
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    alg: str = Field(max_length=40)


class OutboxRow(SQLModel, table=True):
    """A message a case queued, once per idempotency key; the dispatcher drains it.

    ``status``: pending → sent (every recipient sent, or held for their digest) or failed (a
    recipient's last try failed, or nobody could be found to send it to).
    """

    __tablename__ = "notification_outbox"
    __table_args__ = (
        # The dispatcher's claim: pending rows whose time has come.
        Index("ix_notification_outbox_status_not_before", "status", "not_before"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)  # idempotency key: a retry adds nothing
    audience: str = Field(max_length=254)
    subject: str = Field(max_length=300)
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = _ts()
    sent_at: datetime | None = _ts(nullable=True, index=True)
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Null on rows queued before delivery existed: the key says (``{reference}:{kind}:…``).
    reference: str | None = Field(default=None, max_length=64, index=True)
    kind: str | None = Field(default=None, max_length=40)
    facts: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    status: str = Field(
        default="pending",
        sa_column=Column(String(16), nullable=False, server_default="pending"),
    )
    not_before: datetime | None = _ts(nullable=True)  # working hours, or a retry's backoff
    claimed_by: str | None = Field(default=None, max_length=64)  # a dispatcher, until …
    claimed_until: datetime | None = _ts(nullable=True)
    failed_at: datetime | None = _ts(nullable=True)


class DeliveryRow(SQLModel, table=True):
    """One message to one recipient over one channel: claimed (``sending``, with its Message-ID)
    before the send, so a dispatcher that dies between sending and recording never sends it
    again blind — the next one asks the channel, or reports it unconfirmed.

    ``status``: sending, sent, retry, failed, unconfirmed, held (for a daily digest), digested.
    No requester data: the requester's recipient is ``requester`` with no address kept.
    """

    __tablename__ = "notification_deliveries"
    __table_args__ = (UniqueConstraint("outbox_id", "recipient", "channel"),)

    id: int | None = Field(default=None, primary_key=True)
    outbox_id: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("notification_outbox.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    recipient: str = Field(max_length=100)  # a user id, mailbox:<unit>, requester, webhook:…
    channel: str = Field(max_length=16)  # email, webhook, notify
    address: str = Field(default="", max_length=500)
    message_id: str = Field(max_length=200, unique=True)
    status: str = Field(max_length=16, index=True)
    attempts: int = 0
    next_attempt_at: datetime | None = _ts(nullable=True)
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    subject: str = Field(default="", max_length=300)
    body: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    dispatcher: str | None = Field(default=None, max_length=64)  # who sent (or last tried)
    digest_key: str | None = Field(default=None, max_length=200)  # the digest that carried it
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    sent_at: datetime | None = _ts(nullable=True)


class DeliveryRouteRow(SQLModel, table=True):
    """Which channel an audience's messages take: ``unit:vawg`` → a webhook, ``requester`` →
    GOV.UK Notify… The most specific match wins (the address, then its kind, then ``*``); no
    row at all means email. Reference data: edited through ``store.delivery`` and audited."""

    __tablename__ = "delivery_routes"

    audience: str = Field(primary_key=True, max_length=100)
    channel: str = Field(primary_key=True, max_length=16)
    target: str = Field(default="", max_length=500)  # a webhook URL, a Notify template id


class DeliveryPreferenceRow(SQLModel, table=True):
    """A person's choice of how reminders reach them (part of the directory)."""

    __tablename__ = "delivery_preferences"

    user_id: str = Field(
        sa_column=Column(String(64), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    )
    digest: bool = False  # one email on working-day mornings instead of one per reminder
    updated_at: datetime = _ts()


class DispatcherLeaseRow(SQLModel, table=True):
    """On SQLite one dispatcher runs at a time: it holds this lease and renews it each pass."""

    __tablename__ = "dispatcher_leases"

    name: str = Field(primary_key=True, max_length=40)
    holder: str = Field(max_length=64)
    expires_at: datetime = _ts()


class IntakeRow(SQLModel, table=True):
    """Every request foiflow has taken in, by its intake key (a hash of receipt time and text):
    the same request arriving twice, even at the same moment, gets the one reference."""

    __tablename__ = "intake_register"

    intake_key: str = Field(primary_key=True, max_length=64)
    reference: str = Field(max_length=64, unique=True)
    registered_at: datetime = _ts()


class ReferenceCounterRow(SQLModel, table=True):
    __tablename__ = "reference_counters"

    force: str = Field(primary_key=True, max_length=16)
    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    last: int = 0


READ_MODEL_CHILDREN: tuple[type[SQLModel], ...] = (
    TaskRow,
    ExemptionClaimRow,
    SignOffRow,
    ReminderSentRow,
)


# --- Identity: credentials, bearer tokens, page sessions, login attempts, idempotency ---------
# Secrets are stored only as hashes (argon2 for passwords, sha256 for random tokens): a copy of
# the database lets nobody log in or replay a session.


class CredentialRow(SQLModel, table=True):
    """A user's password hash (argon2). No row: the user cannot log in with a password."""

    __tablename__ = "user_credentials"

    user_id: str = Field(
        sa_column=Column(String(64), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    )
    password_hash: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: datetime = _ts()
    last_login_at: datetime | None = _ts(nullable=True)


class ApiTokenRow(SQLModel, table=True):
    """An opaque bearer token, by the sha256 of its text; expires, and can be revoked."""

    __tablename__ = "api_tokens"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(
        sa_column=Column(
            String(64), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    method: str = Field(default="password", max_length=32)  # how the user proved who they are
    created_at: datetime = _ts()
    expires_at: datetime = _ts()
    revoked_at: datetime | None = _ts(nullable=True)


class WebSessionRow(SQLModel, table=True):
    """A page session, by the sha256 of its cookie; its CSRF token is derived, not stored."""

    __tablename__ = "web_sessions"

    session_hash: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(
        sa_column=Column(
            String(64), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    method: str = Field(default="password", max_length=32)
    created_at: datetime = _ts()
    expires_at: datetime = _ts()
    revoked_at: datetime | None = _ts(nullable=True)


class LoginAttemptRow(SQLModel, table=True):
    """One login attempt, for rate limiting per username and per client address.

    ``username`` is what was typed (normalised), not necessarily a user: guessing unknown names
    must be limited the same way, or the limit would tell which names exist.
    """

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_username_at", "username", "at"),
        Index("ix_login_attempts_address_at", "address", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64)
    address: str = Field(max_length=64)
    at: datetime = _ts(index=True)
    succeeded: bool


class IdempotencyKeyRow(SQLModel, table=True):
    """The response to a POST carrying an ``Idempotency-Key``: a repeat gets it back unchanged.

    Keys are per user (two people may pick the same key); ``fingerprint`` is the sha256 of the
    method, path and body, so the same key on a different request is refused, not replayed.
    """

    __tablename__ = "idempotency_keys"

    user_id: str = Field(
        sa_column=Column(String(64), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    )
    key: str = Field(primary_key=True, max_length=255)
    fingerprint: str = Field(max_length=64)
    status_code: int
    body: Any = Field(sa_column=Column(JSON, nullable=True))
    created_at: datetime = _ts(index=True)


class ReviewRow(SQLModel, table=True):
    """A request's review and regulator stage (``ReviewWorkflow``'s projection): what
    statistics count and what the case's timeline adds after the response. No foreign key to
    ``cases``: rebuilding the read model's cases must not take the reviews with them."""

    __tablename__ = "case_reviews"

    reference: str = Field(primary_key=True, max_length=64)
    version: int
    regime: str = Field(max_length=16)
    stage: str = Field(max_length=32, index=True)
    window_ends: date | None = None
    requested_on: date | None = None
    due: date | None = None
    extended: bool = False
    reviewer: str | None = Field(default=None, max_length=64)
    outcome: str | None = Field(default=None, max_length=32)
    decided_on: date | None = None
    on_time: bool | None = None
    complaint_received_on: date | None = None
    decision_notice_on: date | None = None
    notice_decision: str | None = Field(default=None, max_length=32)
    compliance_due: date | None = None
    complied_on: date | None = None
    appeal_by: date | None = None
    # The whole ReviewView (no requester data in it): the timeline and deadlines pages show.
    view: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = _ts()
