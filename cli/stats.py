"""``foiflow stats``: the statistics managers owe, from the API as the logged-in user (managers
and FOI officers): a table of the quarters, or CSV (``--csv``) or JSON for a spreadsheet."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import typer
from pydantic import ValidationError
from rich.table import Table

from cli.api_client import logged_in
from cli.common import USAGE, console, fail
from services.errors import Rejected
from services.statistics import (
    OUTCOME_COLUMNS,
    PeriodFigures,
    Statistics,
    StatisticsQuery,
    statistics_csv,
)


def stats(
    received_from: str = typer.Option(
        ..., "--from", metavar="DATE", help="Requests received on or after (YYYY-MM-DD)."
    ),
    received_to: str = typer.Option(
        ..., "--to", metavar="DATE", help="Requests received on or before (YYYY-MM-DD)."
    ),
    regime: str = typer.Option("", help="Only this regime's requests (foia, eir, foisa)."),
    as_csv: bool = typer.Option(False, "--csv", help="As CSV: a row per quarter and a total."),
    as_json: bool = typer.Option(False, "--json", help="As JSON, for scripts."),
) -> None:
    """Requests received and resolved by quarter: timeliness, outcomes, exemptions used."""
    if as_csv and as_json:
        fail("--csv: give --csv or --json, not both", USAGE)
    try:
        query = StatisticsQuery.model_validate(
            {
                "from": _day(received_from, "from"),
                "to": _day(received_to, "to"),
                "regime": regime or None,
            }
        )
    except ValidationError as exc:
        problem = Rejected.from_validation(exc)
        fail(f"--{problem.field.replace('_', '-')}: {problem.reason}", USAGE)
    params = {"from": query.received_from.isoformat(), "to": query.received_to.isoformat()}
    if query.regime:
        params["regime"] = query.regime
    with logged_in() as (api, _):
        found = api.get(Statistics, "/api/statistics", params=params)
    if as_json:
        typer.echo(found.model_dump_json(indent=2))
    elif as_csv:
        typer.echo(statistics_csv(found), nl=False)
    else:
        _table(found)


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"--{option}: {text!r} is not a date in the form YYYY-MM-DD", USAGE)


def _table(found: Statistics) -> None:
    periods: list[PeriodFigures] = [*found.quarters, found.total]
    table = Table("measure", *(p.period for p in periods))

    def row(label: str, values: Sequence[int | str]) -> None:
        table.add_row(label, *(str(v) for v in values))

    row("received", [p.received for p in periods])
    row("resolved", [p.resolved for p in periods])
    row("still being processed", [p.in_progress for p in periods])
    row("in time", [p.timeliness.in_time for p in periods])
    row(
        "in time with a permitted extension", [p.timeliness.in_time_with_extension for p in periods]
    )
    row("late", [p.timeliness.late for p in periods])
    for column in OUTCOME_COLUMNS:
        row(column.replace("_", " "), [getattr(p.outcomes, column) for p in periods])
    citations = {(u.regime, u.citation) for p in periods for u in p.exemptions}
    for regime, citation in sorted(citations):
        counts = [
            next(
                (u.requests for u in p.exemptions if (u.regime, u.citation) == (regime, citation)),
                0,
            )
            for p in periods
        ]
        row(f"{regime.upper()} {citation}", counts)
    row("internal reviews", [p.internal_reviews.requested for p in periods])
    row("  upheld", [p.internal_reviews.upheld for p in periods])
    row("  partly upheld", [p.internal_reviews.partly_upheld for p in periods])
    row("  overturned", [p.internal_reviews.overturned for p in periods])
    row("complaints to the regulator", [p.complaints.complaints for p in periods])
    row("  decision notices", [p.complaints.decision_notices for p in periods])
    out = console()
    out.print(
        f"Requests received {found.received_from} to {found.received_to}"
        + (f" ({found.regime.upper()})" if found.regime else ""),
        highlight=False,
    )
    out.print(table)
