"""The response letter as HTML and PDF, rendered from a case: every element of a s17 refusal
notice, s12/s14 in their s17(5) form with s16 advice, "no information held", the review date,
an officer's edited text, what unit-facing readers may not see, and the authority's templates.

Pure rendering (no Temporal): the views are built here, their letter text composed by the
workflow's own ``compose_response``. The API's content negotiation and authorisation are in
tests/web/test_web_documents.py.
"""

from __future__ import annotations

import io
import re
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pypdf
import pytest
import yaml

from domain.case import (
    Answer,
    AnswerKind,
    CaseStatus,
    CaseView,
    ExemptionClaim,
    Question,
    Requester,
    ResponseDraft,
    Task,
    TaskStatus,
)
from services.documents import (
    LetterFormat,
    build_letter,
    choose_format,
    html_to_pdf,
    long_date,
    render_letter_html,
    review_deadline,
    template_environment,
)
from statute import calendar_for, packaged_calendar
from statute.calendar import CalendarData
from statute.exemptions import Outcome
from statute.regimes import REVIEW_WINDOW
from store.schema import AuthoritySettings
from workflows.letter import compose_response

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "store"))
from case_factory import make_view

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "cli" / "demo"
AUTHORITY = AuthoritySettings.model_validate(
    yaml.safe_load((DEMO / "seed.yaml").read_text())["authority"]
)
EXEMPT = Answer.model_validate(yaml.safe_load((DEMO / "answer-exempt.yaml").read_text()))
NOT_HELD = Answer(kind=AnswerKind.NOT_HELD, searches="VAWG panel files; the panel is being set up")
REQUESTER = Requester(name="Zebedee Quartermaine", email="zq.requester@example.net")
ISSUED = datetime(2023, 10, 30, 11, 0, tzinfo=UTC)  # Monday 30 Oct 2023 in London
CALENDAR = packaged_calendar()


def seed_questions() -> list[Question]:
    text = yaml.safe_load((DEMO / "seed_case.yaml").read_text())["request_text"]
    numbered = [line for line in text.splitlines() if line[:1].isdigit()]
    return [
        Question(number=int(line.split(".")[0]), text=line.split(". ", 1)[1]) for line in numbered
    ]


def task(question: Question, answer: Answer) -> Task:
    return Task(
        question=question.number,
        text=question.text,
        unit="hate-crime",
        status=TaskStatus.SETTLED,
        routed_on=date(2023, 10, 3),
        internal_due=date(2023, 10, 17),
        answer=answer,
    )


def case(
    answers: dict[int, Answer],
    questions: list[Question] | None = None,
    *,
    cost_advice: str | None = None,
    cost_hours: float = 0.0,
    issued: bool = True,
    **changes: Any,
) -> CaseView:
    """An issued case (as ``make_view`` builds one) with these answers and the letter the
    workflow would compose for them."""
    questions = questions or seed_questions()
    tasks = [task(q, answers[q.number]) for q in questions if q.number in answers]
    text, outcome = compose_response(
        "01.FOI.23.031576",
        "foia",
        questions,
        tasks,
        AUTHORITY.name,
        cost_advice=cost_advice,
        cost_hours=cost_hours,
        cost_limit_hours=AUTHORITY.effective_cost_limit_hours,
    )
    fields: dict[str, Any] = {
        "requester": REQUESTER,
        "questions": questions,
        "tasks": tasks,
        "cost_hours_total": cost_hours,
        "response": ResponseDraft(text=text, outcome=outcome, composed_at=ISSUED),
        "outcome": outcome if issued else None,
        "issued_at": ISSUED if issued else None,
        "status": CaseStatus.ISSUED if issued else CaseStatus.RESPONSE_REVIEW,
    }
    fields.update(changes)
    return make_view("01.FOI.23.031576", 6, **fields)


def seed_case() -> CaseView:
    """The reference response's shape: Q1–3 not held, Q4–7 partly held with s31 and s40."""
    return case({n: NOT_HELD if n <= 3 else EXEMPT for n in range(1, 8)})


def html_of(view: CaseView, *, today: date = ISSUED.date(), **kw: Any) -> str:
    letter = build_letter(view, AUTHORITY, calendar=CALENDAR, today=today, **kw)
    return render_letter_html(letter, kw.pop("templates_dir", None))


