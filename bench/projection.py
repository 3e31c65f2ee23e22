"""The read model's projection and its audit append: CPU per projection, new code vs old.

Every projection a case makes (``CaseActivities.project_changes``) runs
``StoreReadModel.apply_changes``: the changed rows, the new timeline entries appended to the case's
audit chain, and at commit the chain of heads. This bench applies the successive projections of N
cases (``tests/store/case_factory``'s case at versions 1..7, each projection the changes since the
previous one, as the workflow sends them: ``ProjectionBaseline``) and times them with
``time.process_time``. A second workload appends audit entries alone (``append_audit`` and the
commit that records the head), one and five entries per transaction.

The baseline is the store as it was before the audit append was reworked: the commit named by
``FOIFLOW_BENCH_BASELINE_REF`` (default below), extracted with ``git archive`` into a temporary
directory. Each variant runs in a process of its own with its own tree first on ``PYTHONPATH``
(the same interpreter, the same workload module and case factory from this checkout), on a fresh
database, alternating baseline and new for ``FOIFLOW_BENCH_PROJECTION_ROUNDS`` rounds; the median
round is reported. Both must leave an audit log that verifies with the expected number of entries,
so a fast wrong write cannot pass for a speed-up.

SQLite in a temporary directory always; PostgreSQL too when ``FOIFLOW_BENCH_PG_URL`` names a
server (e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/test``): a scratch database per run,
dropped afterwards. Run with ``python -m bench projection``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# main before the Core audit append (the commit this bench was written against).
BASELINE_REF = "f4774d1"
VERSIONS = 7  # case_factory's case: triage … issued; one timeline entry per version
AUDIT_KEY = b"bench-audit-key-" + b"p" * 32
WORKLOADS = ("projection", "audit ×1", "audit ×5")


# --- The child: one variant, one database ------------------------------------------------


def _child(url: str, cases: int) -> dict[str, Any]:
    """Runs in the variant's own process: its ``store`` is whichever tree PYTHONPATH names."""
    import time
    from datetime import UTC, datetime, timedelta

    sys.path.insert(0, str(ROOT / "tests" / "store"))
    import store
    from activities.store_adapters import StoreReadModel
    from domain.projection import CaseChanges, ProjectionBaseline
    from store.audit import (
        AuditEntry,
        AuditKey,
        AuditKeyring,
        append_audit,
        check_audit,
        use_audit_keys,
    )
    from store.db import get_engine, migrate, session_scope

    from case_factory import make_view  # type: ignore[import-not-found,unused-ignore]

    use_audit_keys(AuditKeyring(AuditKey(AUDIT_KEY)))
    migrate(url)
    engine = get_engine(url)
    references = [f"01.FOI.23.{n:06d}" for n in range(1, cases + 1)]
    # Built before the clock starts: only the store's side is timed.
    projections: list[CaseChanges] = []
    baselines = {ref: ProjectionBaseline() for ref in references}
    for version in range(1, VERSIONS + 1):
        for ref in references:
            view = make_view(ref, version=version)
            changes = baselines[ref].changes(view)
            new_entries = [e for e in view.timeline if e.seq > version - 1]
            projections.append(changes.model_copy(update={"timeline": new_entries}))
            baselines[ref].sent()
    read_model = StoreReadModel(engine)
    figures: dict[str, Any] = {"store": store.__file__}

    start_cpu, start_wall = time.process_time(), time.perf_counter()
    for changes in projections:
        read_model.apply_changes(changes)
    cpu, wall = time.process_time() - start_cpu, time.perf_counter() - start_wall
    figures["projection"] = {
        "transactions": len(projections),
        "entries": len(projections),
        "cpu_s": cpu,
        "wall_s": wall,
    }

    at = datetime(2024, 1, 8, 9, tzinfo=UTC)
    for label, per in (("audit ×1", 1), ("audit ×5", 5)):
        chains = [f"bench-{per}-{n:05d}" for n in range(cases)]
        transactions = 0
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        for step in range(VERSIONS):
            for chain in chains:
                with session_scope(engine) as session:
                    append_audit(
                        session,
                        chain,
                        [
                            AuditEntry(
                                at=at + timedelta(minutes=step * per + i),
                                actor="aisha-rahman",
                                kind="answered",
                                text=f"question {i + 1} answered",
                            )
                            for i in range(per)
                        ],
                    )
                transactions += 1
        cpu, wall = time.process_time() - start_cpu, time.perf_counter() - start_wall
        figures[label] = {
            "transactions": transactions,
            "entries": transactions * per,
            "cpu_s": cpu,
            "wall_s": wall,
        }

    with session_scope(engine) as session:
        check = check_audit(session)
    expected = sum(figures[w]["entries"] for w in WORKLOADS)
    if not check.intact or check.entries != expected:
        raise SystemExit(
            f"audit log wrong after the run: {check.broken}, {check.entries} of {expected} entries"
        )
    figures["verified_entries"] = check.entries
    figures["head_records"] = check.head_records
    engine.dispose()
    return figures


