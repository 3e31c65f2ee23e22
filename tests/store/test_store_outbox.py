"""The notification outbox queues each idempotency key once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import Engine, func, select
from sqlmodel import col

from store.db import session_scope
from store.models import OutboxRow
from store.outbox import enqueue_notification, mark_failed, mark_sent, pending_notifications

KEY = "01.FOI.23.000001:unit_reminder:vawg:2023-10-13"


def test_a_key_is_queued_once(engine: Engine) -> None:
    with session_scope(engine) as session:
        assert enqueue_notification(session, KEY, "unit:vawg", "Q1 due", "Please answer Q1") is True
    with session_scope(engine) as session:  # a retried activity, in a new transaction
        assert enqueue_notification(session, KEY, "unit:vawg", "changed", "changed") is False
        rows = session.scalars(select(OutboxRow)).all()
        assert [(r.key, r.subject) for r in rows] == [(KEY, "Q1 due")]


def test_mark_sent_once_and_pending(engine: Engine) -> None:
    with session_scope(engine) as session:
        enqueue_notification(session, KEY, "unit:vawg", "s", "b")
        enqueue_notification(session, "other", "foi_officer", "s", "b")
        assert mark_failed(session, "other", "SMTP 451") is True
    with session_scope(engine) as session:
        assert [r.key for r in pending_notifications(session)] == [KEY, "other"]
        at = datetime(2023, 10, 13, 8, 0, tzinfo=UTC)
        assert mark_sent(session, KEY, at) is True
        assert mark_sent(session, KEY) is False  # already sent
        assert mark_sent(session, "unknown") is False
    with session_scope(engine) as session:
        pending = pending_notifications(session)
        assert [(r.key, r.attempts, r.last_error) for r in pending] == [("other", 1, "SMTP 451")]
        sent = session.scalars(select(OutboxRow).where(col(OutboxRow.key) == KEY)).one()
        assert sent.sent_at == at


def test_concurrent_retries_queue_once(engine: Engine) -> None:
    results: list[bool] = []
    start = threading.Barrier(6)

    def retry() -> None:
        start.wait()
        with session_scope(engine) as session:
            results.append(enqueue_notification(session, KEY, "unit:vawg", "s", "b"))

    threads = [threading.Thread(target=retry) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 5 + [True]
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(OutboxRow)) == 1
