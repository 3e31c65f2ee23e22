"""What every command shares: one way to fail, one formatter for invalid input, one console.

Exit codes: 0 done; 1 refused (the case, the input or the user's role said no; no such case;
not logged in); 2 a usage error (options that cannot work, an unreadable file); 3 a part foiflow
needs (the API, Temporal, the store) cannot be reached.
"""

from __future__ import annotations

from typing import NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console

from services.errors import Rejected

REFUSED = 1
USAGE = 2
UNAVAILABLE = 3


def console() -> Console:
    # Built per command, so the terminal width (or COLUMNS) is read when printing.
    return Console()


def fail(message: str, code: int = REFUSED) -> NoReturn:
    """One line on stderr, ``error: field: reason``, and the exit code."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=code)


def invalid(exc: ValidationError, prefix: str = "", code: int = USAGE) -> NoReturn:
    """Invalid input, formatted the one way (``where: what``)."""
    fail(str(Rejected.from_validation(exc, prefix)), code)
