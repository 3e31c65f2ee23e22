"""Case commands: list and show cases, my tasks and sign-offs, start a case, read its letter —
and (registered from ``cli.actions``) every human action on one.

Each command is a thin adapter over the foiflow API: options in, one request (as the logged-in
user, see ``foiflow login``), rich output. What the caller may see and do is the server's call.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer
from pydantic import ValidationError
from rich.table import Table

from cli import actions
from cli.api_client import case_path, logged_in
from cli.common import USAGE, console, fail, invalid
from domain.transitions import PAUSED_STATUSES
from services.errors import Rejected
from services.intake import IntakeError, read_request_file
from services.schemas import (
    CaseOut,
    CasePage,
    CaseQuery,
    MySignOff,
    MyTask,
    RequestDocument,
    RouteSuggestion,
    Started,
)

JSON = typer.Option(False, "--json", help="As JSON, for scripts.")


def _days(left: int | None) -> str:
    if left is None:
        return ""
    return f"{-left} late" if left < 0 else str(left)


def _pages(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


# ---- reading -------------------------------------------------------------------------------


def cases(
    status: str = typer.Option("", help="Only cases with this status, e.g. in_progress."),
    unit: str = typer.Option("", help="Only cases with a question owned by this unit."),
    regime: str = typer.Option("", help="Only cases under this regime (foia, eir, foisa)."),
    overdue: bool | None = typer.Option(
        None, "--overdue/--not-overdue", help="Only open cases past their due date (or not)."
    ),
    due_before: str = typer.Option("", "--due-before", help="Only cases due before YYYY-MM-DD."),
    page: int = typer.Option(1, help="Which page."),
    per_page: int = typer.Option(50, "--per-page", help="Cases per page (at most 200)."),
    as_json: bool = JSON,
) -> None:
    """The cases you may know, soonest due first, with status and due date; a page at a time."""
    try:
        query = CaseQuery.model_validate(
            {
                "status": status or None,
                "unit": unit or None,
                "regime": regime or None,
                "overdue": overdue,
                "due_before": due_before or None,
                "page": page,
                "per_page": per_page,
            }
        )
    except ValidationError as exc:
        # Checked here, so a typo is named by its option before anything is sent.
        problem = Rejected.from_validation(exc)
        fail(f"--{problem.field.replace('_', '-')}: {problem.reason}", USAGE)
    params = query.model_dump(mode="json", exclude_none=True)
    with logged_in() as (api, _):
        found = api.get(CasePage, "/api/cases", params=params)
    if as_json:
        typer.echo(found.model_dump_json(indent=2))
        return
    table = Table("reference", "status", "regime", "due", "overdue", "units")
    for row in found.items:
        table.add_row(
            row.reference,
            row.status or "",
            row.regime,
            str(row.due_date or "paused"),
            "yes" if row.overdue else "",
            ", ".join(row.units),
        )
    out = console()
    out.print(table)
    pages = _pages(found.total, found.per_page)
    out.print(f"page {found.page} of {pages} ({found.total} cases)", highlight=False)


def case(reference: str, as_json: bool = JSON) -> None:
    """One case as you may see it: clock with explanation, questions (with suggested units
    until routed) and owners, sign-offs, reminders, timeline, and what you may do now."""
    with logged_in() as (api, _):
        view = api.get(CaseOut, case_path(reference))
        routed = {t.question for t in view.tasks}
        suggestions: list[RouteSuggestion] = []
        if any(q.number not in routed for q in view.questions):
            suggestions = api.get(list[RouteSuggestion], case_path(reference, "suggestions"))
    if as_json:
        typer.echo(view.model_dump_json(indent=2))
        return
    out = console()
    clock = view.clock
    out.print(f"[bold]{view.reference}[/bold]  {view.regime.upper()}  status: {view.status}")
    if view.requester is not None:
        contact = f" <{view.requester.email}>" if view.requester.email else ""
        out.print(f"requester: {view.requester.name}{contact}", highlight=False)
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
    labels = ", ".join(a.label for a in view.actions) or "nothing now"
    out.print(f"You may: {labels}", highlight=False)
    out.print("[bold]timeline[/bold]")
    for e in view.timeline:
        out.print(f"  {e.at:%Y-%m-%d %H:%M} {e.actor}: {e.text}", highlight=False)


def _questions(view: CaseOut, suggestions: list[RouteSuggestion]) -> Table:
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


def letter(reference: str) -> None:
    """The composed response letter (refusal notice where anything is withheld)."""
    with logged_in() as (api, _):
        text = api.text(case_path(reference, "letter"))
    typer.echo(text)


def tasks(as_json: bool = JSON) -> None:
    """Open tasks of my units: the unit's deadline, the case's statutory deadline, days left."""
    with logged_in() as (api, login):
        rows = api.get(list[MyTask], "/api/tasks")
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
        title=f"{len(rows)} open task(s) for {login.username}",
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


def sign_offs(as_json: bool = JSON) -> None:
    """Exemptions waiting for my role's sign-off (never ones I recommended)."""
    with logged_in() as (api, login):
        rows = api.get(list[MySignOff], "/api/sign-offs")
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
        title=f"{len(rows)} sign-off(s) waiting for {login.username}",
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
    received_at: datetime | None = typer.Option(
        None, "--received-at", help="When the request arrived, with a time zone (default now)."
    ),
) -> None:
    """Start a case from a YAML/JSON request file; prints its reference and due date."""
    if received_at is not None and received_at.tzinfo is None:
        fail("--received-at: give a time zone, e.g. 2026-11-24T10:00:00+00:00", USAGE)
    try:
        document = read_request_file(file)
    except IntakeError as exc:
        fail(str(exc), USAGE)
    if received_at is not None:
        document["received_at"] = received_at
    try:
        checked = RequestDocument.model_validate(document)
    except ValidationError as exc:
        invalid(exc)
    with logged_in() as (api, _):
        started = api.post(
            Started, "/api/cases", checked.model_dump(mode="json", exclude_none=True)
        )
    typer.echo(
        f"{started.reference}\tdue {started.due_date or 'paused'}"
        + (" (already open)" if started.existing else "")
    )


def register(app: typer.Typer) -> None:
    for command in (cases, case, letter, tasks, start):
        app.command(command.__name__)(command)
    app.command("sign-offs")(sign_offs)
    actions.register(app)
