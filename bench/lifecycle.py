"""The seed case's whole life on the real dev server, against a skeleton making the same calls.

On one in-memory dev server, one worker process (``bench._worker``) at a time, a SQLite store:

1. **Throughput**: N seed cases (the demo request: route Q1–Q7, seven answers, the s31 and s40
   sign-offs, approve, issue), C at a time, each action through ``services`` as a user's request
   would go (authorise by reading the case, the update, the case read back). The baseline is
   ``bench._skeleton``: the same starts, queries, updates, activities and search-attribute
   upserts per case (counted from a real case's history) with no-op bodies, driven the same
   way, in the same run.
2. **CPU per case**, for both: the worker process's (from its /proc counters), the dev
   server's (its /proc counters) and this process's, which drives the cases (through
   ``services`` for the seed case, straight calls for the skeleton). On two cores all three
   share the machine, so throughput follows their sum.
3. **History per seed case**: bytes and events, by event type (activities by name, updates by
   name), the mean over a sample of the cases.
4. **Answer round trip through the HTTP API** (the FastAPI app over httpx's ASGI transport, the
   worker in its own process) at 1, 20 and 50 concurrent users, each revising answers on a case
   of their own: p50/p95/p99.

Sizes: ``FOIFLOW_BENCH_CASES`` (40), ``FOIFLOW_BENCH_CONCURRENCY`` (10),
``FOIFLOW_BENCH_ANSWERS`` (answers per user, 5; more when needed for ``MIN_SAMPLES`` in a
round), ``FOIFLOW_BENCH_USERS`` (``1,20,50``), ``FOIFLOW_BENCH_THINK_S`` (2: a second round in
which each user pauses about that long between answers, as people do, beside the round sent back
to back; with one user that round is the idle round trip).
Run with ``python -m bench lifecycle``; writes ``bench/results/lifecycle-*.json``.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml
from argon2 import PasswordHasher
from httpx import ASGITransport, AsyncClient
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from bench._skeleton import SkeletonAction, SkeletonCase, SkeletonStart
from bench._support import (
    ROOT,
    WorkerProcess,
    cpu_of,
    dev_server,
    dev_server_pid,
    distribution_ms,
    env_int,
    seeded_store,
    table,
    write_results,
)
from domain.case import Actor
from services import actions, intake
from services.context import ServiceContext
from services.directory import resolve_actor
from services.identity import Identity, Principal
from services.schemas import ApproveIn, RoutesIn, SignOffIn
from settings import Settings
from store.db import get_engine
from web.app import create_app

SEED_CASE = ROOT / "cli" / "demo" / "seed_case.yaml"
EXEMPT_ANSWER = ROOT / "cli" / "demo" / "answer-exempt.yaml"
NOT_HELD = {
    "kind": "not_held",
    "searches": "VAWG panel files; the panel is still being set up",
}
# The demo directory's users (cli/demo/seed.yaml) who act on the seed case.
OFFICER, VAWG, HATE, COMMUNITY = "aisha-rahman", "tom-oduya", "priya-nair", "gareth-evans"
SENIOR, DPO = "david-hughes", "sarah-bennett"
ANSWERED_BY = {1: VAWG, 2: VAWG, 3: VAWG, 4: HATE, 5: HATE, 6: COMMUNITY, 7: COMMUNITY}
# Answers timed in each latency round, whatever the number of users.
MIN_SAMPLES = 40
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@dataclass
class Lifecycle:
    """What one phase measured."""

    cases: int
    seconds: float
    worker_cpu_s: float
    rss_mib: float
    server_cpu_s: float
    driver_cpu_s: float

    @property
    def per_second(self) -> float:
        return self.cases / self.seconds

    @property
    def cpu_per_case(self) -> float:
        return self.worker_cpu_s / self.cases

    def per_case(self) -> dict[str, float]:
        """CPU seconds a case cost each process."""
        return {
            "worker": round(self.worker_cpu_s / self.cases, 4),
            "dev_server": round(self.server_cpu_s / self.cases, 4),
            "driver": round(self.driver_cpu_s / self.cases, 4),
        }


@dataclass
class SeedDriver:
    """The seed case's life, through services, as its users would live it."""

    settings: Settings
    client: Client
    actors: dict[str, Actor] = field(default_factory=dict)
    request: dict[str, Any] = field(default_factory=dict)
    received: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))
    started: int = 0

    async def prepare(self) -> None:
        engine = get_engine(self.settings.database_url)
        for user in (OFFICER, VAWG, HATE, COMMUNITY, SENIOR, DPO):
            self.actors[user] = await resolve_actor(engine, user)
        self.request = yaml.safe_load(SEED_CASE.read_text())
        self.request.pop("reference")

    def ctx(self, user: str) -> ServiceContext:
        return ServiceContext(
            settings=self.settings,
            engine=get_engine(self.settings.database_url),
            client=self.client,
            actor=self.actors[user],
        )

    async def start(self) -> str:
        # A request received a second earlier than the last: its own intake key, so its own case.
        self.started += 1
        at = self.received - timedelta(seconds=self.started)
        started = await intake.start_case(self.ctx(OFFICER), self.request, at)
        return started.reference

    async def route(self, reference: str) -> None:
        await actions.route_questions(
            self.ctx(OFFICER), reference, RoutesIn(accept_suggestions=True)
        )

    async def live(self, reference: str) -> None:
        """Route, answer, sign off, approve and issue; then wait for the case to finish."""
        await self.route(reference)
        exempt = actions.read_answer_file(EXEMPT_ANSWER)
        not_held = actions.checked_answer(NOT_HELD)
        for question, user in ANSWERED_BY.items():
            answer = not_held if question <= 3 else exempt
            await actions.answer_task(self.ctx(user), reference, question, answer)
        await actions.decide_sign_off(self.ctx(SENIOR), reference, "31", SignOffIn())
        await actions.decide_sign_off(self.ctx(DPO), reference, "40", SignOffIn())
        await actions.approve_response(self.ctx(OFFICER), reference, ApproveIn())
        await actions.issue_response(self.ctx(OFFICER), reference)
        await self.client.get_workflow_handle(reference).result()

    async def case(self) -> str:
        reference = await self.start()
        await self.live(reference)
        return reference


