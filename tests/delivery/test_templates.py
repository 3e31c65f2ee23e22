"""Every message the seed case produces, rendered from its kind's templates: plain text and HTML,
a link to the page where the action is taken, and nothing about the requester in anything that
goes to a unit."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from delivery.hours import WorkingHours
from delivery.render import KINDS, REQUESTER_KINDS, TEMPLATES, long_date, message_id, render
from domain.case import Audience
from domain.messages import (
    ApproveResponse,
    IssueResponse,
    Notification,
    RecordClockEvent,
    SignOffDecision,
)
from domain.notices import RECIPIENTS, MessageKind
from domain.review import Participants, RequestReview, ReviewInput
from statute import ClockEventKind, calendar_for, get_regime, packaged_calendar
from statute.regimes import ExtensionKind
from workflows.review_file import ReviewFile

from case_driver import DPO, OFFICER, SENIOR, answer_file, case_file, route_file

LONDON = ZoneInfo("Europe/London")
REQUESTER = ("A. Requester", "requester@example.org")


def every_message() -> list[Notification]:
    """What the seed case queues from receipt to issue, with a refused sign-off, the requester
    notices and every reminder it plans."""
    case, clock = case_file()
    notices: list[Notification] = []

    def take() -> None:
        for n in case.pending_notices():
            notices.append(n)
            case.notice_sent(n)

    take()
    route_file(case)
    take()
    notices += [r.notification(case.intake.reference) for r in case.planned_reminders()]
    case.record_clock_event(
        RecordClockEvent(actor=OFFICER, kind=ClockEventKind.CLARIFICATION_REQUESTED, note="?")
    )
    case.record_clock_event(
        RecordClockEvent(actor=OFFICER, kind=ClockEventKind.CLARIFICATION_RECEIVED)
    )
    case.record_clock_event(RecordClockEvent(actor=OFFICER, kind=ClockEventKind.FEES_NOTICE_GIVEN))
    case.record_clock_event(RecordClockEvent(actor=OFFICER, kind=ClockEventKind.FEE_RECEIVED))
    take()
    answer_file(case)
    case.record_clock_event(
        RecordClockEvent(
            actor=OFFICER,
            kind=ClockEventKind.EXTENSION,
            extension=ExtensionKind.PUBLIC_INTEREST,
            working_days=10,
        )
    )
    take()
    case.decide_sign_off(SignOffDecision(actor=SENIOR, section="31", approve=False, reason="no"))
    take()
    answer_file(case, range(4, 8))
    clock.move_to(clock() + timedelta(days=1))
    for actor, section in ((SENIOR, "31"), (DPO, "40")):
        case.decide_sign_off(SignOffDecision(actor=actor, section=section, approve=True))
    case.approve(ApproveResponse(actor=OFFICER))
    case.issue(IssueResponse(actor=OFFICER))
    take()
    # After the response: a review asked for, and the reminders of its deadline.
    review = ReviewFile(
        ReviewInput(
            reference=case.intake.reference,
            regime="foia",
            issued_at=clock(),
            original_outcome=case.state.outcome,
            participants=Participants(),
            calendar=case.state.calendar,
        ),
        now=clock,
    )
    review.open_window()
    review.request(RequestReview(actor=OFFICER, received_on=case.today()))
    clock.move_to(clock() + timedelta(days=40))
    notices += review.due_reminders()
    return notices


MESSAGES = every_message()


def test_the_seed_case_produces_every_kind_of_message() -> None:
    kinds = {m.kind for m in MESSAGES}
    assert kinds == {k.value for k in MessageKind} - {"digest"}
    assert set(KINDS) == set(MessageKind) == set(RECIPIENTS)
    for spec in KINDS.values():
        assert (TEMPLATES / f"{spec.template}.txt").exists()
        assert (TEMPLATES / f"{spec.template}.html").exists()


@pytest.mark.parametrize("message", MESSAGES, ids=[m.key for m in MESSAGES])
def test_each_message_renders_with_a_link_and_no_requester_in_what_units_get(
    message: Notification,
) -> None:
    kind = MessageKind(message.kind)
    audience = Audience.parse(message.audience)
    to_requester = audience.address == "requester"
    assert to_requester == (kind in REQUESTER_KINDS)
    rendered = render(
        kind,
        reference=message.reference,
        facts=message.facts,
        summary=message.body,
        recipient_name=REQUESTER[0] if to_requester else "Tom Oduya",
        authority="Metropolitan Police Service",
        public_url="https://foi.example.org",
        reply_to="FOI <foi@met.example.org>",
    )
    assert message.reference in rendered.subject or message.reference in rendered.text
    assert "None" not in rendered.text and "None" not in rendered.subject
    assert rendered.html.startswith("<!DOCTYPE html>") and "</html>" in rendered.html
    if to_requester:
        assert rendered.link is None
        assert "foi@met.example.org" in rendered.text  # where to reply
    else:
        assert rendered.link is not None and rendered.link.startswith("https://foi.example.org/")
        assert rendered.link in rendered.text and f'href="{rendered.link}"' in rendered.html
        expected = {
            "unit": "/tasks",
            "role": "/sign-offs",
        }.get(audience.kind.value, f"/cases/{message.reference}")
        if kind in (MessageKind.RESPONSE_ISSUED,):
            expected = f"/cases/{message.reference}"
        assert rendered.link.endswith(expected)
    if audience.unit_facing:
        everything = rendered.subject + rendered.text + rendered.html + message.model_dump_json()
        for private in (*REQUESTER, "1 High St"):
            assert private not in everything


def test_the_acknowledgement_gives_the_due_date_and_the_holding_notice_the_new_one() -> None:
    ack = next(m for m in MESSAGES if m.kind == "acknowledgement")
    text = render(
        MessageKind.ACKNOWLEDGEMENT,
        reference=ack.reference,
        facts=ack.facts,
        summary=ack.body,
        recipient_name=REQUESTER[0],
        authority="Metropolitan Police Service",
        public_url="http://127.0.0.1:8000",
        reply_to="foi@met.example.org",
    ).text
    assert "Dear A. Requester" in text
    assert "received on\nMonday 3 March 2025" in text
    assert "We will respond by Tuesday 1 April 2025 at the latest." in text
    holding = next(m for m in MESSAGES if m.kind == "holding_notice")
    text = render(
        MessageKind.HOLDING_NOTICE,
        reference=holding.reference,
        facts=holding.facts,
        summary=holding.body,
        recipient_name=REQUESTER[0],
        authority="MPS",
        public_url="http://127.0.0.1:8000",
        reply_to="foi@met.example.org",
    ).text
    assert "section 17(2)" in text and "section 31, section 40" in text
    assert long_date(holding.facts["due"]) in text


def test_html_escapes_what_people_typed() -> None:
    rendered = render(
        MessageKind.SIGN_OFF_REJECTED,
        reference="01.FOI.25.000001",
        facts={"section": "31", "questions": "Q4", "reason": "<script>alert(1)</script>"},
        summary="",
        recipient_name="Priya",
        authority="MPS",
        public_url="http://127.0.0.1:8000",
        reply_to="foi@example.org",
    )
    assert "<script>" not in rendered.html and "&lt;script&gt;" in rendered.html
    assert "<script>alert(1)</script>" in rendered.text


def test_a_message_missing_its_facts_falls_back_to_the_plain_words() -> None:
    rendered = render(
        MessageKind.TASK_ASSIGNED,
        reference="01.FOI.25.000001",
        facts={},
        summary="Q1 routed to vawg",
        recipient_name="Tom",
        authority="MPS",
        public_url="http://127.0.0.1:8000",
        reply_to="foi@example.org",
    )
    assert rendered.subject == "[01.FOI.25.000001] Task assigned"
    assert "Q1 routed to vawg" in rendered.text and rendered.link == "http://127.0.0.1:8000/tasks"


def test_message_ids_are_stable_per_key_and_recipient() -> None:
    one = message_id("k:1", "tom", "FOI <foi@met.example.org>")
    assert one == message_id("k:1", "tom", "foi@met.example.org")
    assert one.endswith("@met.example.org>")
    assert one != message_id("k:1", "priya", "foi@met.example.org")
    assert one != message_id("k:2", "tom", "foi@met.example.org")


FOIA = calendar_for(get_regime("foia"), packaged_calendar())
FOISA = calendar_for(get_regime("foisa"), packaged_calendar())


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=LONDON).replace(
        hour=hour, minute=minute
    )


@pytest.mark.parametrize(
    ("now", "calendar", "slot"),
    [
        # Inside the working day: now.
        (at(date(2025, 3, 10), 9), FOIA, at(date(2025, 3, 10), 9)),
        (at(date(2025, 3, 10), 17, 59), FOIA, at(date(2025, 3, 10), 17, 59)),
        # Before the send hour, after hours, at the weekend.
        (at(date(2025, 3, 10), 3), FOIA, at(date(2025, 3, 10), 9)),
        (at(date(2025, 3, 10), 18), FOIA, at(date(2025, 3, 11), 9)),
        (at(date(2025, 3, 8), 12), FOIA, at(date(2025, 3, 10), 9)),
        # St Patrick's Day (Northern Ireland) is not a working day under FOIA, but is in Scotland.
        (at(date(2025, 3, 14), 19), FOIA, at(date(2025, 3, 18), 9)),
        (at(date(2025, 3, 14), 19), FOISA, at(date(2025, 3, 17), 9)),
        # The clocks go forward on 30 March 2025: 09:00 is still 09:00 on the wall.
        (at(date(2025, 3, 28), 20), FOIA, at(date(2025, 3, 31), 9)),
    ],
)
def test_working_hours(now: datetime, calendar: object, slot: datetime) -> None:
    hours = WorkingHours(calendar, LONDON, start_hour=9, end_hour=18)  # type: ignore[arg-type]
    assert hours.next_slot(now) == slot
    assert hours.next_slot(now).astimezone(LONDON).hour == slot.hour
