"""The reviewer's page in chromium: an issued case under review, the stage as the case page's
partial shows it, the outcome form for the assigned reviewer only — an empty form refused with
the GOV.UK error summary, an overturned outcome without what is now disclosed refused with the
workflow's reason on its field, then recorded."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from playwright.async_api import expect
from temporalio.testing import WorkflowEnvironment

from services import actions, intake, reviews
from services.context import ServiceContext
from services.directory import resolve_actor
from services.schemas import RefuseVexatiousIn

from page_tour import OFFICER, TourFactory, seed_document

Settled = Callable[[ServiceContext, str], Awaitable[None]]
REVIEWER = "olivia-grant"  # a manager, with no part in the original


async def issued_under_review(
    env: WorkflowEnvironment, system: ServiceContext, opened: list[str]
) -> str:
    officer = system.acting_as(await resolve_actor(system.engine, OFFICER))
    started = await intake.start_case(officer, seed_document(await env.get_current_time()))
    reference = started.reference
    opened.append(reference)
    await actions.refuse_vexatious(
        officer, reference, RefuseVexatiousIn(reason="The ninth request this month.")
    )
    await actions.approve_response(officer, reference)
    await actions.issue_response(officer, reference)
    today = (await env.get_current_time()).date()
    await reviews.open_review(
        officer, reference, reviews.OpenReviewIn(received_on=today, grounds="not vexatious")
    )
    await reviews.assign_reviewer(officer, reference, reviews.ReviewerIn(reviewer=REVIEWER))
    return reference


async def test_the_reviewer_records_the_outcome(
    env: WorkflowEnvironment, system: ServiceContext, opened: list[str], tours: TourFactory
) -> None:
    reference = await issued_under_review(env, system, opened)
    page_path = f"/cases/{reference}/review"

    # The officer who issued it sees the stage, but no form: the review is not theirs.
    officer = await tours(OFFICER, applicant_blind=False)
    await officer.goto(page_path, "officer")
    await expect(officer.page.locator(".foiflow-review-stages")).to_contain_text(
        "Under internal review"
    )
    await expect(officer.page.get_by_role("button", name="Record the outcome")).to_have_count(0)

    tour = await tours(REVIEWER, applicant_blind=False)
    await tour.goto(page_path, "review")
    page = tour.page
    await expect(page.locator(".foiflow-review-stages")).to_contain_text(f"Reviewer {REVIEWER}")
    await expect(page.get_by_text("What the requester disputes: not vexatious")).to_be_visible()

    await tour.submit("Record the outcome", "empty")
    await expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Select the review's outcome"
    )

    await page.get_by_label("Overturn it").check()
    await page.get_by_label("Your reasons").fill("The requests had a serious purpose.")
    await tour.submit("Record the outcome", "no-disclosure")
    await expect(page.locator("#now_disclosed-error")).to_contain_text(
        "Say what is now disclosed when the original decision is overturned"
    )
    await expect(page.get_by_label("Your reasons")).to_have_value(
        "The requests had a serious purpose."
    )

    await page.get_by_label("What is now disclosed").fill("the request will be answered in full")
    await tour.submit("Record the outcome", "recorded")
    stages = page.locator(".foiflow-review-stages")
    await expect(stages).to_contain_text("Original decision overturned")
    await expect(stages).to_contain_text("Now disclosed the request will be answered in full")
    await expect(page.get_by_role("button", name="Record the outcome")).to_have_count(0)
