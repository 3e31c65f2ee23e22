"""What each human action must satisfy before it reaches history: the request workflow's
validators, as pure functions of the case and the input.

Who may act in which status comes from the transition table (``domain.transitions``); the rest
here is what the table cannot see: the question's unit, the answer's contents, the sign-off's own
role, the statute's clock. Every refusal is ``Rejected`` with a "field: reason" message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, tzinfo

from temporalio.exceptions import ApplicationError

from domain.case import (
    Actor,
    Answer,
    AnswerKind,
    Question,
    SignOff,
    SignOffStatus,
    Task,
    TaskStatus,
)
from domain.messages import (
    AnswerTask,
    ApproveResponse,
    CaseState,
    ClockEventRecord,
    CloseCase,
    CostDecision,
    IssueResponse,
    ReassignTask,
    RecordClockEvent,
    RouteQuestions,
    SignOffDecision,
)
from domain.transitions import Action, clock_transition, refusal
from statute import ClockError, ClockEventKind, ExtensionKind
from statute.exemptions import Outcome, Role, UnknownExemptionError, get_exemption
from workflows.clock import clock_record
from workflows.sign_offs import find_sign_off

OPEN_TASK = frozenset({TaskStatus.OPEN, TaskStatus.RETURNED})
FIXED_TASK = frozenset({TaskStatus.LOCKED, TaskStatus.SETTLED})  # under sign-off, or settled
# Outcomes with nothing withheld: their letters need no s17 refusal-notice content.
NOTHING_WITHHELD = frozenset({Outcome.GRANTED_IN_FULL, Outcome.NOT_HELD})


class Rejected(ApplicationError):
    """A human action the case cannot accept; the message names the field and the reason."""

    def __init__(self, message: str) -> None:
        super().__init__(message, type="Rejected", non_retryable=True)


class StaleVersion(ApplicationError):
    """An action based on a version of the case another person has changed since."""

    def __init__(self, message: str) -> None:
        super().__init__(message, type="StaleVersion", non_retryable=True)


def require(condition: bool, message: str) -> None:
    if not condition:
        raise Rejected(message)


# ---- what the rules read off the case ----------------------------------------------------------


def find_task(tasks: Sequence[Task], question: int) -> Task | None:
    return next((t for t in tasks if t.question == question), None)


def open_tasks(tasks: Sequence[Task]) -> list[Task]:
    """Tasks waiting for their unit: never answered, or returned by a refused sign-off."""
    return [t for t in tasks if t.status in OPEN_TASK]


def cost_hours(tasks: Sequence[Task]) -> float:
    """The s12 estimate: every cost answer's hours, added up across the request."""
    return sum(
        t.answer.hours or 0.0
        for t in tasks
        if t.answer is not None and t.answer.kind == AnswerKind.COST
    )


def qualified_claim_exists(tasks: Sequence[Task]) -> bool:
    return any(
        get_exemption(c.section).qualified for t in tasks if t.answer for c in t.answer.claims
    )


# ---- the table, and a case still opening ------------------------------------------------------


def check_allowed(action: Action, state: CaseState, actor: Actor) -> None:
    """The transition table's verdict on ``actor`` doing ``action`` now (role, then status)."""
    reason = refusal(action, state.status, actor)
    if reason is not None:
        raise Rejected(reason)
    require(
        state.calendar is not None,
        "status: the case is still opening (loading its calendar); try again in a moment",
    )


def check_fresh(state: CaseState, expected: int | None, now: datetime, zone: tzinfo) -> None:
    """Refuse an action based on a version of the case a person has changed since: two contacts
    answering the same task at once must not silently overwrite each other. The system's own
    changes (reminders, a new calendar) do not make a version stale. ``expected`` None: not
    checked.

    Sound because the update handlers are synchronous: the SDK runs an update's validator and
    its handler with no await between them, so the next update's validator sees the change."""
    if expected is None:
        return
    if not 0 <= expected <= state.version:
        raise StaleVersion(
            f"version: the case has no version {expected} (it is at v{state.version}); reload "
            "and try again"
        )
    change = state.last_change
    if change is None or change.version <= expected:
        return
    local = change.at.astimezone(zone)
    when = (
        f"{local:%H:%M}"
        if local.date() == now.astimezone(zone).date()
        else (f"{local:%H:%M} on {local:%Y-%m-%d}")
    )
    raise StaleVersion(
        f"version: the case changed since you read it (v{expected} → v{state.version}, by "
        f"{change.actor} at {when}); reload and try again"
    )


