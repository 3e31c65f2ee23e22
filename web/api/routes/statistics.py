"""The statistics managers owe: requests received and resolved by quarter, in the Cabinet
Office's categories, from the read model. For managers and FOI officers."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import ValidationError

from domain.case import Actor
from services import statistics as statistics_service
from services.errors import Rejected
from services.statistics import Statistics, StatisticsQuery
from statute.exemptions import Role
from web.api.deps import RuntimeDep, require_roles
from web.api.errors import responses

router = APIRouter(tags=["statistics"])

StatisticsReader = Annotated[Actor, Depends(require_roles(Role.MANAGER, Role.FOI_OFFICER))]


def statistics_query(
    received_from: Annotated[
        date, Query(alias="from", description="Requests received on or after, YYYY-MM-DD.")
    ],
    received_to: Annotated[
        date, Query(alias="to", description="Requests received on or before, YYYY-MM-DD.")
    ],
    regime: Annotated[
        str | None,
        Query(
            description="Only this regime's requests.",
            json_schema_extra={"enum": ["foia", "eir", "foisa"]},
        ),
    ] = None,
) -> StatisticsQuery:
    try:
        return StatisticsQuery.model_validate(
            {"from": received_from, "to": received_to, "regime": regime}
        )
    except ValidationError as exc:
        raise Rejected.from_validation(exc) from None


@router.get("/statistics", response_model=Statistics, responses=responses(401, 403, 422, 503))
async def get_statistics(
    rt: RuntimeDep,
    reader: StatisticsReader,
    query: Annotated[StatisticsQuery, Depends(statistics_query)],
) -> Statistics:
    """Requests received from ``from`` to ``to`` by quarter, as they stand now: received,
    resolved and in progress; timeliness (in time, in time with a permitted extension, late);
    outcomes; the exemptions used; internal reviews and their outcomes; complaints to the
    regulator and decision notices."""
    return await statistics_service.statistics(rt.engine, query)
