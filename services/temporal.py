"""Talking to Temporal from outside workflows: one data converter everywhere (encrypting every
payload: ``services.payload_codec``), case start/lookup.

Never imported by workflow code.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from temporalio.api.batch.v1 import BatchOperationSignal
from temporalio.api.common.v1 import Payloads
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.api.workflowservice.v1 import StartBatchOperationRequest
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
    WorkflowUpdateFailedError,
)
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.runtime import (
    LogForwardingConfig,
    LoggingConfig,
    PrometheusConfig,
    TelemetryConfig,
    TelemetryFilter,
)
from temporalio.runtime import Runtime as TemporalRuntime
from temporalio.service import RPCError, RPCStatusCode, TLSConfig

from domain.case import CLOSED_STATUSES, CaseView
from domain.intake import intake_key
from domain.messages import CalendarChanged, CarriedCalendar, LoadCalendar, RequestInput
from services.errors import (
    CaseClosed,
    CaseNotFound,
    Conflict,
    Rejected,
    StaleVersion,
    Unavailable,
)
from services.payload_codec import data_converter
from settings import Settings, env_name, split_address
from statute.calendar import CalendarData
from store.calendars import CalendarRepository
from workflows.request import FoiRequestWorkflow
from workflows.search_attributes import ALL_KEYS, FOI_INTAKE_KEY, FOI_REGIME, FOI_STATUS

STALE_VERSION = "StaleVersion"  # the type of ``workflows.rules.StaleVersion``
WORKFLOW_TYPE = "FoiRequestWorkflow"


class CaseExistsError(Conflict):
    """The reference belongs to a case that has closed: references are never reused."""

    def __init__(self, reference: str) -> None:
        super().__init__(f"case {reference} already exists and is closed", "reference")
        self.reference = reference


def _pem(settings: Settings, field: str) -> bytes | None:
    path: Path | None = getattr(settings, field)
    if path is None:
        return None
    try:
        return path.expanduser().read_bytes()
    except OSError as exc:
        raise Unavailable(f"cannot read {path} ({exc.strerror or exc})", env_name(field)) from None


def tls_config(settings: Settings) -> TLSConfig | bool:
    """TLS to Temporal as the settings ask: False (plain), or the files read into a config.

    With only ``FOIFLOW_TEMPORAL_TLS`` (or an API key) the system's roots verify the server.
    """
    if not settings.temporal_uses_tls:
        return False
    return TLSConfig(
        server_root_ca_cert=_pem(settings, "temporal_tls_ca"),
        client_cert=_pem(settings, "temporal_tls_cert"),
        client_private_key=_pem(settings, "temporal_tls_key"),
        domain=settings.temporal_tls_server_name or None,
    )


def telemetry_runtime(settings: Settings) -> TemporalRuntime:
    """A Temporal runtime for the worker: the SDK's metrics for Prometheus on
    ``FOIFLOW_WORKER_METRICS_PORT`` (when set), and the core's own log lines through Python
    logging, so they come out in the process's format (JSON in production). One per process:
    the metrics port is bound when it is built."""
    metrics = (
        PrometheusConfig(
            bind_address=f"0.0.0.0:{settings.worker_metrics_port}",
            # Prometheus' conventions: counters end in _total, durations in seconds.
            counters_total_suffix=True,
            durations_as_seconds=True,
        )
        if settings.worker_metrics_port
        else None
    )
    logging_config = LoggingConfig(
        filter=TelemetryFilter(core_level="WARN", other_level="ERROR"),
        forwarding=LogForwardingConfig(logger=logging.getLogger("temporalio.core")),
    )
    return TemporalRuntime(telemetry=TelemetryConfig(logging=logging_config, metrics=metrics))


async def connect(settings: Settings, runtime: TemporalRuntime | None = None) -> Client:
    """A client for the settings' server and namespace, over TLS or with an API key when set,
    encrypting payloads with the settings' keys (a worker built on it shares them)."""
    api_key = settings.temporal_api_key.get_secret_value()
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(settings),
        tls=tls_config(settings),
        api_key=api_key or None,
        runtime=runtime,
    )