def pdf_text(html: str) -> str:
    """The PDF's text as a reader copies it, whitespace collapsed (lines break anywhere)."""
    reader = pypdf.PdfReader(io.BytesIO(html_to_pdf(html)))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def html_text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("&#39;", "'").split())


def forty_working_days_after(day: date) -> date:
    """Counted day by day on the statute calendar (s45 Code para 5.3: 40 working days)."""
    calendar = calendar_for(REVIEW_WINDOW, CALENDAR)
    counted = 0
    while counted < 40:
        day += timedelta(days=1)
        counted += calendar.is_working_day(day)
    return day


@pytest.fixture(scope="module")
def seed_pdf() -> str:
    return pdf_text(html_of(seed_case()))


def test_the_seed_case_pdf_carries_every_element_of_the_s17_refusal_notice(seed_pdf: str) -> None:
    text = seed_pdf
    review_by = forty_working_days_after(date(2023, 10, 30))
    # St Andrew's Day (30 Nov, a Scottish bank holiday: s10(6) counts every part of the UK),
    # Christmas Day and Boxing Day are not working days.
    assert review_by == date(2023, 12, 28)
    expected = [
        # Letterhead, reference, date, the request.
        "Metropolitan Police Service",
        "1 Example Street",
        "foi@example.org",
        "Our reference 01.FOI.23.031576",
        "Date 30 October 2023",
        "Freedom of information request reference no: 01.FOI.23.031576",
        "1. All organisations and community groups represented on your VAWG panel",
        "7. All individuals and the organisations they represent, that sit on any independent "
        "advisory groups",
        # s17(1): it is a refusal notice, naming each exemption with its subsections.
        "this response serves as a Refusal Notice under Section 17 of the Freedom of "
        "Information Act 2000",
        "Section 31(1)(a)(b) – Law enforcement",
        "Section 40(2)(3) – Personal information",
        "Reason for decision",
        # s31: why, the prejudice and its likelihood, the public interest test (s17(3)).
        "Why the exemption applies: Disclosure would reveal how the MPS gathers community "
        "intelligence.",
        "disclosure would prejudice the prevention or detection of crime and the apprehension "
        "or prosecution of offenders",
        "Likelihood: the prejudice would occur",
        "Public interest test – section 31",
        "Transparency about who advises the police",
        "Members have been targeted; groups would refuse to work with us",
        "the public interest in maintaining the exemption outweighs the public interest in "
        "disclosure",
        # s40(2): personal data, the first condition, the first principle; absolute.
        "Section 40(2)(3) is an absolute exemption: no public interest test applies",
        "Section 3 of the Data Protection Act 2018",
        "(3A), (3B) and (4A) of section 40",
        "incompatible with the first data protection principle",
        "Names are personal data; disclosure would breach the first data protection principle.",
        # Q1–3: information not held, under s1(1)(a).
        "Regarding questions 1, 2 and 3",
        "Decision: Information not held",
        "The response is: No information held (under section 1(1)(a) of the Act)",
        # Q4–7: s31 and s40 on different parts.
        "Regarding questions 4, 5, 6 and 7",
        "Withheld under Section 31(1)(a)(b) – Law enforcement: the organisations and groups on "
        "the panels",
        "Withheld under Section 40(2)(3) – Personal information: names of individual members",
        "It should not be assumed that the exemptions named are applied to the same pieces of "
        "information",
        # s17(7): internal review, with the date, and the ICO under s50.
        f"Ask for an internal review by {long_date(review_by)}.",
        "within 40 working days of the date of this response, that is by 28 December 2023",
        "complain to the Information Commissioner under section 50 of the Act",
        "Wycliffe House",
    ]
    missing = [e for e in expected if e not in text]
    assert not missing, f"not in the PDF: {missing}\n---\n{text}"
    assert "Zebedee Quartermaine" in text  # the officer's copy is addressed to the requester


