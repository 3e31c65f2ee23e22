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
from logging_setup import configure_logging
from services.temporal import connect, telemetry_runtime
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
    from store.db import migrate

    settings.ensure_data_dir()
    migrate(settings.database_url)
    client = await connect(settings, runtime=telemetry_runtime(settings))
    with ThreadPoolExecutor(max_workers=8) as executor:
        worker = store_worker(client, settings, executor)
        logging.getLogger("foiflow").info("worker polling %s", settings.task_queue)
        await worker.run()


def main() -> None:
    settings = get_settings()
    configure_logging(settings)
    asyncio.run(run_worker(settings))


if __name__ == "__main__":
    main()
