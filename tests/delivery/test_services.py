"""What ``foiflow up`` and the worker call: the local sink started from the settings, and the
dispatcher running beside other work until told to stop."""

from __future__ import annotations

import asyncio
import smtplib
from datetime import date
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import Engine

from delivery.dispatcher import dispatch_forever
from delivery.sink import MailSink, free_port
from domain.notices import notice_key
from services import delivery
from settings import Settings
from store.db import session_scope
from store.models import DispatcherLeaseRow
from store.outbox import enqueue_notification

from delivery_servers import dispatcher_for, london


async def test_the_local_sink_keeps_what_it_receives_for_the_outbox_page(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, mail_sink_port=free_port())
    sink = delivery.start_mail_sink(settings)
    try:
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = "a@example.org", "b@example.org", "Hello"
        mail["Message-ID"] = "<one@example.org>"
        mail["X-Foiflow-Kind"] = "task_assigned"
        mail.set_content("plain words")
        mail.add_alternative("<p>rich words</p>", subtype="html")
        with smtplib.SMTP("127.0.0.1", settings.mail_sink_port, timeout=5) as smtp:
            smtp.send_message(mail)
    finally:
        sink.stop()
    (received,) = await delivery.sink_messages(settings)
    assert (received.subject, received.kind, received.to) == (
        "Hello",
        "task_assigned",
        ["b@example.org"],
    )
    assert received.text.strip() == "plain words" and "rich words" in received.html
    assert list((tmp_path / "mail").glob("*.eml")) == [received.path]
    assert sink.mailbox.received("<one@example.org>")


async def test_the_dispatcher_runs_beside_other_work_until_stopped(
    sqlite_engine: Engine, sink: MailSink
) -> None:
    with session_scope(sqlite_engine) as session:
        enqueue_notification(
            session,
            notice_key("01.FOI.25.000005", "officer_alert", "case", date(2025, 3, 10)),
            "foi_officer",
            "alert",
            "working day 15 of 20",
            reference="01.FOI.25.000005",
            kind="officer_alert",
            facts={"working_day": "15", "limit": "20", "due": "2025-03-17"},
        )
    dispatcher = dispatcher_for(sqlite_engine, sink)
    dispatcher.clock = lambda: london(2025, 3, 10, 9, 30)
    stop = asyncio.Event()
    running = asyncio.create_task(dispatch_forever(dispatcher, interval=0.05, stop=stop))
    for _ in range(200):
        if sink.mailbox.messages():
            break
        await asyncio.sleep(0.02)
    stop.set()
    await asyncio.wait_for(running, timeout=5)
    assert [m.to for m in sink.mailbox.messages()] == [["aisha.rahman@example.org"]]
    with session_scope(sqlite_engine) as session:
        # A clean stop hands the SQLite lease on.
        assert session.get(DispatcherLeaseRow, "dispatcher") is None
