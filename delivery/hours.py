"""When a message may go out: working days of the case's calendar, within the day's hours.

A message queued inside the window goes at once; one queued at 3 a.m., on a Saturday or on a
bank holiday waits for the next working day's send hour. Pure: the caller passes the instant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from statute import WorkingDayCalendar


@dataclass(frozen=True)
class WorkingHours:
    calendar: WorkingDayCalendar
    zone: ZoneInfo
    start_hour: int  # the authority's send hour (reminders.send_hour)
    end_hour: int  # exclusive: nothing goes at or after it

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        """``hour:minute`` wall-clock time on ``day``, as a UTC instant."""
        return datetime.combine(day, time(hour, minute), tzinfo=self.zone).astimezone(UTC)

    def next_slot(self, now: datetime) -> datetime:
        """``now`` when a message may go now, else the next working day's send hour."""
        local = now.astimezone(self.zone)
        day = local.date()
        if self.calendar.is_working_day(day):
            if self.start_hour <= local.hour < self.end_hour:
                return now
            if local.hour < self.start_hour:
                return self.at(day, self.start_hour)
        following = self.calendar.next_working_day(day + timedelta(days=1))
        return self.at(following, self.start_hour)

    def is_open(self, now: datetime) -> bool:
        return self.next_slot(now) == now
