"""The manager's dashboard as JSON: the same figures as the ``/dashboard`` page, from the read
model (no Temporal needed). For managers and FOI officers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from domain.case import Actor
from services import dashboard as dashboard_service
from services.dashboard import Dashboard
from statute.exemptions import Role
from web.api.deps import RuntimeDep, require_roles
from web.api.errors import responses

router = APIRouter(tags=["dashboard"])

DashboardReader = Annotated[Actor, Depends(require_roles(Role.MANAGER, Role.FOI_OFFICER))]


@router.get("/dashboard", response_model=Dashboard, responses=responses(401, 403, 503))
async def get_dashboard(rt: RuntimeDep, reader: DashboardReader) -> Dashboard:
    """Open cases by RAG on working days left (red: overdue or at most 2; amber: at most 5;
    green: more), by status; cases breaching within five working days; each unit's open and
    overdue tasks; responses in time by month of issue (last 12 months); this quarter's
    outcomes and exemptions used; messages that could not be delivered."""
    return await dashboard_service.dashboard(rt.engine)
