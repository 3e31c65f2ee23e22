"""The response letter as a document: plain text, HTML and PDF, rendered from the case.

The workflow composes the letter's text (``workflows.letter``, deterministic, inside the
workflow). Here the same decisions are laid out as the letter an authority sends: its letterhead,
the request, the decision on each question, the refusal notice where anything is withheld
(FOIA s17(1) and (3); s17(5) for s12 and s14), and the requester's rights (s17(7)) with the date
by which a review must be asked for. Outside workflow code: the templates are files an authority
may replace (``Settings.templates_dir``), and WeasyPrint turns the HTML into PDF.

Who reads the letter matters: only FOI officers and managers see who asked. Everyone else gets
the letter without the address block and with the requester's identity taken out of any text
an officer typed (``domain.redaction``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, select_autoescape
from sqlalchemy.orm import Session

from domain.case import Answer, AnswerKind, CaseView, ExemptionClaim, Question, Requester, Task
from domain.redaction import redact_requester
from services.cases import as_seen_by, case_view
from services.context import ServiceContext
from services.db import calendar_versions, in_store
from services.errors import Conflict
from statute import calendar_for, local_date
from statute.calendar import CalendarData, CalendarError
from statute.exemptions import OUTCOME_LABELS, Outcome, get_exemption
from statute.regimes import FOISA, REVIEW_WINDOW, Regime
from store import refdata
from store.schema import AuthoritySettings

LETTERS = "letters"
LIKELIHOOD_WORDS = {"would": "would", "would_be_likely_to": "would be likely to"}


# --- formats ---------------------------------------------------------------------------------


class LetterFormat(StrEnum):
    TEXT = "text"
    HTML = "html"
    PDF = "pdf"


MEDIA_TYPES: dict[LetterFormat, str] = {
    LetterFormat.TEXT: "text/plain",
    LetterFormat.HTML: "text/html",
    LetterFormat.PDF: "application/pdf",
}
_BY_MEDIA_TYPE = {media: fmt for fmt, media in MEDIA_TYPES.items()}


def choose_format(requested: LetterFormat | None, accept: str | None) -> LetterFormat:
    """``?format=`` when given, else the ``Accept`` header's most preferred type we make, else
    plain text (the letter's long-standing form, and what ``*/*`` gets)."""
    if requested is not None:
        return requested
    best: tuple[float, int, LetterFormat] | None = None
    for position, item in enumerate((accept or "").split(",")):
        media, *params = (p.strip() for p in item.split(";"))
        fmt = _BY_MEDIA_TYPE.get(media.lower())
        if fmt is None:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality <= 0:
            continue
        # Highest quality first; the earlier-listed type among equals.
        candidate = (-quality, position, fmt)
        if best is None or candidate < best:
            best = candidate
    return LetterFormat.TEXT if best is None else best[2]


@dataclass(frozen=True)
class Document:
    content: bytes
    media_type: str
    filename: str


# --- the law each regime's letter cites ------------------------------------------------------


@dataclass(frozen=True)
class Law:
    request_kind: str
    act: str  # in full, once
    short: str  # "the Act" thereafter
    not_held: str  # the provision under which "not held" is the answer
    refusal: str  # the refusal notice's own provision
    refusal_full: str  # the same, naming the Act in full (the notice's opening sentence)
    cost_refusal: str
    cost_refusal_full: str
    cost: str
    vexatious: str
    advice: str  # the duty to advise and assist
    review: str
    regulator: str
    regulator_address: tuple[str, ...]
    complaint: str


_ICO = (
    "Information Commissioner's Office",
    "Wycliffe House, Water Lane",
    "Wilmslow, Cheshire SK9 5AF",
    "ico.org.uk",
)

LAWS: dict[str, Law] = {
    "foia": Law(
        request_kind="Freedom of information request",
        act="the Freedom of Information Act 2000",
        short="the Act",
        not_held="section 1(1)(a) of the Act",
        refusal="section 17 of the Act",
        refusal_full="Section 17 of the Freedom of Information Act 2000 (the Act)",
        cost_refusal="section 17(5) of the Act",
        cost_refusal_full="Section 17(5) of the Freedom of Information Act 2000 (the Act)",
        cost="section 12",
        vexatious="section 14",
        advice="section 16",
        review="an internal review",
        regulator="the Information Commissioner",
        regulator_address=_ICO,
        complaint="section 50 of the Act",
    ),
    "eir": Law(
        request_kind="Environmental information request",
        act="the Environmental Information Regulations 2004",
        short="the Regulations",
        not_held="regulation 12(4)(a) of the Regulations",
        refusal="regulation 14 of the Regulations",
        refusal_full="Regulation 14 of the Environmental Information Regulations 2004",
        cost_refusal="regulation 14 of the Regulations",
        cost_refusal_full="Regulation 14 of the Environmental Information Regulations 2004",
        cost="regulation 12(4)(b) (manifestly unreasonable: cost)",
        vexatious="regulation 12(4)(b) (manifestly unreasonable)",
        advice="regulation 9",
        review="reconsideration under regulation 11",
        regulator="the Information Commissioner",
        regulator_address=_ICO,
        complaint="section 50 of the Freedom of Information Act 2000, as applied by regulation 18",
    ),
    "foisa": Law(
        request_kind="Freedom of information request",
        act="the Freedom of Information (Scotland) Act 2002",
        short="the Act",
        not_held="section 17 of the Act",
        refusal="section 16 of the Act",
        refusal_full="Section 16 of the Freedom of Information (Scotland) Act 2002 (the Act)",
        cost_refusal="section 16(4) of the Act",
        cost_refusal_full="Section 16(4) of the Freedom of Information (Scotland) Act 2002",
        cost="section 12",
        vexatious="section 14",
        advice="section 15",
        review="a review under section 20",
        regulator="the Scottish Information Commissioner",
        regulator_address=(
            "Scottish Information Commissioner",
            "Kinburn Castle, Doubledykes Road",
            "St Andrews, Fife KY16 9DS",
            "foi.scot",
        ),
        complaint="section 47 of the Act",
    ),
}


def review_window(regime: str) -> Regime:
    """The requester's window to ask for a review, counted on the request regime's working days.

    40 working days everywhere (s45 Code para 5.3, EIR reg 11(2), FOISA s20(5)); under FOISA the
    days are Scottish working days (s73).
    """
    if regime == FOISA.code:
        return dataclasses.replace(
            REVIEW_WINDOW, divisions=FOISA.divisions, fixed_days=FOISA.fixed_days
        )
    return REVIEW_WINDOW


def review_deadline(regime: str, response_date: date, calendar: CalendarData) -> date:
    """The last day to ask for a review of a response sent on ``response_date``."""
    window = review_window(regime)
    assert window.working_days is not None, "the review window counts working days"
    return calendar_for(window, calendar).add_working_days(response_date, window.working_days)


# --- what the templates are given ------------------------------------------------------------


@dataclass(frozen=True)
class Letterhead:
    name: str
    address_lines: list[str]
    email: str
    telephone: str
    website: str
    signatory: str


@dataclass(frozen=True)
class Reasoning:
    """One distinct line of reasoning for an exemption, with the questions it covers."""

    questions: list[int]
    subsections: str
    applies_to: str
    reason: str
    prejudice: str
    likelihood: str  # "would" / "would be likely to"; empty when not prejudice-based
    ncnd: bool


@dataclass(frozen=True)
class ExemptionNotice:
    section: str
    title: str
    citation: str  # "Section 31(1)(a)(b)"
    questions: list[int]
    qualified: bool
    prejudice_based: bool
    ncnd_limb: str  # "31(3)", or empty
    reasonings: list[Reasoning]
    public_interest_for: list[str]
    public_interest_against: list[str]

    @property
    def ncnd(self) -> bool:
        return any(r.ncnd for r in self.reasonings)


@dataclass(frozen=True)
class ClaimLine:
    citation: str
    title: str
    applies_to: str
    ncnd: bool
    ncnd_limb: str


@dataclass(frozen=True)
class QuestionGroup:
    """Consecutive questions with the same answer, answered once (as authorities write it)."""

    questions: list[Question]
    kind: AnswerKind | None
    decision: str
    information: str
    attachments: list[str]
    searches: str
    note: str
    transfer_to: str
    claims: list[ClaimLine]
    several_exemptions: bool  # different exemptions cover different parts

    @property
    def numbers(self) -> list[int]:
        return [q.number for q in self.questions]


@dataclass(frozen=True)
class CostRefusal:
    hours: float
    limit_hours: float
    advice: str


@dataclass(frozen=True)
class Letter:
    reference: str
    law: Law
    authority: Letterhead
    dated_on: date
    date_text: str
    received_text: str
    issued: bool
    recipient_lines: list[str]  # empty: no address block (the reader may not know who asked)
    salutation: str
    questions: list[Question]
    outcome: Outcome
    outcome_label: str
    refusal: str  # "", "exemptions", "cost" or "vexatious"
    exemptions: list[ExemptionNotice]
    groups: list[QuestionGroup]
    attachments: list[str]
    cost: CostRefusal | None
    advice: str  # s16 advice for a s14 refusal
    vexatious_subsection: str  # "14(1)" or "14(2)"
    review_by: date | None
    review_by_text: str
    review_working_days: int
    edited_paragraphs: list[str] = field(default_factory=list)

    @property
    def edited(self) -> bool:
        return bool(self.edited_paragraphs)

    @property
    def withheld(self) -> bool:
        return bool(self.refusal)


def long_date(day: date) -> str:
    """'5 March 2026': the form letters use."""
    return f"{day.day} {day.strftime('%B %Y')}"


def _questions_words(numbers: Sequence[int]) -> str:
    """'question 4', 'questions 1, 2 and 3'."""
    if len(numbers) == 1:
        return f"question {numbers[0]}"
    head = ", ".join(str(n) for n in numbers[:-1])
    return f"questions {head} and {numbers[-1]}"


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i.strip()))


