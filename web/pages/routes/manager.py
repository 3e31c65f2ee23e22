"""The manager's pages (FOI officers see them too): the dashboard and its CSV, the statistics
managers owe by quarter and their CSV, and the outbox — every message queued and sent, what the
local mail sink received, and a retry for a message that failed.

All of them read the store (``services.dashboard``, ``services.statistics``,
``services.delivery``): they work while Temporal is down.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from domain.case import Actor
from domain.transitions import may_see_requester
from services import dashboard as dashboard_service
from services import delivery
from services import statistics as statistics_service
from services.dashboard import Dashboard
from services.errors import CaseNotFound, Rejected
from services.statistics import StatisticsQuery, quarter_of
from statute import local_date
from statute.clock import LONDON
from statute.exemptions import Role
from web.api.deps import RuntimeDep
from web.pages.errors import PageRoute
from web.pages.forms import FormErrors, text
from web.pages.session import CheckedForm, PageSession, page_roles
from web.pages.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

Manager = Annotated[PageSession, Depends(page_roles(Role.MANAGER, Role.FOI_OFFICER))]
OutboxReader = Annotated[
    PageSession, Depends(page_roles(Role.FOI_OFFICER, Role.MANAGER, Role.ADMIN))
]
# Retrying sends a message again: the people who run delivery, not those who watch it.
OutboxSender = Annotated[PageSession, Depends(page_roles(Role.FOI_OFFICER, Role.ADMIN))]
MessageKey = Annotated[str, Path(min_length=1, max_length=200)]

OUTBOX_SHOW = {"all": "All", "pending": "Waiting", "sent": "Sent", "failed": "Failed"}
OUTBOX_LIMIT = 200
REQUESTER_AUDIENCE = "requester"


def cases_url(**params: object) -> str:
    """The case list filtered as ``services.schemas.CaseQuery`` reads it."""
    shown = {
        k: (str(v).lower() if isinstance(v, bool) else str(v))
        for k, v in params.items()
        if v is not None
    }
    return "/cases" + (f"?{urlencode(shown)}" if shown else "")


def _csv(body: str, filename: str) -> Response:
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


# --- the dashboard ---------------------------------------------------------------------------


@router.get("/dashboard")
async def dashboard_page(request: Request, rt: RuntimeDep, session: Manager) -> Response:
    figures = await dashboard_service.dashboard(rt.engine)
    return render(
        request,
        "pages/manager/dashboard.html",
        {
            "d": figures,
            "cases_url": cases_url,
            "chart": _chart(figures),
            "statistics_url": "/statistics?"
            + urlencode(_period_params(figures.quarter_start, figures.as_of)),
        },
    )


@router.get("/dashboard.csv")
async def dashboard_csv(rt: RuntimeDep, session: Manager) -> Response:
    figures = await dashboard_service.dashboard(rt.engine)
    return _csv(dashboard_service.dashboard_csv(figures), f"foiflow-dashboard-{figures.as_of}.csv")


@dataclass(frozen=True)
class Bar:
    month: str
    label: str  # "Jun 2024"
    issued: int
    in_time: int
    percent: int | None
    x: int
    height: int  # of the in-time bar, out of CHART_HEIGHT
    y: int


CHART_HEIGHT = 120
BAR_WIDTH = 36
BAR_GAP = 14


def _chart(figures: Dashboard) -> list[Bar]:
    """The on-time rate by month as SVG bars (attributes, not styles: the CSP allows no inline
    style)."""
    bars = []
    for i, month in enumerate(figures.on_time):
        in_time = month.in_time + month.in_time_with_extension
        percent = None if month.rate is None else round(month.rate * 100)
        height = round((month.rate or 0) * CHART_HEIGHT)
        bars.append(
            Bar(
                month=month.month,
                label=f"{month.start:%b %Y}",
                issued=month.issued,
                in_time=in_time,
                percent=percent,
                x=i * (BAR_WIDTH + BAR_GAP),
                height=height,
                y=CHART_HEIGHT - height,
            )
        )
    return bars


# --- statistics ------------------------------------------------------------------------------

DATE_PARTS = ("day", "month", "year")
LABELS = {"from": "Received from", "to": "Received to"}


def _period_params(since: date, until: date) -> dict[str, str]:
    return {"from": since.isoformat(), "to": until.isoformat()}


def _default_period(today: date) -> tuple[date, date]:
    """The last four quarters, this one included."""
    start = quarter_of(today)[1]
    for _ in range(3):
        start = quarter_of(start - timedelta(days=1))[1]
    return start, today


@dataclass
class DateField:
    name: str
    day: str = ""
    month: str = ""
    year: str = ""

    @classmethod
    def of(cls, name: str, value: date) -> DateField:
        return cls(name, str(value.day), str(value.month), str(value.year))

    def items(self, error: bool) -> list[dict[str, Any]]:
        widths = {"day": 2, "month": 2, "year": 4}
        return [
            {
                "name": part,
                "label": part.capitalize(),
                "value": getattr(self, part),
                "classes": f"govuk-input--width-{widths[part]}"
                + (" govuk-input--error" if error else ""),
            }
            for part in DATE_PARTS
        ]

    def parse(self, errors: FormErrors) -> date | None:
        label = LABELS[self.name]
        parts = {p: getattr(self, p).strip() for p in DATE_PARTS}
        missing = [p for p in DATE_PARTS if not parts[p]]
        if len(missing) == 3:
            errors.add(f"{self.name}-day", f"Enter the date for ‘{label.lower()}’")
            return None
        if missing:
            errors.add(
                f"{self.name}-{missing[0]}",
                f"‘{label}’ must include a {' and '.join(missing)}",
            )
            return None
        try:
            return date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
        except ValueError:
            errors.add(f"{self.name}-day", f"‘{label}’ must be a real date, like 1 4 2025")
            return None


def _date_field(request: Request, name: str) -> DateField | None:
    query = request.query_params
    if name in query:  # from=2025-01-01, as the CSV link and the dashboard send it
        try:
            return DateField.of(name, date.fromisoformat(query[name][:10]))
        except ValueError:
            return DateField(name, "", "", "")
    values = {p: query.get(f"{name}-{p}", "")[:8] for p in DATE_PARTS}
    if not any(f"{name}-{p}" in query for p in DATE_PARTS):
        return None
    return DateField(name, **values)


def _statistics_period(
    request: Request,
) -> tuple[DateField, DateField, FormErrors, StatisticsQuery | None]:
    today = local_date(datetime.now(UTC), LONDON)
    default_from, default_to = _default_period(today)
    since = _date_field(request, "from") or DateField.of("from", default_from)
    until = _date_field(request, "to") or DateField.of("to", default_to)
    errors = FormErrors()
    first, last = since.parse(errors), until.parse(errors)
    if first is None or last is None:
        return since, until, errors, None
    try:
        query = StatisticsQuery.model_validate({"from": first, "to": last})
    except ValidationError as exc:
        reason = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
        errors.add("to-day", f"‘Received to’ {reason.replace('from', '‘received from’')}")
        return since, until, errors, None
    return since, until, errors, query


@router.get("/statistics")
async def statistics_page(request: Request, rt: RuntimeDep, session: Manager) -> Response:
    since, until, errors, query = _statistics_period(request)
    figures = await statistics_service.statistics(rt.engine, query) if query else None
    return render(
        request,
        "pages/manager/statistics.html",
        {
            "since": since,
            "until": until,
            "errors": errors,
            "figures": figures,
            "csv_url": "/statistics.csv?"
            + urlencode(_period_params(query.received_from, query.received_to))
            if query
            else "",
        },
        status_code=422 if errors else 200,
    )


@router.get("/statistics.csv")
async def statistics_csv(
    rt: RuntimeDep,
    session: Manager,
    received_from: Annotated[date, Query(alias="from")],
    received_to: Annotated[date, Query(alias="to")],
) -> Response:
    try:
        query = StatisticsQuery.model_validate({"from": received_from, "to": received_to})
    except ValidationError as exc:
        raise Rejected.from_validation(exc) from None
    figures = await statistics_service.statistics(rt.engine, query)
    return _csv(
        statistics_service.statistics_csv(figures),
        f"foiflow-statistics-{received_from}-to-{received_to}.csv",
    )


# --- the outbox ------------------------------------------------------------------------------


def _hides_requester(actor: Actor, audience: str) -> bool:
    """An admin runs delivery but may not read what was written to the requester."""
    return audience == REQUESTER_AUDIENCE and not may_see_requester(actor)


def kind_label(kind: str | None) -> str:
    return (kind or "message").replace("_", " ").capitalize()


@router.get("/outbox")
async def outbox_page(
    request: Request,
    rt: RuntimeDep,
    session: OutboxReader,
    show: Annotated[str, Query(max_length=16)] = "all",
) -> Response:
    show = show if show in OUTBOX_SHOW else "all"
    entries = await delivery.list_outbox(
        rt.engine, status=None if show == "all" else show, limit=OUTBOX_LIMIT
    )
    return render(
        request,
        "pages/manager/outbox.html",
        {
            "entries": entries,
            "show": show,
            "filters": OUTBOX_SHOW,
            "kind_label": kind_label,
            "message_url": message_url,
            "limit": OUTBOX_LIMIT,
            # Admins work on no case: no link to a case page they would be refused.
            "case_links": may_see_requester(session.actor),
        },
    )


def message_url(key: str) -> str:
    return "/outbox/messages/" + quote(key, safe=":")


@router.get("/outbox/messages/{key:path}")
async def message_page(
    request: Request, rt: RuntimeDep, session: OutboxReader, key: MessageKey
) -> Response:
    entry = await _entry(rt, key)
    hidden = _hides_requester(session.actor, entry.audience)
    ids = {r.message_id for r in entry.recipients}
    copies = (
        []
        if hidden
        else [
            m for m in await delivery.sink_messages(rt.settings, limit=5_000) if m.message_id in ids
        ]
    )
    return render(
        request,
        "pages/manager/message.html",
        {
            "entry": entry,
            "hidden": hidden,
            "copies": copies,
            "kind_label": kind_label,
            "may_retry": entry.status == "failed"
            and not {Role.FOI_OFFICER, Role.ADMIN}.isdisjoint(session.actor.roles),
            "retried": request.query_params.get("retried") == "1",
        },
    )


async def _entry(rt: RuntimeDep, key: str) -> delivery.OutboxEntry:
    """The message with ``key``: looked for among its case's (keys start with the reference),
    then among the newest; a 404 page when it is in neither."""
    for reference in (key.split(":", 1)[0], None):
        entries = await delivery.list_outbox(rt.engine, reference=reference, limit=5_000)
        found = next((e for e in entries if e.key == key), None)
        if found is not None:
            return found
    raise CaseNotFound(key)


@router.post("/outbox/retry")
async def retry_message(
    request: Request, rt: RuntimeDep, session: OutboxSender, form: CheckedForm
) -> Response:
    key = text(form, "key", 200)
    # Retried already (by someone else, or a second click): the message page says how it
    # stands now.
    with contextlib.suppress(Rejected):
        await delivery.retry_failed(rt.engine, key)
    return RedirectResponse(message_url(key) + "?retried=1", status_code=303)
