"""Activity: queue a reminder or escalation in the notification outbox, exactly once per key."""

from __future__ import annotations

import logging

from temporalio import activity

from domain.messages import Notification
from settings import get_settings
from store.db import get_engine, session_scope
from store.outbox import enqueue_notification

log = logging.getLogger("foiflow.notify")


@activity.defn(name="send_notification")
def send_notification(notification: Notification) -> bool:
    """True when queued now; False when the key was queued before (a retried activity)."""
    engine = get_engine(get_settings().database_url)
    with session_scope(engine) as session:
        queued = enqueue_notification(
            session,
            notification.key,
            notification.audience,
            notification.subject,
            notification.body,
        )
    # The key names reference, kind, audience and date only: no personal data in logs.
    log.info("notification %s %s", notification.key, "queued" if queued else "already queued")
    return queued
