"""Reference-data administration: units, users, routing rules, authority settings, the sign-off
policy, calendar versions and proclaimed holidays.

Admins only (the front end checks the role, and every function here checks it again). Every
write goes through ``store.refdata`` or the calendar repository, so it is validated the same way
as the seed and the CLI, and lands on the ``ref-data`` audit chain under the admin's user id.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col
from temporalio.client import Client

from domain.case import CLOSED_STATUSES, Actor
from services.errors import Conflict, Forbidden, Rejected, ServiceError
from services.identity import Identity
from services.temporal import RUNNING_CASES, signal_calendar_change
from settings import Settings
from statute.calendar import (
    DIVISION_NAMES,
    DIVISIONS,
    CalendarData,
    CalendarError,
    WorkingDayCalendar,
)
from statute.clock import local_date
from statute.exemptions import Role, UnknownExemptionError, get_exemption
from statute.regimes import FOIA, Regime, UnknownRegimeError, get_regime
from store import identity as identity_rows
from store import refdata
from store.calendar_versions import DbCalendarRepository
from store.calendars import calendar_repository
from store.models import CaseRow, RoutingRuleRow, UserRow
from store.refdata import RefDataError
from store.schema import (
    PRIORITY_MAX,
    PRIORITY_MIN,
    AuthoritySettings,
    RoutingRuleSpec,
    UnitSpec,
    UserSpec,
    check_sign_off_role,
)

# The store's specs are the bodies of the create routes: re-exported, so front ends need not
# reach into the store for them.
__all__ = [
    "AuthoritySettings",
    "CalendarVersionOut",
    "HolidayIn",
    "HolidayOut",
    "HolidayPreview",
    "NotFound",
    "PasswordIn",
    "RoutingRuleSpec",
    "RuleOut",
    "RulePatch",
    "SignOffPolicyOut",
    "SignOffRoleIn",
    "UnitPatch",
    "UnitSpec",
    "UserOut",
    "UserPatch",
    "UserSpec",
    "add_holiday",
    "create_rule",
    "create_unit",
    "create_user",
    "get_settings",
    "list_calendars",
    "list_rules",
    "list_units",
    "list_users",
    "parse",
    "preview_holiday",
    "replace_settings",
    "require_admin",
    "save_holiday",
    "set_password",
    "set_sign_off_role",
    "sign_off_policy",
    "update_rule",
    "update_unit",
    "update_user",
]

ALL_DIVISIONS = "all"
_M = TypeVar("_M", bound=BaseModel)


class NotFound(ServiceError):
    """No such record (unit, user, routing rule)."""


class _Patch(BaseModel):
    # Unknown fields are refused, so a typo ("manger") is an error, not a silent no-op.
    model_config = ConfigDict(extra="forbid")


class UnitPatch(_Patch):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    manager: str | None = None  # null removes the manager
    email: str | None = None  # null removes the mailbox


class UserOut(BaseModel):
    """A directory user as admins see them: never a password or its hash."""

    id: str
    name: str
    email: str
    roles: list[Role]
    units: list[str]
    active: bool
    has_password: bool


class UserPatch(_Patch):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    roles: list[Role] | None = None
    units: list[str] | None = None
    active: bool | None = None


class RuleOut(BaseModel):
    id: int
    phrase: str
    unit: str
    priority: int


PRIORITY_RANGE = (PRIORITY_MIN, PRIORITY_MAX)


class RulePatch(_Patch):
    unit: str | None = None
    priority: int | None = Field(default=None, ge=PRIORITY_RANGE[0], le=PRIORITY_RANGE[1])


class SignOffPolicyOut(BaseModel):
    default_role: Role
    roles: dict[str, Role]


class SignOffRoleIn(_Patch):
    role: Role


class CalendarVersionOut(BaseModel):
    version: int
    fingerprint: str
    source: str
    coverage_start: dt.date
    coverage_end: dt.date
    holidays: int
    proclaimed: list[str]  # hand-added holidays, in words
    latest: bool


Division = Literal["england-and-wales", "scotland", "northern-ireland", "all"]


class HolidayIn(_Patch):
    date: dt.date = Field(description="The proclaimed holiday, YYYY-MM-DD.")
    division: Division = Field(description="Where it is a bank holiday, or all of the UK.")
    reason: str = Field(
        min_length=1, max_length=200, description="e.g. 'State funeral of Queen Elizabeth II'"
    )

    @field_validator("date", mode="before")
    @classmethod
    def _iso_text(cls, value: object) -> object:
        # Pydantic would read a number as a Unix timestamp; a holiday is written as a date.
        if not isinstance(value, str | dt.date):
            raise ValueError("expected a date, YYYY-MM-DD")
        return value


class HolidayOut(BaseModel):
    version: int
    fingerprint: str
    changes: list[str]
    moves_deadlines: bool  # False for a weekend: no working day is lost
    running_cases_told: bool
    cases_signalled: int | None  # running cases when the batch signal went out, when known
    notice: str


class HolidayPreview(BaseModel):
    """What adding a holiday would do, before it is saved."""

    holiday: HolidayIn
    calendar_version: int  # the version it would follow
    working_day: bool  # False: a weekend, or already a non-working day for every regime
    open_cases: int
    # Open cases whose due date moves: the day falls inside their clock's count.
    moving: list[str]
    # Paused cases (awaiting clarification or a fee) received before the day: no due date to
    # move now; it is worked out with the new calendar when their clock restarts.
    paused: list[str]


# --- Checks ---------------------------------------------------------------------------------


def require_admin(actor: Actor) -> None:
    if Role.ADMIN not in actor.roles:
        raise Forbidden("reference data is administered by the admin role")


def _validate(model: type[_M], data: dict[str, Any]) -> _M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise Rejected(first["msg"], field) from None


def parse(model: type[_M], data: dict[str, Any]) -> _M:
    """``data`` as typed into a form, checked as ``model``: ``Rejected`` with every problem
    (``problems``, ``field: reason`` each), the first one its field and reason."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise Rejected.from_validation(exc) from None


