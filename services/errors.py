"""Typed errors every service raises; front ends map them (CLI: one line and an exit code,
API: 401/403/404/409/422)."""

from __future__ import annotations

from typing import Self

from pydantic import ValidationError

from store.schema import validation_problems


class ServiceError(Exception):
    """Base: ``field`` names what is wrong (empty when nothing in particular); ``reason``, why."""

    def __init__(self, reason: str, field: str = "") -> None:
        super().__init__(f"{field}: {reason}" if field else reason)
        self.field = field
        self.reason = reason
        self.problems: list[str] = [str(self)]  # every problem, where input had several


class CaseNotFound(ServiceError):
    """No such case, or none the actor may know exists (units see only cases routed to them)."""

    def __init__(self, reference: str) -> None:
        super().__init__("no such case", "reference")
        self.reference = reference


class CaseClosed(ServiceError):
    """The case has closed (issued, withdrawn, lapsed): nothing more can change."""

    def __init__(self, reference: str) -> None:
        super().__init__(f"case {reference} is closed; closed cases cannot change", "reference")
        self.reference = reference


class Rejected(ServiceError):
    """The input or the case's state refuses the action; the workflow's reason word for word."""

    @classmethod
    def from_message(cls, message: str) -> Self:
        """``"field: reason"`` (the form every validator uses) split into its parts."""
        head, sep, tail = message.partition(": ")
        if sep and head and " " not in head.strip():
            return cls(tail, head)
        return cls(message)

    @classmethod
    def from_validation(cls, exc: ValidationError, prefix: str = "") -> Self:
        """Pydantic's problems in the one format (``store.schema.validation_problems``,
        ``where: what``), under ``prefix``; the first is the error's field and reason."""
        problems = [_under(prefix, p) for p in validation_problems(exc)]
        error = cls.from_message(problems[0])
        error.problems = problems
        return error


def _under(prefix: str, problem: str) -> str:
    if not prefix:
        return problem
    top = "(top level)"
    return prefix + problem[len(top) :] if problem.startswith(top) else f"{prefix}.{problem}"


class Conflict(Rejected):
    """The case's state forbids the action now (closed, under sign-off, already done)."""


class StaleVersion(Conflict):
    """The action was based on a version of the case someone has changed since: reload, look
    again, then act (the API's 409 for a stale ``If-Match``)."""


class Forbidden(ServiceError):
    """The actor's role may not do this."""


class Unavailable(ServiceError):
    """A part foiflow needs (Temporal, the database) cannot be reached; the reason says which."""
