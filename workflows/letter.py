"""The response letter: per-question outcomes and, where anything is withheld, the refusal notice.

Pure and deterministic (it runs inside the workflow). s17(1): say that information is withheld,
name the exemption and say why it applies; s17(3): public interest reasons for qualified
exemptions; s17(5): a notice for s12/s14 refusals; s17(7): internal review procedure and the
right to complain to the Information Commissioner under s50.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from domain.case import AnswerKind, ExemptionClaim, Question, Task
from statute.exemptions import Outcome, get_exemption


@dataclass(frozen=True)
class _Law:
    act: str
    refusal: str
    regulator: str
    complaint: str


_LAW = {
    "foia": _Law(
        "the Freedom of Information Act 2000 (the Act)",
        "Section 17 of the Freedom of Information Act 2000 (the Act)",
        "the Information Commissioner",
        "section 50 of the Act",
    ),
    "eir": _Law(
        "the Environmental Information Regulations 2004 (the Regulations)",
        "Regulation 14 of the Environmental Information Regulations 2004",
        "the Information Commissioner",
        "section 50 of the Freedom of Information Act 2000, as applied by regulation 18",
    ),
    "foisa": _Law(
        "the Freedom of Information (Scotland) Act 2002 (the Act)",
        "Section 16 of the Freedom of Information (Scotland) Act 2002 (the Act)",
        "the Scottish Information Commissioner",
        "section 47 of the Act",
    ),
}

LIKELIHOOD_WORDS = {"would": "would", "would_be_likely_to": "would be likely to"}


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


def _claims_by_section(tasks: Sequence[Task]) -> dict[str, list[tuple[int, ExemptionClaim]]]:
    grouped: dict[str, list[tuple[int, ExemptionClaim]]] = {}
    for task in sorted(tasks, key=lambda t: t.question):
        for claim in task.answer.claims if task.answer else []:
            grouped.setdefault(get_exemption(claim.section).section, []).append(
                (task.question, claim)
            )
    return grouped


def _review_paragraph(law: _Law, authority: str) -> list[str]:
    return [
        "Complaint rights",
        f"If you are dissatisfied with this response you may ask {authority} for an internal "
        "review. Please write within 40 working days of the date of this response, quoting the "
        "reference above; the review will be carried out by someone not involved in the original "
        "decision, and you should normally receive its outcome within 20 working days.",
        f"If you remain dissatisfied after the internal review, you have the right to complain "
        f"to {law.regulator} under {law.complaint}.",
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
    law = _LAW.get(regime, _LAW["foia"])
    outcome = classify(tasks, cost_refused=cost_advice is not None)
    lines = [
        f"Freedom of information request reference no: {reference}",
        "I note you seek access to the following information:",
        *(f"{q.number}. {q.text}" for q in questions),
        "",
    ]
    if cost_advice is not None:
        lines += [
            f"This response serves as a Refusal Notice under {law.refusal}.",
            "Section 12 - Cost of compliance exceeds the appropriate limit",
            f"We estimate that complying with your request would take {cost_hours:g} hours, "
            f"which exceeds the appropriate limit of {cost_limit_hours:g} hours set by the Fees "
            "Regulations. We are therefore not obliged to comply with it.",
            "Advice and assistance (section 16)",
            cost_advice,
            "",
            *_review_paragraph(law, authority),
        ]
        return "\n".join(lines), outcome

    grouped = _claims_by_section(tasks)
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
            f"{law.refusal} by virtue of the following exemptions:"
        )
        for section, claims in grouped.items():
            subsections = sorted({c.subsections for _, c in claims if c.subsections})
            lines.append(
                f"Section {section}{''.join(subsections)} – {get_exemption(section).title}"
            )
        lines += ["", "Reason for decision"]
        for section, claims in grouped.items():
            lines += _exemption_reasons(section, claims)
    else:
        lines.append("I have today decided to respond to your request as follows.")

    lines += ["", "Disclosure"]
    for q in questions:
        task = next((t for t in tasks if t.question == q.number), None)
        lines += _question_paragraph(q, task)
    lines += ["", *_review_paragraph(law, authority)]
    return "\n".join(lines), outcome


def _exemption_reasons(section: str, claims: list[tuple[int, ExemptionClaim]]) -> list[str]:
    exemption = get_exemption(section)
    numbers = ", ".join(f"Q{n}" for n in sorted({n for n, _ in claims}))
    out = [f"Section {section} – {exemption.title} (applied to {numbers})"]
    # One paragraph per distinct reasoning, naming every question it covers.
    reasoning: dict[tuple[str, str, str, str, bool], list[int]] = {}
    for number, claim in claims:
        key = (
            claim.applies_to,
            claim.reason,
            claim.prejudice or "",
            claim.likelihood or "",
            claim.ncnd,
        )
        reasoning.setdefault(key, []).append(number)
    for (applies_to, reason, prejudice, likelihood, ncnd), questions in reasoning.items():
        covered = ", ".join(f"Q{n}" for n in questions)
        if applies_to:
            out.append(f"{covered}: withheld – {applies_to}.")
        if reason:
            out.append(reason)
        if prejudice and likelihood:
            out.append(f"Disclosure {LIKELIHOOD_WORDS[likelihood]} prejudice {prejudice}.")
        if ncnd:
            out.append(
                f"We neither confirm nor deny whether further information is held, as section "
                f"{exemption.ncnd or exemption.section} allows."
            )
    if exemption.qualified:
        favour = sorted({f for _, c in claims for f in c.public_interest_for})
        against = sorted({f for _, c in claims for f in c.public_interest_against})
        out.append(
            f"Public interest test: section {section} is a qualified exemption, so we have "
            "weighed the public interest."
        )
        out += [f"Factors favouring disclosure: {f}" for f in favour]
        out += [f"Factors favouring non-disclosure: {f}" for f in against]
        out.append(
            "Having weighed these factors, the public interest in maintaining the exemption "
            "outweighs the public interest in disclosure."
        )
    else:
        out.append(f"Section {section} is an absolute exemption: no public interest test applies.")
    return out


def _question_paragraph(question: Question, task: Task | None) -> list[str]:
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
        body.append(f"Information withheld under {claim.citation} (see above).")
    if answer.note:
        body.append(answer.note)
    return [head, *body]