def _letterhead(authority: AuthoritySettings) -> Letterhead:
    name = authority.name or "The authority"
    return Letterhead(
        name=name,
        address_lines=[line.strip() for line in authority.address.splitlines() if line.strip()],
        email=authority.email,
        telephone=authority.telephone,
        website=authority.website,
        signatory=authority.letter_signatory or name,
    )


def _exemption_notices(tasks: Sequence[Task], redact: Requester | None) -> list[ExemptionNotice]:
    grouped: dict[str, list[tuple[int, ExemptionClaim]]] = {}
    for task in sorted(tasks, key=lambda t: t.question):
        for claim in task.answer.claims if task.answer else []:
            grouped.setdefault(get_exemption(claim.section).section, []).append(
                (task.question, claim)
            )
    notices: list[ExemptionNotice] = []
    for section, claims in grouped.items():
        exemption = get_exemption(section)
        reasonings: dict[tuple[str, str, str, str, str, bool], list[int]] = {}
        for number, claim in claims:
            key = (
                claim.subsections,
                redact_requester(claim.applies_to, redact),
                redact_requester(claim.reason, redact),
                redact_requester(claim.prejudice or "", redact),
                LIKELIHOOD_WORDS.get(claim.likelihood or "", ""),
                claim.ncnd,
            )
            reasonings.setdefault(key, []).append(number)
        subsections = _unique(c.subsections for _, c in claims)
        notices.append(
            ExemptionNotice(
                section=exemption.section,
                title=exemption.title,
                citation=f"Section {exemption.section}{''.join(sorted(subsections))}",
                questions=sorted({n for n, _ in claims}),
                qualified=exemption.qualified,
                prejudice_based=exemption.prejudice_based,
                ncnd_limb=exemption.ncnd or "",
                reasonings=[
                    Reasoning(
                        questions=numbers,
                        subsections=subs,
                        applies_to=applies_to,
                        reason=reason,
                        prejudice=prejudice,
                        likelihood=likelihood,
                        ncnd=ncnd,
                    )
                    for (subs, applies_to, reason, prejudice, likelihood, ncnd), numbers in (
                        reasonings.items()
                    )
                ],
                public_interest_for=_unique(
                    redact_requester(f, redact) for _, c in claims for f in c.public_interest_for
                ),
                public_interest_against=_unique(
                    redact_requester(f, redact)
                    for _, c in claims
                    for f in c.public_interest_against
                ),
            )
        )
    return notices


