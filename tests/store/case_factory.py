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


# ---- a portfolio for the statistics, whose figures are known -----------------------------------

PortfolioCase = tuple[str, str, datetime, str, str | None, bool | None, bool | None, list[str]]

# (reference, regime, received_at, status, outcome, on_time, on_time_with_extensions, claims)
STATISTICS_PORTFOLIO: list[PortfolioCase] = [
    # Outside 1 Jan – 30 Jun 2025: 31 Dec 2024 23:59 GMT, and 1 Jul 2025 09:00 BST.
    (
        "P-OUT-1",
        "foia",
        datetime(2024, 12, 31, 23, 59, tzinfo=UTC),
        "issued",
        "granted_in_full",
        True,
        True,
        [],
    ),
    (
        "P-OUT-2",
        "foia",
        datetime(2025, 7, 1, 8, 0, tzinfo=UTC),
        "issued",
        "granted_in_full",
        True,
        True,
        [],
    ),
    # Q1 2025.
    (
        "P-A1",
        "foia",
        datetime(2025, 1, 1, 0, 0, tzinfo=UTC),
        "issued",
        "refused_vexatious",
        True,
        True,
        [],
    ),
    (
        "P-A2",
        "foia",
        datetime(2025, 1, 6, 10, tzinfo=UTC),
        "issued",
        "granted_in_full",
        True,
        True,
        [],
    ),
    # Answered within a public interest extension; s31 on two questions counts once.
    (
        "P-A3",
        "foia",
        datetime(2025, 1, 20, 10, tzinfo=UTC),
        "issued",
        "partially_withheld",
        False,
        True,
        ["31", "s31", "40"],
    ),
    (
        "P-A4",
        "foia",
        datetime(2025, 2, 3, 10, tzinfo=UTC),
        "issued",
        "withheld_in_full",
        False,
        False,
        ["s40"],
    ),
    ("P-A5", "foia", datetime(2025, 2, 10, 10, tzinfo=UTC), "issued", "not_held", True, True, []),
    (
        "P-A6",
        "foia",
        datetime(2025, 2, 17, 10, tzinfo=UTC),
        "issued",
        "refused_cost",
        True,
        True,
        [],
    ),
    (
        "P-A7",
        "foia",
        datetime(2025, 3, 3, 10, tzinfo=UTC),
        "withdrawn",
        "withdrawn",
        None,
        None,
        [],
    ),
    (
        "P-A8",
        "foia",
        datetime(2025, 3, 10, 10, tzinfo=UTC),
        "in_progress",
        None,
        None,
        None,
        ["43"],
    ),
    (
        "P-A9",
        "eir",
        datetime(2025, 3, 17, 10, tzinfo=UTC),
        "issued",
        "withheld_in_full",
        True,
        True,
        ["12(5)(a)", "reg 13"],
    ),
    # Q2 2025: 31 Mar 23:30 UTC is 1 Apr 00:30 in London (BST since 30 Mar).
    (
        "P-B1",
        "foisa",
        datetime(2025, 3, 31, 23, 30, tzinfo=UTC),
        "issued",
        "partially_withheld",
        True,
        True,
        ["35", "38"],
    ),
    ("P-B2", "foia", datetime(2025, 4, 7, 9, tzinfo=UTC), "issued", "ncnd", True, True, ["31"]),
    ("P-B3", "foia", datetime(2025, 4, 14, 9, tzinfo=UTC), "lapsed", "lapsed", None, None, []),
    ("P-B4", "foia", datetime(2025, 5, 6, 9, tzinfo=UTC), "triage", None, None, None, []),
    # Refused as vexatious after a unit had claimed s43: the claim is not an exemption used.
    (
        "P-B5",
        "foia",
        datetime(2025, 6, 30, 22, 0, tzinfo=UTC),
        "issued",
        "refused_vexatious",
        False,
        False,
        ["43"],
    ),
]


# The portfolio's review stages (reference, review outcome or None while under review or
# never asked for, complaint, decision notice): Q1 has three reviews asked for (upheld,
# overturned, one still under review), two complaints and one decision notice; Q2 one review,
# partly upheld, with a complaint; a case outside the period has a review that must not count,
# and one Q1 case's window is still open (no review asked for).
REVIEW_PORTFOLIO: list[tuple[str, bool, str | None, bool, bool]] = [
    ("P-OUT-1", True, "overturned", True, True),
    ("P-A2", True, "upheld", True, True),
    ("P-A3", True, "overturned", False, False),
    ("P-A4", True, None, False, False),
    ("P-A5", False, None, False, False),
    ("P-A6", True, "upheld", True, False),
    ("P-B1", False, None, False, False),
    ("P-B2", True, "partly_upheld", True, False),
]


def add_statistics_portfolio(session: Any) -> None:
    """The portfolio's rows in the read model, as the projection would leave them."""
    from store.models import CaseRow, ExemptionClaimRow, ReviewRow

    for (
        reference,
        regime,
        received,
        status,
        outcome,
        on_time,
        with_ext,
        claims,
    ) in STATISTICS_PORTFOLIO:
        session.add(
            CaseRow(
                reference=reference,
                version=1,
                regime=regime,
                status=status,
                received_at=received,
                outcome=outcome,
                on_time=on_time,
                on_time_with_extensions=with_ext,
                issued_at=received + timedelta(days=20) if status == "issued" else None,
            )
        )
        session.flush()
        for question, section in enumerate(claims, start=4):
            session.add(ExemptionClaimRow(reference=reference, question=question, section=section))
    for reference, asked, outcome, complaint, notice in REVIEW_PORTFOLIO:
        day = date(2025, 8, 1)
        session.add(
            ReviewRow(
                reference=reference,
                version=1,
                regime="foia",
                stage="with_regulator" if complaint else ("decided" if outcome else "window"),
                requested_on=day if asked else None,
                outcome=outcome,
                decided_on=day if outcome else None,
                complaint_received_on=day if complaint else None,
                decision_notice_on=day if notice else None,
            )
        )
    session.flush()
