"""Two dispatchers draining one PostgreSQL outbox at the same moment never send the same row:
each claims with FOR UPDATE SKIP LOCKED, and every message reaches the SMTP server once."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date, timedelta

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from delivery.dispatcher import DispatchConfig, PassReport
from delivery.sink import MailSink
from domain.notices import notice_key
from store.db import session_scope
from store.delivery import claim_outbox
from store.models import DeliveryRow, OutboxRow
from store.outbox import enqueue_notification

from delivery_servers import CONFIG, dispatcher_for, london

ROWS = 40
UNITS = ["vawg", "hate-crime", "community-engagement", "foi"]


def queue_rows(engine: Engine, count: int) -> None:
    with session_scope(engine) as session:
        for n in range(count):
            unit = UNITS[n % len(UNITS)]
            enqueue_notification(
                session,
                notice_key(f"01.FOI.25.{n:06d}", "task_reminder", "q1", date(2025, 3, 10)),
                f"unit:{unit}",
                "reminder",
                "Q1 is due",
                reference=f"01.FOI.25.{n:06d}",
                kind="task_reminder",
                facts={"question": "1", "unit": unit, "due": "2025-03-12"},
            )


def test_a_claim_in_progress_is_skipped_not_waited_for_nor_taken(pg_engine: Engine) -> None:
    queue_rows(pg_engine, 6)
    now = london(2025, 3, 10, 9)
    until = now + timedelta(minutes=5)
    with Session(pg_engine) as first, first.begin():
        mine = {r.id for r in claim_outbox(first, "a", now, until, limit=3)}  # not committed
        with Session(pg_engine) as second, second.begin():
            # Waiting for the first claim's locks would fail here rather than hang.
            second.execute(text("SET LOCAL lock_timeout = '2s'"))
            theirs = {r.id for r in claim_outbox(second, "b", now, until, limit=6)}
    assert len(mine) == 3 and len(theirs) == 3
    assert not mine & theirs


def test_two_dispatchers_on_postgresql_never_send_the_same_row(
    pg_engine: Engine, sink: MailSink
) -> None:
    queue_rows(pg_engine, ROWS)
    # Small batches, so the two keep meeting over the same rows.
    config = DispatchConfig(**{**CONFIG.__dict__, "batch": 3})
    dispatchers = [dispatcher_for(pg_engine, sink, name=n, config=config) for n in ("a", "b")]
    start = threading.Barrier(2)
    reports: dict[str, list[PassReport]] = {"a": [], "b": []}
    errors: list[BaseException] = []

    def drain(index: int) -> None:
        dispatcher = dispatchers[index]
        start.wait()
        try:
            while True:
                report = dispatcher.run_once(london(2025, 3, 10, 9, 1))
                reports[dispatcher.name].append(report)
                if report.claimed == 0:
                    return
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=drain, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    claimed = {name: sum(r.claimed for r in rs) for name, rs in reports.items()}
    assert sum(claimed.values()) == ROWS  # no row claimed twice
    assert all(not r.errors for rs in reports.values() for r in rs)

    with session_scope(pg_engine) as session:
        statuses = Counter(session.scalars(select(OutboxRow.status)))
        deliveries = session.scalars(select(DeliveryRow)).all()
        assert statuses == Counter({"sent": ROWS})
        message_ids = [d.message_id for d in deliveries]
        senders = Counter(d.dispatcher for d in deliveries)
    received = Counter(m.message_id for m in sink.mailbox.messages())
    assert set(received) == set(message_ids)
    assert set(received.values()) == {1}  # every message exactly once
    assert set(senders) <= {"a", "b"}
