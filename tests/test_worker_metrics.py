"""The worker's Temporal SDK metrics for Prometheus, on ``FOIFLOW_WORKER_METRICS_PORT``: the
runtime ``worker.py`` connects with, serving a real worker against the time-skipping server."""

from __future__ import annotations

import asyncio
import socket
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

from prometheus_client.parser import text_string_to_metric_families
from temporalio.testing import WorkflowEnvironment

from activities.store_adapters import store_activities
from services.temporal import connect, telemetry_runtime
from settings import Settings, get_settings
from worker import build_worker


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_worker_metrics_are_off_unless_a_port_is_set() -> None:
    assert Settings().worker_metrics_port == 0


async def test_the_worker_serves_the_sdk_s_metrics_on_its_port(
    env: WorkflowEnvironment, executor: ThreadPoolExecutor
) -> None:
    port = free_port()
    settings = get_settings().model_copy(
        update={
            "temporal_address": env.client.service_client.config.target_host,
            "worker_metrics_port": port,
        }
    )
    client = await connect(settings, runtime=telemetry_runtime(settings))
    queue = f"metrics-{uuid.uuid4()}"
    async with build_worker(client, queue, executor, store_activities(settings)):
        body = ""
        for _ in range(50):  # the pollers report once they have started: bounded wait
            body = await asyncio.to_thread(
                lambda: (
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=3)
                    .read()
                    .decode()
                )
            )
            if "temporal_num_pollers" in body:
                break
            await asyncio.sleep(0.1)
    families = {f.name: f for f in text_string_to_metric_families(body)}
    # Prometheus' conventions: counters end in _total, durations are in seconds.
    assert {"temporal_request", "temporal_worker_start", "temporal_num_pollers"} <= families.keys()
    pollers = families["temporal_num_pollers"].samples
    assert any(s.labels.get("task_queue") == queue and s.value > 0 for s in pollers), pollers
