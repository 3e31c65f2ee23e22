"""Reference data as pydantic models: what the seed file holds and what the tables are edited with.

No database here, so the CLI can read a seed file as a directory before any database exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from domain.case import MAX_REMINDER_WORKING_DAYS, SEND_HOURS, CasePolicy, ReminderSchedule
from domain.intake import RoutingRule
from statute.clock import LONDON
from statute.exemptions import COST_LIMIT_HOURS, DEFAULT_SIGN_OFF_POLICY, Role
from statute.exemptions import check_sign_off_role as check_sign_off_role  # callers import it here

SLUG = r"^[a-z0-9][a-z0-9_-]{0,63}$"
# Routing priorities: lower wins; the range fits the column on every engine, with room to spare.
PRIORITY_MIN, PRIORITY_MAX = 0, 1_000_000
DEFAULT_REFERENCE_PATTERN = "{force}.FOI.{yy}.{seq:06d}"
AuthorityKind = Literal["central_government", "other"]


def format_reference(pattern: str, *, force: str, year: int, seq: int) -> str:
    """``{force}.FOI.{yy}.{seq:06d}`` with force "01", 2023, 31576 → ``01.FOI.23.031576``."""
    return pattern.format(force=force, yy=f"{year % 100:02d}", yyyy=f"{year:04d}", seq=seq)


def validation_problems(exc: ValidationError) -> list[str]:
    """Pydantic's errors as ``where: what`` lines a person can act on.

    The one formatter for validation errors: a validator's own ``ValueError`` text is shown as
    written, without pydantic's "Value error, " prefix.
    """
    problems: list[str] = []
    for error in exc.errors():
        where = ".".join(map(str, error["loc"])) or "(top level)"
        what = error["msg"].removeprefix("Value error, ")
        problems.append(f"{where}: {what}")
    return problems


class StrictModel(BaseModel):
    # A typo in a seed file ("manger:") must fail loudly, not be dropped.
    model_config = ConfigDict(extra="forbid")


_REMINDERS = ReminderSchedule()
_MAX_DAYS = MAX_REMINDER_WORKING_DAYS


class ReminderSettings(StrictModel):
    """The reminder schedule as an admin sets it: every value a case can run on, and no other
    (a case keeps it for its whole life; ``domain.case.ReminderSchedule`` is what it keeps)."""

    unit_reminder_before_task_due: int = Field(
        default=_REMINDERS.unit_reminder_before_task_due, ge=0, le=_MAX_DAYS
    )
    escalate_overdue_tasks: bool = _REMINDERS.escalate_overdue_tasks
    # Working day N of the statutory limit; 0 sends no alert.
    officer_alert_at_working_day: int = Field(
        default=_REMINDERS.officer_alert_at_working_day, ge=0, le=_MAX_DAYS
    )
    manager_alert_at_working_day: int = Field(
        default=_REMINDERS.manager_alert_at_working_day, ge=0, le=_MAX_DAYS
    )
    alert_on_due_date: bool = _REMINDERS.alert_on_due_date
    alert_each_day_overdue: bool = _REMINDERS.alert_each_day_overdue
    send_hour: int = Field(
        default=_REMINDERS.send_hour,
        ge=SEND_HOURS.start,
        le=SEND_HOURS.stop - 1,
        description="The local hour reminders go out, 0 to 23.",
    )

    def schedule(self) -> ReminderSchedule:
        return ReminderSchedule(**self.model_dump())


class AuthoritySettings(StrictModel):
    name: str = Field(default="", max_length=200)
    # The letterhead of responses: where requesters write (for internal reviews too) and how
    # else they reach the FOI team. Empty fields are left off the letter.
    address: str = Field(default="", max_length=500)  # one line per line of the address
    email: str = Field(default="", max_length=254)
    telephone: str = Field(default="", max_length=40)
    website: str = Field(default="", max_length=200)
    letter_signatory: str = Field(default="", max_length=200)  # e.g. "Information Rights Unit"
    kind: AuthorityKind = "other"
    force_code: str = Field(default="01", pattern=r"^[A-Za-z0-9]{1,16}$")
    reference_pattern: str = DEFAULT_REFERENCE_PATTERN
    # None: the s12 appropriate limit for the kind (Fees Regulations 2004: 24 h or 18 h).
    # Finite: JSON has no infinity, so an infinite limit would reach cases as null.
    cost_limit_hours: float | None = Field(default=None, gt=0, le=10_000, allow_inf_nan=False)
    time_zone: str = LONDON
    task_working_days: int = Field(default=10, ge=1, le=20)
    roll_non_working_receipt: bool = False
    sign_off_default_role: Role = DEFAULT_SIGN_OFF_POLICY.default_role
    reminders: ReminderSettings = Field(default_factory=ReminderSettings)
    # The records retention schedule: years from a case's closure after which the requester's
    # details are erased from the store (`foiflow store erase-expired`). None: never erased.
    retention_years: int | None = Field(default=None, ge=1, le=100)

    @field_validator("reference_pattern")
    @classmethod
    def _pattern_formats(cls, value: str) -> str:
        try:
            sample = format_reference(value, force="01", year=2023, seq=1)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(
                f"{value!r} does not format; use {{force}}, {{yy}}, {{yyyy}} and {{seq}}, "
                f"e.g. {DEFAULT_REFERENCE_PATTERN!r} ({exc})"
            ) from None
        if "{seq" not in value:
            raise ValueError(f"{value!r} has no {{seq}}: every reference would be the same")
        if len(sample) > 48:
            raise ValueError(f"{value!r} makes references longer than 48 characters")
        return value

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone (e.g. {LONDON!r})") from None
        return value

    @property
    def effective_cost_limit_hours(self) -> float:
        if self.cost_limit_hours is not None:
            return self.cost_limit_hours
        return float(COST_LIMIT_HOURS[self.kind])


class UnitSpec(StrictModel):
    id: str = Field(pattern=SLUG)
    name: str = Field(min_length=1, max_length=200)
    manager: str | None = None  # a user id
    email: str | None = None  # a team mailbox


class UserSpec(StrictModel):
    id: str = Field(pattern=SLUG)
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    roles: list[Role] = Field(default_factory=list)
    units: list[str] = Field(default_factory=list)
    active: bool = True


class RoutingRuleSpec(RoutingRule):
    """A routing rule as the seed file and the table hold it; matching is ``domain.intake``'s."""

    model_config = ConfigDict(extra="forbid")

    priority: int = Field(default=100, ge=PRIORITY_MIN, le=PRIORITY_MAX)


