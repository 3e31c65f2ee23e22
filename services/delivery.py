"""Delivery as the front ends and entry points use it: the dispatcher built from the settings
(run beside the worker, or on its own by ``foiflow dispatch``), the local mail sink, and what
the outbox page, the case page and the dashboard read — every message, its recipients and
their outcome; the failures; channel routes and digest preferences (admin).

The requester's address is never in the store: a dispatcher with a Temporal client reads it from
the case when it sends (``temporal_requesters``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import Engine
from temporalio.client import Client

from delivery.channels import Channel, NotifyChannel, SmtpChannel, SmtpSettings, WebhookChannel
from delivery.directory import RequesterLookup
from delivery.dispatcher import DispatchConfig, Dispatcher, dispatch_forever, utc_now
from delivery.sink import Mailbox, MailSink, SinkMessage
from domain.case import Audience, AudienceKind, Requester
from domain.notices import RECIPIENTS, MessageKind
from services.db import in_store
from services.errors import Rejected
from settings import Settings
from store import delivery as store_delivery
from store.db import get_engine
from store.models import DeliveryRow, OutboxRow
from workflows.request import FoiRequestWorkflow

log = logging.getLogger("foiflow.delivery")

QUERY_TIMEOUT_S = 10.0
MAIL_DIR = "mail"


# --- The dispatcher ----------------------------------------------------------------------------


def dispatch_config(settings: Settings) -> DispatchConfig:
    return DispatchConfig(
        public_url=settings.public_url,
        mail_from=settings.mail_from,
        max_attempts=settings.delivery_max_attempts,
        backoff=timedelta(seconds=settings.delivery_backoff_seconds),
        until_hour=settings.delivery_until_hour,
        digest_after=timedelta(minutes=settings.digest_after_minutes),
    )


def channels(settings: Settings, mailbox: Mailbox | None = None) -> dict[str, Channel]:
    """Every channel, configured from ``settings``. ``mailbox``: the local sink's, which can say
    whether a Message-ID arrived after an interrupted send."""
    smtp = SmtpSettings(
        host=settings.smtp_host,
        port=settings.smtp_port,
        security=settings.smtp_security,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value(),
        timeout=settings.smtp_timeout_seconds,
        mail_from=settings.mail_from,
    )
    return {
        "email": SmtpChannel(smtp, confirmer=mailbox.received if mailbox else None),
        "webhook": WebhookChannel(settings.webhook_secret.get_secret_value()),
        "notify": NotifyChannel(
            settings.notify_api_key.get_secret_value(),
            settings.notify_base_url,
            settings.notify_template_id,
        ),
    }


def temporal_requesters(client: Client, loop: asyncio.AbstractEventLoop) -> RequesterLookup:
    """Who asked, read from the case's workflow when a message to them is sent. Called from the
    dispatcher's thread; the query runs on ``loop`` (the one the client was made on)."""

    async def query(reference: str) -> Requester | None:
        handle = client.get_workflow_handle(reference)
        return (await handle.query(FoiRequestWorkflow.state)).requester

    def lookup(reference: str) -> Requester | None:
        future = asyncio.run_coroutine_threadsafe(query(reference), loop)
        try:
            return future.result(QUERY_TIMEOUT_S)
        except Exception as exc:  # unreachable, unknown case: the dispatcher retries later
            log.warning("cannot read case %s for its requester: %s", reference, exc)
            return None

    return lookup


def build_dispatcher(
    settings: Settings,
    *,
    requester: RequesterLookup | None = None,
    mailbox: Mailbox | None = None,
    clock: Callable[[], datetime] = utc_now,
    name: str | None = None,
) -> Dispatcher:
    return Dispatcher(
        get_engine(settings.database_url),
        channels(settings, mailbox),
        dispatch_config(settings),
        requester=requester,
        clock=clock,
        name=name,
    )


