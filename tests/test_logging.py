"""Logs: readable lines or one JSON object per line, set up once per process, never with requester
data — checked on a whole seed case run by the real worker under the time-skipping server."""

from __future__ import annotations

import io
import json
import logging
from datetime import timedelta

import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.case import CaseStatus
from logging_setup import REDACTED_EMAIL, configure_logging
from settings import Settings

from case_driver import close_started_cases, seed_case_issued, seed_intake, start_seed


@pytest.fixture
def root_logger() -> logging.Logger:
    """The root logger (tests/conftest.py puts it back as it was after each test)."""
    return logging.getLogger()


def configured(log_format: str, level: str = "INFO") -> io.StringIO:
    out = io.StringIO()
    configure_logging(Settings(log_format=log_format, log_level=level), stream=out)
    return out


def test_json_logs_are_one_object_per_line_with_the_extras(root_logger: logging.Logger) -> None:
    out = configured("json")
    log = logging.getLogger("foiflow.test")
    log.info("case %s routed", "01.FOI.23.031576", extra={"reference": "01.FOI.23.031576"})
    try:
        raise ValueError("no such unit")
    except ValueError:
        log.exception("routing failed")
    log.debug("not at INFO")

    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["level"] == "INFO" and first["logger"] == "foiflow.test"
    assert first["message"] == "case 01.FOI.23.031576 routed"
    assert first["reference"] == "01.FOI.23.031576"
    assert first["time"].endswith("+00:00")
    assert second["level"] == "ERROR" and "ValueError: no such unit" in second["exception"]


def test_text_logs_are_readable_lines(root_logger: logging.Logger) -> None:
    out = configured("text", "debug")
    logging.getLogger("foiflow.worker").debug("worker polling %s", "foiflow")
    (line,) = out.getvalue().splitlines()
    assert line.endswith("DEBUG   foiflow.worker: worker polling foiflow")


def test_emails_are_redacted_in_messages_exceptions_and_extras(root_logger: logging.Logger) -> None:
    out = configured("json")
    log = logging.getLogger("foiflow.test")
    log.warning("bounced: %s", "requester@example.org", extra={"to": "Jo <jo.bloggs@x.gov.uk>"})
    try:
        raise RuntimeError("550 no mailbox first.last+foi@sub.example.co.uk")
    except RuntimeError:
        log.exception("send failed")

    text = out.getvalue()
    for address in ("requester@example.org", "jo.bloggs@x.gov.uk", "first.last+foi@sub"):
        assert address not in text
    first, second = (json.loads(line) for line in text.splitlines())
    assert first["message"] == f"bounced: {REDACTED_EMAIL}"
    assert first["to"] == f"Jo <{REDACTED_EMAIL}>"
    assert f"550 no mailbox {REDACTED_EMAIL}" in second["exception"]


def test_configuring_twice_keeps_one_handler_and_takes_over_uvicorn(
    root_logger: logging.Logger,
) -> None:
    configured("text")
    out = configured("json")
    ours = [h for h in root_logger.handlers if type(h).__name__ == "_FoiflowHandler"]
    assert len(ours) == 1
    logging.getLogger("uvicorn.error").error("Application startup failed")
    (line,) = out.getvalue().splitlines()
    assert json.loads(line)["logger"] == "uvicorn.error"


async def test_a_whole_seed_case_logs_nothing_about_the_requester(
    root_logger: logging.Logger, env: WorkflowEnvironment, worker: Worker
) -> None:
    requester = seed_intake(await env.get_current_time()).requester
    assert requester is not None and requester.email
    out = configured("json", "DEBUG")
    # What the code logged before the safety net redacted anything: the code itself must not
    # rely on the net.
    raw = io.StringIO()
    unredacted = logging.StreamHandler(raw)
    unredacted.setFormatter(logging.Formatter("%(name)s %(message)s"))
    root_logger.handlers.insert(0, unredacted)
    try:
        handle = await start_seed(env.client, worker.task_queue, await env.get_current_time())
        await seed_case_issued(env, handle, after=timedelta(days=3))
        with env.auto_time_skipping_disabled():
            result = await handle.result()
        assert result.status == CaseStatus.ISSUED
        logging.getLogger("foiflow.test").info("seed case %s issued", handle.id)
    finally:
        root_logger.removeHandler(unredacted)
        await close_started_cases()

    written = out.getvalue()
    # The worker's activities and the SDK logged too (at DEBUG): the search covers them.
    loggers = {json.loads(line)["logger"] for line in written.splitlines()}
    assert {"foiflow.activities", "temporalio.activity", "foiflow.test"} <= loggers, loggers
    for text in (written, raw.getvalue()):
        assert requester.name not in text
        assert requester.email not in text
        assert requester.email.split("@")[0] not in text
