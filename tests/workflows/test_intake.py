"""Intake helpers against the reference case: question splitting and routing suggestions."""

from __future__ import annotations

from pathlib import Path

import yaml

from domain.intake import split_questions
from store.seed import load_seed

from case_driver import SEED_FILE, SEED_ROUTES

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT.parent / "shared" / "reference" / "mps-01.FOI.23.031576.txt"


def _reference_questions() -> list[str]:
    text = REFERENCE.read_text("utf-8")
    body = text.split("Please provide the following information:\n", 1)[1]
    body = body.split("I have today decided", 1)[0]
    return [q.text for q in split_questions(body)]


def test_the_demo_case_asks_what_the_published_response_answers() -> None:
    seed = yaml.safe_load(SEED_FILE.read_text())
    questions = split_questions(seed["request_text"])
    assert [q.number for q in questions] == [1, 2, 3, 4, 5, 6, 7]
    assert [q.text for q in questions] == _reference_questions()


def test_routing_rules_suggest_the_units_the_demo_uses() -> None:
    seed = load_seed(ROOT / "cli" / "demo" / "seed.yaml")
    questions = split_questions(yaml.safe_load(SEED_FILE.read_text())["request_text"])
    suggested = {q.number: seed.route(q.text)[0] for q in questions}
    assert suggested == SEED_ROUTES


def test_split_questions_handles_other_numbering_and_continuations() -> None:
    text = "Dear FOI team,\nQ1) Budget for 2025\n  broken down by month\n2. Staff numbers\n"
    questions = split_questions(text)
    assert [(q.number, q.text) for q in questions] == [
        (1, "Budget for 2025 broken down by month"),
        (2, "Staff numbers"),
    ]
    assert [q.text for q in split_questions("Just one thing please")] == ["Just one thing please"]
