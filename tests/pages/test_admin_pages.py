"""The admin's pages in chromium: units, users, routing rules, the sign-off policy and the
authority's settings added and changed through their forms (a refused value shown on its field,
everything typed kept, nothing saved); a proclaimed holiday previewed with the number of running
cases whose due date moves, then saved and told to them; 403 for everyone else; CSRF.

The module runs on the Temporal dev server instead of the time-skipping one: telling running
cases about a holiday is a batch signal over visibility, which only the dev server has.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from playwright.async_api import expect
from sqlalchemy import select
from sqlmodel import col
from temporalio.testing import WorkflowEnvironment

from services import intake
from services.cases import case_view
from services.context import ServiceContext
from services.directory import resolve_actor
from services.temporal import RUNNING_CASES
from settings import Settings
from statute.calendar import WorkingDayCalendar
from statute.regimes import FOIA
from store.calendars import calendar_repository
from store.db import get_engine, session_scope
from store.models import CaseRow

from page_tour import OFFICER, Tour, TourFactory, seed_document

ADMIN = "kevin-ashworth"
ADMIN_PAGES = [
    "/admin",
    "/admin/units",
    "/admin/units/new",
    "/admin/units/vawg",
    "/admin/users",
    "/admin/users/new",
    "/admin/users/tom-oduya",
    "/admin/users/tom-oduya/password",
    "/admin/routing-rules",
    "/admin/routing-rules/new",
    "/admin/routing-rules/1",
    "/admin/sign-off-policy",
    "/admin/sign-off-policy/43",
    "/admin/settings",
    "/admin/calendars",
    "/admin/calendars/holiday?date=2027-03-03&division=scotland&reason=Test",
]
ADMIN_FORMS = [
    "/admin/units/new",
    "/admin/units/vawg",
    "/admin/users/new",
    "/admin/users/tom-oduya",
    "/admin/users/tom-oduya/password",
    "/admin/routing-rules/new",
    "/admin/routing-rules/1",
    "/admin/sign-off-policy/43",
    "/admin/settings",
    "/admin/calendars",
    "/admin/calendars/holiday",
]


@pytest.fixture(scope="module")
async def env(dev_env: WorkflowEnvironment) -> AsyncIterator[WorkflowEnvironment]:
    """This module's pages, worker and cases run on the dev server (see the docstring)."""
    yield dev_env


async def field_error(tour: Tour, field: str, message: str) -> None:
    """``message`` in the error summary, linked to ``field``, and on the field itself."""
    page = tour.page
    assert (await page.title()).startswith("Error: ")
    summary = page.locator(".govuk-error-summary")
    await expect(summary.locator(f"a[href='#{field}']")).to_contain_text(message)
    # A date's message belongs to its three boxes: "date-error", linked from "#date-day".
    await expect(page.locator(f"#{field.removesuffix('-day')}-error")).to_contain_text(message)


async def test_units_are_listed_added_and_changed(tours: TourFactory) -> None:
    tour = await tours(ADMIN)
    page = tour.page
    assert page.url == tour.url("/admin/units")  # an admin starts on the admin pages
    await expect(page.get_by_role("navigation", name="Your work")).to_contain_text("Admin")
    await expect(page.locator(".moj-sub-navigation [aria-current=page]")).to_have_text("Units")
    await expect(page.locator("table")).to_contain_text("Hate crime unit")
    await expect(page.locator("table")).to_contain_text("Helen Marsh")

    await page.get_by_role("button", name="Add a unit").click()
    await tour.check("new-unit")
    # A unit id already taken: refused on the id, the rest kept.
    await page.get_by_label("Unit id").fill("vawg")
    await page.get_by_label("Name").fill("Economic crime unit")
    await page.get_by_label("Team mailbox (optional)").fill("economic-crime@example.org")
    await tour.submit("Add unit", "unit-id-taken")
    await field_error(tour, "id", "Unit 'vawg' already exists")
    await expect(page.get_by_label("Name")).to_have_value("Economic crime unit")
    await expect(page.get_by_label("Team mailbox (optional)")).to_have_value(
        "economic-crime@example.org"
    )
    # An id the store cannot hold: the schema's reason, on the field.
    await page.get_by_label("Unit id").fill("Economic Crime")
    await tour.submit("Add unit", "unit-id-bad")
    await field_error(tour, "id", "Use only lower-case letters, numbers, hyphens")

    await page.get_by_label("Unit id").fill("economic-crime")
    await page.get_by_label("Manager").select_option("samuel-okafor")
    await tour.submit("Add unit", "unit-added")
    assert page.url == tour.url("/admin/units?saved=economic-crime")
    await expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Economic crime unit saved"
    )
    row = page.locator("tr", has_text="economic-crime")
    await expect(row).to_contain_text("Samuel Okafor")

    await row.get_by_role("link", name="Change").click()
    await tour.check("change-unit")
    await page.get_by_label("Name").fill("")
    await tour.submit("Save unit", "unit-name-empty")
    await field_error(tour, "name", "String should have at least 1 character")
    await page.get_by_label("Name").fill("Economic crime and fraud unit")
    await page.get_by_label("Manager").select_option("")
    await tour.submit("Save unit", "unit-changed")
    row = page.locator("tr", has_text="economic-crime")
    await expect(row).to_contain_text("Economic crime and fraud unit")
    await expect(row.locator("td").nth(1)).to_have_text("None")


