"""The seed case (MPS 01.FOI.23.031576) entirely through the pages, in chromium: the FOI officer
registers it from the reference's request text and routes it; three unit contacts answer (one
answer refused for a missing public interest factor, then corrected); the senior officer refuses
the s31 sign-off and the units revise; both approvers sign off; the officer approves and issues
the response; the cases list shows it issued on time."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path

from playwright.async_api import expect
from temporalio.testing import WorkflowEnvironment
from test_officer_pages import fill_new_request, forms_on, received_moment
from test_unit_and_approver_pages import (
    HATE_CRIME_SEARCHES,
    S31,
    S40,
    answer_exempt,
    answer_not_held,
    decide,
    fill_claim,
)

from domain.case import CaseStatus
from services.cases import case_view
from services.context import ServiceContext
from statute.exemptions import OUTCOME_LABELS

from page_tour import OFFICER, ROOT, TourFactory

Settled = Callable[[ServiceContext, str], Awaitable[None]]
REFERENCE_TEXT = ROOT.parent / "shared" / "reference" / "mps-01.FOI.23.031576.txt"


def seed_request_text(source: Path = REFERENCE_TEXT) -> str:
    """The request as the MPS quoted it in its response: from "Please provide …" through the
    last numbered question."""
    lines = source.read_text("utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Please provide"))
    end = start + 1
    while end < len(lines) and re.match(r"^\d+\. ", lines[end]):
        end += 1
    return "\n".join(lines[start:end]) + "\n"


async def test_the_seed_case_from_registration_to_issue_through_the_pages(
    tours: TourFactory,
    env: WorkflowEnvironment,
    system: ServiceContext,
    settled: Settled,
    opened: list[str],
) -> None:
    # --- The officer registers the request as received, and routes it -------------------------
    officer = await tours(OFFICER, applicant_blind=False)
    page = officer.page
    await officer.goto("/cases", "cases")
    await page.get_by_role("link", name="New request").first.click()
    await officer.check("new-request")
    request_text = seed_request_text()
    await fill_new_request(officer, request_text, await received_moment(env))
    await officer.submit("Check", "check")
    rows = page.locator("table.foiflow-questions tbody tr")
    await expect(rows).to_have_count(7)
    for number, unit in ((1, "VAWG"), (4, "Hate crime"), (6, "Community engagement")):
        await expect(rows.nth(number - 1)).to_contain_text(unit)
    await officer.submit("Register request", "registered")
    ref = page.url.rsplit("/", 1)[-1].split("?")[0]
    opened.append(ref)
    await settled(system, ref)
    await officer.submit("Route questions", "routed")
    await expect(page.locator(".govuk-notification-banner")).to_contain_text("Questions routed")
    await settled(system, ref)

    # --- VAWG: Q1–Q3 not held --------------------------------------------------------------
    tom = await tours("tom-oduya")
    await tom.goto("/tasks", "tom-tasks")
    for q in (1, 2, 3):
        await answer_not_held(tom, ref, q)

    # --- Hate crime: Q4 refused for a missing public interest factor, then corrected ---------
    priya = await tours("priya-nair")
    await priya.goto(f"/cases/{ref}/questions/4", "q4")
    await priya.page.get_by_role("radio", name="We hold some of it").check()
    await priya.page.get_by_label("Where and how you searched").fill(HATE_CRIME_SEARCHES)
    await fill_claim(priya, 0, **{**S31, "public_interest_against": ""})
    await priya.submit("Add another exemption", "q4-second-claim")
    await fill_claim(priya, 1, **S40)
    await priya.submit("Send answer", "q4-refused")
    await expect(priya.page.locator("#claims-0-public_interest_against-error")).to_contain_text(
        "record public interest factors for and against disclosure"
    )
    await priya.page.locator("#claims-0-public_interest_against").fill(
        S31["public_interest_against"]
    )
    await priya.submit("Send answer", "q4-sent")
    await expect(priya.page.locator(".govuk-panel")).to_contain_text("Answer sent")
    await answer_exempt(priya, ref, 5)

    # --- Community engagement: Q6 and Q7 ---------------------------------------------------
    gareth = await tours("gareth-evans")
    for q in (6, 7):
        await answer_exempt(gareth, ref, q)
    await settled(system, ref)

    # The officer sees where it stands: waiting for sign-off, no response to approve yet.
    await officer.goto(f"/cases/{ref}", "case-sign-off")
    await expect(page.locator("h1 .govuk-tag")).to_have_text("Awaiting sign-off")
    await expect(page.locator("table.foiflow-sign-offs")).to_contain_text("Section 31")
    assert "approve" not in await forms_on(officer)

    # --- The senior officer refuses s31; the units revise ------------------------------------
    david = await tours("david-hughes")
    await decide(david, ref, "31", "david")
    await david.page.get_by_role("radio", name="No, refuse it and return it to the unit").check()
    reason = "State the harm to named members: the prejudice is not shown for group names"
    await david.page.get_by_label("Why you refuse it").fill(reason)
    await david.submit("Send decision", "david-s31-refused")
    await settled(system, ref)
    for tour, questions in ((priya, (4, 5)), (gareth, (6, 7))):
        for q in questions:
            await tour.goto(f"/cases/{ref}/questions/{q}", f"q{q}-returned")
            await expect(tour.page.locator(".govuk-notification-banner")).to_contain_text(reason)
            await tour.page.locator("#claims-0-prejudice").fill(
                "Named members of these groups have been threatened; disclosing the groups "
                "would identify them"
            )
            await tour.submit("Send answer", f"q{q}-revised")
            await expect(tour.page.locator(".govuk-panel")).to_contain_text("Answer sent")
    await settled(system, ref)

    # --- Both approvers sign off ---------------------------------------------------------------
    sarah = await tours("sarah-bennett")
    for tour, section, name in ((david, "31", "david"), (sarah, "40", "sarah")):
        await decide(tour, ref, section, name)
        await tour.page.get_by_role("radio", name="Yes, approve it").check()
        await tour.submit("Send decision", f"{name}-s{section}-approved")
        await settled(system, ref)

    # --- The officer reads the letter, approves and issues -------------------------------------
    await officer.goto(f"/cases/{ref}", "case-response-review")
    await expect(page.locator("h1 .govuk-tag")).to_have_text("Response to approve")
    offered = await forms_on(officer)
    assert {"approve", "withdraw"} <= offered and "issue" not in offered, offered
    letter_link = page.get_by_role("link", name="Read the letter (HTML)")
    letter = await page.request.get(officer.url(str(await letter_link.get_attribute("href"))))
    assert letter.status == 200
    body = await letter.text()
    assert "Section 31" in body and "Section 40" in body
    await officer.submit("Approve the response", "approved")
    await expect(page.locator(".govuk-notification-banner")).to_contain_text("Response approved")
    assert "issue" in await forms_on(officer)
    await settled(system, ref)
    # Not for publication needs a reason: the workflow's, on the field.
    await page.get_by_role("radio", name="No, it is not for publication").check()
    await officer.submit("Issue the response", "issue-no-reason")
    await expect(page.locator("#issue-withhold_reason-error")).to_contain_text(
        "Say why the response is not for publication in the disclosure log"
    )
    await expect(page.get_by_role("radio", name="No, it is not for publication")).to_be_checked()
    await page.get_by_role("radio", name="Yes, publish it").check()
    await officer.submit("Issue the response", "issued")
    await expect(page.locator(".govuk-notification-banner")).to_contain_text("Response issued")
    await expect(page.locator("h1 .govuk-tag")).to_have_text("Issued")
    await expect(page.locator("main")).to_contain_text("on time")
    assert await forms_on(officer) == set()

    view = await case_view(system, ref)
    assert view.status == CaseStatus.ISSUED
    assert view.on_time is True
    assert view.outcome is not None

    # --- The cases list shows it issued, on time ----------------------------------------------
    await officer.goto("/cases?status=issued", "cases-issued")
    row = page.locator("table.foiflow-cases tbody tr", has_text=ref)
    await expect(row.locator(".govuk-tag").first).to_have_text("Issued")
    await expect(row).to_contain_text("On time")
    await expect(row).to_contain_text(OUTCOME_LABELS[view.outcome])

    # --- The manager's dashboard counts it: issued this month, in time, nothing overdue ---------
    manager = await tours("olivia-grant", applicant_blind=False)
    assert manager.page.url.endswith("/dashboard"), "the manager starts on the dashboard"
    await manager.check("dashboard-after-issue")
    months = manager.page.locator("table", has_text="In time (%)").locator("tbody tr")
    issued_month = months.filter(has=manager.page.locator("td", has_text=re.compile(r"^1$")))
    await expect(issued_month).to_have_count(1)
    await expect(issued_month.locator("td").nth(2)).to_have_text("0")  # late
    await expect(issued_month.locator("td").nth(3)).to_have_text("100%")
    overdue = manager.page.locator('[data-figure="overdue"] .foiflow-figure__number')
    await expect(overdue).to_have_text("0")
