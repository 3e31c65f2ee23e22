"""The manager's pages in chromium: the dashboard (each figure linking to the case list with the
filters ``services.schemas.CaseQuery`` reads, the on-time chart with its table, the CSV), the
statistics by quarter (GOV.UK date inputs with the error on the field, the CSV), and the outbox
(the seed case's acknowledgement and task messages as the local mail sink received them, a
failed message retried). A unit contact is refused all three; an admin reads the outbox but
never a message to the requester."""

from __future__ import annotations

import asyncio
import csv
import io
import sys
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from playwright.async_api import expect
from temporalio.testing import WorkflowEnvironment

from delivery.sink import Mailbox, MailSink
from services import delivery
from services.context import ServiceContext
from services.dashboard import dashboard
from services.schemas import CaseQuery
from settings import Settings
from statute import calendar_for, get_regime, local_date, packaged_calendar
from store.db import session_scope
from store.models import CaseRow, DeliveryRow, OutboxRow, TaskRow

from page_tour import REQUESTER_IDENTITY, TourFactory

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "store"))
from case_factory import add_statistics_portfolio

MANAGER = "olivia-grant"
OFFICER = "aisha-rahman"
UNIT_CONTACT = "tom-oduya"
ADMIN = "kevin-ashworth"
FOIA = calendar_for(get_regime("foia"), packaged_calendar())


def today() -> date:
    return local_date(datetime.now(UTC), "Europe/London")


@pytest.fixture(scope="module")
def sink(pages_settings: Settings) -> Iterator[MailSink]:
    """The local mail sink, keeping what it receives where the outbox page reads it."""
    with MailSink(Mailbox(pages_settings.data_dir / delivery.MAIL_DIR)) as running:
        yield running


@pytest.fixture(scope="module")
def portfolio(system: ServiceContext) -> None:
    """Open cases at known distances from their due dates on the FOIA calendar, and the
    statistics portfolio (tests/store/case_factory.py) for the statistics page."""
    now = datetime.now(UTC)
    day = today()
    dues = {
        "M-OVERDUE": FOIA.subtract_working_days(day, 3),
        "M-RED": FOIA.add_working_days(day, 1),
        "M-AMBER": FOIA.add_working_days(day, 4),
        "M-GREEN": FOIA.add_working_days(day, 12),
    }
    with session_scope(system.engine) as session:
        for reference, due in dues.items():
            session.add(
                CaseRow(
                    reference=reference,
                    version=1,
                    regime="foia",
                    status="in_progress",
                    received_at=now - timedelta(days=20),
                    due_date=due,
                    calendar_version=1,
                )
            )
        session.flush()
        session.add(
            TaskRow(
                reference="M-OVERDUE",
                question=1,
                text="Question 1",
                unit="hate-crime",
                status="open",
                routed_on=day - timedelta(days=20),
                internal_due=day - timedelta(days=5),
            )
        )
        # Responses issued over the last months, for the on-time chart: a month in two late.
        for n in range(10):
            issued = now - timedelta(days=15 + 30 * n)
            session.add(
                CaseRow(
                    reference=f"M-ISSUED-{n}",
                    version=1,
                    regime="foia",
                    status="issued",
                    received_at=issued - timedelta(days=25),
                    due_date=(issued + timedelta(days=2)).date(),
                    calendar_version=1,
                    issued_at=issued,
                    on_time=n % 2 == 0,
                    on_time_with_extensions=n % 2 == 0,
                    outcome="granted_in_full",
                )
            )
        add_statistics_portfolio(session)


def params(href: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(href).query))


