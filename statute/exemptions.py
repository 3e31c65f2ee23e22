"""Each regime's own provisions (FOIA Part II, the EIR exceptions, FOISA Part 2), the sign-off
policy and the outcome categories.

What a claim must carry follows the provision's nature: qualified exemptions need the public
interest test (FOIA s2(2)(b), reasons in the refusal notice per s17(3); FOISA s2(1)(b); every EIR
exception under reg 12(1)(b), with the presumption in favour of disclosure of reg 12(2));
prejudice-based ones need the harm and its likelihood in the regime's words ("would" or "would be
likely to" prejudice; FOISA: prejudice *substantially*; EIR reg 12(5): "would adversely affect",
with no "likely to" limb); s36 FOIA needs the reasonable opinion of the statutory qualified person,
so only that role can sign it off.

A case claims only from its own regime's catalogue (``catalogue_for``): a FOIA section on an EIR
case is refused naming the regime and the right catalogue (``WrongRegimeError``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

FOIA = "foia"
EIR = "eir"
FOISA = "foisa"


@dataclass(frozen=True)
class Exemption:
    section: str  # the catalogue key: "31", "22A"; EIR "12(5)(a)", "13"; FOISA "35"
    title: str
    qualified: bool
    prejudice_based: bool = False
    prejudice_subsections: tuple[str, ...] = ()  # empty: the whole section when prejudice_based
    ncnd: str | None = None  # the neither-confirm-nor-deny provision, e.g. "31(3)"; FOISA "18(1)"
    regime: str = FOIA
    # Subsections that confer absolute exemption in a qualified section (FOISA s36(2), s2(2)(c)).
    absolute_subsections: tuple[str, ...] = ()
    # The harm test in the statute's words: FOIA "prejudice"; FOISA "prejudice substantially";
    # EIR reg 12(5) "adversely affect"; per subsection where a section varies (FOISA s30(b)).
    harm: str = "prejudice"
    harm_by_subsection: tuple[tuple[str, str], ...] = ()
    # EIR reg 12(5): disclosure "would adversely affect" — there is no "would be likely to" limb.
    would_only: bool = False
    # The FOIA section protecting the same interest: the authority's sign-off rule for it applies
    # (never s36's qualified person, which the Act gives to FOIA s36 alone), and a claim under
    # the wrong regime is pointed to it.
    counterpart: str | None = None
    # FOIA s21 / FOISA s25: the answer must say where the information is published.
    accessible_elsewhere: bool = False

    @property
    def named(self) -> str:
        """The provision in a sentence: "section 31", "regulation 12(5)(a)", "section 35 of
        FOISA"."""
        if self.regime == EIR:
            return f"regulation {self.section}"
        return (
            _foisa(self.section, "", False) if self.regime == FOISA else f"section {self.section}"
        )

    @property
    def short(self) -> str:
        """Timeline and list form: "s31", "reg 12(5)(a)", "FOISA s35"."""
        if self.regime == EIR:
            return f"reg {self.section}"
        return f"FOISA s{self.section}" if self.regime == FOISA else f"s{self.section}"

    @property
    def label(self) -> str:
        return f"{self.cite()} – {self.title}"

    def cite(self, subsections: str = "") -> str:
        """The provision with its subsections, as a heading cites it: "Section 31(1)(a)",
        "Regulation 12(5)(a)", "Section 35(1)(a) of FOISA"."""
        if self.regime == EIR:
            return f"Regulation {self.section}{subsections}"
        if self.regime == FOISA:
            return _foisa(self.section, subsections, True)
        return f"Section {self.section}{subsections}"

    def cite_ncnd(self) -> str:
        """The provision that allows neither confirming nor denying, in a sentence."""
        limb = self.ncnd or self.section
        if self.regime == EIR:
            return f"regulation {limb}"
        return _foisa(limb, "", False) if self.regime == FOISA else f"section {limb}"

    def needs_prejudice(self, subsection: str) -> bool:
        if not self.prejudice_based:
            return False
        if not self.prejudice_subsections:
            return True
        return any(subsection.startswith(p) for p in self.prejudice_subsections)

    def qualified_for(self, subsections: str) -> bool:
        """Whether the public interest test applies to a claim under these subsections."""
        if not self.qualified:
            return False
        return not any(subsections.startswith(a) for a in self.absolute_subsections)

    def harm_words(self, subsections: str = "") -> str:
        for prefix, words in self.harm_by_subsection:
            if subsections.startswith(prefix):
                return words
        return self.harm


