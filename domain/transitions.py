"""Who may do what to a case in each state: the one table every layer reads.

The workflow's validators refuse an action the table does not allow; services answer "what may
this user do on this case now" from it; pages render their buttons from it. Conditions that need
more than the status (a question still unrouted, a task owned by the actor's unit, a sign-off
waiting for the actor's role) are in :func:`available_actions`, beside the table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from domain.case import (
    CLOSED_STATUSES,
    Actor,
    CaseStatus,
    CaseView,
    SignOffStatus,
    TaskStatus,
)
from statute.clock import ClockEventKind
from statute.exemptions import Role


class Action(StrEnum):
    ROUTE = "route"
    REASSIGN = "reassign"
    ANSWER = "answer"
    SIGN_OFF = "sign_off"
    REQUEST_CLARIFICATION = "request_clarification"
    RECEIVE_CLARIFICATION = "receive_clarification"
    GIVE_FEES_NOTICE = "give_fees_notice"
    RECEIVE_FEE = "receive_fee"
    EXTEND = "extend"
    DECIDE_COST = "decide_cost"
    APPROVE = "approve"
    ISSUE = "issue"
    WITHDRAW = "withdraw"


OPEN_STATUSES = frozenset(CaseStatus) - CLOSED_STATUSES
PAUSED_STATUSES = frozenset({CaseStatus.AWAITING_CLARIFICATION, CaseStatus.AWAITING_FEE})
# Once the response is composed the answers are fixed: revising one means rejecting a sign-off.
COMPOSED_STATUSES = frozenset({CaseStatus.RESPONSE_REVIEW, CaseStatus.APPROVED})
RUNNING_CLOCK = OPEN_STATUSES - PAUSED_STATUSES - COMPOSED_STATUSES

UNIT_ROLES = frozenset({Role.UNIT_CONTACT, Role.UNIT_MANAGER})
APPROVER_ROLES = frozenset(
    {
        Role.SENIOR_OFFICER,
        Role.DATA_PROTECTION_OFFICER,
        Role.QUALIFIED_PERSON,
        Role.NATIONAL_SECURITY_LEAD,
    }
)
OFFICER = frozenset({Role.FOI_OFFICER})
# Who may see who asked: FOI is applicant-blind for everyone else.
REQUESTER_VISIBLE_ROLES = frozenset({Role.FOI_OFFICER, Role.MANAGER})


@dataclass(frozen=True)
class Transition:
    action: Action
    label: str  # the button a page shows
    roles: frozenset[Role]
    allowed_in: frozenset[CaseStatus]
    # The status the action leads to; None where the case decides (routing the last question,
    # the last answer composing the response, a refusal returning tasks to units).
    leads_to: CaseStatus | None = None
    clock_event: ClockEventKind | None = None


TRANSITIONS: tuple[Transition, ...] = (
    Transition(Action.ROUTE, "Route questions", OFFICER, OPEN_STATUSES),
    Transition(Action.REASSIGN, "Reassign a question", OFFICER, OPEN_STATUSES),
    Transition(Action.ANSWER, "Answer", UNIT_ROLES, OPEN_STATUSES - COMPOSED_STATUSES),
    Transition(Action.SIGN_OFF, "Sign off", APPROVER_ROLES, frozenset({CaseStatus.SIGN_OFF})),
    Transition(
        Action.REQUEST_CLARIFICATION,
        "Ask for clarification",
        OFFICER,
        RUNNING_CLOCK,
        CaseStatus.AWAITING_CLARIFICATION,
        ClockEventKind.CLARIFICATION_REQUESTED,
    ),
    Transition(
        Action.RECEIVE_CLARIFICATION,
        "Record the clarification",
        OFFICER,
        frozenset({CaseStatus.AWAITING_CLARIFICATION}),
        None,
        ClockEventKind.CLARIFICATION_RECEIVED,
    ),
    Transition(
        Action.GIVE_FEES_NOTICE,
        "Give a fees notice",
        OFFICER,
        RUNNING_CLOCK,
        CaseStatus.AWAITING_FEE,
        ClockEventKind.FEES_NOTICE_GIVEN,
    ),
    Transition(
        Action.RECEIVE_FEE,
        "Record the fee",
        OFFICER,
        frozenset({CaseStatus.AWAITING_FEE}),
        None,
        ClockEventKind.FEE_RECEIVED,
    ),
    Transition(
        Action.EXTEND,
        "Extend the deadline",
        OFFICER,
        RUNNING_CLOCK,
        None,
        ClockEventKind.EXTENSION,
    ),
    Transition(Action.DECIDE_COST, "Decide on cost", OFFICER, frozenset({CaseStatus.COST_REVIEW})),
    Transition(
        Action.APPROVE,
        "Approve the response",
        OFFICER,
        frozenset({CaseStatus.RESPONSE_REVIEW}),
        CaseStatus.APPROVED,
    ),
    Transition(
        Action.ISSUE,
        "Issue the response",
        OFFICER,
        frozenset({CaseStatus.APPROVED}),
        CaseStatus.ISSUED,
    ),
    Transition(Action.WITHDRAW, "Withdraw", OFFICER, OPEN_STATUSES, CaseStatus.WITHDRAWN),
)

_BY_ACTION = {t.action: t for t in TRANSITIONS}
_BY_CLOCK_EVENT = {t.clock_event: t for t in TRANSITIONS if t.clock_event is not None}


def transition(action: Action) -> Transition:
    return _BY_ACTION[action]


def clock_transition(kind: ClockEventKind) -> Transition | None:
    """The table's row for recording a clock event of ``kind`` (None for the receipt)."""
    return _BY_CLOCK_EVENT.get(kind)


def allows(action: Action, status: CaseStatus, roles: Iterable[Role]) -> bool:
    row = _BY_ACTION[action]
    return status in row.allowed_in and not row.roles.isdisjoint(roles)


def refusal(action: Action, status: CaseStatus, actor: Actor) -> str | None:
    """Why the table refuses ``action`` to ``actor`` now, naming the field; None when allowed."""
    row = _BY_ACTION[action]
    if row.roles.isdisjoint(actor.roles):
        needed = " or ".join(sorted(r.value for r in row.roles))
        return f"actor: {actor.user_id} is not a {needed} and cannot {row.label.lower()}"
    if status not in row.allowed_in:
        if status in CLOSED_STATUSES:
            return f"status: the case is {status.value} and can no longer change"
        return f"status: the case is {status.value}; {row.label.lower()} is not possible now"
    return None


def may_see_requester(actor: Actor) -> bool:
    return not REQUESTER_VISIBLE_ROLES.isdisjoint(actor.roles)


def available_actions(view: CaseView, actor: Actor) -> list[Action]:
    """What ``actor`` may do on the case now: the table, plus what the case's contents require."""
    routed = {t.question for t in view.tasks}
    unrouted = any(q.number not in routed for q in view.questions)
    movable = any(t.status not in (TaskStatus.LOCKED, TaskStatus.SETTLED) for t in view.tasks)
    answerable = any(
        t.unit in actor.units and t.status not in (TaskStatus.LOCKED, TaskStatus.SETTLED)
        for t in view.tasks
    )
    signable = any(
        s.status == SignOffStatus.PENDING
        and s.required_role in actor.roles
        and actor.user_id not in s.recommended_by
        for s in view.sign_offs
    )
    needs = {
        Action.ROUTE: unrouted,
        Action.REASSIGN: movable,
        Action.ANSWER: answerable,
        Action.SIGN_OFF: signable,
    }
    return [
        row.action
        for row in TRANSITIONS
        if allows(row.action, view.status, actor.roles) and needs.get(row.action, True)
    ]
