"""Form helpers: reading fields, and errors shown the GOV.UK way — an error summary at the top
linking to each field, and the same message on the field itself.

The workflow names the field it refuses (``answer.claims[1].public_interest_for: …``); a page
maps that name to its own field id with ``field_id`` so the reason lands on the field it names.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator

from starlette.datastructures import FormData

from services.errors import ServiceError

MAX_FIELD = 20_000  # characters kept from any one field: more is a paste gone wrong


def text(form: FormData, name: str, limit: int = MAX_FIELD) -> str:
    """A text field's value ('' when absent or a file), NUL removed, at most ``limit`` long."""
    value = form.get(name)
    if not isinstance(value, str):
        return ""
    return value.replace("\x00", "")[:limit]


def lines(value: str) -> list[str]:
    """A textarea's non-blank lines, trimmed: one factor, attachment or search per line."""
    return [line.strip() for line in value.splitlines() if line.strip()]


_INDEX = re.compile(r"\[(\d+)\]")


def field_id(service_field: str, prefix: str = "") -> str:
    """The form field a service's field name means: ``answer.claims[1].reason`` →
    ``claims-1-reason`` (with ``prefix="answer."``); ``reason`` → ``reason``."""
    name = service_field.removeprefix(prefix) if prefix else service_field
    return _INDEX.sub(r"-\1", name).replace(".", "-")


class FormErrors:
    """Errors by field id, in the order they were found (the error summary's order)."""

    def __init__(self) -> None:
        self._by_field: dict[str, str] = {}
        self._general: list[str] = []

    def add(self, field: str, message: str) -> None:
        """``message`` on ``field`` (the first message for a field wins); ``field=''``: a
        problem with the whole form, shown in the summary only."""
        if not field:
            self._general.append(message)
        else:
            self._by_field.setdefault(field, message)

    def add_service_error(
        self, exc: ServiceError, *, prefix: str = "", fields: Collection[str] | None = None
    ) -> None:
        """The service's reason on the field it names, when the form has that field (``fields``;
        None: any), else on the form as a whole."""
        reason = _sentence(exc.reason)
        target = field_id(exc.field, prefix) if exc.field else ""
        if target and (fields is None or target in fields):
            self.add(target, reason)
        else:
            self.add("", reason)

    def under(self, prefix: str) -> bool:
        """Whether any field whose id starts with ``prefix`` has an error (a group's border)."""
        return any(f.startswith(prefix) for f in self._by_field)

    def get(self, field: str) -> str | None:
        return self._by_field.get(field)

    def message(self, field: str) -> dict[str, str] | None:
        """``errorMessage`` for a GOV.UK macro (None: no error on the field)."""
        found = self._by_field.get(field)
        return {"text": found} if found else None

    def summary(self) -> list[dict[str, str]]:
        """``errorList`` for ``govukErrorSummary``."""
        return [{"text": m} for m in self._general] + [
            {"text": m, "href": f"#{f}"} for f, m in self._by_field.items()
        ]

    def __bool__(self) -> bool:
        return bool(self._by_field or self._general)

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_field)


def _sentence(reason: str) -> str:
    reason = reason.strip()
    return reason[:1].upper() + reason[1:] if reason else reason
