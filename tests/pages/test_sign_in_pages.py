"""Signing in and out through the pages, in chromium: errors the GOV.UK way, the session cookie,
CSRF on every form (sign-in included), and the rate limit's page."""

from __future__ import annotations

import re

from playwright.async_api import expect

from page_tour import PASSWORD, TourFactory


async def test_sign_in_with_a_wrong_password_then_the_right_one_and_sign_out(
    tours: TourFactory,
) -> None:
    tour = await tours()
    page = tour.page

    # A page that needs a session sends the browser to sign in, and back afterwards.
    await page.goto(tour.url("/tasks"))
    assert re.search(r"/sign-in\?next=%2Ftasks$", page.url), page.url
    await tour.check("redirected-to-sign-in")

    # Nothing typed: each field says what is missing.
    await tour.submit("Sign in", "empty")
    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_contain_text("Enter your username")
    await expect(summary).to_contain_text("Enter your password")
    assert (await page.title()).startswith("Error: ")

    # A wrong password: one message that does not say which part was wrong; the username stays.
    await page.get_by_label("Username").fill("tom-oduya")
    await page.get_by_label("Password", exact=True).fill("not the password")
    html = await tour.submit("Sign in", "wrong-password")
    await expect(summary).to_contain_text("Enter a correct username and password")
    await expect(page.locator("#username-error")).to_contain_text("Enter a correct username")
    await expect(page.get_by_label("Username")).to_have_value("tom-oduya")
    assert "not the password" not in html

    # The summary's link takes the keyboard to the field.
    await summary.get_by_role("link").click()
    await expect(page.get_by_label("Username")).to_be_focused()

    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await tour.submit("Sign in", "tasks-after-sign-in")
    assert page.url == tour.url("/tasks")
    header = page.locator(".moj-header")
    await expect(header).to_contain_text("Tom Oduya")
    await expect(page.get_by_role("navigation", name="Your work")).to_contain_text("My tasks")
    cookies = {c["name"]: c for c in await tour.context.cookies()}
    session = cookies["foiflow_session"]
    assert session["httpOnly"] and session["sameSite"] == "Lax"

    await tour.submit("Sign out", "signed-out")
    await expect(page.locator(".govuk-notification-banner")).to_contain_text("You have signed out")
    assert "foiflow_session" not in {c["name"] for c in await tour.context.cookies()}
    # The old session is over: the cookie, replayed, is refused.
    await tour.context.add_cookies([{**session, "expires": -1}])
    await page.goto(tour.url("/tasks"))
    assert "/sign-in" in page.url
    await tour.check("old-session-refused")


async def test_a_form_without_its_csrf_token_is_refused_with_a_403_page(
    tours: TourFactory,
) -> None:
    tour = await tours("tom-oduya")
    page = tour.page
    # The sign-out form, its hidden token removed, as a forged cross-site form would be.
    await page.locator("form[action='/sign-out'] input[name='csrf_token']").evaluate(
        "input => input.remove()"
    )
    async with page.expect_navigation():
        await page.get_by_role("button", name="Sign out").click()
    await tour.check("csrf-refused")
    await expect(page.get_by_role("heading", level=1)).to_have_text("The form could not be sent")
    still = await page.context.request.get(tour.url("/tasks"), max_redirects=0)
    assert still.status == 200  # still signed in: nothing was done

    # A wrong token fares no better; nor does a sign-in post without its token.
    refused = await page.context.request.post(
        tour.url("/sign-out"), form={"csrf_token": "0" * 64}, max_redirects=0
    )
    assert refused.status == 403
    stranger = await tours()
    forged = await stranger.context.request.post(
        tour.url("/sign-in"),
        form={"username": "tom-oduya", "password": PASSWORD},
        max_redirects=0,
    )
    assert forged.status == 403
    assert "foiflow_session" not in {c["name"] for c in await stranger.context.cookies()}


async def test_a_sign_in_posted_from_another_site_is_refused(tours: TourFactory) -> None:
    tour = await tours()
    await tour.goto("/sign-in", "sign-in")
    token = await tour.page.locator("input[name='csrf_token']").input_value()
    # The right cookie and token, but the post comes from another origin.
    forged = await tour.context.request.post(
        tour.url("/sign-in"),
        form={"csrf_token": token, "username": "tom-oduya", "password": PASSWORD},
        headers={"Origin": "http://attacker.invalid"},
        max_redirects=0,
    )
    assert forged.status == 403
    same_site = await tour.context.request.post(
        tour.url("/sign-in"),
        form={"csrf_token": token, "username": "tom-oduya", "password": PASSWORD},
        headers={"Origin": tour.base_url},
        max_redirects=0,
    )
    assert same_site.status == 303 and same_site.headers["location"] == "/tasks"


async def test_repeated_failures_get_the_rate_limit_page(tours: TourFactory) -> None:
    tour = await tours()
    page = tour.page
    await tour.goto("/sign-in", "sign-in")
    for attempt in range(5):
        await page.get_by_label("Username").fill("lucy-chen")
        await page.get_by_label("Password", exact=True).fill(f"guess {attempt}")
        async with page.expect_navigation():
            await page.get_by_role("button", name="Sign in").click()
    # The right password now: still refused until the window passes.
    await page.get_by_label("Username").fill("lucy-chen")
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    async with page.expect_navigation() as navigation:
        await page.get_by_role("button", name="Sign in").click()
    response = await navigation.value
    assert response is not None and response.status == 429
    assert int(await response.header_value("retry-after") or 0) > 0
    await tour.check("rate-limited")
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Too many failed sign-in attempts"
    )
    await expect(page.locator("main")).to_contain_text("Try again in 15 minutes")
