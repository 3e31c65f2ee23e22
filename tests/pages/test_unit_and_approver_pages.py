"""The seed case's unit and sign-off work through the pages, in chromium: three unit contacts
answer (one answer refused by the workflow for a missing public interest factor, then
corrected), the senior officer refuses the s31 sign-off with a reason, the units see it amber on
My tasks and revise, and both approvers sign off. Started and routed through the services, as
the officer's pages come later."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from playwright.async_api import expect

from domain.case import CaseStatus
from services.cases import case_view
from services.context import ServiceContext

from page_tour import Tour, TourFactory

Settled = Callable[[ServiceContext, str], Awaitable[None]]
UK_DATE = re.compile(
    r"(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday) [1-9]\d? "
    r"(January|February|March|April|May|June|July|August|September|October|November|December) "
    r"20\d\d"
)
SEARCHES = "VAWG panel files and the unit's shared drive; the panel is still being set up"
HATE_CRIME_SEARCHES = "No central register of advisory group members is kept; unit records searched"


async def answer_not_held(tour: Tour, reference: str, question: int) -> None:
    await tour.goto(f"/cases/{reference}/questions/{question}", f"q{question}")
    page = tour.page
    await page.get_by_role("radio", name="We do not hold it").check()
    await page.get_by_label("Where and how you searched for the information").fill(SEARCHES)
    await tour.submit("Send answer", f"q{question}-sent")
    await expect(page.locator(".govuk-panel")).to_contain_text("Answer sent")


async def fill_claim(
    tour: Tour,
    slot: int,
    section: str,
    subsections: str,
    applies_to: str,
    reason: str,
    *,
    prejudice: str | None = None,
    public_interest_for: str | None = None,
    public_interest_against: str | None = None,
) -> None:
    page, key = tour.page, f"#claims-{slot}-"
    await page.locator(key + "section").select_option(section)
    await page.locator(key + "subsections").fill(subsections)
    await page.locator(key + "applies_to").fill(applies_to)
    await page.locator(key + "reason").fill(reason)
    if prejudice is not None:
        await page.locator(key + "prejudice").fill(prejudice)
        await page.locator(f"input[name='claims-{slot}-likelihood'][value='would']").check()
    if public_interest_for is not None:
        await page.locator(key + "public_interest_for").fill(public_interest_for)
    if public_interest_against is not None:
        await page.locator(key + "public_interest_against").fill(public_interest_against)


S31 = {
    "section": "31",
    "subsections": "(1)(a)(b)",
    "applies_to": "the organisations and groups on the panels",
    "reason": "Disclosure would reveal how the MPS gathers community intelligence.",
    "prejudice": "the prevention or detection of crime",
    "public_interest_for": "Transparency about who advises the police",
    "public_interest_against": "Members have been targeted\nGroups would refuse to work with us",
}
S40 = {
    "section": "40",
    "subsections": "(2)(3)",
    "applies_to": "names of individual members",
    "reason": "Names are personal data; disclosure would breach the first principle.",
}


async def answer_exempt(tour: Tour, reference: str, question: int) -> None:
    """Partly held: the searches, s31 and s40 (a second claim slot added without JavaScript's
    help: the form posts back)."""
    page = tour.page
    await tour.goto(f"/cases/{reference}/questions/{question}", f"q{question}")
    await page.get_by_role("radio", name="We hold some of it").check()
    await page.get_by_label("Where and how you searched").fill(HATE_CRIME_SEARCHES)
    await fill_claim(tour, 0, **S31)
    await tour.submit("Add another exemption", f"q{question}-second-claim")
    await fill_claim(tour, 1, **S40)
    await tour.submit("Send answer", f"q{question}-sent")
    await expect(page.locator(".govuk-panel")).to_contain_text("Answer sent")


async def decide(tour: Tour, reference: str, section: str, name: str) -> None:
    await tour.goto("/sign-offs", f"{name}-sign-offs")
    await tour.page.get_by_role(
        "link", name=re.compile(rf"^Section {section} – .* on {re.escape(reference)}$")
    ).click()
    await tour.check(f"{name}-s{section}")


async def test_units_answer_an_approver_refuses_the_units_revise_and_both_approvers_sign_off(
    tours: TourFactory,
    start_seed_case: Callable[[], Awaitable[str]],
    system: ServiceContext,
    settled: Settled,
) -> None:
    ref = await start_seed_case()
    await settled(system, ref)

    # --- VAWG: My tasks, then Q1–Q3 not held ---------------------------------------------
    tom = await tours("tom-oduya")
    html = await tom.goto("/tasks", "my-tasks")
    table = tom.page.locator("table.govuk-table")
    for q in (1, 2, 3):
        await expect(table).to_contain_text(f"{ref} question {q}")
    assert f"{ref} question 4" not in html  # hate crime's question is not theirs
    assert len(UK_DATE.findall(html)) >= 6  # each task's own and statutory deadlines
    await expect(table).to_contain_text("working days left")
    for q in (1, 2, 3):
        await answer_not_held(tom, ref, q)
    # The answer page gave the rest of the request for context, never who asked (checked on
    # every page by Tour.check).

    # --- Hate crime: Q4 refused by the workflow first, nothing typed is lost ----------------
    priya = await tours("priya-nair")
    page = priya.page
    await priya.goto(f"/cases/{ref}/questions/4", "q4")
    await expect(page.locator("details", has_text="The rest of the request")).to_contain_text(
        "All organisations and community groups represented on your VAWG panel"
    )
    await page.get_by_role("radio", name="We hold some of it").check()
    await page.get_by_label("Where and how you searched").fill(HATE_CRIME_SEARCHES)
    await fill_claim(tour=priya, slot=0, **{**S31, "public_interest_against": ""})
    await priya.submit("Add another exemption", "q4-second-claim")
    await expect(page.locator("#claims-0-reason")).to_have_value(S31["reason"])
    await expect(page.locator("#claims-1-section")).to_have_value("")
    # The catalogue's guidance for the section chosen, inline.
    await expect(page.locator(".foiflow-claim").first).to_contain_text(
        "Qualified: apply the public interest test"
    )
    await fill_claim(priya, 1, **S40)
    await priya.submit("Send answer", "q4-refused")
    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_contain_text(
        "Section 31 is a qualified exemption: record public interest factors for and against"
    )
    await expect(page.locator("#claims-0-public_interest_against-error")).to_contain_text(
        "record public interest factors for and against disclosure"
    )
    await summary.get_by_role("link").first.click()
    await expect(page.locator("#claims-0-public_interest_against")).to_be_focused()
    await expect(page.get_by_role("radio", name="We hold some of it")).to_be_checked()
    await expect(page.locator("#searches")).to_have_value(HATE_CRIME_SEARCHES)
    await expect(page.locator("#claims-0-public_interest_for")).to_have_value(
        S31["public_interest_for"]
    )
    await expect(page.locator("#claims-0-prejudice")).to_have_value(S31["prejudice"])
    await expect(page.locator("#claims-1-reason")).to_have_value(S40["reason"])
    await page.locator("#claims-0-public_interest_against").fill(S31["public_interest_against"])
    await priya.submit("Send answer", "q4-sent")
    await expect(page.locator(".govuk-panel strong")).to_have_text("We hold some of it")
    await expect(page.locator("main")).to_contain_text("section 31(1)(a)(b), section 40(2)(3)")
    await answer_exempt(priya, ref, 5)

    # --- Community engagement: Q6 and Q7 -----------------------------------------------------
    gareth = await tours("gareth-evans")
    for q in (6, 7):
        await answer_exempt(gareth, ref, q)
    await settled(system, ref)
    assert (await case_view(system, ref)).status == CaseStatus.SIGN_OFF

    # --- The senior officer refuses s31: the workflow wants a reason first -------------------
    david = await tours("david-hughes")
    await decide(david, ref, "31", "david")
    main = david.page.locator("main")
    await expect(main).to_contain_text(S31["reason"])
    await expect(main).to_contain_text("Would cause: the prevention or detection of crime")
    await expect(main).to_contain_text("Transparency about who advises the police")
    await expect(main).to_contain_text("Groups would refuse to work with us")
    await expect(main).to_contain_text("Priya Nair")
    await david.page.get_by_role("radio", name="No, refuse it and return it to the unit").check()
    await david.submit("Send decision", "david-s31-no-reason")
    await expect(david.page.locator("#reason-error")).to_contain_text(
        "Say why the sign-off is refused, for the unit"
    )
    reason = "State the harm to named members: the prejudice is not shown for group names"
    await david.page.get_by_label("Why you refuse it").fill(reason)
    await david.submit("Send decision", "david-s31-refused")
    await expect(david.page.locator(".govuk-notification-banner")).to_contain_text(
        "You refused the section 31 claim"
    )
    await settled(system, ref)

    # --- The units see it amber on My tasks, with the reason, and revise ---------------------
    for tour, questions in ((priya, (4, 5)), (gareth, (6, 7))):
        await tour.goto("/tasks", "my-tasks-returned")
        for q in questions:
            row = tour.page.locator("tr", has_text=f"{ref} question {q}")
            await expect(row.locator(".govuk-tag--orange")).to_have_text("Returned")
            await expect(row).to_contain_text(f"Supt David Hughes: s31 sign-off refused: {reason}")
        await tour.page.get_by_role("link", name=re.compile(r"^Returned \(")).click()
        await tour.check("my-tasks-only-returned")
        for q in questions:
            await tour.goto(f"/cases/{ref}/questions/{q}", f"q{q}-returned")
            await expect(tour.page.locator(".govuk-notification-banner")).to_contain_text(reason)
            # The answer as sent is on the form, ready to revise.
            await expect(tour.page.locator("#claims-1-section")).to_have_value("40")
            await tour.page.locator("#claims-0-prejudice").fill(
                "Named members of these groups have been threatened; disclosing the groups "
                "would identify them"
            )
            await tour.submit("Send answer", f"q{q}-revised")
            await expect(tour.page.locator(".govuk-panel")).to_contain_text("Answer sent")
    await settled(system, ref)
    assert (await case_view(system, ref)).status == CaseStatus.SIGN_OFF

    # --- Both approvers sign off --------------------------------------------------------------
    sarah = await tours("sarah-bennett")
    for tour, section, name in ((david, "31", "david"), (sarah, "40", "sarah")):
        await decide(tour, ref, section, name)
        await tour.page.get_by_role("radio", name="Yes, approve it").check()
        await tour.submit("Send decision", f"{name}-s{section}-approved")
        await expect(tour.page.locator(".govuk-notification-banner")).to_contain_text(
            f"You approved the section {section} claim"
        )
        await settled(system, ref)
    view = await case_view(system, ref)
    assert view.status == CaseStatus.RESPONSE_REVIEW, view.status
    await david.goto("/sign-offs", "david-sign-offs-done")
    assert f"on {ref}" not in await david.page.content()


async def test_each_role_meets_403_and_404_pages_where_the_work_is_not_theirs(
    tours: TourFactory,
    start_seed_case: Callable[[], Awaitable[str]],
    system: ServiceContext,
    settled: Settled,
) -> None:
    ref = await start_seed_case()
    await settled(system, ref)
    h1 = "h1"

    tom = await tours("tom-oduya")
    for path, status, heading, name in (
        ("/sign-offs", 403, "You cannot see this page", "sign-offs-forbidden"),
        (f"/cases/{ref}/sign-offs/31", 403, "You cannot see this page", "decide-forbidden"),
        # Another unit's question, a case not routed to them, nonsense: all "not found".
        (f"/cases/{ref}/questions/4", 404, "Page not found", "other-units-question"),
        ("/cases/01.FOI.99.000001/questions/1", 404, "Page not found", "unknown-case"),
        (f"/cases/{ref}/questions/nine", 404, "Page not found", "bad-question"),
        ("/nowhere", 404, "Page not found", "unknown-page"),
    ):
        response = await tom.page.goto(tom.url(path))
        assert response is not None and response.status == status, (path, response)
        await tom.check(name)
        await expect(tom.page.locator(h1)).to_have_text(heading)
    own = await tom.page.goto(tom.url(f"/cases/{ref}/questions/1"))
    assert own is not None and own.status == 200
    await tom.check("own-question")

    david = await tours("david-hughes")
    for path, status, name in (
        ("/tasks", 403, "tasks-forbidden"),
        (f"/cases/{ref}/questions/1", 403, "answer-forbidden"),
        # No sign-off is asked for yet: the case is not one an approver may know.
        (f"/cases/{ref}/sign-offs/31", 404, "no-sign-off-yet"),
    ):
        response = await david.page.goto(david.url(path))
        assert response is not None and response.status == status, (path, response)
        await david.check(name)

    # The admin starts on the admin pages (tests/pages/test_admin_pages.py), none of a case's.
    kevin = await tours("kevin-ashworth")
    assert kevin.page.url == kevin.url("/admin/units")
    await expect(kevin.page.locator(h1)).to_have_text("Units")


async def test_a_unit_answers_in_a_browser_without_javascript(
    tours: TourFactory,
    start_seed_case: Callable[[], Awaitable[str]],
    system: ServiceContext,
    settled: Settled,
) -> None:
    ref = await start_seed_case()
    await settled(system, ref)
    tom = await tours("tom-oduya", javascript=False)
    page = tom.page
    await tom.goto(f"/cases/{ref}/questions/2", "q2")
    # Every kind's fields show: nothing hides them without JavaScript.
    for label in ("Estimated hours", "Where and how you searched", "Which public authority"):
        await expect(page.get_by_label(label, exact=False)).to_be_visible()

    # A second claim slot is one post away, and what was typed comes back.
    await page.locator("#claims-0-section").select_option("40")
    await page.locator("#claims-0-reason").fill("typed before changing my mind")
    await tom.submit("Add another exemption", "q2-second-claim")
    await expect(page.locator("#claims-1-section")).to_be_visible()
    await expect(page.locator("#claims-0-reason")).to_have_value("typed before changing my mind")

    # An hours estimate the page cannot read is said on the field, before anything is sent.
    await page.get_by_role("radio", name=re.compile("cost more than the limit")).check()
    await page.get_by_label("Estimated hours", exact=False).fill("about ten")
    await tom.submit("Send answer", "q2-bad-hours")
    await expect(page.locator("#hours-error")).to_contain_text("Enter the hours as a number")

    # Not held after all: only the searches are sent, not the claim typed earlier.
    await page.get_by_role("radio", name="We do not hold it").check()
    await page.get_by_label("Where and how you searched", exact=False).fill(SEARCHES)
    await tom.submit("Send answer", "q2-sent")
    await expect(page.locator(".govuk-panel")).to_contain_text("We do not hold it")
    task = next(t for t in (await case_view(system, ref)).tasks if t.question == 2)
    assert task.answer is not None and task.answer.claims == []
    assert task.answer.searches == SEARCHES
