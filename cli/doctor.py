"""``foiflow doctor``: can this deployment run cases? An operator command (no login).

Checks Temporal (reachable, the namespace, foiflow's search attributes, a worker polling the task
queue), the database (reachable, migrations current), SMTP, and the calendar's coverage, and
prints each problem with its fix. Exit 0 when nothing is wrong (warnings are printed but do not
fail, unless ``--strict``), 1 when anything is.
"""

from __future__ import annotations

import asyncio
import json

import typer
from pydantic import ValidationError
from rich.markup import escape

from cli.common import REFUSED, console, fail
from services.doctor import Report, Status, diagnose
from settings import get_settings, settings_problem

MARKS = {
    Status.OK: "[green]ok[/green]      ",
    Status.WARNING: "[yellow]warning[/yellow] ",
    Status.PROBLEM: "[red]PROBLEM[/red] ",
    Status.NOT_CONFIGURED: "[dim]-[/dim]       ",
    Status.NOT_CHECKED: "[dim]skipped[/dim] ",
}


def print_report(report: Report) -> None:
    out = console()
    for check in report.checks:
        out.print(
            f"{MARKS[check.status]}{escape(check.part)}: {escape(check.name)} — "
            f"{escape(check.detail)}",
            soft_wrap=True,
        )
        if check.fix:
            out.print(f"          fix: {escape(check.fix)}", soft_wrap=True)
    problems, warnings = len(report.problems), len(report.warnings)
    if not problems and not warnings:
        out.print("All good.")
    else:
        out.print(
            f"{problems} problem{'s' * (problems != 1)}, {warnings} warning{'s' * (warnings != 1)}."
        )


def doctor(
    as_json: bool = typer.Option(False, "--json", help="The checks as JSON."),
    strict: bool = typer.Option(False, "--strict", help="Warnings fail too (exit 1)."),
) -> None:
    """Check Temporal, the database, SMTP and the calendar; print each problem with its fix."""
    try:
        settings = get_settings()
    except ValidationError as exc:
        fail(settings_problem(exc), REFUSED)
    report = asyncio.run(diagnose(settings))
    if as_json:
        typer.echo(json.dumps(report.model_dump(mode="json")["checks"], indent=2))
    else:
        print_report(report)
    if report.problems or (strict and report.warnings):
        raise typer.Exit(REFUSED)
