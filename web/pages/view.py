"""Small readings of a case that several pages share: people's names, and the part of the
timeline about one question or one exemption."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from domain.case import CaseView
from services.runtime import Runtime

SYSTEM = "system"
KIND_TITLES = {
    "routed": "Question routed",
    "reassigned": "Question reassigned",
    "answered": "Answered",
    "sign_off_requested": "Sign-off requested",
    "signed_off": "Signed off",
    "sign_off_rejected": "Sign-off refused",
    "reminder": "Reminder sent",
}


async def people(rt: Runtime, user_ids: Iterable[str]) -> dict[str, str]:
    """Directory names by user id ("david-hughes" → "Supt David Hughes"); an id not in the
    directory stands for itself. Read off the event loop."""
    wanted = sorted({u for u in user_ids if u})

    def read() -> dict[str, str]:
        names = {SYSTEM: "foiflow"}
        for user_id in wanted:
            if user_id in names:
                continue
            me = rt.identity.me_or_none(user_id)
            names[user_id] = me.name if me is not None and me.name else user_id
        return names

    return await asyncio.to_thread(read)


@dataclass(frozen=True)
class TimelineRow:
    """One ``moj-timeline`` item."""

    title: str
    by: str
    at: datetime
    text: str


async def timeline_about(
    rt: Runtime, view: CaseView, *, question: int | None = None, section: str | None = None
) -> list[TimelineRow]:
    """The case's timeline entries about one question (``Q4``) or one exemption (``s31``),
    newest first: what a unit or an approver needs, not the whole case's history."""
    patterns: list[str] = []
    if question is not None:
        patterns.append(rf"\bQ{question}\b")
    if section is not None:
        patterns.append(rf"\bs{re.escape(section)}\b")
    if not patterns:
        return []
    about = re.compile("|".join(patterns))
    # Only the kinds above: the receipt entry and the officer's clock entries are not theirs.
    entries = [e for e in view.timeline if e.kind in KIND_TITLES and about.search(e.text)]
    names = await people(rt, (e.actor for e in entries))
    return [
        TimelineRow(KIND_TITLES[e.kind], names.get(e.actor, e.actor), e.at, e.text)
        for e in sorted(entries, key=lambda e: e.seq, reverse=True)
    ]
