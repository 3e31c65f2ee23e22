"""The answer form: what a unit contact types, kept as typed (so nothing is lost when the
workflow refuses it), turned into the domain's ``Answer`` only to send.

One form serves every kind of answer. Fields belong to kinds (``KIND_FIELDS``): only the chosen
kind's fields are sent, the rest are kept on the page. Exemption claims sit in numbered slots
(``claims-0-section``, ``claims-1-section``…): "Add another exemption" posts the form back with
one more slot, so any number of claims works without JavaScript; a slot left blank is dropped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from starlette.datastructures import FormData

from domain.case import Answer, AnswerKind, ExemptionClaim, Likelihood
from statute.exemptions import CATALOGUE, Exemption, get_exemption
from web.pages.forms import FormErrors, lines, text

MAX_CLAIMS = 12
LIKELIHOODS = {"would": "Would", "would_be_likely_to": "Would be likely to"}

KINDS: dict[AnswerKind, tuple[str, str]] = {
    AnswerKind.DISCLOSED: (
        "We hold it and it can be released",
        "Give the information, or the documents to release.",
    ),
    AnswerKind.NOT_HELD: (
        "We do not hold it",
        "Record where and how you searched: the Information Commissioner expects it.",
    ),
    AnswerKind.PARTLY_HELD: (
        "We hold some of it",
        "Give what is released, the searches for the rest, and an exemption for anything withheld.",
    ),
    AnswerKind.EXEMPT: (
        "We hold it, but an exemption applies",
        "Claim each exemption with its reasons. A sign-off is needed before the response goes.",
    ),
    AnswerKind.COST: (
        "Finding it would cost more than the limit (section 12)",
        "Estimate the hours to locate, retrieve and extract it.",
    ),
    AnswerKind.TRANSFER: (
        "Another public authority holds it",
        "Name the authority, so the requester can be told where to ask.",
    ),
}

KIND_VALUES = frozenset(k.value for k in AnswerKind)

# Which fields each kind of answer sends (``note`` goes with every kind).
KIND_FIELDS: dict[AnswerKind, frozenset[str]] = {
    AnswerKind.DISCLOSED: frozenset({"information", "attachments"}),
    AnswerKind.NOT_HELD: frozenset({"searches"}),
    AnswerKind.PARTLY_HELD: frozenset({"information", "attachments", "searches", "claims"}),
    AnswerKind.EXEMPT: frozenset({"claims"}),
    AnswerKind.COST: frozenset({"hours"}),
    AnswerKind.TRANSFER: frozenset({"transfer_to"}),
}


@dataclass(frozen=True)
class ExemptionGuide:
    """What the catalogue says a claim under one section must carry, in words."""

    section: str
    label: str
    nature: str  # "Absolute" or "Qualified"
    prejudice_based: bool
    ncnd: str | None
    needs: tuple[str, ...]

    @property
    def option_text(self) -> str:
        kinds = [self.nature.lower()] + (["prejudice-based"] if self.prejudice_based else [])
        return f"{self.label} ({', '.join(kinds)})"


def guide_for(exemption: Exemption) -> ExemptionGuide:
    needs = ["Say which information it covers and why the exemption applies."]
    if exemption.qualified:
        needs.append(
            "Qualified: apply the public interest test — record the factors for disclosure and "
            "the factors against (they go in the refusal notice, section 17(3))."
        )
    else:
        needs.append("Absolute: there is no public interest test.")
    if exemption.prejudice_based:
        scope = (
            f" (subsections {', '.join(exemption.prejudice_subsections)} only)"
            if exemption.prejudice_subsections
            else ""
        )
        needs.append(
            f"Prejudice-based{scope}: state the prejudice, and whether disclosure would, or "
            "would be likely to, cause it."
        )
    if exemption.ncnd:
        needs.append(
            f"Neither confirm nor deny: section {exemption.ncnd} applies when saying whether the "
            "information is held would itself cause the harm."
        )
    else:
        needs.append("This section has no neither-confirm-nor-deny limb.")
    return ExemptionGuide(
        section=exemption.section,
        label=exemption.label,
        nature="Qualified" if exemption.qualified else "Absolute",
        prejudice_based=exemption.prejudice_based,
        ncnd=exemption.ncnd,
        needs=tuple(needs),
    )


GUIDES: dict[str, ExemptionGuide] = {s: guide_for(e) for s, e in CATALOGUE.items()}


@dataclass
class ClaimForm:
    section: str = ""
    subsections: str = ""
    applies_to: str = ""
    reason: str = ""
    prejudice: str = ""
    likelihood: str = ""
    public_interest_for: str = ""  # one factor per line
    public_interest_against: str = ""
    ncnd: bool = False

    @property
    def blank(self) -> bool:
        return not (
            self.section
            or self.subsections.strip()
            or self.applies_to.strip()
            or self.reason.strip()
            or self.prejudice.strip()
            or self.likelihood
            or self.public_interest_for.strip()
            or self.public_interest_against.strip()
            or self.ncnd
        )

    @property
    def guide(self) -> ExemptionGuide | None:
        return GUIDES.get(self.section)

    @classmethod
    def from_claim(cls, claim: ExemptionClaim) -> ClaimForm:
        try:
            section = get_exemption(claim.section).section
        except ValueError:
            section = claim.section
        return cls(
            section=section,
            subsections=claim.subsections,
            applies_to=claim.applies_to,
            reason=claim.reason,
            prejudice=claim.prejudice or "",
            likelihood=claim.likelihood or "",
            public_interest_for="\n".join(claim.public_interest_for),
            public_interest_against="\n".join(claim.public_interest_against),
            ncnd=claim.ncnd,
        )

    @classmethod
    def from_form(cls, form: FormData, slot: int) -> ClaimForm:
        def get(name: str, limit: int = 10_000) -> str:
            return text(form, f"claims-{slot}-{name}", limit)

        section = get("section", 8)
        likelihood = get("likelihood", 32)
        return cls(
            section=section if section in CATALOGUE else "",
            subsections=get("subsections", 100),
            applies_to=get("applies_to", 2_000),
            reason=get("reason"),
            prejudice=get("prejudice"),
            likelihood=likelihood if likelihood in LIKELIHOODS else "",
            public_interest_for=get("public_interest_for"),
            public_interest_against=get("public_interest_against"),
            ncnd=get("ncnd", 8) == "yes",
        )

    def to_claim(self) -> ExemptionClaim:
        likelihood: Likelihood | None = None
        if self.likelihood == "would":
            likelihood = "would"
        elif self.likelihood == "would_be_likely_to":
            likelihood = "would_be_likely_to"
        return ExemptionClaim(
            section=self.section,
            subsections=self.subsections.strip(),
            applies_to=self.applies_to.strip(),
            reason=self.reason.strip(),
            prejudice=self.prejudice.strip() or None,
            likelihood=likelihood,
            public_interest_for=lines(self.public_interest_for),
            public_interest_against=lines(self.public_interest_against),
            ncnd=self.ncnd,
        )


@dataclass
class AnswerForm:
    kind: str = ""
    information: str = ""
    attachments: str = ""  # document references, one per line
    searches: str = ""
    hours: str = ""
    transfer_to: str = ""
    note: str = ""
    claims: list[ClaimForm] = field(default_factory=lambda: [ClaimForm()])

    @classmethod
    def from_answer(cls, answer: Answer | None) -> AnswerForm:
        if answer is None:
            return cls()
        return cls(
            kind=answer.kind.value,
            information=answer.information,
            attachments="\n".join(answer.attachments),
            searches=answer.searches,
            hours="" if answer.hours is None else f"{answer.hours:g}",
            transfer_to=answer.transfer_to or "",
            note=answer.note,
            claims=[ClaimForm.from_claim(c) for c in answer.claims] or [ClaimForm()],
        )

    @classmethod
    def from_form(cls, form: FormData) -> AnswerForm:
        kind = text(form, "kind", 32)
        try:
            slots = int(text(form, "claim_count", 4) or "1")
        except ValueError:
            slots = 1
        slots = min(max(slots, 1), MAX_CLAIMS)
        return cls(
            kind=kind if kind in KIND_VALUES else "",
            information=text(form, "information"),
            attachments=text(form, "attachments"),
            searches=text(form, "searches"),
            hours=text(form, "hours", 32),
            transfer_to=text(form, "transfer_to", 500),
            note=text(form, "note"),
            claims=[ClaimForm.from_form(form, slot) for slot in range(slots)],
        )

    def with_another_claim(self) -> AnswerForm:
        if len(self.claims) >= MAX_CLAIMS:
            return self
        return replace(self, claims=[*self.claims, ClaimForm()])

    def claim_slots(self) -> list[int]:
        """The slots of the claims sent, in order: the workflow's ``claims[i]`` is slot
        ``claim_slots()[i]`` (blank slots are not sent)."""
        return [slot for slot, claim in enumerate(self.claims) if not claim.blank]

    def parse(self) -> tuple[Answer | None, FormErrors]:
        """The answer to send, or the problems a person must fix first. Only what the page can
        tell on its own is checked here; what an answer must contain is the workflow's to say."""
        errors = FormErrors()
        if not self.kind:
            errors.add("kind", "Select what your answer is")
            return None, errors
        kind = AnswerKind(self.kind)
        wanted = KIND_FIELDS[kind]
        hours: float | None = None
        if "hours" in wanted and self.hours.strip():
            try:
                hours = float(self.hours.strip())
            except ValueError:
                hours = None
            if hours is None or not math.isfinite(hours):
                errors.add("hours", "Enter the hours as a number, like 12 or 7.5")
        claims: list[ExemptionClaim] = []
        if "claims" in wanted:
            for slot in self.claim_slots():
                claim = self.claims[slot]
                if not claim.section:
                    errors.add(f"claims-{slot}-section", "Select the exemption you are claiming")
                    continue
                claims.append(claim.to_claim())
        if errors:
            return None, errors
        answer = Answer(
            kind=kind,
            information=self.information.strip() if "information" in wanted else "",
            attachments=lines(self.attachments) if "attachments" in wanted else [],
            searches=self.searches.strip() if "searches" in wanted else "",
            claims=claims,
            hours=hours,
            transfer_to=(self.transfer_to.strip() or None) if "transfer_to" in wanted else None,
            note=self.note.strip(),
        )
        return answer, errors

    def field_for(self, service_field: str) -> str:
        """The form field a workflow refusal names: ``answer.claims[1].reason`` →
        ``claims-<slot>-reason`` for the slot that claim came from."""
        name = service_field.removeprefix("answer.")
        if name.startswith("claims["):
            index_text, _, rest = name.removeprefix("claims[").partition("]")
            slots = self.claim_slots()
            try:
                slot = slots[int(index_text)]
            except (ValueError, IndexError):
                slot = 0
            name = rest.removeprefix(".") or "section"
            claim = self.claims[slot] if slot < len(self.claims) else ClaimForm()
            if (
                name == "public_interest_for"
                and claim.public_interest_for.strip()
                and not claim.public_interest_against.strip()
            ):
                # The workflow names the public interest test by its first field; point at the
                # half that is missing.
                name = "public_interest_against"
            return f"claims-{slot}-{name}"
        if name == "claims":
            slots = self.claim_slots()
            return f"claims-{slots[0] if slots else 0}-section"
        return name
