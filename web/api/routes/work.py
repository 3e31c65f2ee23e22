""" "My" work: the open tasks of the caller's units, and the sign-offs waiting for their role."""

from __future__ import annotations

from fastapi import APIRouter

from services import cases as case_service
from services.schemas import MySignOff, MyTask
from web.api.deps import ServiceContextDep
from web.api.errors import responses
from web.api.routes.cases import CaseUser

router = APIRouter(tags=["work"], dependencies=[CaseUser])


@router.get("/tasks", response_model=list[MyTask], responses=responses(401, 403, 503))
async def my_tasks(ctx: ServiceContextDep) -> list[MyTask]:
    """Open tasks of my units, with the unit's (internal) and the statutory due dates."""
    return await case_service.list_my_tasks(ctx)


@router.get("/sign-offs", response_model=list[MySignOff], responses=responses(401, 403, 503))
async def my_sign_offs(ctx: ServiceContextDep) -> list[MySignOff]:
    """Sign-offs waiting for one of my roles, on claims I did not recommend."""
    return await case_service.list_my_sign_offs(ctx)
