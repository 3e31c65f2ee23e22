"""Intake (preview and start), the directory, listings from visibility, and unreachable parts."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import inspect
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.case import Actor, CaseStatus
from services import actions
from services.cases import cases_query, list_cases
from services.context import ServiceContext, open_context
from services.directory import UnknownUser, resolve_actor
from services.errors import Forbidden, Unavailable
from services.intake import IntakeError, preview_intake, start_case
from services.schemas import CaseFilters, RoutesIn, WithdrawIn
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


def test_listing_queries_are_built_from_checked_values() -> None:
    filters = CaseFilters(status=CaseStatus.IN_PROGRESS, overdue=True, unit="hate-crime")
    assert cases_query(filters, ["vawg", "foi"]) == (
        "WorkflowType='FoiRequestWorkflow' AND FoiStatus='in_progress' AND FoiOverdue=true "
        "AND FoiUnits='hate-crime' AND (FoiUnits='vawg' OR FoiUnits='foi')"
    )
    with pytest.raises(ValueError, match="status"):
        CaseFilters.model_validate({"status": "open' OR 'a'='a"})
    with pytest.raises(ValueError, match="unit"):
        CaseFilters.model_validate({"unit": "vawg' OR 'a'='a"})


async def _eventually(check: Callable[[], Awaitable[Any]]) -> Any:
    """Visibility is eventually consistent: poll, bounded."""
    for _ in range(100):
        result = await check()
        if result:
            return result
        await asyncio.sleep(0.1)
    raise AssertionError("condition never held")


async def test_start_list_and_never_reuse_a_reference_on_the_dev_server(
    dev_env: WorkflowEnvironment, dev_worker: Worker, directory: None
) -> None:
    settings = get_settings().model_copy(update={"task_queue": dev_worker.task_queue})
    system = ServiceContext(
        settings=settings, engine=get_engine(settings.database_url), client=dev_env.client
    )
    officer = system.acting_as(await resolve_actor(system.engine, "aisha-rahman"))
    tom = system.acting_as(await resolve_actor(system.engine, "tom-oduya"))
    received = datetime.now(UTC).replace(microsecond=0)

    routed = await start_case(officer, seed_request(), received)
    assert not routed.existing and routed.due_date is not None
    waiting = await start_case(system, seed_request(request_text="1. Speed cameras"), received)
    await actions.route_questions(officer, routed.reference, RoutesIn(accept_suggestions=True))

    async def listed(ctx: ServiceContext, filters: CaseFilters) -> set[str]:
        return {c.reference for c in await list_cases(ctx, filters)}

    async def routed_is_listed_for_vawg() -> bool:
        return routed.reference in await listed(system, CaseFilters(unit="vawg"))

    await _eventually(routed_is_listed_for_vawg)
    everyone = await listed(officer, CaseFilters())
    assert {routed.reference, waiting.reference} <= everyone
    triage = await listed(system, CaseFilters(status=CaseStatus.TRIAGE))
    assert waiting.reference in triage and routed.reference not in triage
    mine = await listed(tom, CaseFilters())  # a unit lists the cases routed to it
    assert routed.reference in mine and waiting.reference not in mine
    assert routed.reference in await listed(tom, CaseFilters(unit="hate-crime"))
    assert await listed(tom, CaseFilters(status=CaseStatus.TRIAGE)) & triage == set()
    david = system.acting_as(await resolve_actor(system.engine, "david-hughes"))
    assert await list_cases(david) == []  # approvers find theirs with list_my_sign_offs
    [summary] = [c for c in await list_cases(officer) if c.reference == routed.reference]
    assert summary.status == CaseStatus.IN_PROGRESS and summary.regime == "foia"
    assert summary.units == ["community-engagement", "hate-crime", "vawg"]

    # A reference whose case has closed is never given to another case.
    await actions.withdraw_case(officer, waiting.reference, WithdrawIn(reason="withdrawn"))
    again = seed_request(request_text="1. Speed cameras, again", reference=waiting.reference)
    with pytest.raises(CaseExistsError) as caught:
        await start_case(system, again, received)
    assert str(caught.value) == f"reference: case {waiting.reference} already exists and is closed"
    await actions.withdraw_case(officer, routed.reference, WithdrawIn(reason="test finished"))