@dataclass
class SkeletonPlan:
    """The real seed case's Temporal calls, counted from its history, for the skeleton."""

    opening_notices: int
    opening_upserts: bool
    steps: list[SkeletonAction]
    counts: dict[str, int]


def skeleton_plan(history: WorkflowHistory) -> SkeletonPlan:
    """Per update of the real case: the messages sent and whether search attributes moved
    before the next update, so the skeleton schedules the same activities and upserts."""
    segments: list[list[Any]] = [[]]
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            segments.append([])
        segments[-1].append(event)

    def notices(events: list[Any]) -> int:
        return sum(
            1
            for e in events
            if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
            and e.activity_task_scheduled_event_attributes.activity_type.name == "send_notification"
        )

    def upserts(events: list[Any]) -> bool:
        return any(
            e.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES for e in events
        )

    steps = [
        SkeletonAction(notices=notices(s), upserts=upserts(s), closes=i == len(segments) - 2)
        for i, s in enumerate(segments[1:])
    ]
    return SkeletonPlan(notices(segments[0]), upserts(segments[0]), steps, calls(history))


def calls(history: WorkflowHistory) -> dict[str, int]:
    """Updates, activities and upserts in a history: what "the same calls" compares."""
    counted: Counter[str] = Counter()
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            counted["activities"] += 1
        elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            counted["updates"] += 1
        elif event.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
            counted["upserts"] += 1
        elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            counted["workflow tasks"] += 1
    return dict(counted)


