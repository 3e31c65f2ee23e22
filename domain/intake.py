"""Intake helpers: split numbered request text into questions, suggest owning units, dedupe key.

Pure functions: the officer confirms what they suggest. ``suggest_units`` is the one routing rule:
the store's ``refdata.route`` and the seed file apply it to the rules they hold.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import datetime

from pydantic import BaseModel, Field, field_validator

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
    """A phrase that suggests the unit owning a question. The lower priority number wins."""

    phrase: str = Field(min_length=2, max_length=200)
    unit: str
    priority: int = 100

    @field_validator("phrase", mode="before")
    @classmethod
    def _normalise(cls, value: object) -> object:
        # Before the length check, so "  a  " is refused rather than stored as "a".
        return " ".join(value.split()) if isinstance(value, str) else value

    def matches(self, text: str) -> bool:
        """Whole words, any case, a plain plural allowed: "advisory group" matches "Independent
        Advisory Groups", and "VAWG" does not match inside "VAWGPANEL"."""
        words = r"\s+".join(re.escape(w) for w in self.phrase.split())
        pattern = rf"(?<!\w){words}(?:e?s)?(?!\w)"
        return re.search(pattern, text, flags=re.IGNORECASE) is not None


def suggest_units(question: str, rules: Iterable[RoutingRule]) -> list[str]:
    """The units whose rules match ``question``, best first, no repeats.

    Best is the lowest priority number, then the longest (most specific) phrase; the phrase itself
    breaks remaining ties so the order never depends on how the rules were stored.
    """
    ranked = sorted(
        (r for r in rules if r.matches(question)),
        key=lambda r: (r.priority, -len(r.phrase), r.phrase.lower()),
    )
    return list(dict.fromkeys(r.unit for r in ranked))


def intake_key(received_at: datetime, request_text: str) -> str:
    """Identifies the same request arriving twice, without carrying personal data."""
    normalised = " ".join(request_text.split()).lower()
    digest = hashlib.sha256(f"{received_at.isoformat()}|{normalised}".encode())
    return digest.hexdigest()[:24]
