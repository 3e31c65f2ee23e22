"""Case commands: list and show cases, my tasks and sign-offs, start a case — and (registered from
``cli.actions``) every human action on one.

Each command is a thin adapter: options in, one service call (``services``), rich output. The
user is named with ``--as USER`` (an id from ``foiflow store users list``) until logins exist.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer
from pydantic import ValidationError
from rich.table import Table

from cli import actions
from cli.common import AS_USER, AS_USER_OPTIONAL, USAGE, call, console, fail, invalid
from domain.case import CaseView
from domain.transitions import PAUSED_STATUSES
from services.cases import (
    actions_for,
    get_case,
    get_letter,
    list_cases,
    list_my_sign_offs,
    list_my_tasks,
)
from services.context import ServiceContext
from services.intake import IntakeError, read_request_file, start_case
from services.routing import suggest_units, unrouted_questions
from services.schemas import AvailableAction, CaseFilters, RouteSuggestion

JSON = typer.Option(False, "--json", help="As JSON, for scripts.")


def _days(left: int | None) -> str:
    if left is None:
        return ""
    return f"{-left} late" if left < 0 else str(left)


# ---- reading -------------------------------------------------------------------------------


def cases(
    status: str = typer.Option("", help="Only cases with this status, e.g. in_progress."),
    overdue: bool = typer.Option(False, "--overdue", help="Only overdue cases."),
    unit: str = typer.Option("", help="Only cases with a question owned by this unit."),
    as_user: str = AS_USER_OPTIONAL,
) -> None:
    """Every case with its status and due date (from Temporal visibility)."""
    try:
        filters = CaseFilters.model_validate(
            {"status": status or None, "overdue": overdue, "unit": unit or None}
        )
    except ValidationError as exc:
        invalid(exc)
    rows = call(lambda ctx: list_cases(ctx, filters), as_user)
    table = Table("reference", "status", "due", "overdue", "units", title=f"{len(rows)} case(s)")
    for row in rows:
        table.add_row(
            row.reference,
            row.status or "",
            str(row.due_date or "paused"),
            "yes" if row.overdue else "",
            ", ".join(row.units),
        )
    console().print(table)


def case(
    reference: str,
    as_user: str = AS_USER_OPTIONAL,
    as_json: bool = typer.Option(False, "--json", help="The full state as JSON."),
) -> None:
    """One case: clock with explanation, questions (with suggested units until routed) and
    owners, sign-offs, reminders, timeline — and, with --as, what that user may do now."""

    async def show(
        ctx: ServiceContext,
    ) -> tuple[CaseView, list[RouteSuggestion], list[AvailableAction]]:
        view = await get_case(ctx, reference)
        suggestions = await suggest_units(ctx, unrouted_questions(view))
        if ctx.actor is None:
            view = view.for_unit()  # without --as the terminal is no one in particular
        return view, suggestions, actions_for(view, ctx.actor)

    view, suggestions, may = call(show, as_user)
    if as_json:
        typer.echo(view.model_dump_json(indent=2))
        return
    out = console()
    clock = view.clock
    out.print(f"[bold]{view.reference}[/bold]  {view.regime.upper()}  status: {view.status}")
    due = clock.due_date or "paused"
    out.print(
        f"received {clock.received_on}; due {due}; {clock.working_days_elapsed} working days "
        f"elapsed, {clock.working_days_remaining} remaining"
        + ("; [red]OVERDUE[/red]" if clock.overdue else "")
    )
    for line in clock.explanation:
        out.print(f"  {line}", highlight=False)
    out.print(_questions(view, suggestions))
    for s in view.sign_offs:
        out.print(f"sign-off s{s.section} ({s.required_role}): {s.status} {s.decided_by or ''}")
    for r in view.reminders:
        out.print(f"reminder {r.on} {r.kind} → {r.audience}")
    if as_user:
        labels = ", ".join(a.label for a in may) or "nothing now"
        out.print(f"{as_user} may: {labels}", highlight=False)
    out.print("[bold]timeline[/bold]")
    for e in view.timeline:
        out.print(f"  {e.at:%Y-%m-%d %H:%M} {e.actor}: {e.text}", highlight=False)


def _questions(view: CaseView, suggestions: list[RouteSuggestion]) -> Table:
    """Routed questions with their owners; unrouted ones with the units the rules suggest."""
    table = Table("Q", "question", "unit", "status", "due", "answer", title="questions")
    tasks = {t.question: t for t in view.tasks}
    suggested = {s.question: s.units for s in suggestions}
    for q in view.questions:
        task = tasks.get(q.number)
        if task is not None:
            answer = task.answer.kind.value if task.answer else ""
            table.add_row(
                str(q.number), q.text, task.unit, task.status, str(task.internal_due), answer
            )
        else:
            units = suggested.get(q.number) or []
            hint = f"suggested: {', '.join(units)}" if units else "no rule matches"
            table.add_row(str(q.number), q.text, hint, "unrouted", "", "")
    return table


def letter(reference: str, as_user: str = AS_USER_OPTIONAL) -> None:
    """The composed response letter (refusal notice where anything is withheld)."""
    draft = call(lambda ctx: get_letter(ctx, reference), as_user)
    typer.echo(draft.text)


def tasks(as_user: str = AS_USER, as_json: bool = JSON) -> None:
    """Open tasks of my units: the unit's deadline, the case's statutory deadline, days left."""
    rows = call(list_my_tasks, as_user)
    if as_json:
        typer.echo("[" + ",".join(r.model_dump_json() for r in rows) + "]")
        return
    table = Table(
        "reference",
        "Q",
        "unit",
        "status",
        "internal due",
        "statutory due",
        "working days left",
        title=f"{len(rows)} open task(s) for {as_user}",
    )
    for t in rows:
        table.add_row(
            t.reference,
            str(t.question),
            t.unit,
            f"{t.status} (case paused)" if t.case_status in PAUSED_STATUSES else t.status,
            str(t.internal_due),
            str(t.statutory_due or "paused"),
            _days(t.working_days_left),
        )
    console().print(table)


def sign_offs(as_user: str = AS_USER, as_json: bool = JSON) -> None:
    """Exemptions waiting for my role's sign-off (never ones I recommended)."""
    rows = call(list_my_sign_offs, as_user)
    if as_json:
        typer.echo("[" + ",".join(r.model_dump_json() for r in rows) + "]")
        return
    table = Table(
        "reference",
        "section",
        "questions",
        "role",
        "recommended by",
        "statutory due",
        "working days left",
        title=f"{len(rows)} sign-off(s) waiting for {as_user}",
    )
    for s in rows:
        table.add_row(
            s.reference,
            f"s{s.section}",
            ", ".join(f"Q{q}" for q in s.questions),
            s.required_role,
            ", ".join(s.recommended_by),
            str(s.statutory_due or "paused"),
            _days(s.working_days_left),
        )
    console().print(table)


def start(
    file: Path,
    received_at: datetime | None = typer.Option(None, "--received-at"),
) -> None:
    """Start a case from a YAML/JSON request file; prints its reference and due date."""
    try:
        document = read_request_file(file)
    except IntakeError as exc:
        fail(str(exc), USAGE)
    started = call(lambda ctx: start_case(ctx, document, received_at), rejected_code=USAGE)
    typer.echo(
        f"{started.reference}\tdue {started.due_date or 'paused'}"
        + (" (already open)" if started.existing else "")
    )


def register(app: typer.Typer) -> None:
    for command in (cases, case, letter, tasks, start):
        app.command(command.__name__)(command)
    app.command("sign-offs")(sign_offs)
    actions.register(app)