async def skeleton_case(client: Client, queue: str, plan: SkeletonPlan, n: int) -> str:
    """The skeleton's life, called as the services call the real case: for each action a read
    (authorise), the update, a read back; the start followed by a read."""
    workflow_id = f"skeleton-{n}-{uuid.uuid4().hex[:6]}"
    handle = await client.start_workflow(
        SkeletonCase.run, SkeletonStart(plan.opening_notices), id=workflow_id, task_queue=queue
    )
    await handle.query(SkeletonCase.state)
    await handle.query(SkeletonCase.state)  # route reads the case twice (suggestions, then act)
    for step in plan.steps:
        await handle.query(SkeletonCase.state)
        await handle.execute_update(SkeletonCase.act, step)
        await handle.query(SkeletonCase.state)
    await handle.result()
    return workflow_id


async def run_many(count: int, concurrency: int, one: Callable[[int], Awaitable[str]]) -> float:
    gate = asyncio.Semaphore(concurrency)

    async def gated(n: int) -> str:
        async with gate:
            return await one(n)

    began = time.perf_counter()
    await asyncio.gather(*(gated(n) for n in range(count)))
    return time.perf_counter() - began


async def measured(
    worker: WorkerProcess,
    server_pid: int | None,
    count: int,
    concurrency: int,
    one: Callable[[int], Awaitable[str]],
) -> Lifecycle:
    cpu, server, driver = worker.cpu_seconds(), cpu_of(server_pid), time.process_time()
    seconds = await run_many(count, concurrency, one)
    return Lifecycle(
        count,
        seconds,
        worker.cpu_seconds() - cpu,
        worker.rss_mib(),
        cpu_of(server_pid) - server,
        time.process_time() - driver,
    )


def history_figures(histories: list[WorkflowHistory]) -> dict[str, Any]:
    """Mean bytes and events per case, and where the bytes are (by event type; activities and
    updates by name)."""
    by_kind: Counter[str] = Counter()
    events = 0
    total = 0
    for history in histories:
        for event in history.events:
            size = event.ByteSize()
            kind = EventType.Name(event.event_type).removeprefix("EVENT_TYPE_").lower()
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                name = event.activity_task_scheduled_event_attributes.activity_type.name
                kind = f"activity input: {name}"
            elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
                kind = "update results"
            elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
                kind = "update inputs"
            by_kind[kind] += size
            total += size
            events += 1
    n = len(histories)
    return {
        "cases_sampled": n,
        "bytes_per_case": round(total / n),
        "events_per_case": round(events / n, 1),
        "bytes_by_kind": {k: round(v / n) for k, v in by_kind.most_common()},
    }


async def answer_latency(
    env: WorkflowEnvironment,
    settings: Settings,
    driver: SeedDriver,
    worker: WorkerProcess,
    users: int,
    answers: int,
    think_s: float = 0.0,
) -> dict[str, float]:
    """``users`` unit contacts at once, each revising Q1 of a routed case of their own through
    ``POST /api/cases/{ref}/questions/1/answer``: the time of each request. ``think_s``: each
    user reads for that long (give or take half) before their next answer, as people do; 0,
    they send the next the moment the last returns (the machine's saturation). Paced users
    also start at a random moment within the first pause."""
    references = [await driver.start() for _ in range(users)]
    await asyncio.gather(*(driver.route(r) for r in references))
    identity = Identity(get_engine(settings.database_url), settings, hasher=FAST_HASHER)
    app = create_app(settings, temporal=env.client, identity=identity)
    token = identity.issue_token(Principal(VAWG, "password")).access_token
    headers = {"Authorization": f"Bearer {token}"}
    samples: list[float] = []
    pacing = random.Random(users)  # the same pauses in every run
    transport = ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with AsyncClient(transport=transport, base_url="http://bench") as api:

        async def user(reference: str) -> None:
            if think_s:  # people do not all press the button in the same millisecond
                await asyncio.sleep(think_s * pacing.random())
            for n in range(answers):
                body = {**NOT_HELD, "note": f"revision {n}"}
                began = time.perf_counter()
                response = await api.post(
                    f"/api/cases/{reference}/questions/1/answer", json=body, headers=headers
                )
                samples.append(time.perf_counter() - began)
                if response.status_code != 200:
                    raise SystemExit(f"answer refused: {response.status_code} {response.text}")
                if think_s:
                    await asyncio.sleep(think_s * (0.5 + pacing.random()))

        await user(references[0])  # warm the app (first request imports and compiles)
        samples.clear()
        api_cpu, worker_cpu = time.process_time(), worker.cpu_seconds()
        await asyncio.gather(*(user(r) for r in references))
        api_cpu, worker_cpu = time.process_time() - api_cpu, worker.cpu_seconds() - worker_cpu
    for reference in references:
        await env.client.get_workflow_handle(reference).terminate("bench over")
    # CPU per answer, the app's (this process) and the worker's: what the latency is made of
    # when the machine is shared.
    return {
        **distribution_ms(samples),
        "api_cpu_ms": round(1000 * api_cpu / len(samples), 1),
        "worker_cpu_ms": round(1000 * worker_cpu / len(samples), 1),
    }


