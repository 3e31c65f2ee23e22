"""Reference-data models: one default policy and one time zone, errors a person can act on."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from domain.case import CasePolicy
from statute.clock import LONDON
from statute.exemptions import DEFAULT_SIGN_OFF_POLICY
from store.schema import AuthoritySettings, case_policy_from, validation_problems
from store.seed import SeedError, load_seed


def test_a_new_authority_starts_cases_with_the_statute_default_policy() -> None:
    policy = case_policy_from(AuthoritySettings())
    assert policy.sign_off_policy() == DEFAULT_SIGN_OFF_POLICY
    assert policy.time_zone == LONDON
    # The case model's own defaults are the same ones, not a second copy that could drift.
    bare = CasePolicy()
    assert bare.sign_off_policy() == DEFAULT_SIGN_OFF_POLICY
    assert bare.time_zone == LONDON


def test_validation_problems_name_the_field_and_give_the_reason_as_written() -> None:
    with pytest.raises(ValidationError) as refused:
        AuthoritySettings.model_validate({"time_zone": "Mars/Olympus", "task_working_days": 0})
    assert validation_problems(refused.value) == [
        "time_zone: 'Mars/Olympus' is not an IANA time zone (e.g. 'Europe/London')",
        "task_working_days: Input should be greater than or equal to 1",
    ]


def test_a_seed_error_lists_each_problem_under_the_file(tmp_path: Path) -> None:
    path = tmp_path / "seed.yaml"
    path.write_text("routing_rules: [{phrase: ' x ', unit: vawg}]")
    with pytest.raises(SeedError) as refused:
        load_seed(path)
    assert str(refused.value) == (
        f"{path}: invalid seed\n  routing_rules.0.phrase: String should have at least 2 characters"
    )
    path.write_text("sign_off_policy: {'36': senior_officer}")
    with pytest.raises(SeedError) as refused:
        load_seed(path)
    assert str(refused.value) == (
        f"{path}: invalid seed\n  (top level): sign_off_policy 36: section 36 needs the qualified "
        "person's reasonable opinion (s36(2)), not the senior_officer role"
    )
