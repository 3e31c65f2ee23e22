"""The FOIA Part II exemption catalogue, sign-off policy and the outcome categories.

What a claim must carry follows the exemption's nature: qualified exemptions need the public
interest test (s2(2)(b), reasons in the refusal notice per s17(3)); prejudice-based ones need the
prejudice and its likelihood ("would" or "would be likely to"); s36 needs the reasonable opinion of
the statutory qualified person, so only that role can sign it off.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True)
class Exemption:
    section: str  # "31", "40", "22A"
    title: str
    qualified: bool
    prejudice_based: bool = False
    prejudice_subsections: tuple[str, ...] = ()  # empty: the whole section when prejudice_based
    ncnd: str | None = None  # the neither-confirm-nor-deny limb, e.g. "31(3)"

    @property
    def label(self) -> str:
        return f"Section {self.section} – {self.title}"

    def needs_prejudice(self, subsection: str) -> bool:
        if not self.prejudice_based:
            return False
        if not self.prejudice_subsections:
            return True
        return any(subsection.startswith(p) for p in self.prejudice_subsections)


def _e(section: str, title: str, qualified: bool, **kw: object) -> Exemption:
    return Exemption(section, title, qualified, **kw)  # type: ignore[arg-type]


CATALOGUE: Mapping[str, Exemption] = {
    e.section: e
    for e in (
        _e("21", "Information accessible by other means", False),
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
        _e("37", "Communications with His Majesty and honours", True, ncnd="37(2)"),
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


class UnknownExemptionError(ValueError):
    pass


def get_exemption(section: str) -> Exemption:
    key = section.strip().lower().removeprefix("section").strip().removeprefix("s").upper()
    try:
        return CATALOGUE[key]
    except KeyError:
        raise UnknownExemptionError(
            f"section: {section!r} is not an exemption in FOIA Part II "
            f"(known: {', '.join('s' + k for k in CATALOGUE)})"
        ) from None


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

    def role_for(self, section: str) -> Role:
        exemption = get_exemption(section)
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