async def bench() -> dict[str, Any]:
    count = env_int("FOIFLOW_BENCH_CASES", 40)
    concurrency = env_int("FOIFLOW_BENCH_CONCURRENCY", 10)
    answers = env_int("FOIFLOW_BENCH_ANSWERS", 5)
    user_counts = [
        int(u) for u in os.environ.get("FOIFLOW_BENCH_USERS", "1,20,50").split(",") if u.strip()
    ]
    think = env_int("FOIFLOW_BENCH_THINK_S", 2)
    with seeded_store() as settings:
        async with dev_server() as env:
            server_pid = dev_server_pid(env)
            real_queue = f"bench-real-{uuid.uuid4().hex[:6]}"
            settings = settings.model_copy(update={"task_queue": real_queue})
            driver = SeedDriver(settings, env.client)
            await driver.prepare()

            real = await WorkerProcess.start(env, settings, real_queue, "real")
            try:
                warm = await driver.case()  # also what the skeleton's plan is counted from
                plan = skeleton_plan(await env.client.get_workflow_handle(warm).fetch_history())
            finally:
                await real.stop()

            skeleton_queue = f"bench-skeleton-{uuid.uuid4().hex[:6]}"
            skeleton_worker = await WorkerProcess.start(env, settings, skeleton_queue, "skeleton")
            try:
                await skeleton_case(env.client, skeleton_queue, plan, -1)  # warm
                skeleton_ids: list[str] = []

                async def one_skeleton(n: int) -> str:
                    skeleton_ids.append(await skeleton_case(env.client, skeleton_queue, plan, n))
                    return skeleton_ids[-1]

                skeleton = await measured(
                    skeleton_worker, server_pid, count, concurrency, one_skeleton
                )
                skeleton_calls = calls(
                    await env.client.get_workflow_handle(skeleton_ids[0]).fetch_history()
                )
            finally:
                await skeleton_worker.stop()

            real = await WorkerProcess.start(env, settings, real_queue, "real")
            try:
                await driver.case()  # warm this process
                references: list[str] = []

                async def one_real(n: int) -> str:
                    references.append(await driver.case())
                    return references[-1]

                lifecycle = await measured(real, server_pid, count, concurrency, one_real)
                sample = references[:: max(1, len(references) // 5)][:5]
                histories = [
                    await env.client.get_workflow_handle(r).fetch_history() for r in sample
                ]
                latency: dict[str, dict[str, float]] = {}
                for users in user_counts:
                    # At least MIN_SAMPLES answers a round: a p95 of five is their maximum.
                    each = max(answers, -(-MIN_SAMPLES // users))
                    latency[f"{users} user(s), back to back"] = await answer_latency(
                        env, settings, driver, real, users, each
                    )
                    # One user pausing is the idle round trip: each answer meets a case whose
                    # last projection is done, as a person's next answer does.
                    paced = f"{users} user(s), each ~{think} s between answers"
                    latency[paced] = await answer_latency(
                        env, settings, driver, real, users, each, think
                    )
            finally:
                await real.stop()
    return {
        "sizes": {"cases": count, "concurrency": concurrency, "answers_per_user": answers},
        "calls_per_case": {"seed case": plan.counts, "skeleton": skeleton_calls},
        "throughput": {
            "seed_cases_per_s": round(lifecycle.per_second, 2),
            "skeleton_cases_per_s": round(skeleton.per_second, 2),
            "ratio": round(lifecycle.per_second / skeleton.per_second, 3),
        },
        "worker_cpu_per_case_s": {
            "seed": round(lifecycle.cpu_per_case, 4),
            "skeleton": round(skeleton.cpu_per_case, 4),
            "ratio": round(lifecycle.cpu_per_case / skeleton.cpu_per_case, 3),
        },
        "cpu_per_case_s": {"seed": lifecycle.per_case(), "skeleton": skeleton.per_case()},
        "worker_rss_mib": {"seed": round(lifecycle.rss_mib), "skeleton": round(skeleton.rss_mib)},
        "history": history_figures(histories),
        "answer_latency_ms": latency,
    }


def report(figures: dict[str, Any]) -> str:
    t, cpu, h = figures["throughput"], figures["worker_cpu_per_case_s"], figures["history"]
    sizes = figures["sizes"]
    rows: list[list[object]] = [
        ["figure", "seed case", "skeleton", "ratio"],
        [
            f"lifecycle throughput, cases/s ({sizes['cases']} cases, "
            f"{sizes['concurrency']} at once)",
            t["seed_cases_per_s"],
            t["skeleton_cases_per_s"],
            f"{t['ratio']:.2f}x",
        ],
        ["worker CPU per case, s", cpu["seed"], cpu["skeleton"], f"{cpu['ratio']:.2f}x"],
    ]
    every = figures["cpu_per_case_s"]
    for process, label in (("dev_server", "dev server"), ("driver", "driver (this process)")):
        seed, skeleton = every["seed"][process], every["skeleton"][process]
        ratio = f"{seed / skeleton:.2f}x" if skeleton else ""  # 0: nothing measurable
        rows.append([f"{label} CPU per case, s", seed, skeleton, ratio])
    rows += [
        [
            "worker RSS, MiB",
            figures["worker_rss_mib"]["seed"],
            figures["worker_rss_mib"]["skeleton"],
            "",
        ],
        [
            "history per case",
            f"{h['bytes_per_case'] / 1024:.1f} KiB, {h['events_per_case']:g} events",
            "",
            "",
        ],
    ]
    for users, d in figures["answer_latency_ms"].items():
        rows.append(
            [
                f"answer round trip via HTTP API, {users}",
                f"p50 {d['p50_ms']:.0f} / p95 {d['p95_ms']:.0f} / p99 {d['p99_ms']:.0f} ms",
                f"n={d['n']}; CPU per answer: app {d['api_cpu_ms']} ms, "
                f"worker {d['worker_cpu_ms']} ms",
                "",
            ]
        )
    lines = [table(rows), "", "history bytes per seed case, by kind:"]
    total = h["bytes_per_case"] or 1
    for kind, size in h["bytes_by_kind"].items():
        lines.append(f"  {kind:<42} {size / 1024:7.1f} KiB  {100 * size / total:4.0f}%")
    seed_calls, skel_calls = figures["calls_per_case"].values()
    lines.append(f"calls per case: seed {seed_calls}; skeleton {skel_calls}")
    return "\n".join(lines)


def main() -> dict[str, Any]:
    figures = asyncio.run(bench())
    print(report(figures))
    path = write_results("lifecycle", figures)
    print(f"written to {path.relative_to(ROOT)}")
    return figures


if __name__ == "__main__":
    main()