def _foisa(section: str, subsections: str, capital: bool) -> str:
    return f"{'S' if capital else 's'}ection {section}{subsections} of FOISA"


@dataclass(frozen=True)
class Catalogue:
    """One regime's provisions for withholding information."""

    regime: str
    name: str  # "the FOIA Part II catalogue (sections 21–44)": what a refusal points to
    kind: str  # "exemption" (FOIA, FOISA) or "exception" (EIR)
    provisions: Mapping[str, Exemption]

    def find(self, key: str) -> Exemption | None:
        return self.provisions.get(key)

    def by_counterpart(self, foia_section: str) -> Exemption | None:
        if self.regime == FOIA:
            return self.provisions.get(foia_section)
        return next((e for e in self.provisions.values() if e.counterpart == foia_section), None)


def _e(section: str, title: str, qualified: bool, **kw: object) -> Exemption:
    return Exemption(section, title, qualified, **kw)  # type: ignore[arg-type]


CATALOGUE: Mapping[str, Exemption] = {
    e.section: e
    for e in (
        _e("21", "Information accessible by other means", False, accessible_elsewhere=True),
        _e("22", "Information intended for future publication", True, ncnd="22(2)"),
        _e("22A", "Research", True, prejudice_based=True, ncnd="22A(2)"),
        _e(
            "23",
            "Information supplied by, or relating to, bodies dealing with security matters",
            False,
            ncnd="23(5)",
        ),
        _e("24", "National security", True, ncnd="24(2)"),
        _e("26", "Defence", True, prejudice_based=True, ncnd="26(3)"),
        _e("27", "International relations", True, prejudice_based=True, ncnd="27(4)"),
        _e("28", "Relations within the United Kingdom", True, prejudice_based=True, ncnd="28(3)"),
        _e("29", "The economy", True, prejudice_based=True, ncnd="29(2)"),
        _e(
            "30",
            "Investigations and proceedings conducted by public authorities",
            True,
            ncnd="30(3)",
        ),
        _e("31", "Law enforcement", True, prejudice_based=True, ncnd="31(3)"),
        _e("32", "Court records", False, ncnd="32(3)"),
        _e("33", "Audit functions", True, prejudice_based=True, ncnd="33(3)"),
        _e("34", "Parliamentary privilege", False, ncnd="34(2)"),
        _e("35", "Formulation of government policy", True, ncnd="35(3)"),
        _e(
            "36",
            "Prejudice to effective conduct of public affairs",
            True,
            prejudice_based=True,
            ncnd="36(3)",
        ),
        # s2(3)(ea): communications with the Sovereign, the heir and the second in line to the
        # throne (s37(1)(a), (aa), (ab)) are absolute; the rest of s37 is qualified.
        _e(
            "37",
            "Communications with His Majesty and honours",
            True,
            ncnd="37(2)",
            absolute_subsections=("(1)(a)", "(1)(aa)", "(1)(ab)"),
        ),
        _e("38", "Health and safety", True, prejudice_based=True, ncnd="38(2)"),
        _e("39", "Environmental information", True, ncnd="39(2)"),
        _e("40", "Personal information", False, ncnd="40(5)"),
        _e("41", "Information provided in confidence", False, ncnd="41(2)"),
        _e("42", "Legal professional privilege", True, ncnd="42(2)"),
        _e(
            "43",
            "Commercial interests",
            True,
            prejudice_based=True,
            prejudice_subsections=("(2)",),
            ncnd="43(3)",
        ),
        _e("44", "Prohibitions on disclosure", False, ncnd="44(2)"),
    )
}


def _eir(section: str, title: str, **kw: object) -> Exemption:
    # reg 12(1)(b): every exception in reg 12(4) and 12(5) is subject to the public interest test.
    qualified = bool(kw.pop("qualified", True))
    return Exemption(section, title, qualified, regime=EIR, **kw)  # type: ignore[arg-type]


