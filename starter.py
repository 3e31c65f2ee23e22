"""Start a request case from a YAML or JSON file and print its reference and due date.

    python starter.py request.yaml [--received-at 2026-11-24T10:15:00+00:00]

The file holds ``regime``, ``channel``, ``requester``, ``request_text`` and optionally
``reference`` and ``questions`` (otherwise split from the numbered request text). Without a
reference one is allocated from the authority's pattern. The same request started twice returns
the existing case.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from temporalio.client import Client

from domain.case import CasePolicy, RequestIntake
from domain.intake import split_questions
from domain.messages import RequestInput
from services.temporal import (
    CaseExistsError,
    case_exists,
    case_state,
    connect,
    find_case_by_intake,
    start_case,
)
from settings import Settings, get_settings
from statute.regimes import REQUEST_REGIMES
from store.db import get_engine, migrate, session_scope
from store.refdata import case_policy
from store.references import allocate_reference


class IntakeError(ValueError):
    """The request file cannot become a case; the message names the field."""


@dataclass(frozen=True)
class Started:
    reference: str
    due_date: str
    existing: bool


def read_request_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise IntakeError(f"file: cannot read {path}: {exc.strerror}") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise IntakeError(f"file: {path} is not valid {path.suffix.lstrip('.')}: {exc}") from None
    if not isinstance(data, dict):
        raise IntakeError(f"file: {path} must hold a mapping of request fields")
    return data


def build_intake(
    data: dict[str, Any], received_at: datetime | None, reference: str | None
) -> RequestIntake:
    fields = dict(data)
    fields["received_at"] = received_at or fields.get("received_at") or datetime.now(UTC)
    fields["reference"] = reference or fields.get("reference") or "pending"
    if not fields.get("questions"):
        fields["questions"] = [
            q.model_dump() for q in split_questions(str(fields.get("request_text", "")))
        ]
    try:
        intake = RequestIntake.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise IntakeError(f"{where}: {first['msg']}") from None
    if intake.received_at.tzinfo is None:
        raise IntakeError("received_at: give a time zone (e.g. 2026-11-24T10:15:00+00:00)")
    if intake.regime not in REQUEST_REGIMES:
        raise IntakeError(f"regime: {intake.regime!r} is not one of {', '.join(REQUEST_REGIMES)}")
    if not intake.questions:
        raise IntakeError("request_text: the request has no questions")
    return intake


def authority_policy(settings: Settings) -> CasePolicy:
    engine = get_engine(settings.database_url)
    with session_scope(engine) as session:
        return case_policy(session)


async def start_request(
    client: Client,
    settings: Settings,
    data: dict[str, Any],
    received_at: datetime | None = None,
) -> Started:
    migrate(settings.database_url)
    intake = build_intake(data, received_at, None)
    inp = RequestInput(intake=intake, policy=authority_policy(settings))
    existing = await find_case_by_intake(client, inp)
    if existing:
        view = await case_state(client, existing)
        return Started(existing, str(view.clock.due_date or "paused"), True)
    if intake.reference == "pending":
        year = intake.received_at.year
        reference = allocate_reference(get_engine(settings.database_url), year)
        inp = inp.model_copy(update={"intake": intake.model_copy(update={"reference": reference})})
    else:
        reference = intake.reference
        if await case_exists(client, reference):
            view = await case_state(client, reference)
            return Started(reference, str(view.clock.due_date or "paused"), True)
    handle = await start_case(client, inp, settings.task_queue)
    view = await case_state(client, handle.id)
    return Started(handle.id, str(view.clock.due_date or "paused"), False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--received-at", type=datetime.fromisoformat, default=None)
    args = parser.parse_args(argv)
    settings = get_settings()

    async def run() -> Started:
        client = await connect(settings)
        return await start_request(client, settings, read_request_file(args.file), args.received_at)

    try:
        started = asyncio.run(run())
    except (IntakeError, CaseExistsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    note = " (already open)" if started.existing else ""
    print(f"{started.reference}\tdue {started.due_date}{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
