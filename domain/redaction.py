"""Taking the requester's identity out of text that others will read.

FOI is applicant-blind: units, approvers and the public (the disclosure log) never learn who
asked. The composed letter names nobody, but an officer may edit it ("Dear Ms Smith"), so text
leaving the FOI team passes through ``redact_requester`` first. Pure: used by the store's
disclosure log and by the services that render letters for unit-facing readers.
"""

from __future__ import annotations

import re

from domain.case import Requester

REDACTED = "[requester]"
# Honorifics say nothing about who asked; redacting them would only mangle ordinary words.
_TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "rev"})
_SHORTEST_PART = 3  # "Al" or "Li" as a word would redact half a letter


def identity_fragments(requester: Requester) -> list[str]:
    """Every piece of text that identifies the requester, longest first (so "Jane Smith" goes
    whole before "Smith" alone)."""
    found: set[str] = set()
    name = requester.name.strip()
    if name:
        found.add(name)
        for part in re.split(r"[\s,.]+", name):
            if len(part) >= _SHORTEST_PART and part.lower() not in _TITLES:
                found.add(part)
    if requester.email:
        email = requester.email.strip()
        found.add(email)
        local = email.partition("@")[0]
        if len(local) >= _SHORTEST_PART:
            found.add(local)
    if requester.address:
        address = requester.address.strip()
        found.add(address)
        for line in re.split(r"[\n,]+", address):
            line = line.strip()
            if len(line) > _SHORTEST_PART:
                found.add(line)
    return sorted(found, key=lambda f: (-len(f), f))


def _pattern(fragment: str) -> str:
    # Whole words only where the fragment starts or ends with a word character: "Smith" must
    # not take the "smith" out of "Blacksmiths' Lane" but an address line may end in a comma.
    escaped = re.escape(fragment)
    head = r"(?<!\w)" if fragment[0].isalnum() else ""
    tail = r"(?!\w)" if fragment[-1].isalnum() else ""
    return f"{head}{escaped}{tail}"


def redact_requester(text: str, requester: Requester | None, replacement: str = REDACTED) -> str:
    """``text`` with every fragment of the requester's identity replaced (case-insensitive)."""
    if requester is None or not text:
        return text
    fragments = identity_fragments(requester)
    if not fragments:
        return text
    pattern = re.compile("|".join(_pattern(f) for f in fragments), re.IGNORECASE)
    return pattern.sub(replacement, text)
