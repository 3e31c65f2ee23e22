"""Fetching the GOV.UK bank-holidays feed (``https://www.gov.uk/bank-holidays.json``).

Bank holidays are proclaimed at short notice (19 Sep 2022, 8 May 2023), so the calendar must be
refreshable. Every way the fetch can fail becomes one ``FeedError`` whose message says what went
wrong and where, so ``foiflow calendar refresh`` can print it on one line and leave the stored
calendars untouched.
"""

from __future__ import annotations

import json

import httpx

from statute.calendar import CalendarData, CalendarError

USER_AGENT = "foiflow (statutory FOI deadlines; bank-holiday refresh)"


class FeedError(Exception):
    """The feed could not be fetched or did not hold bank holidays."""


def fetch_bank_holidays(
    url: str, *, transport: httpx.BaseTransport | None = None, timeout: float = 10.0
) -> CalendarData:
    """The feed at ``url`` as calendar data (version 0: the repository numbers what it stores)."""
    try:
        with httpx.Client(
            transport=transport,
            timeout=timeout,
            follow_redirects=True,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        ) as client:
            response = client.get(url)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        reason = str(exc) or type(exc).__name__
        raise FeedError(
            f"could not reach the GOV.UK bank-holidays feed at {url}: {reason}"
        ) from exc
    if response.status_code != 200:
        raise FeedError(
            f"the GOV.UK bank-holidays feed at {url} answered HTTP {response.status_code} "
            f"{response.reason_phrase}".rstrip()
        )
    try:
        document = json.loads(response.content)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        raise FeedError(
            f"the GOV.UK bank-holidays feed at {url} did not return valid JSON: {exc}"
        ) from exc
    try:
        return CalendarData.from_govuk_feed(document, version=0, source=f"GOV.UK feed {url}")
    except CalendarError as exc:
        raise FeedError(
            f"the GOV.UK bank-holidays feed at {url} is not in the expected format: {exc}"
        ) from exc
