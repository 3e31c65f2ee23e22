"""Intake helpers: split numbered request text into questions, suggest owning units, dedupe key.

Pure functions: the officer confirms what they suggest.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import datetime

from pydantic import BaseModel

from domain.case import Question

_NUMBERED = re.compile(r"^\s*(?:Q(?:uestion)?\s*)?(\d{1,3})\s*[.)\-:]\s+(.*\S)\s*$", re.IGNORECASE)


def split_questions(text: str) -> list[Question]:
    """Numbered lines ("1. …", "2) …", "Q3 - …") become questions; continuation lines join the
    question above. Text with no numbering is one question."""
    questions: list[Question] = []
    for line in text.splitlines():
        match = _NUMBERED.match(line)
        if match:
            questions.append(Question(number=int(match.group(1)), text=match.group(2)))
        elif questions and line.strip():
            last = questions[-1]
            questions[-1] = Question(number=last.number, text=f"{last.text} {line.strip()}")
    if not questions and text.strip():
        questions = [Question(number=1, text=" ".join(text.split()))]
    return questions


class RoutingRule(BaseModel):
    phrase: str
    unit: str
    priority: int = 0


def suggest_units(question: str, rules: Iterable[RoutingRule]) -> list[str]:
    """Units whose phrases occur in the question, best first (priority, then longest phrase)."""
    lowered = question.lower()
    hits = sorted(
        (r for r in rules if r.phrase.lower() in lowered),
        key=lambda r: (-r.priority, -len(r.phrase)),
    )
    units: list[str] = []
    for rule in hits:
        if rule.unit not in units:
            units.append(rule.unit)
    return units


def intake_key(received_at: datetime, request_text: str) -> str:
    """Identifies the same request arriving twice, without carrying personal data."""
    normalised = " ".join(request_text.split()).lower()
    digest = hashlib.sha256(f"{received_at.isoformat()}|{normalised}".encode())
    return digest.hexdigest()[:24]
