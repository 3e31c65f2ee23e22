"""``foiflow calendar …`` (helper A fills this in)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Bank-holiday calendars: show, refresh from GOV.UK, add proclaimed holidays.")