def _decision(answer: Answer | None) -> str:
    if answer is None:
        return "No answer recorded"
    withheld = bool(answer.claims)
    ncnd = withheld and all(c.ncnd for c in answer.claims)
    match answer.kind:
        case AnswerKind.NOT_HELD:
            return "Information not held"
        case AnswerKind.DISCLOSED:
            return "Information disclosed in part" if withheld else "Information disclosed"
        case AnswerKind.PARTLY_HELD:
            if withheld:
                return "Partly held: information not held in part; the rest withheld (exempt)"
            return "Partly held: the information held is disclosed"
        case AnswerKind.EXEMPT:
            return "Neither confirmed nor denied" if ncnd else "Information withheld (exempt)"
        case AnswerKind.COST:
            return "Refused: cost of compliance"
        case AnswerKind.TRANSFER:
            return "Not held: request transferred"
    return str(answer.kind)


def _groups(
    questions: Sequence[Question], tasks: Sequence[Task], redact: Requester | None
) -> list[QuestionGroup]:
    def r(text: str) -> str:
        return redact_requester(text, redact)

    by_question = {t.question: t for t in tasks}
    groups: list[QuestionGroup] = []
    previous: Answer | None = None
    for question in questions:
        task = by_question.get(question.number)
        answer = task.answer if task else None
        asked = Question(number=question.number, text=r(question.text))
        if groups and answer is not None and answer == previous:
            groups[-1].questions.append(asked)
            continue
        previous = answer
        claims = answer.claims if answer else []
        groups.append(
            QuestionGroup(
                questions=[asked],
                kind=answer.kind if answer else None,
                decision=_decision(answer),
                information=r(answer.information) if answer else "",
                attachments=[r(a) for a in answer.attachments] if answer else [],
                searches=r(answer.searches) if answer else "",
                note=r(answer.note) if answer else "",
                transfer_to=r(answer.transfer_to or "") if answer else "",
                claims=[
                    ClaimLine(
                        citation=c.citation,
                        title=get_exemption(c.section).title,
                        applies_to=r(c.applies_to),
                        ncnd=c.ncnd,
                        ncnd_limb=get_exemption(c.section).ncnd or "",
                    )
                    for c in claims
                ],
                several_exemptions=len({get_exemption(c.section).section for c in claims}) > 1,
            )
        )
    return groups