# --- The parent: trees, databases, rounds --------------------------------------------------


@contextmanager
def _baseline_tree(ref: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="foiflow-bench-baseline-") as tmp:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        yield Path(tmp)


@contextmanager
def _database(engine: str) -> Iterator[str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    if engine == "sqlite":
        with tempfile.TemporaryDirectory(prefix="foiflow-bench-") as tmp:
            yield f"sqlite:///{tmp}/bench.db"
        return
    admin = os.environ["FOIFLOW_BENCH_PG_URL"]
    name = f"foiflow_bench_{uuid.uuid4().hex[:8]}"
    admin_engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin_engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()


def _run_variant(tree: Path, url: str, cases: int) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", url, str(cases)],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"bench.projection: the run on {tree} failed:\n{done.stderr}")
    figures: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    if not figures["store"].startswith(str(tree)):
        raise SystemExit(f"bench.projection: {tree} ran {figures['store']}'s store, not its own")
    return figures


def _per(figures: list[dict[str, Any]], workload: str, unit: str) -> float:
    """Median CPU ms per transaction or per entry over the rounds."""
    return float(
        statistics.median(1000 * f[workload]["cpu_s"] / f[workload][unit] for f in figures)
    )


ENGINES = ("sqlite", "postgresql")


def report(results: dict[str, Any]) -> str:
    """The table: median CPU per transaction and per audit entry, baseline beside new."""
    from bench._support import table

    rows: list[list[object]] = [
        [
            "engine",
            "workload",
            "baseline ms/txn",
            "new ms/txn",
            "baseline ms/entry",
            "new ms/entry",
            "new/baseline",
        ]
    ]
    for engine in (e for e in ENGINES if e in results):
        runs = results[engine]
        for workload in WORKLOADS:
            old, new = (_per(runs[v], workload, "transactions") for v in ("baseline", "new"))
            old_entry, new_entry = (_per(runs[v], workload, "entries") for v in ("baseline", "new"))
            rows.append(
                [
                    engine,
                    workload,
                    f"{old:.2f}",
                    f"{new:.2f}",
                    f"{old_entry:.3f}",
                    f"{new_entry:.3f}",
                    f"{new / old:.2f}×",
                ]
            )
    return table(rows)


def main() -> None:
    from bench._support import env_int, write_results

    cases = env_int("FOIFLOW_BENCH_PROJECTION_CASES", 300)
    rounds = env_int("FOIFLOW_BENCH_PROJECTION_ROUNDS", 3)
    ref = os.environ.get("FOIFLOW_BENCH_BASELINE_REF", "").strip() or BASELINE_REF
    engines = ["sqlite", *(["postgresql"] if os.environ.get("FOIFLOW_BENCH_PG_URL") else [])]
    print(
        f"{cases} cases × {VERSIONS} projections; audit alone {cases} chains × {VERSIONS} "
        f"transactions; {rounds} rounds, baseline = {ref} (git archive), new = {ROOT}"
    )
    if engines == ["sqlite"]:
        print("PostgreSQL not run: set FOIFLOW_BENCH_PG_URL to include it")
    results: dict[str, Any] = {"cases": cases, "rounds": rounds, "baseline_ref": ref}
    with _baseline_tree(ref) as old_tree:
        for engine in engines:
            runs: dict[str, list[dict[str, Any]]] = {"baseline": [], "new": []}
            for n in range(rounds):
                # Alternated, so both variants see the same load on a shared machine.
                order = [("baseline", old_tree), ("new", ROOT)]
                for variant, tree in order if n % 2 == 0 else order[::-1]:
                    with _database(engine) as url:
                        runs[variant].append(_run_variant(tree, url, cases))
            results[engine] = runs
    print(report(results))
    print(f"results: {write_results('projection', results)}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        sys.path.pop(0)  # this directory: the variant's tree (PYTHONPATH) decides what loads
        print(json.dumps(_child(sys.argv[2], int(sys.argv[3]))))
    else:
        main()
