"""The webhook and GOV.UK Notify channels against real local HTTP servers: routes from the
reference data, a signature a receiver can verify, Notify's posts recorded and its reference
used to confirm an interrupted send."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from delivery.channels import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    DeliveryError,
    Outgoing,
    WebhookChannel,
    sign,
    verify_signature,
)
from delivery.dispatcher import Dispatcher
from delivery.render import Rendered
from delivery.sink import MailSink
from domain.case import Requester
from domain.notices import notice_key
from services import delivery as services
from services.errors import Rejected
from store.db import session_scope
from store.models import DeliveryRow
from store.outbox import enqueue_notification

from delivery_servers import (
    NOTIFY_TEMPLATE,
    WEBHOOK_SECRET,
    dispatcher_for,
    london,
    notify_api,
    recording_server,
)

REF = "01.FOI.25.000077"
MONDAY_9 = london(2025, 3, 10, 9)
ASKER = Requester(name="A. Requester", email="requester@example.org", address="1 High St")


def queue(engine: Engine, kind: str, audience: str, target: str, **facts: str) -> str:
    key = notice_key(REF, kind, target, date(2025, 3, 10))
    with session_scope(engine) as session:
        enqueue_notification(
            session, key, audience, kind, "words", reference=REF, kind=kind, facts=facts
        )
    return key


async def test_a_unit_routed_to_a_chat_webhook_gets_a_signed_post(
    sqlite_engine: Engine, sink: MailSink
) -> None:
    engine = sqlite_engine
    with recording_server() as chat:
        await services.set_channel_route(engine, "unit:vawg", "webhook", chat.url + "/hook", "t")
        await services.set_channel_route(engine, "unit:vawg", "email", "", "t")
        key = queue(
            engine, "task_assigned", "unit:vawg", "q1@vawg", questions="Q1", due="2025-03-24"
        )
        report = dispatcher_for(engine, sink).run_once(MONDAY_9)
    assert report.sent == 2  # the chat channel and the unit's contact
    (post,) = chat.requests
    assert post.path == "/hook"
    payload = post.json()
    assert payload["key"] == key and payload["kind"] == "task_assigned"
    assert payload["link"] == "https://foi.example.org/tasks"
    assert "Q1" in payload["subject"]
    assert "requester" not in post.body.decode().lower()
    # What a receiver checks: the signature over the timestamp and the exact body.
    timestamp = post.headers[TIMESTAMP_HEADER]
    assert timestamp == str(int(MONDAY_9.timestamp()))
    signature = post.headers[SIGNATURE_HEADER]
    now = MONDAY_9.timestamp() + 5
    assert verify_signature(WEBHOOK_SECRET.encode(), timestamp, post.body, signature, now=now)
    assert not verify_signature(b"wrong", timestamp, post.body, signature, now=now)
    assert not verify_signature(
        WEBHOOK_SECRET.encode(), timestamp, post.body + b" ", signature, now=now
    )
    late = now + 3600  # a captured post replayed an hour later
    assert not verify_signature(WEBHOOK_SECRET.encode(), timestamp, post.body, signature, now=late)
    assert post.headers["Idempotency-Key"].startswith("<")
    assert [m.to for m in sink.mailbox.messages()] == [["tom.oduya@example.org"]]


def test_a_webhook_that_errors_is_retried_and_a_bad_request_is_not() -> None:
    channel = WebhookChannel(WEBHOOK_SECRET, timeout=5)
    message = Outgoing(
        key="k",
        message_id="<m@x>",
        reference=REF,
        kind="task_assigned",
        audience="unit:vawg",
        recipient="webhook:unit:vawg",
        address="",
        recipient_name="VAWG",
        subject="s",
        text="t",
        html="h",
        link=None,
        sent_at=datetime(2025, 3, 10, 9),
    )
    for status, permanent in ((503, False), (429, False), (400, True), (404, True)):
        with recording_server(lambda r, seen, s=status: (s, {})) as server:
            with pytest.raises(DeliveryError) as failed:
                channel.send(Outgoing(**{**message.__dict__, "address": server.url}))
            assert failed.value.permanent is permanent, status
    with pytest.raises(DeliveryError, match=r"webhook http://127\.0\.0\.1:9/"):
        channel.send(Outgoing(**{**message.__dict__, "address": "http://127.0.0.1:9/"}))
    assert sign(b"k", "1", b"{}") == sign(b"k", "1", b"{}") != sign(b"k", "2", b"{}")


class Killed(BaseException):
    pass


class DiesAfterSending(Dispatcher):
    def record_sent(self, delivery: DeliveryRow, record: Rendered, now: datetime) -> None:
        raise Killed


async def test_the_requester_routed_to_gov_uk_notify(sqlite_engine: Engine, sink: MailSink) -> None:
    engine = sqlite_engine
    await services.set_channel_route(engine, "requester", "notify", "", "t")
    with recording_server(notify_api) as notify:
        key = queue(
            engine,
            "acknowledgement",
            "requester",
            "case",
            regime="foia",
            received="2025-03-07",
            due="2025-04-04",
        )
        with pytest.raises(Killed):
            dispatcher_for(
                engine,
                sink,
                requester=lambda ref: ASKER,
                notify_url=notify.url,
                cls=DiesAfterSending,
            ).run_once(MONDAY_9)
        (post,) = notify.requests
        assert post.path == "/v2/notifications/email"
        sent = post.json()
        assert sent["email_address"] == "requester@example.org"
        assert sent["template_id"] == NOTIFY_TEMPLATE
        assert sent["reference"] == f"{key}/requester"
        assert sent["personalisation"]["subject"] == f"Your request for information ({REF})"
        assert "Dear A. Requester" in sent["personalisation"]["body"]
        assert "Friday 4 April 2025" in sent["personalisation"]["body"]

        # The dispatcher died before recording it: Notify is asked by reference, not resent.
        again = dispatcher_for(engine, sink, requester=lambda ref: ASKER, notify_url=notify.url)
        report = again.run_once(MONDAY_9 + timedelta(minutes=6))
        assert report.confirmed == 1 and report.sent == 0
        assert [r.method for r in notify.requests] == ["POST", "GET"]
    assert sink.mailbox.messages() == []  # Notify, not SMTP
    with session_scope(engine) as session:
        (delivery,) = session.scalars(select(DeliveryRow)).all()
        assert (delivery.channel, delivery.status, delivery.address) == ("notify", "sent", "")


async def test_bad_routes_are_refused_with_the_field_and_the_reason(sqlite_engine: Engine) -> None:
    engine = sqlite_engine
    cases = [
        ("unit:vawg", "pigeon", "", "channel"),
        ("unit:vawg", "webhook", "ftp://x", "target"),
        ("requester", "webhook", "https://chat.example.org", "channel"),
        ("unit:vawg", "email", "someone@example.org", "target"),
        ("units:vawg", "email", "", "audience"),
    ]
    for audience, channel, target, field in cases:
        with pytest.raises(Rejected) as refused:
            await services.set_channel_route(engine, audience, channel, target, "t")
        assert refused.value.field == field, (audience, channel, target, refused.value)
    assert await services.set_channel_route(engine, "role", "email", "", "t") == "added"
    assert await services.set_channel_route(engine, "role", "email", "", "t") == "unchanged"
    await services.remove_channel_route(engine, "role", "email", "t")
    assert await services.channel_routes(engine) == []
    with pytest.raises(Rejected, match="no email route"):
        await services.remove_channel_route(engine, "role", "email", "t")
    with pytest.raises(Rejected, match="user: no user 'nobody'"):
        await services.set_digest(engine, "nobody", True, "t")
