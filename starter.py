"""Start a request case from a YAML or JSON file and print its reference and due date.

    python starter.py request.yaml [--received-at 2026-11-24T10:15:00+00:00]

The file holds ``regime``, ``channel``, ``requester``, ``request_text`` and optionally
``reference`` and ``questions`` (otherwise split from the numbered request text). Without a
reference one is allocated from the authority's pattern. The same request started twice returns
the existing case.

A thin adapter over ``services.intake.start_case``; ``foiflow start`` reaches the same service
through the API.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError

from services.context import open_context
from services.db import prepare_store
from services.errors import ServiceError, Unavailable
from services.intake import IntakeError, build_intake, read_request_file, start_case
from services.schemas import Started
from settings import get_settings, settings_problem

__all__ = ["IntakeError", "build_intake", "main", "read_request_file"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--received-at", type=datetime.fromisoformat, default=None)
    args = parser.parse_args(argv)
    try:
        settings = get_settings()
    except ValidationError as exc:
        print(f"error: {settings_problem(exc)}", file=sys.stderr)
        return 2

    async def run() -> Started:
        document = read_request_file(args.file)  # before anything is opened or recorded
        prepare_store(settings)  # an entry point: the store is brought to its schema here
        ctx = await open_context(settings)
        return await start_case(ctx, document, args.received_at)

    try:
        started = asyncio.run(run())
    except ServiceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3 if isinstance(exc, Unavailable) else 2
    note = " (already open)" if started.existing else ""
    print(f"{started.reference}\tdue {started.due_date or 'paused'}{note}")
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter finalisation: it can abort ("PyGILState_Release") while the Temporal core
    # runtime's threads are alive, turning a clear one-line error into a crash dump.
    os._exit(code)
