"""Activity: hand a case the calendar version it should count on, cut to the case's window."""

from __future__ import annotations

from typing import Any

from temporalio import activity

from domain.messages import LoadCalendar
from settings import get_settings
from store.calendars import calendar_repository


@activity.defn(name="load_calendar")
def load_calendar(request: LoadCalendar) -> dict[str, Any]:
    repository = calendar_repository(get_settings())
    data = repository.latest() if request.version is None else repository.get(request.version)
    # A window keeps the history small; the case reloads on every calendar change anyway.
    return data.window(request.start, request.end).to_json()
