"""``foiflow deadline``: the due date for each receipt date, by the latest stored calendar.

The output is a contract other tools rely on: one ``DATE<TAB>DUE`` line per DATE, in input order.
A bad DATE gets a one-line reason on stderr and a non-zero exit, and the other dates still print.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import typer

from cli.common import UNAVAILABLE
from cli.common import fail as _fail  # the one way every command fails
from services.db import StoreUnavailable, calendar_store, store_errors
from settings import get_settings
from statute import (
    REGIMES,
    CalendarData,
    CalendarError,
    CalendarRangeError,
    ClockError,
    ClockEvent,
    ClockEventKind,
    ClockOptions,
    ClockState,
    UnknownRegimeError,
    WorkingDayCalendar,
    calendar_for,
    compute_clock,
    get_regime,
)
from statute.clock import LONDON
from statute.regimes import Regime

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# A receipt DATE has no time of day; noon London time is unambiguous on every day of the year,
# including the days the clocks change.
RECEIPT_TIME = time(12, 0)


class BadDate(ValueError):
    """A DATE argument that cannot be used; the message names it."""


def deadline(
    dates: list[str] = typer.Argument(
        ..., metavar="DATE...", help="Receipt dates (YYYY-MM-DD, local to Europe/London)."
    ),
    regime: str = typer.Option(
        "foia",
        "--regime",
        metavar="REGIME",
        help=f"One of {', '.join(REGIMES)} (foia, eir and foisa are the request regimes).",
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print the full result (calendar version, explanation) as JSON."
    ),
    explain: bool = typer.Option(
        False, "--explain", help="Explain the computation for a single DATE in words."
    ),
    roll_non_working_receipt: bool = typer.Option(
        False,
        "--roll-non-working-receipt",
        help="Local policy, not the statute: count a weekend or holiday receipt as received on "
        "the next working day.",
    ),
) -> None:
    """Print DATE<TAB>DUE for each receipt date."""
    try:
        chosen = get_regime(regime)
    except UnknownRegimeError as exc:
        _fail(str(exc), code=2)
    if explain and (as_json or len(dates) != 1):
        _fail("--explain: give exactly one DATE (and not --json)", code=2)
    settings = get_settings()
    try:
        with store_errors(settings):
            data = calendar_store(settings).latest()
    except CalendarError as exc:
        _fail(f"calendar: {exc}", code=1)
    except StoreUnavailable as exc:
        _fail(str(exc), code=UNAVAILABLE)
    calendar = calendar_for(chosen, data)
    options = ClockOptions(roll_non_working_receipt=roll_non_working_receipt)

    failed = False
    results: list[dict[str, Any]] = []
    for text in dates:
        try:
            state = due_for(chosen, calendar, parse_receipt_date(text), options)
        except BadDate as exc:
            failed = True
            typer.echo(f"error: {exc}", err=True)
            results.append({"date": text, "error": str(exc)})
            continue
        if explain:
            typer.echo("\n".join(state.explain()))
        elif as_json:
            results.append({"date": text, "due": _iso(state.due_date), **state.to_json()})
        else:
            typer.echo(f"{text}\t{_iso(state.due_date)}")
    if as_json:
        typer.echo(json.dumps(results, indent=2))
    if failed:
        raise typer.Exit(code=1)


def parse_receipt_date(text: str) -> date:
    if not ISO_DATE.fullmatch(text):
        raise BadDate(f"date {text!r}: expected an ISO date, YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise BadDate(f"date {text!r}: not a real date ({exc})") from None


def due_for(
    regime: Regime, calendar: WorkingDayCalendar, received: date, options: ClockOptions
) -> ClockState:
    """The clock for a request received at noon on ``received`` with nothing else happening.

    It is evaluated as of the moment of receipt: the question is hypothetical, so "now" must not
    make a future receipt invalid; elapsed and remaining days are therefore as on that day.
    """
    data: CalendarData = calendar.data
    if not data.covers(received):
        raise BadDate(
            f"date {received}: outside the calendar's coverage, {data.coverage_start} to "
            f"{data.coverage_end} (calendar {data.label}); refresh the calendar"
        )
    at = datetime.combine(received, RECEIPT_TIME, tzinfo=ZoneInfo(LONDON))
    try:
        return compute_clock(
            regime, [ClockEvent(ClockEventKind.RECEIVED, at)], calendar, at, options
        )
    except CalendarRangeError:
        raise BadDate(
            f"date {received}: the due date falls after {data.coverage_end}, the end of the "
            f"calendar's coverage (calendar {data.label}); refresh the calendar"
        ) from None
    except ClockError as exc:
        raise BadDate(f"date {received}: {exc}") from None


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""
