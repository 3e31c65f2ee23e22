"""What every command shares: one way to fail, one mapping from service errors to exit codes,
one formatter for invalid input, and one way to call a service.

Exit codes: 0 done; 1 refused (the case, the input or the user's role said no; no such case);
2 a usage error (options that cannot work, an unreadable file); 3 a part foiflow needs
(Temporal, the store) cannot be reached.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import NoReturn, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console

from services.context import ServiceContext, open_context
from services.directory import UnknownUser
from services.errors import Rejected, ServiceError, Unavailable
from settings import get_settings

T = TypeVar("T")

REFUSED = 1
USAGE = 2
UNAVAILABLE = 3

AS_USER = typer.Option(..., "--as", help="Who acts: a user id from `foiflow store users list`.")
AS_USER_OPTIONAL = typer.Option(
    "", "--as", help="See as this user would (a user id from `foiflow store users list`)."
)


def console() -> Console:
    # Built per command, so the terminal width (or COLUMNS) is read when printing.
    return Console()


def fail(message: str, code: int = REFUSED) -> NoReturn:
    """One line on stderr, ``error: field: reason``, and the exit code."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=code)


def exit_code(exc: ServiceError) -> int:
    return UNAVAILABLE if isinstance(exc, Unavailable) else REFUSED


def fail_with(exc: ServiceError, code: int | None = None) -> NoReturn:
    if isinstance(exc, UnknownUser):
        fail(f"--as: {exc.reason} (see `foiflow store users list`)", code or REFUSED)
    fail(str(exc), code or exit_code(exc))


def invalid(exc: ValidationError, prefix: str = "", code: int = USAGE) -> NoReturn:
    """Invalid input, formatted the one way (``where: what``)."""
    fail(str(Rejected.from_validation(exc, prefix)), code)


def call(
    service: Callable[[ServiceContext], Awaitable[T]],
    as_user: str | None = None,
    *,
    rejected_code: int = REFUSED,
) -> T:
    """Run ``service`` with a context for ``as_user`` (none: a system caller); a service error
    becomes one line and its exit code (``rejected_code`` for refusals of the input)."""
    settings = get_settings()

    async def go() -> T:
        ctx = await open_context(settings, as_user or None)
        return await service(ctx)

    try:
        return asyncio.run(go())
    except ServiceError as exc:
        fail_with(exc, rejected_code if isinstance(exc, Rejected) else None)
