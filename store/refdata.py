"""Reference data in the database: units, users, routing rules, sign-off policy, authority settings.

Every edit goes through here so it is validated the same way from the seed, the CLI and (later) the
web app, and so it lands on the ``ref-data`` audit chain with who made it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from domain.case import CasePolicy
from domain.intake import suggest_units
from statute.exemptions import Role, check_sign_off_role
from store.audit import record_ref_change
from store.models import AuthoritySettingRow, RoutingRuleRow, SignOffPolicyRow, UnitRow, UserRow
from store.schema import (
    AuthoritySettings,
    RoutingRuleSpec,
    UnitSpec,
    UserSpec,
    case_policy_from,
    check_directory,
    validation_problems,
)

Change = Literal["added", "updated", "unchanged"]
_M = TypeVar("_M", bound=BaseModel)


class RefDataError(ValueError):
    """An edit that would leave the reference data invalid or inconsistent."""


def _describe(before: BaseModel | None, after: BaseModel) -> str:
    if before is None:
        return ", ".join(f"{k}={v!r}" for k, v in after.model_dump(mode="json").items())
    old, new = before.model_dump(mode="json"), after.model_dump(mode="json")
    return ", ".join(f"{k}: {old.get(k)!r} → {v!r}" for k, v in new.items() if old.get(k) != v)


# --- Reads -----------------------------------------------------------------------------------


def _unit_spec(row: UnitRow) -> UnitSpec:
    return UnitSpec(id=row.id, name=row.name, manager=row.manager_user_id, email=row.email)


def _user_spec(row: UserRow) -> UserSpec:
    return UserSpec(
        id=row.id,
        name=row.name,
        email=row.email,
        roles=[Role(r) for r in row.roles],
        units=list(row.units),
        active=row.active,
    )


def _rule_spec(row: RoutingRuleRow) -> RoutingRuleSpec:
    # Checked when written; a row an older release let through (a negative priority) must not
    # make every routing suggestion fail.
    return RoutingRuleSpec.model_construct(
        phrase=row.phrase, unit=row.unit_id, priority=row.priority
    )


def list_units(session: Session) -> list[UnitSpec]:
    return [_unit_spec(r) for r in session.scalars(select(UnitRow).order_by(col(UnitRow.id)))]


def list_users(session: Session) -> list[UserSpec]:
    return [_user_spec(r) for r in session.scalars(select(UserRow).order_by(col(UserRow.id)))]


def list_rules(session: Session) -> list[RoutingRuleSpec]:
    rows = session.scalars(
        select(RoutingRuleRow).order_by(col(RoutingRuleRow.priority), col(RoutingRuleRow.phrase))
    )
    return [_rule_spec(r) for r in rows]


def route(session: Session, text: str) -> list[str]:
    """The units the routing rules send ``text`` to, best first."""
    return suggest_units(text, list_rules(session))


def sign_off_roles(session: Session) -> dict[str, Role]:
    return {r.section: Role(r.required_role) for r in session.scalars(select(SignOffPolicyRow))}


def _drop(document: dict[str, Any], loc: tuple[int | str, ...]) -> bool:
    """Remove the value at ``loc`` from ``document``; False when there is none."""
    where: Any = document
    for part in loc[:-1]:
        if not isinstance(where, dict) or part not in where:
            return False
        where = where[part]
    if not loc or not isinstance(where, dict) or loc[-1] not in where:
        return False
    del where[loc[-1]]
    return True


def read_authority(session: Session) -> tuple[AuthoritySettings, list[str]]:
    """The authority settings, and the stored values that are refused now.

    Keys an older or newer release wrote are ignored rather than failing every read; a stored
    value the settings refuse (25 o'clock, written before they did) reads as the default and is
    reported, with the command that fixes it.
    """
    stored = {r.key: r.value for r in session.scalars(select(AuthoritySettingRow))}
    known: dict[str, Any] = {k: v for k, v in stored.items() if k in AuthoritySettings.model_fields}
    problems: list[str] = []
    for _ in range(100):  # each round drops at least one value: bounded by what is stored
        try:
            return AuthoritySettings.model_validate(known), problems
        except ValidationError as exc:
            dropped = False
            for error in exc.errors():
                loc = tuple(error["loc"])
                dropped = _drop(known, loc) or dropped
                if error["type"] == "extra_forbidden":
                    continue  # a key of another release, inside a group
                where = ".".join(map(str, loc))
                problems.append(
                    f"{where}: the stored value {error.get('input')!r} is refused "
                    f"({error['msg'].removeprefix('Value error, ')}); fix it with "
                    f"`foiflow store settings set {where} VALUE`"
                )
            if not dropped:
                break
    return AuthoritySettings(), problems


def get_authority(session: Session) -> AuthoritySettings:
    """The authority settings in force (a refused stored value reads as its default)."""
    return read_authority(session)[0]


def case_policy(session: Session, *, check: bool = True) -> CasePolicy:
    """The policy a case started now gets: authority settings plus the sign-off table.

    With ``check``, a stored setting the settings refuse is a ``RefDataError`` naming it and
    the fix: no case starts on a value it could not run on, or on a default nobody chose.
    """
    authority, problems = read_authority(session)
    if check and problems:
        raise RefDataError("settings: no case can start until it is fixed: " + "; ".join(problems))
    roles = sign_off_roles(session)
    return case_policy_from(authority, roles or None)


# --- Writes ----------------------------------------------------------------------------------


def _check_consistent(
    session: Session,
    *,
    units: Sequence[UnitSpec] | None = None,
    users: Sequence[UserSpec] | None = None,
    rules: Sequence[RoutingRuleSpec] | None = None,
) -> None:
    """Refuse an edit that adds a dangling reference (problems already there don't block it)."""
    now_units, now_users, now_rules = list_units(session), list_users(session), list_rules(session)
    before = set(check_directory(now_units, now_users, now_rules))
    after = check_directory(
        now_units if units is None else units,
        now_users if users is None else users,
        now_rules if rules is None else rules,
    )
    new = [p for p in after if p not in before]
    if new:
        raise RefDataError("; ".join(new))


def _replace(items: Sequence[_M], item: _M, key: Callable[[_M], str]) -> list[_M]:
    return [i for i in items if key(i) != key(item)] + [item]


def save_unit(session: Session, spec: UnitSpec, actor: str, *, check: bool = True) -> Change:
    row = session.get(UnitRow, spec.id)
    before = _unit_spec(row) if row is not None else None
    if before == spec:
        return "unchanged"
    if check:
        _check_consistent(session, units=_replace(list_units(session), spec, lambda u: u.id))
    if row is None:
        row = UnitRow(id=spec.id, name=spec.name)
    row.name, row.manager_user_id, row.email = spec.name, spec.manager, spec.email
    session.add(row)
    change: Change = "added" if before is None else "updated"
    record_ref_change(
        session, actor, f"unit.{change}", f"unit {spec.id}: {_describe(before, spec)}"
    )
    return change


def save_user(session: Session, spec: UserSpec, actor: str, *, check: bool = True) -> Change:
    row = session.get(UserRow, spec.id)
    before = _user_spec(row) if row is not None else None
    if before == spec:
        return "unchanged"
    if check:
        _check_consistent(session, users=_replace(list_users(session), spec, lambda u: u.id))
    if row is None:
        row = UserRow(id=spec.id, name=spec.name, email=spec.email)
    row.name, row.email, row.active = spec.name, spec.email, spec.active
    row.roles = [r.value for r in spec.roles]
    row.units = list(spec.units)
    session.add(row)
    change: Change = "added" if before is None else "updated"
    record_ref_change(
        session, actor, f"user.{change}", f"user {spec.id}: {_describe(before, spec)}"
    )
    return change


def save_rule(session: Session, spec: RoutingRuleSpec, actor: str, *, check: bool = True) -> Change:
    row = session.scalars(
        select(RoutingRuleRow).where(col(RoutingRuleRow.phrase) == spec.phrase)
    ).first()
    before = _rule_spec(row) if row is not None else None
    if before == spec:
        return "unchanged"
    if check:
        _check_consistent(session, rules=_replace(list_rules(session), spec, lambda r: r.phrase))
    if row is None:
        row = RoutingRuleRow(phrase=spec.phrase, unit_id=spec.unit)
    row.unit_id, row.priority = spec.unit, spec.priority
    session.add(row)
    change: Change = "added" if before is None else "updated"
    record_ref_change(
        session, actor, f"rule.{change}", f"routing rule {spec.phrase!r}: {_describe(before, spec)}"
    )
    return change


def save_sign_off_role(session: Session, section: str, role: Role, actor: str) -> Change:
    try:
        key = check_sign_off_role(section, role)
    except ValueError as exc:
        raise RefDataError(str(exc)) from None
    row = session.get(SignOffPolicyRow, key)
    old = row.required_role if row is not None else None
    if old == role.value:
        return "unchanged"
    change: Change = "added" if row is None else "updated"
    if row is None:
        row = SignOffPolicyRow(section=key, required_role=role.value)
    row.required_role = role.value
    session.add(row)
    record_ref_change(
        session, actor, f"sign_off.{change}", f"sign-off for s{key}: {old!r} → {role.value!r}"
    )
    return change


def save_authority(session: Session, settings: AuthoritySettings, actor: str) -> list[str]:
    """Store every setting that differs from what is stored; returns the keys changed."""
    current = get_authority(session).model_dump(mode="json")
    stored_keys = {r.key for r in session.scalars(select(AuthoritySettingRow))}
    changed: list[str] = []
    for key, value in settings.model_dump(mode="json").items():
        # Write keys never stored too, so the database says what it runs with, not the defaults
        # of whichever release reads it.
        if current.get(key) == value and key in stored_keys:
            continue
        row = session.get(AuthoritySettingRow, key) or AuthoritySettingRow(key=key, value=None)
        row.value = value
        session.add(row)
        if current.get(key) != value:
            changed.append(key)
            record_ref_change(
                session, actor, "setting.updated", f"{key}: {current.get(key)!r} → {value!r}"
            )
    return changed


def _parse_value(raw: str) -> Any:
    # Pydantic's lax mode turns "18", "true", "Europe/London" into the field's type; "none"
    # resets a nullable setting (the cost limit) to its default.
    return None if raw.strip().lower() in {"none", "null", "default"} else raw


def set_setting(session: Session, key: str, raw: str, actor: str) -> tuple[Any, Any]:
    """``settings set cost_limit_hours 24`` or ``reminders.send_hour 8``: returns (old, new)."""
    current = get_authority(session).model_dump(mode="json")
    head, _, rest = key.partition(".")
    if head not in current:
        raise RefDataError(f"unknown setting {key!r}; known: {', '.join(sorted(current))}")
    updated = dict(current)
    if rest:
        nested = current[head]
        if not isinstance(nested, dict) or rest not in nested:
            raise RefDataError(f"unknown setting {key!r}")
        old = nested[rest]
        updated[head] = {**nested, rest: _parse_value(raw)}
    else:
        if isinstance(current[head], dict):
            raise RefDataError(f"{key!r} is a group; set one of its keys, e.g. {key}.send_hour")
        old = current[head]
        updated[head] = _parse_value(raw)
    try:
        settings = AuthoritySettings.model_validate(updated)
    except ValidationError as exc:
        problems = "; ".join(validation_problems(exc))
        raise RefDataError(f"invalid value for {key}: {problems}") from None
    save_authority(session, settings, actor)
    new = settings.model_dump(mode="json")[head]
    return old, (new[rest] if rest else new)
