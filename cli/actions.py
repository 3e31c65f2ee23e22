"""Every human action on a case, from the terminal: one API request each, as the logged-in user.

Input is checked here first (a usage error, exit 2, before anything is sent); the workflow then
checks the user's roles and units and refuses what they may not do, with the reason — nothing
is recorded then.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer
from pydantic import ValidationError

from cli.api_client import case_path, logged_in
from cli.common import REFUSED, USAGE, fail, invalid
from domain.case import Answer, AnswerKind
from domain.messages import Route
from services.actions import read_answer_file
from services.errors import ServiceError
from services.files import read_text_file
from services.schemas import (
    ApproveIn,
    CaseOut,
    ClockEventIn,
    CostIn,
    ReassignIn,
    RoutesIn,
    RouteSuggestion,
    SignOffIn,
    WithdrawIn,
)
from statute.clock import ClockEventKind


def route(
    reference: str,
    routes: list[str] = typer.Argument(None, help="QUESTION=UNIT pairs, e.g. 1=vawg 4=hate-crime."),
    accept_suggestions: bool = typer.Option(
        False, "--accept-suggestions", help="Route every unrouted question as the rules suggest."
    ),
) -> None:
    """Route questions to their owning units (the officer confirms the rules' suggestions)."""
    pairs: list[Route] = []
    for item in routes or []:
        digits, _, unit = item.partition("=")
        if not digits.isdigit() or not unit:
            fail(f"routes: {item!r} is not QUESTION=UNIT", USAGE)
        try:
            pairs.append(Route(question=int(digits), unit=unit))
        except ValidationError as exc:
            invalid(exc, "routes")
    with logged_in() as (api, _):
        if not pairs and not accept_suggestions:
            suggestions = api.get(list[RouteSuggestion], case_path(reference, "suggestions"))
            for s in suggestions:
                typer.echo(f"Q{s.question}: suggested {', '.join(s.units) or '(no rule matches)'}")
            fail("routes: give QUESTION=UNIT pairs or --accept-suggestions", USAGE)
        before = {t.question for t in api.get(CaseOut, case_path(reference)).tasks}
        wanted = RoutesIn(routes=pairs, accept_suggestions=accept_suggestions)
        view = api.post(CaseOut, case_path(reference, "routes"), wanted.model_dump(mode="json"))
    count = len({t.question for t in view.tasks} - before)
    typer.echo(f"{reference}: {count} question(s) routed; status {view.status}")


def reassign(
    reference: str,
    question: int,
    unit: str,
    reason: str = typer.Option(..., "--reason"),
) -> None:
    """Move a question to another unit; the history keeps where it was."""
    try:
        move = ReassignIn(unit=unit, reason=reason)
    except ValidationError as exc:
        invalid(exc)
    with logged_in() as (api, _):
        api.post(
            CaseOut, case_path(reference, "questions", question, "reassign"), move.model_dump()
        )
    typer.echo(f"{reference}: Q{question} now with {unit}")


def _answer_file(file: Path) -> Answer:
    # Unreadable, binary or oversized files, unknown fields and texts over the limits: one line,
    # found before anything is sent.
    try:
        return read_answer_file(file)
    except ServiceError as exc:
        fail(str(exc), USAGE if exc.field.startswith("--") else REFUSED)


def answer(
    reference: str,
    question: int,
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
        the_answer = _answer_file(file)
    elif kind is None:
        fail("--kind: give the kind of answer, or --file for one with exemption claims", USAGE)
    else:
        try:
            the_answer = Answer(
                kind=kind,
                information=information,
                searches=searches,
                hours=hours,
                transfer_to=transfer_to or None,
            )
        except ValidationError as exc:
            invalid(exc, "answer")
    with logged_in() as (api, _):
        view = api.post(
            CaseOut,
            case_path(reference, "questions", question, "answer"),
            the_answer.model_dump(mode="json"),
        )
    typer.echo(f"{reference}: Q{question} answered ({the_answer.kind}); status {view.status}")


def sign_off(
    reference: str,
    section: str,
    reject: bool = typer.Option(False, "--reject"),
    reason: str = typer.Option("", "--reason"),
) -> None:
    """Approve (or --reject with a reason) an exemption claimed on the case."""
    decision = SignOffIn(approve=not reject, reason=reason)
    with logged_in() as (api, _):
        view = api.post(CaseOut, case_path(reference, "sign-offs", section), decision.model_dump())
    typer.echo(
        f"{reference}: s{section.lstrip('sS')} {'rejected' if reject else 'approved'}; "
        f"status {view.status}"
    )


def clock(
    reference: str,
    kind: ClockEventKind,
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
        fail("--at: give a time zone, e.g. 2026-11-24T10:00:00+00:00", USAGE)
    try:
        event = ClockEventIn.model_validate(
            {
                "kind": kind,
                "extension": extension or None,
                "working_days": working_days,
                "until": until.date() if until else None,
                "at": at,
                "note": note,
            }
        )
    except ValidationError as exc:
        invalid(exc)
    with logged_in() as (api, _):
        view = api.post(
            CaseOut,
            case_path(reference, "clock-events"),
            event.model_dump(mode="json", exclude_none=True),
        )
    typer.echo(f"{reference}: {kind.value} recorded; due {view.clock.due_date or 'paused'}")


def cost(
    reference: str,
    refuse: bool = typer.Option(..., "--refuse/--continue"),
    advice: str = typer.Option("", help="s16 advice on narrowing the request."),
) -> None:
    """Decide a case over the s12 cost limit: refuse with advice, or continue."""
    decision = CostIn(refuse=refuse, advice=advice)
    with logged_in() as (api, _):
        view = api.post(CaseOut, case_path(reference, "cost-decision"), decision.model_dump())
    typer.echo(f"{reference}: status {view.status}")


def approve(
    reference: str,
    text_file: Path | None = typer.Option(None, "--text-file", help="The edited letter."),
) -> None:
    """Approve the composed response (optionally with your edited text)."""
    try:
        text = read_text_file(text_file, "--text-file") if text_file else None
    except ServiceError as exc:
        fail(str(exc), USAGE)
    with logged_in() as (api, _):
        api.post(CaseOut, case_path(reference, "approve"), ApproveIn(text=text).model_dump())
    typer.echo(f"{reference}: response approved")


def issue(reference: str) -> None:
    """Record the approved response as sent today."""
    with logged_in() as (api, _):
        view = api.post(CaseOut, case_path(reference, "issue"))
    timing = "on time" if view.on_time_with_extensions else "LATE"
    typer.echo(f"{reference}: issued {timing} (due {view.clock.due_date}); outcome {view.outcome}")


def withdraw(reference: str, reason: str = typer.Option(..., "--reason")) -> None:
    """Close a case the requester withdrew."""
    withdrawal = WithdrawIn(reason=reason)
    with logged_in() as (api, _):
        api.post(CaseOut, case_path(reference, "withdraw"), withdrawal.model_dump())
    typer.echo(f"{reference}: withdrawn")


def register(app: typer.Typer) -> None:
    for command in (route, reassign, answer, clock, cost, approve, issue, withdraw):
        app.command(command.__name__)(command)
    app.command("sign-off")(sign_off)
