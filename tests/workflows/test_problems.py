"""Bad reference data reaching a running case: the case records a visible problem, keeps
answering queries and moves on. It never fails a workflow task or retries an activity forever.

Each test feeds a bad value past the edge (as an older release or a hand edit could) and then
checks that the case still answers queries, takes updates and sends its reminders.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.store_adapters import store_activities
from domain.case import CasePolicy, CaseStatus, CaseView, ReminderSchedule
from domain.messages import CalendarChanged, CloseCase, RequestInput
from settings import get_settings
from statute import calendar_for, get_regime
from statute.calendar import SCOTLAND
from store.calendars import calendar_repository
from worker import build_worker
from workflows.request import FoiRequestWorkflow

from case_driver import (
    OFFICER,
    close_started_cases,
    noon_on,
    route_seed,
    seed_intake,
    start_seed,
    state_of,
)

LONDON = ZoneInfo("Europe/London")


async def wait_for_state(
    handle: WorkflowHandle[Any, Any], ready: Callable[[CaseView], bool]
) -> CaseView:
    """Signals are applied asynchronously: poll the query a bounded number of times."""
    view: CaseView | None = None
    for _ in range(100):
        view = await state_of(handle)
        if ready(view):
            return view
        await asyncio.sleep(0.05)
    assert view is not None
    raise AssertionError(f"case never reached the expected state: {view.timeline[-1].text}")


async def test_a_calendar_version_that_does_not_exist_is_a_problem_not_a_stuck_case(
    env: WorkflowEnvironment, worker: Worker
) -> None:
    handle = await start_seed(env.client, worker.task_queue, await env.get_current_time())
    await handle.signal(FoiRequestWorkflow.calendar_changed, CalendarChanged(version=9999))
    view = await wait_for_state(handle, lambda v: bool(v.problems))

    [problem] = view.problems
    assert problem.field == "calendar"
    assert problem.resolved_at is None
    assert problem.text.startswith("calendar v9999 does not exist; the case keeps counting on v1")
    assert "foiflow calendar notify --version" in problem.text
    assert view.timeline[-1].kind == "problem"
    assert view.timeline[-1].text == f"calendar: {problem.text}"
    assert view.clock.calendar_version == 1  # the calendar it had

    # It moves on: an update is taken, and a repeat of the bad signal adds nothing.
    await route_seed(handle)
    await handle.signal(FoiRequestWorkflow.calendar_changed, CalendarChanged(version=9999))
    view = await wait_for_state(handle, lambda v: v.status == CaseStatus.IN_PROGRESS)
    assert len(view.problems) == 1
    assert len(view.tasks) == 7


async def test_a_later_good_calendar_resolves_the_problem(
    env: WorkflowEnvironment,
    executor: ThreadPoolExecutor,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Its own store and worker: the extra calendar version must not reach other tests' cases.
    monkeypatch.setenv("FOIFLOW_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("FOIFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    activities = store_activities(get_settings())
    async with build_worker(env.client, f"problems-{uuid.uuid4()}", executor, activities) as w:
        handle = await start_seed(env.client, w.task_queue, await env.get_current_time())
        await handle.signal(FoiRequestWorkflow.calendar_changed, CalendarChanged(version=9999))
        await wait_for_state(handle, lambda v: bool(v.problems))

        repository = calendar_repository(get_settings())
        packaged = repository.latest()
        view = await state_of(handle)
        holiday = calendar_for(get_regime("foia"), packaged).add_working_days(
            view.clock.start_date, 5
        )
        v2 = repository.save_new(
            packaged.with_proclaimed(holiday, [SCOTLAND], "Extra bank holiday", version=0)
        )
        await handle.signal(FoiRequestWorkflow.calendar_changed, CalendarChanged(version=2))
        view = await wait_for_state(handle, lambda v: v.clock.calendar_version == v2.version)
        [problem] = view.problems
        assert problem.resolved_at is not None
        kinds = [e.kind for e in view.timeline]
        assert kinds[-2:] == ["calendar_changed", "problem_resolved"]
        assert view.timeline[-1].text == "calendar: now counting on calendar v2"
        await close_started_cases()
        with env.auto_time_skipping_disabled():
            await handle.result()


async def test_a_reminder_hour_out_of_range_is_a_problem_and_reminders_go_out_at_nine(
    env: WorkflowEnvironment, worker: Worker
) -> None:
    # 25 o'clock reached cases before the settings refused it: the case must still open.
    policy = CasePolicy(reminders=ReminderSchedule(send_hour=25))
    handle = await start_seed(
        env.client, worker.task_queue, await env.get_current_time(), policy=policy
    )
    view = await wait_for_state(handle, lambda v: bool(v.problems))
    [problem] = view.problems
    assert problem.field == "policy.reminders.send_hour"
    assert problem.text == (
        "25 is not an hour of the day (0 to 23); this case sends its reminders at 9:00. "
        "Fix the setting for new cases: `foiflow store settings set reminders.send_hour 9`"
    )
    assert [e.kind for e in view.timeline] == ["received", "problem"]

    # It moves on: routed, and the first unit reminder goes out at 09:00 London time.
    await route_seed(handle)
    view = await state_of(handle)
    first = min(t.internal_due for t in view.tasks)
    cal = calendar_for(get_regime("foia"), calendar_repository(get_settings()).latest())
    remind_on = cal.subtract_working_days(first, 2)
    await env.sleep(noon_on(remind_on) - await env.get_current_time())  # after the 09:00 batch
    view = await state_of(handle)
    sent = [r for r in view.reminders if r.kind == "task_reminder"]
    assert sent and {r.on for r in sent} == {remind_on}
    reminder_entries = [e for e in view.timeline if e.kind == "reminder"]
    assert {e.at.astimezone(LONDON).strftime("%H:%M") for e in reminder_entries} == {"09:00"}


async def test_an_unknown_time_zone_is_a_problem_and_london_is_used(
    env: WorkflowEnvironment, worker: Worker
) -> None:
    policy = CasePolicy(time_zone="Mars/Olympus_Mons")
    handle = await start_seed(
        env.client, worker.task_queue, await env.get_current_time(), policy=policy
    )
    view = await wait_for_state(handle, lambda v: bool(v.problems))
    assert [p.field for p in view.problems] == ["policy.time_zone"]
    assert view.problems[0].text.startswith("'Mars/Olympus_Mons' is not a known time zone")
    await route_seed(handle)
    assert (await state_of(handle)).status == CaseStatus.IN_PROGRESS


async def test_negative_reminder_offsets_are_problems_not_failed_tasks(
    env: WorkflowEnvironment, worker: Worker
) -> None:
    # A negative count of working days makes the calendar refuse to count: the case must not
    # fail its task every time it plans its reminders.
    policy = CasePolicy(reminders=ReminderSchedule(unit_reminder_before_task_due=-2))
    handle = await start_seed(
        env.client, worker.task_queue, await env.get_current_time(), policy=policy
    )
    view = await wait_for_state(handle, lambda v: bool(v.problems))
    assert [p.field for p in view.problems] == ["policy.reminders.unit_reminder_before_task_due"]
    await route_seed(handle)
    view = await state_of(handle)
    assert view.status == CaseStatus.IN_PROGRESS


async def test_a_case_pinned_to_a_missing_calendar_opens_on_the_newest(
    env: WorkflowEnvironment, worker: Worker
) -> None:
    # An older starter sent no calendar and a version the store never had: the case opens on
    # the newest one instead of retrying for ever, and says so.
    intake = seed_intake(await env.get_current_time())
    handle = await env.client.start_workflow(
        FoiRequestWorkflow.run,
        RequestInput(intake=intake, policy=CasePolicy(calendar_version=9999)),
        id=intake.reference,
        task_queue=worker.task_queue,
    )
    view = await wait_for_state(handle, lambda v: bool(v.problems))
    assert [e.kind for e in view.timeline] == ["received", "problem"]
    [problem] = view.problems
    assert problem.text.startswith(
        "calendar v9999 does not exist; the case opens on the newest calendar instead"
    )
    assert view.clock.calendar_version == 1
    await route_seed(handle)
    await handle.execute_update(
        FoiRequestWorkflow.close_case, CloseCase(actor=OFFICER, reason="test finished")
    )
