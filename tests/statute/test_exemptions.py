"""Each regime's catalogue (FOIA Part II, the EIR exceptions, FOISA Part 2), wrong-regime
refusals, and who may sign off each provision."""

from __future__ import annotations

import pytest

from statute.exemptions import (
    CATALOGUE,
    COST_LIMIT_HOURS,
    EIR_CATALOGUE,
    FOISA_CATALOGUE,
    OUTCOME_LABELS,
    Outcome,
    Role,
    SignOffPolicy,
    UnknownExemptionError,
    WrongRegimeError,
    catalogue_for,
    check_sign_off_role,
    get_exemption,
    review_route_for,
)

ABSOLUTE = {"21", "23", "32", "34", "40", "41", "44"}
QUALIFIED = {"22", "24", "26", "27", "30", "31", "35", "36", "38", "42", "43"}
PREJUDICE = {"26", "27", "28", "29", "31", "33", "36", "38"}


def test_absolute_and_qualified_exemptions() -> None:
    for section in ABSOLUTE:
        assert not CATALOGUE[section].qualified, section
    for section in QUALIFIED:
        assert CATALOGUE[section].qualified, section


def test_prejudice_based_exemptions_need_the_prejudice_stated() -> None:
    for section in PREJUDICE:
        assert CATALOGUE[section].needs_prejudice("(1)"), section
    # s43: only subsection (2), commercial prejudice; (1) trade secrets is class-based
    assert CATALOGUE["43"].needs_prejudice("(2)")
    assert not CATALOGUE["43"].needs_prejudice("(1)")
    assert not CATALOGUE["40"].needs_prejudice("(2)")


def test_neither_confirm_nor_deny_limbs() -> None:
    assert CATALOGUE["23"].ncnd == "23(5)"
    assert CATALOGUE["31"].ncnd == "31(3)"
    assert CATALOGUE["40"].ncnd == "40(5)"


@pytest.mark.parametrize("spelling", ["31", "s31", "S31", "section 31", "Section 31 "])
def test_sections_are_found_however_written(spelling: str) -> None:
    assert get_exemption(spelling).section == "31"


def test_unknown_section_names_the_field() -> None:
    with pytest.raises(UnknownExemptionError, match="section: 's45' is not an exemption"):
        get_exemption("s45")


def test_only_the_qualified_person_can_sign_off_section_36() -> None:
    policy = SignOffPolicy(roles={"36": Role.SENIOR_OFFICER})
    assert policy.role_for("36") == Role.QUALIFIED_PERSON
    assert SignOffPolicy().role_for("s40") == Role.DATA_PROTECTION_OFFICER
    assert SignOffPolicy().role_for("43") == Role.SENIOR_OFFICER


def test_a_policy_may_not_give_section_36_to_anyone_but_the_qualified_person() -> None:
    with pytest.raises(ValueError, match=r"section 36 needs the qualified person's reasonable"):
        check_sign_off_role("s36", Role.SENIOR_OFFICER)
    assert check_sign_off_role("Section 36", Role.QUALIFIED_PERSON) == "36"
    # Other sections are the authority's choice; the key comes back as the catalogue spells it.
    assert check_sign_off_role("s40", Role.SENIOR_OFFICER) == "40"
    with pytest.raises(UnknownExemptionError, match="'s45'"):
        check_sign_off_role("s45", Role.SENIOR_OFFICER)


def test_cost_limits_and_outcome_labels() -> None:
    assert COST_LIMIT_HOURS == {"central_government": 24, "other": 18}  # £600 / £450 at £25
    assert set(OUTCOME_LABELS) == set(Outcome)


# ---- each regime's own catalogue ---------------------------------------------------------------

EIR_EXCEPTIONS = [f"12(4)({c})" for c in "abcde"] + [f"12(5)({c})" for c in "abcdefg"] + ["13"]