def _adverse(section: str, title: str, **kw: object) -> Exemption:
    # reg 12(5): "would adversely affect" — the harm must be more probable than not.
    return _eir(
        section, title, prejudice_based=True, harm="adversely affect", would_only=True, **kw
    )


EIR_CATALOGUE: Mapping[str, Exemption] = {
    e.section: e
    for e in (
        _eir("12(4)(a)", "Information not held when the request was received"),
        _eir("12(4)(b)", "Manifestly unreasonable request"),
        _eir("12(4)(c)", "Request formulated in too general a manner"),
        _eir(
            "12(4)(d)",
            "Material still in the course of completion, unfinished documents or incomplete data",
        ),
        _eir("12(4)(e)", "Internal communications"),
        # reg 12(6): neither confirm nor deny, for the interests in 12(5)(a) only.
        _adverse(
            "12(5)(a)",
            "International relations, defence, national security or public safety",
            ncnd="12(6)",
        ),
        _adverse("12(5)(b)", "The course of justice, fair trials and inquiries"),
        _adverse("12(5)(c)", "Intellectual property rights"),
        _adverse("12(5)(d)", "Confidentiality of the proceedings of a public authority"),
        _adverse(
            "12(5)(e)",
            "Confidentiality of commercial or industrial information",
            counterpart="43",
        ),
        _adverse(
            "12(5)(f)", "Interests of the person who provided the information", counterpart="41"
        ),
        _adverse("12(5)(g)", "Protection of the environment"),
        # reg 13(1)(a): third-party personal data whose disclosure would contravene the data
        # protection principles (the first condition, reg 13(2A)) is withheld without a public
        # interest test; only the second and third conditions carry one (reg 13(1)(b)). foiflow
        # treats reg 13 as the first condition: not subject to the public interest test.
        _eir("13", "Personal data", qualified=False, ncnd="13(5A)", counterpart="40"),
    )
}


def _s(section: str, title: str, qualified: bool, **kw: object) -> Exemption:
    return Exemption(section, title, qualified, regime=FOISA, **kw)  # type: ignore[arg-type]


_SUBSTANTIAL = "prejudice substantially"
_S18 = "18(1)"  # FOISA s18(1): NCND where the information would be exempt under s28–35, 38,
# 39(1) or 41 and revealing whether it exists would be contrary to the public interest.

FOISA_CATALOGUE: Mapping[str, Exemption] = {
    e.section: e
    for e in (
        # s2(2): s25, s26, s36(2), s37 and s38 (as it applies) are absolute; the rest qualified.
        _s(
            "25",
            "Information otherwise accessible",
            False,
            counterpart="21",
            accessible_elsewhere=True,
        ),
        _s("26", "Prohibitions on disclosure", False, counterpart="44"),
        _s(
            "27",
            "Information intended for future publication",
            True,
            prejudice_based=True,
            prejudice_subsections=("(2)",),  # research: prejudice substantially
            harm=_SUBSTANTIAL,
            counterpart="22",
        ),
        _s(
            "28",
            "Relations within the United Kingdom",
            True,
            prejudice_based=True,
            harm=_SUBSTANTIAL,
            ncnd=_S18,
            counterpart="28",
        ),
        _s(
            "29",
            "Formulation of Scottish Administration policy etc.",
            True,
            ncnd=_S18,
            counterpart="35",
        ),
        _s(
            "30",
            "Prejudice to effective conduct of public affairs",
            True,
            prejudice_based=True,
            harm=_SUBSTANTIAL,
            harm_by_subsection=(("(b)", "inhibit substantially"),),
            ncnd=_S18,
            # FOIA s36's counterpart, but with no qualified person: FOISA gives the judgement to
            # the authority, so the sign-off is the policy's default role.
        ),
        _s(
            "31",
            "National security and defence",
            True,
            prejudice_based=True,
            prejudice_subsections=("(4)",),
            harm=_SUBSTANTIAL,
            ncnd=_S18,
            counterpart="24",
        ),
        _s(
            "32",
            "International relations",
            True,
            prejudice_based=True,
            prejudice_subsections=("(1)(a)",),
            harm=_SUBSTANTIAL,
            ncnd=_S18,
            counterpart="27",
        ),
        _s(
            "33",
            "Commercial interests and the economy",
            True,
            prejudice_based=True,
            prejudice_subsections=("(1)(b)", "(2)"),
            harm=_SUBSTANTIAL,
            ncnd=_S18,
            counterpart="43",
        ),
        _s(
            "34",
            "Investigations by Scottish public authorities and proceedings arising out of such "
            "investigations",
            True,
            ncnd=_S18,
            counterpart="30",
        ),
        _s(
            "35",
            "Law enforcement",
            True,
            prejudice_based=True,
            harm=_SUBSTANTIAL,
            ncnd=_S18,
            counterpart="31",
        ),
        _s("36", "Confidentiality", True, absolute_subsections=("(2)",), counterpart="42"),
        _s("37", "Court records, etc.", False, counterpart="32"),
        _s("38", "Personal information", False, ncnd=_S18, counterpart="40"),
        _s(
            "39",
            "Health, safety and the environment",
            True,
            prejudice_based=True,
            prejudice_subsections=("(1)",),
            harm="endanger",
            ncnd=_S18,
            counterpart="38",
        ),
        _s(
            "40", "Audit functions", True, prejudice_based=True, harm=_SUBSTANTIAL, counterpart="33"
        ),
        _s(
            "41",
            "Communications with His Majesty etc. and honours",
            True,
            ncnd=_S18,
            counterpart="37",
        ),
    )
}

