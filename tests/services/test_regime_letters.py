"""Letters as HTML and PDF under each regime: EIR refusals cite regulations under reg 14 with the
presumption in favour of disclosure, FOISA refusals cite FOISA sections under s16 with
substantial prejudice and the Scottish Information Commissioner, s14 refusals with their reason
(s17(5), s17(6), FOISA s16(5)), and s21 answers that say where the information is."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from domain.case import (
    Answer,
    AnswerKind,
    CaseStatus,
    CaseView,
    ExemptionClaim,
    ResponseDraft,
    VexatiousLimb,
    VexatiousRefusal,
)
from services.documents import build_letter, render_letter_html
from statute.exemptions import Outcome
from workflows.letter import compose_response, compose_vexatious

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "store"))
from test_documents import (
    AUTHORITY,
    CALENDAR,
    ISSUED,
    NOT_HELD,
    REQUESTER,
    html_text,
    pdf_text,
    seed_questions,
    task,
)

from case_factory import make_view

REFERENCE = "01.FOI.23.031576"


def regime_view(regime: str, answers: dict[int, Answer], **changes: Any) -> CaseView:
    """An issued case under ``regime`` with the letter the workflow composes for it."""
    questions = seed_questions()
    tasks = [task(q, answers[q.number]) for q in questions if q.number in answers]
    text, outcome = compose_response(REFERENCE, regime, questions, tasks, AUTHORITY.name)
    fields: dict[str, Any] = {
        "regime": regime,
        "requester": REQUESTER,
        "questions": questions,
        "tasks": tasks,
        "response": ResponseDraft(text=text, outcome=outcome, composed_at=ISSUED),
        "outcome": outcome,
        "issued_at": ISSUED,
        "status": CaseStatus.ISSUED,
    }
    fields.update(changes)
    return make_view(REFERENCE, 6, **fields)


def html_of(view: CaseView, templates_dir: Path | None = None) -> str:
    letter = build_letter(view, AUTHORITY, calendar=CALENDAR, today=ISSUED.date())
    return render_letter_html(letter, templates_dir)


EIR_ANSWER = Answer(
    kind=AnswerKind.PARTLY_HELD,
    searches="No central register is kept; unit records searched",
    claims=[
        ExemptionClaim(
            section="12(5)(a)",
            applies_to="the sites of the monitoring stations",
            reason="The sites would be targeted for vandalism.",
            prejudice="public safety",
            likelihood="would",
            public_interest_for=["Knowing where air quality is measured"],
            public_interest_against=["Stations have been damaged before"],
            ncnd=False,
        ),
        ExemptionClaim(
            section="13",
            subsections="(1)",
            applies_to="names of the volunteers who host stations",
            reason="Names are personal data; disclosure would breach the first principle.",
        ),
    ],
)

FOISA_ANSWER = Answer(
    kind=AnswerKind.EXEMPT,
    claims=[
        ExemptionClaim(
            section="35",
            subsections="(1)(a)",
            applies_to="the organisations on the panels",
            reason="It would reveal how the police gather community intelligence.",
            prejudice="the prevention or detection of crime",
            likelihood="would_be_likely_to",
            public_interest_for=["Transparency"],
            public_interest_against=["Groups would stop working with us"],
            ncnd=True,
        ),
        ExemptionClaim(
            section="31",
            subsections="(1)",
            applies_to="the counter-terrorism advisers on the panels",
            reason="Required for the purpose of safeguarding national security.",
            public_interest_for=["Transparency"],
            public_interest_against=["National security"],
        ),
    ],
)


@pytest.fixture(scope="module")
def eir_pdf() -> str:
    return pdf_text(
        html_of(regime_view("eir", {n: NOT_HELD if n <= 3 else EIR_ANSWER for n in range(1, 8)}))
    )


def test_an_eir_refusal_cites_regulations_under_regulation_14(eir_pdf: str) -> None:
    for element in (
        "Environmental information request reference no: 01.FOI.23.031576",
        "this response serves as a Refusal Notice under Regulation 14 of the Environmental "
        "Information Regulations 2004 by virtue of the following exceptions:",
        "Regulation 12(5)(a) – International relations, defence, national security or public "
        "safety",
        "Regulation 13(1) – Personal data",
        "Regulation 12(5)(a) is an exception subject to the public interest test (regulation "
        "12(1)(b)), where disclosure would adversely affect the interest, with a presumption "
        "in favour of disclosure (regulation 12(2))",
        "Adverse effect: disclosure would adversely affect public safety",
        "Public interest test – regulation 12(5)(a)",
        "regulation 12(2) requires a presumption in favour of disclosure",
        "the public interest in maintaining the exception outweighs the public interest in "
        "disclosure, even with the presumption in favour of disclosure",
        "Regulation 13(1) is an exception for personal data",
        "No information held (under regulation 12(4)(a) of the Regulations)",
        "Withheld under Regulation 12(5)(a) – International relations",
        "attract different exceptions",
        "Ask for reconsideration under regulation 11 by",
        "outcome within 40 working days",
        "complain to the Information Commissioner under section 50 of the Freedom of "
        "Information Act 2000, as applied by regulation 18",
        "Wycliffe House",
    ):
        assert element in eir_pdf, element
    # Regulations, never sections, for what is withheld; and no FOIA s31 wording.
    assert "Section 12" not in eir_pdf and "Section 13" not in eir_pdf
    assert "Why the exception applies: The sites would be targeted for vandalism." in eir_pdf
    assert "exemption" not in eir_pdf


def test_a_foisa_refusal_cites_foisa_with_substantial_prejudice_and_the_scottish_commissioner() -> (
    None
):
    view = regime_view("foisa", {n: NOT_HELD if n <= 3 else FOISA_ANSWER for n in range(1, 8)})
    text = pdf_text(html_of(view))
    for element in (
        "Refusal Notice under Section 16 of the Freedom of Information (Scotland) Act 2002",
        "Section 35(1)(a) of FOISA – Law enforcement",
        "Section 31(1) of FOISA – National security and defence",
        "Section 35(1)(a) of FOISA is an exemption subject to the public interest test where "
        "disclosure would cause substantial prejudice",
        "Substantial prejudice: disclosure would be likely to prejudice substantially the "
        "prevention or detection of crime",
        "by virtue of section 18(1) of FOISA",
        "Public interest test – section 35 of FOISA",
        "Section 35 of FOISA is not an absolute exemption (section 2(1)(b) of FOISA)",
        "(under section 17 of the Act)",
        "Ask for a review under section 20 by",
        "outcome within 20 working days",
        "complain to the Scottish Information Commissioner under section 47 of the Act",
        "Kinburn Castle",
    ):
        assert element in text, element
    # FOISA s31 is national security, not FOIA's law enforcement: FOIA's s31 wording is not used.
    assert "Section 31 protects information whose disclosure would" not in text
    assert "Wycliffe House" not in text


def test_each_regimes_standard_wording_lives_in_its_own_folder(tmp_path: Path) -> None:
    folder = tmp_path / "letters" / "exemptions"
    (folder / "foisa").mkdir(parents=True)
    (folder / "eir").mkdir()
    (folder / "foisa" / "s35.html").write_text("<p>Our standard FOISA s35 wording.</p>")
    (folder / "eir" / "reg12-5-a.html").write_text("<p>Our standard reg 12(5)(a) wording.</p>")
    foisa = regime_view("foisa", {4: FOISA_ANSWER}, questions=seed_questions()[3:4])
    eir = regime_view("eir", {4: EIR_ANSWER}, questions=seed_questions()[3:4])
    assert "Our standard FOISA s35 wording." in html_text(html_of(foisa, tmp_path))
    assert "Our standard reg 12(5)(a) wording." in html_text(html_of(eir, tmp_path))


def test_a_s21_answer_says_where_the_information_is_published() -> None:
    s21 = Answer(
        kind=AnswerKind.EXEMPT,
        claims=[ExemptionClaim(section="21", reason="It is published in our annual report.")],
        published_at="https://example.org/annual-report-2023, page 12",
    )
    text = html_text(
        html_of(regime_view("foia", {n: NOT_HELD if n <= 3 else s21 for n in range(1, 8)}))
    )
    assert "Section 21 – Information accessible by other means" in text
    assert (
        "This information is reasonably accessible to you by other means: it is published at "
        "https://example.org/annual-report-2023, page 12." in text
    )
    assert "Section 21 is an absolute exemption: no public interest test applies" in text


def vexatious_view(regime: str, refusal: VexatiousRefusal) -> CaseView:
    text, outcome = compose_vexatious(REFERENCE, regime, seed_questions(), AUTHORITY.name, refusal)
    draft = ResponseDraft(text=text, outcome=outcome, composed_at=ISSUED, vexatious=refusal)
    return make_view(
        REFERENCE,
        6,
        regime=regime,
        requester=REQUESTER,
        questions=seed_questions(),
        response=draft,
        outcome=outcome,
        issued_at=ISSUED,
        status=CaseStatus.ISSUED,
    )


REFUSAL = VexatiousRefusal(
    limb=VexatiousLimb.VEXATIOUS,
    reason="The ninth request this month about the same panel, each after a full answer.",
    advice="We will answer a request about a different matter.",
)


def test_a_s14_refusal_letter_gives_the_reason_and_the_advice() -> None:
    assert vexatious_view("foia", REFUSAL).outcome == Outcome.REFUSED_VEXATIOUS
    text = pdf_text(html_of(vexatious_view("foia", REFUSAL)))
    for element in (
        "Refusal notice – section 17(5) of the Act",
        "Refusal Notice under Section 17(5) of the Freedom of Information Act 2000",
        "Section 14(1) of the Act does not oblige a public authority",
        "Why: The ninth request this month about the same panel",
        "Advice and assistance (section 16)",
        "We will answer a request about a different matter.",
        "Information Commissioner under section 50",
    ):
        assert element in text, element


def test_a_further_repeated_request_relies_on_the_earlier_notice_s17_6() -> None:
    repeated = REFUSAL.model_copy(
        update={"limb": VexatiousLimb.REPEATED, "previous_notice": "01.FOI.23.031000"}
    )
    text = html_text(html_of(vexatious_view("foia", repeated)))
    assert "No further refusal notice is given for this request (section 17(6) of the Act)" in text
    assert "your earlier request 01.FOI.23.031000" in text
    assert "Section 14(2) of the Act does not oblige" in text
    assert "This response serves as a Refusal Notice" not in text


def test_a_foisa_s14_refusal_takes_the_section_16_5_notice() -> None:
    text = html_text(html_of(vexatious_view("foisa", REFUSAL)))
    assert "Refusal notice – section 16(5) of the Act" in text
    assert (
        "Refusal Notice under Section 16(5) of the Freedom of Information (Scotland) Act 2002"
        in text
    )
    assert "Advice and assistance (section 15)" in text
    assert "Scottish Information Commissioner under section 47 of the Act" in text


def test_an_eir_cost_refusal_is_manifestly_unreasonable_under_12_4_b() -> None:
    cost = Answer(kind=AnswerKind.COST, hours=40)
    questions = seed_questions()
    tasks = [task(q, cost) for q in questions]
    text, outcome = compose_response(
        REFERENCE,
        "eir",
        questions,
        tasks,
        AUTHORITY.name,
        cost_advice="Narrow it to one year.",
        cost_hours=40,
        cost_limit_hours=18,
    )
    assert "Regulation 12(4)(b) - Manifestly unreasonable request (cost of compliance)" in text
    assert "Advice and assistance (regulation 9)\nNarrow it to one year." in text
    view = make_view(
        REFERENCE,
        6,
        regime="eir",
        questions=questions,
        tasks=tasks,
        cost_hours_total=40.0,
        response=ResponseDraft(text=text, outcome=outcome, composed_at=ISSUED),
        outcome=outcome,
        issued_at=ISSUED,
        status=CaseStatus.ISSUED,
    )
    letter = html_text(html_of(view))
    assert "Refusal Notice under Regulation 14 of the Environmental Information Regulations" in (
        letter
    )
    assert "Regulation 12(4)(b) of the Regulations allows a public authority to refuse" in letter
    assert "appropriate limit of 18 hours" in letter
    assert "Narrow it to one year." in letter  # the advice read back from the composed text
