"""docker-compose.yml creates exactly the search attributes the workflow code sets.

The compose file cannot import Python, so its list is a copy; this test is what keeps the copy
true. A workflow upserting an attribute the cluster lacks fails its workflow task in production.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import yaml

from workflows.search_attributes import ALL_KEYS, cli_flags

COMPOSE = Path(__file__).resolve().parents[1] / "docker-compose.yml"


def _compose_search_attributes() -> dict[str, str]:
    compose: dict[str, Any] = yaml.safe_load(COMPOSE.read_text("utf-8"))
    command = " ".join(compose["services"]["temporal-search-attributes"]["command"])
    words = shlex.split(command)
    assert words[:4] == ["temporal", "operator", "search-attribute", "create"], command
    names = [words[i + 1] for i, word in enumerate(words) if word == "--name"]
    types = [words[i + 1] for i, word in enumerate(words) if word == "--type"]
    assert len(names) == len(types), f"each --name needs its --type: {command}"
    return dict(zip(names, types, strict=True))


def _code_search_attributes() -> dict[str, str]:
    # The same Name=Type pairs `foiflow up` gives the dev server.
    pairs = [flag.split("=") for flag in cli_flags() if flag != "--search-attribute"]
    return {name: kind for name, kind in pairs}


def test_compose_creates_every_search_attribute_the_code_uses_with_its_type() -> None:
    expected = _code_search_attributes()
    assert set(expected) == {key.name for key in ALL_KEYS}
    wanted = " ".join(f"--name {name} --type {kind}" for name, kind in expected.items())
    assert _compose_search_attributes() == expected, (
        f"docker-compose.yml's temporal-search-attributes command must create: {wanted}"
    )