async def run_dispatcher(
    settings: Settings,
    client: Client | None,
    stop: asyncio.Event | None = None,
    *,
    mailbox: Mailbox | None = None,
) -> None:
    """Drain the outbox every ``dispatch_interval_seconds`` until ``stop`` is set: what the
    worker runs beside its Temporal work, and ``foiflow dispatch`` on its own."""
    loop = asyncio.get_running_loop()
    requester = temporal_requesters(client, loop) if client is not None else None
    dispatcher = build_dispatcher(settings, requester=requester, mailbox=mailbox)
    log.info("dispatcher %s draining the outbox", dispatcher.name)
    await dispatch_forever(dispatcher, settings.dispatch_interval_seconds, stop)


# --- The local mail sink -------------------------------------------------------------------


def sink_mailbox(settings: Settings) -> Mailbox:
    return Mailbox(settings.data_dir / MAIL_DIR)


def start_mail_sink(settings: Settings) -> MailSink:
    """Start the local SMTP sink on 127.0.0.1:``mail_sink_port``, keeping every message under
    ``$FOIFLOW_DATA_DIR/mail``; ``.stop()`` it on the way out. Pass its ``mailbox`` to
    ``run_dispatcher`` so an interrupted send is checked against what the sink received."""
    return MailSink(sink_mailbox(settings), "127.0.0.1", settings.mail_sink_port).start()


async def sink_messages(settings: Settings, limit: int = 200) -> list[SinkMessage]:
    """What the local sink received, newest first (the outbox page's "mail received")."""
    messages = await asyncio.to_thread(sink_mailbox(settings).messages)
    return list(reversed(messages))[:limit]


# --- What pages and commands read ------------------------------------------------------------


class RecipientOutcome(BaseModel):
    recipient: str  # a user id, mailbox:<unit>, requester, webhook:<audience>
    channel: str
    address: str  # empty for the requester: never kept
    status: str  # sent, held, digested, sending, retry, failed, unconfirmed, new
    attempts: int
    message_id: str
    sent_at: datetime | None
    next_attempt_at: datetime | None
    last_error: str | None
    digest_key: str | None


class OutboxEntry(BaseModel):
    key: str
    reference: str | None
    kind: str | None
    audience: str
    status: str  # pending, sent, failed
    created_at: datetime
    not_before: datetime | None  # waiting for working hours or a retry
    sent_at: datetime | None
    failed_at: datetime | None
    attempts: int
    last_error: str | None
    subject: str  # as sent (the first recipient's), else the case's words
    body: str
    recipients: list[RecipientOutcome]


class DeliveryFailure(BaseModel):
    key: str
    reference: str | None
    kind: str | None
    audience: str
    failed_at: datetime | None
    reason: str
    recipients: list[RecipientOutcome]  # the ones that failed or could not be confirmed


def _outcome(d: DeliveryRow) -> RecipientOutcome:
    return RecipientOutcome(
        recipient=d.recipient,
        channel=d.channel,
        address=d.address,
        status=d.status,
        attempts=d.attempts,
        message_id=d.message_id,
        sent_at=d.sent_at,
        next_attempt_at=d.next_attempt_at,
        last_error=d.last_error,
        digest_key=d.digest_key,
    )


def _entry(row: OutboxRow, deliveries: list[DeliveryRow]) -> OutboxEntry:
    rendered = next((d for d in deliveries if d.body), None)
    return OutboxEntry(
        key=row.key,
        reference=row.reference,
        kind=row.kind,
        audience=row.audience,
        status=row.status,
        created_at=row.created_at,
        not_before=row.not_before,
        sent_at=row.sent_at,
        failed_at=row.failed_at,
        attempts=row.attempts,
        last_error=row.last_error,
        subject=rendered.subject if rendered else row.subject,
        body=(rendered.body or "") if rendered else row.body,
        recipients=[_outcome(d) for d in deliveries],
    )


