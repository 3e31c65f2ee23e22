"""Reference numbers: formatted per the authority's pattern, no duplicates, no gaps."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine

from store.db import get_engine, session_scope
from store.refdata import set_setting
from store.references import allocate_reference, next_reference, set_counter
from store.schema import format_reference


def test_the_seed_style() -> None:
    pattern = "{force}.FOI.{yy}.{seq:06d}"
    assert format_reference(pattern, force="01", year=2023, seq=31576) == "01.FOI.23.031576"


def test_sequences_count_per_year_from_one(engine: Engine) -> None:
    assert [allocate_reference(engine, 2023) for _ in range(3)] == [
        "01.FOI.23.000001",
        "01.FOI.23.000002",
        "01.FOI.23.000003",
    ]
    assert allocate_reference(engine, 2024) == "01.FOI.24.000001"


def test_the_pattern_and_force_come_from_settings(engine: Engine) -> None:
    with session_scope(engine) as session:
        set_setting(session, "force_code", "42", "tester")
        set_setting(session, "reference_pattern", "FOI/{yyyy}/{force}/{seq:04d}", "tester")
    assert allocate_reference(engine, 2025) == "FOI/2025/42/0001"


def test_a_rolled_back_allocation_returns_its_number(engine: Engine) -> None:
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        assert next_reference(session, 2023) == "01.FOI.23.000001"
        raise RuntimeError("intake failed after allocating")
    assert allocate_reference(engine, 2023) == "01.FOI.23.000001"


def test_a_counter_can_start_later_but_never_go_back(engine: Engine) -> None:
    with session_scope(engine) as session:
        set_counter(session, "01", 2023, 31575, "tester")
    assert allocate_reference(engine, 2023) == "01.FOI.23.031576"
    with pytest.raises(ValueError, match="cannot go back"), session_scope(engine) as session:
        set_counter(session, "01", 2023, 10, "tester")


def _allocate_concurrently(engine: Engine, threads: int, each: int) -> list[str]:
    got: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def worker() -> None:
        start.wait()
        try:
            for _ in range(each):
                reference = allocate_reference(engine, 2023)
                with lock:
                    got.append(reference)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert errors == []
    return got


def test_concurrent_allocators_on_postgresql_never_duplicate_or_skip(pg_engine: Engine) -> None:
    got = _allocate_concurrently(pg_engine, threads=8, each=50)
    assert len(got) == len(set(got)) == 400
    assert sorted(got) == [f"01.FOI.23.{n:06d}" for n in range(1, 401)]


def test_concurrent_allocators_on_sqlite_never_duplicate_or_skip(sqlite_url: str) -> None:
    got = _allocate_concurrently(get_engine(sqlite_url), threads=4, each=25)
    assert sorted(got) == [f"01.FOI.23.{n:06d}" for n in range(1, 101)]
