"""Each regime's own provisions in the case: claims from the case's own catalogue, sign-offs for
EIR and FOISA provisions, letters that cite regulations (EIR) or FOISA sections and name the
right regulator, s21 answers that say where the information is, and s14 refusals."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest

from activities.case_activities import load_calendar_window
from domain.case import (
    Answer,
    AnswerKind,
    CasePolicy,
    CaseStatus,
    ExemptionClaim,
    TaskStatus,
    VexatiousLimb,
)
from domain.messages import (
    AnswerTask,
    ApproveResponse,
    LoadCalendar,
    RefuseVexatious,
    RequestInput,
    Route,
    RouteQuestions,
    SignOffDecision,
)
from statute.exemptions import Outcome, Role
from workflows import rules
from workflows.case_file import CaseFile
from workflows.rules import Rejected

from case_driver import (
    DPO,
    HATE,
    MARCH_2025,
    NOT_HELD,
    OFFICER,
    SEED_ROUTES,
    SENIOR,
    UNIT_ACTORS,
    VAWG,
    ManualClock,
    MemoryCalendars,
    case_file,
    route_file,
    seed_intake,
)

# The seed's Q4–7 under the EIR: the panels' membership withheld to protect public safety, and
# members' names as personal data.
REG_12_5_A = ExemptionClaim(
    section="12(5)(a)",
    applies_to="the organisations on the panels",
    reason="Publishing the membership would expose the groups to targeting.",
    prejudice="public safety",
    likelihood="would",
    public_interest_for=["Transparency about who advises the police"],
    public_interest_against=["Members have been targeted"],
)
REG_13 = ExemptionClaim(
    section="reg 13",
    subsections="(1)",
    applies_to="names of individual members",
    reason="Disclosure would breach the first data protection principle.",
)
# The same under FOISA: law enforcement (substantial prejudice) and personal information.
S35 = ExemptionClaim(
    section="35",
    subsections="(1)(a)",
    applies_to="the organisations on the panels",
    reason="Disclosure would reveal how the police gather community intelligence.",
    prejudice="the prevention or detection of crime",
    likelihood="would_be_likely_to",
    public_interest_for=["Transparency about who advises the police"],
    public_interest_against=["Groups would refuse to work with us"],
    ncnd=True,
)
S38 = ExemptionClaim(
    section="38",
    subsections="(1)(b)",
    applies_to="names of individual members",
    reason="Names are personal data; disclosure would breach the data protection principles.",
)


def regime_case(regime: str) -> tuple[CaseFile, ManualClock]:
    """The seed request under ``regime``, opened an hour after receipt, routed as the seed is."""
    intake = seed_intake(MARCH_2025, reference="01.FOI.25.000002", regime=regime)
    calendar = load_calendar_window(MemoryCalendars(), LoadCalendar.around(None, MARCH_2025.date()))
    clock = ManualClock(MARCH_2025 + timedelta(hours=1))
    case = CaseFile(RequestInput(intake=intake, policy=CasePolicy(), calendar=calendar), clock)
    case.open()
    routes = [Route(question=q, unit=u) for q, u in SEED_ROUTES.items()]
    case.route(RouteQuestions(actor=OFFICER, routes=routes))
    return case, clock


def answer_all(case: CaseFile, exempt: Answer) -> None:
    for q in range(1, 8):
        inp = AnswerTask(
            actor=UNIT_ACTORS[SEED_ROUTES[q]], question=q, answer=NOT_HELD if q <= 3 else exempt
        )
        rules.check_answer(case.state, inp, case.intake.regime)
        case.answer(inp)


def sign_off_all(case: CaseFile, deciders: dict[str, object]) -> None:
    for section, actor in deciders.items():
        inp = SignOffDecision(actor=actor, section=section, approve=True)  # type: ignore[arg-type]
        rules.check_sign_off(case.state, inp, case.intake.regime)
        case.decide_sign_off(inp)


@contextmanager
def refused(message: str) -> Iterator[None]:
    with pytest.raises(Rejected) as caught:
        yield
    assert caught.value.message == message


def exempt(*claims: ExemptionClaim, **fields: object) -> Answer:
    return Answer.model_validate(
        {"kind": AnswerKind.EXEMPT, "claims": [c.model_dump() for c in claims], **fields}
    )


# ---- claims from the case's own catalogue ------------------------------------------------------


@pytest.mark.parametrize(
    ("regime", "claim", "message"),
    [
        (
            "eir",
            ExemptionClaim(section="31", reason="crime"),
            "answer.claims[0].section: '31' is section 31 of FOIA and section 31 of FOISA, not "
            "an exception under the EIR; this case is under the EIR: claim from the EIR "
            "catalogue (regulations 12(4)(a)–(e), 12(5)(a)–(g) and 13)",
        ),
        (
            "foia",
            REG_12_5_A,
            "answer.claims[0].section: '12(5)(a)' is regulation 12(5)(a) of the EIR, not an "
            "exemption under FOIA; this case is under FOIA: claim from the FOIA Part II "
            "catalogue (sections 21–44)",
        ),
        (
            "foisa",
            ExemptionClaim(section="s40", subsections="(2)", reason="personal data"),
            # s40 exists in FOISA too (audit functions): it is the prejudice that is missing.
            "answer.claims[0].prejudice: section 40 of FOISA applies only where disclosure "
            "would, or would be likely to, prejudice substantially: state what it would "
            "prejudice substantially and the likelihood",
        ),
        (
            "foisa",
            ExemptionClaim(section="43", reason="commercial"),
            "answer.claims[0].section: '43' is section 43 of FOIA, not an exemption under "
            "FOISA; this case is under FOISA: claim from the FOISA Part 2 catalogue (sections "
            "25–41); the equivalent of section 43 of FOIA is section 33 of FOISA",
        ),
        (
            "eir",
            REG_12_5_A.model_copy(update={"likelihood": "would_be_likely_to"}),
            "answer.claims[0].likelihood: regulation 12(5)(a) needs disclosure that would "
            'adversely affect the interest (more probable than not); "would be likely to" is '
            "not enough under the EIR",
        ),
        (
            "eir",
            REG_12_5_A.model_copy(update={"prejudice": None}),
            "answer.claims[0].prejudice: regulation 12(5)(a) applies only where disclosure "
            "would adversely affect: state what it would adversely affect",
        ),
        (
            "eir",
            ExemptionClaim(section="12(4)(e)", reason="internal emails"),
            "answer.claims[0].public_interest_for: regulation 12(4)(e) is subject to the public "
            "interest test (regulation 12(1)(b)), with a presumption in favour of disclosure "
            "(regulation 12(2)): record public interest factors for and against disclosure",
        ),
        (
            "foisa",
            S35.model_copy(update={"public_interest_against": []}),
            "answer.claims[0].public_interest_for: section 35 of FOISA is not an absolute "
            "exemption (section 2(1)(b) of FOISA): record public interest factors for and "
            "against disclosure",
        ),
        (
            "eir",
            ExemptionClaim(section="12(4)(c)", reason="too general", ncnd=True),
            "answer.claims[0].public_interest_for: regulation 12(4)(c) is subject to the public "
            "interest test (regulation 12(1)(b)), with a presumption in favour of disclosure "
            "(regulation 12(2)): record public interest factors for and against disclosure",
        ),
        (
            "eir",
            REG_13.model_copy(update={"reason": " "}),
            "answer.claims[0].reason: say why regulation 13 applies",
        ),
    ],
)
def test_a_claim_is_checked_against_its_own_regimes_catalogue(
    regime: str, claim: ExemptionClaim, message: str
) -> None:
    with refused(message):
        rules.validate_answer(exempt(claim), regime)


def test_claims_valid_in_their_own_regime_pass() -> None:
    rules.validate_answer(exempt(REG_12_5_A, REG_13), "eir")
    rules.validate_answer(exempt(S35, S38), "foisa")
    # FOISA s36(2) (confidence) is absolute: no public interest test is asked for.
    rules.validate_answer(
        exempt(ExemptionClaim(section="36", subsections="(2)", reason="in confidence")), "foisa"
    )


def test_the_workflow_validator_uses_the_cases_regime() -> None:
    case, _ = regime_case("eir")
    inp = AnswerTask(actor=HATE, question=4, answer=exempt(ExemptionClaim(section="31")))
    with pytest.raises(Rejected, match="this case is under the EIR"):
        rules.check_answer(case.state, inp, case.intake.regime)


# ---- s21: where the information is -------------------------------------------------------------

S21 = ExemptionClaim(section="21", reason="The panel's membership is published on our website.")


def test_a_s21_claim_needs_where_the_information_is_published() -> None:
    with refused(
        "answer.published_at: section 21 withholds information that is reasonably accessible "
        "by other means: say where it is published (a URL or a citation)"
    ):
        rules.validate_answer(exempt(S21))
    rules.validate_answer(exempt(S21, published_at="https://example.org/panels"))
    with refused(
        "answer.published_at: section 25 of FOISA withholds information that is reasonably "
        "accessible by other means: say where it is published (a URL or a citation)"
    ):
        rules.validate_answer(exempt(S21.model_copy(update={"section": "25"})), "foisa")


def test_the_letter_says_where_s21_information_is_published() -> None:
    case = route_file(case_file()[0])
    published = exempt(S21, published_at="https://example.org/panels (Annual report 2024, p. 12)")
    for q in range(1, 8):
        answer = published if q == 4 else NOT_HELD
        case.answer(AnswerTask(actor=UNIT_ACTORS[SEED_ROUTES[q]], question=q, answer=answer))
    assert case.state.status == CaseStatus.SIGN_OFF
    sign_off_all(case, {"21": SENIOR})
    assert case.state.response is not None
    text = case.state.response.text
    assert "Section 21 – Information accessible by other means (applied to Q4)" in text
    assert (
        "Q4: the information is reasonably accessible to you by other means: it is published "
        "at https://example.org/panels (Annual report 2024, p. 12)." in text
    )
    assert "Where to find it: https://example.org/panels (Annual report 2024, p. 12)" in text
    assert "Section 21 is an absolute exemption: no public interest test applies." in text


# ---- EIR and FOISA cases refused under their own provisions ------------------------------------


def test_an_eir_case_is_refused_under_regulation_14_citing_regulations() -> None:
    case, _ = regime_case("eir")
    answer_all(
        case,
        Answer(
            kind=AnswerKind.PARTLY_HELD,
            searches="unit records",
            claims=[
                REG_12_5_A,
                REG_13,
            ],
        ),
    )
    assert case.state.status == CaseStatus.SIGN_OFF
    roles = {s.section: s.required_role for s in case.state.sign_offs}
    assert roles == {"12(5)(a)": Role.SENIOR_OFFICER, "13": Role.DATA_PROTECTION_OFFICER}
    timeline = [e.text for e in case.state.timeline if e.kind == "sign_off_requested"]
    assert timeline == [
        "reg 12(5)(a) needs sign-off by senior_officer (Q4, Q5, Q6, Q7)",
        "reg 13 needs sign-off by data_protection_officer (Q4, Q5, Q6, Q7)",
    ]
    sign_off_all(case, {"reg 12(5)(a)": SENIOR, "13": DPO})
    assert case.state.status == CaseStatus.RESPONSE_REVIEW
    assert case.state.response is not None
    text = case.state.response.text
    for element in (
        "Environmental information request reference no: 01.FOI.25.000002",
        "this response serves as a Refusal Notice under Regulation 14 of the Environmental "
        "Information Regulations 2004 by virtue of the following exceptions:",
        "Regulation 12(5)(a) – International relations, defence, national security or public "
        "safety",
        "Regulation 13(1) – Personal data",
        "Disclosure would adversely affect public safety.",
        "Public interest test: regulation 12(5)(a) is subject to the public interest test "
        "(regulation 12(1)(b)), and we have applied a presumption in favour of disclosure "
        "(regulation 12(2)).",
        "Factors favouring disclosure: Transparency about who advises the police",
        "even with the presumption in its favour.",
        "Regulation 13: disclosure would contravene the data protection principles (the first "
        "condition, regulation 13(2A)), so no public interest test applies.",
        "Information withheld under Regulation 12(5)(a) (see above).",
        "Information withheld under Regulation 13(1) (see above).",
        "reconsideration of its decision under regulation 11. Please write within 40 working days",
        "outcome within 40 working days",
        "complain to the Information Commissioner under section 50 of the Freedom of "
        "Information Act 2000, as applied by regulation 18.",
    ):
        assert element in text, element
    # Regulations, never sections, for what is withheld.
    assert "Section 12" not in text and "Section 13" not in text and "exemption" not in text


def test_a_foisa_case_is_refused_under_section_16_with_the_scottish_commissioner() -> None:
    case, _ = regime_case("foisa")
    answer_all(case, exempt(S35, S38))
    roles = {s.section: s.required_role for s in case.state.sign_offs}
    assert roles == {"35": Role.SENIOR_OFFICER, "38": Role.DATA_PROTECTION_OFFICER}
    sign_off_all(case, {"35": SENIOR, "s38": DPO})
    assert case.state.response is not None
    assert case.state.response.outcome == Outcome.WITHHELD_IN_FULL
    text = case.state.response.text
    for element in (
        "Freedom of information request reference no: 01.FOI.25.000002",
        "Refusal Notice under Section 16 of the Freedom of Information (Scotland) Act 2002 "
        "(the Act) by virtue of the following exemptions:",
        "Section 35(1)(a) of FOISA – Law enforcement",
        "Section 38(1)(b) of FOISA – Personal information",
        "Disclosure would be likely to prejudice substantially the prevention or detection of "
        "crime.",
        "We neither confirm nor deny whether further information is held, as section 18(1) of "
        "FOISA allows.",
        "Public interest test: section 35 of FOISA is not an absolute exemption, so we have "
        "weighed the public interest (section 2(1)(b) of FOISA).",
        "Section 38 of FOISA is an absolute exemption (section 2(2) of FOISA)",
        "Information withheld under Section 35(1)(a) of FOISA (see above).",
        "ask the authority for a review under section 20 of the Act. Please write within 40 "
        "working days",
        "If you remain dissatisfied after the review, you have the right to complain to the "
        "Scottish Information Commissioner under section 47 of the Act.",
    ):
        assert element in text, element
    assert "Information Commissioner under section 50" not in text


def test_an_edited_refusal_must_keep_the_regimes_rights() -> None:
    case, _ = regime_case("foisa")
    answer_all(case, exempt(S38))
    sign_off_all(case, {"38": DPO})
    edited = ApproveResponse(actor=OFFICER, text="Refused under section 38 of FOISA.")
    with refused(
        "text: a refusal notice must set out how to ask for a review and the right to apply "
        "to the Scottish Information Commissioner (section 19 of FOISA)"
    ):
        rules.check_approve(case.state, edited, "foisa")
    rules.check_approve(
        case.state,
        edited.model_copy(update={"text": "Ask us for a review; then the Commissioner."}),
        "foisa",
    )


# ---- s14: vexatious or repeated ----------------------------------------------------------------

VEXATIOUS = RefuseVexatious(
    actor=OFFICER,
    reason="This is the ninth request this month about the same panel, each after a full answer.",
    advice="We will answer a request about a different matter.",
)


def test_a_vexatious_request_is_refused_with_a_s17_5_notice() -> None:
    case = route_file(case_file()[0])
    case.answer(AnswerTask(actor=VAWG, question=1, answer=NOT_HELD))
    rules.check_refuse_vexatious(case.state, VEXATIOUS)
    result = case.apply(case.refuse_vexatious, VEXATIOUS)
    assert result.status == CaseStatus.RESPONSE_REVIEW
    assert result.changed == "request refused under s14(1) (vexatious); refusal notice composed"
    # The reason is for the requester's letter, not the units' timeline.
    assert VEXATIOUS.reason not in result.changed
    assert all(t.status == TaskStatus.SETTLED for t in case.state.tasks)
    # No unit is chased for a request that will not be answered.
    assert all(r.question is None for r in case.planned_reminders())
    draft = case.state.response
    assert draft is not None and draft.outcome == Outcome.REFUSED_VEXATIOUS
    assert draft.vexatious is not None and draft.vexatious.limb == VexatiousLimb.VEXATIOUS
    for element in (
        "This response serves as a Refusal Notice under Section 17(5) of the Freedom of "
        "Information Act 2000 (the Act).",
        "Section 14(1) - Vexatious requests",
        "Section 14(1) of the Act does not oblige a public authority to comply with a request "
        "for information if the request is vexatious.",
        VEXATIOUS.reason,
        "Advice and assistance (section 16)\nWe will answer a request about a different matter.",
        "internal review",
        "complain to the Information Commissioner under section 50 of the Act",
    ):
        assert element in draft.text, element
    case.approve(ApproveResponse(actor=OFFICER))
    assert case.state.status == CaseStatus.APPROVED


def test_a_repeated_request_relying_on_an_earlier_notice_is_recorded_under_s17_6() -> None:
    case, _ = case_file()
    repeated = VEXATIOUS.model_copy(
        update={"limb": VexatiousLimb.REPEATED, "previous_notice": "01.FOI.25.000001"}
    )
    case.refuse_vexatious(repeated)
    draft = case.state.response
    assert draft is not None
    assert draft.text.count("Refusal Notice") == 0
    assert "No further refusal notice is given for this request (section 17(6) of the Act)." in (
        draft.text
    )
    assert "Section 14(2) - Repeated requests" in draft.text
    assert "your earlier request 01.FOI.25.000001" in draft.text
    assert case.state.timeline[-1].text == (
        "request refused under s14(2) (repeated); no further notice (relies on the notice for "
        "01.FOI.25.000001)"
    )


def test_foisa_s14_takes_the_section_16_5_notice_and_the_eir_have_none() -> None:
    case, _ = regime_case("foisa")
    case.refuse_vexatious(VEXATIOUS)
    assert case.state.response is not None
    text = case.state.response.text
    assert (
        "Refusal Notice under Section 16(5) of the Freedom of Information (Scotland) Act 2002"
        in (text)
    )
    assert "Section 14(1) of FOISA - Vexatious requests" in text
    assert "Advice and assistance (section 15)" in text
    assert "Scottish Information Commissioner under section 47 of the Act" in text

    eir, _ = regime_case("eir")
    with refused(
        "regime: the EIR have no section 14; refuse a manifestly unreasonable request under "
        "regulation 12(4)(b), claimed in an answer from the EIR catalogue (regulations "
        "12(4)(a)–(e), 12(5)(a)–(g) and 13)"
    ):
        rules.check_refuse_vexatious(eir.state, VEXATIOUS, "eir")


def test_s14_needs_the_officer_a_reason_and_a_case_not_yet_composed() -> None:
    case = route_file(case_file()[0])
    with refused(
        "actor: vawg.contact is not a foi_officer and cannot refuse requests as vexatious or "
        "repeated"
    ):
        rules.check_refuse_vexatious(case.state, VEXATIOUS.model_copy(update={"actor": VAWG}))
    with refused(
        "reason: say why the request is a repeated request (section 14(2)); the notice and the "
        "regulator will read it"
    ):
        rules.check_refuse_vexatious(
            case.state, VEXATIOUS.model_copy(update={"reason": " ", "limb": VexatiousLimb.REPEATED})
        )
    case.refuse_vexatious(VEXATIOUS)
    with refused(
        "status: the case is response_review; refuse as vexatious or repeated is not possible now"
    ):
        rules.check_refuse_vexatious(case.state, VEXATIOUS)


def test_qualified_claims_are_read_in_the_cases_regime() -> None:
    case, _ = regime_case("foisa")
    answer_all(case, exempt(S38))
    assert not rules.qualified_claim_exists(case.state.tasks, "foisa")  # s38: absolute
    case, _ = regime_case("foisa")
    answer_all(case, exempt(S35))
    assert rules.qualified_claim_exists(case.state.tasks, "foisa")