def _unreachable(settings: Settings) -> Unavailable:
    # The SDK's own detail is a transport error dump; the address and the setting say enough.
    return Unavailable(
        f"cannot reach Temporal at {settings.temporal_address}; is `make run` up?",
        "FOIFLOW_TEMPORAL_ADDRESS",
    )


async def connect_client(settings: Settings, runtime: TemporalRuntime | None = None) -> Client:
    """``connect``, with an unreachable server as ``Unavailable`` naming the setting."""
    try:
        return await connect(settings, runtime)
    except RuntimeError:  # the SDK's connection failure
        raise _unreachable(settings) from None


async def missing_or_closed(client: Client, reference: str) -> CaseNotFound | CaseClosed:
    """Why Temporal said NOT_FOUND for ``reference``: no such case, or one that has closed."""
    try:
        description = await client.get_workflow_handle(reference).describe()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return CaseNotFound(reference)
        raise
    if description.status == WorkflowExecutionStatus.RUNNING:
        return CaseNotFound(reference)  # gone between the two calls: nothing to act on
    return CaseClosed(reference)


async def _closed(client: Client, reference: str) -> bool:
    try:
        view = await case_state(client, reference)
    except (RPCError, WorkflowQueryFailedError):
        return False
    return view.status in CLOSED_STATUSES


@asynccontextmanager
async def case_errors(client: Client, settings: Settings, reference: str) -> AsyncIterator[None]:
    """Temporal's answers about one case as typed errors, by type and status code.

    A validator's refusal (``WorkflowUpdateFailedError``) keeps the workflow's reason word for
    word; refusals about the case's state (the validators' ``status:`` messages) are
    ``Conflict``. NOT_FOUND is told apart by describing the workflow, not by reading the message.
    """
    try:
        yield
    except WorkflowUpdateFailedError as exc:
        message = str(getattr(exc.cause, "message", None) or exc.cause)
        if getattr(exc.cause, "type", None) == STALE_VERSION:
            raise StaleVersion.from_message(message) from None
        if not message.startswith("status:"):
            raise Rejected.from_message(message) from None
        # A case closing in this very moment refuses by status before Temporal calls it
        # completed: told by the case's status, it is closed like any other.
        if await _closed(client, reference):
            raise CaseClosed(reference) from None
        raise Conflict.from_message(message) from None
    except WorkflowQueryFailedError as exc:
        # The only query refusal: a case still loading its calendar, seconds after it started.
        raise Unavailable(exc.message, "reference") from None
    except WorkflowQueryRejectedError:
        raise CaseClosed(reference) from None
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise await missing_or_closed(client, reference) from None
        if exc.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
            raise _unreachable(settings) from None
        if exc.status == RPCStatusCode.INVALID_ARGUMENT:
            raise CaseNotFound(reference) from None  # e.g. an empty or oversized reference
        raise


async def register_search_attributes(client: Client, namespace: str = "default") -> None:
    """Define foiflow's search attributes where the server does not know them yet."""
    try:
        existing = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace)
        )
        known: set[str] = set(existing.custom_attributes)
    except RPCError as exc:
        # The time-skipping test server cannot list them, but accepts adding them.
        if exc.status != RPCStatusCode.UNIMPLEMENTED:
            raise
        known = set()
    missing = {
        key.name: IndexedValueType.ValueType(key.indexed_value_type)
        for key in ALL_KEYS
        if key.name not in known
    }
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(search_attributes=missing, namespace=namespace)
        )


def case_calendar(inp: RequestInput, calendars: CalendarRepository) -> dict[str, Any]:
    """The calendar window a new case counts on: the same window the ``load_calendar``
    activity cuts, read from the store directly (services do not depend on activities)."""
    window = LoadCalendar.around(inp.policy.calendar_version, inp.intake.received_at.date())
    data = calendars.latest() if window.version is None else calendars.get(window.version)
    return data.window(window.start, window.end).to_json()


