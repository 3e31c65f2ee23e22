"""What the case activities need from the world, as protocols: the store implements them for the
worker (``activities.store_adapters``), tests may hand in their own."""

from __future__ import annotations

from typing import Protocol

from domain.case import CaseView
from domain.messages import Notification
from domain.projection import CaseChanges
from domain.review import ReviewView
from statute.calendar import CalendarData


class CalendarSource(Protocol):
    """Stored calendar versions (``store.calendars.CalendarRepository`` is one)."""

    def latest(self) -> CalendarData: ...

    def get(self, version: int) -> CalendarData: ...


class Outbox(Protocol):
    """Notifications waiting to be sent, exactly once per key."""

    def enqueue(self, notification: Notification) -> bool:
        """True when queued now; False when its key was queued before."""
        ...


class ReadModel(Protocol):
    """The read model and audit log that pages and statistics read instead of Temporal."""

    def apply(self, view: CaseView) -> bool:
        """Project ``view`` if it is newer than the stored one; True when it was applied."""
        ...

    def apply_changes(self, changes: CaseChanges) -> bool:
        """Queue ``changes.notices`` (each key once) and project the rest if newer than the
        stored version; True when the projection was applied."""
        ...


class ReviewReadModel(Protocol):
    """The read model's reviews and complaints (what statistics and the case's timeline read)."""

    def apply_review(self, view: ReviewView) -> bool:
        """Project ``view`` if it is newer than the stored one; True when it was applied."""
        ...
