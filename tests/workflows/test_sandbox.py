"""The worker's sandbox: the workflows' pure modules are passed through (imported once per
process), and a deployment runs its workflows with the sandbox or without it
(``FOIFLOW_WORKER_SANDBOX``), the case living the same life either way."""

from __future__ import annotations

import pkgutil
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

import workflows
from domain.case import CaseStatus
from services.cases import case_view
from services.context import ServiceContext
from settings import Settings, WorkerSandbox, get_settings
from store.db import get_engine
from worker import PURE_WORKFLOW_MODULES, SANDBOX, store_worker, workflow_runner

from case_driver import close_started_cases, seed_case_issued, start_seed

SANDBOXED = {"workflows.request", "workflows.review"}  # the workflows: calls checked per run


def test_every_workflow_module_is_passed_through_or_sandboxed() -> None:
    modules = {f"workflows.{m.name}" for m in pkgutil.iter_modules(workflows.__path__)}
    assert modules - SANDBOXED == set(PURE_WORKFLOW_MODULES)


def test_the_setting_names_the_runner_and_the_tests_run_sandboxed() -> None:
    assert Settings().worker_sandbox == "off"
    assert isinstance(workflow_runner(Settings(worker_sandbox="off")), UnsandboxedWorkflowRunner)
    assert workflow_runner(Settings(worker_sandbox="on")) is SANDBOX
    assert isinstance(SANDBOX, SandboxedWorkflowRunner)


def test_a_value_that_is_neither_is_refused_naming_the_setting() -> None:
    with pytest.raises(ValueError, match="worker_sandbox") as refused:
        Settings(worker_sandbox="sometimes")
    assert "'on' or 'off'" in str(refused.value)


@pytest.mark.parametrize("sandbox", ["on", "off"])
async def test_the_seed_case_lives_the_same_life_with_the_sandbox_or_without(
    env: WorkflowEnvironment, executor: ThreadPoolExecutor, sandbox: WorkerSandbox
) -> None:
    settings = get_settings().model_copy(
        update={"worker_sandbox": sandbox, "task_queue": f"sandbox-{sandbox}-{uuid.uuid4()}"}
    )
    async with store_worker(env.client, settings, executor):
        handle = await start_seed(env.client, settings.task_queue, await env.get_current_time())
        await seed_case_issued(env, handle)
        with env.auto_time_skipping_disabled():
            result = await handle.result()
        ctx = ServiceContext(
            settings=settings, engine=get_engine(settings.database_url), client=env.client
        )
        view = await case_view(ctx, handle.id)  # the finished case, replayed for the query
        await close_started_cases()  # nothing left for a worker that is about to stop
    assert result.status == CaseStatus.ISSUED and result.on_time
    assert [t.status for t in view.tasks] == ["settled"] * 7
    assert {s.section: s.status for s in view.sign_offs} == {"31": "approved", "40": "approved"}
