"""foiflow's custom search attributes. No personal data: values are stored unencrypted."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from temporalio.common import SearchAttributeKey

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
