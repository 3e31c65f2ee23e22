"""The disclosure log as JSON: issued responses, without who asked. Public: no login."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from services import disclosure
from services.disclosure import MAX_QUERY, DisclosureEntry, DisclosurePage, DisclosureSearch
from services.schemas import REFERENCE_PATTERN
from web.api.deps import RuntimeDep
from web.api.errors import responses

router = APIRouter(prefix="/disclosure-log", tags=["disclosure log"])


def log_search(
    q: Annotated[str, Query(max_length=MAX_QUERY, description="Words that must all appear.")] = "",
    issued_from: Annotated[
        date | None, Query(alias="from", description="Issued on or after, YYYY-MM-DD.")
    ] = None,
    issued_to: Annotated[
        date | None, Query(alias="to", description="Issued on or before, YYYY-MM-DD.")
    ] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
) -> DisclosureSearch:
    """The search the query string asks for (shared by the JSON, the page and the feed)."""
    return DisclosureSearch(
        q=q, issued_from=issued_from, issued_to=issued_to, page=page, per_page=per_page
    )


LogSearchDep = Annotated[DisclosureSearch, Depends(log_search)]


@router.get("", response_model=DisclosurePage, responses=responses(422, 503))
async def list_disclosures(rt: RuntimeDep, search: LogSearchDep) -> DisclosurePage:
    """Published responses, newest first, by text (``q``) and date issued (``from``, ``to``)."""
    return await disclosure.search(rt.engine, search)


@router.get("/{reference}", response_model=DisclosureEntry, responses=responses(404, 503))
async def get_disclosure(
    rt: RuntimeDep, reference: Annotated[str, Path(pattern=REFERENCE_PATTERN)]
) -> DisclosureEntry:
    """One published response, as issued, without the requester's identity."""
    _, entry = await disclosure.get_entry(rt.engine, reference)
    return entry
