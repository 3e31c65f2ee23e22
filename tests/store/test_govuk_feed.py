"""Fetching the GOV.UK bank-holidays feed from a real local HTTP server serving a recorded copy."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources

import httpx
import pytest

from statute import packaged_calendar
from statute.calendar import DIVISIONS
from store.govuk_feed import FeedError, fetch_bank_holidays

from feed_server import serving

RECORDED = resources.files("statute").joinpath("data/bank-holidays.json").read_bytes()


@contextmanager
def closed_port() -> Iterator[str]:
    """A URL on a port that is bound but not listening: connections are refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/bank-holidays.json"


def test_the_recorded_feed_parses_to_the_packaged_calendar() -> None:
    with serving({"/bank-holidays.json": (200, RECORDED)}) as base:
        fetched = fetch_bank_holidays(f"{base}/bank-holidays.json")
    assert fetched.fingerprint == packaged_calendar().fingerprint
    assert fetched.source == f"GOV.UK feed {base}/bank-holidays.json"


def test_an_unreachable_feed_says_so_with_the_url() -> None:
    with closed_port() as url, pytest.raises(FeedError) as caught:
        fetch_bank_holidays(url, timeout=2)
    message = str(caught.value)
    assert message.startswith(f"could not reach the GOV.UK bank-holidays feed at {url}: ")
    assert "refused" in message.lower()
    assert "\n" not in message


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (404, b"gone", "answered HTTP 404 Not Found"),
        (503, b"", "answered HTTP 503 Service Unavailable"),
        (200, b"<html>maintenance</html>", "did not return valid JSON"),
        (200, b"[1, 2]", "not in the expected format"),
        (200, json.dumps({"scotland": {"events": []}}).encode(), "not in the expected format"),
        (
            200,
            json.dumps(
                {d: {"events": [{"date": "2026-13-01", "title": "x"}]} for d in DIVISIONS}
            ).encode(),
            "bad event in 'england-and-wales'",
        ),
    ],
)
def test_a_bad_answer_is_a_clear_error(status: int, body: bytes, message: str) -> None:
    with serving({"/feed.json": (status, body)}) as base, pytest.raises(FeedError, match=message):
        fetch_bank_holidays(f"{base}/feed.json")


def test_a_timeout_is_reported_as_unreachable() -> None:
    def hang(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(FeedError, match=r"could not reach .* at https://example.test/f: timed out"):
        fetch_bank_holidays("https://example.test/f", transport=httpx.MockTransport(hang))
