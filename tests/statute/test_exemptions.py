"""The Part II catalogue and who may sign off each exemption."""

from __future__ import annotations

import pytest

from statute.exemptions import (
    CATALOGUE,
    COST_LIMIT_HOURS,
    OUTCOME_LABELS,
    Outcome,
    Role,
    SignOffPolicy,
    UnknownExemptionError,
    check_sign_off_role,
    get_exemption,
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