def test_the_eir_catalogue_is_reg_12_4_12_5_and_13() -> None:
    catalogue = catalogue_for("eir")
    assert list(catalogue.provisions) == EIR_EXCEPTIONS
    assert catalogue.kind == "exception"
    # reg 12(1)(b): every exception in 12(4) and 12(5) carries the public interest test; reg 13
    # (the first condition) does not.
    assert all(EIR_CATALOGUE[k].qualified for k in EIR_EXCEPTIONS[:-1])
    assert not EIR_CATALOGUE["13"].qualified
    # reg 12(5): "would adversely affect", with no "would be likely to" limb.
    for key in EIR_EXCEPTIONS[5:12]:
        exception = EIR_CATALOGUE[key]
        assert exception.needs_prejudice("") and exception.would_only, key
        assert exception.harm_words() == "adversely affect"
    assert not EIR_CATALOGUE["12(4)(e)"].prejudice_based
    assert EIR_CATALOGUE["12(5)(a)"].ncnd == "12(6)"  # NCND for the 12(5)(a) interests only
    assert EIR_CATALOGUE["12(5)(b)"].ncnd is None


def test_the_foisa_catalogue_says_substantial_prejudice_where_the_act_does() -> None:
    catalogue = catalogue_for("FOISA")
    assert list(catalogue.provisions) == [str(n) for n in range(25, 42)]
    # s2(2): the absolute exemptions.
    absolute = {k for k, e in FOISA_CATALOGUE.items() if not e.qualified}
    assert absolute == {"25", "26", "37", "38"}
    assert FOISA_CATALOGUE["36"].qualified_for("(1)")
    assert not FOISA_CATALOGUE["36"].qualified_for("(2)")  # s2(2)(c): confidence is absolute
    for key in ("28", "30", "35", "40"):
        assert FOISA_CATALOGUE[key].needs_prejudice("(1)(a)" if key == "35" else "(c)"), key
        assert FOISA_CATALOGUE[key].harm_words() == "prejudice substantially", key
    assert FOISA_CATALOGUE["30"].harm_words("(b)(i)") == "inhibit substantially"
    assert FOISA_CATALOGUE["33"].needs_prejudice("(1)(b)")
    assert not FOISA_CATALOGUE["33"].needs_prejudice("(1)(a)")  # trade secrets: class-based
    assert FOISA_CATALOGUE["39"].harm_words("(1)") == "endanger"
    assert not FOISA_CATALOGUE["29"].prejudice_based
    # s18(1): one NCND provision, for s28–35, 38, 39(1) and 41.
    with_ncnd = {k for k, e in FOISA_CATALOGUE.items() if e.ncnd == "18(1)"}
    assert with_ncnd == {"28", "29", "30", "31", "32", "33", "34", "35", "38", "39", "41"}


@pytest.mark.parametrize(
    ("written", "regime", "label"),
    [
        (
            "12(5)(a)",
            "eir",
            "Regulation 12(5)(a) – International relations, defence, national "
            "security or public safety",
        ),
        ("reg 12(4)(e)", "eir", "Regulation 12(4)(e) – Internal communications"),
        (
            "Regulation 12 (5) (e)",
            "eir",
            "Regulation 12(5)(e) – Confidentiality of commercial or industrial information",
        ),
        ("r13", "eir", "Regulation 13 – Personal data"),
        ("s35 of FOISA", "foisa", "Section 35 of FOISA – Law enforcement"),
        (
            "section 30",
            "foisa",
            "Section 30 of FOISA – Prejudice to effective conduct of public affairs",
        ),
        ("s22a", "foia", "Section 22A – Research"),
    ],
)
def test_provisions_are_found_however_written(written: str, regime: str, label: str) -> None:
    assert get_exemption(written, regime).label == label


def test_citations_in_each_regimes_words() -> None:
    assert get_exemption("31").cite("(1)(a)") == "Section 31(1)(a)"
    assert get_exemption("12(5)(a)", "eir").cite() == "Regulation 12(5)(a)"
    assert get_exemption("35", "foisa").cite("(1)(a)") == "Section 35(1)(a) of FOISA"
    assert get_exemption("35", "foisa").cite_ncnd() == "section 18(1) of FOISA"
    assert get_exemption("13", "eir").cite_ncnd() == "regulation 13(5A)"
    assert [get_exemption(s, r).short for s, r in (("40", "foia"), ("13", "eir"))] == [
        "s40",
        "reg 13",
    ]


