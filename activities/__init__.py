"""Side effects of a case, as Temporal activities: calendar loading, notifications, projection."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from activities.calendar import load_calendar
from activities.notify import send_notification
from activities.projection import project_case

ACTIVITIES: list[Callable[..., Any]] = [load_calendar, send_notification, project_case]

__all__ = ["ACTIVITIES", "load_calendar", "project_case", "send_notification"]
