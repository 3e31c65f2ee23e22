"""The workflow's side effects go through the activities' ports: a worker built with in-memory
calendars, outbox and read model runs a case without the store."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from temporalio.client import WorkflowHandle, WorkflowQueryFailedError
from temporalio.testing import WorkflowEnvironment

from activities.case_activities import CaseActivities
from domain.case import CaseStatus
from domain.messages import CloseCase, RequestInput
from statute import calendar_for, get_regime, packaged_calendar
from statute.calendar import NORTHERN_IRELAND
from worker import build_worker
from workflows.request import FoiRequestWorkflow

from case_driver import (
    OFFICER,
    MemoryCalendars,
    RecordingOutbox,
    RecordingReadModel,
    noon_on,
    route_seed,
    seed_intake,
    state_of,
)


async def test_a_worker_runs_a_case_on_the_activities_it_is_given(
    env: WorkflowEnvironment, executor: ThreadPoolExecutor
) -> None:
    received = await env.get_current_time()
    packaged = packaged_calendar()
    foia = calendar_for(get_regime("foia"), packaged)
    holiday = foia.add_working_days(received.date(), 3)
    # A version only this worker knows: the case must count on it.
    v2 = packaged.with_proclaimed(holiday, [NORTHERN_IRELAND], "Proclaimed", version=2)
    outbox = RecordingOutbox()
    read_model = RecordingReadModel(outbox)
    activities = CaseActivities(MemoryCalendars(packaged, v2), outbox, read_model)
    intake = seed_intake(received)
    ref = intake.reference

    async with build_worker(env.client, f"memory-{uuid.uuid4()}", executor, activities) as w:
        # No calendar in the input: the case loads the newest through load_calendar.
        handle = await env.client.start_workflow(
            FoiRequestWorkflow.run, RequestInput(intake=intake), id=ref, task_queue=w.task_queue
        )
        await opened(handle)
        await route_seed(handle)
        view = await state_of(handle)
        assert view.clock.calendar_version == 2
        assert view.clock.due_date == calendar_for(get_regime("foia"), v2).add_working_days(
            view.clock.start_date, 20
        )
        task = view.tasks[0]
        reminder_day = calendar_for(get_regime("foia"), v2).subtract_working_days(
            task.internal_due, 2
        )
        await env.sleep(noon_on(reminder_day) - await env.get_current_time())

        key = f"{ref}:task_reminder:q1:{reminder_day}"
        assert outbox.queued[key] == (
            "unit:vawg",
            f"[{ref}] task reminder",
            f"Q1 is due from your unit on {task.internal_due}",
        )
        view = await state_of(handle)
        # Each projection carries what changed: together they hold the whole timeline once.
        projected = read_model.changes[ref]
        assert projected[0].complete and not any(p.complete for p in projected[1:])
        assert projected[-1].version == view.version
        assert read_model.status(ref) == CaseStatus.IN_PROGRESS
        assert [e.seq for p in projected for e in p.timeline] == [e.seq for e in view.timeline]

        await handle.execute_update(
            FoiRequestWorkflow.close_case, CloseCase(actor=OFFICER, reason="test finished")
        )
        with env.auto_time_skipping_disabled():
            result = await handle.result()
        assert result.status == CaseStatus.WITHDRAWN
        assert read_model.status(ref) == CaseStatus.WITHDRAWN


async def opened(handle: WorkflowHandle[Any, Any]) -> None:
    """Until its calendar is loaded a case refuses actions ("still opening"): wait, bounded."""
    for _ in range(100):
        try:
            await state_of(handle)
            return
        except WorkflowQueryFailedError as exc:
            assert "still opening" in str(exc)
        await asyncio.sleep(0.05)
    raise AssertionError("the case never loaded its calendar")
