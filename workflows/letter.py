"""The response letter: per-question outcomes and, where anything is withheld, the refusal notice.

Pure and deterministic (it runs inside the workflow). FOIA s17(1): say that information is
withheld, name the exemption and say why it applies; s17(3): public interest reasons for
qualified exemptions; s17(5): a notice for s12/s14 refusals (s17(6): none needed for a further
vexatious request); s17(7): internal review procedure and the right to complain to the
Information Commissioner under s50. The EIR refuse under reg 14 and cite regulations (every
exception carries the public interest test, reg 12(1)(b), with the presumption in favour of
disclosure, reg 12(2)); FOISA refuses under s16, with review under s20 and the Scottish
Information Commissioner under s47.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from domain.case import AnswerKind, ExemptionClaim, Question, Task, VexatiousRefusal
from statute.exemptions import EIR, FOIA, FOISA, Exemption, Outcome, get_exemption, review_route_for


@dataclass(frozen=True)
class _Law:
    request: str  # the letter's first words
    act: str
    refusal: str
    provisions: str  # what the refusal is "by virtue of"
    review: str  # "an internal review", asked for "from {authority}"
    after_review: str
    regulator: str
    complaint: str
    cost_heading: str
    cost_words: str  # why the estimate means no duty to comply
    advice: str  # the duty to advise and assist
    vexatious_notice: str  # the notice a s14 refusal takes
    no_further_notice: str  # when no notice is needed for a further s14 refusal


_LAW = {
    FOIA: _Law(
        "Freedom of information request",
        "the Freedom of Information Act 2000 (the Act)",
        "Section 17 of the Freedom of Information Act 2000 (the Act)",
        "exemptions",
        "an internal review",
        "the internal review",
        "the Information Commissioner",
        "section 50 of the Act",
        "Section 12 - Cost of compliance exceeds the appropriate limit",
        "set by the Fees Regulations. We are therefore not obliged to comply with it.",
        "section 16",
        "Section 17(5) of the Freedom of Information Act 2000 (the Act)",
        "section 17(6) of the Act",
    ),
    EIR: _Law(
        "Environmental information request",
        "the Environmental Information Regulations 2004 (the Regulations)",
        "Regulation 14 of the Environmental Information Regulations 2004",
        "exceptions",
        "reconsideration of its decision under regulation 11",
        "the reconsideration",
        "the Information Commissioner",
        "section 50 of the Freedom of Information Act 2000, as applied by regulation 18",
        "Regulation 12(4)(b) - Manifestly unreasonable request (cost of compliance)",
        "which we use, as the Information Commissioner advises, as a guide to when the cost of "
        "compliance makes a request manifestly unreasonable (regulation 12(4)(b)). The "
        "exception is subject to the public interest test (regulation 12(1)(b)): the public "
        "interest in protecting the authority's resources from a disproportionate burden "
        "outweighs the public interest in disclosure, even with the presumption in favour of "
        "disclosure (regulation 12(2)).",
        "regulation 9",
        "Regulation 14 of the Environmental Information Regulations 2004",
        "regulation 14 of the Regulations",
    ),
    FOISA: _Law(
        "Freedom of information request",
        "the Freedom of Information (Scotland) Act 2002 (the Act)",
        "Section 16 of the Freedom of Information (Scotland) Act 2002 (the Act)",
        "exemptions",
        "a review under section 20 of the Act",
        "the review",
        "the Scottish Information Commissioner",
        "section 47 of the Act",
        "Section 12 of FOISA - Excessive cost of compliance",
        "set by the Fees Regulations (section 12 of the Act). We are therefore not obliged to "
        "comply with it.",
        "section 15",
        "Section 16(5) of the Freedom of Information (Scotland) Act 2002 (the Act)",
        "section 16(5) of the Act",
    ),
}

LIKELIHOOD_WORDS = {"would": "would", "would_be_likely_to": "would be likely to"}

VEXATIOUS_WORDS = {
    "14(1)": (
        "Vexatious requests",
        "{act} does not oblige a public authority to comply with a request for information if "
        "the request is vexatious.",
    ),
    "14(2)": (
        "Repeated requests",
        "{act} does not oblige a public authority which has complied with a request for "
        "information from a person to comply with a subsequent identical or substantially "
        "similar request from that person unless a reasonable interval has elapsed.",
    ),
}


def law_for(regime: str) -> _Law:
    return _LAW.get(regime, _LAW[FOIA])


def classify(tasks: Sequence[Task], cost_refused: bool = False) -> Outcome:
    """The Cabinet Office outcome category of a settled case."""
    if cost_refused:
        return Outcome.REFUSED_COST
    answers = [t.answer for t in tasks if t.answer is not None]
    withheld = any(a.claims for a in answers)
    disclosed = any(
        a.kind == AnswerKind.DISCLOSED or (a.kind == AnswerKind.PARTLY_HELD and a.information)
        for a in answers
    )
    if answers and all(c.ncnd for a in answers for c in a.claims) and withheld and not disclosed:
        return Outcome.NCND
    if withheld:
        return Outcome.PARTIALLY_WITHHELD if disclosed else Outcome.WITHHELD_IN_FULL
    if disclosed:
        return Outcome.GRANTED_IN_FULL
    return Outcome.NOT_HELD


def _claims_by_section(
    tasks: Sequence[Task], regime: str
) -> dict[str, list[tuple[int, ExemptionClaim]]]:
    grouped: dict[str, list[tuple[int, ExemptionClaim]]] = {}
    for task in sorted(tasks, key=lambda t: t.question):
        for claim in task.answer.claims if task.answer else []:
            grouped.setdefault(get_exemption(claim.section, regime).section, []).append(
                (task.question, claim)
            )
    return grouped


def _review_paragraph(law: _Law, regime: str, authority: str) -> list[str]:
    route = review_route_for(regime if regime in _LAW else FOIA)
    return [
        "Complaint rights",
        f"If you are dissatisfied with this response you may ask {authority} for {law.review}. "
        f"Please write within {route.request_within_working_days} working days of the date of "
        "this response, quoting the reference above; the review will be carried out by someone "
        "not involved in the original decision, and you should normally receive its outcome "
        f"within {route.decision_working_days} working days.",
        f"If you remain dissatisfied after {law.after_review}, you have the right to complain "
        f"to {law.regulator} under {law.complaint}.",
    ]


def _heading(law: _Law, questions: Sequence[Question], reference: str) -> list[str]:
    return [
        f"{law.request} reference no: {reference}",
        "I note you seek access to the following information:",
        *(f"{q.number}. {q.text}" for q in questions),
        "",
    ]


def compose_response(
    reference: str,
    regime: str,
    questions: Sequence[Question],
    tasks: Sequence[Task],
    authority: str,
    cost_advice: str | None = None,
    cost_hours: float = 0.0,
    cost_limit_hours: float = 0.0,
) -> tuple[str, Outcome]:
    law = law_for(regime)
    regime = regime if regime in _LAW else FOIA
    outcome = classify(tasks, cost_refused=cost_advice is not None)
    lines = _heading(law, questions, reference)
    if cost_advice is not None:
        lines += [
            f"This response serves as a Refusal Notice under {law.refusal}.",
            law.cost_heading,
            f"We estimate that complying with your request would take {cost_hours:g} hours, "
            f"which exceeds the appropriate limit of {cost_limit_hours:g} hours {law.cost_words}",
            f"Advice and assistance ({law.advice})",
            cost_advice,
            "",
            *_review_paragraph(law, regime, authority),
        ]
        return "\n".join(lines), outcome

    grouped = _claims_by_section(tasks, regime)
    published = {
        t.question: t.answer.published_at.strip()
        for t in tasks
        if t.answer and t.answer.published_at.strip()
    }
    if grouped:
        opening = (
            "I have today decided to disclose some of the requested information. Some "
            if outcome == Outcome.PARTIALLY_WITHHELD
            else "I have today decided that the information held is "
        )
        if outcome == Outcome.PARTIALLY_WITHHELD:
            opening += "information has been withheld as it is exempt from disclosure"
        else:
            opening += "exempt from disclosure"
        lines.append(
            f"{opening} and therefore this response serves as a Refusal Notice under "
            f"{law.refusal} by virtue of the following {law.provisions}:"
        )
        for section, claims in grouped.items():
            exemption = get_exemption(section, regime)
            subsections = sorted({c.subsections for _, c in claims if c.subsections})
            lines.append(f"{exemption.cite(''.join(subsections))} – {exemption.title}")
        lines += ["", "Reason for decision"]
        for section, claims in grouped.items():
            lines += _exemption_reasons(get_exemption(section, regime), claims, published)
    else:
        lines.append("I have today decided to respond to your request as follows.")

    lines += ["", "Disclosure"]
    for q in questions:
        task = next((t for t in tasks if t.question == q.number), None)
        lines += _question_paragraph(q, task, regime)
    lines += ["", *_review_paragraph(law, regime, authority)]
    return "\n".join(lines), outcome


def compose_vexatious(
    reference: str,
    regime: str,
    questions: Sequence[Question],
    authority: str,
    refusal: VexatiousRefusal,
) -> tuple[str, Outcome]:
    """The whole request refused under s14: the s17(5) notice (FOISA s16(5)) with s16 advice,
    or, relying on an earlier notice, the s17(6) record that no further notice is given."""
    law = law_for(regime)
    regime = regime if regime in _LAW else FOIA
    limb = refusal.limb.value
    title, words = VEXATIOUS_WORDS[limb]
    provision = f"Section {limb}" if regime == FOIA else f"Section {limb} of FOISA"
    lines = _heading(law, questions, reference)
    if refusal.previous_notice:
        lines += [
            f"No further refusal notice is given for this request ({law.no_further_notice}).",
            f"{provision} - {title}",
            f"We rely on section {limb} of the Act. A notice stating that we rely on section 14 "
            f"was given for your earlier request {refusal.previous_notice}, and it would in all "
            "the circumstances be unreasonable to expect us to give another.",
            refusal.reason,
        ]
    else:
        lines += [
            f"This response serves as a Refusal Notice under {law.vexatious_notice}.",
            f"{provision} - {title}",
            words.format(act=f"Section {limb} of the Act"),
            refusal.reason,
        ]
    lines += [
        f"Advice and assistance ({law.advice})",
        refusal.advice
        or "If you would like information on a different matter, or in a different form, we "
        "will consider a new request.",
        "",
        *_review_paragraph(law, regime, authority),
    ]
    return "\n".join(lines), Outcome.REFUSED_VEXATIOUS


def _exemption_reasons(
    exemption: Exemption,
    claims: list[tuple[int, ExemptionClaim]],
    published: Mapping[int, str],
) -> list[str]:
    numbers = ", ".join(f"Q{n}" for n in sorted({n for n, _ in claims}))
    out = [f"{exemption.label} (applied to {numbers})"]
    # One paragraph per distinct reasoning, naming every question it covers.
    reasoning: dict[tuple[str, str, str, str, bool], list[tuple[int, ExemptionClaim]]] = {}
    for number, claim in claims:
        key = (
            claim.applies_to,
            claim.reason,
            claim.prejudice or "",
            claim.likelihood or "",
            claim.ncnd,
        )
        reasoning.setdefault(key, []).append((number, claim))
    for (applies_to, reason, prejudice, likelihood, ncnd), covering in reasoning.items():
        covered = ", ".join(f"Q{n}" for n, _ in covering)
        if applies_to:
            out.append(f"{covered}: withheld – {applies_to}.")
        if reason:
            out.append(reason)
        if prejudice and likelihood:
            harm = exemption.harm_words(covering[0][1].subsections)
            out.append(f"Disclosure {LIKELIHOOD_WORDS[likelihood]} {harm} {prejudice}.")
        if ncnd:
            out.append(
                "We neither confirm nor deny whether further information is held, as "
                f"{exemption.cite_ncnd()} allows."
            )
        if exemption.accessible_elsewhere:
            for number, _ in covering:
                if number in published:
                    out.append(
                        f"Q{number}: the information is reasonably accessible to you by other "
                        f"means: it is published at {published[number]}."
                    )
    out += _public_interest(exemption, [c for _, c in claims])
    return out


def _public_interest(exemption: Exemption, claims: Sequence[ExemptionClaim]) -> list[str]:
    named = exemption.named
    regime = exemption.regime
    if not any(exemption.qualified_for(c.subsections) for c in claims):
        if regime == EIR:
            return [
                f"{_capital(named)}: disclosure would contravene the data protection "
                "principles (the first condition, regulation 13(2A)), so no public interest "
                "test applies."
            ]
        if regime == FOISA:
            return [
                f"{_capital(named)} is an absolute exemption (section 2(2) of FOISA): no "
                "public interest test applies."
            ]
        return [f"{_capital(named)} is an absolute exemption: no public interest test applies."]
    favour = sorted({f for c in claims for f in c.public_interest_for})
    against = sorted({f for c in claims for f in c.public_interest_against})
    if regime == EIR:
        out = [
            f"Public interest test: {named} is subject to the public interest test (regulation "
            "12(1)(b)), and we have applied a presumption in favour of disclosure (regulation "
            "12(2))."
        ]
        balance = (
            "Having weighed these factors, the public interest in maintaining the exception "
            "outweighs the public interest in disclosure, even with the presumption in its "
            "favour."
        )
    elif regime == FOISA:
        out = [
            f"Public interest test: {named} is not an absolute exemption, so we have weighed "
            "the public interest (section 2(1)(b) of FOISA)."
        ]
        balance = (
            "Having weighed these factors, the public interest in disclosing the information is "
            "outweighed by that in maintaining the exemption."
        )
    else:
        out = [
            f"Public interest test: {named} is a qualified exemption, so we have weighed the "
            "public interest."
        ]
        balance = (
            "Having weighed these factors, the public interest in maintaining the exemption "
            "outweighs the public interest in disclosure."
        )
    out += [f"Factors favouring disclosure: {f}" for f in favour]
    out += [f"Factors favouring non-disclosure: {f}" for f in against]
    out.append(balance)
    return out


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _question_paragraph(question: Question, task: Task | None, regime: str) -> list[str]:
    head = f"Q{question.number} - {question.text}"
    answer = task.answer if task else None
    if answer is None:
        return [head, "No answer recorded."]
    body: list[str] = []
    if answer.information:
        body.append(answer.information)
    if answer.attachments:
        body.append("Attached: " + ", ".join(answer.attachments))
    if answer.kind == AnswerKind.NOT_HELD:
        body.append("The response is: No information held.")
    elif answer.kind == AnswerKind.PARTLY_HELD:
        body.append("Some of the information requested is not held.")
    if answer.kind == AnswerKind.TRANSFER and answer.transfer_to:
        body.append(
            f"This information is held by {answer.transfer_to}; your request has been "
            "transferred to them."
        )
    for claim in answer.claims:
        cited = get_exemption(claim.section, regime).cite(claim.subsections)
        body.append(f"Information withheld under {cited} (see above).")
    if answer.published_at.strip():
        body.append(f"Where to find it: {answer.published_at.strip()}")
    if answer.note:
        body.append(answer.note)
    return [head, *body]