# The workflow keeps the s12 figures and the s16 advice only in the text it composed
# (``workflows.letter.compose_response``), so they are read back from there.
_LIMIT = re.compile(r"appropriate limit of ([0-9.]+) hours")
_ADVICE = re.compile(
    r"^Advice and assistance \(section 16\)\n(?P<advice>.*?)\n(?:\n|Complaint rights)",
    re.MULTILINE | re.DOTALL,
)


def _cost_refusal(view: CaseView, authority: AuthoritySettings) -> CostRefusal:
    text = view.response.text if view.response else ""
    limit = _LIMIT.search(text)
    return CostRefusal(
        hours=view.cost_hours_total,
        limit_hours=float(limit.group(1)) if limit else authority.effective_cost_limit_hours,
        advice=_advice(text),
    )


def _advice(text: str) -> str:
    found = _ADVICE.search(text)
    return found.group("advice").strip() if found else ""


def _refusal(view: CaseView, exemptions: Sequence[ExemptionNotice]) -> str:
    outcome = view.response.outcome if view.response else view.outcome
    if outcome == Outcome.REFUSED_COST:
        return "cost"
    if outcome == Outcome.REFUSED_VEXATIOUS:
        return "vexatious"
    return "exemptions" if exemptions else ""


def _paragraphs(text: str) -> list[str]:
    return [p.strip("\n") for p in re.split(r"\n\s*\n", text) if p.strip()]


def response_date(view: CaseView, time_zone: str, today: date) -> date:
    """The date the letter bears: the day it was issued, or today for a draft."""
    return local_date(view.issued_at, time_zone) if view.issued_at else today


def build_letter(
    view: CaseView,
    authority: AuthoritySettings,
    *,
    calendar: CalendarData | None,
    today: date,
    redact: Requester | None = None,
) -> Letter:
    """The letter's contents for ``view`` as its reader may see it.

    ``view.requester`` None: no address block. ``redact``: the requester whose identity is taken
    out of every free text (give it when the reader may not know who asked). ``calendar``: the
    case's calendar version, for the review date (None, or a date outside it: the letter gives
    the period without a date rather than guess one).
    """
    draft = view.response
    if draft is None:
        raise ValueError(f"{view.reference} has no composed response")
    law = LAWS.get(view.regime, LAWS["foia"])
    on = response_date(view, authority.time_zone, today)
    review_by: date | None = None
    if calendar is not None:
        try:
            review_by = review_deadline(view.regime, on, calendar)
        except CalendarError:
            review_by = None
    exemptions = _exemption_notices(view.tasks, redact)
    groups = _groups(view.questions, view.tasks, redact)
    refusal = _refusal(view, exemptions)
    requester = view.requester
    recipient: list[str] = []
    if requester is not None:
        recipient = [requester.name]
        if requester.address:
            recipient += [line.strip() for line in requester.address.splitlines() if line.strip()]
        elif requester.email:
            recipient.append(requester.email)
    window = review_window(view.regime).working_days or 0
    return Letter(
        reference=view.reference,
        law=law,
        authority=_letterhead(authority),
        dated_on=on,
        date_text=long_date(on),
        received_text=long_date(local_date(view.received_at, authority.time_zone)),
        issued=view.issued_at is not None,
        recipient_lines=recipient,
        salutation=f"Dear {requester.name}" if requester is not None else "Dear Requester",
        questions=[
            Question(number=q.number, text=redact_requester(q.text, redact)) for q in view.questions
        ],
        outcome=draft.outcome,
        outcome_label=OUTCOME_LABELS.get(draft.outcome, str(draft.outcome)),
        refusal=refusal,
        exemptions=exemptions,
        groups=groups,
        attachments=_unique(a for g in groups for a in g.attachments),
        cost=_cost_refusal(view, authority) if refusal == "cost" else None,
        advice=redact_requester(_advice(draft.text), redact) if refusal == "vexatious" else "",
        vexatious_subsection="14(2)" if "14(2)" in draft.text else "14(1)",
        review_by=review_by,
        review_by_text=long_date(review_by) if review_by else "",
        review_working_days=window,
        edited_paragraphs=_paragraphs(redact_requester(draft.text, redact)) if draft.edited else [],
    )


