"""The case activities on foiflow's store: the worker's (and the tests') real dependencies.

Never imported by workflow code: it pulls in SQLModel tables, which break the workflow sandbox.
"""

from __future__ import annotations

from sqlalchemy import Engine

from activities.case_activities import CaseActivities
from domain.case import CaseView
from domain.messages import Notification
from domain.review import ReviewView
from settings import Settings
from store.audit_keys import configure_audit
from store.calendars import calendar_repository
from store.db import get_engine, session_scope
from store.outbox import enqueue_notification
from store.projection import apply_case_view
from store.reviews import apply_review_view


class StoreOutbox:
    """The notification outbox table; ``ON CONFLICT DO NOTHING`` makes a key count once."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def enqueue(self, notification: Notification) -> bool:
        with session_scope(self.engine) as session:
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


class StoreReadModel:
    """The read model and the hash-chained audit log, written in one transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def apply(self, view: CaseView) -> bool:
        with session_scope(self.engine) as session:
            return apply_case_view(session, view)


class StoreReviews:
    """Reviews and complaints in the read model (``store.reviews``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def apply_review(self, view: ReviewView) -> bool:
        with session_scope(self.engine) as session:
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
