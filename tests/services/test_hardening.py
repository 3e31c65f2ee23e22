"""Issue 11 through the services: inputs that could break a running case are refused where a
person enters them (and a case that meets one anyway keeps going), stale actions are refused,
bad requests and files are one-line errors that consume nothing."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select
from temporalio.worker import Worker
from typer.testing import CliRunner

from cli.main import app as foiflow
from domain.case import Answer, ExemptionClaim
from domain.messages import CalendarChanged
from services import actions
from services.cases import case_view
from services.context import ServiceContext
from services.errors import Conflict, Rejected, StaleVersion
from services.files import MAX_FILE_BYTES, read_text_file
from services.intake import IntakeError, preview_intake, read_request_file, start_case
from services.schemas import (
    MAX_QUESTION_TEXT,
    MAX_QUESTIONS,
    AnswerIn,
    ClaimIn,
    RoutesIn,
    WithdrawIn,
)
from store import refdata
from store.db import session_scope
from store.models import AuthoritySettingRow, IntakeRow, ReferenceCounterRow
from workflows.request import FoiRequestWorkflow

from case_driver import NOT_HELD, PARTLY_EXEMPT, SEED_FILE

AsUser = Callable[[str], Awaitable[ServiceContext]]
StartCase = Callable[..., Awaitable[str]]
Settled = Callable[[ServiceContext, str], Awaitable[None]]
runner = CliRunner()


def seed_request(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(SEED_FILE.read_text())
    document.pop("reference")
    document.update(changes)
    return document


def consumed(ctx: ServiceContext) -> tuple[int, int]:
    """Reference numbers handed out and requests registered, in the store."""
    with session_scope(ctx.engine) as session:
        counters = session.scalar(select(func.coalesce(func.sum(ReferenceCounterRow.last), 0)))
        intakes = session.scalar(select(func.count()).select_from(IntakeRow))
    return int(counters or 0), int(intakes or 0)


def cli(*args: str) -> Any:
    return runner.invoke(foiflow, list(args))


# --- inputs that break running cases -----------------------------------------------------------


async def test_each_entry_point_refuses_what_would_break_a_case_and_the_case_moves_on(
    system: ServiceContext, as_user: AsUser, seed_case: StartCase, settled: Settled
) -> None:
    reference = await seed_case()
    await settled(system, reference)

    # Where a person enters them, each value is refused with the field and the reason...
    for args, said in (
        (("calendar", "notify", "--version", "9999"), "version: no calendar v9999 (stored: v1)"),
        (("calendar", "notify", "--version", "-1"), "version: no calendar v-1 (stored: v1)"),
        (
            ("store", "settings", "set", "reminders.send_hour", "25"),
            "reminders.send_hour: Input should be less than or equal to 23",
        ),
        (
            ("store", "settings", "set", "reminders.send_hour", "-1"),
            "reminders.send_hour: Input should be greater than or equal to 0",
        ),
        (
            ("store", "settings", "set", "reminders.unit_reminder_before_task_due", "-2"),
            "Input should be greater than or equal to 0",
        ),
        (("store", "settings", "set", "cost_limit_hours", "inf"), "Input should be a finite"),
        (
            ("store", "rules", "add", "stalking", "vawg", "--priority", "-5"),
            "priority: Input should be greater than or equal to 0",
        ),
    ):
        result = cli(*args)
        assert result.exit_code == 1, (args, result.output)
        assert said in result.stderr, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert result.exception is None or isinstance(result.exception, SystemExit)

    # ...and a bad version that reaches the case anyway (an older release announced it) is a
    # problem on the case, not a stuck one.
    handle = system.client.get_workflow_handle(reference)
    await handle.signal(FoiRequestWorkflow.calendar_changed, CalendarChanged(version=9999))
    await settled(system, reference)
    view = await case_view(system, reference)
    assert [p.field for p in view.problems] == ["calendar"]
    assert view.clock.calendar_version == 1

    # The case still answers queries and moves on.
    officer = await as_user("aisha-rahman")
    view = await actions.route_questions(officer, reference, RoutesIn(accept_suggestions=True))
    assert len(view.tasks) == 7
    await settled(system, reference)
    view = await actions.answer_task(await as_user("tom-oduya"), reference, 1, NOT_HELD)
    assert view.tasks[0].answered_by == "tom-oduya"
    # The refused settings were never stored: a new case starts with nine o'clock.
    with session_scope(system.engine) as session:
        assert refdata.case_policy(session).reminders.send_hour == 9
        assert all(r.priority >= 0 for r in refdata.list_rules(session))


@contextmanager
def stored_setting(ctx: ServiceContext, key: str, value: Any) -> Iterator[None]:
    """A value written straight into the settings table, as a release before the checks could
    have stored it; put back afterwards (the session's store is shared)."""
    with session_scope(ctx.engine) as session:
        row = session.get(AuthoritySettingRow, key)
        before = None if row is None else json.loads(json.dumps(row.value))
        row = row or AuthoritySettingRow(key=key, value=None)
        row.value = value
        session.add(row)
    try:
        yield
    finally:
        with session_scope(ctx.engine) as session:
            row = session.get(AuthoritySettingRow, key)
            assert row is not None
            if before is None:
                session.delete(row)
            else:
                row.value = before
                session.add(row)


async def test_a_stored_setting_no_case_could_run_on_stops_new_cases_until_it_is_fixed(
    system: ServiceContext,
    as_user: AsUser,
    seed_case: StartCase,
    settled: Settled,
    worker: Worker,
) -> None:
    running = await seed_case()
    on_worker = replace(
        system, settings=system.settings.model_copy(update={"task_queue": worker.task_queue})
    )
    with session_scope(system.engine) as session:
        reminders = refdata.get_authority(session).reminders.model_dump()
    with stored_setting(system, "reminders", {**reminders, "send_hour": 25}):
        before = consumed(system)
        with pytest.raises(Conflict) as caught:
            await start_case(system, seed_request(), None)
        assert caught.value.field == "settings"
        assert "reminders.send_hour: the stored value 25 is refused" in caught.value.reason
        assert "`foiflow store settings set reminders.send_hour VALUE`" in caught.value.reason
        assert consumed(system) == before  # no reference used up

        # Reading goes on (the default stands in), and says what is wrong.
        show = cli("store", "settings", "show")
        assert show.exit_code == 0
        assert "reminders.send_hour = 9" in show.stdout
        assert "! reminders.send_hour: the stored value 25 is refused" in show.stderr

        # A running case is untouched: it still answers and moves on.
        officer = await as_user("aisha-rahman")
        view = await actions.route_questions(officer, running, RoutesIn(accept_suggestions=True))
        assert len(view.tasks) == 7

        # The setting is mended with the command the error names; new cases start again.
        fixed = cli("store", "settings", "set", "reminders.send_hour", "8")
        assert fixed.exit_code == 0, fixed.output
        started = await start_case(on_worker, seed_request(request_text="1. Anything else?"))
        view = await case_view(system, started.reference)
        assert view.problems == []
        await settled(system, started.reference)
        await actions.withdraw_case(officer, started.reference, WithdrawIn(reason="test over"))


# --- stale answers -----------------------------------------------------------------------------


async def test_a_stale_answer_is_refused_naming_who_and_when(
    system: ServiceContext, as_user: AsUser, seed_case: StartCase, settled: Settled
) -> None:
    reference = await seed_case()
    officer = await as_user("aisha-rahman")
    view = await actions.route_questions(officer, reference, RoutesIn(accept_suggestions=True))
    await settled(system, reference)
    read = view.version  # two hate-crime contacts open Q4 now

    priya, dual = await as_user("priya-nair"), await as_user("dual-role")
    await actions.answer_task(priya, reference, 4, PARTLY_EXEMPT, expected_version=read)
    with pytest.raises(StaleVersion) as caught:
        await actions.answer_task(dual, reference, 4, NOT_HELD, expected_version=read)
    assert isinstance(caught.value, Conflict)
    assert caught.value.field == "version"
    assert caught.value.reason.startswith(f"the case changed since you read it (v{read} → v")
    assert ", by priya-nair at " in caught.value.reason
    assert caught.value.reason.endswith("); reload and try again")
    view = await case_view(system, reference)
    assert next(t for t in view.tasks if t.question == 4).answered_by == "priya-nair"

    # Reloaded, the revision goes through; a caller sending no version is not checked.
    await actions.answer_task(dual, reference, 4, NOT_HELD, expected_version=view.version)
    await actions.answer_task(priya, reference, 4, PARTLY_EXEMPT)


# --- clear errors, never a traceback -----------------------------------------------------------


@pytest.mark.parametrize(
    ("received_at", "said"),
    [
        ("2030-06-03T10:00:00+00:00", "outside the bank-holiday data loaded"),
        ("1900-01-02T10:00:00+00:00", "outside the bank-holiday data loaded"),
        (1_700_000_000, "expected a date and time with its zone"),
        ("2025-03-03T10:00:00", "Input should have timezone info"),
    ],
)
async def test_a_receipt_the_calendar_cannot_count_is_one_line_and_uses_no_reference(
    system: ServiceContext, received_at: Any, said: str
) -> None:
    before = consumed(system)
    with pytest.raises(IntakeError) as caught:
        await start_case(system, seed_request(received_at=received_at))
    assert caught.value.field == "received_at"
    assert said in caught.value.reason
    assert "\n" not in str(caught.value)
    assert consumed(system) == before


async def test_a_ten_megabyte_question_is_refused_by_the_limits_and_consumes_nothing(
    system: ServiceContext,
) -> None:
    before = consumed(system)
    huge = "x" * 10_000_000
    with pytest.raises(IntakeError) as caught:
        await start_case(system, seed_request(questions=[{"number": 1, "text": huge}]))
    assert str(caught.value) == (
        f"questions.0.text: String should have at most {MAX_QUESTION_TEXT} characters"
    )
    with pytest.raises(IntakeError) as caught:
        await start_case(system, seed_request(request_text=f"1. {huge}"))
    assert str(caught.value) == "request_text: String should have at most 100000 characters"
    # Split from the text, a question meets the same limit as a given one.
    with pytest.raises(IntakeError) as caught:
        await start_case(system, seed_request(request_text="1. " + "y" * (MAX_QUESTION_TEXT + 1)))
    assert str(caught.value) == (
        f"request_text: question 1 has {MAX_QUESTION_TEXT + 1:,} characters; at most "
        f"{MAX_QUESTION_TEXT:,} in one question"
    )
    assert consumed(system) == before


def test_files_that_cannot_be_used_are_one_line(tmp_path: Path) -> None:
    binary = tmp_path / "request.yaml"
    binary.write_bytes(b"regime: foia\n\x89PNG\r\n\x1a\n\xff\xfe\x00")
    with pytest.raises(IntakeError) as caught:
        read_request_file(binary)
    assert str(caught.value) == f"file: {binary} is not UTF-8 text (is it a binary file?)"

    with pytest.raises(Rejected) as refused:
        actions.read_answer_file(binary)
    assert str(refused.value) == f"--file: {binary} is not UTF-8 text (is it a binary file?)"

    missing = tmp_path / "letter.txt"
    with pytest.raises(Rejected) as refused:
        read_text_file(missing, "--text-file")
    assert str(refused.value) == f"--text-file: cannot read {missing}: No such file or directory"

    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    with pytest.raises(IntakeError) as caught:
        read_request_file(big)
    assert str(caught.value) == f"file: {big} is 4.0 MB; a file here may be at most 4.0 MB"

    with pytest.raises(Rejected) as refused:
        read_text_file(tmp_path, "--text-file")
    assert str(refused.value) == f"--text-file: {tmp_path} is a directory, not a file"


def test_the_answer_inputs_keep_to_the_domains_fields() -> None:
    # AnswerIn and ClaimIn mirror the domain with limits: a field added there must be added here.
    assert set(AnswerIn.model_fields) == set(Answer.model_fields)
    assert set(ClaimIn.model_fields) == set(ExemptionClaim.model_fields)


def test_answer_files_refuse_unknown_fields_and_oversized_texts(tmp_path: Path) -> None:
    typo = tmp_path / "answer.yaml"
    typo.write_text("kind: not_held\nserches: every shared drive\n")
    with pytest.raises(Rejected) as refused:
        actions.read_answer_file(typo)
    assert str(refused.value) == "answer.serches: Extra inputs are not permitted"

    claim = tmp_path / "claim.yaml"
    claim.write_text(
        yaml.safe_dump(
            {"kind": "exempt", "claims": [{"section": "31", "reason": "r" * 10_001, "x": 1}]}
        )
    )
    with pytest.raises(Rejected) as refused:
        actions.read_answer_file(claim)
    assert refused.value.problems == [
        "answer.claims.0.reason: String should have at most 10000 characters",
        "answer.claims.0.x: Extra inputs are not permitted",
    ]

    ok = tmp_path / "ok.yaml"
    ok.write_text("kind: not_held\nsearches: every shared drive\n")
    assert actions.read_answer_file(ok).searches == "every shared drive"


# --- accepted but wrong ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"questions": [{"number": 1, "text": "  "}]}, "questions.0.text", "a question needs"),
        (
            {"questions": [{"number": 1, "text": "a"}, {"number": 1, "text": "b"}]},
            "questions",
            "question 1 is given twice",
        ),
        ({"request_text": "1. First\n1. Again"}, "request_text", "question 1 is numbered twice"),
        ({"questions": [{"number": 0, "text": "a"}]}, "questions.0.number", "greater than or"),
        ({"questions": [{"number": -3, "text": "a"}]}, "questions.0.number", "greater than or"),
        ({"request_text": "0. Zero\n1. One"}, "request_text", "question 0: questions are"),
        ({"reference": "../../etc/passwd"}, "reference", "String should match pattern"),
        ({"channel": "e" * 850}, "channel", "Input should be 'email'"),
        (
            {"requester": {"name": "A Person", "email": "not an email"}},
            "requester.email",
            "String should match pattern",
        ),
        ({"requester": {"name": ""}}, "requester.name", "at least 1 character"),
        ({"requester": {"name": "   "}}, "requester.name", "give the requester's name"),
        ({"recieved_at": "2025-03-03T10:00:00+00:00"}, "recieved_at", "Extra inputs"),
        ({"requester": {"name": "A", "phone": "1"}}, "requester.phone", "Extra inputs"),
        (
            {"questions": [{"number": n, "text": "q"} for n in range(1, 10_001)]},
            "questions",
            f"at most {MAX_QUESTIONS} items",
        ),
        ({"request_text": "z" * 1_000_001}, "request_text", "at most 100000 characters"),
    ],
)
async def test_requests_accepted_before_but_wrong_are_refused_with_field_and_reason(
    system: ServiceContext, changes: dict[str, Any], field: str, reason: str
) -> None:
    with pytest.raises(IntakeError) as caught:
        await preview_intake(system, seed_request(**changes))
    assert caught.value.field == field
    assert reason in caught.value.reason