CATALOGUES: Mapping[str, Catalogue] = {
    FOIA: Catalogue(FOIA, "the FOIA Part II catalogue (sections 21–44)", "exemption", CATALOGUE),
    EIR: Catalogue(
        EIR,
        "the EIR catalogue (regulations 12(4)(a)–(e), 12(5)(a)–(g) and 13)",
        "exception",
        EIR_CATALOGUE,
    ),
    FOISA: Catalogue(
        FOISA, "the FOISA Part 2 catalogue (sections 25–41)", "exemption", FOISA_CATALOGUE
    ),
}
_TITLES = {FOIA: "FOIA", EIR: "the EIR", FOISA: "FOISA"}


class UnknownExemptionError(ValueError):
    pass


class WrongRegimeError(UnknownExemptionError):
    """A provision of another regime claimed on a case: the message names both and the right
    catalogue."""


def catalogue_for(regime: str) -> Catalogue:
    try:
        return CATALOGUES[regime.lower()]
    except KeyError:
        raise UnknownExemptionError(
            f"regime: {regime!r} has no catalogue of exemptions (one of {', '.join(CATALOGUES)})"
        ) from None


_PREFIX = re.compile(r"^(?:section|sect\.?|regulation|reg\.?|s\.?|r\.?)\s*")
_SUFFIX = re.compile(r"\s*(?:of\s+)?(?:the\s+)?(?:foisa|foia|eirs?)$")
_KEY = re.compile(r"^([0-9]{1,3})([a-z]?)((?:\([0-9a-z]{1,4}\)){0,4})$")


def provision_key(text: str) -> str:
    """The catalogue key however a provision is written: "s31", "Section 22a" → "31", "22A";
    "reg 12(5)(a)", "Regulation 12 (5) (a)" → "12(5)(a)"; "s35 of FOISA" → "35"."""
    key = _SUFFIX.sub("", _PREFIX.sub("", text.strip().lower()))
    key = re.sub(r"\s+", "", key)
    found = _KEY.fullmatch(key)
    if found is None:
        return key.upper()
    number, letter, groups = found.groups()
    return f"{number}{letter.upper()}{groups}"