def check_directory(
    units: Sequence[UnitSpec], users: Sequence[UserSpec], rules: Sequence[RoutingRuleSpec]
) -> list[str]:
    """Cross-references that do not resolve, as readable problems (empty when consistent)."""
    problems: list[str] = []
    unit_ids = [u.id for u in units]
    user_ids = [u.id for u in users]
    for kind, ids in (("unit", unit_ids), ("user", user_ids)):
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            problems.append(f"duplicate {kind} ids: {', '.join(dupes)}")
    users_by_id = {u.id: u for u in users}
    for unit in units:
        if unit.manager is None:
            continue
        manager = users_by_id.get(unit.manager)
        if manager is None:
            problems.append(f"unit {unit.id}: manager {unit.manager!r} is not a user")
        elif Role.UNIT_MANAGER not in manager.roles:
            problems.append(f"unit {unit.id}: manager {unit.manager!r} lacks the unit_manager role")
    for user in users:
        for unit_id in user.units:
            if unit_id not in unit_ids:
                problems.append(f"user {user.id}: unit {unit_id!r} does not exist")
    phrases = [r.phrase.lower() for r in rules]
    for rule in rules:
        if rule.unit not in unit_ids:
            problems.append(f"routing rule {rule.phrase!r}: unit {rule.unit!r} does not exist")
        if phrases.count(rule.phrase.lower()) > 1:
            problems.append(f"routing rule {rule.phrase!r} appears more than once")
    return list(dict.fromkeys(problems))


def case_policy_from(
    authority: AuthoritySettings, sign_off_roles: dict[str, Role] | None = None
) -> CasePolicy:
    """The policy a new case starts with (cases keep it; later edits apply to new cases)."""
    return CasePolicy(
        authority_name=authority.name or "the authority",
        task_working_days=authority.task_working_days,
        cost_limit_hours=authority.effective_cost_limit_hours,
        sign_off_default_role=authority.sign_off_default_role,
        sign_off_roles=dict(
            DEFAULT_SIGN_OFF_POLICY.roles if sign_off_roles is None else sign_off_roles
        ),
        reminders=authority.reminders.schedule(),
        roll_non_working_receipt=authority.roll_non_working_receipt,
        time_zone=authority.time_zone,
    )
