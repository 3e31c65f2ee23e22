"""The foiflow worker: the request workflow and its activities on one task queue.

Run it with ``python worker.py`` (``make run`` starts one for you).
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.case_activities import CaseActivities
from activities.store_adapters import store_activities
from services.delivery import run_dispatcher
from services.temporal import connect
from settings import Settings, get_settings
from workflows.request import FoiRequestWorkflow

WORKFLOWS: list[type[Any]] = [FoiRequestWorkflow]

# The statute core is pure and deterministic; passing it through loads the bank-holiday data once
# per process instead of once per workflow run.
SANDBOX = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules("statute")
)


def build_worker(
    client: Client, task_queue: str, executor: ThreadPoolExecutor, activities: CaseActivities
) -> Worker:
    """A worker for the request workflow, its activities built with their dependencies (the
    store's: ``store_activities(settings)``). The activities are synchronous: ``executor`` runs
    them."""
    return Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=activities.all(),
        activity_executor=executor,
        workflow_runner=SANDBOX,
    )


def store_worker(client: Client, settings: Settings, executor: ThreadPoolExecutor) -> Worker:
    """The worker every deployment runs: activities on the store named by ``settings``."""
    return build_worker(client, settings.task_queue, executor, store_activities(settings))


async def run_worker(settings: Settings) -> None:
    """The worker, and beside it the dispatcher draining the outbox (unless
    ``FOIFLOW_DISPATCH_IN_WORKER=false``: then run ``foiflow dispatch`` somewhere)."""
    from store.db import migrate

    settings.ensure_data_dir()
    migrate(settings.database_url)
    client = await connect(settings)
    with ThreadPoolExecutor(max_workers=8) as executor:
        worker = store_worker(client, settings, executor)
        logging.getLogger("foiflow").info("worker polling %s", settings.task_queue)
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


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    asyncio.run(run_worker(get_settings()))


if __name__ == "__main__":
    main()