def get_exemption(section: str, regime: str = FOIA) -> Exemption:
    """The provision ``section`` names in ``regime``'s catalogue.

    ``WrongRegimeError`` when it belongs to another regime's catalogue only (naming it, and the
    equivalent here when there is one); ``UnknownExemptionError`` when no regime has it.
    """
    catalogue = catalogue_for(regime)
    key = provision_key(section)
    found = catalogue.find(key)
    if found is not None:
        return found
    elsewhere = [c.find(key) for c in CATALOGUES.values() if c.regime != catalogue.regime]
    others = [e for e in elsewhere if e is not None]
    title = _TITLES[catalogue.regime]
    if others:
        where = " and ".join(_of_regime(e) for e in others)
        equivalent = _equivalent(catalogue, others)
        hint = ""
        if equivalent is not None:
            hint = f"; the equivalent of {_of_regime(equivalent[0])} is {equivalent[1].named}"
        raise WrongRegimeError(
            f"section: {section!r} is {where}, not {_article(catalogue.kind)} {catalogue.kind} "
            f"under {title}; this case is under {title}: claim from {catalogue.name}{hint}"
        )
    if catalogue.regime == EIR and key in ("12", "12(4)", "12(5)"):
        raise UnknownExemptionError(
            f"section: regulation {key} is not one exception: give it in full, e.g. "
            f"{'12(5)(a)' if key != '12(4)' else '12(4)(e)'} ({catalogue.name})"
        )
    if catalogue.regime == FOIA:
        # The wording callers have relied on since the FOIA catalogue was the only one.
        raise UnknownExemptionError(
            f"section: {section!r} is not an exemption in FOIA Part II "
            f"(known: {', '.join('s' + k for k in CATALOGUE)})"
        )
    known = ", ".join(e.short for e in catalogue.provisions.values())
    raise UnknownExemptionError(
        f"section: {section!r} is not {_article(catalogue.kind)} {catalogue.kind} under {title} "
        f"(known: {known})"
    )


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _of_regime(exemption: Exemption) -> str:
    """ "section 31 of FOIA", "regulation 13 of the EIR", "section 38 of FOISA"."""
    if exemption.regime == FOISA:
        return exemption.named
    return f"{exemption.named} of {'the EIR' if exemption.regime == EIR else 'FOIA'}"


def _equivalent(
    catalogue: Catalogue, others: list[Exemption]
) -> tuple[Exemption, Exemption] | None:
    """The first other regime's provision with an equivalent in ``catalogue``, and that one."""
    for other in others:
        foia_key = other.section if other.regime == FOIA else other.counterpart
        if foia_key is not None:
            match = catalogue.by_counterpart(foia_key)
            if match is not None:
                return other, match
    return None


@dataclass(frozen=True)
class ReviewRoute:
    """Where a requester goes after the response: the authority's own review, then the regulator.

    Periods in working days on the regime's own calendar (FOISA s73: Scottish working days).
    """

    regime: str
    review: str  # what the authority's review is called, with its provision
    request_within_working_days: int  # to ask for it, from the response
    decision_working_days: int  # for the authority to decide it
    regulator: str
    complaint: str  # the provision for complaining to the regulator
    appeal: str  # where the regulator's decision can be challenged


REVIEW_ROUTES: Mapping[str, ReviewRoute] = {
    FOIA: ReviewRoute(
        FOIA,
        "an internal review (s45 Code of Practice, part 5)",
        40,
        20,  # 40 at most for complex reviews (Code para 5.5)
        "the Information Commissioner",
        "section 50 of the Freedom of Information Act 2000",
        "the First-tier Tribunal (Information Rights) under section 57",
    ),
    EIR: ReviewRoute(
        EIR,
        "reconsideration under regulation 11",
        40,  # reg 11(2)
        40,  # reg 11(4)
        "the Information Commissioner",
        "section 50 of the Freedom of Information Act 2000, as applied by regulation 18",
        "the First-tier Tribunal (Information Rights) under section 57, as applied by "
        "regulation 18",
    ),
    FOISA: ReviewRoute(
        FOISA,
        "a review under section 20",
        40,  # s20(5)
        20,  # s21(1)
        "the Scottish Information Commissioner",
        "section 47 of the Freedom of Information (Scotland) Act 2002",
        "the Court of Session, on a point of law, under section 56",
    ),
}


def review_route_for(regime: str) -> ReviewRoute:
    catalogue_for(regime)  # the same regimes, and the same refusal for any other
    return REVIEW_ROUTES[regime.lower()]


class Role(StrEnum):
    FOI_OFFICER = "foi_officer"
    UNIT_CONTACT = "unit_contact"
    UNIT_MANAGER = "unit_manager"
    SENIOR_OFFICER = "senior_officer"
    DATA_PROTECTION_OFFICER = "data_protection_officer"
    QUALIFIED_PERSON = "qualified_person"  # s36(5): a named statutory role
    NATIONAL_SECURITY_LEAD = "national_security_lead"
    MANAGER = "manager"  # watches statistics and every case
    ADMIN = "admin"  # reference data and calendars; acts on no case


