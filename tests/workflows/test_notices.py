"""What happens on a case is told at once: the messages the case file queues for the outbox,
outside Temporal (the workflow hands them to send_notification, behind the notify-events patch)."""

from __future__ import annotations

from datetime import timedelta

from domain.case import Requester
from domain.messages import (
    ApproveResponse,
    IssueResponse,
    ReassignTask,
    RecordClockEvent,
    SignOffDecision,
)
from domain.notices import MessageKind
from statute import ClockEventKind
from statute.regimes import ExtensionKind

from case_driver import (
    DPO,
    OFFICER,
    SENIOR,
    answer_file,
    case_file,
    route_file,
)

REF = "01.FOI.25.000001"


def sent(case: object) -> list[tuple[str, str, str]]:
    """(kind, audience, key) of what the case queued, taken as the workflow takes them."""
    notices = case.pending_notices()  # type: ignore[attr-defined]
    for n in notices:
        case.notice_sent(n)  # type: ignore[attr-defined]
    return [(n.kind, n.audience, n.key) for n in notices]


def test_the_requester_is_acknowledged_with_the_due_date() -> None:
    case, _ = case_file()
    (ack,) = case.pending_notices()
    assert (ack.kind, ack.audience) == ("acknowledgement", "requester")
    assert ack.key == f"{REF}:acknowledgement:case:2025-03-03"
    assert ack.facts == {
        "regime": "foia",
        "received": "2025-03-03",
        "due": "2025-04-01",
        "questions": "7",
    }
    # The requester's identity is read from the case when sending, never queued.
    assert "Requester" not in ack.model_dump_json() and "@" not in ack.model_dump_json()


def test_a_postal_request_gets_no_email() -> None:
    case, _ = case_file()
    case.drop_notices()
    case.intake = case.intake.model_copy(update={"requester": Requester(name="A. Writer")})
    case.record_clock_event(
        RecordClockEvent(actor=OFFICER, kind=ClockEventKind.CLARIFICATION_REQUESTED, note="?")
    )
    assert case.pending_notices() == []


def test_routing_tells_each_unit_once_and_answers_tell_the_sign_off_roles() -> None:
    case, clock = case_file()
    sent(case)
    route_file(case)
    assigned = sent(case)
    assert assigned == [
        ("task_assigned", "unit:vawg", f"{REF}:task_assigned:q1+2+3@vawg:2025-03-03"),
        ("task_assigned", "unit:hate-crime", f"{REF}:task_assigned:q4+5@hate-crime:2025-03-03"),
        (
            "task_assigned",
            "unit:community-engagement",
            f"{REF}:task_assigned:q6+7@community-engagement:2025-03-03",
        ),
    ]
    clock.move_to(clock() + timedelta(days=1))
    case.reassign(ReassignTask(actor=OFFICER, question=1, unit="hate-crime", reason="theirs"))
    assert sent(case) == [
        ("task_assigned", "unit:hate-crime", f"{REF}:task_assigned:q1@hate-crime:2025-03-04")
    ]
    case.reassign(ReassignTask(actor=OFFICER, question=1, unit="vawg", reason="theirs after all"))
    sent(case)

    answer_file(case)
    assert sent(case) == [
        ("sign_off_requested", "role:senior_officer", f"{REF}:sign_off_requested:s31:2025-03-04"),
        (
            "sign_off_requested",
            "role:data_protection_officer",
            f"{REF}:sign_off_requested:s40:2025-03-04",
        ),
    ]


def test_a_refused_sign_off_goes_back_to_each_unit_and_the_issue_to_every_unit() -> None:
    case, _ = case_file()
    answer_file(route_file(case))
    sent(case)
    case.decide_sign_off(
        SignOffDecision(actor=SENIOR, section="31", approve=False, reason="name the prejudice")
    )
    refused = case.pending_notices()
    assert [(n.kind, n.audience) for n in refused] == [
        ("sign_off_rejected", "unit:hate-crime"),
        ("sign_off_rejected", "unit:community-engagement"),
    ]
    assert refused[0].facts == {
        "section": "31",
        "questions": "Q4, Q5",
        "reason": "name the prejudice",
    }
    sent(case)

    case, _ = case_file()
    answer_file(route_file(case))
    for actor, section in ((SENIOR, "31"), (DPO, "40")):
        case.decide_sign_off(SignOffDecision(actor=actor, section=section, approve=True))
    case.approve(ApproveResponse(actor=OFFICER))
    sent(case)
    case.issue(IssueResponse(actor=OFFICER))
    issued = case.pending_notices()
    assert [(n.kind, n.audience) for n in issued] == [
        ("response_issued", "unit:community-engagement"),
        ("response_issued", "unit:hate-crime"),
        ("response_issued", "unit:vawg"),
    ]
    assert issued[0].facts["on_time"] == "yes"


def test_clock_events_send_the_requester_the_statutory_notices() -> None:
    case, _ = case_file()
    answer_file(route_file(case))
    sent(case)
    case.record_clock_event(
        RecordClockEvent(
            actor=OFFICER,
            kind=ClockEventKind.EXTENSION,
            extension=ExtensionKind.PUBLIC_INTEREST,
            working_days=20,
            note="We are weighing the public interest in s31.",
        )
    )
    (holding,) = sent(case)
    assert holding[:2] == ("holding_notice", "requester")

    case, _ = case_file()
    sent(case)
    case.record_clock_event(
        RecordClockEvent(actor=OFFICER, kind=ClockEventKind.CLARIFICATION_REQUESTED, note="Years?")
    )
    (clarify,) = case.pending_notices()
    assert (clarify.kind, clarify.audience) == ("clarification_request", "requester")
    assert clarify.facts == {"regime": "foia", "note": "Years?"}
    # Nothing in what the notices carry moves the case: histories from before them replay.
    version = case.state.version
    case.drop_notices()
    assert case.state.version == version


def test_the_holding_notice_names_the_exemptions_and_the_new_date() -> None:
    case, _ = case_file()
    answer_file(route_file(case))
    sent(case)
    case.record_clock_event(
        RecordClockEvent(
            actor=OFFICER,
            kind=ClockEventKind.EXTENSION,
            extension=ExtensionKind.PUBLIC_INTEREST,
            working_days=20,
        )
    )
    (holding,) = case.pending_notices()
    assert holding.kind == MessageKind.HOLDING_NOTICE
    assert holding.facts["exemptions"] == "section 31, section 40"
    assert holding.facts["due"] == str(case.clock().due_date)
    assert holding.facts["due"] > "2025-04-01"
