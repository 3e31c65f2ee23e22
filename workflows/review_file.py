"""The review file: what happens after a response, as state, rules and changes.

Pure, like ``case_file``: the time comes from ``now``; the workflow checks each input with the
``check_*`` functions (its validators) before the matching change runs. Three stages share one
state and one timeline: the requester's window to ask for a review, the internal review on its
own clock, and the regulator stage (complaint, information request, decision notice, compliance
and the appeal window). Every deadline is a ``Deadline`` and reminds the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from domain.case import Audience, AudienceKind, TimelineEntry
from domain.messages import Notification
from domain.notices import MessageKind, notice_key
from domain.review import (
    AssignReviewer,
    CloseReview,
    Deadline,
    ExtendReview,
    NoticeDecision,
    RecordAppeal,
    RecordComplaint,
    RecordCompliance,
    RecordDecisionNotice,
    RecordInformationRequest,
    RecordInformationSent,
    RecordReviewOutcome,
    RegulatorStage,
    RequestReview,
    ReviewInput,
    ReviewOutcome,
    ReviewStage,
    ReviewState,
    ReviewUpdateResult,
    ReviewView,
)
from statute import CalendarData, WorkingDayCalendar, calendar_for, local_date
from statute.exemptions import Role, review_route_for
from statute.reviews import (
    COMPLIANCE_CALENDAR_DAYS,
    appeal_days,
    review_clock,
    review_extension_limit,
    review_window,
)
from workflows.clock import local_time, midnight_after
from workflows.rules import Rejected

Input = TypeVar("Input")
SYSTEM = "system"
REVIEW_KIND = MessageKind.REVIEW_DEADLINE
OFFICERS = Audience(kind=AudienceKind.FOI_OFFICER)
WARN_WORKING_DAYS = 3  # the first reminder: three working days before a deadline
OPEN_STAGES = frozenset({ReviewStage.UNDER_REVIEW, ReviewStage.DECIDED, ReviewStage.WITH_REGULATOR})


def _officer(actor_roles: list[Role], what: str) -> None:
    if Role.FOI_OFFICER not in actor_roles:
        raise Rejected(f"actor: only an FOI officer may {what}")


class ReviewFile:
    def __init__(self, inp: ReviewInput, now: Callable[[], datetime]) -> None:
        self.inp = inp
        self.now = now
        self.zone = ZoneInfo(inp.time_zone)
        self.state = inp.state or ReviewState()
        self._calendars: dict[str, WorkingDayCalendar] = {}

    # ---- reading -----------------------------------------------------------------------------

    @property
    def reference(self) -> str:
        return self.inp.reference

    @property
    def closed(self) -> bool:
        return self.state.stage == ReviewStage.CLOSED

    def today(self) -> date:
        return local_date(self.now(), self.inp.time_zone)

    def _calendar(self, code: str) -> WorkingDayCalendar:
        if code not in self._calendars:
            regime = (
                review_window(self.inp.regime)
                if code == "window"
                else review_clock(self.inp.regime)
            )
            data = CalendarData.from_json(self.inp.calendar or {})
            self._calendars[code] = calendar_for(regime, data)
        return self._calendars[code]

    def view(self) -> ReviewView:
        s = self.state
        return ReviewView(
            reference=self.reference,
            regime=self.inp.regime,
            version=s.version,
            stage=s.stage,
            issued_at=self.inp.issued_at,
            original_outcome=self.inp.original_outcome,
            window_ends=s.window_ends,
            requested_on=s.requested_on,
            grounds=s.grounds,
            due=s.due,
            statutory_due=s.statutory_due,
            extended=s.extended,
            reviewer=s.reviewer,
            outcome=s.outcome,
            reasons=s.reasons,
            now_disclosed=s.now_disclosed,
            decided_on=s.decided_on,
            on_time=s.on_time,
            overdue=s.stage == ReviewStage.UNDER_REVIEW
            and s.due is not None
            and self.today() > s.due,
            regulator=s.regulator,
            deadlines=list(s.deadlines),
            timeline=list(s.timeline),
        )

    # ---- writing -----------------------------------------------------------------------------

    def apply(self, change: Callable[[Input], None], inp: Input) -> ReviewUpdateResult:
        since = len(self.state.timeline)
        change(inp)
        return ReviewUpdateResult(
            reference=self.reference,
            version=self.state.version,
            stage=self.state.stage,
            changed="; ".join(e.text for e in self.state.timeline[since:]),
        )

    def note(self, actor: str, kind: str, text: str) -> None:
        seq = len(self.state.timeline) + 1
        self.state.timeline.append(
            TimelineEntry(seq=seq, at=self.now(), actor=actor, kind=kind, text=text)
        )
        self.state.version += 1

    def _deadline(self, key: str, what: str, due: date, audience: str = "foi_officer") -> None:
        self.state.deadlines = [d for d in self.state.deadlines if d.key != key]
        self.state.deadlines.append(Deadline(key=key, what=what, due=due, audience=audience))

    def _met(self, key: str, on: date) -> None:
        for deadline in self.state.deadlines:
            if deadline.key == key and deadline.met_on is None:
                deadline.met_on = on

    # ---- the window ----------------------------------------------------------------------------

    def loaded(self, calendar: dict[str, object]) -> None:
        """The calendar the review counts on (the request's version, cut to its window)."""
        self.inp = self.inp.model_copy(update={"calendar": calendar})
        self._calendars = {}

    @property
    def window_unopened(self) -> bool:
        """Its calendar is there but ``open_window`` has not run."""
        return self.inp.calendar is not None and self.state.window_ends is None

    def _window_end(self) -> date:
        """The last day the requester may ask for a review, counted from the response."""
        if self.state.window_ends is not None:
            return self.state.window_ends
        issued_on = local_date(self.inp.issued_at, self.inp.time_zone)
        window = review_window(self.inp.regime)
        assert window.working_days is not None
        return self._calendar("window").add_working_days(issued_on, window.working_days)

    def open_window(self) -> None:
        if self.state.window_ends is not None:
            return
        window = review_window(self.inp.regime)
        ends = self._window_end()
        self.state.window_ends = ends
        route = review_route_for(self.inp.regime)
        self.note(
            SYSTEM,
            "review_window",
            f"the requester may ask for {route.review} until {ends} "
            f"({window.working_days} working days from the response, {window.citation})",
        )

    def window_passed(self) -> bool:
        ends = self.state.window_ends
        return self.state.stage == ReviewStage.WINDOW and ends is not None and self.today() > ends

    def close_window(self) -> None:
        self.state.stage = ReviewStage.CLOSED
        self.note(
            SYSTEM,
            "closed",
            f"no review was asked for by {self.state.window_ends}: the case is closed for good",
        )

    # ---- rules (validators) --------------------------------------------------------------------

    def ready(self) -> None:
        if self.inp.calendar is None:
            raise Rejected("stage: the review stage is still opening (loading its calendar)")

    def check_request(self, inp: RequestReview) -> None:
        _officer(inp.actor.roles, "open a review from the requester's message")
        if self.state.stage != ReviewStage.WINDOW:
            raise Rejected(
                f"stage: a review has already been asked for (the case is {self._stage_words()})"
            )
        issued_on = local_date(self.inp.issued_at, self.inp.time_zone)
        if inp.received_on < issued_on:
            raise Rejected(
                f"received_on: {inp.received_on} is before the response was issued ({issued_on})"
            )
        if inp.received_on > self.today():
            raise Rejected(f"received_on: {inp.received_on} is in the future")
        # Counted here when the window is not open yet: a request that came with the stage's
        # start is validated before the stage's first step opens it.
        ends = self._window_end()
        if inp.received_on > ends:
            raise Rejected(
                f"received_on: {inp.received_on} is after the review window closed ({ends})"
            )

    def _under_review(self) -> None:
        if self.state.stage != ReviewStage.UNDER_REVIEW:
            raise Rejected(f"stage: no review is under way (the case is {self._stage_words()})")

    def _stage_words(self) -> str:
        return {
            ReviewStage.WINDOW: "in its review window",
            ReviewStage.UNDER_REVIEW: "under review",
            ReviewStage.DECIDED: "reviewed",
            ReviewStage.WITH_REGULATOR: "with the regulator",
            ReviewStage.CLOSED: "closed for good",
        }[self.state.stage]

    def independence(self, user_id: str, who: str) -> None:
        parts = self.inp.participants.part_of(user_id)
        if parts:
            raise Rejected(
                f"{who}: {user_id} {' and '.join(parts)} the original response, so cannot carry "
                "out its review: the review must be done by someone not involved in the "
                "original decision"
            )

    def check_assign(self, inp: AssignReviewer) -> None:
        _officer(inp.actor.roles, "assign the reviewer")
        self._under_review()
        if not inp.reviewer.strip():
            raise Rejected("reviewer: give the reviewer's user id")
        self.independence(inp.reviewer.strip(), "reviewer")

    def check_extend(self, inp: ExtendReview) -> None:
        _officer(inp.actor.roles, "extend the review")
        self._under_review()
        limit = review_extension_limit(self.inp.regime)
        if limit is None:
            period = review_clock(self.inp.regime)
            raise Rejected(
                f"extension: a {self.inp.regime.upper()} review may not be extended "
                f"({period.limit_words}, {period.citation})"
            )
        if self.state.extended:
            raise Rejected(f"extension: the review is already extended to {limit} working days")
        if not inp.reason.strip():
            raise Rejected("reason: say why the review needs more time (s45 Code para 5.5)")

    def check_outcome(self, inp: RecordReviewOutcome) -> None:
        self._under_review()
        if self.state.reviewer is None:
            raise Rejected("reviewer: assign a reviewer before recording the outcome")
        if inp.actor.user_id != self.state.reviewer:
            raise Rejected(
                f"actor: only the assigned reviewer ({self.state.reviewer}) records the outcome"
            )
        self.independence(inp.actor.user_id, "actor")
        if not inp.reasons.strip():
            raise Rejected("reasons: give the reviewer's reasons for the outcome")
        if inp.outcome != ReviewOutcome.UPHELD and not inp.now_disclosed.strip():
            raise Rejected(
                "now_disclosed: say what is now disclosed when the original decision is "
                f"{inp.outcome.value.replace('_', ' ')}"
            )

    def check_complaint(self, inp: RecordComplaint) -> None:
        _officer(inp.actor.roles, "record a complaint to the regulator")
        if self.state.stage not in (ReviewStage.DECIDED, ReviewStage.UNDER_REVIEW):
            raise Rejected(
                f"stage: a complaint follows a review (the case is {self._stage_words()})"
            )
        if inp.received_on > self.today():
            raise Rejected(f"received_on: {inp.received_on} is in the future")
        if self.state.requested_on and inp.received_on < self.state.requested_on:
            raise Rejected(
                f"received_on: {inp.received_on} is before the review was asked for "
                f"({self.state.requested_on})"
            )

    def _with_regulator(self) -> RegulatorStage:
        if self.state.stage != ReviewStage.WITH_REGULATOR or self.state.regulator is None:
            raise Rejected(f"stage: no complaint is with the regulator ({self._stage_words()})")
        return self.state.regulator

    def check_information_request(self, inp: RecordInformationRequest) -> None:
        _officer(inp.actor.roles, "record the regulator's information request")
        stage = self._with_regulator()
        if inp.received_on < stage.complaint_received_on:
            raise Rejected("received_on: before the complaint was received")
        if inp.due < inp.received_on:
            raise Rejected(f"due: {inp.due} is before the request arrived ({inp.received_on})")

    def check_information_sent(self, inp: RecordInformationSent) -> None:
        _officer(inp.actor.roles, "record the reply to the regulator")
        stage = self._with_regulator()
        if stage.information_due is None:
            raise Rejected("sent_on: the regulator has asked for no information")
        if inp.sent_on > self.today():
            raise Rejected(f"sent_on: {inp.sent_on} is in the future")

    def check_decision_notice(self, inp: RecordDecisionNotice) -> None:
        _officer(inp.actor.roles, "record a decision notice")
        stage = self._with_regulator()
        if stage.decision_notice_on is not None:
            raise Rejected(
                f"issued_on: a decision notice of {stage.decision_notice_on} is recorded"
            )
        if inp.issued_on < stage.complaint_received_on or inp.issued_on > self.today():
            raise Rejected(
                f"issued_on: {inp.issued_on} must fall between the complaint "
                f"({stage.complaint_received_on}) and today"
            )
        if inp.decision != NoticeDecision.NOT_UPHELD and not inp.steps.strip():
            raise Rejected("steps: say what the notice orders the authority to do")
        if inp.compliance_due is not None and inp.compliance_due < inp.issued_on:
            raise Rejected("compliance_due: before the notice was issued")

    def check_compliance(self, inp: RecordCompliance) -> None:
        _officer(inp.actor.roles, "record compliance with a decision notice")
        stage = self._with_regulator()
        if stage.compliance_due is None:
            raise Rejected("complied_on: no decision notice with steps is recorded")
        if stage.complied_on is not None:
            raise Rejected(f"complied_on: compliance on {stage.complied_on} is recorded")
        if inp.complied_on > self.today() or (
            stage.decision_notice_on and inp.complied_on < stage.decision_notice_on
        ):
            raise Rejected(f"complied_on: {inp.complied_on} must fall between the notice and today")

    def check_appeal(self, inp: RecordAppeal) -> None:
        _officer(inp.actor.roles, "record an appeal")
        stage = self._with_regulator()
        if stage.appeal_by is None or stage.decision_notice_on is None:
            raise Rejected("lodged_on: an appeal follows a decision notice")
        if stage.appealed_on is not None:
            raise Rejected(f"lodged_on: an appeal of {stage.appealed_on} is recorded")
        if not stage.decision_notice_on <= inp.lodged_on <= stage.appeal_by:
            raise Rejected(
                f"lodged_on: {inp.lodged_on} is outside the appeal window "
                f"({stage.decision_notice_on} to {stage.appeal_by})"
            )

    def check_close(self, inp: CloseReview) -> None:
        _officer(inp.actor.roles, "close the case for good")
        if self.state.stage not in (ReviewStage.DECIDED, ReviewStage.WITH_REGULATOR):
            raise Rejected(
                f"stage: only a reviewed case can be closed by hand ({self._stage_words()})"
            )
        if not inp.reason.strip():
            raise Rejected("reason: say why the case is closed")

    # ---- changes -------------------------------------------------------------------------------

    def request(self, inp: RequestReview) -> None:
        s = self.state
        s.stage = ReviewStage.UNDER_REVIEW
        s.requested_on = inp.received_on
        s.grounds = inp.grounds.strip()
        s.opened_by = inp.actor.user_id
        period = review_clock(self.inp.regime)
        assert period.working_days is not None
        s.due = s.statutory_due = self._calendar("review").add_working_days(
            inp.received_on, period.working_days
        )
        self._deadline("review", "internal review decision", s.due)
        self.note(
            inp.actor.user_id,
            "review_requested",
            f"{review_route_for(self.inp.regime).review} asked for on {inp.received_on}; "
            f"decision due {s.due} ({period.limit_words}, {period.citation})",
        )

    def assign(self, inp: AssignReviewer) -> None:
        self.state.reviewer = inp.reviewer.strip()
        self._deadline(
            "review",
            "internal review decision",
            self.state.due or self.today(),
            f"user:{self.state.reviewer}",
        )
        self.note(inp.actor.user_id, "reviewer_assigned", f"reviewer: {self.state.reviewer}")

    def extend(self, inp: ExtendReview) -> None:
        s = self.state
        limit = review_extension_limit(self.inp.regime)
        assert limit is not None and s.requested_on is not None
        s.due = self._calendar("review").add_working_days(s.requested_on, limit)
        s.extended = True
        audience = f"user:{s.reviewer}" if s.reviewer else "foi_officer"
        self._deadline("review", "internal review decision", s.due, audience)
        self.note(
            inp.actor.user_id,
            "review_extended",
            f"review extended to {limit} working days, due {s.due}: {inp.reason.strip()}",
        )

    def decide(self, inp: RecordReviewOutcome) -> None:
        s = self.state
        today = self.today()
        s.outcome = inp.outcome
        s.reasons = inp.reasons.strip()
        s.now_disclosed = inp.now_disclosed.strip()
        s.decided_on = today
        s.on_time = s.due is not None and today <= s.due
        s.stage = ReviewStage.DECIDED
        self._met("review", today)
        self.note(
            inp.actor.user_id,
            "review_decided",
            f"review decided on {today} ({'on time' if s.on_time else 'LATE'}; due {s.due}): "
            f"original decision {inp.outcome.value.replace('_', ' ')}"
            + (f"; now disclosed: {s.now_disclosed}" if s.now_disclosed else ""),
        )

    def complaint(self, inp: RecordComplaint) -> None:
        route = review_route_for(self.inp.regime)
        self.state.regulator = RegulatorStage(
            regulator=route.regulator,
            complaint_received_on=inp.received_on,
            regulator_reference=inp.regulator_reference.strip(),
        )
        self.state.stage = ReviewStage.WITH_REGULATOR
        self.note(
            inp.actor.user_id,
            "complaint",
            f"complaint to {route.regulator} under {route.complaint} received on "
            f"{inp.received_on}"
            + (
                f" (their reference {inp.regulator_reference.strip()})"
                if inp.regulator_reference.strip()
                else ""
            ),
        )

    def information_request(self, inp: RecordInformationRequest) -> None:
        stage = self._with_regulator()
        stage.information_due = inp.due
        stage.information_sent_on = None
        self._deadline("information", f"reply to {stage.regulator}'s enquiries", inp.due)
        self.note(
            inp.actor.user_id,
            "regulator_information_request",
            f"{stage.regulator} asked for information on {inp.received_on}; reply due {inp.due}",
        )

    def information_sent(self, inp: RecordInformationSent) -> None:
        stage = self._with_regulator()
        stage.information_sent_on = inp.sent_on
        self._met("information", inp.sent_on)
        late = stage.information_due is not None and inp.sent_on > stage.information_due
        self.note(
            inp.actor.user_id,
            "regulator_information_sent",
            f"reply sent to {stage.regulator} on {inp.sent_on}"
            + (f" (LATE; due {stage.information_due})" if late else ""),
        )

    def decision_notice(self, inp: RecordDecisionNotice) -> None:
        stage = self._with_regulator()
        stage.decision_notice_on = inp.issued_on
        stage.decision = inp.decision
        stage.notice_reference = inp.notice_reference.strip()
        stage.steps = inp.steps.strip()
        stage.appeal_by = inp.issued_on + timedelta(days=appeal_days(self.inp.regime))
        words = (
            f"decision notice of {inp.issued_on}: complaint {inp.decision.value.replace('_', ' ')}"
        )
        if stage.steps:
            stage.compliance_due = inp.compliance_due or inp.issued_on + timedelta(
                days=COMPLIANCE_CALENDAR_DAYS
            )
            self._deadline("compliance", "steps the decision notice orders", stage.compliance_due)
            words += f"; steps ordered ({stage.steps}) by {stage.compliance_due}"
        self._deadline("appeal", "the appeal window", stage.appeal_by)
        self._met("information", inp.issued_on)
        self.note(inp.actor.user_id, "decision_notice", f"{words}; appeal by {stage.appeal_by}")

    def compliance(self, inp: RecordCompliance) -> None:
        stage = self._with_regulator()
        stage.complied_on = inp.complied_on
        self._met("compliance", inp.complied_on)
        late = stage.compliance_due is not None and inp.complied_on > stage.compliance_due
        self.note(
            inp.actor.user_id,
            "complied",
            f"decision notice complied with on {inp.complied_on}"
            + (f" (LATE; due {stage.compliance_due})" if late else " (on time)"),
        )

    def appeal(self, inp: RecordAppeal) -> None:
        stage = self._with_regulator()
        stage.appealed_on = inp.lodged_on
        self._met("appeal", inp.lodged_on)
        self.note(
            inp.actor.user_id,
            "appealed",
            f"appeal against the decision notice lodged on {inp.lodged_on}",
        )

    def close(self, inp: CloseReview) -> None:
        self.state.stage = ReviewStage.CLOSED
        self.note(inp.actor.user_id, "closed", f"case closed for good: {inp.reason.strip()}")

    def settle(self) -> None:
        """Close for good once the regulator stage has nothing left: a decision notice complied
        with (or ordering nothing) and its appeal window passed without an appeal."""
        stage = self.state.regulator
        if self.state.stage != ReviewStage.WITH_REGULATOR or stage is None:
            return
        if stage.appeal_by is None or stage.appealed_on is not None:
            return
        if stage.compliance_due is not None and stage.complied_on is None:
            return
        if self.today() > stage.appeal_by:
            self.state.stage = ReviewStage.CLOSED
            self._met("appeal", stage.appeal_by)
            self.note(
                SYSTEM,
                "closed",
                f"no appeal by {stage.appeal_by} and nothing left to comply with: "
                "the case is closed for good",
            )

    # ---- reminders -----------------------------------------------------------------------------

    def _reminders(self) -> list[tuple[datetime, Notification]]:
        """Every reminder the open deadlines call for: three working days before, on the day,
        and the working day after (overdue)."""
        if self.closed:
            return []
        calendar = self._calendar("review")
        planned: list[tuple[datetime, Notification]] = []
        for d in self.state.deadlines:
            if d.met_on is not None or d.key == "appeal":
                continue
            for label, day in (
                ("due_soon", calendar.subtract_working_days(d.due, WARN_WORKING_DAYS)),
                ("due_today", d.due),
                ("overdue", calendar.next_working_day(d.due + timedelta(days=1))),
            ):
                key = notice_key(self.reference, REVIEW_KIND, f"{d.key}-{label}", day)
                if key in self.state.reminders_sent:
                    continue
                text = {
                    "due_soon": f"{d.what} due {d.due}",
                    "due_today": f"{d.what} due today ({d.due})",
                    "overdue": f"{d.what} OVERDUE: it was due {d.due}",
                }[label]
                planned.append(
                    (
                        local_time(day, self.inp.send_hour, self.zone),
                        Notification(
                            key=key,
                            reference=self.reference,
                            kind=REVIEW_KIND.value,
                            audience=d.audience,
                            subject=f"[{self.reference}] {text}",
                            body=text,
                            facts={"summary": text, "due": d.due.isoformat(), "deadline": d.key},
                        ),
                    )
                )
        return planned

    def due_reminders(self) -> list[Notification]:
        now = self.now()
        return [n for at, n in self._reminders() if at <= now]

    def reminder_sent(self, notice: Notification) -> None:
        self.state.reminders_sent.append(notice.key)
        self.note(SYSTEM, "reminder", f"{notice.body} (to {notice.audience})")

    def next_wake(self) -> datetime | None:
        times = [at for at, _ in self._reminders()]
        s = self.state
        if s.stage == ReviewStage.WINDOW and s.window_ends is not None:
            times.append(midnight_after(s.window_ends, self.zone))
        appeal_by = s.regulator.appeal_by if s.regulator else None
        if s.stage == ReviewStage.WITH_REGULATOR and appeal_by and self.today() <= appeal_by:
            times.append(midnight_after(appeal_by, self.zone))
        return min(times) if times else None

    # ---- messages about what happened ------------------------------------------------------------

    def tell_officers(self, target: str, text: str) -> None:
        self.state.notices.append(
            Notification(
                key=notice_key(self.reference, REVIEW_KIND, target, self.today()),
                reference=self.reference,
                kind=REVIEW_KIND.value,
                audience=OFFICERS.address,
                subject=f"[{self.reference}] {text}",
                body=text,
                facts={"summary": text},
            )
        )
