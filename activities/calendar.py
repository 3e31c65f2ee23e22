"""Kept for ``services.temporal.case_calendar`` until it reads the store through its context.

The activity itself is ``CaseActivities.load_calendar``; the window logic is
``case_activities.load_calendar_window``.
"""

from __future__ import annotations

from typing import Any

from activities.case_activities import load_calendar_window
from domain.messages import LoadCalendar
from settings import get_settings
from store.calendars import calendar_repository


def load_calendar(request: LoadCalendar) -> dict[str, Any]:
    return load_calendar_window(calendar_repository(get_settings()), request)
