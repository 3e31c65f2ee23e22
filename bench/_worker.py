"""A worker process for the benchmarks: ``python -m bench._worker real|skeleton``.

``real`` is the worker every deployment runs (``worker.store_worker``, with the settings' tuning)
on the store ``FOIFLOW_DATABASE_URL`` names; ``skeleton`` runs ``bench._skeleton`` the same way.
Prints ``ready`` once polling, and runs until it is terminated.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from temporalio.worker import Worker

from services.temporal import connect_client
from settings import get_settings
from worker import activity_executor, store_worker, worker_tuning, workflow_runner


async def serve(kind: str) -> None:
    settings = get_settings()
    client = await connect_client(settings)
    with activity_executor(settings) as executor:
        if kind == "real":
            worker = store_worker(client, settings, executor)
        else:
            from bench._skeleton import SkeletonCase, skeleton_notify, skeleton_project

            worker = Worker(
                client,
                task_queue=settings.task_queue,
                workflows=[SkeletonCase],
                activities=[skeleton_notify, skeleton_project],
                activity_executor=executor,
                workflow_runner=workflow_runner(settings),
                **worker_tuning(settings),
            )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        async with worker:
            print("ready", flush=True)
            await stop.wait()


def main() -> int:
    kind = sys.argv[1] if len(sys.argv) > 1 else "real"
    if kind not in ("real", "skeleton"):
        print(f"error: kind: {kind!r} is neither real nor skeleton", file=sys.stderr)
        return 2
    asyncio.run(serve(kind))
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)  # as worker.py: no finalisation while the Temporal core's threads run