def _merge(spec: _M, patch: _Patch) -> _M:
    data = spec.model_dump()
    data.update({k: getattr(patch, k) for k in patch.model_fields_set})
    return _validate(type(spec), data)


def _refused(exc: RefDataError) -> Rejected:
    return Rejected(str(exc))


def _check_manager(session: Session, manager: str | None) -> None:
    if manager is None:
        return
    user = identity_rows.get_user(session, manager)
    if user is None:
        raise Rejected(f"{manager!r} is not a user", "manager")
    if Role.UNIT_MANAGER.value not in user.roles:
        raise Rejected(f"{manager!r} lacks the unit_manager role", "manager")


def _check_units(session: Session, units: list[str], field: str) -> None:
    known = {u.id for u in refdata.list_units(session)}
    for i, unit in enumerate(units):
        if unit not in known:
            raise Rejected(f"unit {unit!r} does not exist", f"{field}.{i}" if field else "")


def _save(save: Callable[[], object]) -> None:
    try:
        save()
    except RefDataError as exc:
        raise _refused(exc) from None


# --- Units ----------------------------------------------------------------------------------


def list_units(session: Session, actor: Actor) -> list[UnitSpec]:
    require_admin(actor)
    return refdata.list_units(session)


def _unit(session: Session, unit_id: str) -> UnitSpec:
    for unit in refdata.list_units(session):
        if unit.id == unit_id:
            return unit
    raise NotFound(f"no unit {unit_id!r}", "unit_id")


def create_unit(session: Session, actor: Actor, spec: UnitSpec) -> UnitSpec:
    require_admin(actor)
    if any(u.id == spec.id for u in refdata.list_units(session)):
        raise Conflict(f"unit {spec.id!r} already exists: change that unit instead", "id")
    _check_manager(session, spec.manager)
    _save(lambda: refdata.save_unit(session, spec, actor.user_id))
    return spec


def update_unit(session: Session, actor: Actor, unit_id: str, patch: UnitPatch) -> UnitSpec:
    require_admin(actor)
    spec = _merge(_unit(session, unit_id), patch)
    _check_manager(session, spec.manager)
    _save(lambda: refdata.save_unit(session, spec, actor.user_id))
    return spec


# --- Users ----------------------------------------------------------------------------------


