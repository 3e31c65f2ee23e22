"""Record the histories that replay tests guard: `make histories` (commit the JSON it writes);
``python tests/workflows/record_histories.py NAME…`` records only those scenarios.

Re-record only for a deliberate, patched change; the committed files are what deployed workers
have written, and the current code must still replay them.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parents[2]), str(Path(__file__).resolve().parent)]

from temporalio.client import (  # noqa: E402
    WorkflowHandle,
    WorkflowHistory,
)
from temporalio.contrib.pydantic import pydantic_data_converter  # noqa: E402
from temporalio.testing import WorkflowEnvironment  # noqa: E402

from activities.store_adapters import store_activities  # noqa: E402
from domain.case import Actor  # noqa: E402
from domain.messages import (  # noqa: E402
    CalendarChanged,
    IssueResponse,
    RecordClockEvent,
)
from domain.review import (  # noqa: E402
    AssignReviewer,
    NoticeDecision,
    RecordComplaint,
    RecordCompliance,
    RecordDecisionNotice,
    RecordInformationRequest,
    RecordInformationSent,
    RecordReviewOutcome,
    RequestReview,
    ReviewOutcome,
    review_workflow_id,
)
from services.reviews import start_review_stage  # noqa: E402
from services.temporal import (  # noqa: E402
    carried_calendar,
    register_search_attributes,
)
from settings import get_settings  # noqa: E402
from statute import ClockEventKind, calendar_for, get_regime  # noqa: E402
from statute.calendar import SCOTLAND  # noqa: E402
from statute.exemptions import Role  # noqa: E402
from store.calendars import calendar_repository  # noqa: E402
from store.db import migrate  # noqa: E402
from worker import build_worker  # noqa: E402
from workflows.request import FoiRequestWorkflow  # noqa: E402
from workflows.review import ReviewWorkflow  # noqa: E402

from case_driver import (  # noqa: E402
    LONDON,
    OFFICER,
    answer_seed,
    noon_on,
    route_seed,
    seed_case_issued,
    sign_off_and_approve,
    start_seed,
    start_seed_routed,
)

HISTORIES = Path(__file__).resolve().parents[1] / "histories"
Handle = WorkflowHandle[FoiRequestWorkflow, Any]


async def seed_on_time(env: WorkflowEnvironment, handle: Handle) -> None:
    await seed_case_issued(env, handle)


async def seed_late_after_clarification(env: WorkflowEnvironment, handle: Handle) -> None:
    for kind in (ClockEventKind.CLARIFICATION_REQUESTED, ClockEventKind.CLARIFICATION_RECEIVED):
        await handle.execute_update(
            FoiRequestWorkflow.record_clock_event, RecordClockEvent(actor=OFFICER, kind=kind)
        )
        await env.sleep(timedelta(days=3))
    await route_seed(handle)
    await answer_seed(handle)
    await sign_off_and_approve(handle)
    view = await handle.query(FoiRequestWorkflow.state)
    assert view.clock.due_date is not None
    await env.sleep(noon_on(view.clock.due_date + timedelta(days=4)) - await env.get_current_time())
    await handle.execute_update(FoiRequestWorkflow.issue_response, IssueResponse(actor=OFFICER))


async def seed_calendar_in_signal(env: WorkflowEnvironment, handle: Handle) -> None:
    """A bank holiday proclaimed while the units answer, the calendar carried in the signal."""
    await route_seed(handle)
    view = await handle.query(FoiRequestWorkflow.state)
    repository = calendar_repository(get_settings())
    latest = repository.latest()
    holiday = calendar_for(get_regime("foia"), latest).add_working_days(view.clock.start_date, 5)
    saved = repository.save_new(
        latest.with_proclaimed(holiday, [SCOTLAND], "Extra bank holiday", version=0)
    )
    carried = carried_calendar(saved, view.clock.received_on)
    await handle.signal(
        FoiRequestWorkflow.calendar_changed,
        CalendarChanged(version=saved.version, calendar=carried),
    )
    while (await handle.query(FoiRequestWorkflow.state)).clock.calendar_version != saved.version:
        await asyncio.sleep(0.05)
    await answer_seed(handle)
    await sign_off_and_approve(handle)
    await env.sleep(timedelta(days=2))
    await handle.execute_update(FoiRequestWorkflow.issue_response, IssueResponse(actor=OFFICER))


SCENARIOS: dict[str, Callable[[WorkflowEnvironment, Handle], Awaitable[None]]] = {
    "seed_on_time": seed_on_time,
    "seed_late_after_clarification": seed_late_after_clarification,
    # The seed case once projections carry only changes (the lean-projection patch).
    "seed_lean_projection": seed_on_time,
    # A calendar change that carries the calendar (the calendar-in-signal patch).
    "seed_calendar_in_signal": seed_calendar_in_signal,
}


async def seed_routed_with_start(env: WorkflowEnvironment, task_queue: str) -> Handle:
    """The officer's routing in the case's first workflow task (update-with-start), so its
    handler runs before the main method (the open-before-first-action patch); then the seed."""
    handle = await start_seed_routed(env.client, task_queue, await env.get_current_time())
    await answer_seed(handle)
    await sign_off_and_approve(handle)
    await env.sleep(timedelta(days=2))
    await handle.execute_update(FoiRequestWorkflow.issue_response, IssueResponse(actor=OFFICER))
    return handle


# Scenarios that start the case themselves.
STARTING: dict[str, Callable[[WorkflowEnvironment, str], Awaitable[Handle]]] = {
    "seed_routed_with_start": seed_routed_with_start,
}


async def review_complaint_complied(env: WorkflowEnvironment, worker: Any) -> WorkflowHistory:
    """The review stage of an issued seed case: a review upheld, a complaint, the regulator's
    information request, a decision notice with steps complied with, the appeal window out."""
    handle = await start_seed(env.client, worker.task_queue, await env.get_current_time())
    await seed_on_time(env, handle)
    with env.auto_time_skipping_disabled():
        await handle.result()
    view = await handle.query(FoiRequestWorkflow.state)
    calendars = calendar_repository(get_settings())
    await start_review_stage(env.client, worker.task_queue, view, calendars, "Europe/London")
    review = env.client.get_workflow_handle_for(
        ReviewWorkflow.run, review_workflow_id(view.reference)
    )
    reviewer = Actor(user_id="independent.reviewer", roles=[Role.FOI_OFFICER])

    async def today() -> date:
        return (await env.get_current_time()).astimezone(LONDON).date()

    await review.execute_update(
        ReviewWorkflow.request_review, RequestReview(actor=OFFICER, received_on=await today())
    )
    await review.execute_update(
        ReviewWorkflow.assign_reviewer, AssignReviewer(actor=OFFICER, reviewer=reviewer.user_id)
    )
    await env.sleep(timedelta(days=10))
    await review.execute_update(
        ReviewWorkflow.record_outcome,
        RecordReviewOutcome(actor=reviewer, outcome=ReviewOutcome.UPHELD, reasons="correct"),
    )
    await review.execute_update(
        ReviewWorkflow.record_complaint, RecordComplaint(actor=OFFICER, received_on=await today())
    )
    asked = await today()
    await review.execute_update(
        ReviewWorkflow.record_information_request,
        RecordInformationRequest(actor=OFFICER, received_on=asked, due=asked + timedelta(days=20)),
    )
    await env.sleep(timedelta(days=25))  # reminded before, on and after the date
    await review.execute_update(
        ReviewWorkflow.record_information_sent,
        RecordInformationSent(actor=OFFICER, sent_on=await today()),
    )
    await review.execute_update(
        ReviewWorkflow.record_decision_notice,
        RecordDecisionNotice(
            actor=OFFICER,
            issued_on=await today(),
            decision=NoticeDecision.PARTLY_UPHELD,
            steps="disclose the organisations' names",
        ),
    )
    await env.sleep(timedelta(days=30))
    await review.execute_update(
        ReviewWorkflow.record_compliance,
        RecordCompliance(actor=OFFICER, complied_on=await today()),
    )
    with env.auto_time_skipping_disabled():
        await review.result()
    return await review.fetch_history()


async def main(names: list[str]) -> None:
    """Record the scenarios ``names`` (every one when empty)."""
    known = [*SCENARIOS, *STARTING]
    unknown = set(names) - set(known) - {"review"}
    if unknown:
        raise SystemExit(f"error: no scenario {', '.join(sorted(unknown))} (known: {known})")
    settings = get_settings()
    migrate(settings.database_url)
    test_server = str(Path(sys.executable).parent / "temporal-test-server")
    # Plain payloads, no codec: the histories stay readable in review and key-free, and replaying
    # them checks that cases started before encryption still decode (the codec passes plain
    # payloads through). Encrypted histories are replayed in tests/services/test_payload_codec.py.
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter, test_server_existing_path=test_server
    )
    await register_search_attributes(env.client)
    try:
        with ThreadPoolExecutor(4) as executor:
            activities = store_activities(settings)
            async with build_worker(env.client, "record", executor, activities) as worker:
                if names == ["review"]:  # the review stage's history only
                    history = await review_complaint_complied(env, worker)
                    (HISTORIES / "review_complaint_complied.json").write_text(history.to_json())
                    print(f"recorded review_complaint_complied: {len(history.events)} events")
                    return
                for name in known:
                    if names and name not in names:
                        continue
                    if name in STARTING:
                        handle = await STARTING[name](env, worker.task_queue)
                    else:
                        handle = await start_seed(
                            env.client, worker.task_queue, await env.get_current_time()
                        )
                        await SCENARIOS[name](env, handle)
                    with env.auto_time_skipping_disabled():
                        await handle.result()
                    history = await handle.fetch_history()
                    (HISTORIES / f"{name}.json").write_text(history.to_json())
                    print(f"recorded {name}: {len(history.events)} events")
    finally:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
    sys.stdout.flush()
    # The histories are written; skip finalisation, which can abort while the Temporal core
    # runtime's threads are alive.
    os._exit(0)
