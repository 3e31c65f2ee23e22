"""A case's policy, made safe to run on: values that would fail every workflow task are replaced
by the defaults, each with a problem the case records.

The settings refuse these values where a person enters them (``store.schema``); this is for
values that reached a case anyway (stored by an older release, or a start input built by hand).
Only values that cannot work are replaced — anything a case could run on stays, so a case that
ran before this check still replays the same way.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.case import SEND_HOURS, CasePolicy, ReminderSchedule

DEFAULT_POLICY = CasePolicy()
DEFAULT_REMINDERS = ReminderSchedule()
Problem = tuple[str, str]  # (field, text)


def _fix(setting: str, value: object) -> str:
    return f"Fix the setting for new cases: `foiflow store settings set {setting} {value}`"


def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def sound_policy(policy: CasePolicy) -> tuple[CasePolicy, list[Problem]]:
    """``policy`` with every value no case can run on replaced by its default, and why."""
    problems: list[Problem] = []
    changes: dict[str, object] = {}
    reminders: dict[str, object] = {}
    sched = policy.reminders

    if sched.send_hour not in SEND_HOURS:
        default = DEFAULT_REMINDERS.send_hour
        reminders["send_hour"] = default
        problems.append(
            (
                "policy.reminders.send_hour",
                f"{sched.send_hour} is not an hour of the day (0 to 23); this case sends its "
                f"reminders at {default}:00. {_fix('reminders.send_hour', default)}",
            )
        )
    if sched.unit_reminder_before_task_due < 0:
        default = DEFAULT_REMINDERS.unit_reminder_before_task_due
        reminders["unit_reminder_before_task_due"] = default
        problems.append(
            (
                "policy.reminders.unit_reminder_before_task_due",
                f"{sched.unit_reminder_before_task_due} working days is negative; this case "
                f"reminds units {default} working days before their deadline. "
                + _fix("reminders.unit_reminder_before_task_due", default),
            )
        )
    if policy.task_working_days < 0:
        default = DEFAULT_POLICY.task_working_days
        changes["task_working_days"] = default
        problems.append(
            (
                "policy.task_working_days",
                f"{policy.task_working_days} working days is negative; this case gives units "
                f"{default} working days. {_fix('task_working_days', default)}",
            )
        )
    if not _known_zone(policy.time_zone):
        zone = DEFAULT_POLICY.time_zone
        changes["time_zone"] = zone
        problems.append(
            (
                "policy.time_zone",
                f"{policy.time_zone!r} is not a known time zone; this case counts its days in "
                f"{zone}. {_fix('time_zone', zone)}",
            )
        )
    if reminders:
        changes["reminders"] = sched.model_copy(update=reminders)
    return (policy.model_copy(update=changes) if changes else policy), problems
