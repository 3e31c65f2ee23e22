"""Prometheus metrics at ``/metrics``: the API's latency, and foiflow's own numbers from the store
(open cases by status, overdue cases, the outbox's backlog and failures), read at scrape time.

The Temporal SDK's worker metrics are the worker's, on its own port
(``FOIFLOW_WORKER_METRICS_PORT``). Each web process keeps its own registry: with several replicas
Prometheus scrapes each one and sums. ``/metrics`` needs no login (Prometheus cannot log in) and
shows counts only; keep it off the public internet at the reverse proxy (docs/deploy.md).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

from fastapi import FastAPI, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Histogram,
    generate_latest,
)
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.errors import Unavailable
from services.metrics import store_metrics
from services.runtime import Runtime

METRICS_PATH = "/metrics"
UNMATCHED = "<unmatched>"  # not a route: one label for every unknown path, so 404s cannot
# make a new time series each


class StoreCollector(Collector):
    """foiflow's gauges, counted from the store on every scrape."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterable[Metric]:
        try:
            numbers = store_metrics(self.runtime.engine)
        except Unavailable:
            # The latency and process metrics still matter most when the store is down.
            yield GaugeMetricFamily("foiflow_store_up", "1: the store answered.", value=0)
            return
        yield GaugeMetricFamily("foiflow_store_up", "1: the store answered.", value=1)
        by_status = GaugeMetricFamily(
            "foiflow_open_cases", "Open cases by status (the read model).", labels=["status"]
        )
        for status, count in sorted(numbers.cases.open_by_status.items()):
            by_status.add_metric([status], count)
        yield by_status
        yield GaugeMetricFamily(
            "foiflow_overdue_cases",
            "Open cases past their due date (the authority's today).",
            value=numbers.cases.overdue,
        )
        yield GaugeMetricFamily(
            "foiflow_outbox_backlog",
            "Notifications queued and not yet delivered.",
            value=numbers.outbox.backlog,
        )
        yield GaugeMetricFamily(
            "foiflow_outbox_failed",
            "Notifications whose delivery failed.",
            value=numbers.outbox.failed,
        )


def route_template(scope: Scope) -> str:
    """The matched route's path template with its router's prefix (``/api/cases/{reference}``).

    The router records the match in the scope it was handed (this one). FastAPI's included
    routers keep their own ``route.path`` without the prefix and put the full template in the
    route context they add; older FastAPI copied the routes with the prefix already in the path.
    """
    included = scope.get("fastapi")
    context = included.get("effective_route_context") if isinstance(included, dict) else None
    path = getattr(context, "path", None) or getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) and path else UNMATCHED


class LatencyMiddleware:
    """Times every HTTP request, labelled by method, route template (``/api/cases/{reference}``,
    never the raw path: one series per route, not per case) and status code."""

    def __init__(self, app: ASGIApp, histogram: Histogram) -> None:
        self.app = app
        self.histogram = histogram

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # what the client gets if the app raises before answering
        started = time.perf_counter()

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = route_template(scope)
            self.histogram.labels(scope["method"], route, str(status)).observe(
                time.perf_counter() - started
            )


def install_metrics(app: FastAPI) -> None:
    """Serve ``/metrics`` and time every request. Call once, on the app ``create_app`` built."""
    registry = CollectorRegistry()
    for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
        registry.register(collector)
    registry.register(StoreCollector(app.state.runtime))
    latency = Histogram(
        "foiflow_http_request_duration_seconds",
        "Time to answer an HTTP request, by route template.",
        ["method", "route", "status"],
        registry=registry,
    )
    app.add_middleware(LatencyMiddleware, histogram=latency)

    @app.get(METRICS_PATH, include_in_schema=False)
    async def metrics(request: Request) -> Response:
        # The store is read in a thread: a scrape never holds up the requests it measures.
        body = await asyncio.to_thread(generate_latest, registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)
