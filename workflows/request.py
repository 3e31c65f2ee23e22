"""FoiRequestWorkflow: one durable workflow per information request, from receipt to issue.

Updates (human actions; each validator rejects bad input before anything reaches history):
    route_questions     FOI officer routes questions to owning units (creates tasks)
    reassign_task       FOI officer moves a task to another unit
    answer_task         a member of the owning unit answers (revisable until sign-off starts)
    decide_sign_off     the policy's role approves or rejects an exemption claimed across questions
    record_clock_event  FOI officer: clarification, fees notice/fee, extensions (statute core rules)
    decide_cost         FOI officer: refuse under s12 with s16 advice, or continue
    approve_response    FOI officer approves the composed response (optionally edited)
    issue_response      FOI officer records the response as sent
    close_case          FOI officer: the requester withdrew
Signals:
    calendar_changed    a new calendar version exists: reload it and re-plan every deadline
Queries:
    state               the full CaseView (clock with explanation, tasks, sign-offs, timeline)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    import pendulum

    from domain.case import (
        CLOSED_STATUSES,
        Actor,
        Answer,
        AnswerKind,
        CaseStatus,
        CaseView,
        ClockView,
        ReminderSent,
        ResponseDraft,
        SignOff,
        SignOffStatus,
        Task,
        TaskStatus,
        TimelineEntry,
    )
    from domain.messages import (
        AnswerTask,
        ApproveResponse,
        CalendarChanged,
        CaseResult,
        CaseState,
        ClockEventRecord,
        CloseCase,
        CostDecision,
        IssueResponse,
        LoadCalendar,
        Notification,
        ReassignTask,
        RecordClockEvent,
        RequestInput,
        RouteQuestions,
        SignOffDecision,
    )
    from statute import (
        CalendarData,
        ClockError,
        ClockEvent,
        ClockEventKind,
        ClockOptions,
        ClockState,
        ExtensionKind,
        WorkingDayCalendar,
        calendar_for,
        compute_clock,
        get_regime,
        local_date,
    )
    from statute.exemptions import (
        OUTCOME_LABELS,
        Outcome,
        Role,
        UnknownExemptionError,
        get_exemption,
    )
    from workflows import letter
    from workflows.search_attributes import (
        FOI_DUE_DATE,
        FOI_OVERDUE,
        FOI_REGIME,
        FOI_STATUS,
        FOI_UNITS,
        due_date_value,
    )

ACTIVITY_TIMEOUT = timedelta(seconds=30)
ACTIVITY_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=1))
IDLE_WAKE = timedelta(
    days=30
)  # always a timer, so the wait never switches between None and a value
OPEN_TASK = (TaskStatus.OPEN, TaskStatus.RETURNED)


class Rejected(ApplicationError):
    """A human action the case cannot accept; the message names the field and the reason."""

    def __init__(self, message: str) -> None:
        super().__init__(message, type="Rejected", non_retryable=True)


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise Rejected(message)


def _require_role(actor: Actor, role: Role, what: str) -> None:
    _require(role in actor.roles, f"actor: {actor.user_id} is not a {role.value} and cannot {what}")


def validate_answer(answer: Answer) -> None:
    """What each kind of answer must record (ICO expectations, s17 contents)."""
    kind = answer.kind
    if kind == AnswerKind.DISCLOSED:
        _require(
            bool(answer.information.strip() or answer.attachments),
            "answer.information: a disclosed answer needs the information or an attachment",
        )
    if kind in (AnswerKind.NOT_HELD, AnswerKind.PARTLY_HELD):
        _require(
            bool(answer.searches.strip()),
            "answer.searches: record where and how the information was searched for",
        )
    if kind == AnswerKind.EXEMPT:
        _require(bool(answer.claims), "answer.claims: an exempt answer needs at least one claim")
    if kind == AnswerKind.COST:
        _require(
            answer.hours is not None and answer.hours > 0,
            "answer.hours: a cost answer needs the estimated hours (more than 0)",
        )
    if kind == AnswerKind.TRANSFER:
        _require(
            bool((answer.transfer_to or "").strip()),
            "answer.transfer_to: name the authority that holds the information",
        )
    if answer.claims and kind not in (AnswerKind.EXEMPT, AnswerKind.PARTLY_HELD):
        raise Rejected(f"answer.claims: a {kind.value} answer cannot claim exemptions")
    for i, claim in enumerate(answer.claims):
        field = f"answer.claims[{i}]"
        try:
            exemption = get_exemption(claim.section)
        except UnknownExemptionError as exc:
            raise Rejected(f"{field}.{exc}") from None
        _require(
            bool(claim.reason.strip()), f"{field}.reason: say why section {claim.section} applies"
        )
        if exemption.needs_prejudice(claim.subsections):
            _require(
                bool((claim.prejudice or "").strip()) and claim.likelihood is not None,
                f"{field}.prejudice: section {exemption.section} is prejudice-based: state the "
                "prejudice and whether disclosure would or would be likely to cause it",
            )
        if exemption.qualified:
            _require(
                bool(claim.public_interest_for) and bool(claim.public_interest_against),
                f"{field}.public_interest_for: section {exemption.section} is a qualified "
                "exemption: record public interest factors for and against disclosure",
            )
        if claim.ncnd:
            _require(
                exemption.ncnd is not None,
                f"{field}.ncnd: section {exemption.section} has no neither-confirm-nor-deny limb",
            )


@workflow.defn(name="FoiRequestWorkflow")
class FoiRequestWorkflow:
    @workflow.init
    def __init__(self, inp: RequestInput) -> None:
        self._intake = inp.intake
        self._policy = inp.policy
        self._regime = get_regime(inp.intake.regime)
        self._s = inp.state or CaseState(status=CaseStatus.TRIAGE)
        if inp.state is None:
            self._s.started_at = workflow.now()
            self._s.calendar = inp.calendar
        self._calendar_cache: tuple[int, WorkingDayCalendar] | None = None
        self._pending_calendar: int | None = None
        self._projected_version = -1
        self._projected_seq = 0
        self._search_values: dict[str, Any] = {}

    # ---- run ------------------------------------------------------------------------------

    @workflow.run
    async def run(self, inp: RequestInput) -> CaseResult:
        if self._s.calendar is None:
            received = self._intake.received_at.date()
            self._s.calendar = await self._load_calendar(self._policy.calendar_version, received)
        if not self._s.timeline:
            self._note("system", "received", self._received_text())
        while True:
            if self._pending_calendar is not None:
                await self._apply_calendar_change(self._pending_calendar)
            self._check_lapse()
            await self._publish()
            if self._s.status in CLOSED_STATUSES:
                break
            if self._history_is_long():
                # Weeks of daily reminders must never reach the history limits: carry the state
                # into a fresh run once no handler is mid-flight.
                await workflow.wait_condition(workflow.all_handlers_finished)
                if self._pending_calendar is None:
                    # The new run publishes (projection, search attributes) as it starts.
                    workflow.continue_as_new(
                        RequestInput(intake=self._intake, policy=self._policy, state=self._s)
                    )
                continue  # a calendar change arrived while waiting: apply it first
            wake = self._next_wake()
            timeout = max(wake - workflow.now(), timedelta(seconds=1)) if wake else IDLE_WAKE
            try:
                await workflow.wait_condition(self._changed_since(self._s.version), timeout=timeout)
            except TimeoutError:
                await self._send_due_reminders()
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._publish()
        return CaseResult(
            reference=self._intake.reference,
            status=self._s.status,
            outcome=self._s.outcome,
            on_time=self._on_time()[0],
        )

    def _history_is_long(self) -> bool:
        info = workflow.info()
        return (
            info.is_continue_as_new_suggested()
            or info.get_current_history_length() > self._policy.history_event_limit
        )

    def _changed_since(self, seen: int) -> Callable[[], bool]:
        return lambda: self._s.version != seen or self._pending_calendar is not None

    # ---- queries --------------------------------------------------------------------------

    @workflow.query
    def state(self) -> CaseView:
        if self._s.calendar is None:
            raise Rejected("the case is still opening (loading its calendar)")
        return self._view()

    # ---- signals --------------------------------------------------------------------------

    @workflow.signal
    def calendar_changed(self, change: CalendarChanged) -> None:
        # Batch signals may arrive more than once and out of order: only a newer version counts.
        current = self._calendar().version
        if change.version > max(current, self._pending_calendar or 0):
            self._pending_calendar = change.version

    # ---- updates: routing -----------------------------------------------------------------

    @workflow.update
    def route_questions(self, inp: RouteQuestions) -> CaseView:
        today = self._today()
        for route in inp.routes:
            number = route.question
            text = next(q.text for q in self._intake.questions if q.number == number)
            self._s.tasks.append(
                Task(
                    question=number,
                    text=text,
                    unit=route.unit,
                    routed_on=today,
                    internal_due=self._task_due(today),
                )
            )
            self._note(inp.actor.user_id, "routed", f"Q{number} routed to {route.unit}")
        self._s.tasks.sort(key=lambda t: t.question)
        if self._s.status == CaseStatus.TRIAGE and self._all_routed():
            self._s.status = CaseStatus.IN_PROGRESS
        self._advance()
        return self._view()

    @route_questions.validator
    def _validate_route(self, inp: RouteQuestions) -> None:
        _require_role(inp.actor, Role.FOI_OFFICER, "route questions")
        self._require_open()
        _require(bool(inp.routes), "routes: give at least one question and unit")
        numbers = {q.number for q in self._intake.questions}
        routed = {t.question for t in self._s.tasks}
        seen: set[int] = set()
        for i, route in enumerate(inp.routes):
            _require(
                route.question in numbers,
                f"routes[{i}].question: the request has no question {route.question}",
            )
            _require(
                route.question not in routed,
                f"routes[{i}].question: Q{route.question} is already routed; reassign it instead",
            )
            _require(route.question not in seen, f"routes[{i}].question: Q{route.question} twice")
            _require(bool(route.unit.strip()), f"routes[{i}].unit: name the owning unit")
            seen.add(route.question)

    @workflow.update
    def reassign_task(self, inp: ReassignTask) -> CaseView:
        task = self._task(inp.question)
        task.assignments.append(task.unit)
        self._note(
            inp.actor.user_id,
            "reassigned",
            f"Q{task.question} reassigned from {task.unit} to {inp.unit}: {inp.reason}",
        )
        task.unit = inp.unit
        task.status = TaskStatus.OPEN
        task.answer = None
        task.answered_by = None
        self._advance()
        return self._view()

    @reassign_task.validator
    def _validate_reassign(self, inp: ReassignTask) -> None:
        _require_role(inp.actor, Role.FOI_OFFICER, "reassign tasks")
        self._require_open()
        task = self._find_task(inp.question)
        _require(task is not None, f"question: Q{inp.question} has no task")
        assert task is not None
        _require(
            task.status not in (TaskStatus.LOCKED, TaskStatus.SETTLED),
            f"question: Q{inp.question} is under sign-off or settled and cannot be reassigned",
        )
        _require(bool(inp.unit.strip()), "unit: name the new owning unit")
        _require(inp.unit != task.unit, f"unit: Q{inp.question} is already with {inp.unit}")
        _require(bool(inp.reason.strip()), "reason: say why the task moves")

    # ---- updates: answers -----------------------------------------------------------------

    @workflow.update
    def answer_task(self, inp: AnswerTask) -> CaseView:
        task = self._task(inp.question)
        revised = task.answer is not None
        task.answer = inp.answer
        task.answered_by = inp.actor.user_id
        task.status = TaskStatus.ANSWERED
        task.returned_reason = None
        verb = "revised the answer to" if revised else "answered"
        self._note(
            inp.actor.user_id,
            "answered",
            f"{task.unit} {verb} Q{task.question}: {inp.answer.kind.value}"
            + "".join(f", s{c.section}{c.subsections}" for c in inp.answer.claims),
        )
        if self._s.status == CaseStatus.SIGN_OFF and not self._open_tasks():
            self._s.status = CaseStatus.IN_PROGRESS
        self._advance()
        return self._view()

    @answer_task.validator
    def _validate_answer(self, inp: AnswerTask) -> None:
        task = self._find_task(inp.question)
        _require(task is not None, f"question: Q{inp.question} has not been routed to a unit")
        assert task is not None
        _require(
            task.unit in inp.actor.units,
            f"actor: {inp.actor.user_id} is not a member of unit {task.unit}, "
            f"which owns Q{task.question}",
        )
        _require(
            Role.UNIT_CONTACT in inp.actor.roles or Role.UNIT_MANAGER in inp.actor.roles,
            f"actor: {inp.actor.user_id} is not a unit contact or unit manager",
        )
        _require(
            self._s.status not in CLOSED_STATUSES, f"status: the case is {self._s.status.value}"
        )
        _require(
            task.status not in (TaskStatus.LOCKED, TaskStatus.SETTLED)
            and self._s.status not in (CaseStatus.RESPONSE_REVIEW, CaseStatus.APPROVED),
            f"question: the answer to Q{task.question} is under sign-off and can no longer be "
            "revised",
        )
        validate_answer(inp.answer)

    # ---- updates: sign-off ----------------------------------------------------------------

    @workflow.update
    def decide_sign_off(self, inp: SignOffDecision) -> CaseView:
        sign_off = self._sign_off(inp.section)
        assert sign_off is not None
        sign_off.decided_by = inp.actor.user_id
        sign_off.decided_at = workflow.now()
        sign_off.reason = inp.reason
        if inp.approve:
            sign_off.status = SignOffStatus.APPROVED
            self._note(inp.actor.user_id, "signed_off", f"s{sign_off.section} approved")
        else:
            sign_off.status = SignOffStatus.REJECTED
            self._note(
                inp.actor.user_id,
                "sign_off_rejected",
                f"s{sign_off.section} rejected: {inp.reason}",
            )
            for task in self._s.tasks:
                if task.question in sign_off.questions:
                    task.status = TaskStatus.RETURNED
                    task.returned_reason = f"s{sign_off.section} sign-off refused: {inp.reason}"
            self._s.status = CaseStatus.IN_PROGRESS
        self._advance()
        return self._view()

    @decide_sign_off.validator
    def _validate_sign_off(self, inp: SignOffDecision) -> None:
        _require(
            self._s.status == CaseStatus.SIGN_OFF,
            f"status: the case is {self._s.status.value}, not awaiting sign-off",
        )
        sign_off = self._sign_off(inp.section)
        _require(
            sign_off is not None and sign_off.status == SignOffStatus.PENDING,
            f"section: no sign-off is pending for section {inp.section}",
        )
        assert sign_off is not None
        role = sign_off.required_role
        if role == Role.QUALIFIED_PERSON:
            _require(
                role in inp.actor.roles,
                f"actor: section 36 needs the reasonable opinion of the qualified person; "
                f"{inp.actor.user_id} is not the qualified person",
            )
        _require_role(inp.actor, role, f"sign off section {sign_off.section}")
        _require(
            inp.actor.user_id not in sign_off.recommended_by,
            f"actor: {inp.actor.user_id} recommended section {sign_off.section} and cannot sign "
            "it off",
        )
        _require(
            inp.approve or bool(inp.reason.strip()),
            "reason: say why the sign-off is refused, for the unit",
        )

    # ---- updates: the clock ---------------------------------------------------------------

    @workflow.update
    def record_clock_event(self, inp: RecordClockEvent) -> CaseView:
        before = self._clock().due_date
        record = self._record_for(inp)
        self._s.clock_events.append(record)
        after = self._clock()
        self._note(
            inp.actor.user_id,
            f"clock_{inp.kind.value}",
            f"{after.movements[-1].description}; due date {before or 'paused'} → "
            f"{after.due_date or 'paused'}" + (f" ({inp.note})" if inp.note else ""),
        )
        if inp.kind == ClockEventKind.CLARIFICATION_REQUESTED:
            self._pause(CaseStatus.AWAITING_CLARIFICATION)
        elif inp.kind == ClockEventKind.FEES_NOTICE_GIVEN:
            self._pause(CaseStatus.AWAITING_FEE)
        elif inp.kind in (ClockEventKind.CLARIFICATION_RECEIVED, ClockEventKind.FEE_RECEIVED):
            self._s.status = self._s.resume_status or CaseStatus.IN_PROGRESS
            self._s.resume_status = None
            for task in self._s.tasks:
                if task.status in OPEN_TASK:
                    task.internal_due = max(task.internal_due, self._task_due(self._today()))
        self._advance()
        return self._view()

    @record_clock_event.validator
    def _validate_clock_event(self, inp: RecordClockEvent) -> None:
        _require_role(inp.actor, Role.FOI_OFFICER, "record clock events")
        self._require_open()
        _require(
            inp.kind != ClockEventKind.RECEIVED, "kind: the receipt is recorded at intake only"
        )
        if inp.kind == ClockEventKind.EXTENSION:
            _require(inp.extension is not None, "extension: say which extension")
            if inp.extension == ExtensionKind.PUBLIC_INTEREST:
                _require(
                    self._qualified_claim_exists(),
                    "extension: a public interest extension (s10(3)) needs a qualified exemption "
                    "under consideration, and none has been claimed",
                )
        record = self._record_for(inp)
        try:
            self._clock(extra=record)
        except ClockError as exc:
            raise Rejected(str(exc)) from None

    # ---- updates: cost, response, issue, close --------------------------------------------

    @workflow.update
    def decide_cost(self, inp: CostDecision) -> CaseView:
        if inp.refuse:
            self._compose(
                inp.actor.user_id,
                "cost_refusal",
                note="refusal under s12 composed (s16 advice)",
                cost_advice=inp.advice,
            )
        else:
            self._s.cost_route_cleared = True
            self._s.status = CaseStatus.IN_PROGRESS
            self._note(inp.actor.user_id, "cost_continue", "continuing despite the s12 estimate")
            self._advance()
        return self._view()

    @decide_cost.validator
    def _validate_cost(self, inp: CostDecision) -> None:
        _require_role(inp.actor, Role.FOI_OFFICER, "decide on cost")
        _require(
            self._s.status == CaseStatus.COST_REVIEW,
            f"status: the case is {self._s.status.value}, not under cost review",
        )
        _require(
            not inp.refuse or bool(inp.advice.strip()),
            "advice: a s12 refusal must advise how the request could be narrowed (s16)",
        )

    @workflow.update
    def approve_response(self, inp: ApproveResponse) -> CaseView:
        draft = self._s.response
        assert draft is not None
        if inp.text is not None and inp.text != draft.text:
            draft.text = inp.text
            draft.edited = True
        draft.approved_by = inp.actor.user_id
        draft.approved_at = workflow.now()
        self._s.status = CaseStatus.APPROVED
        self._note(
            inp.actor.user_id,
            "approved",
            "response approved" + (" (edited)" if draft.edited else ""),
        )
        return self._view()

    @approve_response.validator
    def _validate_approve(self, inp: ApproveResponse) -> None:
        _require_role(inp.actor, Role.FOI_OFFICER, "approve responses")
        _require(
            self._s.status == CaseStatus.RESPONSE_REVIEW and self._s.response is not None,
            f"status: the case is {self._s.status.value}; there is no composed response to approve",
        )
        assert self._s.response is not None
        if inp.text is not None:
            _require(bool(inp.text.strip()), "text: the response cannot be empty")
            if self._s.response.outcome not in (
                Outcome.GRANTED_IN_FULL,
                Outcome.NOT_HELD,
            ):
                lowered = inp.text.lower()
                _require(
                    "internal review" in lowered and "commissioner" in lowered,
                    "text: a refusal notice must set out the internal review procedure and the "
                    "right to complain to the Information Commissioner (s17(7))",
                )

    @workflow.update
    def issue_response(self, inp: IssueResponse) -> CaseView:
        assert self._s.response is not None
        self._s.issued_at = workflow.now()
        self._s.outcome = self._s.response.outcome
        self._s.status = CaseStatus.ISSUED
        _, with_extensions = self._on_time()
        due = self._clock().due_date
        self._note(
            inp.actor.user_id,
            "issued",
            f"response issued on {self._today()} ({'on time' if with_extensions else 'LATE'}; "
            f"due {due}); outcome: {letter_outcome(self._s.outcome)}",
        )
        return self._view()

    @issue_response.validator
    def _validate_issue(self, inp: IssueResponse) -> None:
        _require_role(inp.actor, Role.FOI_OFFICER, "issue responses")
        _require(
            self._s.status == CaseStatus.APPROVED,
            f"status: the case is {self._s.status.value}; approve the response before issuing it",
        )

    @workflow.update
    def close_case(self, inp: CloseCase) -> CaseView:
        self._close(CaseStatus.WITHDRAWN, Outcome.WITHDRAWN, inp.actor.user_id, inp.reason)
        return self._view()

    @close_case.validator
    def _validate_close(self, inp: CloseCase) -> None:
        _require_role(inp.actor, Role.FOI_OFFICER, "close cases")
        self._require_open()
        _require(bool(inp.reason.strip()), "reason: say why the case is closed")

    # ---- state transitions ----------------------------------------------------------------

    def _advance(self) -> None:
        """Move the case on after any change: s12 route, sign-off, response composition."""
        self._touch()
        moving = (CaseStatus.IN_PROGRESS, CaseStatus.SIGN_OFF)
        if self._s.status not in moving or not self._all_routed():
            return
        if not self._s.cost_route_cleared and self._cost_hours() > self._policy.cost_limit_hours:
            self._s.status = CaseStatus.COST_REVIEW
            self._note(
                "system",
                "cost_limit",
                f"cost estimates total {self._cost_hours():g} h, over the "
                f"{self._policy.cost_limit_hours:g} h limit (s12): officer to decide",
            )
            return
        if self._open_tasks() or any(t.status == TaskStatus.OPEN for t in self._s.tasks):
            return
        self._gather_sign_offs()
        if any(s.status != SignOffStatus.APPROVED for s in self._s.sign_offs):
            self._s.status = CaseStatus.SIGN_OFF
            for task in self._s.tasks:
                if task.answer and task.answer.claims:
                    task.status = TaskStatus.LOCKED
            return
        for task in self._s.tasks:
            task.status = TaskStatus.SETTLED
        self._compose("system", "composed")

    def _compose(
        self, actor: str, kind: str, note: str | None = None, cost_advice: str | None = None
    ) -> None:
        """Compose the response (a s12 refusal notice when ``cost_advice`` is given)."""
        text, outcome = letter.compose_response(
            self._intake.reference,
            self._intake.regime,
            self._intake.questions,
            self._s.tasks,
            self._policy.authority_name,
            cost_advice=cost_advice,
            cost_hours=self._cost_hours(),
            cost_limit_hours=self._policy.cost_limit_hours,
        )
        self._s.response = ResponseDraft(text=text, outcome=outcome, composed_at=workflow.now())
        self._s.status = CaseStatus.RESPONSE_REVIEW
        self._note(actor, kind, note or f"response composed: {letter_outcome(outcome)}")

    def _gather_sign_offs(self) -> None:
        """One sign-off per exemption across questions; an unchanged approval stands."""
        policy = self._policy.sign_off_policy()
        grouped: dict[str, SignOff] = {}
        for task in self._s.tasks:
            for claim in task.answer.claims if task.answer else []:
                section = get_exemption(claim.section).section
                entry = grouped.setdefault(
                    section,
                    SignOff(
                        section=section,
                        required_role=policy.role_for(section),
                        questions=[],
                        recommended_by=[],
                    ),
                )
                if task.question not in entry.questions:
                    entry.questions.append(task.question)
                if task.answered_by and task.answered_by not in entry.recommended_by:
                    entry.recommended_by.append(task.answered_by)
                entry.basis.append(
                    f"Q{task.question} s{section}{claim.subsections}: {claim.reason}"
                )
        previous = {s.section: s for s in self._s.sign_offs}
        merged: list[SignOff] = []
        for section, fresh in grouped.items():
            old = previous.get(section)
            if old and old.status != SignOffStatus.REJECTED and old.basis == fresh.basis:
                merged.append(old)  # the same claims: an approval, or a request, stands
                continue
            merged.append(fresh)
            self._note(
                "system",
                "sign_off_requested",
                f"s{section} needs sign-off by {fresh.required_role.value} "
                f"(Q{', Q'.join(map(str, fresh.questions))})",
            )
        self._s.sign_offs = merged

    def _pause(self, status: CaseStatus) -> None:
        if self._s.status not in (CaseStatus.AWAITING_CLARIFICATION, CaseStatus.AWAITING_FEE):
            self._s.resume_status = self._s.status
        self._s.status = status

    def _check_lapse(self) -> None:
        if self._s.status in CLOSED_STATUSES:
            return
        clock = self._clock()
        if clock.lapsed:
            self._close(
                CaseStatus.LAPSED,
                Outcome.LAPSED,
                "system",
                f"{clock.pause_reason}; no reply by {clock.lapse_date}",
            )

    def _close(self, status: CaseStatus, outcome: Outcome, actor: str, reason: str) -> None:
        self._s.status = status
        self._s.outcome = outcome
        self._note(actor, status.value, f"case {status.value}: {reason}")

    async def _apply_calendar_change(self, version: int) -> None:
        self._pending_calendar = None
        before_cal = CalendarData.from_json(self._s.calendar or {})
        before_due = self._clock().due_date
        self._s.calendar = await self._load_calendar(version, self._intake.received_at.date())
        after_cal = CalendarData.from_json(self._s.calendar)
        after_due = self._clock().due_date
        for task in self._s.tasks:
            if task.status in OPEN_TASK:
                task.internal_due = self._task_due(task.routed_on)
        changes = "; ".join(after_cal.diff(before_cal)) or "no change in this case's window"
        moved = (
            f"due date moved from {before_due} to {after_due}"
            if before_due != after_due
            else f"due date stays {after_due}"
        )
        self._note("system", "calendar_changed", f"{moved} by calendar v{version}: {changes}")

    # ---- reminders ------------------------------------------------------------------------

    def _planned(self) -> list[tuple[datetime, ReminderSent]]:
        """Every reminder the current state calls for and that has not been sent."""
        if self._s.status in CLOSED_STATUSES:
            return []
        cal = self._calendar()
        sched = self._policy.reminders
        ref = self._intake.reference
        sent = {r.key for r in self._s.reminders}
        plans: list[tuple[date, str, str, str]] = []  # (day, kind, audience, text)
        if self._s.status not in (CaseStatus.AWAITING_CLARIFICATION, CaseStatus.AWAITING_FEE):
            for task in self._s.tasks:
                if task.status not in OPEN_TASK:
                    continue
                day = cal.subtract_working_days(
                    task.internal_due, sched.unit_reminder_before_task_due
                )
                plans.append(
                    (
                        day,
                        f"task_reminder:q{task.question}",
                        f"unit:{task.unit}",
                        f"Q{task.question} is due from your unit on {task.internal_due}",
                    )
                )
                if sched.escalate_overdue_tasks:
                    plans.append(
                        (
                            cal.add_working_days(task.internal_due, 1),
                            f"task_escalation:q{task.question}",
                            f"unit_manager:{task.unit}",
                            f"Q{task.question} was due from {task.unit} on "
                            f"{task.internal_due} and is still unanswered",
                        )
                    )
        clock = self._clock()
        if clock.due_date is not None and clock.statutory_due_date is not None:
            limit = self._regime.working_days or 20
            statutory = clock.statutory_due_date
            for at_day, kind, audience in (
                (sched.officer_alert_at_working_day, "officer_alert", "foi_officer"),
                (sched.manager_alert_at_working_day, "manager_alert", "manager"),
            ):
                if 0 < at_day < limit:
                    day = cal.subtract_working_days(statutory, limit - at_day)
                    plans.append(
                        (
                            day,
                            kind,
                            audience,
                            f"working day {at_day} of {limit}: due {clock.due_date}",
                        )
                    )
            if sched.alert_on_due_date:
                plans.append(
                    (
                        clock.due_date,
                        "due_today",
                        "foi_officer",
                        f"the response is due today ({clock.due_date})",
                    )
                )
            if sched.alert_each_day_overdue:
                floor = max(self._today(), clock.due_date)
                day = cal.add_working_days(clock.due_date, 1)
                while day < floor or f"{ref}:overdue:case:{day}" in sent:
                    day = cal.add_working_days(day, 1)
                days_late = cal.count_working_days(clock.due_date, day)
                plans.append(
                    (
                        day,
                        "overdue",
                        "foi_officer",
                        f"the response is {days_late} working day(s) overdue "
                        f"(due {clock.due_date})",
                    )
                )
        start_day = local_date(self._s.started_at or workflow.now(), self._policy.time_zone)
        out: list[tuple[datetime, ReminderSent]] = []
        for day, kind, audience, text in plans:
            base_kind, _, target = kind.partition(":")
            key = f"{ref}:{base_kind}:{target or 'case'}:{day}"
            if key in sent or day < start_day:
                continue  # a reminder for a day before foiflow held the case is never sent
            out.append(
                (
                    self._send_time(day),
                    ReminderSent(key=key, kind=base_kind, audience=audience, on=day, text=text),
                )
            )
        out.sort(key=lambda p: p[0])
        return out

    def _next_wake(self) -> datetime | None:
        times = [at for at, _ in self._planned()]
        clock = self._clock()
        if clock.due_date and not clock.overdue and self._s.status not in CLOSED_STATUSES:
            times.append(self._midnight_after(clock.due_date))  # the overdue flag flips
        if clock.lapse_date and not clock.lapsed:
            times.append(self._midnight_after(clock.lapse_date))
        return min(times) if times else None

    async def _send_due_reminders(self) -> None:
        now = workflow.now()
        due = [r for at, r in self._planned() if at <= now]
        for reminder in due:
            await workflow.execute_activity(
                "send_notification",
                Notification(
                    key=reminder.key,
                    reference=self._intake.reference,
                    kind=reminder.kind,
                    audience=reminder.audience,
                    subject=f"[{self._intake.reference}] {reminder.kind.replace('_', ' ')}",
                    body=reminder.text,
                ),
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=ACTIVITY_RETRY,
            )
            self._s.reminders.append(reminder)
            self._note(
                "system", "reminder", f"{reminder.kind} to {reminder.audience}: {reminder.text}"
            )
        self._touch()

    # ---- side effects ---------------------------------------------------------------------

    async def _publish(self) -> None:
        """Project the case to the store and refresh search attributes when anything changed."""
        view = self._view()
        values: dict[str, Any] = {
            FOI_STATUS.name: view.status.value,
            FOI_REGIME.name: view.regime,
            FOI_DUE_DATE.name: due_date_value(view.clock.due_date),
            FOI_UNITS.name: view.owning_units,
            FOI_OVERDUE.name: view.clock.overdue and view.status not in CLOSED_STATUSES,
        }
        if values != self._search_values:
            pairs: list[SearchAttributeUpdate[Any]] = [
                FOI_STATUS.value_set(values[FOI_STATUS.name]),
                FOI_REGIME.value_set(values[FOI_REGIME.name]),
                FOI_UNITS.value_set(values[FOI_UNITS.name]),
                FOI_OVERDUE.value_set(values[FOI_OVERDUE.name]),
            ]
            due = values[FOI_DUE_DATE.name]
            pairs.append(FOI_DUE_DATE.value_set(due) if due else FOI_DUE_DATE.value_unset())
            workflow.upsert_search_attributes(pairs)
            self._search_values = values
        if view.version != self._projected_version:
            # The store appends timeline entries by seq: send only the new ones, so histories
            # grow with the case rather than with its square.
            fresh = [e for e in view.timeline if e.seq > self._projected_seq]
            await workflow.execute_activity(
                "project_case",
                view.model_copy(update={"timeline": fresh}),
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=ACTIVITY_RETRY,
            )
            self._projected_version = view.version
            self._projected_seq = view.timeline[-1].seq if view.timeline else 0

    async def _load_calendar(self, version: int | None, around: date) -> dict[str, Any]:
        result: dict[str, Any] = await workflow.execute_activity(
            "load_calendar",
            LoadCalendar.around(version, around),
            result_type=dict,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=ACTIVITY_RETRY,
        )
        return result

    # ---- derived state --------------------------------------------------------------------

    def _calendar(self) -> WorkingDayCalendar:
        data = self._s.calendar or {}
        version = int(str(data.get("version", 0)))
        if self._calendar_cache is None or self._calendar_cache[0] != version:
            built = calendar_for(self._regime, CalendarData.from_json(data))
            self._calendar_cache = (version, built)
        return self._calendar_cache[1]

    def _clock(self, extra: ClockEventRecord | None = None) -> ClockState:
        records = [*self._s.clock_events, *([extra] if extra else [])]
        events = [ClockEvent(ClockEventKind.RECEIVED, self._intake.received_at)]
        events += [
            ClockEvent(r.kind, r.at, r.extension, r.working_days, r.until, r.note) for r in records
        ]
        options = ClockOptions(
            roll_non_working_receipt=self._policy.roll_non_working_receipt,
            time_zone=self._policy.time_zone,
        )
        return compute_clock(self._regime, events, self._calendar(), workflow.now(), options)

    def _record_for(self, inp: RecordClockEvent) -> ClockEventRecord:
        return ClockEventRecord(
            kind=inp.kind,
            at=inp.at or workflow.now(),
            actor=inp.actor.user_id,
            extension=inp.extension,
            working_days=inp.working_days,
            until=inp.until,
            note=inp.note,
        )

    def _view(self) -> CaseView:
        clock = self._clock()
        on_time, with_extensions = self._on_time()
        return CaseView(
            reference=self._intake.reference,
            version=self._s.version,
            regime=self._intake.regime,
            status=self._s.status,
            received_at=self._intake.received_at,
            channel=self._intake.channel,
            requester=self._intake.requester,
            request_text=self._intake.request_text,
            questions=self._intake.questions,
            tasks=self._s.tasks,
            sign_offs=self._s.sign_offs,
            clock=ClockView(
                due_date=clock.due_date,
                statutory_due_date=clock.statutory_due_date,
                start_date=clock.start_date,
                received_on=clock.received_on,
                working_days_elapsed=clock.working_days_elapsed,
                working_days_remaining=clock.working_days_remaining,
                paused=clock.paused,
                pause_reason=clock.pause_reason,
                overdue=clock.overdue and self._s.issued_at is None,
                extended=clock.extended,
                calendar_version=clock.calendar_version,
                calendar_fingerprint=clock.calendar_fingerprint,
                explanation=clock.explain(),
            ),
            cost_hours_total=self._cost_hours(),
            reminders=self._s.reminders,
            timeline=self._s.timeline,
            response=self._s.response,
            issued_at=self._s.issued_at,
            on_time=on_time,
            on_time_with_extensions=with_extensions,
            outcome=self._s.outcome,
            owning_units=sorted({t.unit for t in self._s.tasks}),
        )

    def _on_time(self) -> tuple[bool | None, bool | None]:
        if self._s.issued_at is None:
            return None, None
        issued_on = local_date(self._s.issued_at, self._policy.time_zone)
        clock = self._clock()
        statutory = clock.statutory_due_date
        due = clock.due_date
        return (
            statutory is not None and issued_on <= statutory,
            due is not None and issued_on <= due,
        )

    def _today(self) -> date:
        return local_date(workflow.now(), self._policy.time_zone)

    def _send_time(self, day: date) -> datetime:
        local = pendulum.datetime(
            day.year,
            day.month,
            day.day,
            self._policy.reminders.send_hour,
            tz=self._policy.time_zone,
        )
        return datetime.fromtimestamp(local.timestamp(), tz=workflow.now().tzinfo)

    def _midnight_after(self, day: date) -> datetime:
        nxt = day + timedelta(days=1)
        local = pendulum.datetime(nxt.year, nxt.month, nxt.day, tz=self._policy.time_zone)
        return datetime.fromtimestamp(local.timestamp(), tz=workflow.now().tzinfo)

    def _task_due(self, routed_on: date) -> date:
        cal = self._calendar()
        due = cal.add_working_days(routed_on, self._policy.task_working_days)
        statutory = self._clock().due_date
        if statutory is not None and due >= statutory:
            # A unit's deadline must fall well inside the statutory one.
            due = max(cal.subtract_working_days(statutory, 2), cal.next_working_day(routed_on))
        return due

    def _cost_hours(self) -> float:
        return sum(
            t.answer.hours or 0.0
            for t in self._s.tasks
            if t.answer is not None and t.answer.kind == AnswerKind.COST
        )

    def _qualified_claim_exists(self) -> bool:
        return any(
            get_exemption(c.section).qualified
            for t in self._s.tasks
            if t.answer
            for c in t.answer.claims
        )

    def _all_routed(self) -> bool:
        return {t.question for t in self._s.tasks} >= {q.number for q in self._intake.questions}

    def _open_tasks(self) -> list[Task]:
        return [t for t in self._s.tasks if t.status in OPEN_TASK]

    def _find_task(self, question: int) -> Task | None:
        return next((t for t in self._s.tasks if t.question == question), None)

    def _task(self, question: int) -> Task:
        task = self._find_task(question)
        assert task is not None
        return task

    def _sign_off(self, section: str) -> SignOff | None:
        try:
            key = get_exemption(section).section
        except UnknownExemptionError:
            return None
        return next((s for s in self._s.sign_offs if s.section == key), None)

    def _require_open(self) -> None:
        _require(
            self._s.calendar is not None,
            "status: the case is still opening (loading its calendar); try again in a moment",
        )
        _require(
            self._s.status not in CLOSED_STATUSES,
            f"status: the case is {self._s.status.value} and can no longer change",
        )

    def _received_text(self) -> str:
        due = self._clock().due_date
        return (
            f"{self._intake.regime.upper()} request received {self._intake.received_at:%Y-%m-%d} "
            f"by {self._intake.channel}, {len(self._intake.questions)} question(s); due {due}"
        )

    def _touch(self) -> None:
        self._s.version += 1

    def _note(self, actor: str, kind: str, text: str) -> None:
        self._s.timeline.append(
            TimelineEntry(
                seq=len(self._s.timeline) + 1, at=workflow.now(), actor=actor, kind=kind, text=text
            )
        )
        self._touch()


def letter_outcome(outcome: Outcome | None) -> str:
    return OUTCOME_LABELS[outcome] if outcome else "none"
