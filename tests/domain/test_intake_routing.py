"""Routing suggestions: whole words, any case, plurals, the lowest priority number first.

``domain.intake.suggest_units`` is the one rule; the store and the seed file apply it
(tests/store/test_store_routing.py checks they do).
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from domain.intake import RoutingRule, suggest_units

DEMO_RULES = [
    RoutingRule(phrase="VAWG", unit="vawg", priority=10),
    RoutingRule(phrase="violence against women", unit="vawg", priority=10),
    RoutingRule(phrase="hate crime", unit="hate-crime", priority=10),
    RoutingRule(phrase="independent advisory group", unit="community-engagement", priority=10),
    RoutingRule(phrase="advisory group", unit="community-engagement", priority=20),
]


@pytest.mark.parametrize(
    ("question", "units"),
    [
        ("Minutes of all VAWG panel meetings", ["vawg"]),
        ("minutes of all vawg panel meetings", ["vawg"]),  # any case
        ("The VAWGPANEL budget", []),  # whole words: not inside another word
        ("Hate crimes recorded in 2023", ["hate-crime"]),  # plural
        ("All who sit on any Independent Advisory Groups", ["community-engagement"]),
        ("violence\n  against women and girls", ["vawg"]),  # the request's line breaks
        ("Number of officers on bicycles", []),
    ],
)
def test_phrases_match_whole_words_in_any_case_and_the_plural(
    question: str, units: list[str]
) -> None:
    assert suggest_units(question, DEMO_RULES) == units


def test_a_plural_in_es_matches_too() -> None:
    rules = [RoutingRule(phrase="witness", unit="victims")]
    assert suggest_units("Support for witnesses at court", rules) == ["victims"]
    assert suggest_units("Eyewitness accounts", rules) == []


def test_the_lowest_priority_number_is_suggested_first_whatever_the_rule_order() -> None:
    rules = [
        RoutingRule(phrase="advisory panel", unit="community-engagement", priority=20),
        RoutingRule(phrase="hate crime", unit="hate-crime", priority=10),
    ]
    question = "organisations on any hate crime advisory panels"
    assert suggest_units(question, rules) == ["hate-crime", "community-engagement"]
    assert suggest_units(question, list(reversed(rules))) == ["hate-crime", "community-engagement"]


def test_at_equal_priority_the_longer_phrase_is_suggested_first() -> None:
    rules = [
        RoutingRule(phrase="advisory group", unit="partnerships", priority=10),
        RoutingRule(phrase="independent advisory group", unit="community-engagement", priority=10),
    ]
    question = "Who sits on the independent advisory groups?"
    assert suggest_units(question, rules) == ["community-engagement", "partnerships"]


def test_each_unit_is_suggested_once() -> None:
    question = "VAWG: violence against women on hate crime advisory groups"
    assert suggest_units(question, DEMO_RULES) == ["vawg", "hate-crime", "community-engagement"]


def test_a_phrase_is_literal_text_not_a_pattern() -> None:
    rules = [RoutingRule(phrase="s.60 authorisation", unit="public-order")]
    assert suggest_units("How many s.60 authorisations in 2024?", rules) == ["public-order"]
    assert suggest_units("How many s160 authorisations in 2024?", rules) == []


def test_phrases_are_normalised_and_a_blank_or_one_letter_phrase_is_refused() -> None:
    assert RoutingRule(phrase="  hate \n crime ", unit="hate-crime").phrase == "hate crime"
    with pytest.raises(ValidationError) as refused:
        RoutingRule(phrase="  a  ", unit="hate-crime")
    assert [e["loc"] for e in refused.value.errors()] == [("phrase",)]
