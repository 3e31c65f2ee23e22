"""The admin's pages: units, users and their roles, routing rules, the sign-off policy, the
authority's settings, and calendar versions with a form to add a proclaimed bank holiday.

Each page calls ``services.admin`` (which checks the admin role again, validates like the seed
and the CLI, and audits under the admin's id). Forms re-render with the service's reason on the
field it names, and everything typed kept; a success redirects (303) to a page saying what
changed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Callable, Collection, Mapping
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from domain.transitions import APPROVER_ROLES
from services import admin as admin_service
from services.admin import (
    AuthoritySettings,
    CalendarVersionOut,
    HolidayIn,
    RoutingRuleSpec,
    RulePatch,
    UnitPatch,
    UnitSpec,
    UserOut,
    UserPatch,
    UserSpec,
)
from services.errors import Rejected
from services.identity import MIN_PASSWORD_LENGTH
from statute.calendar import DIVISION_NAMES, DIVISIONS
from statute.exemptions import (
    FOIA,
    STATUTORY_SIGN_OFF,
    Exemption,
    Role,
    UnknownExemptionError,
    catalogue_for,
    get_exemption,
)
from web.api.deps import RuntimeDep
from web.pages.errors import PageRoute
from web.pages.forms import FormErrors, field_id, text
from web.pages.session import CheckedForm, PageSession, page_roles
from web.pages.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

Admin = Annotated[PageSession, Depends(page_roles(Role.ADMIN))]
UnitId = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
UserId = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
RuleId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Section = Annotated[str, Path(pattern=r"^[0-9]{1,3}[A-Za-z]?$")]

SECTIONS: tuple[tuple[str, str], ...] = (
    ("Units", "/admin/units"),
    ("Users and roles", "/admin/users"),
    ("Routing rules", "/admin/routing-rules"),
    ("Sign-off policy", "/admin/sign-off-policy"),
    ("Authority settings", "/admin/settings"),
    ("Calendars", "/admin/calendars"),
)
ROLE_NAMES: Mapping[Role, str] = {
    Role.FOI_OFFICER: "FOI officer",
    Role.UNIT_CONTACT: "Unit contact",
    Role.UNIT_MANAGER: "Unit manager",
    Role.SENIOR_OFFICER: "Senior officer",
    Role.DATA_PROTECTION_OFFICER: "Data protection officer",
    Role.QUALIFIED_PERSON: "Qualified person (s36)",
    Role.NATIONAL_SECURITY_LEAD: "National security lead",
    Role.MANAGER: "Manager (statistics, every case)",
    Role.ADMIN: "Admin (reference data and calendars)",
}
SIGNING_ROLES = tuple(r for r in Role if r in APPROVER_ROLES)
DIVISION_CHOICES: tuple[tuple[str, str], ...] = (
    *((d, DIVISION_NAMES[d]) for d in DIVISIONS),
    (admin_service.ALL_DIVISIONS, "All of the UK"),
)
# Pydantic names the pattern a value failed; a person needs to hear what to type.
PATTERN_ADVICE: Mapping[str, str] = {
    "id": "Use only lower-case letters, numbers, hyphens and underscores, starting with a letter "
    "or number",
    "email": "Enter an email address in the correct format, like name@example.org",
    "force_code": "Use 1 to 16 letters and numbers",
}
TOLD = re.compile(r"^(?:[0-9]{1,9}|all|not)$")


def _page(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    *,
    errors: FormErrors | None = None,
) -> Response:
    """An admin page: the admin sub-navigation, and the form's errors (``Error: `` titles; a
    form shown with errors answers 422)."""
    path = request.url.path
    sub_navigation = [
        {"text": label, "href": href, "active": path == href or path.startswith(href + "/")}
        for label, href in SECTIONS
    ]
    return render(
        request,
        template,
        {
            "sub_navigation": sub_navigation,
            "errors": errors or FormErrors(),
            "role_names": ROLE_NAMES,
            **context,
        },
        status_code=422 if errors else 200,
    )


def _see(path: str, **query: str) -> RedirectResponse:
    return RedirectResponse(path + (f"?{urlencode(query)}" if query else ""), status_code=303)


def _add(
    errors: FormErrors,
    exc: Rejected,
    fields: Collection[str],
    groups: Collection[str] = (),
) -> None:
    """Every problem the service found, each on the field it names (a checkbox group's item,
    ``units.1``, on the group)."""
    found = [Rejected.from_message(p) for p in exc.problems] if len(exc.problems) > 1 else [exc]
    for one in found:
        target = field_id(one.field)
        for group in groups:
            if target.startswith(group + "-"):
                target = group
        reason = one.reason
        if reason.startswith("String should match pattern") and target in PATTERN_ADVICE:
            reason = PATTERN_ADVICE[target]
        errors.add_service_error(Rejected(reason, target), fields=fields)


def _blank_is_none(value: str) -> str | None:
    return value.strip() or None


@router.get("/admin")
def admin_home(session: Admin) -> Response:
    return _see(SECTIONS[0][1])


# --- Units ----------------------------------------------------------------------------------

UNIT_FIELDS = frozenset({"id", "name", "manager", "email"})


def _managers(rt: RuntimeDep, session: PageSession) -> list[UserOut]:
    with rt.transaction() as db:
        users = admin_service.list_users(db, session.actor)
    return [u for u in users if Role.UNIT_MANAGER in u.roles]


@router.get("/admin/units")
def units(
    request: Request, rt: RuntimeDep, session: Admin, saved: Annotated[str, Query()] = ""
) -> Response:
    with rt.transaction() as db:
        found = admin_service.list_units(db, session.actor)
        names = {u.id: u.name for u in admin_service.list_users(db, session.actor)}
    return _page(
        request,
        "pages/admin/units.html",
        {"units": found, "names": names, "saved": next((u for u in found if u.id == saved), None)},
    )


def _unit_form(
    request: Request,
    rt: RuntimeDep,
    session: PageSession,
    values: Mapping[str, str],
    *,
    unit_id: str | None = None,
    errors: FormErrors | None = None,
) -> Response:
    return _page(
        request,
        "pages/admin/unit_form.html",
        {"values": values, "unit_id": unit_id, "managers": _managers(rt, session)},
        errors=errors,
    )


def _unit_values(form: FormData) -> dict[str, str]:
    return {name: text(form, name).strip() for name in UNIT_FIELDS}


@router.get("/admin/units/new")
def new_unit(request: Request, rt: RuntimeDep, session: Admin) -> Response:
    return _unit_form(request, rt, session, {})


@router.post("/admin/units/new")
def create_unit(request: Request, rt: RuntimeDep, session: Admin, form: CheckedForm) -> Response:
    values = _unit_values(form)
    try:
        spec = admin_service.parse(
            UnitSpec,
            {
                "id": values["id"],
                "name": values["name"],
                "manager": _blank_is_none(values["manager"]),
                "email": _blank_is_none(values["email"]),
            },
        )
        with rt.transaction() as db:
            admin_service.create_unit(db, session.actor, spec)
    except Rejected as exc:
        errors = FormErrors()
        _add(errors, exc, UNIT_FIELDS)
        return _unit_form(request, rt, session, values, errors=errors)
    return _see("/admin/units", saved=spec.id)


@router.get("/admin/units/{unit_id}")
def edit_unit(request: Request, rt: RuntimeDep, session: Admin, unit_id: UnitId) -> Response:
    with rt.transaction() as db:
        unit = _find_unit(admin_service.list_units(db, session.actor), unit_id)
    values = {"id": unit.id, "name": unit.name, "manager": unit.manager or ""}
    return _unit_form(request, rt, session, {**values, "email": unit.email or ""}, unit_id=unit_id)


def _find_unit(found: list[UnitSpec], unit_id: str) -> UnitSpec:
    unit = next((u for u in found if u.id == unit_id), None)
    if unit is None:
        raise admin_service.NotFound(f"no unit {unit_id!r}", "unit_id")
    return unit


@router.post("/admin/units/{unit_id}")
def update_unit(
    request: Request, rt: RuntimeDep, session: Admin, form: CheckedForm, unit_id: UnitId
) -> Response:
    values = {**_unit_values(form), "id": unit_id}
    try:
        patch = admin_service.parse(
            UnitPatch,
            {
                "name": values["name"],
                "manager": _blank_is_none(values["manager"]),
                "email": _blank_is_none(values["email"]),
            },
        )
        with rt.transaction() as db:
            admin_service.update_unit(db, session.actor, unit_id, patch)
    except Rejected as exc:
        errors = FormErrors()
        _add(errors, exc, UNIT_FIELDS)
        return _unit_form(request, rt, session, values, unit_id=unit_id, errors=errors)
    return _see("/admin/units", saved=unit_id)


# --- Users ----------------------------------------------------------------------------------

USER_FIELDS = frozenset({"id", "name", "email", "roles", "units", "active"})


@router.get("/admin/users")
def users(
    request: Request,
    rt: RuntimeDep,
    session: Admin,
    saved: Annotated[str, Query()] = "",
    password: Annotated[str, Query(pattern=r"^[0-9]{0,9}$")] = "",
) -> Response:
    with rt.transaction() as db:
        found = admin_service.list_users(db, session.actor)
    return _page(
        request,
        "pages/admin/users.html",
        {
            "users": found,
            "saved": next((u for u in found if u.id == saved), None),
            "sessions_ended": int(password) if password else None,
        },
    )


def _user_form(
    request: Request,
    rt: RuntimeDep,
    session: PageSession,
    values: Mapping[str, Any],
    *,
    user_id: str | None = None,
    errors: FormErrors | None = None,
) -> Response:
    with rt.transaction() as db:
        unit_choices = admin_service.list_units(db, session.actor)
    return _page(
        request,
        "pages/admin/user_form.html",
        {
            "values": values,
            "user_id": user_id,
            "unit_choices": unit_choices,
            "roles": list(Role),
            "myself": user_id == session.actor.user_id,
        },
        errors=errors,
    )


def _user_values(form: FormData) -> dict[str, Any]:
    return {
        "id": text(form, "id").strip(),
        "name": text(form, "name").strip(),
        "email": text(form, "email").strip(),
        "roles": [v for v in form.getlist("roles") if isinstance(v, str)][: len(Role)],
        "units": [v for v in form.getlist("units") if isinstance(v, str)][:200],
        "active": text(form, "active", 8),
    }


@router.get("/admin/users/new")
def new_user(request: Request, rt: RuntimeDep, session: Admin) -> Response:
    return _user_form(request, rt, session, {"roles": [], "units": [], "active": "yes"})


@router.post("/admin/users/new")
def create_user(request: Request, rt: RuntimeDep, session: Admin, form: CheckedForm) -> Response:
    values = _user_values(form)
    try:
        spec = admin_service.parse(
            UserSpec, {k: values[k] for k in ("id", "name", "email", "roles", "units")}
        )
        with rt.transaction() as db:
            admin_service.create_user(db, session.actor, spec)
    except Rejected as exc:
        errors = FormErrors()
        _add(errors, exc, USER_FIELDS, groups=("roles", "units"))
        return _user_form(request, rt, session, values, errors=errors)
    # A new user cannot sign in until they have a password: that is the next step.
    return _see(f"/admin/users/{spec.id}/password", new="1")


@router.get("/admin/users/{user_id}")
def edit_user(request: Request, rt: RuntimeDep, session: Admin, user_id: UserId) -> Response:
    user = _find_user(rt, session, user_id)
    values = {**user.model_dump(), "active": "yes" if user.active else "no"}
    return _user_form(request, rt, session, values, user_id=user_id)


def _find_user(rt: RuntimeDep, session: PageSession, user_id: str) -> UserOut:
    with rt.transaction() as db:
        found = admin_service.list_users(db, session.actor)
    user = next((u for u in found if u.id == user_id), None)
    if user is None:
        raise admin_service.NotFound(f"no user {user_id!r}", "user_id")
    return user


@router.post("/admin/users/{user_id}")
def update_user(
    request: Request, rt: RuntimeDep, session: Admin, form: CheckedForm, user_id: UserId
) -> Response:
    values = {**_user_values(form), "id": user_id}
    errors = FormErrors()
    if values["active"] not in ("yes", "no"):
        errors.add("active", "Select whether they can sign in")
    try:
        patch = admin_service.parse(
            UserPatch,
            {
                **{k: values[k] for k in ("name", "email", "roles", "units")},
                **({"active": values["active"] == "yes"} if not errors else {}),
            },
        )
        if not errors:
            with rt.transaction() as db:
                admin_service.update_user(db, session.actor, user_id, patch)
    except Rejected as exc:
        _add(errors, exc, USER_FIELDS, groups=("roles", "units"))
    if errors:
        return _user_form(request, rt, session, values, user_id=user_id, errors=errors)
    return _see("/admin/users", saved=user_id)


def _password_form(
    request: Request,
    user: UserOut,
    *,
    new: bool = False,
    errors: FormErrors | None = None,
) -> Response:
    # The password is never sent back: a form with an error asks for it again.
    return _page(
        request,
        "pages/admin/password.html",
        {"subject": user, "new": new, "min_length": MIN_PASSWORD_LENGTH},
        errors=errors,
    )


@router.get("/admin/users/{user_id}/password")
def password_form(
    request: Request,
    rt: RuntimeDep,
    session: Admin,
    user_id: UserId,
    new: Annotated[str, Query(max_length=1)] = "",
) -> Response:
    return _password_form(request, _find_user(rt, session, user_id), new=bool(new))


@router.post("/admin/users/{user_id}/password")
def set_password(
    request: Request, rt: RuntimeDep, session: Admin, form: CheckedForm, user_id: UserId
) -> Response:
    user = _find_user(rt, session, user_id)
    password = text(form, "password", 1024)
    errors = FormErrors()
    if not password:
        errors.add("password", "Enter a password")
    elif password != text(form, "confirm", 1024):
        errors.add("confirm", "Enter the same password twice")
    else:
        try:
            ended = admin_service.set_password(rt.identity, session.actor, user_id, password)
        except Rejected as exc:
            _add(errors, exc, frozenset({"password"}))
        else:
            return _see("/admin/users", saved=user_id, password=str(ended))
    return _password_form(request, user, errors=errors)


# --- Routing rules --------------------------------------------------------------------------

RULE_FIELDS = frozenset({"phrase", "unit", "priority"})


@router.get("/admin/routing-rules")
def rules(
    request: Request,
    rt: RuntimeDep,
    session: Admin,
    saved: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Response:
    with rt.transaction() as db:
        found = admin_service.list_rules(db, session.actor)
        unit_names = {u.id: u.name for u in admin_service.list_units(db, session.actor)}
    return _page(
        request,
        "pages/admin/rules.html",
        {
            "rules": found,
            "unit_names": unit_names,
            "saved": next((r for r in found if r.id == saved), None),
        },
    )


def _rule_form(
    request: Request,
    rt: RuntimeDep,
    session: PageSession,
    values: Mapping[str, str],
    *,
    rule_id: int | None = None,
    errors: FormErrors | None = None,
) -> Response:
    with rt.transaction() as db:
        unit_choices = admin_service.list_units(db, session.actor)
    return _page(
        request,
        "pages/admin/rule_form.html",
        {"values": values, "rule_id": rule_id, "unit_choices": unit_choices},
        errors=errors,
    )


def _rule_values(form: FormData) -> dict[str, str]:
    return {name: text(form, name).strip() for name in RULE_FIELDS}


def _priority(value: str) -> str | None:
    # Blank: the rule takes the default priority; anything else is checked by the service.
    return value or None


@router.get("/admin/routing-rules/new")
def new_rule(request: Request, rt: RuntimeDep, session: Admin) -> Response:
    return _rule_form(request, rt, session, {"priority": "100"})


@router.post("/admin/routing-rules/new")
def create_rule(request: Request, rt: RuntimeDep, session: Admin, form: CheckedForm) -> Response:
    values = _rule_values(form)
    data: dict[str, Any] = {"phrase": values["phrase"], "unit": values["unit"]}
    if values["priority"]:
        data["priority"] = values["priority"]
    try:
        spec = admin_service.parse(RoutingRuleSpec, data)
        with rt.transaction() as db:
            rule = admin_service.create_rule(db, session.actor, spec)
    except Rejected as exc:
        errors = FormErrors()
        _add(errors, exc, RULE_FIELDS)
        return _rule_form(request, rt, session, values, errors=errors)
    return _see("/admin/routing-rules", saved=str(rule.id))


@router.get("/admin/routing-rules/{rule_id}")
def edit_rule(request: Request, rt: RuntimeDep, session: Admin, rule_id: RuleId) -> Response:
    with rt.transaction() as db:
        found = admin_service.list_rules(db, session.actor)
    rule = next((r for r in found if r.id == rule_id), None)
    if rule is None:
        raise admin_service.NotFound(f"no routing rule {rule_id}", "rule_id")
    values = {"phrase": rule.phrase, "unit": rule.unit, "priority": str(rule.priority)}
    return _rule_form(request, rt, session, values, rule_id=rule_id)


@router.post("/admin/routing-rules/{rule_id}")
def update_rule(
    request: Request, rt: RuntimeDep, session: Admin, form: CheckedForm, rule_id: RuleId
) -> Response:
    values = _rule_values(form)
    with rt.transaction() as db:
        found = admin_service.list_rules(db, session.actor)
    current = next((r for r in found if r.id == rule_id), None)
    if current is None:
        raise admin_service.NotFound(f"no routing rule {rule_id}", "rule_id")
    values["phrase"] = current.phrase  # the phrase is the rule: a new phrase is a new rule
    try:
        patch = admin_service.parse(
            RulePatch, {"unit": values["unit"], "priority": values["priority"] or None}
        )
        with rt.transaction() as db:
            admin_service.update_rule(db, session.actor, rule_id, patch)
    except Rejected as exc:
        errors = FormErrors()
        _add(errors, exc, RULE_FIELDS)
        return _rule_form(request, rt, session, values, rule_id=rule_id, errors=errors)
    return _see("/admin/routing-rules", saved=str(rule_id))


# --- Sign-off policy ------------------------------------------------------------------------


@router.get("/admin/sign-off-policy")
def sign_off_policy(
    request: Request, rt: RuntimeDep, session: Admin, saved: Annotated[str, Query()] = ""
) -> Response:
    with rt.transaction() as db:
        policy = admin_service.sign_off_policy(db, session.actor)
    provisions = list(catalogue_for(FOIA).provisions.values())
    return _page(
        request,
        "pages/admin/sign_off_policy.html",
        {
            "policy": policy,
            "provisions": provisions,
            "statutory": STATUTORY_SIGN_OFF,
            "saved": next((p for p in provisions if p.section == saved), None),
        },
    )


def _provision(section: str) -> Exemption:
    try:
        return get_exemption(section)
    except UnknownExemptionError:
        raise admin_service.NotFound(f"no exemption section {section}", "section") from None


def _sign_off_form(
    request: Request,
    rt: RuntimeDep,
    session: PageSession,
    section: str,
    role: str,
    errors: FormErrors | None = None,
) -> Response:
    provision = _provision(section)
    return _page(
        request,
        "pages/admin/sign_off_role.html",
        {
            "provision": provision,
            "role": role,
            "choices": SIGNING_ROLES,
            "statutory": STATUTORY_SIGN_OFF.get(provision.section),
        },
        errors=errors,
    )


@router.get("/admin/sign-off-policy/{section}")
def sign_off_form(request: Request, rt: RuntimeDep, session: Admin, section: Section) -> Response:
    key = _provision(section).section
    with rt.transaction() as db:
        policy = admin_service.sign_off_policy(db, session.actor)
    return _sign_off_form(
        request, rt, session, key, policy.roles.get(key, policy.default_role).value
    )


@router.post("/admin/sign-off-policy/{section}")
def set_sign_off_role(
    request: Request, rt: RuntimeDep, session: Admin, form: CheckedForm, section: Section
) -> Response:
    key = _provision(section).section
    chosen = text(form, "role", 64)
    errors = FormErrors()
    try:
        role = Role(chosen)
    except ValueError:
        errors.add("role", "Select the role that signs off this exemption")
    else:
        try:
            with rt.transaction() as db:
                admin_service.set_sign_off_role(db, session.actor, key, role)
        except Rejected as exc:
            _add(errors, exc, frozenset({"role"}))
        else:
            return _see("/admin/sign-off-policy", saved=key)
    return _sign_off_form(request, rt, session, key, chosen, errors)


# --- Authority settings ---------------------------------------------------------------------

TEXTS = ("name", "email", "telephone", "website", "letter_signatory", "force_code")
TEXTS_AS_TYPED = ("reference_pattern", "time_zone", "task_working_days")
OPTIONAL_NUMBERS = ("cost_limit_hours", "retention_years")
REMINDER_NUMBERS = (
    "unit_reminder_before_task_due",
    "officer_alert_at_working_day",
    "manager_alert_at_working_day",
    "send_hour",
)
REMINDER_SWITCHES = ("escalate_overdue_tasks", "alert_on_due_date", "alert_each_day_overdue")


def _settings_values(settings: AuthoritySettings) -> dict[str, Any]:
    """The form's fields (``reminders-send_hour`` …) as the settings hold them."""
    data = settings.model_dump(mode="json")
    reminders = data.pop("reminders")
    values: dict[str, Any] = {k: "" if v is None else v for k, v in data.items()}
    values.update({f"reminders-{k}": v for k, v in reminders.items()})
    return values


