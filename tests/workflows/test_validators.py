"""Bad human actions are rejected with a reason naming the field, and nothing reaches history."""

from __future__ import annotations

from typing import Any

import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.case import Actor, Answer, AnswerKind, ExemptionClaim
from domain.messages import AnswerTask, RecordClockEvent, SignOffDecision
from statute.clock import ClockEventKind
from statute.exemptions import Role
from workflows.request import FoiRequestWorkflow

from case_driver import (
    HATE,
    OFFICER,
    PARTLY_EXEMPT,
    S31,
    VAWG,
    act,
    answer_seed,
    route_seed,
    start_seed,
)


async def _accepted_updates(handle: WorkflowHandle[Any, Any]) -> int:
    history = await handle.fetch_history()
    return sum(
        1
        for e in history.events
        if e.HasField("workflow_execution_update_accepted_event_attributes")
    )


async def _rejected(handle: WorkflowHandle[Any, Any], update: Any, arg: Any, reason: str) -> None:
    before = await _accepted_updates(handle)
    assert before > 0, "the case should have accepted earlier updates"
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await handle.execute_update(update, arg)
    message = str(caught.value.cause)
    assert reason in message, message
    assert await _accepted_updates(handle) == before, "a rejected update reached history"


async def test_bad_answers_are_rejected(env: WorkflowEnvironment, worker: Worker) -> None:
    handle = await start_seed(env.client, worker.task_queue, await env.get_current_time())
    await route_seed(handle)
    answer = FoiRequestWorkflow.answer_task

    # A unit contact answering another unit's task.
    await _rejected(
        handle,
        answer,
        AnswerTask(actor=VAWG, question=4, answer=PARTLY_EXEMPT),
        "actor: vawg.contact is not a member of unit hate-crime, which owns Q4",
    )
    # An unknown exemption.
    bogus = S31.model_copy(update={"section": "99"})
    await _rejected(
        handle,
        answer,
        AnswerTask(actor=HATE, question=4, answer=Answer(kind=AnswerKind.EXEMPT, claims=[bogus])),
        "answer.claims[0].section: '99' is not an exemption",
    )
    # A qualified exemption without public interest factors.
    no_pit = S31.model_copy(update={"public_interest_for": [], "public_interest_against": []})
    await _rejected(
        handle,
        answer,
        AnswerTask(actor=HATE, question=4, answer=Answer(kind=AnswerKind.EXEMPT, claims=[no_pit])),
        "answer.claims[0].public_interest_for: section 31 is a qualified exemption",
    )
    # A prejudice-based exemption without the prejudice.
    no_prejudice = S31.model_copy(update={"prejudice": None, "likelihood": None})
    await _rejected(
        handle,
        answer,
        AnswerTask(
            actor=HATE, question=4, answer=Answer(kind=AnswerKind.EXEMPT, claims=[no_prejudice])
        ),
        "answer.claims[0].prejudice: section 31 is prejudice-based",
    )
    # Not held without the searches made.
    await _rejected(
        handle,
        answer,
        AnswerTask(actor=VAWG, question=1, answer=Answer(kind=AnswerKind.NOT_HELD)),
        "answer.searches: record where and how",
    )


async def test_sign_off_rules(env: WorkflowEnvironment, worker: Worker) -> None:
    handle = await start_seed(env.client, worker.task_queue, await env.get_current_time())
    await route_seed(handle)
    await answer_seed(handle, range(1, 4))
    s36 = ExemptionClaim(
        section="36",
        subsections="(2)(c)",
        reason="Free and frank advice would be inhibited.",
        prejudice="the effective conduct of public affairs",
        likelihood="would_be_likely_to",
        public_interest_for=["Openness"],
        public_interest_against=["Safe space for advice"],
    )
    # The hate crime contact is also a senior officer: they recommend s31 on Q4.
    senior_contact = Actor(
        user_id="hate.senior", roles=[Role.UNIT_CONTACT, Role.SENIOR_OFFICER], units=["hate-crime"]
    )
    await handle.execute_update(
        FoiRequestWorkflow.answer_task,
        AnswerTask(actor=senior_contact, question=4, answer=PARTLY_EXEMPT),
    )
    await handle.execute_update(
        FoiRequestWorkflow.answer_task,
        AnswerTask(actor=HATE, question=5, answer=Answer(kind=AnswerKind.EXEMPT, claims=[s36])),
    )
    for q in (6, 7):
        await handle.execute_update(
            FoiRequestWorkflow.answer_task,
            AnswerTask(
                actor=Actor(
                    user_id="community.contact",
                    roles=[Role.UNIT_CONTACT],
                    units=["community-engagement"],
                ),
                question=q,
                answer=PARTLY_EXEMPT,
            ),
        )
    decide = FoiRequestWorkflow.decide_sign_off
    # Self sign-off.
    await _rejected(
        handle,
        decide,
        SignOffDecision(actor=senior_contact, section="31", approve=True),
        "actor: hate.senior recommended section 31 and cannot sign it off",
    )
    # s36 approved by someone who is not the qualified person.
    chief = Actor(user_id="chief", roles=[Role.SENIOR_OFFICER, Role.FOI_OFFICER])
    await _rejected(
        handle,
        decide,
        SignOffDecision(actor=chief, section="36", approve=True),
        "actor: section 36 needs the reasonable opinion of the qualified person; chief is not",
    )
    # A rejection needs a reason for the unit.
    await _rejected(
        handle,
        decide,
        SignOffDecision(actor=chief, section="31", approve=False),
        "reason: say why the sign-off is refused",
    )
    # Answers under sign-off cannot be revised.
    await _rejected(
        handle,
        FoiRequestWorkflow.answer_task,
        AnswerTask(actor=HATE, question=4, answer=PARTLY_EXEMPT),
        "question: the answer to Q4 is under sign-off",
    )
    # A rejection returns the questions to their unit with the reason.
    view = await act(
        handle,
        decide,
        SignOffDecision(actor=chief, section="31", approve=False, reason="Too broad"),
    )
    returned = {t.question: t for t in view.tasks if t.status == "returned"}
    assert set(returned) == {4, 6, 7}
    assert returned[4].returned_reason == "s31 sign-off refused: Too broad"


async def test_clock_events_the_statute_does_not_allow(
    env: WorkflowEnvironment, worker: Worker
) -> None:
    handle = await start_seed(
        env.client, worker.task_queue, await env.get_current_time(), regime="foisa"
    )
    await route_seed(handle)
    record = FoiRequestWorkflow.record_clock_event
    await _rejected(
        handle,
        record,
        RecordClockEvent(actor=OFFICER, kind=ClockEventKind.FEE_RECEIVED),
        "fee_received: no fees notice was given",
    )
    await _rejected(
        handle,
        record,
        RecordClockEvent(actor=OFFICER, kind=ClockEventKind.CLARIFICATION_RECEIVED),
        "clarification_received: no clarification is outstanding",
    )
    await _rejected(
        handle,
        record,
        RecordClockEvent(actor=OFFICER, kind=ClockEventKind.EXTENSION, extension="reg7"),
        "extension: reg7 is not available under foisa",
    )
    await _rejected(
        handle,
        record,
        RecordClockEvent(actor=HATE, kind=ClockEventKind.CLARIFICATION_REQUESTED),
        "actor: hate.contact is not a foi_officer",
    )
