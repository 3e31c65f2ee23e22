"""``foiflow calendar …``: show the stored calendar versions, refresh from GOV.UK, add a holiday.

Each change that alters the content becomes a new version; nothing is ever rewritten, so a deadline
computed by calendar v3 can always be explained by v3. (Moving running cases onto a new version is
the workflows' business; these commands only record versions.)
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import typer

from cli.common import UNAVAILABLE
from cli.common import fail as _fail  # the one way every command fails
from services.db import StoreUnavailable, calendar_store, store_errors
from settings import get_settings
from statute.calendar import (
    DIVISION_NAMES,
    DIVISIONS,
    CalendarData,
    CalendarError,
    divisions_in_words,
    long_date,
)
from store.calendars import CalendarRepository
from store.govuk_feed import FeedError, fetch_bank_holidays

ALL_DIVISIONS = "all"

app = typer.Typer(
    help="Bank-holiday calendars: show, refresh from GOV.UK, add proclaimed holidays.",
    no_args_is_help=True,
)


@contextmanager
def _store() -> Iterator[CalendarRepository]:
    """The stored versions; a store that cannot be used (or written) is one line, exit 3."""
    settings = get_settings()
    try:
        repository = calendar_store(settings)
        with store_errors(settings):
            yield repository
    except StoreUnavailable as exc:
        _fail(str(exc), UNAVAILABLE)


@app.command("show")
def show(
    all_versions: bool = typer.Option(False, "--all", help="List every stored version."),
) -> None:
    """The calendar deadlines are computed with: version, fingerprint, coverage."""
    with _store() as repo:
        try:
            if all_versions:
                versions = repo.versions()
                for data in versions:
                    marker = "*" if data is versions[-1] else " "
                    typer.echo(
                        f"{marker} v{data.version}\t{data.fingerprint}\t{data.coverage_start} "
                        f"to {data.coverage_end}\t{len(data.holidays)} holidays\t{data.source}"
                    )
                return
            data = repo.latest()
        except CalendarError as exc:
            _fail(str(exc))
    for line in describe(data):
        typer.echo(line)


def describe(data: CalendarData) -> list[str]:
    per_division = Counter(h.division for h in data.holidays)
    counts = ", ".join(f"{DIVISION_NAMES[d]} {per_division[d]}" for d in DIVISIONS)
    lines = [
        f"calendar v{data.version} (fingerprint {data.fingerprint})",
        f"coverage: {data.coverage_start} to {data.coverage_end}",
        f"bank holidays: {counts}",
        f"source: {data.source}",
    ]
    proclaimed: dict[tuple[date, str], list[str]] = {}
    for h in data.holidays:
        if h.proclaimed:
            proclaimed.setdefault((h.date, h.title), []).append(h.division)
    for (day, title), divisions in sorted(proclaimed.items()):
        lines.append(f"added by hand: {long_date(day)} ({divisions_in_words(divisions)}: {title})")
    return lines


@app.command("refresh")
def refresh(
    url: str | None = typer.Option(
        None, "--url", help="Feed to fetch (default: settings' calendar feed, GOV.UK's)."
    ),
) -> None:
    """Fetch the GOV.UK bank-holidays feed; store a new version if anything changed."""
    feed_url = url or get_settings().calendar_feed_url
    with _store() as repo:
        try:
            latest = repo.latest()
            feed = fetch_bank_holidays(feed_url)
            # Merge rather than replace: hand-proclaimed holidays and years GOV.UK no longer
            # lists stay.
            merged = latest.refreshed(feed)
            changes = merged.diff(latest)
            if not changes:
                typer.echo(f"calendar v{latest.version} ({latest.fingerprint}) is up to date")
                return
            saved = repo.save_new(merged)
        except (FeedError, CalendarError) as exc:
            _fail(str(exc))
    typer.echo(f"calendar v{saved.version} ({saved.fingerprint}) saved from {feed_url}:")
    for line in changes:
        typer.echo(f"  {line}")
    tell_running_cases(saved)


@app.command("add")
def add(
    day: str = typer.Argument(..., metavar="DATE", help="The proclaimed holiday, YYYY-MM-DD."),
    division: str = typer.Option(
        ...,
        "--division",
        metavar="DIVISION",
        help=f"One of {', '.join(DIVISIONS)}, or {ALL_DIVISIONS}.",
    ),
    reason: str = typer.Option(
        ..., "--reason", help="What it is, e.g. 'State funeral of Queen Elizabeth II'."
    ),
) -> None:
    """Record an ad-hoc bank holiday proclaimed under the 1971 Act as a new calendar version."""
    try:
        when = date.fromisoformat(day) if len(day) == 10 else None
    except ValueError:
        when = None
    if when is None:
        _fail(f"date: {day!r} is not a real date in the form YYYY-MM-DD")
    if division == ALL_DIVISIONS:
        divisions = list(DIVISIONS)
    elif division in DIVISIONS:
        divisions = [division]
    else:
        _fail(f"division: {division!r} is not one of {', '.join(DIVISIONS)}, {ALL_DIVISIONS}")
    with _store() as repo:
        try:
            latest = repo.latest()
            source = f"{when} added by hand ({division}): {reason.strip()}"
            updated = latest.with_proclaimed(
                when, divisions, reason, version=latest.version, source=source
            )
            saved = repo.save_new(updated)
        except CalendarError as exc:
            _fail(str(exc))
    typer.echo(f"calendar v{saved.version} ({saved.fingerprint}) saved:")
    for line in saved.diff(latest):
        typer.echo(f"  {line}")
    if when.weekday() >= 5:
        typer.echo(f"note: {when} is a {when.strftime('%A')}, so no deadline moves")
    tell_running_cases(saved)


@app.command("notify")
def notify(
    version: int | None = typer.Option(
        None, "--version", help="A stored version to announce (default: the latest)."
    ),
) -> None:
    """Tell every running case about a calendar version (a Temporal batch signal).

    Only a stored version is announced: running cases load the version they are told of, and
    one that does not exist would only give each of them a problem to report.
    """
    with _store() as repo:
        try:
            announced = repo.latest() if version is None else repo.get(version)
        except CalendarError as exc:
            _fail(f"{exc}; `foiflow calendar show --all` lists them")
    if not tell_running_cases(announced):
        raise typer.Exit(code=1)


def tell_running_cases(calendar: CalendarData) -> bool:
    """Signal all running cases; a stopped Temporal is reported, and the version stays saved."""
    from services.temporal import connect, signal_calendar_change

    settings = get_settings()
    version = calendar.version

    async def _signal() -> str:
        client = await connect(settings)
        return await signal_calendar_change(
            client, calendar, settings.temporal_namespace, settings.calendar_signal_rate
        )

    try:
        job = asyncio.run(_signal())
    except Exception as exc:  # any failure to reach Temporal: say so, the save stands
        reason = str(exc).splitlines()[0][:120]
        typer.echo(
            f"note: running cases were not told about v{version} (Temporal at "
            f"{settings.temporal_address}: {reason}); run `foiflow calendar notify` when it is up",
            err=True,
        )
        return False
    typer.echo(f"running cases told about v{version} (batch job {job})")
    return True
