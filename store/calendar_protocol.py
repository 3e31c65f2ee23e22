"""What a calendar-version store must do, apart from any one way of storing them.

Version 1 is the snapshot packaged with foiflow. Each refresh from GOV.UK or hand-proclaimed holiday
that changes the content adds the next version; versions are never rewritten, because running cases
and past explanations refer to them by number and fingerprint.
"""

from __future__ import annotations

from typing import Protocol

from statute.calendar import CalendarData, CalendarError


class CalendarVersionNotFound(CalendarError, LookupError):
    """No stored calendar has the version number asked for."""


class CalendarRepository(Protocol):
    """Where calendar versions live. Versions count up from 1 and are immutable once saved."""

    def latest(self) -> CalendarData:
        """The newest version (the packaged snapshot, v1, when nothing was saved yet)."""
        ...

    def get(self, version: int) -> CalendarData:
        """One version; ``CalendarVersionNotFound`` when there is none with that number."""
        ...

    def versions(self) -> list[CalendarData]:
        """Every version, oldest first."""
        ...

    def save_new(self, data: CalendarData) -> CalendarData:
        """Store ``data`` as the next version and return it as stored (with its number).

        Content identical to the latest (same fingerprint) is not a new version: the latest is
        returned and nothing is added.
        """
        ...
