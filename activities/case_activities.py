"""The request workflow's activities, as one class built with its dependencies.

Workflows call them by method, ``workflow.execute_activity_method(CaseActivities.project_case,
view, ...)``, so arguments and results are type-checked. This module imports only the domain,
the statute core and temporalio: importing it from workflow code never pulls in the store.

Synchronous: the worker runs them on its thread pool. Each is idempotent, because Temporal may
retry or redeliver it: the calendar versions never change, the outbox queues a key once, and the
read model applies only views newer than what it holds.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.ports import CalendarSource, Outbox, ReadModel, ReviewReadModel
from domain.case import CaseView
from domain.messages import LoadCalendar, Notification
from domain.projection import CaseChanges
from domain.review import ReviewView
from statute.calendar import CalendarData, CalendarError

log = logging.getLogger("foiflow.activities")

# The ``load_calendar`` failures no retry can mend: the case records a problem and waits for a
# fix (a version that exists, a calendar that covers it) instead of retrying for ever.
CALENDAR_NOT_FOUND = "CalendarVersionNotFound"
CALENDAR_UNUSABLE = "CalendarUnusable"
CALENDAR_FAILURES = frozenset({CALENDAR_NOT_FOUND, CALENDAR_UNUSABLE})


def load_calendar_window(source: CalendarSource, request: LoadCalendar) -> dict[str, Any]:
    """The calendar version a case counts on, cut to the case's window, in its JSON form (what
    ``CaseState.calendar`` and ``RequestInput.calendar`` carry)."""
    data = source.latest() if request.version is None else source.get(request.version)
    # A window keeps the history small; the case reloads on every calendar change anyway.
    return data.window(request.start, request.end).to_json()


# Windows per calendar version kept in memory: cases received on the same day share one, and a
# calendar change reloads every open case's (each a few KB).
WINDOW_CACHE_SIZE = 4096


class CalendarWindows:
    """Calendar windows by version, start and end, each read from the store and cut once per
    process: a stored version never changes (a change is a new version). The newest version is
    asked for afresh each time (it may have moved)."""

    def __init__(self, source: CalendarSource, size: int = WINDOW_CACHE_SIZE) -> None:
        self.source = source
        self.size = size
        self._versions: dict[int, CalendarData] = {}
        self._windows: dict[tuple[int, Any, Any], dict[str, Any]] = {}
        self._lock = threading.Lock()  # activities run on several threads

    def window(self, request: LoadCalendar) -> dict[str, Any]:
        if request.version is None:
            return load_calendar_window(self.source, request)
        key = (request.version, request.start, request.end)
        with self._lock:
            found = self._windows.get(key)
        if found is not None:
            return found
        with self._lock:
            data = self._versions.get(request.version)
        if data is None:
            data = self.source.get(request.version)
        cut = data.window(request.start, request.end).to_json()
        with self._lock:
            self._versions[request.version] = data
            if len(self._windows) >= self.size:
                self._windows.pop(next(iter(self._windows)))  # the oldest in
            self._windows[key] = cut
        return cut


class CaseActivities:
    def __init__(
        self,
        calendars: CalendarSource,
        outbox: Outbox,
        read_model: ReadModel,
        reviews: ReviewReadModel | None = None,
    ) -> None:
        self.calendars = calendars
        self.windows = CalendarWindows(calendars)
        self.outbox = outbox
        self.read_model = read_model
        # None: a worker without the read model's reviews (tests of the request alone).
        self.reviews = reviews

    @activity.defn(name="load_calendar")
    def load_calendar(self, request: LoadCalendar) -> dict[str, Any]:
        try:
            return self.windows.window(request)
        except LookupError as exc:  # the store's ``CalendarVersionNotFound``
            raise ApplicationError(str(exc), type=CALENDAR_NOT_FOUND, non_retryable=True) from exc
        except CalendarError as exc:  # an edited row, a window outside the coverage
            raise ApplicationError(str(exc), type=CALENDAR_UNUSABLE, non_retryable=True) from exc

    @activity.defn(name="send_notification")
    def send_notification(self, notification: Notification) -> bool:
        """Queue a message (a reminder, an escalation, a notice of what happened); False when a
        retried activity queued it before."""
        queued = self.outbox.enqueue(notification)
        # The key names reference, kind, audience and date only: no personal data in logs.
        log.info("notification %s %s", notification.key, "queued" if queued else "already queued")
        return queued

    @activity.defn(name="project_changes")
    def project_changes(self, changes: CaseChanges) -> None:
        """Queue the messages the case's actions called for, then project what changed."""
        applied = self.read_model.apply_changes(changes)
        log.debug(
            "projection %s v%d %s, %d message(s)",
            changes.reference,
            changes.version,
            "applied" if applied else "stale",
            len(changes.notices),
        )

    @activity.defn(name="project_case")
    def project_case(self, view: CaseView) -> None:
        # Cases from before ``project_changes`` (and their histories) still call this.
        # Returns nothing: recorded histories hold a null result for this activity.
        applied = self.read_model.apply(view)
        # Reference and version only: the view itself carries the requester's personal data.
        log.debug(
            "projection %s v%d %s", view.reference, view.version, "applied" if applied else "stale"
        )

    @activity.defn(name="project_review")
    def project_review(self, view: ReviewView) -> None:
        """The review and regulator stage into the read model (reviews, complaints, timeline)."""
        applied = self.reviews.apply_review(view) if self.reviews is not None else False
        log.debug(
            "review projection %s v%d %s",
            view.reference,
            view.version,
            "applied" if applied else "not applied",
        )

    def all(self) -> list[Callable[..., Any]]:
        """Every activity, bound to these dependencies: what a worker registers."""
        return [
            self.load_calendar,
            self.send_notification,
            self.project_changes,
            self.project_case,
            self.project_review,
        ]