def _settings_from(form: FormData) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the values typed, to show again; the settings document they make)."""
    values: dict[str, Any] = {k: text(form, k).strip() for k in (*TEXTS, *TEXTS_AS_TYPED)}
    values["address"] = text(form, "address").strip()
    values.update({k: text(form, k).strip() for k in OPTIONAL_NUMBERS})
    values["kind"] = text(form, "kind", 40)
    values["sign_off_default_role"] = text(form, "sign_off_default_role", 64)
    values["roll_non_working_receipt"] = form.get("roll_non_working_receipt") == "yes"
    for name in REMINDER_NUMBERS:
        values[f"reminders-{name}"] = text(form, f"reminders-{name}").strip()
    for name in REMINDER_SWITCHES:
        values[f"reminders-{name}"] = form.get(f"reminders-{name}") == "yes"
    document: dict[str, Any] = {
        k: v for k, v in values.items() if not k.startswith("reminders-") and k != "address"
    }
    # Line endings as typed in a textarea: one line of the address per line.
    document["address"] = "\n".join(line.rstrip() for line in values["address"].splitlines())
    for name in OPTIONAL_NUMBERS:
        document[name] = values[name] or None
    document["reminders"] = {
        name: values[f"reminders-{name}"] for name in (*REMINDER_NUMBERS, *REMINDER_SWITCHES)
    }
    return values, document


SETTINGS_FIELDS = frozenset(
    {
        *TEXTS,
        *TEXTS_AS_TYPED,
        *OPTIONAL_NUMBERS,
        "address",
        "kind",
        "sign_off_default_role",
        "roll_non_working_receipt",
        *(f"reminders-{n}" for n in (*REMINDER_NUMBERS, *REMINDER_SWITCHES)),
    }
)


def _settings_page(
    request: Request,
    values: Mapping[str, Any],
    *,
    saved: bool = False,
    errors: FormErrors | None = None,
) -> Response:
    return _page(
        request,
        "pages/admin/settings.html",
        {"values": values, "saved": saved, "signing_roles": SIGNING_ROLES},
        errors=errors,
    )


@router.get("/admin/settings")
def settings(
    request: Request, rt: RuntimeDep, session: Admin, saved: Annotated[str, Query()] = ""
) -> Response:
    with rt.transaction() as db:
        current = admin_service.get_settings(db, session.actor)
    return _settings_page(request, _settings_values(current), saved=bool(saved))


@router.post("/admin/settings")
def save_settings(request: Request, rt: RuntimeDep, session: Admin, form: CheckedForm) -> Response:
    values, document = _settings_from(form)
    try:
        parsed = admin_service.parse(AuthoritySettings, document)
        with rt.transaction() as db:
            admin_service.replace_settings(db, session.actor, parsed)
    except Rejected as exc:
        errors = FormErrors()
        _add(errors, exc, SETTINGS_FIELDS)
        return _settings_page(request, values, errors=errors)
    return _see("/admin/settings", saved="1")


# --- Calendars and proclaimed holidays ------------------------------------------------------

HOLIDAY_FIELDS = frozenset({"date-day", "division", "reason"})


def _holiday_values(source: Callable[[str, int], str]) -> dict[str, str]:
    return {
        name: source(name, size).strip()
        for name, size in (
            ("date-day", 10),
            ("date-month", 10),
            ("date-year", 10),
            ("division", 32),
            # Longer than the service allows: a name too long is refused, never cut short.
            ("reason", 1000),
        )
    }


def _holiday(values: Mapping[str, str], errors: FormErrors) -> HolidayIn | None:
    """The holiday typed, or None with ``errors`` saying what is wrong with it."""
    parts = [values[f"date-{p}"] for p in ("day", "month", "year")]
    day: dt.date | None = None
    if not any(parts):
        errors.add("date-day", "Enter the date of the holiday")
    elif not all(p.isdigit() for p in parts):
        errors.add("date-day", "The date of the holiday must be a real date, in numbers")
    else:
        try:
            day = dt.date(int(parts[2]), int(parts[1]), int(parts[0]))
        except ValueError:
            errors.add("date-day", "The date of the holiday must be a real date")
    if values["division"] not in dict(DIVISION_CHOICES):
        errors.add("division", "Select where it is a bank holiday")
    if not values["reason"]:
        errors.add("reason", "Enter the name of the holiday")
    if errors or day is None:
        return None
    try:
        return admin_service.parse(
            HolidayIn, {"date": day, "division": values["division"], "reason": values["reason"]}
        )
    except Rejected as exc:
        _add(errors, exc, HOLIDAY_FIELDS)
        return None


def _calendars_page(
    request: Request,
    rt: RuntimeDep,
    session: PageSession,
    values: Mapping[str, str],
    *,
    added: int | None = None,
    told: str = "",
    errors: FormErrors | None = None,
) -> Response:
    versions = admin_service.list_calendars(rt.settings, session.actor)
    return _page(
        request,
        "pages/admin/calendars.html",
        {
            "versions": list(reversed(versions)),
            "values": values,
            "divisions": DIVISION_CHOICES,
            "added": next((v for v in versions if v.version == added), None),
            "added_days": _added_days(versions, added),
            "told": told,
        },
        errors=errors,
    )


def _added_days(versions: list[CalendarVersionOut], added: int | None) -> list[str]:
    """The holidays version ``added`` added by hand, against the version before it."""
    by_number = {v.version: v for v in versions}
    if added is None or added not in by_number:
        return []
    before = set(by_number[added - 1].proclaimed) if added - 1 in by_number else set()
    return [p for p in by_number[added].proclaimed if p not in before]


def _error_field(exc: Rejected) -> Rejected:
    # The service names the holiday's date "date"; the form's first date box is "date-day".
    return Rejected(exc.reason, "date-day") if exc.field == "date" else exc


@router.get("/admin/calendars")
def calendars(
    request: Request,
    rt: RuntimeDep,
    session: Admin,
    added: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    told: Annotated[str, Query(pattern=TOLD.pattern)] = "",
    date: Annotated[str, Query(max_length=10)] = "",
    division: Annotated[str, Query(max_length=32)] = "",
    reason: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    # date, division, reason: the holiday back from its check page to be changed.
    values = _typed_again({"date": date, "division": division, "reason": reason})
    return _calendars_page(request, rt, session, values, added=added, told=told)


@router.post("/admin/calendars")
def check_holiday(request: Request, rt: RuntimeDep, session: Admin, form: CheckedForm) -> Response:
    values = _holiday_values(lambda name, size: text(form, name, size))
    errors = FormErrors()
    holiday = _holiday(values, errors)
    if holiday is None:
        return _calendars_page(request, rt, session, values, errors=errors)
    # The check page is a GET of what was typed: safe to reload, and nothing is saved yet.
    return _see(
        "/admin/calendars/holiday",
        date=holiday.date.isoformat(),
        division=holiday.division,
        reason=holiday.reason,
    )


def _typed_again(holiday_query: Mapping[str, str]) -> dict[str, str]:
    try:
        day = dt.date.fromisoformat(holiday_query.get("date", ""))
    except ValueError:
        day = None
    return {
        "date-day": str(day.day) if day else "",
        "date-month": str(day.month) if day else "",
        "date-year": str(day.year) if day else "",
        "division": holiday_query.get("division", ""),
        "reason": holiday_query.get("reason", ""),
    }


@router.get("/admin/calendars/holiday")
def holiday_check(
    request: Request,
    rt: RuntimeDep,
    session: Admin,
    date: Annotated[str, Query(max_length=10)] = "",
    division: Annotated[str, Query(max_length=32)] = "",
    reason: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    values = _typed_again({"date": date, "division": division, "reason": reason})
    errors = FormErrors()
    holiday = _holiday(values, errors)
    if holiday is not None:
        try:
            with rt.transaction() as db:
                preview = admin_service.preview_holiday(db, rt.settings, session.actor, holiday)
        except Rejected as exc:
            _add(errors, _error_field(exc), HOLIDAY_FIELDS)
        else:
            return _page(
                request,
                "pages/admin/holiday_check.html",
                {
                    "preview": preview,
                    "division_name": dict(DIVISION_CHOICES)[holiday.division],
                    "change": "/admin/calendars?"
                    + urlencode({"date": date, "division": division, "reason": reason})
                    + "#holiday",
                },
            )
    return _calendars_page(request, rt, session, values, errors=errors)


@router.post("/admin/calendars/holiday")
async def add_holiday(
    request: Request, rt: RuntimeDep, session: Admin, form: CheckedForm
) -> Response:
    values = _typed_again({k: text(form, k, 200).strip() for k in ("date", "division", "reason")})
    errors = FormErrors()
    holiday = _holiday(values, errors)
    if holiday is not None:
        try:
            added = await admin_service.add_holiday(
                rt.settings, await rt.try_connect(), session.actor, holiday
            )
        except Rejected as exc:
            _add(errors, _error_field(exc), HOLIDAY_FIELDS)
        else:
            if not added.running_cases_told:
                told = "not"
            elif added.cases_signalled is None:
                told = "all"
            else:
                told = str(added.cases_signalled)
            return _see("/admin/calendars", added=str(added.version), told=told)
    return await asyncio.to_thread(_calendars_page, request, rt, session, values, errors=errors)
