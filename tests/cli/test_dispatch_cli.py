"""``foiflow dispatch`` and ``foiflow delivery …`` on a store of their own, with a real SMTP sink
and no Temporal (messages to staff go; the requester's wait for it)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from cli.main import app
from delivery.hours import WorkingHours
from delivery.sink import Mailbox, MailSink
from domain.notices import notice_key
from statute import calendar_for, get_regime, packaged_calendar
from store.db import get_engine, session_scope
from store.outbox import enqueue_notification

runner = CliRunner()
SEED = Path(__file__).resolve().parents[2] / "cli" / "demo" / "seed.yaml"


@pytest.fixture
def sink(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MailSink]:
    monkeypatch.setenv("FOIFLOW_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("FOIFLOW_TEMPORAL_ADDRESS", "127.0.0.1:1")  # nothing listens there
    monkeypatch.setenv("COLUMNS", "250")
    with MailSink(Mailbox(tmp_path / "mail")) as running:
        monkeypatch.setenv("FOIFLOW_SMTP_PORT", str(running.port))
        assert invoke("store", "seed", str(SEED)).exit_code == 0
        yield running


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args))


def queue(tmp_path: Path, kind: str, audience: str, target: str) -> str:
    key = notice_key("01.FOI.25.000900", kind, target, date(2025, 3, 10))
    with session_scope(get_engine(f"sqlite:///{tmp_path / 'foiflow.db'}")) as session:
        enqueue_notification(
            session,
            key,
            audience,
            kind,
            "Q1 is due from your unit on 2025-03-12",
            reference="01.FOI.25.000900",
            kind=kind,
            facts={"question": "1", "unit": "vawg", "due": "2025-03-12"},
        )
    return key


def test_dispatch_once_sends_in_working_hours_and_lists_the_outbox(
    sink: MailSink, tmp_path: Path
) -> None:
    queue(tmp_path, "task_reminder", "unit:vawg", "q1")
    ack = queue(tmp_path, "acknowledgement", "requester", "case")
    result = invoke("dispatch", "--once")
    assert result.exit_code == 0, result.output
    assert "Temporal at 127.0.0.1:1 is unreachable" in result.output
    # The real clock decides: at night or at the weekend both wait for the next morning.
    calendar = calendar_for(get_regime("foia"), packaged_calendar())
    hours = WorkingHours(calendar, ZoneInfo("Europe/London"), 9, 18)
    if hours.is_open(datetime.now(UTC)):
        assert "1 sent" in result.output and "1 to retry" in result.output
        assert [m.to for m in sink.mailbox.messages()] == [["tom.oduya@example.org"]]
    else:
        assert "2 deferred" in result.output
        assert sink.mailbox.messages() == []

    listed = invoke("delivery", "outbox", "--case", "01.FOI.25.000900")
    assert listed.exit_code == 0
    assert "task_reminder" in listed.output and "acknowledgement" in listed.output
    assert ack.startswith("01.FOI.25.000900:acknowledgement")
    assert invoke("delivery", "failures").output.strip() == "no delivery failures"
    assert invoke("delivery", "mail").exit_code == 0


def test_reference_data_commands_say_what_is_wrong(sink: MailSink) -> None:
    refused = invoke("delivery", "route", "unit:vawg", "pigeon")
    assert refused.exit_code == 1
    assert "error: channel: 'pigeon' is not one of email, webhook, notify" in refused.output
    added = invoke(
        "delivery", "route", "unit:vawg", "webhook", "--target", "https://chat.example.org/x"
    )
    assert added.exit_code == 0 and "added" in added.output
    assert "https://chat.example.org/x" in invoke("delivery", "routes").output
    assert invoke("delivery", "unroute", "unit:vawg", "webhook").exit_code == 0
    assert "every message goes by email" in invoke("delivery", "routes").output

    assert "a daily digest" in invoke("delivery", "digest", "tom-oduya", "--on").output
    unknown = invoke("delivery", "digest", "nobody", "--on")
    assert unknown.exit_code == 1 and "user: no user 'nobody'" in unknown.output
    retry = invoke("delivery", "retry", "no-such-key")
    assert retry.exit_code == 1 and "key: no failed message" in retry.output

    kinds = invoke("delivery", "kinds").output
    assert "acknowledgement" in kinds and "role:<the exemption's sign-off role>" in kinds
