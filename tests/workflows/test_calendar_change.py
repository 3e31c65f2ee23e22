"""A new bank holiday moves a running case's due date, its timers, and shows in its timeline."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle, WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from activities.store_adapters import store_activities
from domain.case import CaseView
from domain.messages import CalendarChanged, CarriedCalendar
from services.temporal import carried_calendar
from settings import get_settings
from statute import calendar_for, get_regime
from statute.calendar import SCOTLAND, long_date
from store.calendars import calendar_repository
from worker import build_worker
from workflows.request import FoiRequestWorkflow

from case_driver import close_started_cases, noon_on, route_seed, start_seed


async def wait_for_state(
    handle: WorkflowHandle[Any, Any], ready: Callable[[CaseView], bool]
) -> CaseView:
    """Signals are applied asynchronously: poll the query a bounded number of times."""
    for _ in range(200):
        view: CaseView = await handle.query(FoiRequestWorkflow.state)
        if ready(view):
            return view
        await asyncio.sleep(0.05)
    raise AssertionError(f"case never reached the expected state: {view.timeline[-1].text}")


# What the signal carries: nothing (the case loads its window from the store), the calendar
# as a calendar change sends it (the case re-plans from the signal alone), or a window too short
# for the case's (it loads its own, as if nothing were carried).
CARRIED = ["nothing", "the calendar", "too short a window"]


@pytest.mark.parametrize("carried", CARRIED)
async def test_a_proclaimed_holiday_moves_the_due_date_and_the_reminders(
    env: WorkflowEnvironment,
    executor: ThreadPoolExecutor,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    carried: str,
) -> None:
    # Its own store and a worker on it, so the extra holiday does not leak into other tests' cases.
    monkeypatch.setenv("FOIFLOW_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("FOIFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    activities = store_activities(get_settings())
    async with build_worker(env.client, f"calendar-{uuid.uuid4()}", executor, activities) as w:
        handle = await _holiday_moves_the_case(env, w.task_queue, carried)
        # Closed and finished while this store's worker still runs it: nothing left pending on a
        # task queue nobody polls.
        await close_started_cases()
        with env.auto_time_skipping_disabled():
            await handle.result()


def calendar_loads(history: WorkflowHistory) -> int:
    """The ``load_calendar`` activities a case ran."""
    return sum(
        1
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        and e.activity_task_scheduled_event_attributes.activity_type.name == "load_calendar"
    )


async def _holiday_moves_the_case(
    env: WorkflowEnvironment, task_queue: str, carried: str = "nothing"
) -> WorkflowHandle[Any, Any]:
    handle = await start_seed(env.client, task_queue, await env.get_current_time())
    await route_seed(handle)
    view: CaseView = await handle.query(FoiRequestWorkflow.state)
    old_due = view.clock.due_date
    assert old_due is not None and view.clock.calendar_version == 1

    repository = calendar_repository(get_settings())
    packaged = repository.latest()
    old_cal = calendar_for(get_regime("foia"), packaged)
    holiday = old_cal.add_working_days(view.clock.start_date, 5)
    v2 = repository.save_new(
        packaged.with_proclaimed(holiday, [SCOTLAND], "Extra bank holiday", version=0)
    )
    today = view.clock.received_on
    calendar = {
        "nothing": None,
        "the calendar": carried_calendar(v2, today),
        "too short a window": CarriedCalendar(
            start=today,
            end=today + timedelta(days=60),
            calendar=v2.window(today, today + timedelta(days=60)).to_json(),
        ),
    }[carried]
    loads = calendar_loads(await handle.fetch_history())
    await handle.signal(
        FoiRequestWorkflow.calendar_changed,
        CalendarChanged(version=v2.version, calendar=calendar),
    )
    view = await wait_for_state(handle, lambda v: v.clock.calendar_version == v2.version)
    # Carried whole, the case asks the store for nothing; otherwise it loads its window.
    expected_loads = 0 if carried == "the calendar" else 1
    assert calendar_loads(await handle.fetch_history()) - loads == expected_loads

    new_cal = calendar_for(get_regime("foia"), v2)
    new_due = new_cal.add_working_days(view.clock.start_date, 20)
    assert new_due == old_cal.add_working_days(old_due, 1)
    assert view.clock.due_date == new_due
    assert view.clock.calendar_fingerprint == v2.fingerprint  # the store's name for it
    assert view.timeline[-1].kind == "calendar_changed"
    assert view.timeline[-1].text == (
        f"due date moved from {old_due} to {new_due} by calendar v{v2.version}: "
        f"{long_date(holiday)} added (Scotland: Extra bank holiday)"
    )
    assert f"{holiday:%a} {long_date(holiday)} skipped: Extra bank holiday (Scotland)." in (
        view.clock.explanation
    )

    # An old or repeated version is ignored.
    await handle.signal(FoiRequestWorkflow.calendar_changed, CalendarChanged(version=1))

    # The due-date reminder now fires on the new due date, not the old one.
    await env.sleep(noon_on(old_due) - await env.get_current_time())
    view = await handle.query(FoiRequestWorkflow.state)
    assert not [r for r in view.reminders if r.kind == "due_today"]
    await env.sleep(noon_on(new_due) - await env.get_current_time())
    view = await handle.query(FoiRequestWorkflow.state)
    assert [r.on for r in view.reminders if r.kind == "due_today"] == [new_due]
    assert view.clock.calendar_version == v2.version
    return handle
