"""Two people acting on the same case at once: an action carries the case version its author
read, and one overtaken by another person's change is refused, naming who and when."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.case import Actor, Answer, AnswerKind
from domain.messages import AnswerTask, ReassignTask
from statute.exemptions import Role
from workflows import rules
from workflows.request import FoiRequestWorkflow

from case_driver import (
    LONDON,
    NOT_HELD,
    OFFICER,
    VAWG,
    case_file,
    route_file,
    route_seed,
    start_seed,
    state_of,
)

# A second contact in the same unit: the two of them can answer the same task.
VAWG_TOO = Actor(user_id="vawg.second", roles=[Role.UNIT_CONTACT], units=["vawg"])
DISCLOSED = Answer(kind=AnswerKind.DISCLOSED, information="The panel met twice in 2023.")


def test_an_answer_on_an_overtaken_version_is_refused_with_who_and_when() -> None:
    case, clock = case_file()
    route_file(case)
    read = case.state.version  # both contacts read the case now
    clock.move_to(clock.at + timedelta(minutes=7))
    first = AnswerTask(actor=VAWG, question=1, answer=NOT_HELD, expected_version=read)
    rules.check_fresh(case.state, first.expected_version, clock.at, LONDON)
    case.answer(first)
    answered_at = clock.at.astimezone(LONDON)

    clock.move_to(clock.at + timedelta(minutes=1))
    second = AnswerTask(actor=VAWG_TOO, question=1, answer=DISCLOSED, expected_version=read)
    with pytest.raises(rules.StaleVersion) as caught:
        rules.check_fresh(case.state, second.expected_version, clock.at, LONDON)
    assert caught.value.message == (
        f"version: the case changed since you read it (v{read} → v{case.state.version}, by "
        f"vawg.contact at {answered_at:%H:%M}); reload and try again"
    )
    assert caught.value.type == "StaleVersion" and caught.value.non_retryable

    # Read again, the same answer is fine; and without a version nothing is checked.
    rules.check_fresh(case.state, case.state.version, clock.at, LONDON)
    rules.check_fresh(case.state, None, clock.at, LONDON)


def test_the_systems_own_changes_do_not_make_a_version_stale() -> None:
    case, clock = case_file()
    route_file(case)
    read = case.state.version
    [reminder, *_] = case.planned_reminders()
    clock.move_to(reminder.at)
    case.reminder_sent(reminder)  # the case changed, but no person changed it
    assert case.state.version > read
    rules.check_fresh(case.state, read, clock.at, LONDON)


def test_a_version_the_case_never_had_is_refused() -> None:
    case, clock = case_file()
    for wrong in (99, -1):
        with pytest.raises(rules.StaleVersion) as caught:
            rules.check_fresh(case.state, wrong, clock.at, LONDON)
        assert caught.value.message == (
            f"version: the case has no version {wrong} (it is at v{case.state.version}); "
            "reload and try again"
        )


def test_a_stale_change_on_another_day_says_the_day() -> None:
    case, clock = case_file()
    read = case.state.version
    route_file(case)
    routed_at = clock.at.astimezone(LONDON)
    clock.move_to(clock.at + timedelta(days=1))
    with pytest.raises(rules.StaleVersion) as caught:
        rules.check_fresh(case.state, read, clock.at, LONDON)
    assert f"by foi.officer at {routed_at:%H:%M} on {routed_at:%Y-%m-%d})" in caught.value.message


async def test_two_contacts_answering_the_same_task_at_once(
    env: WorkflowEnvironment, worker: Worker
) -> None:
    handle = await start_seed(env.client, worker.task_queue, await env.get_current_time())
    await route_seed(handle)
    read = (await state_of(handle)).version

    async def answer(actor: Actor, given: Answer) -> BaseException | None:
        try:
            await handle.execute_update(
                FoiRequestWorkflow.answer_task,
                AnswerTask(actor=actor, question=1, answer=given, expected_version=read),
            )
        except WorkflowUpdateFailedError as exc:
            return exc
        return None

    outcomes = await asyncio.gather(answer(VAWG, NOT_HELD), answer(VAWG_TOO, DISCLOSED))
    refused = [o for o in outcomes if o is not None]
    assert len(refused) == 1, "exactly one of the two is accepted"
    [failure] = refused
    assert isinstance(failure, WorkflowUpdateFailedError)
    cause = failure.cause
    assert getattr(cause, "type", None) == "StaleVersion"
    winner = "vawg.contact" if outcomes[0] is None else "vawg.second"
    assert f"by {winner} at " in str(cause)

    view = await state_of(handle)
    [task] = [t for t in view.tasks if t.question == 1]
    assert task.answered_by == winner  # the loser wrote nothing
    assert len([e for e in view.timeline if e.kind == "answered"]) == 1


async def test_a_reassignment_on_an_overtaken_version_is_refused(
    env: WorkflowEnvironment, worker: Worker
) -> None:
    handle = await start_seed(env.client, worker.task_queue, await env.get_current_time())
    await route_seed(handle)
    read = (await state_of(handle)).version
    await handle.execute_update(
        FoiRequestWorkflow.answer_task,
        AnswerTask(actor=VAWG, question=1, answer=NOT_HELD, expected_version=read),
    )
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await handle.execute_update(
            FoiRequestWorkflow.reassign_task,
            ReassignTask(
                actor=OFFICER,
                question=1,
                unit="hate-crime",
                reason="wrong unit",
                expected_version=read,
            ),
        )
    assert "version: the case changed since you read it" in str(caught.value.cause)
    assert "by vawg.contact at" in str(caught.value.cause)
    # Old callers send no version: not checked, as before.
    await handle.execute_update(
        FoiRequestWorkflow.reassign_task,
        ReassignTask(actor=OFFICER, question=1, unit="hate-crime", reason="wrong unit"),
    )
    assert [t.unit for t in (await state_of(handle)).tasks if t.question == 1] == ["hate-crime"]
