"""Run every benchmark module in this package (each ``bench/<name>.py`` with a ``main()``)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Callable
from typing import cast

import bench


def discover() -> list[tuple[str, Callable[[], object]]]:
    found: list[tuple[str, Callable[[], object]]] = []
    for module in sorted(pkgutil.iter_modules(bench.__path__), key=lambda m: m.name):
        if module.name.startswith("_") or module.ispkg:
            continue
        imported = importlib.import_module(f"bench.{module.name}")
        main = getattr(imported, "main", None)
        if callable(main):
            found.append((module.name, cast(Callable[[], object], main)))
    return found


def run(selected: list[str]) -> int:
    benchmarks = discover()
    unknown = set(selected) - {name for name, _ in benchmarks}
    if unknown:
        known = ", ".join(name for name, _ in benchmarks)
        print(f"error: no benchmark named {', '.join(sorted(unknown))} (known: {known})")
        return 2
    for name, main in benchmarks:
        if selected and name not in selected:
            continue
        print(f"== bench.{name}")
        main()
    return 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