async def test_the_dashboard_links_each_figure_to_the_case_list_and_exports_csv(
    tours: TourFactory, system: ServiceContext, portfolio: None
) -> None:
    figures = await dashboard(system.engine)
    red_before = FOIA.add_working_days(today(), 3).isoformat()
    amber_before = FOIA.add_working_days(today(), 6).isoformat()
    tour = await tours(MANAGER, applicant_blind=False)
    assert tour.page.url.endswith("/dashboard"), "the manager starts on the dashboard"
    html = await tour.check("dashboard")
    page = tour.page
    assert "overdue, or 2 working days or fewer left" in html
    assert "3 to 5 working days left" in html and "more than 5 working days left" in html

    overdue = page.locator("a[data-figure='overdue']")
    await expect(overdue).to_contain_text(str(figures.totals.overdue))
    assert figures.totals.overdue >= 1
    assert await overdue.get_attribute("href") == "/cases?overdue=true"
    in_progress = next(s for s in figures.by_status if s.status == "in_progress")
    red = page.locator("a[data-figure='red-in_progress']")
    await expect(red).to_contain_text(str(in_progress.red))
    assert params(await red.get_attribute("href") or "") == {
        "status": "in_progress",
        "due_before": red_before,
    }
    breaching = page.locator("a[data-figure='breaching-in_progress']")
    await expect(breaching).to_contain_text(f"{in_progress.breaching} case")
    assert params(await breaching.get_attribute("href") or "") == {
        "status": "in_progress",
        "overdue": "false",
        "due_before": amber_before,
    }
    unit = page.locator("a[data-figure='unit-hate-crime']")
    assert params(await unit.get_attribute("href") or "") == {
        "unit": "hate-crime",
        "status": "in_progress",
    }
    failures = page.locator("a[data-figure='delivery-failures']")
    assert await failures.get_attribute("href") == "/outbox?show=failed"
    # Every link to the case list carries only filters the list reads, with valid values.
    hrefs = await page.locator("a[href^='/cases']").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    assert len(hrefs) >= 5
    for href in hrefs:
        assert urlsplit(href).path == "/cases"
        CaseQuery.model_validate(params(href))

    rows = page.locator("#on-time-table tbody tr")
    await expect(rows).to_have_count(12)
    issued = sum(m.issued for m in figures.on_time)
    assert issued >= 9  # ten responses over about ten months, all inside the twelve shown
    bars = page.locator(".foiflow-chart__bar")
    await expect(bars).to_have_count(12)
    latest = figures.on_time[-1]
    await expect(rows.last.locator("td").first).to_have_text(str(latest.issued))

    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Download the figures as CSV").click()
    download = await download_info.value
    saved = await download.path()
    found = {(r[0], r[1]): r[2] for r in csv.reader(io.StringIO(saved.read_text()))}
    assert found["open_cases", "red"] == str(figures.totals.red)
    assert found["open_cases", "amber"] == str(figures.totals.amber)
    assert found["unit_overdue_tasks", "hate-crime"] == "1"

    statistics = page.locator("a[data-figure='statistics']")
    await statistics.click()
    await tour.check("dashboard-quarter-statistics")
    assert "/statistics?from=" in page.url


async def test_statistics_by_quarter_with_the_period_checked_on_its_fields(
    tours: TourFactory, portfolio: None
) -> None:
    tour = await tours(OFFICER, applicant_blind=False)
    html = await tour.goto("/statistics?from=2025-01-01&to=2025-06-30", "statistics")
    page = tour.page
    assert "2025-Q1" in html and "2025-Q2" in html
    received = page.locator("#statistics tbody tr").filter(has_text="Received")
    await expect(received.locator("td")).to_have_text(["9", "5", "14"])
    await expect(page.locator("#exemptions")).to_contain_text("s31 Law enforcement")
    reviews = page.locator("#reviews + p + .govuk-summary-list .govuk-summary-list__row")
    await expect(reviews.locator("dd")).to_have_text(["5", "2", "1", "1", "3", "1"])

    await page.locator("#to-month").fill("13")
    await tour.submit("Show statistics", "statistics-bad-date")
    assert (await page.title()).startswith("Error: ")
    await expect(page.locator(".govuk-error-summary")).to_contain_text(
        "‘Received to’ must be a real date"
    )
    await expect(page.locator("#to-day-error, #to-error")).to_contain_text("must be a real date")
    await expect(page.locator("#to-month")).to_have_value("13")  # what was typed stays

    await page.locator("#to-month").fill("12")
    await page.locator("#to-year").fill("2024")
    await tour.submit("Show statistics", "statistics-backwards")
    await expect(page.locator(".govuk-error-summary")).to_contain_text("before")

    await tour.goto("/statistics?from=2025-01-01&to=2025-06-30", "statistics-again")
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Download these statistics as CSV").click()
    saved = await (await download_info.value).path()
    rows = list(csv.reader(io.StringIO(saved.read_text())))
    assert [r[0] for r in rows] == ["period", "2025-Q1", "2025-Q2", "total"]
    assert rows[-1][3] == "14"