@dataclass(frozen=True)
class SignOffPolicy:
    """Which role must sign off each exemption. Cases keep the policy they started with."""

    default_role: Role = Role.SENIOR_OFFICER
    roles: Mapping[str, Role] = field(
        default_factory=lambda: {
            "40": Role.DATA_PROTECTION_OFFICER,
            "36": Role.QUALIFIED_PERSON,
            "23": Role.NATIONAL_SECURITY_LEAD,
            "24": Role.NATIONAL_SECURITY_LEAD,
        }
    )

    def role_for(self, section: str, regime: str = FOIA) -> Role:
        """The role that signs off ``section`` of ``regime``.

        The policy is keyed by FOIA section. An EIR or FOISA provision protecting the same
        interest as a FOIA section (its ``counterpart``: EIR reg 13 and FOISA s38 for s40, FOISA
        s31 for s24, …) follows that section's rule; any other takes the default role. The
        qualified person is FOIA s36's alone: no other regime's provision ever needs them.
        """
        exemption = get_exemption(section, regime)
        if exemption.regime != FOIA:
            key = exemption.counterpart
            if key is None or key in STATUTORY_SIGN_OFF:
                return self.default_role
            role = self.roles.get(key, self.default_role)
            return self.default_role if role is Role.QUALIFIED_PERSON else role
        statutory = STATUTORY_SIGN_OFF.get(exemption.section)
        if statutory is not None:
            # No policy can hand a decision the Act gives to a named person to anyone else.
            return statutory.role
        return self.roles.get(exemption.section, self.default_role)


DEFAULT_SIGN_OFF_POLICY = SignOffPolicy()


@dataclass(frozen=True)
class StatutorySignOff:
    """A sign-off the Act itself gives to a named role, whatever the authority's policy says."""

    role: Role
    why: str


STATUTORY_SIGN_OFF: Mapping[str, StatutorySignOff] = {
    # s36(2): the exemption applies only "in the reasonable opinion of a qualified person" (s36(5)).
    "36": StatutorySignOff(
        Role.QUALIFIED_PERSON, "the qualified person's reasonable opinion (s36(2))"
    ),
}


def check_sign_off_role(section: str, role: Role) -> str:
    """The catalogue's section key for ``section`` when ``role`` may be made to sign it off.

    ``ValueError`` when the Act names someone else (s36: only the qualified person), and
    ``UnknownExemptionError`` for a section that is not a Part II exemption.
    """
    key = get_exemption(section).section
    statutory = STATUTORY_SIGN_OFF.get(key)
    if statutory is not None and role is not statutory.role:
        raise ValueError(f"section {key} needs {statutory.why}, not the {role.value} role")
    return key


class Outcome(StrEnum):
    """Cabinet Office quarterly statistics categories."""

    GRANTED_IN_FULL = "granted_in_full"
    PARTIALLY_WITHHELD = "partially_withheld"
    WITHHELD_IN_FULL = "withheld_in_full"
    NOT_HELD = "not_held"
    REFUSED_COST = "refused_cost"  # s12
    REFUSED_VEXATIOUS = "refused_vexatious"  # s14
    NCND = "ncnd"
    WITHDRAWN = "withdrawn"
    LAPSED = "lapsed"


OUTCOME_LABELS: Mapping[Outcome, str] = {
    Outcome.GRANTED_IN_FULL: "Granted in full",
    Outcome.PARTIALLY_WITHHELD: "Partially withheld",
    Outcome.WITHHELD_IN_FULL: "Withheld in full",
    Outcome.NOT_HELD: "Information not held",
    Outcome.REFUSED_COST: "Refused on cost (s12)",
    Outcome.REFUSED_VEXATIOUS: "Refused as vexatious or repeated (s14)",
    Outcome.NCND: "Neither confirm nor deny",
    Outcome.WITHDRAWN: "Withdrawn",
    Outcome.LAPSED: "Lapsed",
}

# s12 and the Fees Regulations 2004: £600 (central government, Schedule 1 Part I) or £450 at £25/h.
COST_LIMIT_HOURS: Mapping[str, int] = {"central_government": 24, "other": 18}
