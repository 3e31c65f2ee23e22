"""The request workflow's rules as pure functions: each refusal names the field and the reason."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest

from domain.case import (
    Actor,
    Answer,
    AnswerKind,
    CasePolicy,
    CaseStatus,
    ExemptionClaim,
)
from domain.messages import (
    AnswerTask,
    ApproveResponse,
    CaseState,
    CloseCase,
    CostDecision,
    IssueResponse,
    ReassignTask,
    RecordClockEvent,
    Route,
    RouteQuestions,
    SignOffDecision,
)
from statute import ClockEventKind, ExtensionKind
from statute.exemptions import Role
from workflows import rules
from workflows.rules import Rejected

from case_driver import (
    COMMUNITY,
    DPO,
    HATE,
    OFFICER,
    PARTLY_EXEMPT,
    S31,
    SENIOR,
    VAWG,
    answer_file,
    case_file,
    route_file,
    seed_answer,
)

S36 = ExemptionClaim(
    section="36",
    subsections="(2)(c)",
    reason="Free and frank advice would be inhibited.",
    prejudice="the effective conduct of public affairs",
    likelihood="would_be_likely_to",
    public_interest_for=["Openness"],
    public_interest_against=["Safe space for advice"],
)


@contextmanager
def refused(message: str) -> Iterator[None]:
    """The rule refuses with exactly ``message`` (what the user reads)."""
    with pytest.raises(Rejected) as caught:
        yield
    assert caught.value.message == message


# ---- routing -----------------------------------------------------------------------------------


def test_routing_is_the_officers_on_an_open_case() -> None:
    case, _ = case_file()
    questions = case.intake.questions
    one = [Route(question=1, unit="vawg")]
    with refused("actor: vawg.contact is not a foi_officer and cannot route questions"):
        rules.check_route(case.state, questions, RouteQuestions(actor=VAWG, routes=one))
    closed = case.state.model_copy(update={"status": CaseStatus.WITHDRAWN})
    with refused("status: the case is withdrawn and can no longer change"):
        rules.check_route(closed, questions, RouteQuestions(actor=OFFICER, routes=one))
    opening = CaseState(status=CaseStatus.TRIAGE)
    with refused("status: the case is still opening (loading its calendar); try again in a moment"):
        rules.check_route(opening, questions, RouteQuestions(actor=OFFICER, routes=one))


@pytest.mark.parametrize(
    ("routes", "message"),
    [
        ([], "routes: give at least one question and unit"),
        ([(9, "vawg")], "routes[0].question: the request has no question 9"),
        ([(1, "vawg"), (1, "hate-crime")], "routes[1].question: Q1 twice"),
        ([(2, " ")], "routes[0].unit: name the owning unit"),
    ],
)
def test_bad_routes(routes: list[tuple[int, str]], message: str) -> None:
    case, _ = case_file()
    inp = RouteQuestions(actor=OFFICER, routes=[Route(question=q, unit=u) for q, u in routes])
    with refused(message):
        rules.check_route(case.state, case.intake.questions, inp)


def test_a_routed_question_is_reassigned_not_routed_again() -> None:
    case = route_file(case_file()[0])
    again = RouteQuestions(actor=OFFICER, routes=[Route(question=4, unit="vawg")])
    with refused("routes[0].question: Q4 is already routed; reassign it instead"):
        rules.check_route(case.state, case.intake.questions, again)
    move = ReassignTask(actor=OFFICER, question=4, unit="vawg", reason="")
    with refused("reason: say why the task moves"):
        rules.check_reassign(case.state, move)
    with refused("unit: Q4 is already with hate-crime"):
        rules.check_reassign(case.state, move.model_copy(update={"unit": "hate-crime"}))
    with refused("actor: hate.contact is not a foi_officer and cannot reassign tasks"):
        rules.check_reassign(case.state, move.model_copy(update={"actor": HATE}))
    rules.check_reassign(case.state, move.model_copy(update={"reason": "VAWG holds it"}))


# ---- answers -----------------------------------------------------------------------------------


def test_only_the_owning_unit_answers_and_only_until_sign_off() -> None:
    case = route_file(case_file()[0])
    with refused("question: Q9 has not been routed to a unit"):
        rules.check_answer(case.state, AnswerTask(actor=HATE, question=9, answer=PARTLY_EXEMPT))
    with refused("actor: vawg.contact is not a member of unit hate-crime, which owns Q4"):
        rules.check_answer(case.state, AnswerTask(actor=VAWG, question=4, answer=PARTLY_EXEMPT))
    officer_in_unit = OFFICER.model_copy(update={"units": ["hate-crime"]})
    with refused(
        "actor: foi.officer is not a unit_contact or unit_manager and cannot answer questions"
    ):
        rules.check_answer(
            case.state, AnswerTask(actor=officer_in_unit, question=4, answer=PARTLY_EXEMPT)
        )
    answer_file(case)
    assert case.state.status == CaseStatus.SIGN_OFF
    with refused("question: the answer to Q4 is under sign-off and can no longer be revised"):
        rules.check_answer(case.state, AnswerTask(actor=HATE, question=4, answer=PARTLY_EXEMPT))
    # Q1-3 (not held) are not under sign-off: they may still be revised.
    rules.check_answer(case.state, AnswerTask(actor=VAWG, question=1, answer=seed_answer(1)))


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            Answer(kind=AnswerKind.DISCLOSED),
            "answer.information: a disclosed answer needs the information or an attachment",
        ),
        (
            Answer(kind=AnswerKind.NOT_HELD),
            "answer.searches: record where and how the information was searched for",
        ),
        (
            Answer(kind=AnswerKind.EXEMPT),
            "answer.claims: an exempt answer needs at least one claim",
        ),
        (
            Answer(kind=AnswerKind.COST, hours=0),
            "answer.hours: a cost answer needs the estimated hours (more than 0)",
        ),
        (
            Answer(kind=AnswerKind.TRANSFER),
            "answer.transfer_to: name the authority that holds the information",
        ),
        (
            Answer(kind=AnswerKind.DISCLOSED, information="All of it", claims=[S31]),
            "answer.claims: a disclosed answer cannot claim exemptions",
        ),
        (
            Answer(kind=AnswerKind.EXEMPT, claims=[S31.model_copy(update={"reason": ""})]),
            "answer.claims[0].reason: say why section 31 applies",
        ),
        (
            Answer(kind=AnswerKind.EXEMPT, claims=[S31.model_copy(update={"likelihood": None})]),
            "answer.claims[0].prejudice: section 31 is prejudice-based: state the prejudice and "
            "whether disclosure would or would be likely to cause it",
        ),
        (
            Answer(
                kind=AnswerKind.EXEMPT,
                claims=[S31.model_copy(update={"public_interest_against": []})],
            ),
            "answer.claims[0].public_interest_for: section 31 is a qualified exemption: record "
            "public interest factors for and against disclosure",
        ),
    ],
)
def test_what_each_kind_of_answer_must_record(answer: Answer, message: str) -> None:
    with refused(message):
        rules.validate_answer(answer)


def test_an_unknown_exemption_is_named() -> None:
    claim = S31.model_copy(update={"section": "99"})
    with pytest.raises(Rejected) as caught:
        rules.validate_answer(Answer(kind=AnswerKind.EXEMPT, claims=[claim]))
    assert caught.value.message.startswith("answer.claims[0].section: '99' is not an exemption")


# ---- sign-off ----------------------------------------------------------------------------------


def test_sign_off_rules() -> None:
    case = answer_file(route_file(case_file()[0]))
    decide = SignOffDecision(actor=SENIOR, section="31", approve=True)
    with refused("section: no sign-off is pending for section 43"):
        rules.check_sign_off(case.state, decide.model_copy(update={"section": "43"}))
    with refused(
        "actor: senior.officer is not a data_protection_officer and cannot sign off section 40"
    ):
        rules.check_sign_off(case.state, decide.model_copy(update={"section": "s40"}))
    with refused("reason: say why the sign-off is refused, for the unit"):
        rules.check_sign_off(case.state, decide.model_copy(update={"approve": False}))
    rules.check_sign_off(case.state, decide)
    rules.check_sign_off(case.state, SignOffDecision(actor=DPO, section="40", approve=True))
    in_progress = case.state.model_copy(update={"status": CaseStatus.IN_PROGRESS})
    with refused("status: the case is in_progress, not awaiting sign-off"):
        rules.check_sign_off(in_progress, decide)


def test_nobody_signs_off_their_own_recommendation() -> None:
    case = route_file(case_file()[0])
    senior_contact = Actor(
        user_id="hate.senior", roles=[Role.UNIT_CONTACT, Role.SENIOR_OFFICER], units=["hate-crime"]
    )
    case.answer(AnswerTask(actor=senior_contact, question=4, answer=PARTLY_EXEMPT))
    answer_file(case, range(1, 4))
    answer_file(case, range(5, 8))
    with refused("actor: hate.senior recommended section 31 and cannot sign it off"):
        rules.check_sign_off(
            case.state, SignOffDecision(actor=senior_contact, section="31", approve=True)
        )


def test_section_36_is_the_qualified_persons_whatever_the_policy_says() -> None:
    # The policy tries to hand s36 to senior officers; SignOffPolicy.role_for overrules it.
    policy = CasePolicy(sign_off_roles={"36": Role.SENIOR_OFFICER})
    case = route_file(case_file(policy=policy)[0])
    answer_file(case, range(1, 4))
    s36 = Answer(kind=AnswerKind.EXEMPT, claims=[S36])
    for q in (4, 5):
        case.answer(AnswerTask(actor=HATE, question=q, answer=s36))
    for q in (6, 7):
        case.answer(AnswerTask(actor=COMMUNITY, question=q, answer=s36))
    [sign_off] = case.state.sign_offs
    assert sign_off.required_role == Role.QUALIFIED_PERSON
    chief = Actor(user_id="chief", roles=[Role.SENIOR_OFFICER, Role.FOI_OFFICER])
    with refused(
        "actor: section 36 needs the reasonable opinion of the qualified person; chief is not "
        "the qualified person"
    ):
        rules.check_sign_off(case.state, SignOffDecision(actor=chief, section="36", approve=True))
    qp = Actor(user_id="qp", roles=[Role.QUALIFIED_PERSON])
    rules.check_sign_off(case.state, SignOffDecision(actor=qp, section="36", approve=True))


# ---- the clock ---------------------------------------------------------------------------------


def test_clock_events_the_statute_does_not_allow() -> None:
    case, clock = case_file()

    def check(inp: RecordClockEvent) -> None:
        rules.check_clock_event(case.state, inp, clock(), case.clock)

    with refused("kind: the receipt is recorded at intake only"):
        check(RecordClockEvent(actor=OFFICER, kind=ClockEventKind.RECEIVED))
    with refused("actor: hate.contact is not a foi_officer and cannot record clock events"):
        check(RecordClockEvent(actor=HATE, kind=ClockEventKind.CLARIFICATION_REQUESTED))
    with refused("fee_received: no fees notice was given before the fee arrived"):
        check(RecordClockEvent(actor=OFFICER, kind=ClockEventKind.FEE_RECEIVED))
    with refused("extension: say which extension"):
        check(RecordClockEvent(actor=OFFICER, kind=ClockEventKind.EXTENSION))
    public_interest = RecordClockEvent(
        actor=OFFICER,
        kind=ClockEventKind.EXTENSION,
        extension=ExtensionKind.PUBLIC_INTEREST,
        working_days=10,
    )
    with refused(
        "extension: a public interest extension (s10(3)) needs a qualified exemption under "
        "consideration, and none has been claimed"
    ):
        check(public_interest)
    future = RecordClockEvent(
        actor=OFFICER, kind=ClockEventKind.CLARIFICATION_REQUESTED, at=clock() + timedelta(days=1)
    )
    with pytest.raises(Rejected) as caught:
        check(future)
    assert caught.value.message.startswith("clarification_requested: ")
    assert caught.value.message.endswith(" is in the future")
    route_file(case)
    answer_file(case, range(4, 5))  # s31: qualified
    check(public_interest)


# ---- cost, response, issue, close --------------------------------------------------------------


def test_cost_approve_issue_and_close() -> None:
    case = route_file(case_file()[0])
    state = case.state
    with refused("status: the case is in_progress, not under cost review"):
        rules.check_cost(state, CostDecision(actor=OFFICER, refuse=False))
    cost_review = state.model_copy(update={"status": CaseStatus.COST_REVIEW})
    with refused("advice: a s12 refusal must advise how the request could be narrowed (s16)"):
        rules.check_cost(cost_review, CostDecision(actor=OFFICER, refuse=True))
    with refused("status: the case is in_progress; there is no composed response to approve"):
        rules.check_approve(state, ApproveResponse(actor=OFFICER))
    with refused("status: the case is in_progress; approve the response before issuing it"):
        rules.check_issue(state, IssueResponse(actor=OFFICER))
    with refused("reason: say why the case is closed"):
        rules.check_close(state, CloseCase(actor=OFFICER, reason=" "))
    with refused("actor: vawg.contact is not a foi_officer and cannot close cases"):
        rules.check_close(state, CloseCase(actor=VAWG, reason="withdrawn"))


def test_an_edited_refusal_notice_keeps_the_review_and_complaint_rights() -> None:
    case = answer_file(route_file(case_file()[0]))
    for actor, section in ((SENIOR, "31"), (DPO, "40")):
        case.decide_sign_off(SignOffDecision(actor=actor, section=section, approve=True))
    assert case.state.status == CaseStatus.RESPONSE_REVIEW
    with refused("text: the response cannot be empty"):
        rules.check_approve(case.state, ApproveResponse(actor=OFFICER, text=" "))
    with refused(
        "text: a refusal notice must set out the internal review procedure and the right to "
        "complain to the Information Commissioner (s17(7))"
    ):
        rules.check_approve(case.state, ApproveResponse(actor=OFFICER, text="We refuse."))
    rules.check_approve(
        case.state,
        ApproveResponse(
            actor=OFFICER, text="We refuse. Ask for an internal review, then the Commissioner."
        ),
    )