def test_the_review_date_is_counted_on_the_review_window_regime() -> None:
    # Received and answered around Easter 2026: Good Friday and Easter Monday are skipped, and
    # so is 4 May (early May bank holiday).
    assert review_deadline("foia", date(2026, 3, 20), CALENDAR) == forty_working_days_after(
        date(2026, 3, 20)
    )
    # FOISA counts Scottish working days (s73): 17 Mar (Northern Ireland) and Easter Monday
    # (not a Scottish bank holiday) count there, so a FOISA review window ends sooner.
    foisa = review_deadline("foisa", date(2026, 3, 2), CALENDAR)
    foia = review_deadline("foia", date(2026, 3, 2), CALENDAR)
    assert foisa < foia


def test_a_draft_is_dated_today_and_says_so() -> None:
    html = html_of(case({n: NOT_HELD for n in range(1, 8)}, issued=False), today=date(2026, 3, 2))
    text = html_text(html)
    assert "Date 2 March 2026 (draft)" in text
    assert f"by {long_date(forty_working_days_after(date(2026, 3, 2)))}" in text


def test_a_date_beyond_the_calendar_gives_the_period_without_guessing_a_date() -> None:
    short = CalendarData(
        holidays=(), coverage_start=date(2023, 1, 1), coverage_end=date(2023, 11, 1)
    )
    letter = build_letter(seed_case(), AUTHORITY, calendar=short, today=ISSUED.date())
    assert letter.review_by is None
    text = html_text(render_letter_html(letter))
    assert "Ask for an internal review by" not in text
    assert "within 40 working days of the date of this response" in text


def test_a_s12_refusal_takes_the_s17_5_form_with_s16_advice() -> None:
    advice = "Limit the request to the VAWG panel in 2023, which we could answer in time."
    cost = Answer(kind=AnswerKind.COST, hours=30)
    view = case({n: cost for n in range(1, 8)}, cost_advice=advice, cost_hours=30.0)
    assert view.response is not None and view.response.outcome == Outcome.REFUSED_COST
    text = pdf_text(html_of(view))
    for expected in (
        "Refusal notice – section 17(5) of the Act",
        "Refusal Notice under Section 17(5) of the Freedom of Information Act 2000",
        "Section 12 of the Act does not oblige a public authority to comply",
        "would take 30 hours",
        "appropriate limit of 18 hours",
        "Advice and assistance (section 16)",
        advice,
        "complain to the Information Commissioner under section 50 of the Act",
        f"by {long_date(forty_working_days_after(ISSUED.date()))}",
    ):
        assert expected in text, expected
    # No exemption notice and no per-question decisions: the whole request is refused.
    assert "Section 17 of the Freedom" not in text and "Decision:" not in text


def test_a_s14_refusal_takes_the_s17_5_form_with_advice() -> None:
    text = (
        "Refused under section 14(1).\n\nAdvice and assistance (section 16)\n"
        "A request about a different matter would be considered afresh.\n\nComplaint rights\n"
        "internal review ... Information Commissioner"
    )
    view = seed_case().model_copy(
        update={
            "response": ResponseDraft(
                text=text, outcome=Outcome.REFUSED_VEXATIOUS, composed_at=ISSUED
            ),
            "outcome": Outcome.REFUSED_VEXATIOUS,
        }
    )
    pdf = pdf_text(html_of(view))
    assert "Refusal Notice under Section 17(5) of the Freedom of Information Act 2000" in pdf
    assert "Section 14(1) of the Act does not oblige a public authority" in pdf
    assert "vexatious" in pdf
    assert "Advice and assistance (section 16)" in pdf
    assert "A request about a different matter would be considered afresh." in pdf
    assert "Information Commissioner under section 50" in pdf


def test_html_lists_disclosed_information_attachments_and_ncnd_wording() -> None:
    disclosed = Answer(
        kind=AnswerKind.DISCLOSED,
        information="The panel has 12 member organisations, listed in the attached table.",
        attachments=["panel-members.xlsx", "terms-of-reference.pdf"],
    )
    ncnd = Answer(
        kind=AnswerKind.EXEMPT,
        claims=[
            ExemptionClaim(
                section="23",
                subsections="(5)",
                reason="Confirming or denying would reveal whether a security body is involved.",
                ncnd=True,
            )
        ],
    )
    questions = seed_questions()[:3]
    html = html_of(case({1: disclosed, 2: NOT_HELD, 3: ncnd}, questions))
    text = html_text(html)
    assert "Decision: Information disclosed" in text
    assert "The panel has 12 member organisations" in text
    assert "<li>panel-members.xlsx</li>" in html and "<li>terms-of-reference.pdf</li>" in html
    assert "The following documents are disclosed with this response" in text
    assert "No information held (under section 1(1)(a) of the Act)" in text
    assert "Section 23(5) – Information supplied by, or relating to, bodies" in text
    assert "Neither confirm nor deny: by virtue of section 23(5)" in text
    assert "neither confirms nor denies whether it holds" in text
    assert "Section 23(5) is an absolute exemption" in text
    assert "Refusal Notice under Section 17" in text


