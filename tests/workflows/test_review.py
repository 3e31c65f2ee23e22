"""After the response, under time skipping: the review window, the internal review on its own
clock, the independence rule and the regulator stage (ReviewWorkflow, ``review-<reference>``)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.case import Actor
from domain.messages import IssueResponse
from domain.review import (
    AssignReviewer,
    ExtendReview,
    NoticeDecision,
    RecordComplaint,
    RecordCompliance,
    RecordDecisionNotice,
    RecordInformationRequest,
    RecordInformationSent,
    RecordReviewOutcome,
    RequestReview,
    ReviewOutcome,
    ReviewStage,
    ReviewView,
    review_workflow_id,
)
from services.reviews import start_review_stage
from settings import get_settings
from statute.exemptions import Role
from store.calendars import calendar_repository
from store.db import get_engine, session_scope
from store.models import OutboxRow
from store.reviews import get_review
from workflows.request import FoiRequestWorkflow
from workflows.review import ReviewWorkflow

from case_driver import (
    DPO,
    HATE,
    LONDON,
    OFFICER,
    SENIOR,
    VAWG,
    answer_seed,
    noon_on,
    route_seed,
    sign_off_and_approve,
    start_seed,
    state_of,
)

REVIEWER = Actor(user_id="independent.reviewer", roles=[Role.FOI_OFFICER])
ISSUER = Actor(user_id="issuing.officer", roles=[Role.FOI_OFFICER])
Review = WorkflowHandle[ReviewWorkflow, Any]


async def issued_seed(env: WorkflowEnvironment, worker: Worker) -> tuple[str, Review]:
    """The seed case answered, signed off, approved by OFFICER and issued by ISSUER."""
    handle = await start_seed(env.client, worker.task_queue, await env.get_current_time())
    await route_seed(handle)
    await answer_seed(handle)
    await sign_off_and_approve(handle)
    await handle.execute_update(FoiRequestWorkflow.issue_response, IssueResponse(actor=ISSUER))
    with env.auto_time_skipping_disabled():
        await handle.result()  # the request ends at issue, as it always has
    view = await state_of(handle)
    calendars = calendar_repository(get_settings())
    assert await start_review_stage(env.client, worker.task_queue, view, calendars, "Europe/London")
    # Idempotent by id: issuing again (a retried request) starts nothing more.
    assert not await start_review_stage(
        env.client, worker.task_queue, view, calendars, "Europe/London"
    )
    review: Review = env.client.get_workflow_handle_for(
        ReviewWorkflow.run, review_workflow_id(handle.id)
    )
    return handle.id, review


async def view_of(review: Review) -> ReviewView:
    view: ReviewView = await review.query(ReviewWorkflow.state)
    return view


async def today(env: WorkflowEnvironment) -> date:
    return (await env.get_current_time()).astimezone(LONDON).date()


async def refused(review: Review, update: Any, arg: Any) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await review.execute_update(update, arg)
    cause = caught.value.cause
    assert isinstance(cause, ApplicationError)
    # The time-skipping test server can lose an update sent straight after a rejected one
    # while a timer's workflow task is in flight; a query first lets that task finish.
    await review.query(ReviewWorkflow.state)
    return cause.message


def stored(reference: str) -> ReviewView:
    with session_scope(get_engine(get_settings().database_url)) as session:
        view = get_review(session, reference)
    assert view is not None
    return view


def outbox_bodies(reference: str) -> list[str]:
    with session_scope(get_engine(get_settings().database_url)) as session:
        rows = session.scalars(
            select(OutboxRow).where(OutboxRow.reference == reference)  # type: ignore[arg-type]
        ).all()
        return [r.body for r in rows if r.kind == "review_deadline"]


async def test_review_upheld_on_time(env: WorkflowEnvironment, worker: Worker) -> None:
    reference, review = await issued_seed(env, worker)
    view = await view_of(review)
    assert view.stage == ReviewStage.WINDOW and view.window_ends is not None
    assert "may ask for an internal review" in view.timeline[0].text

    await env.sleep(timedelta(days=10))
    asked = await today(env)
    await review.execute_update(
        ReviewWorkflow.request_review,
        RequestReview(actor=OFFICER, received_on=asked, grounds="s31 applied too widely"),
    )
    view = await view_of(review)
    assert view.stage == ReviewStage.UNDER_REVIEW and view.due is not None
    assert (view.due - asked).days >= 26  # 20 working days: four weeks and more
    await review.execute_update(
        ReviewWorkflow.assign_reviewer, AssignReviewer(actor=OFFICER, reviewer=REVIEWER.user_id)
    )
    await env.sleep(timedelta(days=7))
    await review.execute_update(
        ReviewWorkflow.record_outcome,
        RecordReviewOutcome(
            actor=REVIEWER, outcome=ReviewOutcome.UPHELD, reasons="s31 was correctly applied"
        ),
    )
    view = await view_of(review)
    assert view.stage == ReviewStage.DECIDED
    assert view.outcome == ReviewOutcome.UPHELD and view.on_time is True
    assert "on time" in view.timeline[-1].text and "upheld" in view.timeline[-1].text
    assert stored(reference).outcome == ReviewOutcome.UPHELD


async def test_review_overturned_late_reminds_the_reviewer(
    env: WorkflowEnvironment, worker: Worker
) -> None:
    reference, review = await issued_seed(env, worker)
    asked = await today(env)
    await review.execute_update(
        ReviewWorkflow.request_review, RequestReview(actor=OFFICER, received_on=asked)
    )
    await review.execute_update(
        ReviewWorkflow.assign_reviewer, AssignReviewer(actor=OFFICER, reviewer=REVIEWER.user_id)
    )
    due = (await view_of(review)).due
    assert due is not None
    await env.sleep(noon_on(due + timedelta(days=5)) - await env.get_current_time())
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await review.execute_update(
            ReviewWorkflow.record_outcome,
            RecordReviewOutcome(actor=REVIEWER, outcome=ReviewOutcome.OVERTURNED, reasons="x"),
        )
    assert "now_disclosed: say what is now disclosed" in str(caught.value.cause)
    await review.execute_update(
        ReviewWorkflow.record_outcome,
        RecordReviewOutcome(
            actor=REVIEWER,
            outcome=ReviewOutcome.OVERTURNED,
            reasons="the prejudice was not shown",
            now_disclosed="the names of the organisations on the panels",
        ),
    )
    view = await view_of(review)
    assert view.outcome == ReviewOutcome.OVERTURNED and view.on_time is False
    assert "LATE" in view.timeline[-1].text
    assert "now disclosed: the names of the organisations" in view.timeline[-1].text
    reminders = [e.text for e in view.timeline if e.kind == "reminder"]
    assert any("due today" in r and "user:independent.reviewer" in r for r in reminders)
    assert any("OVERDUE" in r for r in reminders)
    assert any("OVERDUE" in body for body in outbox_bodies(reference))


async def test_foia_review_extends_to_forty_working_days_once(
    env: WorkflowEnvironment, worker: Worker
) -> None:
    _, review = await issued_seed(env, worker)
    await review.execute_update(
        ReviewWorkflow.request_review, RequestReview(actor=OFFICER, received_on=await today(env))
    )
    before = (await view_of(review)).due
    message = await refused(
        review, ReviewWorkflow.extend_review, ExtendReview(actor=OFFICER, reason=" ")
    )
    assert message.startswith("reason:")
    await review.execute_update(
        ReviewWorkflow.extend_review, ExtendReview(actor=OFFICER, reason="many documents")
    )
    view = await view_of(review)
    assert view.extended and before is not None and view.due is not None
    assert (view.due - before).days >= 26
    message = await refused(
        review, ReviewWorkflow.extend_review, ExtendReview(actor=OFFICER, reason="more")
    )
    assert "already extended to 40 working days" in message


async def test_no_one_who_took_part_may_review(env: WorkflowEnvironment, worker: Worker) -> None:
    _, review = await issued_seed(env, worker)
    await review.execute_update(
        ReviewWorkflow.request_review, RequestReview(actor=OFFICER, received_on=await today(env))
    )
    for who, part in (
        (VAWG, "answered"),
        (HATE, "answered"),
        (SENIOR, "signed off"),
        (DPO, "signed off"),
        (OFFICER, "approved"),
        (ISSUER, "issued"),
    ):
        message = await refused(
            review,
            ReviewWorkflow.assign_reviewer,
            AssignReviewer(actor=OFFICER, reviewer=who.user_id),
        )
        assert message.startswith(f"reviewer: {who.user_id} {part}"), message
        assert "someone not involved in the original decision" in message
    # The outcome is the assigned reviewer's alone.
    await review.execute_update(
        ReviewWorkflow.assign_reviewer, AssignReviewer(actor=OFFICER, reviewer=REVIEWER.user_id)
    )
    message = await refused(
        review,
        ReviewWorkflow.record_outcome,
        RecordReviewOutcome(actor=OFFICER, outcome=ReviewOutcome.UPHELD, reasons="fine"),
    )
    assert message == "actor: only the assigned reviewer (independent.reviewer) records the outcome"
    view = await view_of(review)
    assert view.reviewer == REVIEWER.user_id and view.outcome is None


async def test_window_closes_the_case_for_good(env: WorkflowEnvironment, worker: Worker) -> None:
    reference, review = await issued_seed(env, worker)
    window_ends = (await view_of(review)).window_ends
    assert window_ends is not None
    await env.sleep(noon_on(window_ends + timedelta(days=1)) - await env.get_current_time())
    result = await review.result()
    assert result.stage == ReviewStage.CLOSED and result.outcome is None
    view = await view_of(review)
    assert view.timeline[-1].text == (
        f"no review was asked for by {window_ends}: the case is closed for good"
    )
    assert stored(reference).stage == ReviewStage.CLOSED
    with pytest.raises(Exception):  # noqa: B017 - a completed workflow takes no update
        await review.execute_update(
            ReviewWorkflow.request_review,
            RequestReview(actor=OFFICER, received_on=window_ends),
        )


async def test_complaint_with_decision_notice_complied_with(
    env: WorkflowEnvironment, worker: Worker
) -> None:
    reference, review = await issued_seed(env, worker)
    await review.execute_update(
        ReviewWorkflow.request_review, RequestReview(actor=OFFICER, received_on=await today(env))
    )
    await review.execute_update(
        ReviewWorkflow.assign_reviewer, AssignReviewer(actor=OFFICER, reviewer=REVIEWER.user_id)
    )
    await review.execute_update(
        ReviewWorkflow.record_outcome,
        RecordReviewOutcome(actor=REVIEWER, outcome=ReviewOutcome.UPHELD, reasons="correct"),
    )
    await env.sleep(timedelta(days=20))
    await review.execute_update(
        ReviewWorkflow.record_complaint,
        RecordComplaint(actor=OFFICER, received_on=await today(env), regulator_reference="IC-1"),
    )
    view = await view_of(review)
    assert view.stage == ReviewStage.WITH_REGULATOR
    assert "the Information Commissioner under section 50" in view.timeline[-1].text
    asked = await today(env)
    await review.execute_update(
        ReviewWorkflow.record_information_request,
        RecordInformationRequest(actor=OFFICER, received_on=asked, due=asked + timedelta(days=20)),
    )
    await env.sleep(timedelta(days=10))
    await review.execute_update(
        ReviewWorkflow.record_information_sent,
        RecordInformationSent(actor=OFFICER, sent_on=await today(env)),
    )
    await env.sleep(timedelta(days=30))
    notice_on = await today(env)
    message = await refused(
        review,
        ReviewWorkflow.record_decision_notice,
        RecordDecisionNotice(actor=OFFICER, issued_on=notice_on, decision=NoticeDecision.UPHELD),
    )
    assert message.startswith("steps:")
    await review.execute_update(
        ReviewWorkflow.record_decision_notice,
        RecordDecisionNotice(
            actor=OFFICER,
            issued_on=notice_on,
            decision=NoticeDecision.PARTLY_UPHELD,
            notice_reference="IC-1-DN",
            steps="disclose the names of the organisations",
        ),
    )
    view = await view_of(review)
    assert view.regulator is not None
    assert view.regulator.compliance_due == notice_on + timedelta(days=35)
    assert view.regulator.appeal_by == notice_on + timedelta(days=28)
    # Reminded before the compliance date, like any deadline.
    await env.sleep(timedelta(days=33))
    bodies = outbox_bodies(reference)
    assert any("steps the decision notice orders due" in b for b in bodies)
    await review.execute_update(
        ReviewWorkflow.record_compliance,
        RecordCompliance(actor=OFFICER, complied_on=await today(env)),
    )
    result = await review.result()  # the appeal window had passed: closed for good
    assert result.stage == ReviewStage.CLOSED
    view = await view_of(review)
    kinds = [e.kind for e in view.timeline]
    for kind in (
        "review_window",
        "review_requested",
        "reviewer_assigned",
        "review_decided",
        "complaint",
        "regulator_information_request",
        "regulator_information_sent",
        "decision_notice",
        "complied",
        "closed",
    ):
        assert kind in kinds, kind
    assert "(on time)" in next(e.text for e in view.timeline if e.kind == "complied")
    assert stored(reference).regulator is not None
