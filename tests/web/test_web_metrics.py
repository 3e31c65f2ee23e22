"""``/metrics``: open cases by status, overdue cases and the outbox from the store at scrape time,
and the API's latency by route template — read back with Prometheus' own parser."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from httpx import AsyncClient
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from sqlalchemy import text, update
from sqlmodel import col

from services.metrics import store_metrics
from services.runtime import Runtime
from store.db import session_scope
from store.models import CaseRow, OutboxRow
from store.outbox import enqueue_notification, mark_sent


async def scrape(client: AsyncClient) -> list[Sample]:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return [s for f in text_string_to_metric_families(response.text) for s in f.samples]


def value(samples: list[Sample], name: str, **labels: str) -> float | None:
    found = [s.value for s in samples if s.name == name and labels.items() <= s.labels.items()]
    return sum(found) if found else None


def add_cases(runtime: Runtime) -> None:
    today = datetime.now(UTC).date()
    cases = [
        ("01.FOI.24.000001", "triage", today + timedelta(days=20)),
        ("01.FOI.24.000002", "in_progress", today - timedelta(days=3)),  # overdue
        ("01.FOI.24.000003", "in_progress", today + timedelta(days=5)),
        ("01.FOI.24.000004", "sign_off", None),
        ("01.FOI.24.000005", "issued", today - timedelta(days=30)),  # closed: never overdue
    ]
    with session_scope(runtime.engine) as session:
        for reference, status, due in cases:
            session.add(
                CaseRow(
                    reference=reference,
                    version=1,
                    regime="foia",
                    status=status,
                    received_at=datetime(2024, 1, 2, 9, tzinfo=UTC),
                    due_date=due,
                )
            )
        for key in ("a", "b", "c", "d"):
            enqueue_notification(session, key, "unit:vawg", "Task assigned", "…")
        mark_sent(session, "a")
        # What the dispatcher records when it gives up on a message after its last try.
        session.execute(
            update(OutboxRow)
            .where(col(OutboxRow.key) == "b")
            .values(status="failed", last_error="550 mailbox unavailable")
        )


async def test_metrics_count_open_and_overdue_cases_and_the_outbox(
    client: AsyncClient, runtime: Runtime, app: FastAPI
) -> None:
    add_cases(runtime)
    samples = await scrape(client)

    assert value(samples, "foiflow_store_up") == 1
    assert value(samples, "foiflow_open_cases", status="triage") == 1
    assert value(samples, "foiflow_open_cases", status="in_progress") == 2
    assert value(samples, "foiflow_open_cases", status="sign_off") == 1
    # Every open status has a series, 0 when no case is in it (a graph has no gaps); closed
    # statuses are not open cases.
    assert value(samples, "foiflow_open_cases", status="awaiting_clarification") == 0
    assert value(samples, "foiflow_open_cases", status="issued") is None
    assert value(samples, "foiflow_overdue_cases") == 1
    assert value(samples, "foiflow_outbox_backlog") == 2  # c, d: still to send
    assert value(samples, "foiflow_outbox_failed") == 1  # b: given up on
    assert "/metrics" not in app.openapi()["paths"]


async def test_latency_is_labelled_by_route_template_never_by_raw_path(
    client: AsyncClient,
) -> None:
    for reference in ("01.FOI.24.000001", "01.FOI.24.000002"):
        await client.get(f"/api/cases/{reference}")  # 401 without a login: still timed
    await client.get("/api/health")
    await client.get("/no/such/page/01.FOI.24.000003")

    samples = await scrape(client)
    count = "foiflow_http_request_duration_seconds_count"
    assert value(samples, count, route="/api/cases/{reference}", method="GET", status="401") == 2
    assert value(samples, count, route="/api/health", status="200") == 1
    assert value(samples, count, route="<unmatched>", status="404") == 1
    routes = {s.labels.get("route", "") for s in samples}
    assert not any("01.FOI" in route for route in routes)


async def test_a_store_that_cannot_be_read_still_serves_the_other_metrics(
    client: AsyncClient, runtime: Runtime
) -> None:
    with runtime.engine.begin() as conn:
        conn.execute(text("ALTER TABLE cases RENAME TO cases_elsewhere"))
    samples = await scrape(client)
    assert value(samples, "foiflow_store_up") == 0
    assert value(samples, "foiflow_open_cases") is None
    assert value(samples, "process_cpu_seconds_total") is not None


def test_overdue_counts_against_the_authority_s_today(runtime: Runtime) -> None:
    add_cases(runtime)
    later = datetime.now(UTC) + timedelta(days=6)
    assert store_metrics(runtime.engine, later).cases.overdue == 2
    assert store_metrics(runtime.engine, datetime.now(UTC)).cases.overdue == 1