# ---- answers -----------------------------------------------------------------------------------


def validate_answer(answer: Answer) -> None:
    """What each kind of answer must record (ICO expectations, s17 contents)."""
    kind = answer.kind
    if kind == AnswerKind.DISCLOSED:
        require(
            bool(answer.information.strip() or answer.attachments),
            "answer.information: a disclosed answer needs the information or an attachment",
        )
    if kind in (AnswerKind.NOT_HELD, AnswerKind.PARTLY_HELD):
        require(
            bool(answer.searches.strip()),
            "answer.searches: record where and how the information was searched for",
        )
    if kind == AnswerKind.EXEMPT:
        require(bool(answer.claims), "answer.claims: an exempt answer needs at least one claim")
    if kind == AnswerKind.COST:
        require(
            answer.hours is not None and answer.hours > 0,
            "answer.hours: a cost answer needs the estimated hours (more than 0)",
        )
    if kind == AnswerKind.TRANSFER:
        require(
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
        require(
            bool(claim.reason.strip()), f"{field}.reason: say why section {claim.section} applies"
        )
        if exemption.needs_prejudice(claim.subsections):
            require(
                bool((claim.prejudice or "").strip()) and claim.likelihood is not None,
                f"{field}.prejudice: section {exemption.section} is prejudice-based: state the "
                "prejudice and whether disclosure would or would be likely to cause it",
            )
        if exemption.qualified:
            require(
                bool(claim.public_interest_for) and bool(claim.public_interest_against),
                f"{field}.public_interest_for: section {exemption.section} is a qualified "
                "exemption: record public interest factors for and against disclosure",
            )
        if claim.ncnd:
            require(
                exemption.ncnd is not None,
                f"{field}.ncnd: section {exemption.section} has no neither-confirm-nor-deny limb",
            )


def check_answer(state: CaseState, inp: AnswerTask) -> None:
    task = find_task(state.tasks, inp.question)
    if task is None:
        raise Rejected(f"question: Q{inp.question} has not been routed to a unit")
    require(
        task.unit in inp.actor.units,
        f"actor: {inp.actor.user_id} is not a member of unit {task.unit}, "
        f"which owns Q{task.question}",
    )
    check_allowed(Action.ANSWER, state, inp.actor)
    require(
        task.status not in FIXED_TASK,
        f"question: the answer to Q{task.question} is under sign-off and can no longer be revised",
    )
    validate_answer(inp.answer)


# ---- routing -----------------------------------------------------------------------------------


def check_route(state: CaseState, questions: Sequence[Question], inp: RouteQuestions) -> None:
    check_allowed(Action.ROUTE, state, inp.actor)
    require(bool(inp.routes), "routes: give at least one question and unit")
    numbers = {q.number for q in questions}
    routed = {t.question for t in state.tasks}
    seen: set[int] = set()
    for i, route in enumerate(inp.routes):
        require(
            route.question in numbers,
            f"routes[{i}].question: the request has no question {route.question}",
        )
        require(
            route.question not in routed,
            f"routes[{i}].question: Q{route.question} is already routed; reassign it instead",
        )
        require(route.question not in seen, f"routes[{i}].question: Q{route.question} twice")
        require(bool(route.unit.strip()), f"routes[{i}].unit: name the owning unit")
        seen.add(route.question)


def check_reassign(state: CaseState, inp: ReassignTask) -> None:
    check_allowed(Action.REASSIGN, state, inp.actor)
    task = find_task(state.tasks, inp.question)
    if task is None:
        raise Rejected(f"question: Q{inp.question} has no task")
    require(
        task.status not in FIXED_TASK,
        f"question: Q{inp.question} is under sign-off or settled and cannot be reassigned",
    )
    require(bool(inp.unit.strip()), "unit: name the new owning unit")
    require(inp.unit != task.unit, f"unit: Q{inp.question} is already with {inp.unit}")
    require(bool(inp.reason.strip()), "reason: say why the task moves")


# ---- sign-off ----------------------------------------------------------------------------------


def sign_off_role_refusal(sign_off: SignOff, actor: Actor) -> str:
    """Why ``actor`` may not decide ``sign_off``: it needs another role."""
    if sign_off.required_role == Role.QUALIFIED_PERSON:
        # s36(2): the statute's own words. Which sections need this role is the sign-off
        # policy's to say (``SignOffPolicy.role_for``), not this message's.
        return (
            f"actor: section {sign_off.section} needs the reasonable opinion of the qualified "
            f"person; {actor.user_id} is not the qualified person"
        )
    return (
        f"actor: {actor.user_id} is not a {sign_off.required_role.value} and cannot sign off "
        f"section {sign_off.section}"
    )


def check_sign_off(state: CaseState, inp: SignOffDecision) -> None:
    check_allowed(Action.SIGN_OFF, state, inp.actor)
    sign_off = find_sign_off(state.sign_offs, inp.section)
    if sign_off is None or sign_off.status != SignOffStatus.PENDING:
        raise Rejected(f"section: no sign-off is pending for section {inp.section}")
    require(sign_off.required_role in inp.actor.roles, sign_off_role_refusal(sign_off, inp.actor))
    require(
        inp.actor.user_id not in sign_off.recommended_by,
        f"actor: {inp.actor.user_id} recommended section {sign_off.section} and cannot sign it off",
    )
    require(
        inp.approve or bool(inp.reason.strip()),
        "reason: say why the sign-off is refused, for the unit",
    )


# ---- the clock ---------------------------------------------------------------------------------


def check_clock_event(
    state: CaseState,
    inp: RecordClockEvent,
    now: datetime,
    clock_with: Callable[[ClockEventRecord], object],
) -> None:
    """``clock_with(record)`` computes the case's clock with the new event added: the statute's
    clock refuses events out of order (a fee nobody asked for) with its own reason."""
    row = clock_transition(inp.kind)
    if row is None:
        raise Rejected("kind: the receipt is recorded at intake only")
    check_allowed(row.action, state, inp.actor)
    if inp.kind == ClockEventKind.EXTENSION:
        require(inp.extension is not None, "extension: say which extension")
        if inp.extension == ExtensionKind.PUBLIC_INTEREST:
            require(
                qualified_claim_exists(state.tasks),
                "extension: a public interest extension (s10(3)) needs a qualified exemption "
                "under consideration, and none has been claimed",
            )
    try:
        clock_with(clock_record(inp, now))
    except ClockError as exc:
        raise Rejected(str(exc)) from None


# ---- cost, response, issue, close --------------------------------------------------------------


def check_cost(state: CaseState, inp: CostDecision) -> None:
    check_allowed(Action.DECIDE_COST, state, inp.actor)
    require(
        not inp.refuse or bool(inp.advice.strip()),
        "advice: a s12 refusal must advise how the request could be narrowed (s16)",
    )


def check_approve(state: CaseState, inp: ApproveResponse) -> None:
    check_allowed(Action.APPROVE, state, inp.actor)
    draft = state.response
    if draft is None:
        raise Rejected(
            f"status: the case is {state.status.value}; there is no composed response to approve"
        )
    if inp.text is None:
        return
    require(bool(inp.text.strip()), "text: the response cannot be empty")
    if draft.outcome not in NOTHING_WITHHELD:
        lowered = inp.text.lower()
        require(
            "internal review" in lowered and "commissioner" in lowered,
            "text: a refusal notice must set out the internal review procedure and the "
            "right to complain to the Information Commissioner (s17(7))",
        )


def check_issue(state: CaseState, inp: IssueResponse) -> None:
    check_allowed(Action.ISSUE, state, inp.actor)
    require(
        inp.publish or bool(inp.withhold_reason.strip()),
        "withhold_reason: say why the response is not for publication in the disclosure log",
    )


def check_close(state: CaseState, inp: CloseCase) -> None:
    check_allowed(Action.WITHDRAW, state, inp.actor)
    require(bool(inp.reason.strip()), "reason: say why the case is closed")
