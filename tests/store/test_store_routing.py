"""The store and the seed file route with domain.intake's one rule, on both engines."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from domain.intake import suggest_units
from store import refdata
from store.db import session_scope
from store.schema import RoutingRuleSpec, UnitSpec
from store.seed import load_seed

DEMO = Path(__file__).resolve().parents[2] / "cli" / "demo" / "seed.yaml"

QUESTIONS = [
    "Minutes of all VAWG panel meetings",
    "organisations on any hate crime advisory panels",
    "All who sit on any Independent advisory groups",
    "Who sits on the independent advisory groups of the hate crime unit?",
    "Number of officers on bicycles",
]


def test_the_seed_routes_as_the_domain_rule_does() -> None:
    seed = load_seed(DEMO)
    for question in QUESTIONS:
        assert seed.route(question) == suggest_units(question, seed.routing_rules), question


def test_stored_rules_route_by_priority_then_the_longer_phrase(engine: Engine) -> None:
    with session_scope(engine) as session:
        for unit in ("community", "partnerships", "hate-crime"):
            refdata.save_unit(session, UnitSpec(id=unit, name=unit.title()), "tester")
        # Stored in an order that a rule-order or alphabetical tie-break would get wrong.
        for phrase, unit, priority in [
            ("advisory group", "partnerships", 10),
            ("hate crime", "hate-crime", 30),
            ("independent advisory group", "community", 10),
        ]:
            rule = RoutingRuleSpec(phrase=phrase, unit=unit, priority=priority)
            refdata.save_rule(session, rule, "tester")
    question = "Who sits on the independent advisory groups of the hate crime unit?"
    with session_scope(engine) as session:
        routed = refdata.route(session, question)
        assert routed == suggest_units(question, refdata.list_rules(session))
    assert routed == ["community", "partnerships", "hate-crime"]
