"""An action that reaches a case in the same workflow task as its start: on a busy machine the
officer's routing can, and its handler then runs before the workflow's main method."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from temporalio.client import WithStartWorkflowOperation, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.case import CaseView
from domain.messages import IssueResponse
from domain.review import RequestReview, ReviewStage, ReviewView, review_workflow_id
from services.reviews import review_input
from settings import get_settings
from store.calendars import calendar_repository
from workflows.request import FoiRequestWorkflow
from workflows.review import ReviewWorkflow

from case_driver import (
    LONDON,
    OFFICER,
    answer_seed,
    noon_on,
    route_seed,
    sign_off_and_approve,
    start_seed,
    start_seed_routed,
    state_of,
)


async def test_routing_that_arrives_with_the_start_finds_the_case_received_first(
    env: WorkflowEnvironment, worker: Worker
) -> None:
    # One workflow task carries the start and the routing: the routing's handler runs first.
    handle = await start_seed_routed(env.client, worker.task_queue, noon_on(date(2026, 12, 7)))

    view = await state_of(handle)
    kinds = [e.kind for e in view.timeline]
    assert kinds[0] == "received" and kinds.count("received") == 1, kinds
    assert kinds.count("routed") == 7
    assert [e.seq for e in view.timeline] == list(range(1, len(view.timeline) + 1))
    assert view.clock.due_date is not None
    await handle.terminate("test finished")


async def issued_case(env: WorkflowEnvironment, worker: Worker) -> CaseView:
    handle = await start_seed(env.client, worker.task_queue, await env.get_current_time())
    await route_seed(handle)
    await answer_seed(handle)
    await sign_off_and_approve(handle)
    await handle.execute_update(FoiRequestWorkflow.issue_response, IssueResponse(actor=OFFICER))
    issued = await state_of(handle)
    assert issued.issued_at is not None
    return issued


def review_stage_start(issued: CaseView, task_queue: str) -> WithStartWorkflowOperation[Any, Any]:
    inp = review_input(issued, calendar_repository(get_settings()), "Europe/London")
    return WithStartWorkflowOperation(
        ReviewWorkflow.run,
        inp,
        id=review_workflow_id(issued.reference),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
    )


# The stage did not start at issue (Temporal was away); opening the review starts it, and the
# request can arrive in the stage's first workflow task.


async def test_a_review_asked_for_as_its_stage_starts_counts_from_an_open_window(
    env: WorkflowEnvironment, worker: Worker
) -> None:
    issued = await issued_case(env, worker)
    start = review_stage_start(issued, worker.task_queue)
    assert issued.issued_at is not None
    asked = issued.issued_at.astimezone(LONDON).date()
    await env.client.execute_update_with_start_workflow(
        ReviewWorkflow.request_review,
        RequestReview(actor=OFFICER, received_on=asked, grounds="s31 applied too widely"),
        start_workflow_operation=start,
    )
    review = await start.workflow_handle()

    view: ReviewView = await review.query(ReviewWorkflow.state)
    assert view.window_ends is not None and view.window_ends > asked
    kinds = [e.kind for e in view.timeline]
    assert kinds[0] == "review_window", kinds
    assert view.stage == ReviewStage.UNDER_REVIEW and view.due is not None
    await review.terminate("test finished")


async def test_a_review_asked_for_after_the_window_is_refused_as_the_stage_starts(
    env: WorkflowEnvironment, worker: Worker
) -> None:
    issued = await issued_case(env, worker)
    assert issued.issued_at is not None
    # Issued 70 days ago: the window (40 working days, s45 code) has closed.
    issued.issued_at -= timedelta(days=70)
    asked = (await env.get_current_time()).astimezone(LONDON).date()
    start = review_stage_start(issued, worker.task_queue)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await env.client.execute_update_with_start_workflow(
            ReviewWorkflow.request_review,
            RequestReview(actor=OFFICER, received_on=asked),
            start_workflow_operation=start,
        )
    cause = refused.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.message.startswith(f"received_on: {asked} is after the review window closed")
    # No review was asked for in time: the stage closes for good on its own.
    review = await start.workflow_handle()
    with env.auto_time_skipping_disabled():
        result = await review.result()
    assert result.stage == ReviewStage.CLOSED and result.outcome is None
