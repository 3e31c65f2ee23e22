"""Intake (preview and start), the directory, references never reused, and unreachable parts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import inspect
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.case import Actor
from services import actions
from services.context import ServiceContext, open_context
from services.directory import UnknownUser, resolve_actor
from services.errors import Forbidden, Unavailable
from services.intake import IntakeError, preview_intake, start_case
from services.schemas import WithdrawIn
from services.temporal import CaseExistsError
from settings import get_settings
from statute.exemptions import Role
from store.db import get_engine

from case_driver import SEED_FILE, SEED_ROUTES

AsUser = Callable[[str], Awaitable[ServiceContext]]


def seed_request(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(SEED_FILE.read_text())
    document.pop("reference")
    document.update(changes)
    return document


async def test_preview_numbers_the_questions_suggests_units_and_explains_the_deadline(
    system: ServiceContext,
) -> None:
    preview = await preview_intake(system, seed_request(), datetime(2025, 3, 3, 10, 0, tzinfo=UTC))
    assert {q.question: q.units[0] for q in preview.questions} == SEED_ROUTES
    assert preview.questions[0].text.startswith("All organisations and community groups")
    assert (preview.regime, preview.received_on) == ("foia", date(2025, 3, 3))
    assert preview.due_date == date(2025, 4, 1)  # as `foiflow deadline --regime foia 2025-03-03`
    assert preview.explanation[0].startswith("FOIA: 20 working days")
    assert preview.explanation[-1].startswith("Due Tue 1 Apr 2025")


async def test_bad_requests_name_the_field(system: ServiceContext, as_user: AsUser) -> None:
    with pytest.raises(IntakeError) as caught:
        await preview_intake(system, seed_request(regime="sar"))
    assert (caught.value.field, caught.value.reason) == (
        "regime",
        "'sar' is not one of foia, eir, foisa",
    )
    with pytest.raises(IntakeError) as caught:
        await start_case(system, seed_request(requester={"email": "x@example.org"}))
    assert caught.value.field == "requester.name"
    assert caught.value.reason == "Field required"
    # Of people, only the FOI officer starts cases; nothing reaches Temporal before that check.
    with pytest.raises(Forbidden) as forbidden:
        await start_case(await as_user("tom-oduya"), seed_request())
    assert str(forbidden.value) == "actor: tom-oduya is not a foi_officer and cannot start cases"


async def test_users_come_from_the_directory(system: ServiceContext, tmp_path: Path) -> None:
    actor = await resolve_actor(system.engine, "priya-nair")
    assert actor == Actor(
        user_id="priya-nair", name="Priya Nair", roles=[Role.UNIT_CONTACT], units=["hate-crime"]
    )
    with pytest.raises(UnknownUser) as caught:
        await resolve_actor(system.engine, "nobody")
    assert str(caught.value) == "user: 'nobody' is not in the directory"
    with pytest.raises(UnknownUser) as caught:
        await resolve_actor(system.engine, "left-the-force")
    assert caught.value.reason == "'left-the-force' is no longer active in the directory"
    # A store nobody migrated is reported, not migrated behind the caller's back.
    empty = get_engine(f"sqlite:///{tmp_path / 'never-migrated.db'}")
    with pytest.raises(Unavailable) as unavailable:
        await resolve_actor(empty, "priya-nair")
    assert unavailable.value.field == "FOIFLOW_DATABASE_URL"
    assert "`foiflow store migrate`" in unavailable.value.reason
    assert inspect(empty).get_table_names() == []  # nothing was created


async def test_an_unreachable_temporal_names_the_setting(directory: None) -> None:
    settings = get_settings().model_copy(update={"temporal_address": "127.0.0.1:1"})
    with pytest.raises(Unavailable) as caught:
        await open_context(settings, "aisha-rahman")
    assert str(caught.value) == (
        "FOIFLOW_TEMPORAL_ADDRESS: cannot reach Temporal at 127.0.0.1:1; is `make run` up?"
    )


async def test_a_closed_case_s_reference_is_never_reused_on_the_dev_server(
    dev_env: WorkflowEnvironment, dev_worker: Worker, directory: None
) -> None:
    settings = get_settings().model_copy(update={"task_queue": dev_worker.task_queue})
    system = ServiceContext(
        settings=settings, engine=get_engine(settings.database_url), client=dev_env.client
    )
    officer = system.acting_as(await resolve_actor(system.engine, "aisha-rahman"))
    received = datetime.now(UTC).replace(microsecond=0)

    waiting = await start_case(system, seed_request(request_text="1. Speed cameras"), received)
    assert not waiting.existing and waiting.due_date is not None

    await actions.withdraw_case(officer, waiting.reference, WithdrawIn(reason="withdrawn"))
    again = seed_request(request_text="1. Speed cameras, again", reference=waiting.reference)
    with pytest.raises(CaseExistsError) as caught:
        await start_case(system, again, received)
    assert str(caught.value) == f"reference: case {waiting.reference} already exists and is closed"
