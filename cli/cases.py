"""Case commands: list and show cases, and every human action on one, from the terminal.

Each action names its user with ``--as USER`` (an id from ``foiflow store users list``); the
workflow checks that user's roles and units and rejects what they may not do, with the reason.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import typer
import yaml
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.table import Table
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from domain.case import Actor, Answer, AnswerKind, CaseView
from domain.messages import (
    AnswerTask,
    ApproveResponse,
    CloseCase,
    CostDecision,
    IssueResponse,
    ReassignTask,
    RecordClockEvent,
    Route,
    RouteQuestions,
    SignOffDecision,
)
from services.temporal import connect
from settings import get_settings
from statute.clock import ClockEventKind
from statute.exemptions import Role
from store import refdata
from store.db import get_engine, migrate, session_scope
from workflows.request import FoiRequestWorkflow
from workflows.search_attributes import FOI_DUE_DATE, FOI_OVERDUE, FOI_STATUS, FOI_UNITS

console = Console()
T = TypeVar("T")
AS_USER = typer.Option(..., "--as", help="Who acts: a user id from `foiflow store users list`.")
OFFICE_ROLES = {Role.FOI_OFFICER, Role.MANAGER}


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=code)


def run(action: Callable[[Client], Awaitable[T]]) -> T:
    """Connect to Temporal and run ``action``; turn Temporal's answers into one-line errors."""
    settings = get_settings()

    async def go() -> T:
        try:
            client = await connect(settings)
        except RuntimeError as exc:
            fail(f"cannot reach Temporal at {settings.temporal_address} ({exc}); is `make run` up?")
        return await action(client)

    try:
        return asyncio.run(go())
    except WorkflowUpdateFailedError as exc:
        fail(str(exc.cause.message if hasattr(exc.cause, "message") else exc.cause))
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            if "already completed" in exc.message:
                fail("reference: the case is closed; closed cases cannot change")
            fail("reference: no such case")
        fail(exc.message)


def actor(user_id: str) -> Actor:
    settings = get_settings()
    migrate(settings.database_url)
    with session_scope(get_engine(settings.database_url)) as session:
        users = {u.id: u for u in refdata.list_users(session)}
    user = users.get(user_id)
    if user is None:
        fail(f"--as: {user_id!r} is not in the directory (see `foiflow store users list`)")
    return Actor(user_id=user.id, name=user.name, roles=list(user.roles), units=list(user.units))


def update(reference: str, method: Any, arg: BaseModel) -> CaseView:
    async def act(client: Client) -> CaseView:
        view: CaseView = await client.get_workflow_handle(reference).execute_update(method, arg)
        return view

    return run(act)


def query(reference: str) -> CaseView:
    async def ask(client: Client) -> CaseView:
        view: CaseView = await client.get_workflow_handle(reference).query(FoiRequestWorkflow.state)
        return view

    return run(ask)


# ---- reading -------------------------------------------------------------------------------


def cases(
    status: str = typer.Option("", help="Only cases with this status, e.g. in_progress."),
    overdue: bool = typer.Option(False, "--overdue", help="Only overdue cases."),
    unit: str = typer.Option("", help="Only cases with a question owned by this unit."),
) -> None:
    """Every case with its status and due date (from Temporal visibility)."""
    clauses = ["WorkflowType='FoiRequestWorkflow'"]
    if status:
        clauses.append(f"{FOI_STATUS.name}='{status}'")
    if overdue:
        clauses.append(f"{FOI_OVERDUE.name}=true")
    if unit:
        clauses.append(f"{FOI_UNITS.name}='{unit}'")

    async def listing(client: Client) -> list[list[str]]:
        rows = []
        async for wf in client.list_workflows(" AND ".join(clauses)):
            attrs = wf.typed_search_attributes
            due = attrs.get(FOI_DUE_DATE)
            rows.append(
                [
                    wf.id,
                    attrs.get(FOI_STATUS) or "",
                    due.date().isoformat() if due else "paused",
                    "yes" if attrs.get(FOI_OVERDUE) else "",
                    ", ".join(attrs.get(FOI_UNITS) or []),
                ]
            )
        return rows

    rows = run(listing)
    table = Table("reference", "status", "due", "overdue", "units", title=f"{len(rows)} case(s)")
    for row in sorted(rows, key=lambda r: r[2]):
        table.add_row(*row)
    console.print(table)


