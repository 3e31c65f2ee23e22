"""A long-lived case carries its whole state into a fresh run before its history grows too long."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.case import CasePolicy, CaseStatus
from domain.messages import IssueResponse, RequestInput
from services.temporal import start_case
from settings import get_settings
from store.calendars import calendar_repository
from workflows.request import FoiRequestWorkflow

from case_driver import OFFICER, act, answer_seed, route_seed, seed_intake, sign_off_and_approve


async def continued_as_new(handle: WorkflowHandle[Any, Any], first_run: str) -> bool:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if (await handle.describe()).run_id != first_run:
            return True
        await asyncio.sleep(0.05)
    return False


async def test_state_survives_continue_as_new(env: WorkflowEnvironment, worker: Worker) -> None:
    intake = seed_intake(await env.get_current_time())
    # A tiny limit, so that the seed case alone spans several runs.
    inp = RequestInput(intake=intake, policy=CasePolicy(history_event_limit=40))
    calendars = calendar_repository(get_settings())
    handle = await start_case(env.client, inp, worker.task_queue, calendars)
    first_run = (await handle.describe()).run_id

    await route_seed(handle)
    await answer_seed(handle)
    latest = env.client.get_workflow_handle_for(FoiRequestWorkflow.run, intake.reference)
    # The history passed the limit with the answers; the case carries on in a fresh run once
    # their projection is done. Waited for here: on a loaded machine a slow projection could
    # otherwise see every remaining action land before the run checks its length.
    assert await continued_as_new(latest, first_run), "the case never continued as new"
    await sign_off_and_approve(latest)
    view = await act(latest, FoiRequestWorkflow.issue_response, IssueResponse(actor=OFFICER))

    assert view.status == CaseStatus.ISSUED and view.on_time is True
    # Nothing was lost or repeated across runs: one timeline, numbered without gaps.
    assert [e.seq for e in view.timeline] == list(range(1, len(view.timeline) + 1))
    kinds = [e.kind for e in view.timeline]
    assert kinds.count("received") == 1 and kinds.count("routed") == 7
    assert kinds.count("answered") == 7 and kinds.count("signed_off") == 2
    with env.auto_time_skipping_disabled():
        result = await latest.result()
    assert result.status == CaseStatus.ISSUED
