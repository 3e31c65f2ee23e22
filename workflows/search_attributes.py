"""foiflow's custom search attributes. No personal data: values are stored unencrypted."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from temporalio.common import SearchAttributeKey, SearchAttributeUpdate

from domain.case import CLOSED_STATUSES, CaseView

FOI_STATUS = SearchAttributeKey.for_keyword("FoiStatus")
FOI_REGIME = SearchAttributeKey.for_keyword("FoiRegime")
FOI_DUE_DATE = SearchAttributeKey.for_datetime("FoiDueDate")
FOI_UNITS = SearchAttributeKey.for_keyword_list("FoiUnits")
FOI_OVERDUE = SearchAttributeKey.for_bool("FoiOverdue")
FOI_INTAKE_KEY = SearchAttributeKey.for_keyword("FoiIntakeKey")  # hash of receipt and text

ALL_KEYS: tuple[SearchAttributeKey[Any], ...] = (
    FOI_STATUS,
    FOI_REGIME,
    FOI_DUE_DATE,
    FOI_UNITS,
    FOI_OVERDUE,
    FOI_INTAKE_KEY,
)

_CLI_TYPES = {
    "KEYWORD": "Keyword",
    "DATETIME": "Datetime",
    "KEYWORD_LIST": "KeywordList",
    "BOOL": "Bool",
}


def cli_flags() -> list[str]:
    """``--search-attribute Name=Type`` flags for ``temporal server start-dev``."""
    flags: list[str] = []
    for key in ALL_KEYS:
        flags += ["--search-attribute", f"{key.name}={_CLI_TYPES[key.indexed_value_type.name]}"]
    return flags


def due_date_value(day: date | None) -> datetime | None:
    if day is None:
        return None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def case_search_values(view: CaseView) -> dict[str, Any]:
    """The search attributes a case publishes, by name (no personal data)."""
    return {
        FOI_STATUS.name: view.status.value,
        FOI_REGIME.name: view.regime,
        FOI_DUE_DATE.name: due_date_value(view.clock.due_date),
        FOI_UNITS.name: view.owning_units,
        FOI_OVERDUE.name: view.clock.overdue and view.status not in CLOSED_STATUSES,
    }


def search_attribute_updates(values: dict[str, Any]) -> list[SearchAttributeUpdate[Any]]:
    """``case_search_values`` as the upserts a workflow sends (a missing due date is unset)."""
    due = values[FOI_DUE_DATE.name]
    return [
        FOI_STATUS.value_set(values[FOI_STATUS.name]),
        FOI_REGIME.value_set(values[FOI_REGIME.name]),
        FOI_UNITS.value_set(values[FOI_UNITS.name]),
        FOI_OVERDUE.value_set(values[FOI_OVERDUE.name]),
        FOI_DUE_DATE.value_set(due) if due else FOI_DUE_DATE.value_unset(),
    ]