async def test_users_are_added_given_a_password_changed_and_deactivated(
    tours: TourFactory,
) -> None:
    tour = await tours(ADMIN)
    page = tour.page
    await tour.goto("/admin/users", "users")
    await expect(page.locator("tr", has_text="Tom Oduya")).to_contain_text("Unit contact")

    await page.get_by_role("button", name="Add a user").click()
    await tour.check("new-user")
    await page.get_by_label("Username").fill("nadia-khan")
    await page.get_by_label("Full name").fill("Nadia Khan")
    await page.get_by_label("Email address").fill("not an address")
    await page.get_by_label("Unit contact").check()
    await page.get_by_label("VAWG strategic unit").check()
    await tour.submit("Add user", "user-email-bad")
    await field_error(tour, "email", "Enter an email address in the correct format")
    await expect(page.get_by_label("Unit contact")).to_be_checked()
    await expect(page.get_by_label("VAWG strategic unit")).to_be_checked()
    await page.get_by_label("Email address").fill("nadia.khan@example.org")
    await tour.submit("Add user", "user-added")

    # Next: their password. Twice the same, and long enough, or nothing is set.
    assert page.url == tour.url("/admin/users/nadia-khan/password?new=1")
    await expect(page.locator(".govuk-notification-banner")).to_contain_text("Nadia Khan added")
    await page.get_by_label("New password", exact=True).fill("short")
    await page.get_by_label("Confirm the password").fill("short")
    await tour.submit("Set password", "password-short")
    await field_error(tour, "password", "Must be at least 10 characters")
    await page.get_by_label("New password", exact=True).fill("a long enough passphrase")
    await page.get_by_label("Confirm the password").fill("a long enough passphrase!")
    await tour.submit("Set password", "password-mismatch")
    await field_error(tour, "confirm", "Enter the same password twice")
    await page.get_by_label("New password", exact=True).fill("a long enough passphrase")
    await page.get_by_label("Confirm the password").fill("a long enough passphrase")
    await tour.submit("Set password", "password-set")
    await expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Nadia Khan’s password is set"
    )
    row = page.locator("tr", has_text="nadia-khan")
    await expect(row.locator(".govuk-tag")).to_have_text("Active")

    # She can sign in with it, and sees her unit's tasks.
    nadia = await tours()
    await nadia.goto("/sign-in", "nadia-sign-in")
    await nadia.page.get_by_label("Username").fill("nadia-khan")
    await nadia.page.get_by_label("Password", exact=True).fill("a long enough passphrase")
    await nadia.submit("Sign in", "nadia-tasks")
    assert nadia.page.url == nadia.url("/tasks")

    await row.get_by_role("link", name="Change Nadia Khan").click()
    await tour.check("change-user")
    await page.get_by_label("Hate crime unit").check()
    await page.get_by_label("No, deactivated").check()
    await tour.submit("Save user", "user-deactivated")
    row = page.locator("tr", has_text="nadia-khan")
    await expect(row).to_contain_text("vawg")
    await expect(row).to_contain_text("hate-crime")
    await expect(row.locator(".govuk-tag")).to_have_text("Deactivated")
    await nadia.page.goto(nadia.url("/tasks"))
    assert "/sign-in" in nadia.page.url  # her session ended with her account

    # An admin cannot lock themselves out: the service's reason, nothing saved.
    await tour.goto(f"/admin/users/{ADMIN}", "change-myself")
    await page.get_by_label("Admin (reference data and calendars)").uncheck()
    await tour.submit("Save user", "remove-own-admin")
    assert (await page.title()).startswith("Error: ")
    await expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Admins cannot remove their own admin role"
    )
    await expect(page.get_by_label("Admin (reference data and calendars)")).not_to_be_checked()
    await tour.goto("/admin/users", "users-unchanged")
    await expect(page.locator("tr", has_text=ADMIN)).to_contain_text("Admin")


