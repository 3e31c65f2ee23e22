"""The FOI officer's pages in chromium: the cases list (filters, bad filters, paging), a new
request (checked, registered, registered again), the case page's action forms (only those the
transition table allows now; each works; a refusal on its field), what a unit contact may not
reach, and CSRF."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, time, timedelta

from playwright.async_api import expect
from temporalio.testing import WorkflowEnvironment

from domain.case import CaseStatus
from services import actions, intake
from services.cases import case_view
from services.context import ServiceContext
from services.directory import resolve_actor
from services.schemas import RoutesIn, WithdrawIn
from web.pages.formatting import LONDON_ZONE, uk_date
from web.pages.intake_form import parse_time
from web.pages.routes.cases import case_query, pagination

from page_tour import OFFICER, REQUESTER_IDENTITY, ROOT, Tour, TourFactory, seed_document

DEMO_ANSWER = ROOT / "cli" / "demo" / "answer-exempt.yaml"
Settled = Callable[[ServiceContext, str], Awaitable[None]]
StartSeed = Callable[[], Awaitable[str]]
UK_DATE = re.compile(
    r"(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday) [1-9]\d? "
    r"(January|February|March|April|May|June|July|August|September|October|November|December) "
    r"20\d\d"
)
REQUEST = (
    "Dear FOI team,\n"
    "Please provide the following information:\n"
    "1. All organisations and community groups represented on your VAWG panel\n"
    "2. All organisations and community groups on any hate crime advisory panels\n"
)


async def received_moment(env: WorkflowEnvironment) -> datetime:
    """A receipt time both clocks have passed: the test server's (which the case counts on)
    and the real one (the page refuses a receipt in the future)."""
    now = min(await env.get_current_time(), datetime.now(UTC))
    return (now - timedelta(minutes=5)).astimezone(LONDON_ZONE).replace(second=0, microsecond=0)


async def fill_new_request(tour: Tour, text: str, at: datetime, name: str = "A. Requester") -> None:
    page = tour.page
    await page.get_by_label("The request as received").fill(text)
    await page.get_by_label("Day").fill(str(at.day))
    await page.get_by_label("Month").fill(str(at.month))
    await page.get_by_label("Year").fill(str(at.year))
    await page.get_by_label("Time received").fill(f"{at:%H:%M}")
    await page.get_by_role("radio", name="Email", exact=True).check()
    await page.get_by_label("Name", exact=True).fill(name)
    await page.get_by_label("Email address (optional)").fill("requester@example.org")
    await page.get_by_role("radio", name="Freedom of Information Act 2000").check()


async def forms_on(tour: Tour) -> set[str]:
    ids = await tour.page.locator("form.foiflow-action").evaluate_all("fs => fs.map(f => f.id)")
    return {str(i).removeprefix("form-") for i in ids}


async def test_a_new_request_is_checked_registered_and_registered_again_to_the_same_case(
    tours: TourFactory, env: WorkflowEnvironment, system: ServiceContext, settled: Settled
) -> None:
    officer = await tours(OFFICER, applicant_blind=False)
    page = officer.page
    await officer.goto("/cases/new", "new-request")
    await expect(page.get_by_role("link", name="New request")).to_have_attribute(
        "aria-current", "page"
    )

    # Nothing typed: each missing field is named, on the field.
    await page.get_by_label("Day").fill("")
    await page.get_by_label("Time received").fill("half nine")
    await officer.submit("Check", "new-request-empty")
    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_contain_text("Enter the request as it was received")
    await expect(summary).to_contain_text("Enter the date the request was received")
    await expect(page.locator("#requester-name-error")).to_contain_text(
        "Enter the requester's name"
    )
    await expect(page.locator("#received_time-error")).to_contain_text(
        "Enter the time received like 9:30am or 14:30"
    )
    await expect(page.get_by_label("Time received")).to_have_value("half nine")

    # A request with no questions in it: the intake service's reason, on the request's field.
    at = await received_moment(env)
    await fill_new_request(officer, "Hello", at)
    await page.get_by_label("Email address (optional)").fill("not an address")
    await officer.submit("Check", "new-request-bad-email")
    await expect(page.locator("#requester-email-error")).to_contain_text(
        "Enter an email address in the correct format"
    )
    await expect(page.get_by_label("The request as received")).to_have_value("Hello")

    await fill_new_request(officer, REQUEST, at)
    html = await officer.submit("Check", "check")
    main = page.locator("main")
    await expect(page.locator("h1")).to_have_text("Check the request before registering it")
    rows = page.locator("table.foiflow-questions tbody tr")
    await expect(rows).to_have_count(2)
    await expect(rows.nth(0)).to_contain_text("Q1")
    await expect(rows.nth(0)).to_contain_text("VAWG")
    await expect(rows.nth(1)).to_contain_text("Hate")
    await expect(page.locator(".foiflow-due-date")).to_contain_text(UK_DATE)
    explanation = page.locator(".foiflow-clock-explanation li")
    assert await explanation.count() >= 2
    await expect(main).to_contain_text("A. Requester")
    assert "Dear FOI team" not in await page.locator("table").inner_text()
    assert "requester@example.org" in html

    # Change goes back with everything typed; Check again, then register.
    await officer.submit("Change the request", "changed")
    await expect(page.get_by_label("The request as received")).to_have_value(REQUEST)
    await expect(page.get_by_label("Time received")).to_have_value(f"{at:%H:%M}")
    await officer.submit("Check", "check-again")
    await officer.submit("Register request", "registered")
    reference = page.url.rsplit("/", 1)[-1].split("?")[0]
    await expect(page.locator(".govuk-notification-banner")).to_contain_text("Request registered")
    await expect(page.locator("h1")).to_contain_text(reference)
    await expect(page.locator("h1 .govuk-tag")).to_have_text("To route")
    view = await case_view(system, reference)
    assert view.requester is not None and view.requester.email == "requester@example.org"
    assert view.received_at == at
    assert [q.number for q in view.questions] == [1, 2]
    await settled(system, reference)

    # The same request again: the existing case, said so.
    await officer.goto("/cases/new", "new-request-again")
    await fill_new_request(officer, REQUEST, at)
    await officer.submit("Check", "check-duplicate")
    await officer.submit("Register request", "duplicate")
    assert page.url.endswith(f"/cases/{reference}?notice=existing")
    await expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "This request was registered already"
    )

    # Routed from the case page: the suggested units are chosen already.
    await expect(page.locator("#route-1")).to_have_value("vawg")
    await expect(page.locator("#route-2")).to_have_value("hate-crime")
    await officer.submit("Route questions", "routed")
    await expect(page.locator(".govuk-notification-banner")).to_contain_text("Questions routed")
    await expect(page.locator("table.foiflow-questions")).not_to_contain_text("Not routed")
    assert "route" not in await forms_on(officer)
    await settled(system, reference)
    await actions.withdraw_case(
        system.acting_as(await resolve_actor(system.engine, OFFICER)),
        reference,
        WithdrawIn(reason="test done"),
    )


async def test_the_cases_list_filters_pages_and_names_a_bad_filter(
    tours: TourFactory,
    env: WorkflowEnvironment,
    system: ServiceContext,
    settled: Settled,
    opened: list[str],
) -> None:
    officer_ctx = system.acting_as(await resolve_actor(system.engine, OFFICER))
    now = await env.get_current_time()
    references = []
    for minutes, route in ((1, True), (2, True), (3, False)):
        document = seed_document(now - timedelta(minutes=minutes))
        started = await intake.start_case(officer_ctx, document)
        opened.append(started.reference)
        if route:
            await actions.route_questions(
                officer_ctx, started.reference, RoutesIn(accept_suggestions=True)
            )
        await settled(system, started.reference)
        references.append(started.reference)
    triage = references[2]

    officer = await tours(OFFICER, applicant_blind=False)
    page = officer.page
    html = await officer.goto("/cases", "cases")
    for reference in references:
        await expect(page.get_by_role("link", name=reference, exact=True)).to_be_visible()
    assert len(UK_DATE.findall(html)) >= 6
    await expect(page.locator("table.foiflow-cases")).to_contain_text("working days left")

    # Filters are a plain GET form whose fields are the query's names.
    await page.get_by_label("Status").select_option("triage")
    await officer.submit("Apply filters", "cases-triage")
    assert "status=triage" in page.url
    await expect(page.get_by_role("link", name=triage, exact=True)).to_be_visible()
    await expect(page.get_by_role("link", name=references[0], exact=True)).to_have_count(0)

    await officer.goto("/cases?unit=vawg&regime=foia", "cases-vawg")
    await expect(page.get_by_role("link", name=references[0], exact=True)).to_be_visible()
    await expect(page.get_by_role("link", name=triage, exact=True)).to_have_count(0)
    await expect(page.get_by_label("Unit")).to_have_value("vawg")

    await officer.goto("/cases?overdue=true", "cases-overdue")
    await expect(page.locator("main")).to_contain_text("No case matches these filters")
    await expect(page.get_by_role("radio", name="Overdue", exact=True)).to_be_checked()
    # Links from the dashboard say overdue=false: the form shows it, and keeps it.
    await officer.goto("/cases?overdue=false&status=triage", "cases-not-overdue")
    await expect(page.get_by_role("radio", name="Not overdue")).to_be_checked()
    await officer.submit("Apply filters", "cases-not-overdue-again")
    assert "overdue=false" in page.url
    await expect(page.get_by_role("link", name=triage, exact=True)).to_be_visible()

    # Paging: one a page, the pagination links keep the filters.
    await officer.goto("/cases?status=in_progress&per_page=1", "cases-page-1")
    await expect(page.locator("table.foiflow-cases tbody tr")).to_have_count(1)
    await expect(page.locator("caption")).to_contain_text("page 1 of 2")
    first = await page.locator("table.foiflow-cases tbody a").inner_text()
    await page.locator(".govuk-pagination__next a").click()
    await officer.check("cases-page-2")
    assert "page=2" in page.url and "status=in_progress" in page.url
    await expect(page.locator("table.foiflow-cases tbody tr")).to_have_count(1)
    second = await page.locator("table.foiflow-cases tbody a").inner_text()
    assert {first, second} == set(references[:2])
    await expect(page.locator(".govuk-pagination__next")).to_have_count(0)

    # A bad filter: the error summary names the field; no JSON, no 422.
    response = await page.goto(officer.url("/cases?due_before=23%2F12%2F2026&status=lost"))
    assert response is not None and response.status == 400
    await officer.check("cases-bad-filter")
    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_contain_text("Enter the date in the format YYYY-MM-DD")
    await expect(summary).to_contain_text("Select a status from the list")
    await expect(page.locator("#due_before")).to_have_value("23/12/2026")
    await expect(page.locator("#due_before-error")).to_be_visible()


async def test_each_action_form_shows_only_when_allowed_works_and_shows_refusals_on_its_field(
    tours: TourFactory, start_seed_case: StartSeed, system: ServiceContext, settled: Settled
) -> None:
    ref = await start_seed_case()
    await settled(system, ref)
    officer = await tours(OFFICER, applicant_blind=False)
    page = officer.page
    html = await officer.goto(f"/cases/{ref}", "case")
    assert await forms_on(officer) == {
        "reassign",
        "clarification-request",
        "fees-notice",
        "extension",
        "withdraw",
    }
    await expect(page.locator(".foiflow-clock-explanation li").first).to_be_visible()
    assert "A. Requester" in html
    temporal = page.get_by_role("link", name=re.compile("View in Temporal"))
    await expect(temporal).to_have_attribute("href", re.compile(rf"/workflows/{re.escape(ref)}$"))
    await expect(page.locator(".moj-timeline")).to_contain_text("Question routed")

    # A refusal from the workflow lands on the field it names; what was typed stays.
    await page.locator("#reassign-question").select_option("1")
    await page.locator("#reassign-unit").select_option("hate-crime")
    await officer.submit("Reassign the question", "reassign-refused")
    await expect(page.locator("#reassign-reason-error")).to_contain_text("Say why the task moves")
    await expect(page.locator("#reassign-unit")).to_have_value("hate-crime")
    await page.locator("#reassign-reason").fill("Hate crime unit keeps the VAWG panel list")
    await officer.submit("Reassign the question", "reassigned")
    await expect(page.locator(".govuk-notification-banner")).to_contain_text("Question reassigned")
    await expect(page.locator("table.foiflow-questions tbody tr").first).to_contain_text(
        "Hate crime unit"
    )
    await settled(system, ref)

    await page.locator("#withdraw-reason").fill("")
    await officer.submit("Withdraw the request", "withdraw-refused")
    await expect(page.locator("#withdraw-reason-error")).to_contain_text(
        "Say why the case is closed"
    )

    # Clarification: the clock stops, and only the matching form is offered.
    await page.locator("#clarification-request-note").fill("Which panels do you mean?")
    await officer.submit("Record the clarification request", "clarification-asked")
    await expect(page.locator("h1 .govuk-tag")).to_have_text("Awaiting clarification")
    await expect(page.locator(".foiflow-clock")).to_contain_text("Paused")
    assert await forms_on(officer) == {"reassign", "clarification-received", "withdraw"}
    await settled(system, ref)
    await page.locator("#clarification-received-note").fill("The MPS panels only")
    await officer.submit("Record the clarification", "clarification-received")
    await expect(page.locator("h1 .govuk-tag")).to_have_text("With units")
    await settled(system, ref)

    # Fees notice and fee.
    await officer.submit("Record the fees notice", "fees-notice")
    assert await forms_on(officer) == {"reassign", "fee-received", "withdraw"}
    await settled(system, ref)
    await officer.submit("Record the fee", "fee-received")
    await expect(page.locator(".govuk-notification-banner")).to_contain_text("Fee recorded")
    await settled(system, ref)

    # A public interest extension needs a qualified exemption claimed: the clock says so.
    await page.locator("#extension-working_days").fill("10")
    await officer.submit("Extend the deadline", "extension-refused")
    await expect(page.locator("[id^='extension-'][id$='-error']").first).to_be_visible()
    await expect(page.locator("#extension-working_days")).to_have_value("10")

    # Withdrawn: a closed case offers nothing.
    await page.locator("#withdraw-reason").fill("The requester withdrew it by email")
    await officer.submit("Withdraw the request", "withdrawn")
    await expect(page.locator("h1 .govuk-tag")).to_have_text("Withdrawn")
    assert await forms_on(officer) == set()
    assert (await case_view(system, ref)).status == CaseStatus.WITHDRAWN
    await expect(page.locator("#actions")).to_have_count(0)


async def test_a_unit_contact_cannot_register_or_act_and_never_sees_who_asked(
    tours: TourFactory, start_seed_case: StartSeed, system: ServiceContext, settled: Settled
) -> None:
    ref = await start_seed_case()
    await settled(system, ref)
    tom = await tours("tom-oduya")  # applicant-blind: every page is searched for the requester
    page = tom.page
    response = await page.goto(tom.url("/cases/new"))
    assert response is not None and response.status == 403
    await tom.check("new-request-forbidden")
    await expect(page.get_by_role("link", name="New request")).to_have_count(0)

    await tom.goto("/cases", "unit-cases")
    await expect(page.get_by_role("link", name=ref, exact=True)).to_be_visible()
    html = await tom.goto(f"/cases/{ref}", "unit-case")
    assert await forms_on(tom) == set()
    await expect(page.locator("#actions")).to_have_count(0)
    await expect(page.get_by_role("link", name="My tasks").last).to_have_attribute("href", "/tasks")
    assert "View in Temporal" not in html
    assert "The request as received" not in html
    assert "Request received" not in html  # the receipt entry of the timeline
    for trace in REQUEST_IDENTITY_AND_TEXT:
        assert trace not in html

    # Posting an officer's form anyway: a 403 page, and nothing happens.
    token = await page.locator("input[name=csrf_token]").first.get_attribute("value")
    posted = await page.request.post(
        tom.url(f"/cases/{ref}/withdraw"),
        form={"csrf_token": token or "", "withdraw-reason": "not mine to close"},
    )
    assert posted.status == 403
    for trace in REQUESTER_IDENTITY:
        assert trace not in await posted.text()
    assert (await case_view(system, ref)).status == CaseStatus.IN_PROGRESS


REQUEST_IDENTITY_AND_TEXT = (*REQUESTER_IDENTITY, "Please provide the following information")


async def test_an_officer_form_with_a_wrong_csrf_token_is_refused(
    tours: TourFactory, start_seed_case: StartSeed, system: ServiceContext, settled: Settled
) -> None:
    ref = await start_seed_case()
    await settled(system, ref)
    officer = await tours(OFFICER, applicant_blind=False)
    page = officer.page
    await officer.goto(f"/cases/{ref}", "case-for-csrf")
    await page.locator("#form-withdraw input[name=csrf_token]").evaluate(
        "input => { input.value = 'forged' }"
    )
    await page.locator("#withdraw-reason").fill("a forged withdrawal")
    async with page.expect_navigation() as navigation:
        await page.get_by_role("button", name="Withdraw the request").click()
    response = await navigation.value
    assert response is not None and response.status == 403
    await officer.check("csrf-refused")
    await expect(page.locator("h1")).to_have_text("The form could not be sent")
    assert (await case_view(system, ref)).status == CaseStatus.IN_PROGRESS


async def test_a_public_interest_extension_and_a_cost_decision_through_their_forms(
    tours: TourFactory, start_seed_case: StartSeed, system: ServiceContext, settled: Settled
) -> None:
    ref = await start_seed_case()
    await settled(system, ref)
    priya = system.acting_as(await resolve_actor(system.engine, "priya-nair"))
    tom = system.acting_as(await resolve_actor(system.engine, "tom-oduya"))
    await actions.answer_task(priya, ref, 4, actions.read_answer_file(DEMO_ANSWER))
    await settled(system, ref)

    officer = await tours(OFFICER, applicant_blind=False)
    page = officer.page
    await officer.goto(f"/cases/{ref}", "case-with-s31")
    before = (await case_view(system, ref)).clock.due_date
    assert before is not None

    # Not a whole number: said on the field before anything is sent.
    await page.locator("#extension-working_days").fill("ten")
    await officer.submit("Extend the deadline", "extension-not-a-number")
    await expect(page.locator("#extension-working_days-error")).to_contain_text(
        "Enter the further working days as a whole number"
    )
    # Over the cap: the statute's clock refuses it, on the same field.
    await page.locator("#extension-working_days").fill("30")
    await officer.submit("Extend the deadline", "extension-over-the-cap")
    await expect(page.locator("#extension-working_days-error")).to_contain_text(
        "at most 20 allowed"
    )
    await page.locator("#extension-working_days").fill("10")
    await page.locator("#extension-note").fill("Weighing the public interest in s31")
    await officer.submit("Extend the deadline", "extended")
    await expect(page.locator(".govuk-notification-banner")).to_contain_text("Deadline extended")
    await expect(page.locator(".foiflow-clock")).to_contain_text(f"Extended from {uk_date(before)}")
    await settled(system, ref)

    # Over the cost limit: the case waits for the officer's decision, and only then is the
    # form there.
    assert "cost-decision" not in await forms_on(officer)
    cost = actions.checked_answer({"kind": "cost", "hours": 40, "note": "every panel file"})
    await actions.answer_task(tom, ref, 1, cost)
    await settled(system, ref)
    await officer.goto(f"/cases/{ref}", "case-cost-review")
    await expect(page.locator("h1 .govuk-tag")).to_have_text("Cost review")
    assert "cost-decision" in await forms_on(officer)
    await officer.submit("Record the cost decision", "cost-no-choice")
    await expect(page.locator("#cost-decision-refuse-error")).to_contain_text(
        "Select whether to refuse the request or answer it"
    )
    await page.get_by_role("radio", name="No, answer it").check()
    await officer.submit("Record the cost decision", "cost-decided")
    await expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Cost decision recorded"
    )
    await expect(page.locator("h1 .govuk-tag")).not_to_have_text("Cost review")
    assert "cost-decision" not in await forms_on(officer)
    await settled(system, ref)


def test_receipt_times_are_read_the_ways_people_write_them() -> None:
    read = {typed: parse_time(typed) for typed in ("14:30", "2:30pm", "9am", "9.15 am", "midday")}
    assert read == {
        "14:30": time(14, 30),
        "2:30pm": time(14, 30),
        "9am": time(9, 0),
        "9.15 am": time(9, 15),
        "midday": time(12, 0),
    }
    assert parse_time("12am") == time(0, 0)
    for unreadable in ("9", "25:00", "13pm", "half nine", "14:75"):
        assert parse_time(unreadable) is None, unreadable


def test_the_list_reads_its_filters_and_pages_keep_them() -> None:
    query, errors = case_query({"status": "triage", "overdue": "true", "due_before": "2026-12-23"})
    assert not errors and query is not None
    assert (query.status, query.overdue, str(query.due_before)) == ("triage", True, "2026-12-23")
    query, errors = case_query({"regime": "gdpr", "page": "0", "overdue": "yes"})
    assert query is None
    assert [e["href"] for e in errors.summary()] == ["#regime", "#overdue", "#page"]
    links = pagination({"unit": "vawg", "page": "5"}, 5, 9)
    assert links is not None
    assert links["previous"]["href"] == "/cases?unit=vawg&page=4"
    assert links["next"]["href"] == "/cases?unit=vawg&page=6"
    numbers = [i.get("number", "…") for i in links["items"]]
    assert numbers == [1, "…", 4, 5, 6, "…", 9]
    assert pagination({}, 1, 1) is None
