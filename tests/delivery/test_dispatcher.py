"""The dispatcher against a real SMTP server on loopback, on SQLite and PostgreSQL: retries with
backoff, exactly one message when a dispatcher dies between sending and recording, working
hours, digests, audiences resolved at send time, and failures that stay visible."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from delivery.channels import Outgoing
from delivery.dispatcher import Dispatcher
from delivery.render import Rendered
from delivery.sink import MailSink
from domain.case import Requester
from domain.notices import notice_key
from services import delivery as services
from store.db import session_scope
from store.models import DeliveryRow, OutboxRow
from store.outbox import enqueue_notification
from store.refdata import save_unit, save_user, set_setting
from store.schema import UnitSpec, UserSpec

from delivery_servers import FlakyHandler, dispatcher_for, london

REF = "01.FOI.25.000042"
MONDAY_9 = london(2025, 3, 10, 9)  # a working day, at the send hour


def queue(
    engine: Engine,
    kind: str,
    audience: str,
    *,
    target: str = "q1",
    day: date = date(2025, 3, 10),
    facts: dict[str, Any] | None = None,
    body: str = "Q1 is due from your unit on 2025-03-12",
) -> str:
    key = notice_key(REF, kind, target, day)
    with session_scope(engine) as session:
        enqueue_notification(
            session,
            key,
            audience,
            f"[{REF}] {kind}",
            body,
            reference=REF,
            kind=kind,
            facts=facts
            if facts is not None
            else {"question": "1", "unit": "vawg", "due": "2025-03-12"},
        )
    return key


def row(engine: Engine, key: str) -> OutboxRow:
    with session_scope(engine) as session:
        found = session.scalars(select(OutboxRow).where(OutboxRow.key == key)).one()
        session.expunge(found)
        return found


def deliveries(engine: Engine, key: str) -> list[DeliveryRow]:
    with session_scope(engine) as session:
        outbox_id = session.scalars(select(OutboxRow.id).where(OutboxRow.key == key)).one()
        found = list(session.scalars(select(DeliveryRow).where(DeliveryRow.outbox_id == outbox_id)))
        session.expunge_all()
        return found


def replace_handler(sink: MailSink, handler: Any) -> None:
    sink.controller.handler = handler  # each connection gets a server with the handler of now


# --- retries ----------------------------------------------------------------------------------


def test_a_server_that_fails_twice_then_accepts_yields_exactly_one_message(
    engine: Engine, sink: MailSink
) -> None:
    flaky = FlakyHandler(sink.mailbox, failures=2)
    replace_handler(sink, flaky)
    key = queue(engine, "task_reminder", "unit:vawg")
    dispatcher = dispatcher_for(engine, sink)

    first = dispatcher.run_once(MONDAY_9)
    assert (first.sent, first.retried) == (0, 1)
    (tom,) = deliveries(engine, key)
    assert (tom.recipient, tom.status, tom.attempts) == ("tom-oduya", "retry", 1)
    assert "451" in (tom.last_error or "")

    # Backoff: nothing is tried before the minute is up, then two, then four…
    assert dispatcher.run_once(MONDAY_9 + timedelta(seconds=30)).claimed == 0
    assert flaky.attempts == 1
    assert dispatcher.run_once(MONDAY_9 + timedelta(minutes=1)).retried == 1
    assert dispatcher.run_once(MONDAY_9 + timedelta(minutes=2)).claimed == 0
    assert dispatcher.run_once(MONDAY_9 + timedelta(minutes=3)).sent == 1

    assert flaky.attempts == 3
    assert sink.mailbox.count(tom.message_id) == 1
    (message,) = sink.mailbox.messages()
    assert message.to == ["tom.oduya@example.org"]
    assert message.kind == "task_reminder" and message.reference == REF
    assert row(engine, key).status == "sent"


async def test_after_the_last_try_the_failure_stays_visible_and_can_be_retried(
    engine: Engine, sink: MailSink
) -> None:
    replace_handler(sink, FlakyHandler(sink.mailbox, failures=99))
    key = queue(engine, "task_reminder", "unit:vawg")
    dispatcher = dispatcher_for(engine, sink)
    at = MONDAY_9
    for wait in (0, 1, 2, 4):  # minutes: the backoff doubles
        at += timedelta(minutes=wait)
        dispatcher.run_once(at)
    failed = row(engine, key)
    assert failed.status == "failed" and failed.failed_at == at
    assert "tom-oduya (email): SMTP 451" in (failed.last_error or "")
    assert "after 4 tries" in (failed.last_error or "")

    (failure,) = await services.delivery_failures(engine)
    assert failure.key == key and failure.reference == REF
    assert [(r.recipient, r.status, r.attempts) for r in failure.recipients] == [
        ("tom-oduya", "failed", 4)
    ]
    (listed,) = await services.list_outbox(engine, status="failed")
    assert listed.key == key

    # Fixed: the operator retries, and it goes.
    replace_handler(sink, FlakyHandler(sink.mailbox, failures=0))
    await services.retry_failed(engine, key)
    assert dispatcher.run_once(at + timedelta(minutes=1)).sent == 1
    assert row(engine, key).status == "sent"
    assert await services.delivery_failures(engine) == []


def test_a_refused_address_fails_at_once(engine: Engine, sink: MailSink) -> None:
    replace_handler(sink, FlakyHandler(sink.mailbox, failures=1, code="550 5.1.1 no such user"))
    key = queue(engine, "task_reminder", "unit:vawg")
    report = dispatcher_for(engine, sink).run_once(MONDAY_9)
    assert report.failed == 1
    assert row(engine, key).status == "failed"
    assert "(refused)" in (deliveries(engine, key)[0].last_error or "")


# --- exactly once when a dispatcher dies ----------------------------------------------------


class Killed(BaseException):
    """The process dying: nothing in the dispatcher catches it."""


class DiesAfterSending(Dispatcher):
    def record_sent(self, delivery: DeliveryRow, record: Rendered, now: datetime) -> None:
        raise Killed


def test_a_dispatcher_killed_between_send_and_record_does_not_send_twice(
    engine: Engine, sink: MailSink
) -> None:
    key = queue(engine, "task_reminder", "unit:vawg")
    with pytest.raises(Killed):
        dispatcher_for(engine, sink, cls=DiesAfterSending, name="dies").run_once(MONDAY_9)
    (sending,) = deliveries(engine, key)
    assert sending.status == "sending" and sink.mailbox.count(sending.message_id) == 1

    again = dispatcher_for(engine, sink, name="next")
    # The dead one's claim (and on SQLite its lease) runs out first.
    assert again.run_once(MONDAY_9 + timedelta(minutes=1)).claimed == 0
    if engine.dialect.name == "postgresql":
        # A dispatcher that finds the row free while the send is still young leaves it be:
        # the one sending may only be slow.
        with session_scope(engine) as session:
            session.execute(update(OutboxRow).values(claimed_until=None))
        assert again.run_once(MONDAY_9 + timedelta(minutes=2)).confirmed == 0
        assert deliveries(engine, key)[0].status == "sending"
    report = again.run_once(MONDAY_9 + timedelta(minutes=6))
    assert (report.confirmed, report.sent) == (1, 0)
    (done,) = deliveries(engine, key)
    assert done.status == "sent" and done.last_error == "confirmed after an interrupted send"
    assert sink.mailbox.count(done.message_id) == 1
    assert row(engine, key).status == "sent"


def test_without_a_server_to_ask_an_interrupted_send_is_reported_not_repeated(
    engine: Engine, sink: MailSink
) -> None:
    key = queue(engine, "task_reminder", "unit:vawg")
    with pytest.raises(Killed):
        dispatcher_for(engine, sink, cls=DiesAfterSending, confirm=False).run_once(MONDAY_9)
    report = dispatcher_for(engine, sink, confirm=False).run_once(MONDAY_9 + timedelta(minutes=6))
    assert report.unconfirmed == 1 and report.sent == 0
    assert len(sink.mailbox.messages()) == 1
    failed = row(engine, key)
    assert failed.status == "failed" and "not sent again" in (failed.last_error or "")


def test_a_send_that_never_left_is_sent_after_the_crash(engine: Engine, sink: MailSink) -> None:
    key = queue(engine, "task_reminder", "unit:vawg")
    dying = dispatcher_for(engine, sink, name="dies")
    email = dying.channels["email"]

    class Unplugged:
        name = "email"

        def send(self, message: Outgoing) -> None:
            raise Killed

        def confirm(self, message: Outgoing) -> bool | None:
            return email.confirm(message)

    dying.channels["email"] = Unplugged()
    with pytest.raises(Killed):
        dying.run_once(MONDAY_9)
    assert sink.mailbox.messages() == []
    report = dispatcher_for(engine, sink).run_once(MONDAY_9 + timedelta(minutes=6))
    assert report.sent == 1
    (done,) = deliveries(engine, key)
    assert (done.status, done.attempts) == ("sent", 2)
    assert sink.mailbox.count(done.message_id) == 1


# --- working hours ----------------------------------------------------------------------------


def test_nothing_goes_at_night_at_weekends_or_on_bank_holidays(
    engine: Engine, sink: MailSink
) -> None:
    # Received on Easter Saturday at 3 a.m.; Easter Monday is a bank holiday.
    key = queue(
        engine,
        "acknowledgement",
        "requester",
        target="case",
        day=date(2025, 4, 19),
        facts={"regime": "foia", "received": "2025-04-19", "due": "2025-05-20"},
        body="request received",
    )
    asker = Requester(name="A. Requester", email="requester@example.org")
    dispatcher = dispatcher_for(engine, sink, requester=lambda ref: asker)
    assert dispatcher.run_once(london(2025, 4, 19, 3)).deferred == 1
    assert row(engine, key).not_before == london(2025, 4, 22, 9)
    for at in (london(2025, 4, 21, 10), london(2025, 4, 22, 8, 59)):
        assert dispatcher.run_once(at).claimed == 0
    assert dispatcher.run_once(london(2025, 4, 22, 9)).sent == 1
    (mail,) = sink.mailbox.messages()
    assert mail.date == london(2025, 4, 22, 9)
    assert mail.to == ["requester@example.org"]
    assert "Dear A. Requester" in mail.text and "Tuesday 20 May 2025" in mail.text
    # The store keeps what was sent, but not who it was sent to.
    (kept,) = deliveries(engine, key)
    assert kept.recipient == "requester" and kept.address == ""
    assert "A. Requester" not in (kept.body or "") and "[the requester]" in (kept.body or "")


def test_after_the_working_day_a_message_waits_for_the_next_morning(
    engine: Engine, sink: MailSink
) -> None:
    key = queue(engine, "task_assigned", "unit:vawg", target="q1@vawg")
    dispatcher = dispatcher_for(engine, sink)
    assert dispatcher.run_once(london(2025, 3, 10, 18)).deferred == 1
    assert row(engine, key).not_before == london(2025, 3, 11, 9)
    assert dispatcher.run_once(london(2025, 3, 10, 17, 59)).claimed == 0  # already deferred
    assert dispatcher.run_once(london(2025, 3, 11, 9, 0, 1)).sent == 1


# --- digests ----------------------------------------------------------------------------------


async def test_a_daily_digest_replaces_one_email_per_reminder(
    engine: Engine, sink: MailSink
) -> None:
    assert await services.set_digest(engine, "priya-nair", True, "tests") is True
    reminders = [
        queue(
            engine,
            "task_reminder",
            "unit:hate-crime",
            target=f"q{q}",
            facts={"question": str(q), "unit": "hate-crime", "due": "2025-03-12"},
            body=f"Q{q} is due from your unit on 2025-03-12",
        )
        for q in (4, 5)
    ]
    assigned = queue(engine, "task_assigned", "unit:hate-crime", target="q6@hate-crime")
    dispatcher = dispatcher_for(engine, sink)

    report = dispatcher.run_once(MONDAY_9)
    assert (report.sent, report.held, report.digests) == (1, 2, 0)
    (first,) = sink.mailbox.messages()
    assert first.kind == "task_assigned"  # what happened is told at once
    assert [d.status for k in reminders for d in deliveries(engine, k)] == ["held", "held"]

    assert dispatcher.run_once(MONDAY_9 + timedelta(minutes=4)).digests == 0
    report = dispatcher.run_once(MONDAY_9 + timedelta(minutes=5))
    assert (report.digests, report.sent) == (1, 1)
    digest = sink.mailbox.messages()[-1]
    assert digest.kind == "digest" and digest.to == ["priya.nair@example.org"]
    assert digest.date == london(2025, 3, 10, 9, 5)
    assert "Reminder: Q4 is due" in digest.text and "Reminder: Q5 is due" in digest.text
    assert "https://foi.example.org/tasks" in digest.text
    assert all(
        d.status == "digested" and d.digest_key == "digest:priya-nair:2025-03-10"
        for k in reminders
        for d in deliveries(engine, k)
    )
    # One a day, and none on a non-working day.
    assert dispatcher.run_once(MONDAY_9 + timedelta(hours=2)).digests == 0
    assert row(engine, assigned).status == "sent"
    assert len(sink.mailbox.messages()) == 2


# --- audiences at send time -------------------------------------------------------------------


def test_audiences_resolve_from_the_directory_when_sent(engine: Engine, sink: MailSink) -> None:
    with session_scope(engine) as session:
        # A unit with no contacts: its team mailbox gets the message.
        save_unit(
            session,
            UnitSpec(id="archives", name="Archives", email="archives@example.org"),
            "tests",
        )
        save_unit(session, UnitSpec(id="empty", name="Nobody here"), "tests")
        # Someone who joins after the message was queued but before it is sent gets it.
        save_user(
            session,
            UserSpec(
                id="new-senior",
                name="New Senior",
                email="new.senior@example.org",
                roles=["senior_officer"],
            ),
            "tests",
        )
    keys = {
        "mailbox": queue(engine, "task_assigned", "unit:archives", target="q1@archives"),
        "manager": queue(engine, "task_escalation", "unit_manager:vawg"),
        "sign_off": queue(engine, "sign_off_requested", "role:senior_officer", target="s31"),
        "officer": queue(engine, "officer_alert", "foi_officer", target="case"),
        "nobody": queue(engine, "task_assigned", "unit:empty", target="q2@empty"),
        "unknown": queue(engine, "task_assigned", "unit:gone", target="q3@gone"),
    }
    dispatcher_for(engine, sink).run_once(MONDAY_9)
    assert sorted(a for m in sink.mailbox.messages() for a in m.to) == [
        "aisha.rahman@example.org",
        "archives@example.org",
        "david.hughes@example.org",
        "helen.marsh@example.org",
        "new.senior@example.org",
    ]
    assert row(engine, keys["nobody"]).last_error == (
        "nobody to send to: unit empty has no active contacts and no team mailbox"
    )
    assert row(engine, keys["unknown"]).last_error == "unit 'gone' is not in the directory"
    assert row(engine, keys["mailbox"]).status == "sent"


def test_the_sqlite_dispatcher_runs_one_at_a_time(sqlite_engine: Engine, sink: MailSink) -> None:
    engine = sqlite_engine  # PostgreSQL runs several at once: test_concurrency
    first = dispatcher_for(engine, sink, name="first")
    second = dispatcher_for(engine, sink, name="second")
    assert first.run_once(MONDAY_9).ran
    assert not second.run_once(MONDAY_9 + timedelta(minutes=1)).ran
    first.stop()  # a clean stop hands the lease on at once
    assert second.run_once(MONDAY_9 + timedelta(minutes=1)).ran
    assert first.run_once(MONDAY_9 + timedelta(minutes=7)).ran  # the lease ran out


def test_an_evening_send_hour_still_sends(sqlite_engine: Engine, sink: MailSink) -> None:
    with session_scope(sqlite_engine) as session:
        set_setting(session, "reminders.send_hour", "19", "tests")
    key = queue(sqlite_engine, "task_reminder", "unit:vawg")
    dispatcher = dispatcher_for(sqlite_engine, sink)
    assert dispatcher.run_once(london(2025, 3, 10, 12)).deferred == 1
    assert row(sqlite_engine, key).not_before == london(2025, 3, 10, 19)
    assert dispatcher.run_once(london(2025, 3, 10, 19)).sent == 1