def case(
    reference: str,
    as_user: str = typer.Option("", "--as", help="Show the case as this user would see it."),
    as_json: bool = typer.Option(False, "--json", help="The full state as JSON."),
) -> None:
    """One case: clock with explanation, questions and owners, sign-offs, reminders, timeline."""
    view = query(reference)
    who = actor(as_user) if as_user else None
    if who is None or not OFFICE_ROLES & set(who.roles):
        view = view.for_unit()  # units never see who asked
    if as_json:
        typer.echo(view.model_dump_json(indent=2))
        return
    clock = view.clock
    console.print(f"[bold]{view.reference}[/bold]  {view.regime.upper()}  status: {view.status}")
    due = clock.due_date or "paused"
    console.print(
        f"received {clock.received_on}; due {due}; {clock.working_days_elapsed} working days "
        f"elapsed, {clock.working_days_remaining} remaining"
        + ("; [red]OVERDUE[/red]" if clock.overdue else "")
    )
    for line in clock.explanation:
        console.print(f"  {line}", highlight=False)
    tasks = Table("Q", "unit", "status", "due", "answer", title="questions")
    for t in view.tasks:
        answer = t.answer.kind.value if t.answer else ""
        tasks.add_row(str(t.question), t.unit, t.status, str(t.internal_due), answer)
    console.print(tasks)
    for s in view.sign_offs:
        console.print(f"sign-off s{s.section} ({s.required_role}): {s.status} {s.decided_by or ''}")
    for r in view.reminders:
        console.print(f"reminder {r.on} {r.kind} → {r.audience}")
    console.print("[bold]timeline[/bold]")
    for e in view.timeline:
        console.print(f"  {e.at:%Y-%m-%d %H:%M} {e.actor}: {e.text}", highlight=False)


def letter(reference: str) -> None:
    """The composed response letter (refusal notice where anything is withheld)."""
    view = query(reference)
    if view.response is None:
        fail(f"reference: {reference} has no composed response yet (status {view.status})")
    typer.echo(view.response.text)


# ---- acting --------------------------------------------------------------------------------


def route(
    reference: str,
    routes: list[str] = typer.Argument(None, help="QUESTION=UNIT pairs, e.g. 1=vawg 4=hate-crime."),
    as_user: str = AS_USER,
    accept_suggestions: bool = typer.Option(
        False, "--accept-suggestions", help="Route every unrouted question as the rules suggest."
    ),
) -> None:
    """Route questions to their owning units (the officer confirms the rules' suggestions)."""
    who = actor(as_user)
    pairs: list[Route] = []
    for item in routes or []:
        digits, _, unit = item.partition("=")
        if not digits.isdigit() or not unit:
            fail(f"routes: {item!r} is not QUESTION=UNIT")
        pairs.append(Route(question=int(digits), unit=unit))
    view = query(reference)
    settings = get_settings()
    with session_scope(get_engine(settings.database_url)) as session:
        known = {u.id for u in refdata.list_units(session)}
        suggestions = {
            q.number: refdata.route(session, q.text)
            for q in view.questions
            if q.number not in {t.question for t in view.tasks}
        }
    for pair in pairs:
        if pair.unit not in known:
            fail(f"routes: unit {pair.unit!r} is not in the directory")
    if accept_suggestions:
        chosen = {p.question for p in pairs}
        for number, units in suggestions.items():
            if number not in chosen:
                if not units:
                    fail(f"routes: no rule suggests a unit for Q{number}; give {number}=UNIT")
                pairs.append(Route(question=number, unit=units[0]))
    if not pairs:
        for number, units in suggestions.items():
            typer.echo(f"Q{number}: suggested {', '.join(units) or '(no rule matches)'}")
        fail("routes: give QUESTION=UNIT pairs or --accept-suggestions", code=2)
    view = update(
        reference, FoiRequestWorkflow.route_questions, RouteQuestions(actor=who, routes=pairs)
    )
    typer.echo(f"{reference}: {len(pairs)} question(s) routed; status {view.status}")


def reassign(
    reference: str,
    question: int,
    unit: str,
    reason: str = typer.Option(..., "--reason"),
    as_user: str = AS_USER,
) -> None:
    """Move a question to another unit; the history keeps where it was."""
    arg = ReassignTask(actor=actor(as_user), question=question, unit=unit, reason=reason)
    update(reference, FoiRequestWorkflow.reassign_task, arg)
    typer.echo(f"{reference}: Q{question} now with {unit}")


def answer(
    reference: str,
    question: int,
    as_user: str = AS_USER,
    kind: AnswerKind | None = typer.Option(None, "--kind", help="Simple answers without claims."),
    information: str = typer.Option("", help="What is disclosed."),
    searches: str = typer.Option("", help="Where and how it was searched for (not held)."),
    hours: float | None = typer.Option(None, help="Estimated hours (cost)."),
    transfer_to: str = typer.Option("", "--transfer-to"),
    file: Path | None = typer.Option(
        None, "--file", help="The answer as YAML/JSON, for exemption claims."
    ),
) -> None:
    """Answer a task for your unit (revisable until sign-off starts)."""
    if file is not None:
        try:
            parsed = yaml.safe_load(file.read_text("utf-8"))
            the_answer = Answer.model_validate(parsed)
        except (OSError, yaml.YAMLError) as exc:
            fail(f"--file: {exc}")
        except ValidationError as exc:
            first = exc.errors()[0]
            fail(f"answer.{'.'.join(str(p) for p in first['loc'])}: {first['msg']}")
    elif kind is None:
        fail("--kind: give the kind of answer, or --file for one with exemption claims", code=2)
    else:
        the_answer = Answer(
            kind=kind,
            information=information,
            searches=searches,
            hours=hours,
            transfer_to=transfer_to or None,
        )
    arg = AnswerTask(actor=actor(as_user), question=question, answer=the_answer)
    view = update(reference, FoiRequestWorkflow.answer_task, arg)
    typer.echo(f"{reference}: Q{question} answered ({the_answer.kind}); status {view.status}")


