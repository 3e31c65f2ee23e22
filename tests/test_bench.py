"""The benchmarks stay runnable: ``python -m bench`` finds them, and their reports print every
figure. (Their figures are never asserted: ``make bench`` runs them, not ``make test``.)"""

from __future__ import annotations

from bench.__main__ import discover
from bench.calendar_replan import report as replan_report
from bench.lifecycle import report as lifecycle_report
from bench.projection import report as projection_report


def test_make_bench_finds_every_benchmark() -> None:
    assert {"deadlines", "store_dashboard", "lifecycle", "calendar_replan", "projection"} <= {
        name for name, _ in discover()
    }


def test_the_lifecycle_report_prints_each_figure_against_the_skeleton() -> None:
    latency = {"n": 5, "p50_ms": 20.0, "p95_ms": 30.0, "p99_ms": 31.0, "max_ms": 31.0}
    text = lifecycle_report(
        {
            "sizes": {"cases": 2, "concurrency": 1},
            "throughput": {"seed_cases_per_s": 1.9, "skeleton_cases_per_s": 2.0, "ratio": 0.95},
            "worker_cpu_per_case_s": {"seed": 0.2, "skeleton": 0.1, "ratio": 2.0},
            "cpu_per_case_s": {
                "seed": {"worker": 0.2, "dev_server": 0.3, "driver": 0.08},
                "skeleton": {"worker": 0.1, "dev_server": 0.25, "driver": 0.02},
            },
            "worker_rss_mib": {"seed": 150, "skeleton": 130},
            "history": {
                "bytes_per_case": 51200,
                "events_per_case": 120,
                "bytes_by_kind": {"activity input: project_changes": 25600},
            },
            "answer_latency_ms": {
                "1 user(s), back to back": {**latency, "api_cpu_ms": 9.0, "worker_cpu_ms": 4.0}
            },
            "calls_per_case": {"seed case": {"updates": 12}, "skeleton": {"updates": 12}},
        }
    )
    assert "0.95x" in text and "2.00x" in text
    # Where the CPU went, process by process: on two cores throughput follows the sum.
    assert "dev server CPU per case, s" in text and "1.20x" in text
    assert "driver (this process) CPU per case, s" in text and "4.00x" in text
    assert "50.0 KiB, 120 events" in text
    assert "activity input: project_changes" in text and "50%" in text
    assert "answer round trip via HTTP API, 1 user(s), back to back" in text
    assert "p50 20 / p95 30 / p99 31 ms" in text


def test_the_replan_report_prints_time_queries_and_memory() -> None:
    latency = {"n": 40, "p50_ms": 12.0, "p95_ms": 80.0, "p99_ms": 90.0, "max_ms": 95.0}
    text = replan_report(
        {
            "sizes": {"cases": 1000},
            "start": {
                "started_per_s": 60.0,
                "started_and_projected_per_s": 55.0,
                "worker_cpu_ms_per_case": 13.5,
                "dev_server_cpu_ms_per_case": 28.8,
                "intake_cpu_ms_per_case": 6.8,
            },
            "replan": {
                "seconds": 30.5,
                "half_seconds": 12.0,
                "worker_cpu_s": 20.0,
                "dev_server_cpu_s": 31.0,
            },
            "queries_idle_ms": latency,
            "queries_during_replan_ms": latency,
            "query_failures": 0,
            "rss_mib": {
                "worker_open": 300,
                "worker_peak": 350,
                "dev_server_open": 400,
                "dev_server_after": 420,
            },
            "batch_rps": 200,
        }
    )
    assert "re-plans 1,000 open cases" in text and "30.5 s" in text
    assert "p50 12 / p95 80 / max 95 ms (n=40, 0 failed)" in text
    assert "worker 13.5 ms, dev server 28.8 ms, intake 6.8 ms" in text
    assert "CPU: worker 20.0 s, dev server 31.0 s" in text
    assert "300 / 350 MiB" in text


def test_the_projection_report_prints_the_baseline_beside_the_new_code() -> None:
    def run(cpu_s: float) -> dict[str, dict[str, float]]:
        return {
            workload: {
                "transactions": 100,
                "entries": 500 if "5" in workload else 100,
                "cpu_s": cpu_s,
            }
            for workload in ("projection", "audit ×1", "audit ×5")
        }

    text = projection_report({"sqlite": {"baseline": [run(0.2), run(0.3)], "new": [run(0.05)]}})
    rows = [line.split() for line in text.splitlines()[2:]]
    assert rows[0] == ["sqlite", "projection", "2.50", "0.50", "2.500", "0.500", "0.20×"]
    assert rows[2] == ["sqlite", "audit", "×5", "2.50", "0.50", "0.500", "0.100", "0.20×"]
    assert "postgresql" not in text