async def test_routing_rules_in_priority_order_added_and_a_negative_priority_refused(
    tours: TourFactory,
) -> None:
    tour = await tours(ADMIN)
    page = tour.page
    await tour.goto("/admin/routing-rules", "rules")
    priorities = await page.locator("tbody tr td:first-child").all_inner_texts()
    assert priorities == sorted(priorities, key=int) and priorities[-1] == "20"

    await page.get_by_role("button", name="Add a routing rule").click()
    await tour.check("new-rule")
    await page.get_by_label("Phrase").fill("stalking")
    await page.get_by_label("Unit it suggests").select_option("vawg")
    await page.get_by_label("Priority").fill("30")
    await tour.submit("Add rule", "rule-added")
    await expect(page.locator(".govuk-notification-banner")).to_contain_text("“stalking” saved")
    row = page.locator("tr", has_text="stalking")
    await expect(row).to_contain_text("VAWG strategic unit")
    await expect(page.locator("tbody tr").last).to_contain_text("stalking")  # 30: last

    await row.get_by_role("link").click()
    await tour.check("change-rule")
    await page.get_by_label("Priority").fill("-5")
    await page.get_by_label("Unit it suggests").select_option("hate-crime")
    await tour.submit("Save rule", "rule-negative-priority")
    await field_error(tour, "priority", "greater than or equal to 0")
    await expect(page.get_by_label("Priority")).to_have_value("-5")
    await expect(page.get_by_label("Unit it suggests")).to_have_value("hate-crime")
    await tour.goto("/admin/routing-rules", "rule-unchanged")
    await expect(page.locator("tr", has_text="stalking")).to_contain_text("VAWG strategic unit")

    await page.locator("tr", has_text="stalking").get_by_role("link").click()
    await page.get_by_label("Priority").fill("5")
    await tour.submit("Save rule", "rule-changed")
    await expect(page.locator("tbody tr").first).to_contain_text("stalking")  # 5: first now


async def test_the_sign_off_policy_is_changed_per_section_within_the_act(
    tours: TourFactory,
) -> None:
    tour = await tours(ADMIN)
    page = tour.page
    await tour.goto("/admin/sign-off-policy", "sign-off-policy")
    s43 = page.locator("tr", has_text="Section 43")
    await expect(s43).to_contain_text("Senior officer")
    await expect(page.locator("tr", has_text="Section 40 ")).to_contain_text(
        "Data protection officer"
    )

    await s43.get_by_role("link").click()
    await tour.check("section-43")
    await page.get_by_label("Data protection officer").check()
    await tour.submit("Save", "section-43-saved")
    await expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Section 43 is now signed off by the data protection officer"
    )
    await expect(page.locator("tr", has_text="Section 43")).to_contain_text(
        "Data protection officer"
    )

    # s36 is the qualified person's by statute: any other role is refused on the field.
    await tour.goto("/admin/sign-off-policy/36", "section-36")
    await page.get_by_label("Senior officer").check()
    await tour.submit("Save", "section-36-refused")
    await field_error(tour, "role", "needs the qualified person")
    await expect(page.get_by_label("Senior officer")).to_be_checked()


async def test_a_bad_setting_is_refused_on_its_field_and_nothing_is_saved(
    tours: TourFactory,
) -> None:
    tour = await tours(ADMIN)
    page = tour.page
    await tour.goto("/admin/settings", "settings")
    await expect(page.get_by_label("Name of the authority")).to_have_value(
        "Metropolitan Police Service"
    )
    await expect(page.get_by_label("Hour reminders are sent")).to_have_value("9")

    await page.get_by_label("Name of the authority").fill("Example Constabulary")
    await page.get_by_label("Hour reminders are sent").fill("25")
    await page.get_by_label("Case reference pattern").fill("{force}.FOI.{yy}")
    await tour.submit("Save settings", "settings-refused")
    await field_error(tour, "reminders-send_hour", "Input should be less than or equal to 23")
    await field_error(tour, "reference_pattern", "has no {seq}")
    await expect(page.get_by_label("Name of the authority")).to_have_value("Example Constabulary")
    await expect(page.get_by_label("Hour reminders are sent")).to_have_value("25")
    await tour.goto("/admin/settings", "settings-unchanged")
    await expect(page.get_by_label("Name of the authority")).to_have_value(
        "Metropolitan Police Service"
    )
    await expect(page.get_by_label("Hour reminders are sent")).to_have_value("9")

    await page.get_by_label("Hour reminders are sent").fill("8")
    await page.get_by_label("Alert on the statutory due date").uncheck()
    await tour.submit("Save settings", "settings-saved")
    await expect(page.locator(".govuk-notification-banner")).to_contain_text("Settings saved")
    await expect(page.get_by_label("Hour reminders are sent")).to_have_value("8")
    await expect(page.get_by_label("Alert on the statutory due date")).not_to_be_checked()
    await expect(
        page.get_by_label("Tell the unit’s manager when a unit’s answer is overdue")
    ).to_be_checked()