def sign_off(
    reference: str,
    section: str,
    as_user: str = AS_USER,
    reject: bool = typer.Option(False, "--reject"),
    reason: str = typer.Option("", "--reason"),
) -> None:
    """Approve (or --reject with a reason) an exemption claimed on the case."""
    arg = SignOffDecision(actor=actor(as_user), section=section, approve=not reject, reason=reason)
    view = update(reference, FoiRequestWorkflow.decide_sign_off, arg)
    typer.echo(
        f"{reference}: s{section.lstrip('s')} {'rejected' if reject else 'approved'}; "
        f"status {view.status}"
    )


def clock(
    reference: str,
    kind: ClockEventKind,
    as_user: str = AS_USER,
    extension: str = typer.Option("", help="public_interest, reg7, …"),
    working_days: int | None = typer.Option(None, "--working-days"),
    until: datetime | None = typer.Option(
        None, "--until", help="The estimated date given in the s17(2) holding notice."
    ),
    at: datetime | None = typer.Option(None, help="When it happened (default now)."),
    note: str = typer.Option(""),
) -> None:
    """Record a clock event: clarification, fees notice/fee, extension."""
    if at is not None and at.tzinfo is None:
        fail("--at: give a time zone, e.g. 2026-11-24T10:00:00+00:00")
    arg = RecordClockEvent.model_validate(
        {
            "actor": actor(as_user),
            "kind": kind,
            "extension": extension or None,
            "working_days": working_days,
            "until": until.date() if until else None,
            "at": at,
            "note": note,
        }
    )
    view = update(reference, FoiRequestWorkflow.record_clock_event, arg)
    typer.echo(f"{reference}: {kind.value} recorded; due {view.clock.due_date or 'paused'}")


def cost(
    reference: str,
    as_user: str = AS_USER,
    refuse: bool = typer.Option(..., "--refuse/--continue"),
    advice: str = typer.Option("", help="s16 advice on narrowing the request."),
) -> None:
    """Decide a case over the s12 cost limit: refuse with advice, or continue."""
    arg = CostDecision(actor=actor(as_user), refuse=refuse, advice=advice)
    view = update(reference, FoiRequestWorkflow.decide_cost, arg)
    typer.echo(f"{reference}: status {view.status}")


def approve(
    reference: str,
    as_user: str = AS_USER,
    text_file: Path | None = typer.Option(None, "--text-file", help="The edited letter."),
) -> None:
    """Approve the composed response (optionally with your edited text)."""
    text = text_file.read_text("utf-8") if text_file else None
    update(
        reference,
        FoiRequestWorkflow.approve_response,
        ApproveResponse(actor=actor(as_user), text=text),
    )
    typer.echo(f"{reference}: response approved")


def issue(reference: str, as_user: str = AS_USER) -> None:
    """Record the approved response as sent today."""
    view = update(reference, FoiRequestWorkflow.issue_response, IssueResponse(actor=actor(as_user)))
    timing = "on time" if view.on_time_with_extensions else "LATE"
    typer.echo(f"{reference}: issued {timing} (due {view.clock.due_date}); outcome {view.outcome}")


def withdraw(
    reference: str, as_user: str = AS_USER, reason: str = typer.Option(..., "--reason")
) -> None:
    """Close a case the requester withdrew."""
    update(reference, FoiRequestWorkflow.close_case, CloseCase(actor=actor(as_user), reason=reason))
    typer.echo(f"{reference}: withdrawn")


def start(
    file: Path,
    received_at: datetime | None = typer.Option(None, "--received-at"),
) -> None:
    """Start a case from a YAML/JSON request file; prints its reference and due date."""
    from starter import CaseExistsError, IntakeError, read_request_file, start_request

    try:
        data = read_request_file(file)
        started = run(lambda client: start_request(client, get_settings(), data, received_at))
    except (IntakeError, CaseExistsError) as exc:
        fail(str(exc), code=2)
    typer.echo(
        f"{started.reference}\tdue {started.due_date}"
        + (" (already open)" if started.existing else "")
    )


def register(app: typer.Typer) -> None:
    for command in (
        cases,
        case,
        letter,
        start,
        route,
        reassign,
        answer,
        clock,
        cost,
        approve,
        issue,
        withdraw,
    ):
        app.command(command.__name__)(command)
    app.command("sign-off")(sign_off)
