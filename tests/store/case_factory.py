"""CaseView objects for store tests: a small case that grows one state change per version."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from domain.case import (
    Answer,
    AnswerKind,
    CaseStatus,
    CaseView,
    ClockView,
    ExemptionClaim,
    Question,
    ReminderSent,
    Requester,
    ResponseDraft,
    SignOff,
    SignOffStatus,
    Task,
    TaskStatus,
    TimelineEntry,
)
from statute.exemptions import Outcome, Role

RECEIVED = datetime(2023, 10, 2, 9, 30, tzinfo=UTC)
REQUESTER = Requester(name="Zebedee Quartermaine", email="zq.requester@example.net")
QUESTIONS = [
    Question(number=1, text="All organisations represented on your VAWG panel"),
    Question(number=2, text="All organisations on any hate crime advisory panels"),
    Question(number=3, text="All organisations on any independent advisory groups"),
]
UNITS = {1: "vawg", 2: "hate-crime", 3: "community-engagement"}


def clock(*, due: date | None = date(2023, 10, 30), overdue: bool = False) -> ClockView:
    return ClockView(
        due_date=due,
        statutory_due_date=due,
        start_date=date(2023, 10, 3),
        received_on=RECEIVED.date(),
        working_days_elapsed=0,
        working_days_remaining=20,
        paused=False,
        pause_reason=None,
        overdue=overdue,
        extended=False,
        calendar_version=1,
        calendar_fingerprint="abc123def456",
        explanation=["received 2 Oct 2023"],
    )


def timeline(n: int) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            seq=i,
            at=RECEIVED + timedelta(hours=i),
            actor="system" if i == 1 else "aisha-rahman",
            kind="received" if i == 1 else f"step{i}",
            text=f"step {i} of the case",
        )
        for i in range(1, n + 1)
    ]


def make_view(reference: str = "01.FOI.23.000001", version: int = 1, **changes: Any) -> CaseView:
    """A case at ``version``: v1 triage, v2 routed, v3 Q2 answered with claims, v4+ sign-off
    decided and a response drafted, v6+ issued. Every version adds one timeline entry."""
    tasks: list[Task] = []
    sign_offs: list[SignOff] = []
    reminders: list[ReminderSent] = []
    response = None
    status = CaseStatus.TRIAGE
    if version >= 2:
        status = CaseStatus.IN_PROGRESS
        tasks = [
            Task(
                question=q.number,
                text=q.text,
                unit=UNITS[q.number],
                routed_on=date(2023, 10, 3),
                internal_due=date(2023, 10, 17),
            )
            for q in QUESTIONS
        ]
    if version >= 3:
        tasks[1] = tasks[1].model_copy(
            update={
                "status": TaskStatus.ANSWERED,
                "answered_by": "priya-nair",
                "answer": Answer(
                    kind=AnswerKind.EXEMPT,
                    claims=[
                        ExemptionClaim(section="31", subsections="(1)(a)(b)"),
                        ExemptionClaim(section="40", subsections="(2)"),
                    ],
                ),
            }
        )
        sign_offs = [
            SignOff(
                section="31",
                required_role=Role.SENIOR_OFFICER,
                questions=[2],
                recommended_by=["priya-nair"],
            ),
            SignOff(
                section="40",
                required_role=Role.DATA_PROTECTION_OFFICER,
                questions=[2],
                recommended_by=["priya-nair"],
            ),
        ]
        reminders = [
            ReminderSent(
                key=f"{reference}:unit_reminder:vawg:2023-10-13",
                kind="unit_reminder",
                audience="unit:vawg",
                on=date(2023, 10, 13),
                text="Q1 is due on 17 Oct",
            )
        ]
    if version >= 4:
        status = CaseStatus.RESPONSE_REVIEW
        sign_offs[0] = sign_offs[0].model_copy(
            update={
                "status": SignOffStatus.APPROVED,
                "decided_by": "david-hughes",
                "decided_at": RECEIVED + timedelta(days=10),
            }
        )
        response = ResponseDraft(
            text=f"Draft response (v{min(version, 5)})",
            outcome=Outcome.PARTIALLY_WITHHELD,
            composed_at=RECEIVED + timedelta(days=11, minutes=version),
        )
    issued_at = None
    if version >= 6:
        status = CaseStatus.ISSUED
        issued_at = RECEIVED + timedelta(days=20)
    fields: dict[str, Any] = {
        "reference": reference,
        "version": version,
        "regime": "foia",
        "status": status,
        "received_at": RECEIVED,
        "channel": "email",
        "requester": REQUESTER,
        "request_text": "Please provide the following information, Zebedee Quartermaine",
        "questions": QUESTIONS,
        "tasks": tasks,
        "sign_offs": sign_offs,
        "clock": clock(),
        "cost_hours_total": 0.0,
        "reminders": reminders,
        "timeline": timeline(version),
        "response": response,
        "issued_at": issued_at,
        "on_time": True if issued_at else None,
        "on_time_with_extensions": True if issued_at else None,
        "outcome": Outcome.PARTIALLY_WITHHELD if issued_at else None,
        "owning_units": sorted({t.unit for t in tasks}),
    }
    fields.update(changes)
    return CaseView(**fields)