def _user_out(spec: UserSpec, with_password: set[str]) -> UserOut:
    return UserOut(**spec.model_dump(), has_password=spec.id in with_password)


def list_users(session: Session, actor: Actor) -> list[UserOut]:
    require_admin(actor)
    with_password = identity_rows.users_with_password(session)
    return [_user_out(u, with_password) for u in refdata.list_users(session)]


def _user(session: Session, user_id: str) -> UserSpec:
    for user in refdata.list_users(session):
        if user.id == user_id:
            return user
    raise NotFound(f"no user {user_id!r}", "user_id")


def create_user(session: Session, actor: Actor, spec: UserSpec) -> UserOut:
    require_admin(actor)
    if session.get(UserRow, spec.id) is not None:
        raise Conflict(f"user {spec.id!r} already exists: change that user instead", "id")
    _check_units(session, spec.units, "units")
    _save(lambda: refdata.save_user(session, spec, actor.user_id))
    return _user_out(spec, set())


def update_user(session: Session, actor: Actor, user_id: str, patch: UserPatch) -> UserOut:
    require_admin(actor)
    spec = _merge(_user(session, user_id), patch)
    _check_units(session, spec.units, "units")
    if user_id == actor.user_id and (not spec.active or Role.ADMIN not in spec.roles):
        # Otherwise the last admin can lock everyone out of reference data.
        raise Rejected("admins cannot remove their own admin role or deactivate themselves", "")
    _save(lambda: refdata.save_user(session, spec, actor.user_id))
    return _user_out(spec, identity_rows.users_with_password(session))


class PasswordIn(_Patch):
    password: str = Field(min_length=1, max_length=1024)


def set_password(identity: Identity, actor: Actor, user_id: str, password: str) -> int:
    """Set a user's password (ending their tokens and sessions); returns how many ended."""
    require_admin(actor)
    if identity.me_or_none(user_id) is None:
        raise NotFound(f"no user {user_id!r}", "user_id")
    return identity.set_password(user_id, password, actor.user_id)


# --- Routing rules --------------------------------------------------------------------------


def _rule_rows(session: Session) -> list[RoutingRuleRow]:
    return list(
        session.scalars(
            select(RoutingRuleRow).order_by(
                col(RoutingRuleRow.priority), col(RoutingRuleRow.phrase)
            )
        )
    )


def _rule_out(row: RoutingRuleRow) -> RuleOut:
    assert row.id is not None  # flushed rows have their id
    return RuleOut(id=row.id, phrase=row.phrase, unit=row.unit_id, priority=row.priority)


def list_rules(session: Session, actor: Actor) -> list[RuleOut]:
    require_admin(actor)
    return [_rule_out(r) for r in _rule_rows(session)]


def _rule_by_phrase(session: Session, phrase: str) -> RoutingRuleRow | None:
    wanted = phrase.lower()
    return next((r for r in _rule_rows(session) if r.phrase.lower() == wanted), None)


def _check_priority(priority: int) -> None:
    low, high = PRIORITY_RANGE
    if not low <= priority <= high:
        raise Rejected(f"must be between {low} and {high:,} (lower wins)", "priority")


def create_rule(session: Session, actor: Actor, spec: RoutingRuleSpec) -> RuleOut:
    require_admin(actor)
    _check_priority(spec.priority)
    if _rule_by_phrase(session, spec.phrase) is not None:
        raise Conflict(f"a routing rule for {spec.phrase!r} already exists", "phrase")
    if spec.unit not in {u.id for u in refdata.list_units(session)}:
        raise Rejected(f"unit {spec.unit!r} does not exist", "unit")
    _save(lambda: refdata.save_rule(session, spec, actor.user_id))
    session.flush()
    row = _rule_by_phrase(session, spec.phrase)
    assert row is not None
    return _rule_out(row)


def update_rule(session: Session, actor: Actor, rule_id: int, patch: RulePatch) -> RuleOut:
    require_admin(actor)
    row = session.get(RoutingRuleRow, rule_id)
    if row is None:
        raise NotFound(f"no routing rule {rule_id}", "rule_id")
    current = RoutingRuleSpec(phrase=row.phrase, unit=row.unit_id, priority=row.priority)
    spec = _merge(current, patch)
    if spec.unit not in {u.id for u in refdata.list_units(session)}:
        raise Rejected(f"unit {spec.unit!r} does not exist", "unit")
    _save(lambda: refdata.save_rule(session, spec, actor.user_id))
    session.flush()
    return _rule_out(row)


