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
    REFUSE_VEXATIOUS = "refuse_vexatious"
    APPROVE = "approve"
    ISSUE = "issue"
    WITHDRAW = "withdraw"


OPEN_STATUSES = frozenset(CaseStatus) - CLOSED_STATUSES
PAUSED_STATUSES = frozenset({CaseStatus.AWAITING_CLARIFICATION, CaseStatus.AWAITING_FEE})
# Once the response is composed the answers are fixed: revising one means rejecting a sign-off.
COMPOSED_STATUSES = frozenset({CaseStatus.RESPONSE_REVIEW, CaseStatus.APPROVED})

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
# An authority's sign-off policy may name any role for an exemption (s36 is always the qualified
# person's): the table lets every role try, and each sign-off checks its own required role.
ANY_ROLE = frozenset(Role)
# Regimes with a s14 (vexatious or repeated requests): FOIA s14, FOISA s14.
VEXATIOUS_REGIMES = frozenset({"foia", "foisa"})
# Who may see who asked: FOI is applicant-blind for everyone else.
REQUESTER_VISIBLE_ROLES = frozenset({Role.FOI_OFFICER, Role.MANAGER})


@dataclass(frozen=True)
class Transition:
    action: Action
    label: str  # the button a page shows
    roles: frozenset[Role]
    allowed_in: frozenset[CaseStatus]
    # The status the action leads to; None where the case decides (routing the last question,
    # the last answer composing the response, a refusal returning tasks to units, a clock
    # resuming where it paused).
    leads_to: CaseStatus | None = None
    clock_event: ClockEventKind | None = None
    # How refusals word the action: "actor: … cannot {verb}" (the label's words when empty) and
    # "status: the case is {status}{not_now}" (when the status does not allow it).
    verb: str = ""
    not_now: str = ""

    @property
    def refused_as(self) -> str:
        return self.verb or self.label.lower()

    @property
    def refused_now(self) -> str:
        return self.not_now or f"; {self.label.lower()} is not possible now"


# Clock events are the FOI officer's on any open case; the statute's clock decides their order
# (a clarification received needs one outstanding, an extension needs a running clock, …) and
# words its own refusal (``statute.ClockError``).
_CLOCK = "record clock events"

