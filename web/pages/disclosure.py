"""The public disclosure log as pages and an Atom feed: no login, no requester.

``GET /disclosure-log`` (search by ``q``, ``from``, ``to``), ``GET /disclosure-log/{reference}``
and ``GET /disclosure-log.atom``. Simple semantic HTML for now; the GOV.UK Design System pages
replace the markup later, not the routes.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlencode
from xml.etree import ElementTree as ET

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from services import disclosure
from services.disclosure import DisclosureEntry, DisclosurePage, DisclosureSearch
from services.errors import CaseNotFound, Rejected
from services.schemas import REFERENCE_PATTERN
from web.api.deps import RuntimeDep
from web.api.routes.disclosure import LogSearchDep

router = APIRouter(tags=["disclosure log"], include_in_schema=False)
ATOM_NS = "http://www.w3.org/2005/Atom"
ATOM_TYPE = "application/atom+xml"
FEED_ENTRIES = 50

_pages = Environment(
    loader=PackageLoader("web.pages", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
# Characters XML 1.0 cannot carry at all; a pasted control character must not break the feed.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _paragraphs(text: str) -> list[str]:
    return [p.strip("\n") for p in re.split(r"\n\s*\n", text) if p.strip()]


_pages.filters["paragraphs"] = _paragraphs
ET.register_namespace("", ATOM_NS)


def _query_string(search: DisclosureSearch, page: int) -> str:
    params: dict[str, str | int] = {"page": page}
    if search.q:
        params["q"] = search.q
    if search.issued_from:
        params["from"] = search.issued_from.isoformat()
    if search.issued_to:
        params["to"] = search.issued_to.isoformat()
    return urlencode(params)


@router.get("/disclosure-log", response_class=HTMLResponse)
async def disclosure_log_page(rt: RuntimeDep, search: LogSearchDep) -> HTMLResponse:
    error = ""
    try:
        page = await disclosure.search(rt.engine, search)
    except Rejected as exc:
        error = str(exc)
        page = await disclosure.search(rt.engine, DisclosureSearch())
        page = page.model_copy(update={"items": [], "total": 0})
    last = max(1, -(-page.total // page.per_page))
    html = _pages.get_template("disclosure/log.html").render(
        page=page,
        search=search,
        error=error,
        previous=_query_string(search, page.page - 1) if page.page > 1 else "",
        next=_query_string(search, page.page + 1) if page.page < last else "",
        feed="/disclosure-log.atom",
    )
    return HTMLResponse(html, status_code=422 if error else 200)


@router.get("/disclosure-log.atom")
async def disclosure_log_feed(request: Request, rt: RuntimeDep, search: LogSearchDep) -> Response:
    """The newest published responses as an Atom feed (RFC 4287); the same filters apply."""
    page = await disclosure.search(
        rt.engine, search.model_copy(update={"page": 1, "per_page": FEED_ENTRIES})
    )
    feed = _atom(page, str(request.base_url).rstrip("/"), str(request.url))
    return Response(feed, media_type=ATOM_TYPE)


@router.get("/disclosure-log/{reference}", response_class=HTMLResponse)
async def disclosure_entry_page(
    rt: RuntimeDep, reference: Annotated[str, Path(pattern=REFERENCE_PATTERN)]
) -> HTMLResponse:
    try:
        publisher, entry = await disclosure.get_entry(rt.engine, reference)
    except CaseNotFound:
        html = _pages.get_template("disclosure/missing.html").render(reference=reference)
        return HTMLResponse(html, status_code=404)
    html = _pages.get_template("disclosure/entry.html").render(publisher=publisher, entry=entry)
    return HTMLResponse(html)


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("", text)


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
    if text is not None:
        element.text = _xml_text(text)
    return element


def _atom(page: DisclosurePage, base: str, self_url: str) -> bytes:
    log_url = f"{base}/disclosure-log"
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    _sub(feed, "title", f"{page.publisher}: disclosure log")
    _sub(feed, "subtitle", "Responses to information requests, as issued, without the requester.")
    _sub(feed, "id", log_url)
    newest = page.items[0].issued_at if page.items else datetime.now(UTC)
    _sub(feed, "updated", _stamp(newest))
    _sub(feed, "link", rel="self", type=ATOM_TYPE, href=self_url)
    _sub(feed, "link", rel="alternate", type="text/html", href=log_url)
    _sub(_sub(feed, "author"), "name", page.publisher)
    for item in page.items:
        _atom_entry(feed, item, log_url)
    return bytes(ET.tostring(feed, encoding="utf-8", xml_declaration=True))


def _atom_entry(feed: ET.Element, item: DisclosureEntry, log_url: str) -> None:
    url = f"{log_url}/{item.reference}"
    entry = _sub(feed, "entry")
    _sub(entry, "title", f"{item.reference}: {item.title}")
    _sub(entry, "id", url)
    _sub(entry, "link", rel="alternate", type="text/html", href=url)
    _sub(entry, "published", _stamp(item.issued_at))
    _sub(entry, "updated", _stamp(item.issued_at))
    _sub(entry, "summary", f"{item.outcome_label}. Issued {item.issued_on.isoformat()}.")
    _sub(entry, "content", item.response_text, type="text")
