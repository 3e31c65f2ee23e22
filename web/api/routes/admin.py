"""Reference-data administration, for the admin role only: units, users, routing rules,
authority settings, the sign-off policy, calendar versions and proclaimed holidays.

Every change is validated like the seed's and audited on the ``ref-data`` chain under the
admin's user id. POSTs accept an ``Idempotency-Key``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from services import admin as admin_service
from services.admin import (
    AuthoritySettings,
    CalendarVersionOut,
    HolidayIn,
    HolidayOut,
    PasswordIn,
    RoutingRuleSpec,
    RuleOut,
    RulePatch,
    SignOffPolicyOut,
    SignOffRoleIn,
    UnitPatch,
    UnitSpec,
    UserOut,
    UserPatch,
    UserSpec,
)
from web.api.deps import AdminUser, RuntimeDep
from web.api.errors import responses
from web.api.idempotency import IdempotencyDep

router = APIRouter(prefix="/admin", tags=["admin"])

READ = responses(401, 403)
WRITE = responses(401, 403, 404, 409, 422)
CREATE = responses(401, 403, 409, 422)

UnitId = Annotated[str, Path(max_length=64, description="The unit's id, e.g. hate-crime.")]
UserId = Annotated[str, Path(max_length=64, description="The user's id, e.g. aisha-rahman.")]
RuleId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Section = Annotated[str, Path(max_length=8, description="An exemption section, e.g. 40.")]


# --- Units ----------------------------------------------------------------------------------


@router.get("/units", response_model=list[UnitSpec], responses=READ)
def list_units(rt: RuntimeDep, admin: AdminUser) -> list[UnitSpec]:
    with rt.transaction() as session:
        return admin_service.list_units(session, admin)


@router.post("/units", status_code=201, response_model=UnitSpec, responses=CREATE)
def create_unit(rt: RuntimeDep, admin: AdminUser, idem: IdempotencyDep, unit: UnitSpec) -> Response:
    return idem.run(201, unit, lambda session: admin_service.create_unit(session, admin, unit))


@router.patch("/units/{unit_id}", response_model=UnitSpec, responses=WRITE)
def update_unit(rt: RuntimeDep, admin: AdminUser, unit_id: UnitId, patch: UnitPatch) -> UnitSpec:
    with rt.transaction() as session:
        return admin_service.update_unit(session, admin, unit_id, patch)


# --- Users ----------------------------------------------------------------------------------


@router.get("/users", response_model=list[UserOut], responses=READ)
def list_users(rt: RuntimeDep, admin: AdminUser) -> list[UserOut]:
    with rt.transaction() as session:
        return admin_service.list_users(session, admin)


@router.post("/users", status_code=201, response_model=UserOut, responses=CREATE)
def create_user(rt: RuntimeDep, admin: AdminUser, idem: IdempotencyDep, user: UserSpec) -> Response:
    return idem.run(201, user, lambda session: admin_service.create_user(session, admin, user))


@router.patch("/users/{user_id}", response_model=UserOut, responses=WRITE)
def update_user(rt: RuntimeDep, admin: AdminUser, user_id: UserId, patch: UserPatch) -> UserOut:
    with rt.transaction() as session:
        return admin_service.update_user(session, admin, user_id, patch)


@router.put("/users/{user_id}/password", status_code=204, responses=WRITE)
def set_password(rt: RuntimeDep, admin: AdminUser, user_id: UserId, body: PasswordIn) -> Response:
    """Set a user's password; their tokens and sessions end (they log in again)."""
    admin_service.set_password(rt.identity, admin, user_id, body.password)
    return Response(status_code=204)


# --- Routing rules --------------------------------------------------------------------------


@router.get("/routing-rules", response_model=list[RuleOut], responses=READ)
def list_rules(rt: RuntimeDep, admin: AdminUser) -> list[RuleOut]:
    with rt.transaction() as session:
        return admin_service.list_rules(session, admin)


@router.post("/routing-rules", status_code=201, response_model=RuleOut, responses=CREATE)
def create_rule(
    rt: RuntimeDep, admin: AdminUser, idem: IdempotencyDep, rule: RoutingRuleSpec
) -> Response:
    return idem.run(201, rule, lambda session: admin_service.create_rule(session, admin, rule))


@router.patch("/routing-rules/{rule_id}", response_model=RuleOut, responses=WRITE)
def update_rule(rt: RuntimeDep, admin: AdminUser, rule_id: RuleId, patch: RulePatch) -> RuleOut:
    with rt.transaction() as session:
        return admin_service.update_rule(session, admin, rule_id, patch)


# --- Authority settings and the sign-off policy ---------------------------------------------


@router.get("/settings", response_model=AuthoritySettings, responses=READ)
def get_settings(rt: RuntimeDep, admin: AdminUser) -> AuthoritySettings:
    with rt.transaction() as session:
        return admin_service.get_settings(session, admin)


@router.put("/settings", response_model=AuthoritySettings, responses=WRITE)
def replace_settings(
    rt: RuntimeDep, admin: AdminUser, settings: AuthoritySettings
) -> AuthoritySettings:
    """Replace the settings document (as GET returns it). New cases use it; running cases keep
    the policy they started with."""
    with rt.transaction() as session:
        return admin_service.replace_settings(session, admin, settings)


@router.get("/sign-off-policy", response_model=SignOffPolicyOut, responses=READ)
def get_sign_off_policy(rt: RuntimeDep, admin: AdminUser) -> SignOffPolicyOut:
    with rt.transaction() as session:
        return admin_service.sign_off_policy(session, admin)


@router.put("/sign-off-policy/{section}", response_model=SignOffPolicyOut, responses=WRITE)
def set_sign_off_role(
    rt: RuntimeDep, admin: AdminUser, section: Section, body: SignOffRoleIn
) -> SignOffPolicyOut:
    """Which role signs off an exemption (s36 is always the qualified person's)."""
    with rt.transaction() as session:
        return admin_service.set_sign_off_role(session, admin, section, body.role)


# --- Calendars ------------------------------------------------------------------------------


@router.get("/calendars", response_model=list[CalendarVersionOut], responses=READ)
def list_calendars(rt: RuntimeDep, admin: AdminUser) -> list[CalendarVersionOut]:
    """Every stored calendar version, oldest first; the latest is what new deadlines use."""
    return admin_service.list_calendars(rt.settings, admin)


@router.post("/calendars/holidays", status_code=201, response_model=HolidayOut, responses=CREATE)
async def add_holiday(
    rt: RuntimeDep, admin: AdminUser, idem: IdempotencyDep, holiday: HolidayIn
) -> Response:
    """Record a bank holiday proclaimed under the 1971 Act as a new calendar version, and move
    every running case's deadlines (a Temporal batch signal, when Temporal is reachable)."""
    earlier = idem.replay(holiday)
    if earlier is not None:
        return earlier
    result = await admin_service.add_holiday(rt.settings, await rt.try_connect(), admin, holiday)
    return idem.remember(holiday, 201, result)
