"""FoiRequestWorkflow: one durable workflow per information request, from receipt to issue.

Updates (human actions; each validator rejects bad input before anything reaches history; each
returns an ``UpdateResult``, the ``state`` query gives the whole case):
    route_questions     FOI officer routes questions to owning units (creates tasks)
    reassign_task       FOI officer moves a task to another unit
    answer_task         a member of the owning unit answers (revisable until sign-off starts)
    decide_sign_off     the policy's role approves or rejects an exemption claimed across questions
    record_clock_event  FOI officer: clarification, fees notice/fee, extensions (statute core rules)
    decide_cost         FOI officer: refuse under s12 with s16 advice, or continue
    refuse_vexatious    FOI officer: refuse the request under s14 (s17(5) notice, or s17(6))
    approve_response    FOI officer approves the composed response (optionally edited)
    issue_response      FOI officer records the response as sent
    close_case          FOI officer: the requester withdrew
Signals:
    calendar_changed    a new calendar version exists: reload it and re-plan every deadline
Queries:
    state               the full CaseView (clock with explanation, tasks, sign-offs, timeline)

Orchestration only: the rules are in ``rules``, the case's changes in ``case_file``, reminder
planning in ``reminders``, the view in ``view``; this class waits, calls activities and publishes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.case_activities import CALENDAR_FAILURES, CALENDAR_NOT_FOUND, CaseActivities
    from domain.case import CaseView
    from domain.messages import (
        AnswerTask,
        ApproveResponse,
        CalendarChanged,
        CarriedCalendar,
        CaseResult,
        CloseCase,
        CostDecision,
        IssueResponse,
        LoadCalendar,
        ReassignTask,
        RecordClockEvent,
        RefuseVexatious,
        RequestInput,
        RouteQuestions,
        SignOffDecision,
        UpdateResult,
    )
    from domain.projection import ProjectionBaseline
    from workflows import rules
    from workflows.case_file import CaseFile, Input
    from workflows.rules import Rejected
    from workflows.search_attributes import case_search_values, search_attribute_updates

ACTIVITY_TIMEOUT = timedelta(seconds=30)
ACTIVITY_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=1))
# Always a timer, so the wait never switches between no timeout and one (non-deterministic).
IDLE_WAKE = timedelta(days=30)
# Messages about what happens on a case (acknowledgement, task assigned, sign-offs, response
# issued…) go to the outbox through send_notification: new commands, so behind a patch.
NOTIFY_EVENTS_PATCH = "notify-events"
# The read model gets what changed, with the messages to queue, in one activity
# (``project_changes``) instead of the whole case each time plus one activity per message.
LEAN_PROJECTION_PATCH = "lean-projection"
# A calendar change carries the calendar: a case re-plans from the signal, with no activity to
# load its window (one activity and one workflow task fewer for each running case).
CALENDAR_IN_SIGNAL_PATCH = "calendar-in-signal"

# An action in the same workflow task as the start (update-with-start, or a worker slow to take
# a new case) runs before the main method opens the case: it opens it first, so the receipt and
# its acknowledgement come first. Behind a patch: a case that met this before replays as it ran.
OPEN_BEFORE_FIRST_ACTION_PATCH = "open-before-first-action"

__all__ = ["FoiRequestWorkflow", "Rejected"]


@workflow.defn(name="FoiRequestWorkflow")
class FoiRequestWorkflow:
    @workflow.init
    def __init__(self, inp: RequestInput) -> None:
        self._case = CaseFile(inp, now=workflow.now)
        # The newest calendar change not yet applied (its version, and the calendar it carried).
        self._pending_calendar: CalendarChanged | None = None
        self._projected_version = -1
        self._projected_seq = 0
        self._search_values: dict[str, Any] = {}
        self._baseline = ProjectionBaseline()

    # ---- run ------------------------------------------------------------------------------

    @workflow.run
    async def run(self, inp: RequestInput) -> CaseResult:
        case = self._case
        if case.opening:
            await self._open_with_a_calendar()
        case.open()
        while True:
            if self._pending_calendar is not None:
                change, self._pending_calendar = self._pending_calendar, None
                received_on = case.intake.received_at.date()
                loaded = self._carried_window(change.version, received_on, change.calendar)
                if loaded is None:
                    loaded = await self._load_calendar(change.version, received_on)
                if loaded is not None:
                    case.change_calendar(change.version, loaded)
            case.check_lapse()
            await self._send_and_publish()
            if case.closed:
                break
            if self._history_is_long():
                # Weeks of daily reminders must never reach the history limits: carry the state
                # into a fresh run once no handler is mid-flight.
                await workflow.wait_condition(workflow.all_handlers_finished)
                if self._pending_calendar is None:
                    # The new run publishes (projection, search attributes) as it starts.
                    workflow.continue_as_new(
                        RequestInput(intake=case.intake, policy=case.policy, state=case.state)
                    )
                continue  # a calendar change arrived while waiting: apply it first
            wake = case.next_wake()
            timeout = max(wake - workflow.now(), timedelta(seconds=1)) if wake else IDLE_WAKE
            seen = case.state.version
            if workflow.patched("reproject-after-racing-update"):
                # An update handled while the projection ran is newer than what was projected:
                # compare with that, or the read model lags until the case next wakes.
                seen = self._projected_version
            try:
                await workflow.wait_condition(self._changed_since(seen), timeout=timeout)
            except TimeoutError:
                await self._send_due_reminders()
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._send_and_publish()
        return CaseResult(
            reference=case.intake.reference,
            status=case.state.status,
            outcome=case.state.outcome,
            on_time=case.issued_in_time(),
        )

    def _history_is_long(self) -> bool:
        info = workflow.info()
        return (
            info.is_continue_as_new_suggested()
            or info.get_current_history_length() > self._case.policy.history_event_limit
        )

    def _changed_since(self, seen: int) -> Callable[[], bool]:
        return lambda: self._case.state.version != seen or self._pending_calendar is not None

    # ---- queries --------------------------------------------------------------------------

    @workflow.query
    def state(self) -> CaseView:
        if self._case.opening:
            raise Rejected("the case is still opening (loading its calendar)")
        return self._case.view()

    # ---- signals --------------------------------------------------------------------------

    @workflow.signal
    def calendar_changed(self, change: CalendarChanged) -> None:
        # Batch signals may arrive more than once and out of order: only a newer version counts.
        current = 0 if self._case.opening else self._case.calendar().version
        pending = self._pending_calendar.version if self._pending_calendar else 0
        if change.version > max(current, pending):
            self._pending_calendar = change

    # ---- updates --------------------------------------------------------------------------

    @workflow.update
    def route_questions(self, inp: RouteQuestions) -> UpdateResult:
        return self._act(self._case.route, inp)

    @route_questions.validator
    def _validate_route(self, inp: RouteQuestions) -> None:
        rules.check_route(self._case.state, self._case.intake.questions, inp)
        self._fresh(inp.expected_version)

    @workflow.update
    def reassign_task(self, inp: ReassignTask) -> UpdateResult:
        return self._act(self._case.reassign, inp)

    @reassign_task.validator
    def _validate_reassign(self, inp: ReassignTask) -> None:
        rules.check_reassign(self._case.state, inp)
        self._fresh(inp.expected_version)

    @workflow.update
    def answer_task(self, inp: AnswerTask) -> UpdateResult:
        return self._act(self._case.answer, inp)

    @answer_task.validator
    def _validate_answer(self, inp: AnswerTask) -> None:
        rules.check_answer(self._case.state, inp, self._case.intake.regime)
        self._fresh(inp.expected_version)

    @workflow.update
    def decide_sign_off(self, inp: SignOffDecision) -> UpdateResult:
        return self._act(self._case.decide_sign_off, inp)

    @decide_sign_off.validator
    def _validate_sign_off(self, inp: SignOffDecision) -> None:
        rules.check_sign_off(self._case.state, inp, self._case.intake.regime)
        self._fresh(inp.expected_version)

    @workflow.update
    def record_clock_event(self, inp: RecordClockEvent) -> UpdateResult:
        return self._act(self._case.record_clock_event, inp)

    @record_clock_event.validator
    def _validate_clock_event(self, inp: RecordClockEvent) -> None:
        rules.check_clock_event(
            self._case.state, inp, workflow.now(), self._case.clock, self._case.intake.regime
        )
        self._fresh(inp.expected_version)

    @workflow.update
    def decide_cost(self, inp: CostDecision) -> UpdateResult:
        return self._act(self._case.decide_cost, inp)

    @decide_cost.validator
    def _validate_cost(self, inp: CostDecision) -> None:
        rules.check_cost(self._case.state, inp)
        self._fresh(inp.expected_version)

    @workflow.update
    def refuse_vexatious(self, inp: RefuseVexatious) -> UpdateResult:
        return self._act(self._case.refuse_vexatious, inp)

    @refuse_vexatious.validator
    def _validate_refuse_vexatious(self, inp: RefuseVexatious) -> None:
        rules.check_refuse_vexatious(self._case.state, inp, self._case.intake.regime)
        self._fresh(inp.expected_version)

    @workflow.update
    def approve_response(self, inp: ApproveResponse) -> UpdateResult:
        return self._act(self._case.approve, inp)

    @approve_response.validator
    def _validate_approve(self, inp: ApproveResponse) -> None:
        rules.check_approve(self._case.state, inp, self._case.intake.regime)
        self._fresh(inp.expected_version)

    @workflow.update
    def issue_response(self, inp: IssueResponse) -> UpdateResult:
        return self._act(self._case.issue, inp)

    @issue_response.validator
    def _validate_issue(self, inp: IssueResponse) -> None:
        rules.check_issue(self._case.state, inp)
        self._fresh(inp.expected_version)

    @workflow.update
    def close_case(self, inp: CloseCase) -> UpdateResult:
        return self._act(self._case.withdraw, inp)

    @close_case.validator
    def _validate_close(self, inp: CloseCase) -> None:
        rules.check_close(self._case.state, inp)
        self._fresh(inp.expected_version)

    def _act(self, change: Callable[[Input], None], inp: Input) -> UpdateResult:
        case = self._case
        if case.unopened and workflow.patched(OPEN_BEFORE_FIRST_ACTION_PATCH):
            case.open()
        return case.apply(change, inp)

    def _fresh(self, expected_version: int | None) -> None:
        rules.check_fresh(self._case.state, expected_version, workflow.now(), self._case.zone)

    # ---- side effects ---------------------------------------------------------------------

    async def _send_due_reminders(self) -> None:
        now = workflow.now()
        due = [r for r in self._case.planned_reminders() if r.at <= now]
        for reminder in due:
            await workflow.execute_activity_method(
                CaseActivities.send_notification,
                reminder.notification(self._case.intake.reference),
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=ACTIVITY_RETRY,
            )
            self._case.reminder_sent(reminder)
        self._case.touch()

    async def _send_and_publish(self) -> None:
        if workflow.patched(LEAN_PROJECTION_PATCH):
            await self._project_changes()
        else:
            await self._send_notices()
            await self._publish()

    async def _project_changes(self) -> None:
        """Queue the messages actions called for and project what changed, in one activity;
        refresh search attributes when they moved."""
        case = self._case
        view = case.view()
        self._upsert_search_attributes(view)
        notices = case.pending_notices()
        if view.version == self._projected_version and not notices:
            return
        changes = self._baseline.changes(view)
        changes.timeline = [e for e in view.timeline if e.seq > self._projected_seq]
        changes.notices = notices
        await workflow.execute_activity_method(
            CaseActivities.project_changes,
            changes,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=ACTIVITY_RETRY,
        )
        self._baseline.sent()
        for notice in notices:
            case.notice_sent(notice)  # handlers only append: the ones sent are still there
        self._projected_version = view.version
        self._projected_seq = view.timeline[-1].seq if view.timeline else 0

    def _upsert_search_attributes(self, view: CaseView) -> None:
        values = case_search_values(view)
        if values != self._search_values:
            workflow.upsert_search_attributes(search_attribute_updates(values))
            self._search_values = values

    async def _send_notices(self) -> None:
        """Hand the messages actions called for to the outbox, oldest first."""
        case = self._case
        if not case.pending_notices():
            return
        if not workflow.patched(NOTIFY_EVENTS_PATCH):
            # Replaying a run from before these messages existed: it sent none, so none is sent.
            case.drop_notices()
            return
        for notice in case.pending_notices():
            await workflow.execute_activity_method(
                CaseActivities.send_notification,
                notice,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=ACTIVITY_RETRY,
            )
            # Handlers only append, so the one sent is still in the list.
            case.notice_sent(notice)

    async def _publish(self) -> None:
        """Before ``LEAN_PROJECTION_PATCH``: the whole case to the store (new timeline entries
        only) and search attributes refreshed when anything changed."""
        view = self._case.view()
        self._upsert_search_attributes(view)
        if view.version != self._projected_version:
            # The store appends timeline entries by seq: send only the new ones, so histories
            # grow with the case rather than with its square.
            fresh = [e for e in view.timeline if e.seq > self._projected_seq]
            await workflow.execute_activity_method(
                CaseActivities.project_case,
                view.model_copy(update={"timeline": fresh}),
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=ACTIVITY_RETRY,
            )
            self._projected_version = view.version
            self._projected_seq = view.timeline[-1].seq if view.timeline else 0

    async def _open_with_a_calendar(self) -> None:
        """Load the calendar a case started without: the policy's version, else the newest,
        else whichever version is announced next (the case waits for it, queries answered)."""
        case = self._case
        received_on = case.intake.received_at.date()
        waits = "the case waits for a calendar it can count on"
        version = case.policy.calendar_version
        if version is None:
            loaded = await self._load_calendar(None, received_on, waits)
        else:
            newest = "the case opens on the newest calendar instead"
            loaded = await self._load_calendar(version, received_on, newest)
            if loaded is None:
                loaded = await self._load_calendar(None, received_on, waits)
        while loaded is None:
            await workflow.wait_condition(lambda: self._pending_calendar is not None)
            change, self._pending_calendar = self._pending_calendar, None
            assert change is not None  # what the wait above waited for
            # Opening loads from the store whatever the signal carried.
            loaded = await self._load_calendar(change.version, received_on, waits)
        case.opened_with(loaded)

    def _carried_window(
        self, version: int, received_on: date, carried: CarriedCalendar | None
    ) -> dict[str, Any] | None:
        """The case's window of calendar ``version`` cut from what the signal carried; None
        when it carried none or not all of the window (then the store is asked)."""
        if carried is None or not workflow.patched(CALENDAR_IN_SIGNAL_PATCH):
            return None
        return LoadCalendar.around(version, received_on).cut_from(carried)

    async def _load_calendar(
        self, version: int | None, received_on: date, meanwhile: str = ""
    ) -> dict[str, Any] | None:
        """Calendar ``version`` cut to the case's window; None, with a problem recorded, when
        the store has no such version or it cannot be used (no retry would mend that)."""
        try:
            loaded: dict[str, Any] = await workflow.execute_activity_method(
                CaseActivities.load_calendar,
                LoadCalendar.around(version, received_on),
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=ACTIVITY_RETRY,
            )
        except ActivityError as exc:
            cause = exc.cause
            if not (isinstance(cause, ApplicationError) and cause.type in CALENDAR_FAILURES):
                raise
            # A history without the marker comes from code that let this failure fail the case.
            if not workflow.patched("calendar-problem"):
                raise
            self._case.problem("calendar", self._calendar_problem(version, cause, meanwhile))
            return None
        return loaded

    def _calendar_problem(
        self, version: int | None, cause: ApplicationError, meanwhile: str
    ) -> str:
        wanted = "the newest calendar" if version is None else f"calendar v{version}"
        what = "does not exist" if cause.type == CALENDAR_NOT_FOUND else "cannot be used"
        if not meanwhile:
            meanwhile = f"the case keeps counting on v{self._case.calendar().version}"
        return (
            f"{wanted} {what}; {meanwhile} ({cause.message}). Announce a stored version: "
            "`foiflow calendar notify --version N` (`foiflow calendar show --all` lists them)"
        )
