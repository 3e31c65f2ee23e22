"""``foiflow deadline``: due dates for receipt dates (helper A fills this in)."""

from __future__ import annotations

import typer


def deadline(
    regime: str = typer.Option("foia", "--regime"),
    dates: list[str] = typer.Argument(...),
) -> None:
    """Print DATE<TAB>DUE for each receipt date."""
    raise typer.Exit(code=2)