def _first_working_day_after(settings: Settings, day: dt.date, working_days: int) -> dt.date:
    calendar = WorkingDayCalendar(
        calendar_repository(settings).latest(), FOIA.divisions, FOIA.fixed_days
    )
    return calendar.add_working_days(day, working_days)


async def _projected(settings: Settings, references: list[str]) -> dict[str, CaseRow]:
    """The read model's rows for ``references``, once the workflows have projected them."""
    engine = get_engine(settings.database_url)
    for _ in range(200):
        with session_scope(engine) as session:
            rows = session.scalars(
                select(CaseRow).where(col(CaseRow.reference).in_(references))
            ).all()
            found = {r.reference: r for r in rows if r.due_date is not None}
            for row in found.values():
                session.expunge(row)
        if len(found) == len(references):
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"the read model never held {references}")


async def _running(env: WorkflowEnvironment, expected: int) -> None:
    # Visibility is eventually consistent: the batch signal reaches the cases it lists.
    for _ in range(200):
        if (await env.client.count_workflows(RUNNING_CASES)).count == expected:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"visibility never listed {expected} running case(s)")


async def test_a_proclaimed_holiday_shows_the_cases_it_moves_then_tells_running_cases(
    tours: TourFactory,
    env: WorkflowEnvironment,
    system: ServiceContext,
    opened: list[str],
    pages_settings: Settings,
    start_seed_case: Callable[[], Awaitable[str]],
) -> None:
    # Two running cases: one received today (its 20 working days span the new holiday) and one
    # received 60 days ago (its due date has passed: the holiday is outside its count).
    current = await start_seed_case()
    officer = system.acting_as(await resolve_actor(system.engine, OFFICER))
    now = await env.get_current_time()
    earlier = await intake.start_case(officer, seed_document(now - dt.timedelta(days=60)))
    opened.append(earlier.reference)
    before = await _projected(pages_settings, [current, earlier.reference])
    today = before[current].received_at.date()
    holiday = _first_working_day_after(pages_settings, today, 3)
    assert before[earlier.reference].due_date < holiday <= before[current].due_date  # type: ignore[operator]
    await _running(env, 2)

    tour = await tours(ADMIN)
    page = tour.page
    await tour.goto("/admin/calendars", "calendars")
    await expect(page.locator("tbody tr").first).to_contain_text("In use")
    versions = await page.locator("tbody tr").count()

    # Nothing typed: each field says what it needs.
    await tour.submit("Continue", "holiday-empty")
    await field_error(tour, "date-day", "Enter the date of the holiday")
    await field_error(tour, "reason", "Enter the name of the holiday")
    await field_error(tour, "division", "Select where it is a bank holiday")
    # Christmas Day is a holiday already: the service's reason, on the date.
    await page.get_by_label("Day", exact=True).fill("25")
    await page.get_by_label("Month", exact=True).fill("12")
    await page.get_by_label("Year", exact=True).fill(str(today.year))
    await page.get_by_label("Name of the holiday").fill("State funeral")
    await page.get_by_label("All of the UK").check()
    await tour.submit("Continue", "holiday-already")
    await field_error(tour, "date-day", "is already a bank holiday")
    await expect(page.get_by_label("Name of the holiday")).to_have_value("State funeral")

    await page.get_by_label("Day", exact=True).fill(str(holiday.day))
    await page.get_by_label("Month", exact=True).fill(str(holiday.month))
    await page.get_by_label("Year", exact=True).fill(str(holiday.year))
    await page.get_by_label("England and Wales").check()
    await tour.submit("Continue", "holiday-check")
    assert page.url.startswith(tour.url("/admin/calendars/holiday?"))
    moving = page.locator("#moving")
    await expect(moving).to_contain_text("1 running case of 2 open has its due date moved")
    await page.get_by_text("Cases whose due date moves").click()
    await expect(page.locator(".govuk-details__text")).to_have_text(current)
    # Nothing is saved until confirmed.
    assert len(calendar_repository(pages_settings).versions()) == versions
    form = page.locator("form[action='/admin/calendars/holiday']")
    confirm = {
        name: await form.locator(f"input[name='{name}']").input_value()
        for name in ("csrf_token", "date", "division", "reason")
    }

    await tour.submit("Save the holiday and tell running cases", "holiday-saved")
    assert re.search(r"/admin/calendars\?added=\d+&told=2$", page.url), page.url
    banner = page.locator(".govuk-notification-banner")
    await expect(banner).to_contain_text(f"Calendar version {versions + 1} saved")
    await expect(banner).to_contain_text("State funeral")
    await expect(banner).to_contain_text("2 running cases told to recount their deadlines")
    await expect(page.locator("tbody tr")).to_have_count(versions + 1)

    # The cases recount: the one whose count spans the day ends a working day later.
    expected = _first_working_day_after(pages_settings, before[current].due_date, 1)  # type: ignore[arg-type]
    views: dict[str, Any] = {}
    for _ in range(200):
        views = {r: await case_view(system, r) for r in (current, earlier.reference)}
        if views[current].clock.due_date == expected:
            break
        await asyncio.sleep(0.05)
    assert views[current].clock.due_date == expected
    assert views[earlier.reference].clock.due_date == before[earlier.reference].due_date

    # The same holiday sent again (a resent form) is refused, not saved twice.
    again = await tour.context.request.post(tour.url("/admin/calendars/holiday"), form=confirm)
    assert again.status == 422
    assert "is already a bank holiday" in await again.text()
    assert len(calendar_repository(pages_settings).versions()) == versions + 1