# --- rendering -------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def template_environment(templates_dir: Path | None = None) -> Environment:
    """foiflow's templates, each replaceable by a file of the same name under ``templates_dir``
    (e.g. ``letters/exemptions/s31.html`` for the authority's own s31 wording)."""
    loaders: list[FileSystemLoader | PackageLoader] = []
    if templates_dir is not None:
        loaders.append(FileSystemLoader(str(templates_dir)))
    loaders.append(PackageLoader("services", "templates"))
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(["html", "xml"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["questions_words"] = _questions_words
    return env


def render_letter_html(letter: Letter, templates_dir: Path | None = None) -> str:
    env = template_environment(templates_dir)
    name = "edited.html" if letter.edited else "response.html"
    return env.get_template(f"{LETTERS}/{name}").render(letter=letter)


def html_to_pdf(html: str) -> bytes:
    """The HTML as a PDF (WeasyPrint; fonts from the system: Debian's fonts-liberation)."""
    # Imported here: WeasyPrint takes a second to load, and only PDF requests need it.
    from weasyprint import HTML

    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


# --- the service -----------------------------------------------------------------------------


def _filename(reference: str, fmt: LetterFormat) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", reference)
    return f"{safe}-response.{'txt' if fmt is LetterFormat.TEXT else fmt.value}"


async def letter_document(ctx: ServiceContext, reference: str, fmt: LetterFormat) -> Document:
    """The case's response letter in ``fmt``, as the actor may see it.

    Same visibility as the case itself (``services.cases.get_case``). Readers who may not know
    who asked (unit contacts, approvers) get no address block and no trace of the requester's
    identity, even in text an officer typed.
    """
    full = await case_view(ctx, reference)
    seen = as_seen_by(full, ctx.actor)
    if seen.response is None:
        raise Conflict(
            f"{reference} has no composed response yet (status {seen.status})", "reference"
        )
    redact = full.requester if seen.requester is None else None
    filename = _filename(reference, fmt)
    if fmt is LetterFormat.TEXT:
        text = redact_requester(seen.response.text, redact)
        return Document(text.encode(), f"{MEDIA_TYPES[fmt]}; charset=utf-8", filename)

    version = seen.clock.calendar_version

    def read(session: Session) -> AuthoritySettings:
        return refdata.get_authority(session)

    authority = await in_store(ctx.engine, read)
    calendar = await asyncio.to_thread(_case_calendar, ctx, version)
    today = local_date(datetime.now(UTC), authority.time_zone)
    letter = build_letter(seen, authority, calendar=calendar, today=today, redact=redact)
    html = render_letter_html(letter, ctx.settings.templates_dir)
    if fmt is LetterFormat.HTML:
        return Document(html.encode(), f"{MEDIA_TYPES[fmt]}; charset=utf-8", filename)
    pdf = await asyncio.to_thread(html_to_pdf, html)
    return Document(pdf, MEDIA_TYPES[fmt], filename)


def _case_calendar(ctx: ServiceContext, version: int) -> CalendarData | None:
    """The calendar version the case counts on; None when the store no longer has it."""
    try:
        return calendar_versions(ctx.engine).get(version)
    except CalendarError:
        return None
