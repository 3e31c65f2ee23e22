"""The foiflow worker: the request workflow and its activities on one task queue.

Run it with ``python worker.py`` (``make run`` starts one for you).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypedDict

from pydantic import ValidationError
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.case_activities import CaseActivities
from activities.store_adapters import store_activities
from logging_setup import configure_logging
from services.db import StoreUnavailable, prepare_store
from services.delivery import run_dispatcher
from services.errors import ServiceError
from services.temporal import connect_client, telemetry_runtime
from settings import Settings, WorkerSandbox, get_settings, settings_problem
from workflows.request import FoiRequestWorkflow
from workflows.review import ReviewWorkflow

WORKFLOWS: list[type[Any]] = [FoiRequestWorkflow, ReviewWorkflow]
UNAVAILABLE = 3  # the exit code of every foiflow entry point when a part it needs is down
# A database still starting (compose brings everything up at once) is waited for: first retry
# after a second, then twice as long each time, never more than this apart.
STORE_RETRY_FIRST_S = 1.0
STORE_RETRY_LONGEST_S = 30.0

log = logging.getLogger("foiflow.worker")
Sleep = Callable[[float], Awaitable[None]]

# The statute core, the domain and the workflow's pure modules are deterministic (the import
# contracts keep I/O out of them, and they hold no mutable module state): passing them through
# imports them once per process instead of once per workflow run. The workflows' own modules,
# ``workflows.request`` and ``workflows.review``, are imported afresh for every run and their
# calls are checked. The tests' workers and the replay tests always run in this sandbox;
# deployments choose (``FOIFLOW_WORKER_SANDBOX``): importing and checking cost ~25 ms of CPU for
# each case a worker loads and ~1.5 ms for each workflow task.
PURE_WORKFLOW_MODULES = (
    "workflows.case_file",
    "workflows.clock",
    "workflows.letter",
    "workflows.policy",
    "workflows.reminders",
    "workflows.review_file",
    "workflows.rules",
    "workflows.search_attributes",
    "workflows.sign_offs",
    "workflows.view",
)
SANDBOX = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules(
        "statute", "domain", *PURE_WORKFLOW_MODULES
    )
)
RUNNERS: dict[WorkerSandbox, WorkflowRunner] = {"on": SANDBOX, "off": UnsandboxedWorkflowRunner()}


def workflow_runner(settings: Settings) -> WorkflowRunner:
    """The runner ``FOIFLOW_WORKER_SANDBOX`` names: the sandbox, or none."""
    return RUNNERS[settings.worker_sandbox]


class WorkerTuning(TypedDict):
    max_cached_workflows: int
    max_concurrent_workflow_tasks: int
    max_concurrent_activities: int


def worker_tuning(settings: Settings) -> WorkerTuning:
    """The worker's cache size and task slots, as the settings give them."""
    return {
        "max_cached_workflows": settings.worker_max_cached_workflows,
        "max_concurrent_workflow_tasks": settings.worker_max_concurrent_workflow_tasks,
        # No more activities at once than threads to run them on (the SDK warns otherwise).
        "max_concurrent_activities": min(
            settings.worker_max_concurrent_activities, settings.worker_activity_threads
        ),
    }


def activity_executor(settings: Settings) -> ThreadPoolExecutor:
    """The threads the synchronous activities run on."""
    return ThreadPoolExecutor(
        max_workers=settings.worker_activity_threads, thread_name_prefix="activity"
    )


def build_worker(
    client: Client,
    task_queue: str,
    executor: ThreadPoolExecutor,
    activities: CaseActivities,
    tuning: WorkerTuning | None = None,
    runner: WorkflowRunner = SANDBOX,
) -> Worker:
    """A worker for the request workflow, its activities built with their dependencies (the
    store's: ``store_activities(settings)``). The activities are synchronous: ``executor`` runs
    them. ``tuning``: ``worker_tuning(settings)``, else the SDK's defaults; ``runner``:
    ``workflow_runner(settings)``, else the sandbox (the tests' workers)."""
    return Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=activities.all(),
        activity_executor=executor,
        workflow_runner=runner,
        **(
            tuning
            or WorkerTuning(
                max_cached_workflows=1000,
                max_concurrent_workflow_tasks=100,
                max_concurrent_activities=100,
            )
        ),
    )


def store_worker(client: Client, settings: Settings, executor: ThreadPoolExecutor) -> Worker:
    """The worker every deployment runs: activities on the store named by ``settings``."""
    return build_worker(
        client,
        settings.task_queue,
        executor,
        store_activities(settings),
        worker_tuning(settings),
        workflow_runner(settings),
    )


async def wait_for_store(
    settings: Settings,
    *,
    sleep: Sleep = asyncio.sleep,
    first: float = STORE_RETRY_FIRST_S,
    longest: float = STORE_RETRY_LONGEST_S,
) -> None:
    """Migrate the store, waiting while the database cannot be reached: one log line per
    attempt, the waits doubling up to ``longest``. A store no wait can mend (a malformed URL,
    an unusable data directory) raises ``StoreUnavailable`` at once."""
    delay, attempt = first, 1
    while True:
        try:
            await asyncio.to_thread(prepare_store, settings)
        except StoreUnavailable as exc:
            if not exc.transient:
                raise
            log.warning("store not ready (attempt %d; next in %gs): %s", attempt, delay, exc)
            await sleep(delay)
            delay, attempt = min(delay * 2, longest), attempt + 1
            continue
        if attempt > 1:
            log.info("store ready after %d attempts", attempt)
        return


async def run_worker(settings: Settings) -> None:
    """The worker, and beside it the dispatcher draining the outbox (unless
    ``FOIFLOW_DISPATCH_IN_WORKER=false``: then run ``foiflow dispatch`` somewhere)."""
    await wait_for_store(settings)
    client = await connect_client(settings, runtime=telemetry_runtime(settings))
    with activity_executor(settings) as executor:
        worker = store_worker(client, settings, executor)
        log.info("worker polling %s", settings.task_queue)
        stop = asyncio.Event()
        dispatching = (
            asyncio.create_task(run_dispatcher(settings, client, stop))
            if settings.dispatch_in_worker
            else None
        )
        try:
            await worker.run()
        finally:
            if dispatching is not None:
                stop.set()
                await dispatching


def main() -> int:
    try:
        settings = get_settings()
    except ValidationError as exc:
        print(f"error: {settings_problem(exc)}", file=sys.stderr)
        return 2
    configure_logging(settings)
    try:
        asyncio.run(run_worker(settings))
    except ServiceError as exc:  # Temporal or the store cannot be used: say which setting
        log.error("error: %s", exc)
        return UNAVAILABLE
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter finalisation: it can abort ("PyGILState_Release") while the Temporal core
    # runtime's threads are alive, turning a clear one-line error into a crash dump.
    os._exit(code)
