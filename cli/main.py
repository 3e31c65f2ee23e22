"""The ``foiflow`` command: one typer app, each command group in its own module."""

from __future__ import annotations

import typer

from cli import calendar_cmds, deadline

app = typer.Typer(
    name="foiflow",
    help="Statutory FOI/EIR/FOISA deadlines run on Temporal.",
    no_args_is_help=True,
    add_completion=False,
)
app.command("deadline")(deadline.deadline)
app.add_typer(calendar_cmds.app, name="calendar")


if __name__ == "__main__":  # pragma: no cover
    app()
