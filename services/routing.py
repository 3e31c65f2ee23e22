"""Routing suggestions: which unit owns each question, by the store's routing rules.

Suggestions only: the FOI officer confirms them (``actions.route_questions``).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from domain.case import CaseView, Question
from services.cases import get_case
from services.context import ServiceContext
from services.db import in_store
from services.schemas import RouteSuggestion
from store import refdata


def unrouted_questions(view: CaseView) -> list[Question]:
    routed = {t.question for t in view.tasks}
    return [q for q in view.questions if q.number not in routed]


async def suggest_units(
    ctx: ServiceContext, questions: Sequence[Question]
) -> list[RouteSuggestion]:
    """Each question with the units the routing rules send it to, best first."""

    def suggest(session: Session) -> list[RouteSuggestion]:
        return [
            RouteSuggestion(question=q.number, text=q.text, units=refdata.route(session, q.text))
            for q in questions
        ]

    return await in_store(ctx.engine, suggest)


async def suggest_routes(ctx: ServiceContext, reference: str) -> list[RouteSuggestion]:
    """Suggestions for the case's questions not yet routed (empty once all are)."""
    view = await get_case(ctx, reference)
    return await suggest_units(ctx, unrouted_questions(view))


async def known_units(ctx: ServiceContext) -> set[str]:
    units = await in_store(ctx.engine, refdata.list_units)
    return {u.id for u in units}


async def unit_names(ctx: ServiceContext) -> dict[str, str]:
    """Every unit in the directory, id → name, in id order: what a page offers to choose from."""
    units = await in_store(ctx.engine, refdata.list_units)
    return {u.id: u.name for u in units}
