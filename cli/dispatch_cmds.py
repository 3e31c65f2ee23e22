"""``foiflow dispatch`` (drain the outbox on its own) and ``foiflow delivery …`` (the outbox,
failures, retries, channel routes, digest preferences, the local sink's mail).

The worker drains the outbox by default; ``foiflow dispatch`` is for a deployment that runs the
dispatcher apart (``FOIFLOW_DISPATCH_IN_WORKER=false``) or for draining once by hand. Operator
commands: they call the delivery services directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import typer
from rich.table import Table

from cli.common import REFUSED, UNAVAILABLE, console, fail
from services import delivery
from services.errors import ServiceError, Unavailable
from services.runtime import TemporalClient, open_store
from services.temporal import connect
from settings import Settings, get_settings

T = TypeVar("T")

app = typer.Typer(help="The outbox: messages, failures, channel routes, digests.")
ACTOR = typer.Option(
    None, "--actor", help="Who is making the change, for the audit log (default cli:$USER)."
)


def _actor(actor: str | None) -> str:
    return actor or os.environ.get("FOIFLOW_ACTOR") or f"cli:{os.environ.get('USER', 'unknown')}"


def _run(work: Callable[[Settings], Coroutine[Any, Any, T]]) -> T:
    settings = get_settings()
    try:
        return asyncio.run(work(settings))
    except ServiceError as exc:
        fail(str(exc), UNAVAILABLE if isinstance(exc, Unavailable) else REFUSED)


async def _temporal(settings: Settings) -> TemporalClient | None:
    try:
        return await asyncio.wait_for(connect(settings), timeout=5)
    except (RuntimeError, OSError, TimeoutError):
        typer.echo(
            f"warning: Temporal at {settings.temporal_address} is unreachable: messages to "
            "requesters wait until it is back",
            err=True,
        )
        return None


def dispatch(
    once: bool = typer.Option(False, "--once", help="One pass, then stop."),
) -> None:
    """Drain the outbox: send what is due, at working hours, until Ctrl-C (or once)."""
    settings = get_settings()
    try:
        open_store(settings)
    except Exception as exc:
        fail(f"cannot open the store: {exc}", UNAVAILABLE)

    async def go() -> None:
        client = await _temporal(settings)
        if once:
            loop = asyncio.get_running_loop()
            requester = delivery.temporal_requesters(client, loop) if client else None
            dispatcher = delivery.build_dispatcher(settings, requester=requester)
            report = await asyncio.to_thread(dispatcher.run_once)
            await asyncio.to_thread(dispatcher.stop)
            typer.echo(str(report))
            return
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        typer.echo(
            f"dispatching every {settings.dispatch_interval_seconds:g}s; Ctrl-C stops", err=True
        )
        await delivery.run_dispatcher(settings, client, stop)

    asyncio.run(go())


@app.command("outbox")
def outbox(
    status: str | None = typer.Option(None, help="pending, sent or failed"),
    case: str | None = typer.Option(None, "--case", help="Only this case's messages."),
    limit: int = typer.Option(50, min=1, max=1000),
    body: bool = typer.Option(False, "--body", help="Show each message's text."),
) -> None:
    """Every message queued, newest first, with each recipient's outcome."""
    entries = _run(
        lambda s: delivery.list_outbox(open_store(s), status=status, reference=case, limit=limit)
    )
    out = console()
    if not entries:
        out.print("the outbox is empty")
        return
    table = Table("status", "kind", "case", "audience", "recipients", "subject")
    for e in entries:
        recipients = ", ".join(f"{r.recipient} ({r.channel}) {r.status}" for r in e.recipients)
        waiting = (
            f" until {e.not_before:%Y-%m-%d %H:%M}Z"
            if e.not_before and e.status == "pending"
            else ""
        )
        table.add_row(
            e.status + waiting,
            e.kind or "",
            e.reference or "",
            e.audience,
            recipients or (e.last_error or ""),
            e.subject,
        )
    out.print(table)
    if body:
        for e in entries:
            out.print(f"\n[bold]{e.key}[/bold]\n{e.body}", markup=True, highlight=False)


@app.command("failures")
def failures() -> None:
    """Messages that could not be delivered: fix the cause, then `foiflow delivery retry KEY`."""
    found = _run(lambda s: delivery.delivery_failures(open_store(s)))
    if not found:
        typer.echo("no delivery failures")
        return
    for f in found:
        typer.echo(
            f"{f.key}  {f.audience}  {f.failed_at:%Y-%m-%d %H:%M}Z" if f.failed_at else f.key
        )
        typer.echo(f"  {f.reason}")
    raise typer.Exit(code=1)  # a failure is something to act on: scripts notice


@app.command("retry")
def retry(key: str = typer.Argument(..., help="The failed message's key.")) -> None:
    """Send a failed message again (same Message-ID; recipients it reached get nothing more)."""
    _run(lambda s: delivery.retry_failed(open_store(s), key))
    typer.echo(f"{key}: queued again")


@app.command("kinds")
def kinds() -> None:
    """The kinds of message and who receives each."""
    table = Table("kind", "sent to")
    for kind, who in delivery.message_kinds():
        table.add_row(kind, who)
    console().print(table)


@app.command("routes")
def routes() -> None:
    """Which channel each audience's messages take (no route: email)."""
    found = _run(lambda s: delivery.channel_routes(open_store(s)))
    if not found:
        typer.echo("no routes: every message goes by email")
        return
    table = Table("audience", "channel", "target")
    for r in found:
        table.add_row(r.audience, r.channel, r.target)
    console().print(table)


@app.command("route")
def route(
    audience: str = typer.Argument(..., help="unit:vawg, role:senior_officer, unit, requester, *"),
    channel: str = typer.Argument(..., help="email, webhook or notify"),
    target: str = typer.Option("", help="The webhook URL, or a Notify template id."),
    actor: str | None = ACTOR,
) -> None:
    """Send an audience's messages through a channel (several routes: several channels)."""
    change = _run(
        lambda s: delivery.set_channel_route(
            open_store(s), audience, channel, target, _actor(actor)
        )
    )
    typer.echo(f"{audience} → {channel}: {change}")


@app.command("unroute")
def unroute(
    audience: str = typer.Argument(...),
    channel: str = typer.Argument(...),
    actor: str | None = ACTOR,
) -> None:
    """Remove a route."""
    _run(lambda s: delivery.remove_channel_route(open_store(s), audience, channel, _actor(actor)))
    typer.echo(f"{audience} → {channel}: removed")


@app.command("digest")
def digest(
    user: str = typer.Argument(..., help="A user id."),
    on: bool = typer.Option(..., "--on/--off", help="A daily digest, or one email per reminder."),
    actor: str | None = ACTOR,
) -> None:
    """Choose a daily digest of reminders (working days, at the send hour) for a user."""
    changed = _run(lambda s: delivery.set_digest(open_store(s), user, on, _actor(actor)))
    choice = "a daily digest" if on else "one email per reminder"
    typer.echo(f"{user}: {choice}" + ("" if changed else " (unchanged)"))


@app.command("mail")
def mail(limit: int = typer.Option(20, min=1, max=1000)) -> None:
    """What the local SMTP sink received (`foiflow up`), newest first."""
    found = _run(lambda s: delivery.sink_messages(s, limit))
    if not found:
        typer.echo("the sink has received nothing")
        return
    table = Table("received", "to", "kind", "case", "subject")
    for m in found:
        table.add_row(
            f"{m.received_at:%Y-%m-%d %H:%M:%S}Z", ", ".join(m.to), m.kind, m.reference, m.subject
        )
    console().print(table)
