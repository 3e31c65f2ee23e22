"""The dispatcher: drains the outbox, one pass at a time.

A pass (``run_once``):

1. On SQLite, takes the dispatcher lease (one dispatcher at a time there); on PostgreSQL any
   number run, each claiming rows the others are not (``FOR UPDATE SKIP LOCKED``).
2. Makes the daily digests that are due (one per person who chose one, with the reminders held
   for them), as outbox rows of their own.
3. Claims pending rows whose time has come, and for each: waits for working hours (the case's
   calendar, the authority's send hour and zone); resolves the audience to recipients from the
   directory on the first try; then for each recipient renders, claims the send (``sending``,
   its Message-ID committed before anything leaves), sends, and records the outcome.

Exactly once for people: a delivery found ``sending`` was interrupted between send and record.
The channel is asked whether it went (the sink's mailbox, Notify's reference lookup); yes →
recorded sent, no → sent again, cannot tell → ``unconfirmed``, shown as a failure, never sent
again blind. Failures retry with exponential backoff; after the last try the row is ``failed``
and listed by ``services.delivery.delivery_failures`` — never silently dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select
from sqlmodel import col

from delivery.channels import Channel, DeliveryError, Outgoing
from delivery.directory import Directory, RequesterLookup, ResolveError
from delivery.hours import WorkingHours
from delivery.render import Rendered, link_for, message_id, render
from domain.case import Audience, AudienceKind
from domain.notices import DIGESTIBLE, MessageKind
from statute import calendar_for, get_regime
from statute.calendar import CalendarData
from store import delivery as rows
from store.calendar_versions import DbCalendarRepository
from store.db import session_scope
from store.models import CaseRow, DeliveryRow, OutboxRow
from store.outbox import enqueue_notification
from store.refdata import get_authority

log = logging.getLogger("foiflow.delivery")

LEASE = "dispatcher"
REQUESTER_STAND_IN = "[the requester]"  # what the store keeps instead of the requester's name


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class DispatchConfig:
    public_url: str = "http://127.0.0.1:8000"
    mail_from: str = "FOI team <foi@foiflow.localhost>"
    max_attempts: int = 5
    backoff: timedelta = timedelta(minutes=1)  # doubled after each failed try
    until_hour: int = 18
    digest_after: timedelta = timedelta(minutes=5)
    claim_for: timedelta = timedelta(minutes=5)  # a row's claim, and the SQLite lease
    batch: int = 50


@dataclass
class PassReport:
    ran: bool = True  # False: another dispatcher holds the SQLite lease
    claimed: int = 0
    deferred: int = 0  # outside working hours, or waiting for a retry
    sent: int = 0
    held: int = 0  # for a daily digest
    retried: int = 0
    failed: int = 0
    confirmed: int = 0  # an interrupted send the channel confirmed
    unconfirmed: int = 0
    digests: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        if not self.ran:
            return "another dispatcher holds the lease: nothing done"
        parts = [
            f"{n} {name}"
            for name, n in (
                ("claimed", self.claimed),
                ("sent", self.sent),
                ("held for digests", self.held),
                ("digests made", self.digests),
                ("deferred", self.deferred),
                ("to retry", self.retried),
                ("failed", self.failed),
                ("confirmed after an interruption", self.confirmed),
                ("unconfirmed", self.unconfirmed),
            )
            if n
        ]
        parts += [f"error: {e}" for e in self.errors]
        return "; ".join(parts) or "nothing to do"


def key_parts(key: str) -> tuple[str, str]:
    """(reference, kind) from ``{reference}:{kind}:{target}:{day}``, for rows queued before the
    outbox kept them in columns."""
    parts = key.rsplit(":", 3)
    return (parts[0], parts[1]) if len(parts) == 4 else ("", "")


@dataclass
class _Pass:
    """What one pass reads once: the directory, the authority, calendars per case."""

    directory: Directory
    zone: ZoneInfo
    send_hour: int
    authority: str
    hours: dict[tuple[str, int | None], WorkingHours] = field(default_factory=dict)


class Dispatcher:
    def __init__(
        self,
        engine: Engine,
        channels: Mapping[str, Channel],
        config: DispatchConfig | None = None,
        *,
        requester: RequesterLookup | None = None,
        clock: Callable[[], datetime] = utc_now,
        name: str | None = None,
    ) -> None:
        self.engine = engine
        self.channels = dict(channels)
        self.config = config or DispatchConfig()
        self.requester = requester
        self.clock = clock
        self.name = name or f"dispatcher-{uuid.uuid4().hex[:12]}"
        self.calendars = DbCalendarRepository(engine)
        self._calendar_data: dict[int | None, CalendarData] = {}
        self._sqlite = engine.dialect.name == "sqlite"

    # ---- a pass -------------------------------------------------------------------------------

    def run_once(self, now: datetime | None = None) -> PassReport:
        now = now or self.clock()
        report = PassReport()
        if self._sqlite:
            with session_scope(self.engine) as session:
                if not rows.acquire_lease(
                    session, LEASE, self.name, now, now + self.config.claim_for
                ):
                    report.ran = False
                    return report
        ctx = self._read_pass()
        self._make_digests(ctx, now, report)
        with session_scope(self.engine) as session:
            claimed = rows.claim_outbox(
                session, self.name, now, now + self.config.claim_for, self.config.batch
            )
            session.expunge_all()
        report.claimed = len(claimed)
        for row in claimed:
            try:
                self._process(row, ctx, now, report)
            except Exception as exc:  # one bad row must not stop the others
                log.exception("outbox row %s", row.key)
                report.errors.append(f"{row.key}: {exc}")
                with session_scope(self.engine) as session:
                    # Its claim runs out on its own; what went wrong is on the row meanwhile.
                    session.execute(
                        OutboxRow.__table__.update()  # type: ignore[attr-defined]
                        .where(OutboxRow.__table__.c.id == row.id)  # type: ignore[attr-defined]
                        .values(last_error=f"dispatcher error: {exc}")
                    )
        return report

    def stop(self) -> None:
        """Hand the SQLite lease on at once (a clean shutdown)."""
        if self._sqlite:
            with session_scope(self.engine) as session:
                rows.release_lease(session, LEASE, self.name)

    def _read_pass(self) -> _Pass:
        with session_scope(self.engine) as session:
            authority = get_authority(session)
            return _Pass(
                directory=Directory.load(session),
                zone=ZoneInfo(authority.time_zone),
                send_hour=authority.reminders.send_hour,
                authority=authority.name,
            )

    def _calendar(self, version: int | None) -> CalendarData:
        if version not in self._calendar_data:
            self._calendar_data[version] = (
                self.calendars.latest() if version is None else self.calendars.get(version)
            )
        return self._calendar_data[version]

    def _hours(self, ctx: _Pass, regime: str, version: int | None) -> WorkingHours:
        cached = ctx.hours.get((regime, version))
        if cached is None:
            calendar = calendar_for(get_regime(regime), self._calendar(version))
            # A send hour at or after the end of the day still leaves an hour to send in.
            until = max(self.config.until_hour, ctx.send_hour + 1)
            cached = WorkingHours(calendar, ctx.zone, ctx.send_hour, until)
            ctx.hours[(regime, version)] = cached
        return cached

    def _case_hours(self, ctx: _Pass, reference: str) -> WorkingHours:
        """Working hours on the case's calendar (its regime; FOIA's, every UK bank holiday,
        for messages about no case or a case the read model does not hold yet)."""
        with session_scope(self.engine) as session:
            case = session.get(CaseRow, reference) if reference else None
            regime = case.regime if case else "foia"
            version = case.calendar_version if case else None
        return self._hours(ctx, regime, version)

    # ---- one row ------------------------------------------------------------------------------

    def _release(self, row: OutboxRow, **values: Any) -> None:
        with session_scope(self.engine) as session:
            assert row.id is not None
            rows.release_outbox(session, row.id, self.name, **values)

    def _process(self, row: OutboxRow, ctx: _Pass, now: datetime, report: PassReport) -> None:
        reference, kind_name = key_parts(row.key)
        reference = row.reference or reference
        try:
            kind = MessageKind(row.kind or kind_name)
            audience = Audience.parse(row.audience)
        except ValueError as exc:
            self._fail_row(row, now, f"cannot be sent: {exc}", report)
            return
        slot = self._case_hours(ctx, reference).next_slot(now)
        if slot > now:
            # Never at 3 a.m., at a weekend or on a bank holiday: the next working morning.
            self._release(row, not_before=slot)
            report.deferred += 1
            return
        assert row.id is not None
        with session_scope(self.engine) as session:
            deliveries = rows.deliveries_of(session, row.id)
        if not deliveries:
            deliveries = self._expand(row, ctx, kind, audience, reference, now, report)
            if not deliveries:
                return
        for delivery in deliveries:
            self._deliver(row, delivery, ctx, kind, audience, reference, now, report)
        self._settle(row, now, report)

    def _expand(
        self,
        row: OutboxRow,
        ctx: _Pass,
        kind: MessageKind,
        audience: Audience,
        reference: str,
        now: datetime,
        report: PassReport,
    ) -> list[DeliveryRow]:
        """The row's recipients, looked up now and recorded, one delivery each."""
        assert row.id is not None
        try:
            recipients = ctx.directory.recipients(audience, reference, self.requester)
        except ResolveError as exc:
            attempts = row.attempts + 1
            if exc.permanent or attempts >= self.config.max_attempts:
                self._fail_row(row, now, exc.reason, report, attempts=attempts)
            else:
                self._release(
                    row,
                    attempts=attempts,
                    last_error=exc.reason,
                    not_before=now + self._backoff(attempts),
                )
                report.retried += 1
            return []
        values = []
        for r in recipients:
            held = r.digest and kind in DIGESTIBLE and r.channel in ("email", "notify")
            values.append(
                {
                    "outbox_id": row.id,
                    "recipient": r.id,
                    "channel": r.channel,
                    # The requester's address is read again at each send, never kept.
                    "address": "" if r.id == "requester" else r.address,
                    "message_id": message_id(
                        row.key,
                        r.id if r.channel == "email" else f"{r.id}/{r.channel}",
                        self.config.mail_from,
                    ),
                    "status": rows.HELD if held else rows.NEW,
                    "attempts": 0,
                    "subject": "",
                    "created_at": now,
                    "updated_at": now,
                }
            )
            if held:
                report.held += 1
        with session_scope(self.engine) as session:
            rows.add_deliveries(session, values)
            deliveries = rows.deliveries_of(session, row.id)
            session.expunge_all()
        return deliveries

    def _deliver(
        self,
        row: OutboxRow,
        delivery: DeliveryRow,
        ctx: _Pass,
        kind: MessageKind,
        audience: Audience,
        reference: str,
        now: datetime,
        report: PassReport,
    ) -> None:
        status = delivery.status
        if status in rows.DONE:
            return
        if status == rows.RETRY and delivery.next_attempt_at and delivery.next_attempt_at > now:
            return
        channel = self.channels.get(delivery.channel)
        assert delivery.id is not None
        if channel is None:
            self._finish(delivery, rows.FAILED, now, f"no {delivery.channel} channel configured")
            report.failed += 1
            return
        try:
            message, record = self._outgoing(row, delivery, ctx, kind, audience, reference, now)
        except ResolveError as exc:
            self._failed_try(delivery, exc.reason, exc.permanent, now, report, count=True)
            return
        if status == rows.SENDING:
            if delivery.updated_at > now - self.config.claim_for:
                return  # another dispatcher is sending it right now (its row claim ran out)
            # A dispatcher stopped between sending this and recording it.
            verdict = channel.confirm(message)
            if verdict is True:
                self._finish(
                    delivery, rows.SENT, now, "confirmed after an interrupted send", record=record
                )
                report.confirmed += 1
                return
            if verdict is None:
                self._finish(
                    delivery,
                    rows.UNCONFIRMED,
                    now,
                    "interrupted between sending and recording; the server cannot say whether "
                    "it arrived, so it is not sent again (check with the recipient)",
                )
                report.unconfirmed += 1
                return
        with session_scope(self.engine) as session:
            claimed = rows.start_sending(session, delivery.id, status, self.name, now)
        if not claimed:
            return  # another dispatcher took it
        delivery.attempts += 1
        try:
            channel.send(message)
        except DeliveryError as exc:
            self._failed_try(delivery, exc.reason, exc.permanent, now, report)
            return
        self.record_sent(delivery, record, now)
        report.sent += 1

    def record_sent(self, delivery: DeliveryRow, record: Rendered, now: datetime) -> None:
        """The send happened: say so. (A dispatcher killed before this leaves ``sending``.)"""
        self._finish(delivery, rows.SENT, now, None, record=record)

    def _outgoing(
        self,
        row: OutboxRow,
        delivery: DeliveryRow,
        ctx: _Pass,
        kind: MessageKind,
        audience: Audience,
        reference: str,
        now: datetime,
    ) -> tuple[Outgoing, Rendered]:
        """The message for one recipient, and what the store keeps of it (for the requester,
        without their name)."""
        address = delivery.address
        if delivery.recipient == "requester":
            requester = ctx.directory.recipients(audience, reference, self.requester)[0]
            name, address = requester.name, requester.address
        else:
            name = self._name_of(ctx, delivery.recipient, audience)
        facts = dict(row.facts or {})
        items = facts.pop("items", None)

        def rendered(recipient_name: str) -> Rendered:
            return render(
                kind,
                reference=reference,
                facts=facts,
                summary=row.body,
                recipient_name=recipient_name,
                authority=ctx.authority,
                public_url=self.config.public_url,
                reply_to=self.config.mail_from,
                items=items if isinstance(items, list) else None,
            )

        message = rendered(name)
        record = rendered(REQUESTER_STAND_IN) if delivery.recipient == "requester" else message
        outgoing = Outgoing(
            key=row.key,
            message_id=delivery.message_id,
            reference=reference,
            kind=kind.value,
            audience=row.audience,
            recipient=delivery.recipient,
            address=address,
            recipient_name=name,
            subject=message.subject,
            text=message.text,
            html=message.html,
            link=message.link,
            sent_at=now.astimezone(ctx.zone),
            target=self._target(ctx, audience, delivery.channel),
        )
        return outgoing, record

    @staticmethod
    def _name_of(ctx: _Pass, recipient: str, audience: Audience) -> str:
        kind, _, ident = recipient.partition(":")
        if kind == "mailbox":
            unit = ctx.directory.units.get(ident)
            return unit.name if unit else ident
        if kind == "webhook":
            unit = ctx.directory.units.get(audience.unit or "")
            return unit.name if unit else "team"
        user = next((u for u in ctx.directory.users if u.id == recipient), None)
        return user.name if user else recipient

    @staticmethod
    def _target(ctx: _Pass, audience: Audience, channel: str) -> str:
        return next(
            (r.target for r in ctx.directory.routes_for(audience) if r.channel == channel), ""
        )

    # ---- outcomes -----------------------------------------------------------------------------

    def _backoff(self, attempts: int) -> timedelta:
        factor: int = 2 ** max(attempts - 1, 0)
        return self.config.backoff * factor

    def _finish(
        self,
        delivery: DeliveryRow,
        status: str,
        now: datetime,
        note: str | None,
        *,
        record: Rendered | None = None,
    ) -> None:
        assert delivery.id is not None
        values: dict[str, Any] = {"last_error": note, "updated_at": now}
        if status == rows.SENT:
            values["sent_at"] = now
        if record is not None:
            values["subject"] = record.subject[:300]
            values["body"] = record.text
        with session_scope(self.engine) as session:
            rows.finish_delivery(session, delivery.id, status, **values)
        delivery.status = status

    def _failed_try(
        self,
        delivery: DeliveryRow,
        reason: str,
        permanent: bool,
        now: datetime,
        report: PassReport,
        *,
        count: bool = False,
    ) -> None:
        assert delivery.id is not None
        attempts = delivery.attempts + (1 if count else 0)
        if permanent or attempts >= self.config.max_attempts:
            tries = f"after {attempts} tries" if attempts > 1 else "at the first try"
            with session_scope(self.engine) as session:
                rows.finish_delivery(
                    session,
                    delivery.id,
                    rows.FAILED,
                    attempts=attempts,
                    last_error=f"{reason} ({'refused' if permanent else tries})",
                    updated_at=now,
                )
            report.failed += 1
            log.warning(
                "delivery %s to %s failed: %s", delivery.message_id, delivery.recipient, reason
            )
            return
        retry_at = now + self._backoff(attempts)
        with session_scope(self.engine) as session:
            rows.finish_delivery(
                session,
                delivery.id,
                rows.RETRY,
                attempts=attempts,
                last_error=reason,
                next_attempt_at=retry_at,
                updated_at=now,
            )
        report.retried += 1

    def _fail_row(
        self,
        row: OutboxRow,
        now: datetime,
        reason: str,
        report: PassReport,
        *,
        attempts: int | None = None,
    ) -> None:
        self._release(
            row,
            status=rows.FAILED,
            failed_at=now,
            last_error=reason,
            attempts=row.attempts + 1 if attempts is None else attempts,
        )
        report.failed += 1
        log.warning("outbox row %s failed: %s", row.key, reason)

    def _settle(self, row: OutboxRow, now: datetime, report: PassReport) -> None:
        """Close the row when every recipient is done; else wait for the earliest retry."""
        assert row.id is not None
        with session_scope(self.engine) as session:
            deliveries = rows.deliveries_of(session, row.id)
        waiting = [d for d in deliveries if d.status not in rows.DONE]
        if waiting:
            retry_at = min((d.next_attempt_at or now) for d in waiting)
            self._release(row, not_before=retry_at, attempts=max(d.attempts for d in deliveries))
            return
        failures = [d for d in deliveries if d.status in rows.FAILURES]
        attempts = max((d.attempts for d in deliveries), default=row.attempts)
        if failures:
            reason = "; ".join(f"{d.recipient} ({d.channel}): {d.last_error}" for d in failures)
            self._release(
                row, status=rows.FAILED, failed_at=now, last_error=reason, attempts=attempts
            )
            return
        self._release(row, status="sent", sent_at=now, last_error=None, attempts=attempts)

    # ---- daily digests ------------------------------------------------------------------------

    def _make_digests(self, ctx: _Pass, now: datetime, report: PassReport) -> None:
        """At the send hour (plus a few minutes) of a working day, one message per person with
        everything held for them."""
        hours = self._hours(ctx, "foia", None)
        local = now.astimezone(ctx.zone)
        day = local.date()
        if not hours.calendar.is_working_day(day) or local.hour >= self.config.until_hour:
            return
        if now < hours.at(day, ctx.send_hour) + self.config.digest_after:
            return
        with session_scope(self.engine) as session:
            waiting = rows.recipients_with_held(session)
        for recipient in waiting:
            self._make_digest(ctx, recipient, day, now, report)

    def _make_digest(
        self, ctx: _Pass, recipient: str, day: date, now: datetime, report: PassReport
    ) -> None:
        key = f"digest:{recipient}:{day}"
        with session_scope(self.engine) as session:
            if session.scalar(select(col(OutboxRow.id)).where(col(OutboxRow.key) == key)):
                return  # today's went already: what arrived since waits for tomorrow's
            held = rows.held_for(session, recipient)
            if not held:
                return
            items = []
            for _, source in held:
                reference, kind_name = key_parts(source.key)
                reference = source.reference or reference
                kind = MessageKind(source.kind or kind_name)
                items.append(
                    {
                        "reference": reference,
                        "kind": kind.value,
                        "subject": self._subject(ctx, source, kind, reference),
                        "summary": source.body,
                        "link": link_for(kind, reference, self.config.public_url),
                    }
                )
            summary = "\n".join(f"{i['subject']}: {i['summary']}" for i in items)
            enqueue_notification(
                session,
                key,
                Audience(kind=AudienceKind.USER, user=recipient).address,
                f"Your FOI reminders for {day}",
                summary,
                kind=MessageKind.DIGEST.value,
                facts={"day": day.isoformat(), "items": items},
            )
            rows.mark_digested(session, [d.id for d, _ in held if d.id is not None], key, now)
        report.digests += 1

    def _subject(self, ctx: _Pass, row: OutboxRow, kind: MessageKind, reference: str) -> str:
        facts = {k: v for k, v in (row.facts or {}).items() if k != "items"}
        return render(
            kind,
            reference=reference,
            facts=facts,
            summary=row.body,
            recipient_name="",
            authority=ctx.authority,
            public_url=self.config.public_url,
            reply_to=self.config.mail_from,
        ).subject


async def dispatch_forever(
    dispatcher: Dispatcher, interval: float, stop: asyncio.Event | None = None
) -> None:
    """Run passes every ``interval`` seconds until ``stop`` is set (or the task is cancelled).
    Passes run on a thread: channels block (SMTP, HTTP) and so does the requester lookup."""
    stop = stop or asyncio.Event()
    try:
        while not stop.is_set():
            try:
                report = await asyncio.to_thread(dispatcher.run_once)
                if report.claimed or report.digests or report.errors:
                    log.info("dispatch: %s", report)
            except Exception:
                log.exception("dispatch pass failed; trying again in %ss", interval)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
    finally:
        await asyncio.to_thread(dispatcher.stop)
