"""``foiflow calendar show/refresh/add``; refresh from a real local server with a recorded feed."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli.main import app
from settings import get_settings
from statute import packaged_calendar
from store.calendars import calendar_repository

from feed_server import serving as serve_routes

runner = CliRunner()
PACKAGED = packaged_calendar()
RECORDED: dict[str, Any] = json.loads(
    resources.files("statute").joinpath("data/bank-holidays.json").read_text("utf-8")
)


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FOIFLOW_DATA_DIR", str(tmp_path))
    return tmp_path


def feed_with(*extra: tuple[str, str, str]) -> bytes:
    """The recorded GOV.UK feed plus (division, date, title) events, as the server sends it."""
    feed = json.loads(json.dumps(RECORDED))
    for division, day, title in extra:
        feed[division]["events"].append({"title": title, "date": day, "notes": "", "bunting": True})
    return json.dumps(feed).encode()


@contextmanager
def serving(body: bytes, status: int = 200) -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 serving ``body`` at /bank-holidays.json."""
    with serve_routes({"/bank-holidays.json": (status, body)}) as base:
        yield f"{base}/bank-holidays.json"


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args))


def test_show_the_packaged_calendar() -> None:
    result = invoke("calendar", "show")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[:2] == [
        f"calendar v1 (fingerprint {PACKAGED.fingerprint})",
        "coverage: 2012-01-01 to 2028-12-31",
    ]


def test_refresh_stores_a_new_version_and_prints_the_diff(data_dir: Path) -> None:
    with serving(feed_with(("scotland", "2026-06-15", "Extra bank holiday"))) as url:
        result = invoke("calendar", "refresh", "--url", url)
        assert result.exit_code == 0, result.stderr
        assert "15 Jun 2026 added (Scotland: Extra bank holiday)" in result.stdout
        assert result.stdout.startswith("calendar v2 (")
        again = invoke("calendar", "refresh", "--url", url)
    assert again.exit_code == 0
    assert "is up to date" in again.stdout
    versions = invoke("calendar", "show", "--all").stdout.splitlines()
    assert len(versions) == 2
    assert versions[1].startswith("* v2")
    # FOISA deadlines now skip the new Scottish holiday; 1 Jun 2026 was due Mon 29 Jun
    deadline = invoke("deadline", "--regime", "foisa", "2026-06-01")
    assert deadline.stdout == "2026-06-01\t2026-06-30\n"
    stored = calendar_repository(get_settings()).versions()
    assert [v.version for v in stored] == [1, 2]


def test_refresh_uses_the_configured_feed_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    with serving(feed_with(("northern-ireland", "2027-07-13", "Extra"))) as url:
        monkeypatch.setenv("FOIFLOW_CALENDAR_FEED_URL", url)
        result = invoke("calendar", "refresh")
    assert result.exit_code == 0, result.stderr
    assert "13 Jul 2027 added (Northern Ireland: Extra)" in result.stdout


def test_refresh_keeps_holidays_added_by_hand() -> None:
    added = invoke("calendar", "add", "2026-06-15", "--division", "all", "--reason", "Jubilee")
    assert added.exit_code == 0
    with serving(feed_with()) as url:
        result = invoke("calendar", "refresh", "--url", url)
    assert result.exit_code == 0
    assert "is up to date" in result.stdout
    assert (
        "added by hand: 15 Jun 2026 (all of the UK: Jubilee)" in invoke("calendar", "show").stdout
    )


def test_an_unreachable_feed_is_one_clear_line_and_loses_nothing(data_dir: Path) -> None:
    invoke("calendar", "add", "2026-06-15", "--division", "scotland", "--reason", "Extra")
    before = [v.fingerprint for v in calendar_repository(get_settings()).versions()]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound, not listening: the connection is refused
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/bank-holidays.json"
        result = invoke("calendar", "refresh", "--url", url)
    assert result.exit_code != 0
    assert result.stderr.startswith(
        f"error: could not reach the GOV.UK bank-holidays feed at {url}:"
    )
    assert result.stderr.count("\n") == 1
    assert [v.fingerprint for v in calendar_repository(get_settings()).versions()] == before


def test_a_broken_feed_is_an_error_and_stores_nothing(data_dir: Path) -> None:
    with serving(b"<html>down for maintenance</html>") as url:
        result = invoke("calendar", "refresh", "--url", url)
    assert result.exit_code != 0
    assert "did not return valid JSON" in result.stderr
    with serving(b"{}", status=500) as url:
        result = invoke("calendar", "refresh", "--url", url)
    assert "answered HTTP 500" in result.stderr
    assert [v.version for v in calendar_repository(get_settings()).versions()] == [1]


def test_add_records_a_new_version() -> None:
    result = invoke(
        "calendar", "add", "2026-06-15", "--division", "scotland", "--reason", "Extra bank holiday"
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1] == "  15 Jun 2026 added (Scotland: Extra bank holiday)"
    show = invoke("calendar", "show").stdout
    assert show.startswith("calendar v2 (")
    assert "added by hand: 15 Jun 2026 (Scotland: Extra bank holiday)" in show


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["2023-05-08", "--division", "scotland"], "date: 2023-05-08 is already a bank holiday"),
        (["2031-06-02", "--division", "scotland"], "date: 2031-06-02 is outside"),
        (["2026-06-15", "--division", "wales"], "division: 'wales' is not one of"),
        (["15/06/2026", "--division", "scotland"], "date: '15/06/2026' is not a real date"),
        (["2026-02-30", "--division", "scotland"], "date: '2026-02-30' is not a real date"),
    ],
)
def test_add_rejects_bad_input_naming_the_field(args: list[str], message: str) -> None:
    result = invoke("calendar", "add", *args, "--reason", "Something")
    assert result.exit_code != 0
    assert result.stderr.startswith(f"error: {message}")
    assert result.stderr.count("\n") == 1
    assert invoke("calendar", "show", "--all").stdout.count("\n") == 1  # still only v1
