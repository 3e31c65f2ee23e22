"""``foiflow review …``: a case after its response — the review window, the internal review and
the regulator stage — one API request each, as the logged-in user.

Input is checked here first (a usage error, exit 2); the workflow then refuses what the user or
the stage does not allow, with the reason (``error: field: reason``, exit 1).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import typer
from pydantic import BaseModel, ValidationError

from cli.api_client import case_path, logged_in
from cli.common import invalid
from domain.review import ReviewView
from services.reviews import (
    AppealIn,
    ComplaintIn,
    ComplianceIn,
    DecisionNoticeIn,
    ExtendReviewIn,
    InformationRequestIn,
    InformationSentIn,
    OpenReviewIn,
    ReviewerIn,
    ReviewOutcomeIn,
)
from services.reviews import CloseReviewIn as CloseIn

app = typer.Typer(help="A case after its response: review window, internal review, regulator.")
DAY_FORMAT = ["%Y-%m-%d"]


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


def _body(model: type[BaseModel], **fields: Any) -> dict[str, Any]:
    try:
        return model.model_validate(fields).model_dump(mode="json", exclude_none=True)
    except ValidationError as exc:
        invalid(exc)


def _show(view: ReviewView) -> None:
    typer.echo(f"{view.reference}: {view.stage.value.replace('_', ' ')}")
    if view.window_ends and view.requested_on is None:
        typer.echo(f"  review may be asked for until {view.window_ends}")
    if view.requested_on:
        typer.echo(
            f"  review asked for {view.requested_on}; due {view.due}"
            + (" (extended)" if view.extended else "")
            + (" OVERDUE" if view.overdue else "")
        )
    if view.reviewer:
        typer.echo(f"  reviewer: {view.reviewer}")
    if view.outcome:
        typer.echo(
            f"  outcome: {view.outcome.value.replace('_', ' ')} on {view.decided_on} "
            f"({'on time' if view.on_time else 'late'})"
        )
    stage = view.regulator
    if stage is not None:
        typer.echo(f"  complaint to {stage.regulator} received {stage.complaint_received_on}")
        if stage.decision_notice_on:
            typer.echo(f"  decision notice {stage.decision_notice_on}: appeal by {stage.appeal_by}")
    for deadline in view.deadlines:
        met = f"met {deadline.met_on}" if deadline.met_on else "open"
        typer.echo(f"  deadline: {deadline.what} {deadline.due} ({met})")


def _post(reference: str, step: str, body: dict[str, Any]) -> None:
    with logged_in() as (api, _):
        path = case_path(reference, "review", step) if step else case_path(reference, "review")
        view = api.post(ReviewView, path, body)
    _show(view)


@app.command("show")
def show(reference: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """The review window, review and regulator stage, with their deadlines."""
    with logged_in() as (api, _):
        view = api.get(ReviewView, case_path(reference, "review"))
    if as_json:
        typer.echo(view.model_dump_json(indent=2))
    else:
        _show(view)


@app.command("open")
def open_review(
    reference: str,
    received: datetime = typer.Option(..., "--received", formats=DAY_FORMAT),
    grounds: str = typer.Option("", "--grounds"),
) -> None:
    """Open a review from the requester's message (the date it was received)."""
    _post(reference, "", _body(OpenReviewIn, received_on=_day(received), grounds=grounds))


@app.command("assign")
def assign(reference: str, reviewer: str) -> None:
    """Assign the reviewer (never anyone who took part in the original)."""
    _post(reference, "reviewer", _body(ReviewerIn, reviewer=reviewer))


@app.command("extend")
def extend(reference: str, reason: str = typer.Option(..., "--reason")) -> None:
    """Extend a FOIA review to 40 working days (s45 Code para 5.5)."""
    _post(reference, "extension", _body(ExtendReviewIn, reason=reason))


@app.command("outcome")
def outcome(
    reference: str,
    decision: str = typer.Argument(..., help="upheld, partly_upheld or overturned"),
    reasons: str = typer.Option(..., "--reasons"),
    now_disclosed: str = typer.Option("", "--now-disclosed"),
) -> None:
    """The assigned reviewer's outcome."""
    body = _body(ReviewOutcomeIn, outcome=decision, reasons=reasons, now_disclosed=now_disclosed)
    _post(reference, "outcome", body)


@app.command("letter")
def letter(reference: str) -> None:
    """The review's outcome letter."""
    with logged_in() as (api, _):
        typer.echo(api.text(case_path(reference, "review", "letter")), nl=False)


@app.command("complaint")
def complaint(
    reference: str,
    received: datetime = typer.Option(..., "--received", formats=DAY_FORMAT),
    regulator_reference: str = typer.Option("", "--regulator-reference"),
) -> None:
    """A complaint to the regulator (ICO s50; Scottish Information Commissioner s47)."""
    body = _body(ComplaintIn, received_on=_day(received), regulator_reference=regulator_reference)
    _post(reference, "complaint", body)


@app.command("information-request")
def information_request(
    reference: str,
    received: datetime = typer.Option(..., "--received", formats=DAY_FORMAT),
    due: datetime = typer.Option(..., "--due", formats=DAY_FORMAT),
) -> None:
    """The regulator's request for information and the date it set."""
    body = _body(InformationRequestIn, received_on=_day(received), due=_day(due))
    _post(reference, "information-request", body)


@app.command("information-sent")
def information_sent(
    reference: str, sent: datetime = typer.Option(..., "--sent", formats=DAY_FORMAT)
) -> None:
    """The reply to the regulator, sent."""
    _post(reference, "information-sent", _body(InformationSentIn, sent_on=_day(sent)))


@app.command("decision-notice")
def decision_notice(
    reference: str,
    issued: datetime = typer.Option(..., "--issued", formats=DAY_FORMAT),
    decision: str = typer.Option(..., "--decision", help="not_upheld, partly_upheld, upheld"),
    steps: str = typer.Option("", "--steps"),
    compliance_due: datetime | None = typer.Option(None, "--comply-by", formats=DAY_FORMAT),
    notice_reference: str = typer.Option("", "--notice-reference"),
) -> None:
    """The decision notice, the steps it orders and their date (35 days unless given)."""
    body = _body(
        DecisionNoticeIn,
        issued_on=_day(issued),
        decision=decision,
        steps=steps,
        compliance_due=_day(compliance_due),
        notice_reference=notice_reference,
    )
    _post(reference, "decision-notice", body)


@app.command("comply")
def comply(
    reference: str, complied: datetime = typer.Option(..., "--on", formats=DAY_FORMAT)
) -> None:
    """The steps the decision notice ordered, taken."""
    _post(reference, "compliance", _body(ComplianceIn, complied_on=_day(complied)))


@app.command("appeal")
def appeal(
    reference: str, lodged: datetime = typer.Option(..., "--lodged", formats=DAY_FORMAT)
) -> None:
    """An appeal against the decision notice."""
    _post(reference, "appeal", _body(AppealIn, lodged_on=_day(lodged)))


@app.command("close")
def close(reference: str, reason: str = typer.Option(..., "--reason")) -> None:
    """Close a reviewed case for good."""
    _post(reference, "close", _body(CloseIn, reason=reason))
