"""The ``foiflow`` command: one typer app, each command group in its own module."""

from __future__ import annotations

import os
import sys

import typer
from pydantic import ValidationError

from cli import (
    calendar_cmds,
    cases,
    deadline,
    demo_cmds,
    dispatch_cmds,
    doctor,
    login,
    reviews,
    stats,
    store_cmds,
    up,
)
from services.audit import configure_audit_keys
from settings import Settings, get_settings, settings_problem

app = typer.Typer(
    name="foiflow",
    help="Statutory FOI/EIR/FOISA deadlines run on Temporal.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def _audit_keys() -> None:
    # Any command may write the audit log (seeding, settings, the worker `up` runs): with the
    # settings' key, read when first needed, so commands that never log read no settings for it.
    configure_audit_keys(get_settings)


app.command("deadline")(deadline.deadline)
app.command("up")(up.up)
app.command("stats")(stats.stats)
app.command("dispatch")(dispatch_cmds.dispatch)
app.command("doctor")(doctor.doctor)
login.register(app)
cases.register(app)
app.add_typer(calendar_cmds.app, name="calendar")
app.add_typer(reviews.app, name="review")
app.add_typer(store_cmds.app, name="store")
app.add_typer(dispatch_cmds.app, name="delivery")
app.add_typer(demo_cmds.app, name="demo")


def main() -> None:
    """Console entry point."""
    code = 0
    try:
        app()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except ValidationError as exc:
        # The environment's settings, read by whichever command ran first: one line naming the
        # variable (a key setting's value is never repeated), as every entry point says it.
        if exc.title != Settings.__name__:
            raise
        print(f"error: {settings_problem(exc)}", file=sys.stderr)
        code = 2
    sys.stdout.flush()
    sys.stderr.flush()
    # Every command has finished its work here. Skipping interpreter finalisation avoids a rare
    # abort when Python tears down while the Temporal core runtime's threads are still alive.
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    main()
