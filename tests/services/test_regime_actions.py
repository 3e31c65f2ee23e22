"""Each regime's provisions through the services, on the real time-skipping server: an EIR case
refused under its own exceptions (a FOIA section refused naming the EIR catalogue), the letter
read back element by element, and s14 refusals (FOIA and FOISA; none under the EIR)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from domain.case import (
    Answer,
    AnswerKind,
    CaseStatus,
    ExemptionClaim,
    TaskStatus,
    VexatiousLimb,
)
from services import actions, documents
from services.context import ServiceContext
from services.documents import LetterFormat
from services.errors import Conflict, Forbidden, Rejected
from services.schemas import IssueIn, RefuseVexatiousIn, RoutesIn, SignOffIn
from statute.exemptions import Outcome, Role

from case_driver import NOT_HELD, SEED_ROUTES

AsUser = Callable[[str], Awaitable[ServiceContext]]
StartCase = Callable[..., Awaitable[str]]
CONTACTS = {"vawg": "tom-oduya", "hate-crime": "priya-nair", "community-engagement": "gareth-evans"}

EIR_ANSWER = Answer(
    kind=AnswerKind.PARTLY_HELD,
    searches="No central register of advisory group members is kept; unit records searched",
    claims=[
        ExemptionClaim(
            section="reg 12(5)(a)",
            applies_to="the organisations on the panels",
            reason="Publishing the membership would expose the groups to targeting.",
            prejudice="public safety",
            likelihood="would",
            public_interest_for=["Transparency about who advises the police"],
            public_interest_against=["Members have been targeted"],
        ),
        ExemptionClaim(
            section="13",
            subsections="(1)",
            applies_to="names of individual members",
            reason="Names are personal data; disclosure would breach the first principle.",
        ),
    ],
)


async def test_an_eir_case_is_refused_under_its_own_exceptions(
    as_user: AsUser, seed_case: StartCase
) -> None:
    reference = await seed_case(regime="eir")
    officer, priya = await as_user("aisha-rahman"), await as_user("priya-nair")
    await actions.route_questions(officer, reference, RoutesIn(accept_suggestions=True))

    foia_claim = EIR_ANSWER.model_copy(
        update={"claims": [ExemptionClaim(section="31", reason="crime")]}
    )
    with pytest.raises(Rejected) as caught:
        await actions.answer_task(priya, reference, 4, foia_claim)
    assert caught.value.field == "answer.claims[0].section"
    assert caught.value.reason.endswith(
        "this case is under the EIR: claim from the EIR catalogue (regulations 12(4)(a)–(e), "
        "12(5)(a)–(g) and 13)"
    )

    for question, unit in SEED_ROUTES.items():
        await actions.answer_task(
            await as_user(CONTACTS[unit]),
            reference,
            question,
            NOT_HELD if question <= 3 else EIR_ANSWER,
        )
    view = await actions.decide_sign_off(
        await as_user("sarah-bennett"), reference, "reg 13", SignOffIn()
    )
    assert {s.section: s.required_role for s in view.sign_offs} == {
        "12(5)(a)": Role.SENIOR_OFFICER,
        "13": Role.DATA_PROTECTION_OFFICER,
    }
    view = await actions.decide_sign_off(
        await as_user("david-hughes"), reference, "12(5)(a)", SignOffIn()
    )
    assert view.status == CaseStatus.RESPONSE_REVIEW
    letter = await documents.letter_document(officer, reference, LetterFormat.TEXT)
    text = letter.content.decode()
    for element in (
        "Environmental information request reference no:",
        "Refusal Notice under Regulation 14 of the Environmental Information Regulations 2004",
        "Regulation 12(5)(a) – International relations, defence, national security or public "
        "safety",
        "Regulation 13(1) – Personal data",
        "Disclosure would adversely affect public safety.",
        "presumption in favour of disclosure (regulation 12(2))",
        "reconsideration of its decision under regulation 11",
        "the Information Commissioner under section 50 of the Freedom of Information Act 2000, "
        "as applied by regulation 18",
    ):
        assert element in text, element
    await actions.approve_response(officer, reference)
    view = await actions.issue_response(officer, reference, publication=IssueIn())
    assert (view.status, view.outcome) == (CaseStatus.ISSUED, Outcome.WITHHELD_IN_FULL)


async def test_a_vexatious_request_is_refused_and_issued(
    as_user: AsUser, seed_case: StartCase
) -> None:
    reference = await seed_case()
    officer = await as_user("aisha-rahman")
    refusal = RefuseVexatiousIn(
        reason="The ninth request this month about the same panel.",
        advice="We will answer a request on a different matter.",
    )
    await actions.route_questions(officer, reference, RoutesIn(accept_suggestions=True))
    # A role the transition table never allows is refused before the workflow is asked.
    with pytest.raises(Forbidden) as refused:
        await actions.refuse_vexatious(await as_user("tom-oduya"), reference, refusal)
    assert refused.value.field == "actor"
    view = await actions.refuse_vexatious(officer, reference, refusal)
    assert view.status == CaseStatus.RESPONSE_REVIEW
    assert {t.status for t in view.tasks} == {TaskStatus.SETTLED}  # no unit is chased now
    assert view.response is not None and view.response.vexatious is not None
    assert view.timeline[-1].kind == "refused_vexatious"
    with pytest.raises(Conflict) as conflict:
        await actions.refuse_vexatious(officer, reference, refusal)
    assert conflict.value.field == "status"
    await actions.approve_response(officer, reference)
    view = await actions.issue_response(officer, reference)
    assert (view.status, view.outcome) == (CaseStatus.ISSUED, Outcome.REFUSED_VEXATIOUS)


async def test_s14_under_foisa_and_not_under_the_eir(as_user: AsUser, seed_case: StartCase) -> None:
    officer = await as_user("aisha-rahman")
    repeated = RefuseVexatiousIn(
        limb=VexatiousLimb.REPEATED, reason="The same request as last month's, answered in full."
    )
    foisa = await seed_case(regime="foisa")
    view = await actions.refuse_vexatious(officer, foisa, repeated)
    assert view.response is not None
    assert "Section 16(5) of the Freedom of Information (Scotland) Act 2002" in view.response.text
    assert "Section 14(2) of FOISA - Repeated requests" in view.response.text

    eir = await seed_case(regime="eir")
    with pytest.raises(Rejected) as caught:
        await actions.refuse_vexatious(officer, eir, repeated)
    assert caught.value.field == "regime"
    assert caught.value.reason.startswith(
        "the EIR have no section 14; refuse a manifestly unreasonable request under "
        "regulation 12(4)(b)"
    )
