"""The case file: a request's state and every change the workflow's handlers make to it.

Pure: the time comes from ``now`` (``workflow.now`` inside the workflow), the calendar from the
state; nothing here waits, calls an activity or touches Temporal, so it runs in a unit test as it
runs in a workflow. The workflow checks input with ``workflows.rules`` first: these methods
assume it is sound.

The status changes in one place, ``_move``; actions whose outcome the transition table names go
there through ``_take``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from domain.case import (
    CLOSED_STATUSES,
    Audience,
    AudienceKind,
    CaseProblem,
    CaseStatus,
    CaseView,
    ResponseDraft,
    SignOffStatus,
    Task,
    TaskStatus,
    TimelineEntry,
    VexatiousRefusal,
)
from domain.messages import (
    AnswerTask,
    ApproveResponse,
    CaseState,
    ClockEventRecord,
    CloseCase,
    CostDecision,
    IssueResponse,
    LastChange,
    Notification,
    ReassignTask,
    RecordClockEvent,
    RefuseVexatious,
    RequestInput,
    RouteQuestions,
    SignOffDecision,
    UpdateResult,
)
from domain.notices import MessageKind
from domain.transitions import PAUSED_STATUSES, Action, clock_transition, transition
from statute import (
    CalendarError,
    ClockEventKind,
    ClockState,
    ExtensionKind,
    WorkingDayCalendar,
    calendar_data_from_json,
    calendar_from_json,
    get_regime,
    local_date,
)
from statute.exemptions import OUTCOME_LABELS, Outcome
from workflows import letter
from workflows.clock import case_clock, clock_record, midnight_after, on_time, task_due
from workflows.policy import sound_policy
from workflows.reminders import PlannedReminder, event_notice, plan_reminders
from workflows.rules import cost_hours, find_task, open_tasks
from workflows.sign_offs import find_sign_off, gather_sign_offs, request_text
from workflows.view import case_view

Input = TypeVar("Input")
SYSTEM = "system"
MOVING = frozenset({CaseStatus.IN_PROGRESS, CaseStatus.SIGN_OFF})  # where answers move the case
STATUTORY_LIMIT_FALLBACK = 20  # month-based regimes still alert by working day N of 20
REQUESTER = Audience(kind=AudienceKind.REQUESTER)
# What the clock events tell the requester (s1(3), s9, s17(2)); the others are silent.
REQUESTER_NOTICES = {
    ClockEventKind.CLARIFICATION_REQUESTED: MessageKind.CLARIFICATION_REQUEST,
    ClockEventKind.FEES_NOTICE_GIVEN: MessageKind.FEES_NOTICE,
}


def _questions(numbers: list[int]) -> str:
    return ", ".join(f"Q{n}" for n in numbers)


def outcome_label(outcome: Outcome | None) -> str:
    return OUTCOME_LABELS[outcome] if outcome else "none"


class CaseFile:
    def __init__(self, inp: RequestInput, now: Callable[[], datetime]) -> None:
        self.intake = inp.intake
        # A value no case can run on (25 o'clock) is replaced before anything counts with it;
        # ``open`` records why. Continue-as-new carries the replaced policy, so once only.
        self.policy, self._policy_problems = sound_policy(inp.policy)
        self.regime = get_regime(inp.intake.regime)
        self.now = now
        self.zone = ZoneInfo(self.policy.time_zone)  # once: reminders ask for it on every plan
        self.state = inp.state or CaseState(status=CaseStatus.TRIAGE)
        if inp.state is None:
            self.state.started_at = now()
            self.state.calendar = inp.calendar
        self._calendar_cache: tuple[int, WorkingDayCalendar] | None = None
        self._clock_cache: tuple[tuple[object, ...], ClockState] | None = None
        self._view_cache: tuple[tuple[object, ...], CaseView] | None = None
        self._unnoted: list[CaseProblem] = []

    # ---- reading the case ---------------------------------------------------------------------

    @property
    def opening(self) -> bool:
        """Still loading its calendar: nothing can be counted yet."""
        return self.state.calendar is None

    @property
    def unopened(self) -> bool:
        """Its calendar is there but ``open`` has not run: the receipt is not on the timeline."""
        return not self.opening and not self.state.timeline

    @property
    def closed(self) -> bool:
        return self.state.status in CLOSED_STATUSES

    def calendar(self) -> WorkingDayCalendar:
        data = self.state.calendar or {}
        version = int(str(data.get("version", 0)))
        if self._calendar_cache is None or self._calendar_cache[0] != version:
            built = calendar_from_json(self.regime, data)
            self._calendar_cache = (version, built)
        return self._calendar_cache[1]

    def clock(self, extra: ClockEventRecord | None = None) -> ClockState:
        # The clock is a function of the events (only ever appended), the calendar and the
        # local date: computed once for each, not for every query, wake and view.
        calendar = self.state.calendar or {}
        key = (
            len(self.state.clock_events),
            calendar.get("version"),
            calendar.get("fingerprint"),
            self.today(),
        )
        if extra is None and self._clock_cache is not None and self._clock_cache[0] == key:
            return self._clock_cache[1]
        records = [*self.state.clock_events, *([extra] if extra else [])]
        clock = case_clock(
            self.regime, self.intake, self.policy, records, self.calendar(), self.now()
        )
        if extra is None:
            self._clock_cache = (key, clock)
        return clock

    def today(self) -> date:
        return local_date(self.now(), self.policy.time_zone)

    def view(self) -> CaseView:
        # Every change bumps the version (reminders are recorded before the bump, so counted
        # too), and the clock's key says when it moved.
        clock = self.clock()
        assert self._clock_cache is not None
        key = (self.state.version, len(self.state.reminders), self._clock_cache[0])
        if self._view_cache is not None and self._view_cache[0] == key:
            return self._view_cache[1]
        view = case_view(self.intake, self.state, clock, self.policy.time_zone)
        self._view_cache = (key, view)
        return view

    def issued_in_time(self) -> bool | None:
        return on_time(self.state.issued_at, self.clock(), self.policy.time_zone)[0]

    def all_routed(self) -> bool:
        return {t.question for t in self.state.tasks} >= {q.number for q in self.intake.questions}

    def received_text(self) -> str:
        due = self.clock().due_date
        return (
            f"{self.intake.regime.upper()} request received {self.intake.received_at:%Y-%m-%d} "
            f"by {self.intake.channel}, {len(self.intake.questions)} question(s); due {due}"
        )

    # ---- writing the case ---------------------------------------------------------------------

    def apply(self, change: Callable[[Input], None], inp: Input) -> UpdateResult:
        """Make ``change`` and say what it did: the timeline entries it wrote."""
        since = len(self.state.timeline)
        change(inp)
        return UpdateResult(
            reference=self.intake.reference,
            version=self.state.version,
            status=self.state.status,
            changed="; ".join(e.text for e in self.state.timeline[since:]),
        )

    def touch(self) -> None:
        self.state.version += 1

    def note(self, actor: str, kind: str, text: str) -> None:
        seq = len(self.state.timeline) + 1
        at = self.now()
        self.state.timeline.append(TimelineEntry(seq=seq, at=at, actor=actor, kind=kind, text=text))
        self.touch()
        if actor != SYSTEM:
            self.state.last_change = LastChange(version=self.state.version, actor=actor, at=at)

    def tell(
        self, kind: MessageKind, audience: Audience, target: str, text: str, **facts: object
    ) -> None:
        """Queue a message for the workflow to hand to the outbox. Neither the version nor the
        timeline moves: a case replayed from before messages existed must change nothing."""
        if audience.kind == AudienceKind.REQUESTER and not self.intake.requester.email:
            return  # a postal request: the officer writes; nothing to send by email
        self.state.notices.append(
            event_notice(self.intake.reference, kind, audience, target, self.today(), text, **facts)
        )

    def pending_notices(self) -> list[Notification]:
        return list(self.state.notices)

    def notice_sent(self, notice: Notification) -> None:
        self.state.notices.remove(notice)

    def drop_notices(self) -> None:
        self.state.notices.clear()

    def _move(self, status: CaseStatus) -> None:
        """The one place the status changes."""
        self.state.status = status

    def _take(self, action: Action) -> None:
        """Move to where the transition table says ``action`` leads."""
        leads_to = transition(action).leads_to
        if leads_to is not None:
            self._move(leads_to)

    def _task_due(self, routed_on: date) -> date:
        statutory = self.clock().due_date
        return task_due(self.calendar(), routed_on, self.policy.task_working_days, statutory)

    # ---- the handlers' changes ----------------------------------------------------------------

    def opened_with(self, calendar: dict[str, object]) -> None:
        """The calendar window a case loaded itself, when its start input carried none."""
        self.state.calendar = calendar

    def open(self) -> None:
        """The first entry of the timeline, once the calendar is there to count on; then any
        problem the case met while opening."""
        if not self.state.timeline:
            self.note(SYSTEM, "received", self.received_text())
            clock = self.clock()
            self.tell(
                MessageKind.ACKNOWLEDGEMENT,
                REQUESTER,
                "case",
                f"request received on {clock.received_on}; response due by {clock.due_date}",
                regime=self.intake.regime,
                received=clock.received_on,
                due=clock.due_date,
                questions=len(self.intake.questions),
            )
        for problem in self._unnoted:
            self.note(SYSTEM, "problem", f"{problem.field}: {problem.text}")
        self._unnoted = []
        for field, text in self._policy_problems:
            self.problem(field, text)
        self._policy_problems = []

    # ---- problems: what the case met and could not use ---------------------------------------

    def problem(self, field: str, text: str) -> None:
        """Record a problem (once while it is open) and say so in the timeline."""
        if any(
            p.field == field and p.text == text and p.resolved_at is None
            for p in self.state.problems
        ):
            return
        problem = CaseProblem(at=self.now(), field=field, text=text)
        self.state.problems.append(problem)
        if self.state.timeline:
            self.note(SYSTEM, "problem", f"{field}: {text}")
        else:  # still opening: ``open`` notes it after the receipt
            self._unnoted.append(problem)
            self.touch()

    def resolve(self, field: str, how: str) -> None:
        """Close the open problems of ``field``: the fix has arrived."""
        still_open = [p for p in self.state.problems if p.field == field and p.resolved_at is None]
        if not still_open:
            return
        for problem in still_open:
            problem.resolved_at = self.now()
        self.note(SYSTEM, "problem_resolved", f"{field}: {how}")

    def route(self, inp: RouteQuestions) -> None:
        today = self.today()
        routed: dict[str, list[int]] = {}
        for route in inp.routes:
            number = route.question
            text = next(q.text for q in self.intake.questions if q.number == number)
            self.state.tasks.append(
                Task(
                    question=number,
                    text=text,
                    unit=route.unit,
                    routed_on=today,
                    internal_due=self._task_due(today),
                )
            )
            self.note(inp.actor.user_id, "routed", f"Q{number} routed to {route.unit}")
            routed.setdefault(route.unit, []).append(number)
        for unit, numbers in routed.items():
            self._tell_assigned(unit, numbers)
        self.state.tasks.sort(key=lambda t: t.question)
        if self.state.status == CaseStatus.TRIAGE and self.all_routed():
            self._move(CaseStatus.IN_PROGRESS)
        self._advance()

    def reassign(self, inp: ReassignTask) -> None:
        task = self._task(inp.question)
        task.assignments.append(task.unit)
        self.note(
            inp.actor.user_id,
            "reassigned",
            f"Q{task.question} reassigned from {task.unit} to {inp.unit}: {inp.reason}",
        )
        task.unit = inp.unit
        task.status = TaskStatus.OPEN
        task.answer = None
        task.answered_by = None
        self._tell_assigned(inp.unit, [task.question])
        self._advance()

    def answer(self, inp: AnswerTask) -> None:
        task = self._task(inp.question)
        revised = task.answer is not None
        task.answer = inp.answer
        task.answered_by = inp.actor.user_id
        task.status = TaskStatus.ANSWERED
        task.returned_reason = None
        verb = "revised the answer to" if revised else "answered"
        self.note(
            inp.actor.user_id,
            "answered",
            f"{task.unit} {verb} Q{task.question}: {inp.answer.kind.value}"
            + "".join(f", s{c.section}{c.subsections}" for c in inp.answer.claims),
        )
        if self.state.status == CaseStatus.SIGN_OFF and not open_tasks(self.state.tasks):
            # A revision during sign-off: gather the sign-offs again.
            self._move(CaseStatus.IN_PROGRESS)
        self._advance()

    def decide_sign_off(self, inp: SignOffDecision) -> None:
        sign_off = find_sign_off(self.state.sign_offs, inp.section, self.intake.regime)
        assert sign_off is not None, "validated: a sign-off is pending"
        sign_off.decided_by = inp.actor.user_id
        sign_off.decided_at = self.now()
        sign_off.reason = inp.reason
        if inp.approve:
            sign_off.status = SignOffStatus.APPROVED
            self.note(inp.actor.user_id, "signed_off", f"s{sign_off.section} approved")
        else:
            sign_off.status = SignOffStatus.REJECTED
            self.note(
                inp.actor.user_id,
                "sign_off_rejected",
                f"s{sign_off.section} rejected: {inp.reason}",
            )
            returned: dict[str, list[int]] = {}
            for task in self.state.tasks:
                if task.question in sign_off.questions:
                    task.status = TaskStatus.RETURNED
                    task.returned_reason = f"s{sign_off.section} sign-off refused: {inp.reason}"
                    returned.setdefault(task.unit, []).append(task.question)
            for unit, numbers in returned.items():
                self.tell(
                    MessageKind.SIGN_OFF_REJECTED,
                    Audience(kind=AudienceKind.UNIT, unit=unit),
                    f"s{sign_off.section}@{unit}",
                    f"s{sign_off.section} sign-off refused for {_questions(numbers)}: {inp.reason}",
                    section=sign_off.section,
                    questions=_questions(numbers),
                    reason=inp.reason,
                )
            self._move(CaseStatus.IN_PROGRESS)
        self._advance()

    def record_clock_event(self, inp: RecordClockEvent) -> None:
        before = self.clock().due_date
        self.state.clock_events.append(clock_record(inp, self.now()))
        after = self.clock()
        self.note(
            inp.actor.user_id,
            f"clock_{inp.kind.value}",
            f"{after.movements[-1].description}; due date {before or 'paused'} → "
            f"{after.due_date or 'paused'}" + (f" ({inp.note})" if inp.note else ""),
        )
        self._tell_requester(inp, after)
        row = clock_transition(inp.kind)
        if row is not None and row.leads_to in PAUSED_STATUSES:
            self._pause(row.action)
        elif inp.kind in (ClockEventKind.CLARIFICATION_RECEIVED, ClockEventKind.FEE_RECEIVED):
            self._resume()
        self._advance()

    def decide_cost(self, inp: CostDecision) -> None:
        if inp.refuse:
            self._compose(
                inp.actor.user_id,
                "cost_refusal",
                note="refusal under s12 composed (s16 advice)",
                cost_advice=inp.advice,
            )
            return
        self.state.cost_route_cleared = True
        self._move(CaseStatus.IN_PROGRESS)
        self.note(inp.actor.user_id, "cost_continue", "continuing despite the s12 estimate")
        self._advance()

    def refuse_vexatious(self, inp: RefuseVexatious) -> None:
        """s14: the whole request refused; the units' work on it ends here."""
        refusal = VexatiousRefusal(
            limb=inp.limb,
            reason=inp.reason.strip(),
            advice=inp.advice.strip(),
            previous_notice=inp.previous_notice.strip(),
        )
        text, outcome = letter.compose_vexatious(
            self.intake.reference,
            self.intake.regime,
            self.intake.questions,
            self.policy.authority_name,
            refusal,
        )
        for task in self.state.tasks:
            task.status = TaskStatus.SETTLED
        self.state.response = ResponseDraft(
            text=text, outcome=outcome, composed_at=self.now(), vexatious=refusal
        )
        self._take(Action.REFUSE_VEXATIOUS)
        notice = (
            f"no further notice (relies on the notice for {refusal.previous_notice})"
            if refusal.previous_notice
            else "refusal notice composed"
        )
        # The reason stays in the letter: units read the timeline.
        self.note(
            inp.actor.user_id,
            "refused_vexatious",
            f"request refused under s{refusal.limb.value} "
            f"({'repeated' if refusal.limb.value == '14(2)' else 'vexatious'}); {notice}",
        )

    def approve(self, inp: ApproveResponse) -> None:
        draft = self.state.response
        assert draft is not None, "validated: a response is composed"
        if inp.text is not None and inp.text != draft.text:
            draft.text = inp.text
            draft.edited = True
        draft.approved_by = inp.actor.user_id
        draft.approved_at = self.now()
        self._take(Action.APPROVE)
        self.note(
            inp.actor.user_id,
            "approved",
            "response approved" + (" (edited)" if draft.edited else ""),
        )

    def issue(self, inp: IssueResponse) -> None:
        assert self.state.response is not None, "validated: the response is approved"
        self.state.issued_at = self.now()
        self.state.outcome = self.state.response.outcome
        self.state.response.publish = inp.publish
        self.state.response.withhold_reason = "" if inp.publish else inp.withhold_reason.strip()
        self._take(Action.ISSUE)
        clock = self.clock()
        _, with_extensions = on_time(self.state.issued_at, clock, self.policy.time_zone)
        self.note(
            inp.actor.user_id,
            "issued",
            f"response issued on {self.today()} ({'on time' if with_extensions else 'LATE'}; "
            f"due {clock.due_date}); outcome: {outcome_label(self.state.outcome)}"
            + ("" if inp.publish else f"; not for publication: {inp.withhold_reason.strip()}"),
        )
        for unit in sorted({t.unit for t in self.state.tasks}):
            self.tell(
                MessageKind.RESPONSE_ISSUED,
                Audience(kind=AudienceKind.UNIT, unit=unit),
                f"case@{unit}",
                f"the response was issued on {self.today()}",
                issued=self.today(),
                on_time="yes" if with_extensions else "no",
                outcome=outcome_label(self.state.outcome),
            )

    def withdraw(self, inp: CloseCase) -> None:
        self._take(Action.WITHDRAW)
        self._closed(Outcome.WITHDRAWN, inp.actor.user_id, inp.reason)

    def check_lapse(self) -> None:
        """Close the case when an awaited clarification or fee never came (s9(2), s45 Code)."""
        if self.closed:
            return
        clock = self.clock()
        if clock.lapsed:
            self._move(CaseStatus.LAPSED)
            self._closed(
                Outcome.LAPSED, SYSTEM, f"{clock.pause_reason}; no reply by {clock.lapse_date}"
            )

    def change_calendar(self, version: int, calendar: dict[str, object]) -> None:
        """Count on calendar ``version`` from now on: deadlines move, the timeline says how.

        A calendar the case cannot count on (it does not cover the case's days) is a problem:
        the case keeps the one it has.
        """
        before = self.state.calendar
        before_cal = calendar_data_from_json(before or {})
        before_due = self.clock().due_date
        self.state.calendar = calendar
        try:
            after_cal = calendar_data_from_json(calendar)
            after_due = self.clock().due_date
            due_dates = [self._task_due(t.routed_on) for t in open_tasks(self.state.tasks)]
        except CalendarError as exc:
            self.state.calendar = before
            self.problem(
                "calendar",
                f"calendar v{version} cannot count this case's days ({exc}); the case keeps "
                f"counting on v{before_cal.version}. Refresh the calendar "
                "(`foiflow calendar refresh`) and announce the new version",
            )
            return
        for task, due in zip(open_tasks(self.state.tasks), due_dates, strict=True):
            task.internal_due = due
        changes = "; ".join(after_cal.diff(before_cal)) or "no change in this case's window"
        moved = (
            f"due date moved from {before_due} to {after_due}"
            if before_due != after_due
            else f"due date stays {after_due}"
        )
        self.note(SYSTEM, "calendar_changed", f"{moved} by calendar v{version}: {changes}")
        self.resolve("calendar", f"now counting on calendar v{version}")

    # ---- reminders ----------------------------------------------------------------------------

    def planned_reminders(self) -> list[PlannedReminder]:
        """The reminders due from now; none, with a problem recorded, while they cannot be
        planned (a day beyond the calendar's coverage): a failed plan would fail every
        workflow task, and the case could not even be read."""
        try:
            planned = plan_reminders(
                reference=self.intake.reference,
                state=self.state,
                clock=self.clock(),
                calendar=self.calendar(),
                policy=self.policy,
                statutory_limit=self.regime.working_days or STATUTORY_LIMIT_FALLBACK,
                now=self.now(),
                zone=self.zone,
            )
        except (CalendarError, ValueError) as exc:
            self.problem(
                "reminders",
                f"cannot be planned ({exc}); none go out until this is fixed: refresh the "
                "calendar (`foiflow calendar refresh`) and check the reminder settings",
            )
            return []
        self.resolve("reminders", "planned again")
        return planned

    def reminder_sent(self, reminder: PlannedReminder) -> None:
        sent = reminder.record()
        self.state.reminders.append(sent)
        self.note(SYSTEM, "reminder", f"{sent.kind} to {sent.audience}: {sent.text}")

    def next_wake(self) -> datetime | None:
        """When the case next needs the workflow's attention without anyone acting."""
        times = [r.at for r in self.planned_reminders()]
        clock = self.clock()
        if clock.due_date and not clock.overdue and not self.closed:
            times.append(midnight_after(clock.due_date, self.zone))  # the overdue flag flips
        if clock.lapse_date and not clock.lapsed:
            times.append(midnight_after(clock.lapse_date, self.zone))
        return min(times) if times else None

    # ---- moving the case on -------------------------------------------------------------------

    def _advance(self) -> None:
        """Move the case on after any change: s12 route, sign-off, response composition."""
        self.touch()
        if self.state.status not in MOVING or not self.all_routed():
            return
        hours = cost_hours(self.state.tasks)
        limit = self.policy.cost_limit_hours
        if not self.state.cost_route_cleared and hours > limit:
            self._move(CaseStatus.COST_REVIEW)
            self.note(
                SYSTEM,
                "cost_limit",
                f"cost estimates total {hours:g} h, over the {limit:g} h limit (s12): "
                "officer to decide",
            )
            return
        if open_tasks(self.state.tasks):
            return
        regime = self.intake.regime
        sign_offs, requested = gather_sign_offs(
            self.state.tasks, self.state.sign_offs, self.policy.sign_off_policy(), regime
        )
        for fresh in requested:
            self.note(SYSTEM, "sign_off_requested", request_text(fresh, regime))
            self.tell(
                MessageKind.SIGN_OFF_REQUESTED,
                Audience(kind=AudienceKind.ROLE, role=fresh.required_role),
                f"s{fresh.section}",
                request_text(fresh, regime),
                section=fresh.section,
                questions=_questions(fresh.questions),
                role=fresh.required_role.value,
            )
        self.state.sign_offs = sign_offs
        if any(s.status != SignOffStatus.APPROVED for s in sign_offs):
            self._move(CaseStatus.SIGN_OFF)
            for task in self.state.tasks:
                if task.answer and task.answer.claims:
                    task.status = TaskStatus.LOCKED
            return
        for task in self.state.tasks:
            task.status = TaskStatus.SETTLED
        self._compose(SYSTEM, "composed")

    def _compose(
        self, actor: str, kind: str, note: str | None = None, cost_advice: str | None = None
    ) -> None:
        """Compose the response (a s12 refusal notice when ``cost_advice`` is given)."""
        text, outcome = letter.compose_response(
            self.intake.reference,
            self.intake.regime,
            self.intake.questions,
            self.state.tasks,
            self.policy.authority_name,
            cost_advice=cost_advice,
            cost_hours=cost_hours(self.state.tasks),
            cost_limit_hours=self.policy.cost_limit_hours,
        )
        self.state.response = ResponseDraft(text=text, outcome=outcome, composed_at=self.now())
        self._move(CaseStatus.RESPONSE_REVIEW)
        self.note(actor, kind, note or f"response composed: {outcome_label(outcome)}")

    def _tell_assigned(self, unit: str, numbers: list[int]) -> None:
        due = min(t.internal_due for t in self.state.tasks if t.question in numbers)
        self.tell(
            MessageKind.TASK_ASSIGNED,
            Audience(kind=AudienceKind.UNIT, unit=unit),
            f"q{'+'.join(map(str, numbers))}@{unit}",
            f"{_questions(numbers)} routed to {unit}, due {due}",
            questions=_questions(numbers),
            unit=unit,
            due=due,
        )

    def _tell_requester(self, inp: RecordClockEvent, after: ClockState) -> None:
        """The notices the statute requires the requester to get for a clock event."""
        note = inp.note or None
        kind = REQUESTER_NOTICES.get(inp.kind)
        if kind is not None:
            words = f"{kind.value.replace('_', ' ')} sent"
            self.tell(kind, REQUESTER, "case", words, regime=self.intake.regime, note=note)
        elif inp.kind == ClockEventKind.EXTENSION and (
            inp.extension == ExtensionKind.PUBLIC_INTEREST
        ):
            # s17(2): name the exemption and give an estimated date.
            sections = sorted(
                {c.section for t in self.state.tasks if t.answer for c in t.answer.claims},
                key=lambda s: (len(s), s),
            )
            self.tell(
                MessageKind.HOLDING_NOTICE,
                REQUESTER,
                "case",
                f"s17(2) holding notice: estimated date {after.due_date}",
                regime=self.intake.regime,
                due=after.due_date,
                exemptions=", ".join(f"section {s}" for s in sections) or None,
                note=note,
            )

    def _pause(self, action: Action) -> None:
        # A second pause (a fees notice while awaiting clarification) resumes where the first
        # one found the case.
        if self.state.status not in PAUSED_STATUSES:
            self.state.resume_status = self.state.status
        self._take(action)

    def _resume(self) -> None:
        self._move(self.state.resume_status or CaseStatus.IN_PROGRESS)
        self.state.resume_status = None
        for task in open_tasks(self.state.tasks):
            task.internal_due = max(task.internal_due, self._task_due(self.today()))

    def _closed(self, outcome: Outcome, actor: str, reason: str) -> None:
        self.state.outcome = outcome
        status = self.state.status.value
        self.note(actor, status, f"case {status}: {reason}")

    def _task(self, question: int) -> Task:
        task = find_task(self.state.tasks, question)
        assert task is not None, "validated: the question has a task"
        return task