def test_text_from_the_case_is_escaped_in_html() -> None:
    sneaky = Answer(kind=AnswerKind.DISCLOSED, information="<script>alert(1)</script> & more")
    html = html_of(case({1: sneaky}, seed_questions()[:1]))
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html


def test_an_edited_letter_is_rendered_as_the_officer_wrote_it() -> None:
    edited = (
        "Dear Mr Quartermaine,\n\nThank you for your request.\n  We hold nothing on it:\n"
        "- not the panel\n- nor its minutes\n\nYou may ask for an internal review, and then "
        "complain to the Information Commissioner."
    )
    view = seed_case()
    assert view.response is not None
    view = view.model_copy(
        update={"response": view.response.model_copy(update={"text": edited, "edited": True})}
    )
    html = html_of(view)
    assert '<section class="edited">' in html
    # Each paragraph whole, its line breaks and indentation kept (pre-wrap).
    assert "<p>Thank you for your request.\n  We hold nothing on it:\n- not the panel\n" in html
    text = pdf_text(html)
    assert "Metropolitan Police Service" in text and "Our reference 01.FOI.23.031576" in text
    assert "Dear Mr Quartermaine," in text
    assert "Ask for an internal review by 28 December 2023." in text
    assert "Refusal notice" not in text  # the composed notice is not added to the officer's text


def test_unit_facing_letters_carry_no_requester_identity() -> None:
    view = seed_case()
    assert view.response is not None
    edited = view.response.model_copy(
        update={
            "text": "Dear Mr Quartermaine,\n\nWe wrote to zq.requester@example.net.",
            "edited": True,
        }
    )
    for shown in (view, view.model_copy(update={"response": edited})):
        html = html_of(shown.for_unit(), redact=shown.requester)
        assert "Quartermaine" not in html and "zq.requester" not in html
        assert 'class="recipient"' not in html
    officer = html_of(view)
    assert "Zebedee Quartermaine" in officer and "zq.requester@example.net" in officer


def test_an_authority_overrides_a_template_and_keeps_the_rest(tmp_path: Path) -> None:
    (tmp_path / "letters" / "exemptions").mkdir(parents=True)
    (tmp_path / "letters" / "exemptions" / "s31.html").write_text(
        "<p>Our own wording on law enforcement for {{ letter.reference }}.</p>"
    )
    letter = build_letter(seed_case(), AUTHORITY, calendar=CALENDAR, today=ISSUED.date())
    html = render_letter_html(letter, tmp_path)
    assert "Our own wording on law enforcement for 01.FOI.23.031576." in html
    assert "Section 31 protects information" not in html
    assert "Section 3 of the Data Protection Act 2018" in html  # s40 still foiflow's
    assert template_environment(tmp_path) is template_environment(tmp_path)


@pytest.mark.parametrize(
    ("requested", "accept", "chosen"),
    [
        (None, None, LetterFormat.TEXT),
        (None, "*/*", LetterFormat.TEXT),
        (None, "text/html,application/xhtml+xml,*/*;q=0.8", LetterFormat.HTML),
        (None, "application/pdf", LetterFormat.PDF),
        (None, "text/plain;q=0.5, application/pdf;q=0.9", LetterFormat.PDF),
        (None, "application/pdf;q=0, text/html", LetterFormat.HTML),
        (None, "application/json", LetterFormat.TEXT),
        (LetterFormat.PDF, "text/html", LetterFormat.PDF),
        (LetterFormat.HTML, None, LetterFormat.HTML),
    ],
)
def test_format_from_query_then_accept(
    requested: LetterFormat | None, accept: str | None, chosen: LetterFormat
) -> None:
    assert choose_format(requested, accept) is chosen