# --- Authority settings and the sign-off policy ---------------------------------------------


def get_settings(session: Session, actor: Actor) -> AuthoritySettings:
    require_admin(actor)
    return refdata.get_authority(session)


def replace_settings(
    session: Session, actor: Actor, settings: AuthoritySettings
) -> AuthoritySettings:
    """Store the whole settings document (as ``get_settings`` returns it); new cases use it."""
    require_admin(actor)
    if settings.cost_limit_hours is not None and not math.isfinite(settings.cost_limit_hours):
        raise Rejected("must be a finite number of hours, or null", "cost_limit_hours")
    refdata.save_authority(session, settings, actor.user_id)
    return refdata.get_authority(session)


def sign_off_policy(session: Session, actor: Actor) -> SignOffPolicyOut:
    require_admin(actor)
    policy = refdata.case_policy(session, check=False)
    return SignOffPolicyOut(default_role=policy.sign_off_default_role, roles=policy.sign_off_roles)


def set_sign_off_role(session: Session, actor: Actor, section: str, role: Role) -> SignOffPolicyOut:
    require_admin(actor)
    try:
        key = get_exemption(section).section
    except UnknownExemptionError as exc:
        raise Rejected.from_message(str(exc)) from None
    try:
        check_sign_off_role(key, role)
    except ValueError as exc:  # the section is known, so it is the role that cannot sign it
        raise Rejected(str(exc), "role") from None
    _save(lambda: refdata.save_sign_off_role(session, key, role, actor.user_id))
    return sign_off_policy(session, actor)


# --- Calendars ------------------------------------------------------------------------------


def _version_out(data: CalendarData, latest: bool) -> CalendarVersionOut:
    proclaimed = sorted(
        {f"{h.date} {DIVISION_NAMES[h.division]}: {h.title}" for h in data.holidays if h.proclaimed}
    )
    return CalendarVersionOut(
        version=data.version,
        fingerprint=data.fingerprint,
        source=data.source,
        coverage_start=data.coverage_start,
        coverage_end=data.coverage_end,
        holidays=len(data.holidays),
        proclaimed=proclaimed,
        latest=latest,
    )


def list_calendars(settings: Settings, actor: Actor) -> list[CalendarVersionOut]:
    require_admin(actor)
    try:
        versions = calendar_repository(settings).versions()
    except CalendarError as exc:
        raise Rejected(str(exc), "calendar") from None
    return [_version_out(v, v is versions[-1]) for v in versions]


def _divisions(holiday: HolidayIn) -> list[str]:
    return list(DIVISIONS) if holiday.division == ALL_DIVISIONS else [holiday.division]


def _with_holiday(latest: CalendarData, holiday: HolidayIn) -> CalendarData:
    """``latest`` with ``holiday`` added (``CalendarError`` if it adds nothing)."""
    divisions = _divisions(holiday)
    already = {h.division for h in latest.holidays if h.date == holiday.date}
    if already >= set(divisions):
        raise Conflict(
            f"{holiday.date} is already a bank holiday there (calendar {latest.label})", "date"
        )
    source = f"{holiday.date} added by hand ({holiday.division}): {holiday.reason.strip()}"
    return latest.with_proclaimed(
        holiday.date, divisions, holiday.reason, version=latest.version, source=source
    )


def save_holiday(
    settings: Settings, actor: Actor, holiday: HolidayIn
) -> tuple[CalendarData, CalendarData]:
    """Save the calendar with ``holiday`` added as a new version: (the new one, the one before)."""
    require_admin(actor)
    repository = calendar_repository(settings)
    if isinstance(repository, DbCalendarRepository):
        # The same store, with the admin named in the audit log instead of "system".
        repository = DbCalendarRepository(repository.engine, actor=actor.user_id)
    try:
        latest = repository.latest()
        return repository.save_new(_with_holiday(latest, holiday)), latest
    except CalendarError as exc:
        raise Rejected.from_message(str(exc)) from None


