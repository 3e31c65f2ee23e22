"""Actors, the seed case and its answers, for driving FoiRequestWorkflow as its users would."""

from __future__ import annotations

import itertools
import random
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from temporalio.client import Client, WorkflowHandle

from domain.case import (
    CLOSED_STATUSES,
    Actor,
    Answer,
    AnswerKind,
    CaseView,
    ExemptionClaim,
    RequestIntake,
)
from domain.intake import split_questions
from domain.messages import (
    AnswerTask,
    ApproveResponse,
    CloseCase,
    RequestInput,
    Route,
    RouteQuestions,
    SignOffDecision,
)
from services.temporal import start_case
from statute.exemptions import Role
from workflows.request import FoiRequestWorkflow

SEED_FILE = Path(__file__).resolve().parents[2] / "cli" / "demo" / "seed_case.yaml"

OFFICER = Actor(user_id="foi.officer", roles=[Role.FOI_OFFICER], units=["foi"])
VAWG = Actor(user_id="vawg.contact", roles=[Role.UNIT_CONTACT], units=["vawg"])
HATE = Actor(user_id="hate.contact", roles=[Role.UNIT_CONTACT], units=["hate-crime"])
COMMUNITY = Actor(
    user_id="community.contact", roles=[Role.UNIT_CONTACT], units=["community-engagement"]
)
SENIOR = Actor(user_id="senior.officer", roles=[Role.SENIOR_OFFICER])
DPO = Actor(user_id="data.protection", roles=[Role.DATA_PROTECTION_OFFICER])
QUALIFIED_PERSON = Actor(user_id="qualified.person", roles=[Role.QUALIFIED_PERSON])

SEED_ROUTES = {
    1: "vawg",
    2: "vawg",
    3: "vawg",
    4: "hate-crime",
    5: "hate-crime",
    6: "community-engagement",
    7: "community-engagement",
}
UNIT_ACTORS = {"vawg": VAWG, "hate-crime": HATE, "community-engagement": COMMUNITY}

_counter = itertools.count(random.randrange(100_000))
_started: list[WorkflowHandle[FoiRequestWorkflow, Any]] = []


def noon_on(day: date) -> datetime:
    """Midday in London on ``day``: after that day's 09:00 reminders, before the next day's."""
    return datetime.combine(day, time(12), tzinfo=ZoneInfo("Europe/London"))


def new_reference() -> str:
    return f"01.FOI.26.{next(_counter):06d}"


def seed_intake(
    received_at: datetime, reference: str | None = None, **changes: Any
) -> RequestIntake:
    data = yaml.safe_load(SEED_FILE.read_text())
    data["reference"] = reference or new_reference()
    data["received_at"] = received_at
    data["questions"] = [q.model_dump() for q in split_questions(data["request_text"])]
    data.update(changes)
    return RequestIntake.model_validate(data)


NOT_HELD = Answer(
    kind=AnswerKind.NOT_HELD,
    searches="VAWG strategic unit records and panel files searched; the panel is being set up",
    note="The MPS is in the process of developing a VAWG panel.",
)

S31 = ExemptionClaim(
    section="31",
    subsections="(1)(a)(b)",
    applies_to="the organisations and groups on the panels",
    reason="Disclosure would reveal how the MPS gathers community intelligence.",
    prejudice="the prevention or detection of crime and the apprehension or prosecution of "
    "offenders",
    likelihood="would",
    public_interest_for=["Transparency about who advises the police"],
    public_interest_against=["Members have been targeted; groups would refuse to work with us"],
)
S40 = ExemptionClaim(
    section="40",
    subsections="(2)(3)",
    applies_to="names of individual members",
    reason="Names are personal data; disclosure would breach the first data protection principle.",
)

PARTLY_EXEMPT = Answer(
    kind=AnswerKind.PARTLY_HELD,
    searches="No central register of advisory group members is kept; unit records searched",
    claims=[S31, S40],
)


def seed_answer(question: int) -> Answer:
    return NOT_HELD if question <= 3 else PARTLY_EXEMPT


async def start_seed(
    client: Client, task_queue: str, received_at: datetime, **changes: Any
) -> WorkflowHandle[FoiRequestWorkflow, Any]:
    intake = seed_intake(received_at, **changes)
    handle = await start_case(client, RequestInput(intake=intake), task_queue)
    _started.append(handle)
    return handle


async def state_of(handle: WorkflowHandle[Any, Any]) -> CaseView:
    view: CaseView = await handle.query(FoiRequestWorkflow.state)
    return view


async def act(handle: WorkflowHandle[Any, Any], update: Any, arg: Any) -> CaseView:
    """Run an update as a user would, then read the case: updates return only what changed."""
    await handle.execute_update(update, arg)
    return await state_of(handle)


async def close_started_cases() -> None:
    while _started:
        handle = _started.pop()
        view = await handle.query(FoiRequestWorkflow.state)
        if view.status not in CLOSED_STATUSES:
            await handle.execute_update(
                FoiRequestWorkflow.close_case, CloseCase(actor=OFFICER, reason="test finished")
            )


async def route_seed(handle: WorkflowHandle[FoiRequestWorkflow, Any]) -> None:
    await handle.execute_update(
        FoiRequestWorkflow.route_questions,
        RouteQuestions(
            actor=OFFICER, routes=[Route(question=q, unit=u) for q, u in SEED_ROUTES.items()]
        ),
    )


async def answer_seed(
    handle: WorkflowHandle[FoiRequestWorkflow, Any], questions: range = range(1, 8)
) -> None:
    for q in questions:
        await handle.execute_update(
            FoiRequestWorkflow.answer_task,
            AnswerTask(actor=UNIT_ACTORS[SEED_ROUTES[q]], question=q, answer=seed_answer(q)),
        )


async def sign_off_and_approve(handle: WorkflowHandle[FoiRequestWorkflow, Any]) -> None:
    """The seed case's sign-offs by the policy's roles, then the officer's approval."""
    for actor, section in ((SENIOR, "31"), (DPO, "40")):
        await handle.execute_update(
            FoiRequestWorkflow.decide_sign_off,
            SignOffDecision(actor=actor, section=section, approve=True),
        )
    await handle.execute_update(FoiRequestWorkflow.approve_response, ApproveResponse(actor=OFFICER))