async def start_case(
    client: Client,
    inp: RequestInput,
    task_queue: str,
    calendars: CalendarRepository,
) -> WorkflowHandle[FoiRequestWorkflow, object]:
    """Start a case with its reference as workflow id.

    The same reference while the case runs returns the running case (USE_EXISTING); a reference
    whose case has closed is never reused (REJECT_DUPLICATE) and raises ``CaseExistsError``.
    """
    key = intake_key(inp.intake.received_at, inp.intake.request_text)
    if inp.calendar is None and inp.state is None:
        # In the start input, so the first update never races a calendar activity.
        inp = inp.model_copy(update={"calendar": case_calendar(inp, calendars)})
    try:
        return await client.start_workflow(
            FoiRequestWorkflow.run,
            inp,
            id=inp.intake.reference,
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(FOI_INTAKE_KEY, key),
                    SearchAttributePair(FOI_STATUS, "triage"),
                    SearchAttributePair(FOI_REGIME, inp.intake.regime),
                ]
            ),
        )
    except WorkflowAlreadyStartedError:
        raise CaseExistsError(inp.intake.reference) from None


RUNNING_CASES = f"WorkflowType='{WORKFLOW_TYPE}' AND ExecutionStatus='Running'"


# Running cases received up to this long ago re-plan from the calendar the signal carries; an
# older one (paused for years) loads its window from the store.
CARRIED_RECEIPTS = timedelta(days=2 * 366)


def carried_calendar(calendar: CalendarData, today: date) -> CarriedCalendar:
    """What a calendar change carries: the version cut to the windows of the cases received in
    the last two years (a few KB, where the whole calendar is tens)."""
    span = LoadCalendar.spanning(calendar.version, today - CARRIED_RECEIPTS, today)
    cut = calendar.window(span.start, span.end).to_json()
    return CarriedCalendar(start=span.start, end=span.end, calendar=cut)


async def signal_calendar_change(
    client: Client, calendar: CalendarData, namespace: str = "default", rate: float = 0.0
) -> str:
    """Tell every running case that ``calendar``'s version exists, in one batch operation, at
    most ``rate`` cases a second (0: the server's batch rate, ``worker.batcherRPS``, 50 by
    default). The signal carries the calendar (``carried_calendar``), so each case re-plans
    without asking the store.

    Cases ignore versions they already have, so a repeated or late batch does no harm. A rate
    the workers can keep up with keeps every case answering queries while the batch runs.
    """
    version = calendar.version
    job_id = f"calendar-v{version}-{uuid.uuid4().hex[:8]}"
    carried = carried_calendar(calendar, datetime.now(UTC).date() + timedelta(days=1))
    payloads = await client.data_converter.encode(
        [CalendarChanged(version=version, calendar=carried)]
    )
    await client.workflow_service.start_batch_operation(
        StartBatchOperationRequest(
            namespace=namespace,
            job_id=job_id,
            reason=f"calendar v{version}: deadlines recomputed",
            visibility_query=RUNNING_CASES,
            max_operations_per_second=rate,
            signal_operation=BatchOperationSignal(
                signal="calendar_changed",
                input=Payloads(payloads=payloads),
                identity="foiflow-calendar",
            ),
        )
    )
    return job_id


async def case_exists(client: Client, reference: str) -> bool:
    """True for a running case; ``CaseExistsError`` for a closed one (references are not reused)."""
    try:
        description = await client.get_workflow_handle(reference).describe()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    if description.status != WorkflowExecutionStatus.RUNNING:
        raise CaseExistsError(reference)
    return True


def workflow_ui_url(settings: Settings, reference: str) -> str:
    """The case's workflow in the Temporal Web UI (its id is the reference), on the host of
    ``temporal_address`` and the UI port ``foiflow up`` gives the dev server."""
    host, _ = split_address(settings.temporal_address)
    # A wildcard address is where the server listens, not where a browser can go.
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    shown = f"[{host}]" if ":" in host else host
    namespace = quote(settings.temporal_namespace, safe="")
    return (
        f"http://{shown}:{settings.temporal_ui_port}/namespaces/{namespace}"
        f"/workflows/{quote(reference, safe='')}"
    )


async def case_state(client: Client, reference: str) -> CaseView:
    handle = client.get_workflow_handle(reference)
    return await handle.query(FoiRequestWorkflow.state)