def preview_holiday(
    session: Session, settings: Settings, actor: Actor, holiday: HolidayIn
) -> HolidayPreview:
    """Which open cases' due dates ``holiday`` would move, read from the read model; nothing is
    saved.

    A working-day count moves when the day, a working day for the case's regime until now,
    falls after day 0 and on or before the due date: one working day fewer in the window
    pushes the end back. A calendar-month limit moves only when it ends on the day itself (it
    then ends on the next working day). Day 0 is the date received; a case whose clock
    restarted on clarification counts from later, so one whose restart came after the day is
    counted although it would not move (the read model keeps no restart date).
    """
    require_admin(actor)
    try:
        latest = calendar_repository(settings).latest()
        updated = _with_holiday(latest, holiday)
    except CalendarError as exc:
        raise Rejected.from_message(str(exc)) from None
    zone = refdata.get_authority(session).time_zone
    day = holiday.date
    lost: dict[str, bool] = {}

    def loses_a_working_day(regime: Regime) -> bool:
        # Per regime: FOISA counts Scottish holidays only, FOIA and the EIR any UK one.
        if regime.code not in lost:
            before, after = (
                WorkingDayCalendar(data, regime.divisions, regime.fixed_days)
                for data in (latest, updated)
            )
            lost[regime.code] = before.is_working_day(day) and not after.is_working_day(day)
        return lost[regime.code]

    closed = [status.value for status in CLOSED_STATUSES]
    rows = session.scalars(
        select(CaseRow)
        .where(col(CaseRow.status).not_in(closed))
        .order_by(col(CaseRow.received_at), col(CaseRow.reference))
    ).all()
    moving: list[str] = []
    paused: list[str] = []
    for row in rows:
        try:
            regime = get_regime(row.regime)
        except UnknownRegimeError:
            continue
        if not loses_a_working_day(regime):
            continue
        received_on = local_date(row.received_at, zone)
        if row.due_date is None:
            if received_on < day:
                paused.append(row.reference)
        elif regime.calendar_months is not None:
            if row.due_date == day:
                moving.append(row.reference)
        elif received_on < day <= row.due_date:
            moving.append(row.reference)
    return HolidayPreview(
        holiday=holiday,
        calendar_version=latest.version,
        # FOIA counts a bank holiday in any part of the UK: the widest net of any regime.
        working_day=loses_a_working_day(FOIA),
        open_cases=len(rows),
        moving=moving,
        paused=paused,
    )


async def add_holiday(
    settings: Settings, client: Client | None, actor: Actor, holiday: HolidayIn
) -> HolidayOut:
    """Record a proclaimed bank holiday as a new calendar version and tell running cases.

    The version is saved whether or not Temporal answers (``calendar notify`` tells the cases
    later); ``running_cases_told`` and the notice say which happened.
    """
    saved, before = await asyncio.to_thread(save_holiday, settings, actor, holiday)
    told, count, notice = await _tell_running_cases(settings, client, saved)
    return HolidayOut(
        version=saved.version,
        fingerprint=saved.fingerprint,
        changes=saved.diff(before),
        moves_deadlines=holiday.date.weekday() < 5,
        running_cases_told=told,
        cases_signalled=count,
        notice=notice,
    )


async def _tell_running_cases(
    settings: Settings, client: Client | None, calendar: CalendarData
) -> tuple[bool, int | None, str]:
    version = calendar.version
    later = f"run `foiflow calendar notify --version {version}` when Temporal is up"
    if client is None:
        return False, None, f"Temporal is unreachable: running cases were not told; {later}"
    count: int | None
    try:
        count = (await client.count_workflows(RUNNING_CASES)).count
    except Exception:  # counting is a courtesy; the signal is what matters
        count = None
    try:
        job = await signal_calendar_change(
            client, calendar, settings.temporal_namespace, settings.calendar_signal_rate
        )
    except Exception as exc:  # any failure to reach Temporal: say so, the version stands
        reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        return False, None, f"running cases were not told ({reason}); {later}"
    told = "every running case" if count is None else f"{count} running case(s)"
    return True, count, f"{told} told about calendar v{version} (batch job {job})"