async def list_outbox(
    engine: Engine,
    *,
    status: str | None = None,
    reference: str | None = None,
    limit: int = 100,
) -> list[OutboxEntry]:
    """Every message queued, newest first, with its recipients and their outcome."""
    if status is not None and status not in ("pending", "sent", "failed"):
        raise Rejected("must be pending, sent or failed", "status")
    found = await in_store(
        engine,
        lambda s: store_delivery.outbox_rows(s, status=status, reference=reference, limit=limit),
    )
    return [_entry(row, deliveries) for row, deliveries in found]


async def case_deliveries(engine: Engine, reference: str) -> list[OutboxEntry]:
    """The messages of one case (its page shows them beside the timeline, failures first)."""
    entries = await list_outbox(engine, reference=reference, limit=500)
    return sorted(entries, key=lambda e: (e.status != "failed", e.created_at))


async def delivery_failures(engine: Engine, limit: int = 200) -> list[DeliveryFailure]:
    """Messages that could not be delivered after their last try: the dashboard's and
    ``foiflow delivery failures``' list. Each stays until someone retries it."""
    found = await in_store(engine, lambda s: store_delivery.failed_rows(s, limit=limit))
    return [
        DeliveryFailure(
            key=row.key,
            reference=row.reference,
            kind=row.kind,
            audience=row.audience,
            failed_at=row.failed_at,
            reason=row.last_error or "failed",
            recipients=[_outcome(d) for d in deliveries if d.status in store_delivery.FAILURES],
        )
        for row, deliveries in found
    ]


async def retry_failed(engine: Engine, key: str) -> None:
    """Send a failed message again (after fixing what failed): its failed recipients get new
    tries with the same Message-ID; those it reached are not sent it twice."""
    now = datetime.now(UTC)
    done = await in_store(engine, lambda s: store_delivery.requeue(s, key, now))
    if not done:
        raise Rejected(f"no failed message with key {key!r}", "key")


def message_kinds() -> list[tuple[str, str]]:
    """(kind, who receives it), for the documentation and ``foiflow delivery kinds``."""
    return [(kind.value, RECIPIENTS[kind]) for kind in MessageKind]


# --- Reference data: channel routes and digest preferences ------------------------------------


async def channel_routes(engine: Engine) -> list[store_delivery.Route]:
    return await in_store(engine, store_delivery.list_routes)


async def set_channel_route(
    engine: Engine, audience: str, channel: str, target: str, actor: str
) -> str:
    """Route ``audience`` (an address like ``unit:vawg``, a kind like ``unit``, or ``*``) to a
    channel; returns "added", "updated" or "unchanged"."""
    _check_audience_pattern(audience)
    route = store_delivery.Route(audience, channel, target)
    try:
        return await in_store(engine, lambda s: store_delivery.save_route(s, route, actor))
    except store_delivery.DeliveryConfigError as exc:
        raise Rejected.from_message(str(exc)) from None


async def remove_channel_route(engine: Engine, audience: str, channel: str, actor: str) -> None:
    removed = await in_store(
        engine, lambda s: store_delivery.remove_route(s, audience, channel, actor)
    )
    if not removed:
        raise Rejected(f"no {channel} route for {audience!r}", "audience")


async def set_digest(engine: Engine, user_id: str, digest: bool, actor: str) -> bool:
    """A user's choice: a daily digest of reminders, or one message each. True when changed."""
    now = datetime.now(UTC)
    try:
        return await in_store(
            engine, lambda s: store_delivery.set_digest(s, user_id, digest, actor, now)
        )
    except store_delivery.DeliveryConfigError as exc:
        raise Rejected.from_message(str(exc)) from None


def _check_audience_pattern(audience: str) -> None:
    if audience == "*" or audience in {k.value for k in AudienceKind}:
        return
    try:
        Audience.parse(audience)
    except ValueError as exc:
        raise Rejected(
            f"{audience!r} is not an audience: use *, a kind (unit, foi_officer…) or an address "
            f"(unit:vawg, role:senior_officer, user:<id>) ({exc})",
            "audience",
        ) from None
