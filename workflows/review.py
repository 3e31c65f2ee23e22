"""ReviewWorkflow: a request's life after its response — the review window, the internal review
and the regulator stage — as its own workflow, linked to the request by reference (workflow id
``review-<reference>``).

Why linked by reference rather than a child of the request workflow:

* the request workflow stays exactly as deployed: it ends at issue, so no running or recorded
  request history changes, nothing needs a patch, and the request's history never holds a
  review's months (weeks of review, months with the regulator);
* a review outlives its request by months; a child abandoned by a closed parent is a corner of
  Temporal with known sharp edges (resets of the parent disabled, the time-skipping test server
  hanging when such a child completes), where a top-level workflow is the common case;
* the start is idempotent by id: the service starts it as the response is issued, and opening a
  review starts it first if it is missing (an issue whose start was lost), so every issued case
  has exactly one, found from its reference alone.

The independence rule needs who answered, signed off, approved and issued the original: the
service reads that from the request workflow's own record (its ``state`` query, which a closed
workflow still answers) and passes it in at start — no caller names the participants.

Updates (validators reject bad input before anything reaches history):
    request_review             FOI officer, from the requester's message (the date received)
    assign_reviewer            FOI officer; refused for anyone who took part in the original
    extend_review              FOI officer: FOIA only, to 40 working days (s45 Code para 5.5)
    record_outcome             the assigned reviewer: upheld / partly upheld / overturned
    record_complaint           FOI officer: the regulator has a complaint (ICO s50; SIC s47)
    record_information_request / record_information_sent
    record_decision_notice     the notice, the steps it orders and their compliance date
    record_compliance / record_appeal / close
Query: ``state`` gives the ``ReviewView``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.case_activities import CaseActivities
    from domain.messages import LoadCalendar
    from domain.review import (
        AssignReviewer,
        CloseReview,
        ExtendReview,
        RecordAppeal,
        RecordComplaint,
        RecordCompliance,
        RecordDecisionNotice,
        RecordInformationRequest,
        RecordInformationSent,
        RecordReviewOutcome,
        RequestReview,
        ReviewInput,
        ReviewResult,
        ReviewUpdateResult,
        ReviewView,
    )
    from workflows.review_file import Input, ReviewFile

ACTIVITY_TIMEOUT = timedelta(seconds=30)
ACTIVITY_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=1))
IDLE_WAKE = timedelta(days=30)
HISTORY_LIMIT = 10_000

# An action in the same workflow task as the start (opening a review starts a stage that did
# not start at issue, then asks for the review) runs before the main method opens the window: it
# opens it first. Behind a patch: a stage that met this before replays as it ran.
OPEN_BEFORE_FIRST_ACTION_PATCH = "open-before-first-action"

__all__ = ["ReviewWorkflow"]


@workflow.defn(name="ReviewWorkflow")
class ReviewWorkflow:
    @workflow.init
    def __init__(self, inp: ReviewInput) -> None:
        self._file = ReviewFile(inp, now=workflow.now)
        self._projected = -1

    @workflow.run
    async def run(self, inp: ReviewInput) -> ReviewResult:
        review = self._file
        if review.inp.calendar is None:
            review.loaded(
                await workflow.execute_activity_method(
                    CaseActivities.load_calendar,
                    LoadCalendar.around(inp.calendar_version, inp.issued_at.date()),
                    start_to_close_timeout=ACTIVITY_TIMEOUT,
                    retry_policy=ACTIVITY_RETRY,
                )
            )
        review.open_window()
        while True:
            if review.window_passed():
                review.close_window()
            review.settle()
            await self._send_notices()
            await self._publish()
            if review.closed:
                break
            if workflow.info().get_current_history_length() > HISTORY_LIMIT:
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(review.inp.model_copy(update={"state": review.state}))
            wake = review.next_wake()
            timeout = max(wake - workflow.now(), timedelta(seconds=1)) if wake else IDLE_WAKE
            try:
                await workflow.wait_condition(
                    self._changed_since(review.state.version), timeout=timeout
                )
            except TimeoutError:
                await self._send_due_reminders()
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._publish()
        s = review.state
        return ReviewResult(
            reference=inp.reference, stage=s.stage, outcome=s.outcome, on_time=s.on_time
        )

    def _changed_since(self, seen: int) -> Callable[[], bool]:
        return lambda: self._file.state.version != seen

    def _act(self, change: Callable[[Input], None], inp: Input) -> ReviewUpdateResult:
        review = self._file
        if review.window_unopened and workflow.patched(OPEN_BEFORE_FIRST_ACTION_PATCH):
            review.open_window()
        return review.apply(change, inp)

    @workflow.query
    def state(self) -> ReviewView:
        if self._file.inp.calendar is None:
            raise ApplicationError("the review is still opening (loading its calendar)")
        return self._file.view()

    # ---- updates ---------------------------------------------------------------------------

    @workflow.update
    def request_review(self, inp: RequestReview) -> ReviewUpdateResult:
        return self._act(self._file.request, inp)

    @request_review.validator
    def _v_request(self, inp: RequestReview) -> None:
        self._file.ready()
        self._file.check_request(inp)

    @workflow.update
    def assign_reviewer(self, inp: AssignReviewer) -> ReviewUpdateResult:
        return self._act(self._file.assign, inp)

    @assign_reviewer.validator
    def _v_assign(self, inp: AssignReviewer) -> None:
        self._file.ready()
        self._file.check_assign(inp)

    @workflow.update
    def extend_review(self, inp: ExtendReview) -> ReviewUpdateResult:
        return self._act(self._file.extend, inp)

    @extend_review.validator
    def _v_extend(self, inp: ExtendReview) -> None:
        self._file.ready()
        self._file.check_extend(inp)

    @workflow.update
    def record_outcome(self, inp: RecordReviewOutcome) -> ReviewUpdateResult:
        return self._act(self._file.decide, inp)

    @record_outcome.validator
    def _v_outcome(self, inp: RecordReviewOutcome) -> None:
        self._file.ready()
        self._file.check_outcome(inp)

    @workflow.update
    def record_complaint(self, inp: RecordComplaint) -> ReviewUpdateResult:
        return self._act(self._file.complaint, inp)

    @record_complaint.validator
    def _v_complaint(self, inp: RecordComplaint) -> None:
        self._file.ready()
        self._file.check_complaint(inp)

    @workflow.update
    def record_information_request(self, inp: RecordInformationRequest) -> ReviewUpdateResult:
        return self._act(self._file.information_request, inp)

    @record_information_request.validator
    def _v_information_request(self, inp: RecordInformationRequest) -> None:
        self._file.ready()
        self._file.check_information_request(inp)

    @workflow.update
    def record_information_sent(self, inp: RecordInformationSent) -> ReviewUpdateResult:
        return self._act(self._file.information_sent, inp)

    @record_information_sent.validator
    def _v_information_sent(self, inp: RecordInformationSent) -> None:
        self._file.ready()
        self._file.check_information_sent(inp)

    @workflow.update
    def record_decision_notice(self, inp: RecordDecisionNotice) -> ReviewUpdateResult:
        return self._act(self._file.decision_notice, inp)

    @record_decision_notice.validator
    def _v_decision_notice(self, inp: RecordDecisionNotice) -> None:
        self._file.ready()
        self._file.check_decision_notice(inp)

    @workflow.update
    def record_compliance(self, inp: RecordCompliance) -> ReviewUpdateResult:
        return self._act(self._file.compliance, inp)

    @record_compliance.validator
    def _v_compliance(self, inp: RecordCompliance) -> None:
        self._file.ready()
        self._file.check_compliance(inp)

    @workflow.update
    def record_appeal(self, inp: RecordAppeal) -> ReviewUpdateResult:
        return self._act(self._file.appeal, inp)

    @record_appeal.validator
    def _v_appeal(self, inp: RecordAppeal) -> None:
        self._file.ready()
        self._file.check_appeal(inp)

    @workflow.update
    def close(self, inp: CloseReview) -> ReviewUpdateResult:
        return self._act(self._file.close, inp)

    @close.validator
    def _v_close(self, inp: CloseReview) -> None:
        self._file.ready()
        self._file.check_close(inp)

    # ---- side effects ------------------------------------------------------------------------

    async def _send_due_reminders(self) -> None:
        for notice in self._file.due_reminders():
            await self._notify(notice)
            self._file.reminder_sent(notice)

    async def _send_notices(self) -> None:
        while self._file.state.notices:
            notice = self._file.state.notices[0]
            await self._notify(notice)
            self._file.state.notices.remove(notice)

    async def _notify(self, notice: Any) -> None:
        await workflow.execute_activity_method(
            CaseActivities.send_notification,
            notice,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=ACTIVITY_RETRY,
        )

    async def _publish(self) -> None:
        view = self._file.view()
        if view.version == self._projected:
            return
        await workflow.execute_activity_method(
            CaseActivities.project_review,
            view,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=ACTIVITY_RETRY,
        )
        self._projected = view.version
