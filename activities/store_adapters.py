"""The case activities on foiflow's store: the worker's (and the tests') real dependencies.

Never imported by workflow code: it pulls in SQLModel tables, which break the workflow sandbox.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from activities.case_activities import CaseActivities
from domain.case import CaseView
from domain.messages import Notification
from domain.projection import CaseChanges
from domain.review import ReviewView
from settings import Settings
from store.audit_keys import configure_audit
from store.calendars import calendar_repository
from store.db import get_engine, is_sqlite, session_scope
from store.outbox import enqueue_notification
from store.projection import apply_case_view, write_changes
from store.reviews import apply_review_view

# SQLite has one writer at a time. Activity threads that each BEGIN IMMEDIATE on their own
# connection wait inside SQLite's busy handler, which sleeps and retries; queueing them on one
# lock per database in this process hands the write lock over at once instead.
_writers: dict[str, threading.Lock] = {}
_writers_lock = threading.Lock()


def _writer(engine: Engine) -> AbstractContextManager[object]:
    url = engine.url.render_as_string(hide_password=False)
    if not is_sqlite(url):
        return nullcontext()
    with _writers_lock:
        return _writers.setdefault(url, threading.Lock())


@contextmanager
def writing(engine: Engine) -> Iterator[Session]:
    """A write transaction, one at a time per SQLite database in this process."""
    with _writer(engine), session_scope(engine) as session:
        yield session


def _enqueue(session: Session, notification: Notification) -> bool:
    return enqueue_notification(
        session,
        notification.key,
        notification.audience,
        notification.subject,
        notification.body,
        reference=notification.reference,
        kind=notification.kind,
        facts=notification.facts,
    )


class StoreOutbox:
    """The notification outbox table; ``ON CONFLICT DO NOTHING`` makes a key count once."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def enqueue(self, notification: Notification) -> bool:
        with writing(self.engine) as session:
            return _enqueue(session, notification)


class StoreReadModel:
    """The read model and the hash-chained audit log, written in one transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def apply(self, view: CaseView) -> bool:
        with writing(self.engine) as session:
            return apply_case_view(session, view)

    def apply_changes(self, changes: CaseChanges) -> bool:
        # The messages and the projection in one transaction: one write lock, one commit.
        with writing(self.engine) as session:
            for notification in changes.notices:
                _enqueue(session, notification)
            return write_changes(session, changes)


class StoreReviews:
    """Reviews and complaints in the read model (``store.reviews``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def apply_review(self, view: ReviewView) -> bool:
        with writing(self.engine) as session:
            return apply_review_view(session, view)


def store_activities(settings: Settings) -> CaseActivities:
    """The activities on the store ``settings`` names. One engine per database URL per process
    (``store.db.get_engine``), shared by the activity threads: SQLAlchemy engines are
    thread-safe."""
    configure_audit(settings)  # the projection signs the audit log with the settings' key
    engine = get_engine(settings.database_url)
    return CaseActivities(
        calendars=calendar_repository(settings),
        outbox=StoreOutbox(engine),
        read_model=StoreReadModel(engine),
        reviews=StoreReviews(engine),
    )
