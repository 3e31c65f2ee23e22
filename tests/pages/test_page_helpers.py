"""The pages' pure helpers: UK dates and times, the answer form's round trip and its mapping
of the workflow's field names, and where sign-in may send a browser back to."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml
from starlette.datastructures import FormData

from domain.case import Answer, AnswerKind
from web.pages.answer_form import AnswerForm, ClaimForm
from web.pages.formatting import uk_date, uk_datetime, uk_time, working_days_left
from web.pages.forms import field_id
from web.pages.routes.sign_in import safe_next

EXEMPT = yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "cli" / "demo" / "answer-exempt.yaml").read_text()
)


def test_dates_and_times_are_written_as_uk_public_bodies_write_them() -> None:
    assert uk_date(date(2026, 12, 23)) == "Wednesday 23 December 2026"
    assert uk_date(date(2026, 3, 2)) == "Monday 2 March 2026"
    assert uk_date(None, "Paused") == "Paused"
    # In Europe/London: 23:30 UTC on 30 June is 00:30 on 1 July (BST).
    assert uk_date(datetime(2026, 6, 30, 23, 30, tzinfo=UTC)) == "Wednesday 1 July 2026"
    assert uk_time(datetime(2026, 7, 1, 11, 0, tzinfo=UTC)) == "midday"
    assert uk_time(datetime(2026, 12, 1, 0, 0, tzinfo=UTC)) == "midnight"
    assert uk_time(datetime(2026, 12, 1, 9, 5, tzinfo=UTC)) == "9:05am"
    assert (
        uk_datetime(datetime(2026, 12, 23, 14, 30, tzinfo=UTC))
        == "Wednesday 23 December 2026 at 2:30pm"
    )
    assert working_days_left(3) == "3 working days left"
    assert working_days_left(1) == "1 working day left"
    assert working_days_left(0) == "Due today"
    assert working_days_left(-2) == "2 working days overdue"


def test_an_answer_round_trips_through_the_form_as_typed() -> None:
    answer = Answer.model_validate(EXEMPT)
    form = AnswerForm.from_answer(answer)
    assert [c.section for c in form.claims] == ["31", "40"]
    again, errors = form.parse()
    assert not errors and again == answer


def test_only_the_chosen_kinds_fields_are_sent_and_blank_claim_slots_are_dropped() -> None:
    form = AnswerForm(
        kind="not_held",
        searches=" the panel's files ",
        information="typed before changing my mind",
        claims=[ClaimForm(section="31", reason="kept on the page, not sent")],
    )
    answer, _ = form.parse()
    assert answer == Answer(kind=AnswerKind.NOT_HELD, searches="the panel's files")

    posted = FormData(
        [
            ("kind", "exempt"),
            ("claim_count", "3"),
            ("claims-0-section", ""),
            ("claims-1-section", "40"),
            ("claims-1-reason", "personal data"),
            ("claims-2-section", "31"),
        ]
    )
    form = AnswerForm.from_form(posted)
    answer, errors = form.parse()
    assert answer is not None and not errors
    assert [c.section for c in answer.claims] == ["40", "31"]
    # The workflow's claims[1] is the third slot on the page.
    assert form.field_for("answer.claims[1].reason") == "claims-2-reason"
    assert form.field_for("answer.claims") == "claims-1-section"
    assert form.field_for("answer.searches") == "searches"


def test_a_missing_public_interest_half_is_pointed_at() -> None:
    form = AnswerForm(
        kind="exempt",
        claims=[ClaimForm(section="31", reason="r", public_interest_for="transparency")],
    )
    assert form.field_for("answer.claims[0].public_interest_for") == (
        "claims-0-public_interest_against"
    )
    form.claims[0].public_interest_for = ""
    assert form.field_for("answer.claims[0].public_interest_for") == (
        "claims-0-public_interest_for"
    )


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        (AnswerForm(), ("kind", "Select what your answer is")),
        (AnswerForm(kind="cost", hours="about ten"), ("hours", "Enter the hours as a number")),
        (AnswerForm(kind="cost", hours="nan"), ("hours", "Enter the hours as a number")),
        (
            AnswerForm(kind="exempt", claims=[ClaimForm(reason="no section chosen")]),
            ("claims-0-section", "Select the exemption you are claiming"),
        ),
    ],
)
def test_what_the_page_can_tell_on_its_own_is_said_before_sending(
    typed: AnswerForm, problem: tuple[str, str]
) -> None:
    answer, errors = typed.parse()
    field, message = problem
    assert answer is None
    assert (errors.get(field) or "").startswith(message)


def test_a_form_posted_with_unknown_values_keeps_nothing_it_cannot_use() -> None:
    form = AnswerForm.from_form(
        FormData(
            [
                ("kind", "everything"),
                ("claim_count", "9999"),
                ("claims-0-section", "99"),
                ("claims-0-likelihood", "certainly"),
            ]
        )
    )
    assert form.kind == "" and len(form.claims) == 12
    assert form.claims[0].section == "" and form.claims[0].likelihood == ""


def test_service_field_names_become_form_ids() -> None:
    assert field_id("answer.claims[1].reason", "answer.") == "claims-1-reason"
    assert field_id("reason") == "reason"


@pytest.mark.parametrize(
    ("target", "kept"),
    [
        ("/tasks", "/tasks"),
        ("/tasks?show=returned", "/tasks?show=returned"),
        ("//attacker.invalid/x", None),
        ("/\\attacker.invalid", None),
        ("https://attacker.invalid/", None),
        ("tasks", None),
        ("/api/token", None),
        ("", None),
        (None, None),
    ],
)
def test_sign_in_only_returns_to_pages_on_this_site(target: str | None, kept: str | None) -> None:
    assert safe_next(target) == kept
