"""``foiflow demo …``: the demo data ``foiflow up`` seeds, against a stack already running.

An operator command, like ``foiflow store …``: it talks to Temporal and the store directly and
acts as the demo directory's users, so it needs the demo directory (``foiflow store seed
cli/demo/seed.yaml``) and refuses a store without it.
"""

from __future__ import annotations

import asyncio

import typer

from cli.common import REFUSED, UNAVAILABLE, fail
from cli.up import seed_demo
from services.directory import UnknownUser
from services.errors import ServiceError, Unavailable
from services.temporal import connect_client
from settings import get_settings

app = typer.Typer(no_args_is_help=True, help="The demo data `foiflow up` seeds.")


@app.command("seed")
def seed() -> None:
    """Start the demo case and the demo portfolio (about forty requests in every state) on the
    running stack; a request seeded before is left as it is."""
    settings = get_settings()

    async def go() -> None:
        client = await connect_client(settings)
        demo = await seed_demo(client, settings)
        typer.echo(demo.case)
        typer.echo(demo.portfolio)
        if demo.problem:
            fail(demo.problem, UNAVAILABLE)

    try:
        asyncio.run(go())
    except UnknownUser as exc:
        fail(
            f"{exc}: the demo acts as the demo directory's users; "
            "seed it first (`foiflow store seed cli/demo/seed.yaml`)",
            REFUSED,
        )
    except Unavailable as exc:
        fail(str(exc), UNAVAILABLE)
    except ServiceError as exc:
        fail(str(exc), REFUSED)
