"""The guard rails cover the whole tree: a new room cannot slip past the import contracts or mypy.

``make lint`` runs ``lint-imports`` (a broken contract fails ``make test``); these tests check that
what it and mypy look at is every package in the tree, so adding ``web/`` without listing it
fails here rather than going unchecked.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))


def _packages() -> set[str]:
    return {
        p.parent.name
        for p in ROOT.glob("*/__init__.py")
        if p.parent.name not in {"tests", "build"} and not p.parent.name.startswith(".")
    }


def _top_level_modules() -> set[str]:
    return {p.stem for p in ROOT.glob("*.py")}


def test_every_package_is_a_root_of_the_import_contracts() -> None:
    linter = PYPROJECT["tool"]["importlinter"]
    assert set(linter["root_packages"]) == _packages()
    # include_external_packages lets contracts name settings, sqlalchemy, temporalio…
    assert linter["include_external_packages"] is True


def test_every_room_is_checked_for_import_cycles() -> None:
    contracts = PYPROJECT["tool"]["importlinter"]["contracts"]
    (acyclic,) = [c for c in contracts if c["type"] == "acyclic_siblings"]
    assert set(acyclic["ancestors"]) == _packages()


def test_every_package_and_top_level_module_is_type_checked_strictly() -> None:
    mypy = PYPROJECT["tool"]["mypy"]
    assert mypy["strict"] is True
    assert set(mypy["packages"]) == _packages()
    assert set(mypy["modules"]) == _top_level_modules()
