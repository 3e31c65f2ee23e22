"""The public deadline calculator: no login needed, nothing about any case."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.deadlines import EVENT_FORMS, REGIME_CODES, Deadline, deadline
from web.api.deps import SettingsDep
from web.api.errors import responses

router = APIRouter(tags=["deadline"])


@router.get("/deadline", response_model=Deadline, responses=responses(422))
def get_deadline(
    settings: SettingsDep,
    received: Annotated[
        str,
        Query(
            description="The day the request was received, YYYY-MM-DD (Europe/London).",
            examples=["2025-03-03"],
            json_schema_extra={"format": "date"},
        ),
    ],
    regime: Annotated[
        str,
        Query(
            description="The regime whose clock applies.",
            json_schema_extra={"enum": list(REGIME_CODES)},
        ),
    ] = "foia",
    roll_non_working_receipt: Annotated[
        bool,
        Query(
            description="Local policy, not the statute: count a weekend or holiday receipt as "
            "received on the next working day."
        ),
    ] = False,
    event: Annotated[
        list[str] | None,
        Query(
            description="Clock events after the receipt, in time order, one per parameter: "
            f"{EVENT_FORMS} (the same contract as `foiflow deadline --event`). With them the "
            "due date is where the clock stands after the last event (null while paused).",
            examples=[["clarification_requested=2025-03-05", "clarification_received=2025-03-10"]],
            max_length=50,
        ),
    ] = None,
) -> Deadline:
    """When a request received on ``received`` is due, and why (the working days skipped);
    with ``event``s, after the clarifications, fees and extensions they record."""
    return deadline(
        settings,
        regime,
        received,
        roll_non_working_receipt=roll_non_working_receipt,
        events=event or [],
    )