@pytest.mark.parametrize(
    ("section", "regime", "message"),
    [
        (
            "12(5)(a)",
            "foia",
            "section: '12(5)(a)' is regulation 12(5)(a) of the EIR, not an exemption under FOIA; "
            "this case is under FOIA: claim from the FOIA Part II catalogue (sections 21–44)",
        ),
        (
            "s40",
            "eir",
            "section: 's40' is section 40 of FOIA and section 40 of FOISA, not an exception "
            "under the EIR; this case is under the EIR: claim from the EIR catalogue "
            "(regulations 12(4)(a)–(e), 12(5)(a)–(g) and 13); the equivalent of section 40 of "
            "FOIA is regulation 13",
        ),
        (
            "21",
            "foisa",
            "section: '21' is section 21 of FOIA, not an exemption under FOISA; this case is "
            "under FOISA: claim from the FOISA Part 2 catalogue (sections 25–41); the equivalent "
            "of section 21 of FOIA is section 25 of FOISA",
        ),
        (
            "13",
            "foia",
            "section: '13' is regulation 13 of the EIR, not an exemption under FOIA; this case "
            "is under FOIA: claim from the FOIA Part II catalogue (sections 21–44); the "
            "equivalent of regulation 13 of the EIR is section 40",
        ),
    ],
)
def test_another_regimes_provision_is_refused_naming_both_and_the_right_catalogue(
    section: str, regime: str, message: str
) -> None:
    with pytest.raises(WrongRegimeError) as caught:
        get_exemption(section, regime)
    assert str(caught.value) == message


def test_unknown_provisions_under_each_regime() -> None:
    with pytest.raises(UnknownExemptionError, match=r"^section: regulation 12\(5\) is not one "):
        get_exemption("12(5)", "eir")
    with pytest.raises(UnknownExemptionError, match="'99' is not an exception under the EIR"):
        get_exemption("99", "eir")
    with pytest.raises(UnknownExemptionError, match="regime: 'sar' has no catalogue"):
        catalogue_for("sar")


def test_the_sign_off_policy_works_for_every_regime() -> None:
    policy = SignOffPolicy()
    # Personal data goes where the authority sends s40; national security where s24 goes.
    assert policy.role_for("13", "eir") is Role.DATA_PROTECTION_OFFICER
    assert policy.role_for("38", "foisa") is Role.DATA_PROTECTION_OFFICER
    assert policy.role_for("31", "foisa") is Role.NATIONAL_SECURITY_LEAD
    # The rest takes the default role, FOISA s36 (confidentiality) and s30 (FOIA s36's
    # counterpart) included: the qualified person is FOIA s36's alone.
    assert policy.role_for("12(5)(a)", "eir") is Role.SENIOR_OFFICER
    assert policy.role_for("36", "foisa") is Role.SENIOR_OFFICER
    assert policy.role_for("30", "foisa") is Role.SENIOR_OFFICER
    assert policy.role_for("36") is Role.QUALIFIED_PERSON
    custom = SignOffPolicy(default_role=Role.MANAGER, roles={"43": Role.UNIT_MANAGER})
    assert custom.role_for("33", "foisa") is Role.UNIT_MANAGER  # same interest as s43
    assert custom.role_for("12(4)(e)", "eir") is Role.MANAGER


def test_each_regimes_review_route() -> None:
    foia, eir, foisa = (review_route_for(r) for r in ("foia", "eir", "foisa"))
    assert (foia.decision_working_days, eir.decision_working_days) == (20, 40)
    assert foisa.regulator == "the Scottish Information Commissioner"
    assert foisa.complaint.startswith("section 47 ")
    assert eir.regulator == foia.regulator == "the Information Commissioner"


def test_communications_with_the_sovereign_are_absolute_the_rest_of_s37_qualified() -> None:
    s37 = CATALOGUE["37"]
    assert not s37.qualified_for("(1)(a)")
    assert not s37.qualified_for("(1)(ab)")
    assert s37.qualified_for("(1)(b)")  # honours