async def test_the_outbox_shows_what_the_mail_sink_received_and_retries_a_failure(
    tours: TourFactory,
    system: ServiceContext,
    pages_settings: Settings,
    sink: MailSink,
    start_seed_case: Callable[[], Awaitable[str]],
    settled: Callable[[ServiceContext, str], Awaitable[None]],
    env: WorkflowEnvironment,
) -> None:
    ref = await start_seed_case()
    await settled(system, ref)
    dispatcher = delivery.build_dispatcher(
        pages_settings.model_copy(update={"smtp_port": sink.port}),
        requester=delivery.temporal_requesters(system.client, asyncio.get_running_loop()),
        mailbox=sink.mailbox,
    )
    # A first pass plans each message for working hours; the second sends them then.
    await asyncio.to_thread(dispatcher.run_once, await env.get_current_time())
    pending = await delivery.list_outbox(system.engine, reference=ref, status="pending")
    at = max(
        [e.not_before for e in pending if e.not_before] or [await env.get_current_time()]
    ) + timedelta(minutes=1)
    await asyncio.to_thread(dispatcher.run_once, at)
    sent = await delivery.list_outbox(system.engine, reference=ref, status="sent")
    assert "acknowledgement" in {e.kind for e in sent}, [(e.kind, e.status) for e in sent]
    with session_scope(system.engine) as session:
        failed = OutboxRow(
            key=f"{ref}:task_reminder:vawg:failed-in-test",
            audience="unit:vawg",
            subject=f"Reminder: {ref}",
            body="Questions 1 to 3 are due soon.",
            reference=ref,
            kind="task_reminder",
            status="failed",
            attempts=5,
            failed_at=at,
            last_error="550 mailbox unavailable",
        )
        session.add(failed)
        session.flush()
        assert failed.id is not None
        session.add(
            DeliveryRow(
                outbox_id=failed.id,
                recipient="tom-oduya",
                channel="email",
                address="tom.oduya@example.org",
                message_id=f"<failed-in-test.{ref}@foiflow>",
                status="failed",
                attempts=5,
                last_error="550 mailbox unavailable",
            )
        )

    tour = await tours(OFFICER, applicant_blind=False)
    html = await tour.goto("/outbox", "outbox")
    page = tour.page
    assert "Acknowledgement" in html and "Task assigned" in html and ref in html
    await page.get_by_role("link", name=f"Acknowledgement for {ref} to requester").click()
    html = await tour.check("outbox-acknowledgement")
    sent = page.locator("#sent-1")
    await expect(sent).to_contain_text(ref)
    copies = [m for m in await delivery.sink_messages(pages_settings) if m.reference == ref]
    acknowledgement = next(m for m in copies if m.kind == "acknowledgement")
    first_lines = [line for line in acknowledgement.text.splitlines() if line.strip()][:3]
    assert len(first_lines) == 3 and all(line in html for line in first_lines)
    assert "As the local mail sink received it" in html
    # What the units were sent never says who asked.
    to_units = [m for m in copies if m.kind == "task_assigned"]
    assert len(to_units) == 3
    for message in to_units:
        assert not any(trace in message.text + message.html for trace in REQUESTER_IDENTITY)

    await tour.goto("/outbox?show=failed", "outbox-failed")
    await page.get_by_role("link", name=f"Task reminder for {ref} to unit:vawg").click()
    html = await tour.check("outbox-failed-message")
    assert "550 mailbox unavailable" in html
    await tour.submit("Retry sending", "outbox-retried")
    await expect(page.locator(".govuk-notification-banner")).to_contain_text("will be sent again")
    entries = await delivery.list_outbox(system.engine, reference=ref)
    assert next(e for e in entries if e.key.endswith("failed-in-test")).status == "pending"

    # The admin runs delivery but never reads what was written to the requester.
    admin = await tours(ADMIN)
    await admin.goto("/outbox", "outbox-admin")
    await admin.page.get_by_role("link", name=f"Acknowledgement for {ref} to requester").click()
    html = await admin.check("outbox-admin-acknowledgement")
    assert "only FOI officers and managers can read it" in html
    assert 'id="sent-1"' not in html and first_lines[0] not in html


@pytest.mark.parametrize("path", ["/dashboard", "/dashboard.csv", "/statistics", "/outbox"])
async def test_a_unit_contact_may_not_see_the_managers_pages(tours: TourFactory, path: str) -> None:
    tour = await tours(UNIT_CONTACT)
    response = await tour.page.goto(tour.url(path))
    assert response is not None and response.status == 403
    html = await tour.check(f"forbidden-{path.strip('/').replace('.', '-')}")
    assert "You cannot see this page" in html


async def test_an_admin_may_not_see_the_dashboard_or_statistics(tours: TourFactory) -> None:
    tour = await tours(ADMIN)
    for path in ("/dashboard", "/statistics"):
        response = await tour.page.goto(tour.url(path))
        assert response is not None and response.status == 403