async def test_the_admin_forms_work_without_javascript(tours: TourFactory) -> None:
    tour = await tours(ADMIN, javascript=False)
    page = tour.page
    await tour.goto("/admin/routing-rules/new", "new-rule")
    await page.get_by_label("Phrase").fill("honour-based abuse")
    await page.get_by_label("Unit it suggests").select_option("vawg")
    await page.get_by_label("Priority").fill("ten")
    await tour.submit("Add rule", "rule-priority-not-a-number")
    await field_error(tour, "priority", "Input should be a valid integer")
    await expect(page.get_by_label("Phrase")).to_have_value("honour-based abuse")
    await page.get_by_label("Priority").fill("15")
    await tour.submit("Add rule", "rule-added")
    await expect(page.locator("tr", has_text="honour-based abuse")).to_contain_text("15")


async def test_everyone_else_gets_403_on_every_admin_page(tours: TourFactory) -> None:
    for user in (OFFICER, "tom-oduya", "olivia-grant"):
        tour = await tours(user, applicant_blind=False)
        nav = tour.page.get_by_role("navigation", name="Your work")
        if await nav.count():
            await expect(nav).not_to_contain_text("Admin")
        token = await tour.page.locator("input[name='csrf_token']").first.input_value()
        for path in ADMIN_PAGES:
            response = await tour.context.request.get(tour.url(path), max_redirects=0)
            assert response.status == 403, (user, path, response.status)
        for path in ADMIN_FORMS:
            response = await tour.context.request.post(
                tour.url(path), form={"csrf_token": token, "name": "x"}, max_redirects=0
            )
            assert response.status == 403, (user, path, response.status)
    tour = await tours(OFFICER, applicant_blind=False)
    await tour.goto("/admin/settings", "officer-forbidden")
    await expect(tour.page.get_by_role("heading", level=1)).to_have_text("You cannot see this page")


async def test_an_admin_form_without_its_csrf_token_is_refused(tours: TourFactory) -> None:
    tour = await tours(ADMIN)
    page = tour.page
    await tour.goto("/admin/units/new", "new-unit")
    await page.get_by_label("Unit id").fill("forged")
    await page.get_by_label("Name").fill("Forged unit")
    await page.locator("main input[name='csrf_token']").evaluate("input => input.remove()")
    async with page.expect_navigation():
        await page.get_by_role("button", name="Add unit").click()
    await tour.check("csrf-refused")
    await expect(page.get_by_role("heading", level=1)).to_have_text("The form could not be sent")
    wrong = await tour.context.request.post(
        tour.url("/admin/settings"),
        form={"csrf_token": "0" * 64, "name": "Forged"},
        max_redirects=0,
    )
    assert wrong.status == 403
    await tour.goto("/admin/units", "units-unchanged")
    await expect(page.locator("table")).not_to_contain_text("Forged unit")