TRANSITIONS: tuple[Transition, ...] = (
    Transition(Action.ROUTE, "Route questions", OFFICER, OPEN_STATUSES),
    Transition(
        Action.REASSIGN, "Reassign a question", OFFICER, OPEN_STATUSES, verb="reassign tasks"
    ),
    Transition(
        Action.ANSWER,
        "Answer",
        UNIT_ROLES,
        OPEN_STATUSES - COMPOSED_STATUSES,
        verb="answer questions",
        not_now="; the response is composed and its answers can no longer be revised",
    ),
    Transition(
        Action.SIGN_OFF,
        "Sign off",
        ANY_ROLE,
        frozenset({CaseStatus.SIGN_OFF}),
        not_now=", not awaiting sign-off",
    ),
    Transition(
        Action.REQUEST_CLARIFICATION,
        "Ask for clarification",
        OFFICER,
        OPEN_STATUSES,
        leads_to=CaseStatus.AWAITING_CLARIFICATION,
        clock_event=ClockEventKind.CLARIFICATION_REQUESTED,
        verb=_CLOCK,
    ),
    Transition(
        Action.RECEIVE_CLARIFICATION,
        "Record the clarification",
        OFFICER,
        OPEN_STATUSES,
        clock_event=ClockEventKind.CLARIFICATION_RECEIVED,
        verb=_CLOCK,
    ),
    Transition(
        Action.GIVE_FEES_NOTICE,
        "Give a fees notice",
        OFFICER,
        OPEN_STATUSES,
        leads_to=CaseStatus.AWAITING_FEE,
        clock_event=ClockEventKind.FEES_NOTICE_GIVEN,
        verb=_CLOCK,
    ),
    Transition(
        Action.RECEIVE_FEE,
        "Record the fee",
        OFFICER,
        OPEN_STATUSES,
        clock_event=ClockEventKind.FEE_RECEIVED,
        verb=_CLOCK,
    ),
    Transition(
        Action.EXTEND,
        "Extend the deadline",
        OFFICER,
        OPEN_STATUSES,
        clock_event=ClockEventKind.EXTENSION,
        verb=_CLOCK,
    ),
    Transition(
        Action.DECIDE_COST,
        "Decide on cost",
        OFFICER,
        frozenset({CaseStatus.COST_REVIEW}),
        not_now=", not under cost review",
    ),
    Transition(
        Action.REFUSE_VEXATIOUS,
        "Refuse as vexatious or repeated",
        OFFICER,
        # Before the response is composed, and not while the clock waits on the requester.
        OPEN_STATUSES - COMPOSED_STATUSES - PAUSED_STATUSES,
        leads_to=CaseStatus.RESPONSE_REVIEW,
        verb="refuse requests as vexatious or repeated",
    ),
    Transition(
        Action.APPROVE,
        "Approve the response",
        OFFICER,
        frozenset({CaseStatus.RESPONSE_REVIEW}),
        leads_to=CaseStatus.APPROVED,
        verb="approve responses",
        not_now="; there is no composed response to approve",
    ),
    Transition(
        Action.ISSUE,
        "Issue the response",
        OFFICER,
        frozenset({CaseStatus.APPROVED}),
        leads_to=CaseStatus.ISSUED,
        verb="issue responses",
        not_now="; approve the response before issuing it",
    ),
    Transition(
        Action.WITHDRAW,
        "Withdraw",
        OFFICER,
        OPEN_STATUSES,
        leads_to=CaseStatus.WITHDRAWN,
        verb="close cases",
    ),
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


def role_refusal(action: Action, actor: Actor) -> str | None:
    """Why the table never lets ``actor``'s roles take ``action``, in any state (``actor: …``);
    None when some state allows it."""
    row = _BY_ACTION[action]
    if row.roles.isdisjoint(actor.roles):
        needed = " or ".join(sorted(r.value for r in row.roles))
        return f"actor: {actor.user_id} is not a {needed} and cannot {row.refused_as}"
    return None


def refusal(action: Action, status: CaseStatus, actor: Actor) -> str | None:
    """Why the table refuses ``action`` to ``actor`` now, naming the field; None when allowed."""
    row = _BY_ACTION[action]
    by_role = role_refusal(action, actor)
    if by_role is not None:
        return by_role
    if status not in row.allowed_in:
        if status in CLOSED_STATUSES:
            return f"status: the case is {status.value} and can no longer change"
        return f"status: the case is {status.value}{row.refused_now}"
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
    # The table lets the officer record any clock event on an open case and leaves their order
    # to the statute's clock; offer only the ones that fit where the case stands.
    needs = {
        Action.ROUTE: unrouted,
        Action.REASSIGN: movable,
        Action.ANSWER: answerable,
        Action.SIGN_OFF: signable,
        Action.REQUEST_CLARIFICATION: view.status not in PAUSED_STATUSES,
        Action.RECEIVE_CLARIFICATION: view.status == CaseStatus.AWAITING_CLARIFICATION,
        Action.GIVE_FEES_NOTICE: view.status not in PAUSED_STATUSES,
        Action.RECEIVE_FEE: view.status == CaseStatus.AWAITING_FEE,
        Action.EXTEND: view.clock.due_date is not None and not view.clock.paused,
        # The EIR have no s14: a manifestly unreasonable request is an exception, reg 12(4)(b).
        Action.REFUSE_VEXATIOUS: view.regime in VEXATIOUS_REGIMES,
    }
    return [
        row.action
        for row in TRANSITIONS
        if allows(row.action, view.status, actor.roles) and needs.get(row.action, True)
    ]
