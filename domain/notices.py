"""The messages a case sends: their kinds, who receives each, and their idempotency keys.

The workflow queues a ``Notification`` of one of these kinds; the dispatcher (``delivery``)
renders it from the kind's template and sends it to the audience's people at send time.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum


class MessageKind(StrEnum):
    # To the requester.
    ACKNOWLEDGEMENT = "acknowledgement"  # received, with the due date
    CLARIFICATION_REQUEST = "clarification_request"  # s1(3): the clock waits for the reply
    FEES_NOTICE = "fees_notice"  # s9: the clock waits for the fee
    HOLDING_NOTICE = "holding_notice"  # s17(2): more time to weigh the public interest
    # To the units.
    TASK_ASSIGNED = "task_assigned"
    TASK_REMINDER = "task_reminder"  # before the unit's deadline
    TASK_ESCALATION = "task_escalation"  # task overdue: to the unit's manager
    SIGN_OFF_REJECTED = "sign_off_rejected"  # the answer is back with the unit
    RESPONSE_ISSUED = "response_issued"  # the answers went out
    # To the FOI officers and managers.
    OFFICER_ALERT = "officer_alert"  # case at risk (working day 15 of 20)
    MANAGER_ALERT = "manager_alert"  # case at risk (working day 18 of 20)
    DUE_TODAY = "due_today"
    OVERDUE = "overdue"  # each working day late
    # To whoever signs off an exemption.
    SIGN_OFF_REQUESTED = "sign_off_requested"
    # A person's daily digest of the reminders held for it.
    DIGEST = "digest"
    # After the response: a review, a regulator's enquiry or notice, an appeal window.
    REVIEW_DEADLINE = "review_deadline"


# Who receives each kind (``Audience`` addresses; the README's table is built from this).
RECIPIENTS: dict[MessageKind, str] = {
    MessageKind.ACKNOWLEDGEMENT: "requester",
    MessageKind.CLARIFICATION_REQUEST: "requester",
    MessageKind.FEES_NOTICE: "requester",
    MessageKind.HOLDING_NOTICE: "requester",
    MessageKind.TASK_ASSIGNED: "unit:<unit> (its contacts, else its team mailbox)",
    MessageKind.TASK_REMINDER: "unit:<unit>",
    MessageKind.TASK_ESCALATION: "unit_manager:<unit>",
    MessageKind.SIGN_OFF_REJECTED: "unit:<unit> of each returned question",
    MessageKind.RESPONSE_ISSUED: "unit:<unit> of each question",
    MessageKind.OFFICER_ALERT: "foi_officer",
    MessageKind.MANAGER_ALERT: "manager",
    MessageKind.DUE_TODAY: "foi_officer",
    MessageKind.OVERDUE: "foi_officer",
    MessageKind.SIGN_OFF_REQUESTED: "role:<the exemption's sign-off role>",
    MessageKind.DIGEST: "user:<id> (who chose a daily digest)",
    MessageKind.REVIEW_DEADLINE: "user:<reviewer> for the review once assigned, else foi_officer",
}

# Reminders a person may take as one daily digest instead of one message each; what happened
# (a task assigned, a sign-off refused) is told at once.
DIGESTIBLE = frozenset(
    {
        MessageKind.TASK_REMINDER,
        MessageKind.TASK_ESCALATION,
        MessageKind.OFFICER_ALERT,
        MessageKind.MANAGER_ALERT,
        MessageKind.DUE_TODAY,
        MessageKind.OVERDUE,
    }
)


def notice_key(reference: str, kind: MessageKind | str, target: str, day: date) -> str:
    """The outbox's idempotency key, ``{reference}:{kind}:{target}:{day}``: one message per case,
    kind, target (a question, a unit, a section, or ``case``) and local day. Histories and
    outbox rows keep it, so its form never changes."""
    return f"{reference}:{kind}:{target}:{day}"
