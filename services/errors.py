"""Typed errors every service raises; front ends map them (CLI: one line and an exit code,
API: 401/403/404/409/422)."""

from __future__ import annotations


class ServiceError(Exception):
    """Base: ``field`` names what is wrong (empty when nothing in particular); ``reason``, why."""

    def __init__(self, reason: str, field: str = "") -> None:
        super().__init__(f"{field}: {reason}" if field else reason)
        self.field = field
        self.reason = reason


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
    def from_message(cls, message: str) -> Rejected:
        """``"field: reason"`` (the form every validator uses) split into its parts."""
        head, sep, tail = message.partition(": ")
        if sep and head and " " not in head.strip():
            return cls(tail, head)
        return cls(message)


class Conflict(Rejected):
    """The case's state forbids the action now (closed, under sign-off, already done)."""


class Forbidden(ServiceError):
    """The actor's role may not do this."""


class Unavailable(ServiceError):
    """A part foiflow needs (Temporal, the database) cannot be reached; the reason says which."""
